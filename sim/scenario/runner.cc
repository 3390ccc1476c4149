#include "sim/scenario/runner.h"

#include <string>

#include "absl/strings/str_format.h"
#include "model/kernel/dump.h"
#include "sim/scenario/run.h"

namespace forksim {
namespace {

// A small, stable digest (FNV-1a, 64 bits) for --check-determinism.
uint64_t Fnv1a(uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Every field of an event, as one line of text.
std::string EventKey(const Event& e) {
  std::string key = absl::StrFormat(
      "%d|%d|%s|%s|%s|%s|%d|%d|%s|%s|%d|%x|%d|%d|%d|%s|%s|%d", e.kind,
      e.tid.value, e.function, e.step, e.label, e.reason, ErrnoValue(e.error),
      e.nr, e.access, e.field, e.addr, e.value, e.target.value,
      static_cast<int>(e.how), e.subject.value, e.outcome, e.text,
      e.decoded.has_value());
  if (e.result) absl::StrAppend(&key, "|r", ResultText(*e.result));
  if (e.object) {
    absl::StrAppendFormat(&key, "|o%d,%s,%d,%d,%d,%s", e.object->how,
                          e.object->type, e.object->serial,
                          e.object->refcount_before, e.object->refcount_after,
                          e.object->taken_at);
  }
  if (e.linked) {
    absl::StrAppendFormat(&key, "|l%d,%d,%d,%d,%d", e.linked->task.value,
                          e.linked->parent.value, e.linked->leader.value,
                          e.linked->nr_threads, e.linked->total_forks);
  }
  for (int32_t nr : e.pid_numbers) absl::StrAppend(&key, "|n", nr);
  key.append(e.bytes.begin(), e.bytes.end());
  return key;
}

}  // namespace

std::string ScenarioRun::Fingerprint() const {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const std::string& line : result_.trace) hash = Fnv1a(hash, line + "\n");
  for (const Event& e : result_.events) hash = Fnv1a(hash, EventKey(e));
  hash = Fnv1a(hash, DumpMachine(kernel_.machine()));
  return absl::StrFormat("%016x", hash);
}

RunResult RunScenario(const Scenario& scenario, const KernelProfile& profile,
                      Abi abi, const RunOptions& options) {
  return ScenarioRun(scenario, profile, abi, options).Go();
}

std::vector<RunResult> RunScenarioAll(const Scenario& scenario) {
  std::vector<std::string> profiles = scenario.profiles;
  if (profiles.empty()) profiles = {"5.2"};
  std::vector<std::string> abis = scenario.abis;
  if (abis.empty()) abis = {"x86_64"};
  std::vector<RunResult> results;
  for (const std::string& profile : profiles) {
    for (const std::string& abi : abis) {
      results.push_back(
          RunScenario(scenario, **ProfileFromName(profile), *AbiFromName(abi)));
    }
  }
  return results;
}

}  // namespace forksim

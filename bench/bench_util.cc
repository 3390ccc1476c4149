#include "bench/bench_util.h"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "model/kernel/invariants.h"

namespace forksim::bench {
namespace {

bool EnvSet(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' && std::string(value) != "0";
}

uint64_t StatusField(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) != 0) continue;
    // "VmHWM:\t  123456 kB"
    const std::string rest = line.substr(field.size());
    return std::strtoull(rest.c_str(), nullptr, 10) * 1024;
  }
  return 0;
}

}  // namespace

const Options& GetOptions() {
  static const Options options = {
      .full = EnvSet("FORKSIM_BENCH_FULL"),
      .smoke = EnvSet("FORKSIM_BENCH_SMOKE"),
      .no_host = EnvSet("FORKSIM_BENCH_NO_HOST"),
  };
  return options;
}

ModelSim::ModelSim(Abi abi, std::string_view profile)
    : kernel_(**ProfileFromName(profile), MachineConfig{.abi = abi}) {
  kernel_.set_tracing(false);
}

Task* ModelSim::NewProcess(Task* parent) {
  if (parent == nullptr) parent = init();
  const int64_t pid = Call(parent, Sysno::kFork, {});
  if (pid <= 0) return nullptr;
  Task* task = NewestChild(parent);
  if (task == nullptr || task->mm == nullptr) return nullptr;
  if (!kernel_.MapMemory(task, kBuf, kBufPages * kPageSize, kProtReadWrite)
           .ok()) {
    return nullptr;
  }
  return task;
}

int64_t ModelSim::Call(Task* task, Sysno sysno,
                       std::initializer_list<uint64_t> args) {
  const SyscallOutcome outcome = kernel_.Invoke(task, sysno, args);
  return outcome.returned() ? outcome.ReturnValue() : INT64_MIN;
}

bool ModelSim::Sysctl(std::string_view key, int64_t value) {
  return kernel_.WriteSysctl(init(), key, value).ok();
}

Task* ModelSim::NewestChild(Task* parent) {
  return parent->children.empty() ? nullptr : parent->children.back();
}

Task* ModelSim::NewestThread(Task* leader) {
  return leader->threads.empty() ? nullptr : leader->threads.back();
}

std::string ModelSim::CheckClean() {
  const std::vector<Violation> violations = CheckInvariants(machine());
  return violations.empty() ? std::string() : violations.front().ToString();
}

void UaccessDelta::Report(benchmark::State& state) const {
  const UaccessStats& now = memory_.stats();
  state.counters["uaccess_ops"] =
      PerIteration(static_cast<double>(now.ops - start_.ops));
  state.counters["uaccess_bytes"] =
      PerIteration(static_cast<double>(now.bytes - start_.bytes));
  state.counters["uaccess_faults"] =
      PerIteration(static_cast<double>(now.faults - start_.faults));
}

uint64_t VmRssBytes() { return StatusField("VmRSS:"); }
uint64_t VmHwmBytes() { return StatusField("VmHWM:"); }

bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace forksim::bench

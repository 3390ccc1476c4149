// The hostcheck driver (sim/hostcheck/hostcheck.h).

#include "sim/hostcheck/hostcheck.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "model/errno.h"
#include "sim/kernel/kernel.h"

namespace forksim {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAgree:
      return "agree";
    case Verdict::kDocumented:
      return "differs as documented";
    case Verdict::kUnexplained:
      return "unexplained";
    case Verdict::kSkipped:
      return "skipped";
  }
  return "?";
}

std::optional<KernelVersion> ParseKernelRelease(std::string_view release) {
  // "6.18.0-1-amd64", "5.2.0-rc1", "6.12": digits and dots up to the first
  // other character.
  const size_t end = release.find_first_not_of("0123456789.");
  const std::vector<std::string> parts =
      absl::StrSplit(std::string(release.substr(0, end)), '.');
  KernelVersion v;
  int* fields[] = {&v.major, &v.minor, &v.patch};
  if (parts.size() < 2) return std::nullopt;
  for (size_t i = 0; i < parts.size() && i < 3; ++i) {
    if (!absl::SimpleAtoi(parts[i], fields[i])) return std::nullopt;
  }
  return v;
}

KernelVersion ProfileVersion(const KernelProfile& profile) {
  KernelVersion v = ParseKernelRelease(profile.name).value_or(KernelVersion{});
  // An -rc comes before the release: 5.2-rc1 is "5.1.999".
  if (profile.name.find("-rc") != std::string_view::npos) {
    v.minor -= 1;
    v.patch = 999;
  }
  return v;
}

absl::StatusOr<HostInfo> ProbeHost() {
  struct utsname u;
  if (uname(&u) != 0 || std::string_view(u.sysname) != "Linux") {
    return absl::FailedPreconditionError("the host is not Linux");
  }
  HostInfo info;
  info.release = u.release;
  std::optional<KernelVersion> v = ParseKernelRelease(info.release);
  if (!v) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the kernel version in '", info.release, "'"));
  }
  info.version = *v;
  // CAP_SYS_ADMIN (21) in CapEff of /proc/self/status.
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    uint64_t caps = 0;
    if (line.starts_with("CapEff:") &&
        absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line.substr(7)),
                            &caps)) {
      info.privileged = (caps >> 21) & 1;
    }
  }
  return info;
}

const KernelProfile* AutoProfile(KernelVersion host) {
  const KernelProfile* best = nullptr;
  for (const KernelProfile& p : AllProfiles()) {
    if (p.has_clone6 || p.name.find("-rc") != std::string_view::npos) continue;
    if (ProfileVersion(p) > host) continue;
    if (best == nullptr || ProfileVersion(*best) < ProfileVersion(p)) best = &p;
  }
  return best;
}

namespace {

const KnownDifference* Explain(const DifferenceContext& ctx) {
  for (const KnownDifference& d : KnownDifferences()) {
    if (d.matches(ctx)) return &d;
  }
  return nullptr;
}

}  // namespace

CaseReport Compare(const KernelProfile& profile, const KernelProfile& reference,
                   KernelVersion host, const HostCase& c,
                   const Observation& host_seen) {
  CaseReport r;
  r.c = c;
  r.host = host_seen;
  if (host_seen.status == "nocgroup") {
    r.verdict = Verdict::kSkipped;
    r.skip_reason = "no cgroup v2 directory to open";
    return r;
  }
  r.model = RunOnModel(profile, c);
  const std::string seen = Normalize(c, host_seen);
  if (Normalize(c, r.model) == seen) return r;

  // Not the same: the traces say which step decided, and the reference
  // profile says whether the profile is merely older than the host.
  std::vector<Event> trace;
  RunOnModel(profile, c, &trace);
  // Which step failed the call (nothing did if it returned a child).
  auto decider = [](const Observation& o, const std::vector<Event>& events) {
    return o.ret > 0 ? std::string() : Decider(events);
  };
  r.model_decider = decider(r.model, trace);
  r.verdict = Verdict::kUnexplained;
  const KernelVersion ref_version = ProfileVersion(reference);
  if (&profile == &reference) {
    r.difference =
        Explain({c, profile, r.model, host_seen, r.model_decider, "", host});
  } else {
    std::vector<Event> ref_trace;
    const Observation ref = RunOnModel(reference, c, &ref_trace);
    const std::string ref_decider = decider(ref, ref_trace);
    const std::string ref_seen = Normalize(c, ref);
    if (ref_seen == Normalize(c, r.model)) {
      // The profile behaves as the reference does; the host is newer.
      r.difference =
          Explain({c, reference, ref, host_seen, ref_decider, "", host});
    } else {
      r.difference = Explain({c, profile, r.model, ref, r.model_decider,
                              ref_decider, ref_version});
      if (ref_seen != seen && r.difference != nullptr) {
        // Two steps: the profile to the reference, the reference to the
        // host; both must be known.
        r.also = Explain({c, reference, ref, host_seen, ref_decider, "", host});
        if (r.also == nullptr) r.difference = nullptr;
      }
    }
  }
  if (r.difference != nullptr) r.verdict = Verdict::kDocumented;
  return r;
}

namespace {

// One probe call through the executor: what the host answers to clone3 and
// clone with arguments every kernel refuses (EINVAL), to tell a seccomp
// filter's ENOSYS from a kernel without the syscall.
absl::Status CheckNotRefused(HostExecutor& executor, Abi abi,
                             KernelVersion host,
                             const std::vector<Family>& families) {
  auto runs = [&](Family f) {
    return std::find(families.begin(), families.end(), f) != families.end();
  };
  std::vector<HostCase> probes;
  // clone(CLONE_THREAD): EINVAL without CLONE_SIGHAND on every version.
  HostCase clone;
  clone.abi = abi;
  clone.family = Family::kClone;
  clone.index = 0;
  clone.nr = FindSyscall(abi, Sysno::kClone)->nr;
  clone.args = {0x00010000, 0, 0, 0, 0, 0};
  if (runs(Family::kClone)) probes.push_back(clone);
  if (runs(Family::kClone3) && host >= KernelVersion{5, 3, 0}) {
    // clone3(NULL, 0): EINVAL (the size is below CLONE_ARGS_SIZE_VER0).
    HostCase clone3 = clone;
    clone3.family = Family::kClone3;
    clone3.nr = FindSyscall(abi, Sysno::kClone3)->nr;
    clone3.args = {};
    probes.push_back(clone3);
  }
  // fork: any answer will do; it shows that the executor runs at all.
  HostCase fork = clone;
  fork.family = Family::kFork;
  fork.nr = FindSyscall(abi, Sysno::kFork)->nr;
  fork.args = {};
  probes.push_back(fork);
  absl::StatusOr<std::vector<Observation>> seen = executor.Run(probes);
  if (!seen.ok()) return seen.status();
  for (size_t i = 0; i < probes.size(); ++i) {
    if ((*seen)[i].ret == -ErrnoValue(Errno::kENOSYS)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the host refuses %s on %s with ENOSYS, although its kernel has it: "
          "a seccomp filter (a container's sandbox)? Run hostcheck outside "
          "it, or leave that family out with --family",
          probes[i].family == Family::kClone3  ? "clone3"
          : probes[i].family == Family::kClone ? "clone"
                                               : "fork",
          std::string(AbiName(abi))));
    }
  }
  return absl::OkStatus();
}

// The cases of this shard for one ABI.
std::vector<HostCase> ShardCases(const HostcheckConfig& config, Abi abi) {
  std::vector<HostCase> cases;
  const std::vector<CorpusEntry> corpus = Corpus(config.families, config.cases);
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (i % config.shards != config.shard) continue;
    cases.push_back(
        MakeCase(config.seed, corpus[i].family, abi, corpus[i].index));
  }
  return cases;
}

}  // namespace

absl::StatusOr<HostcheckResult> RunHostcheck(const HostcheckConfig& config) {
  HostcheckResult result;
  for (Abi abi : config.abis) {
    std::optional<std::string> path = FindExecutor(config.argv0, abi);
    if (!path) {
      return absl::NotFoundError(absl::StrFormat(
          "the %s executor is missing next to %s (build //sim/tools:forksim "
          "with Bazel)",
          std::string(AbiName(abi)), config.argv0));
    }
    absl::StatusOr<HostExecutor> executor = HostExecutor::Start(*path);
    if (!executor.ok() && abi == Abi::kIa32) {
      result.skipped_abis.push_back(
          {abi, absl::StrCat("the host cannot run ia32 programs (no ia32 "
                             "emulation?): ",
                             executor.status().message())});
      continue;
    }
    if (!executor.ok()) return executor.status();
    // The ia32 executor cannot even start without ia32 emulation: then the
    // first exchange fails, and the ABI is skipped, not the run.
    if (absl::Status s = CheckNotRefused(*executor, abi, config.host.version,
                                         config.families);
        !s.ok()) {
      if (absl::IsFailedPrecondition(s)) return s;
      result.skipped_abis.push_back(
          {abi, abi == Abi::kIa32
                    ? "the host cannot run ia32 programs (no ia32 emulation)"
                    : std::string(s.message())});
      continue;
    }
    std::vector<HostCase> cases = ShardCases(config, abi);
    std::vector<HostCase> runnable;
    for (HostCase& c : cases) {
      Tally& tally = result.tallies[{abi, c.family}];
      if (c.privileged && !config.host.privileged) {
        ++tally.skipped;
        ++result.skipped_by["needs CAP_SYS_ADMIN"];
        continue;
      }
      runnable.push_back(std::move(c));
    }
    absl::StatusOr<std::vector<Observation>> seen = executor->Run(runnable);
    if (!seen.ok()) return seen.status();
    for (size_t i = 0; i < runnable.size(); ++i) {
      CaseReport r = Compare(*config.profile, *config.reference,
                             config.host.version, runnable[i], (*seen)[i]);
      Tally& tally = result.tallies[{abi, r.c.family}];
      switch (r.verdict) {
        case Verdict::kAgree:
          ++tally.agree;
          continue;
        case Verdict::kDocumented:
          ++tally.documented;
          ++result.documented_by[std::string(r.difference->id)];
          if (r.also != nullptr) {
            ++result.documented_by[std::string(r.also->id)];
          }
          break;
        case Verdict::kUnexplained:
          ++tally.unexplained;
          break;
        case Verdict::kSkipped:
          ++tally.skipped;
          ++result.skipped_by[r.skip_reason];
          break;
      }
      result.notable.push_back(std::move(r));
    }
  }
  return result;
}

}  // namespace forksim

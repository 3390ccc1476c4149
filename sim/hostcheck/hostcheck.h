// -----------------------------------------------------------------------------
// File: sim/hostcheck/hostcheck.h
// -----------------------------------------------------------------------------
//
// forksim hostcheck: a corpus of clone-family cases run on the running
// kernel and on the model of a profile, compared case by case.
//
// A case agrees when both sides leave the same normalized observation
// (observation.h). When they differ, the model of the reference profile
// (the newest one not newer than the host) is run too, and a table of known
// differences between kernel versions decides whether the difference is one
// the project documents ("differs as documented": the profile is older than
// the host and the table names the change, with the kernel lines of both
// versions) or not ("unexplained": a bug of the model, or a kernel change
// nobody wrote down yet).

#ifndef FORKSIM_SIM_HOSTCHECK_HOSTCHECK_H_
#define FORKSIM_SIM_HOSTCHECK_HOSTCHECK_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/hostcheck/case.h"
#include "sim/hostcheck/observation.h"
#include "sim/kernel/profile.h"

namespace forksim {

enum class Verdict : uint8_t { kAgree, kDocumented, kUnexplained, kSkipped };
std::string_view VerdictName(Verdict verdict);

// A kernel version as uname -r says it: "6.18.0-1-amd64" is 6.18.0.
struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  friend auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};
std::optional<KernelVersion> ParseKernelRelease(std::string_view release);

// The version a profile models ("5.2-rc1" is before 5.2.0).
KernelVersion ProfileVersion(const KernelProfile& profile);

// What a known difference is judged on: the older side (a profile's model)
// and the newer one (the reference profile's model, or the host).
struct DifferenceContext {
  const HostCase& c;
  const KernelProfile& older;
  const Observation& old_seen;
  const Observation& new_seen;
  std::string_view old_decider;  // Decider() of the older model's trace
  std::string_view new_decider;  // the newer model's ("" for the host)
  KernelVersion newer;           // the newer side's kernel
};

struct KnownDifference {
  std::string_view id;       // "pidfd-thread"
  std::string_view summary;  // what changed, one line
  std::string_view older;    // the older kernel's code, cited
  std::string_view newer;    // the newer kernel's code, cited
  bool (*matches)(const DifferenceContext&);
};

// The table, in docs/fidelity.md's order.
std::span<const KnownDifference> KnownDifferences();

struct CaseReport {
  HostCase c;
  Verdict verdict = Verdict::kAgree;
  Observation host;
  Observation model;
  std::string model_decider;
  // Why it differs: the known difference between the profile and the host,
  // or, when the reference profile differs from both, the one between the
  // profile and the reference and then `also` the one between the
  // reference and the host.
  const KnownDifference* difference = nullptr;
  const KnownDifference* also = nullptr;
  std::string skip_reason;
};

struct HostInfo {
  std::string release;  // uname -r
  KernelVersion version;
  bool privileged = false;  // CAP_SYS_ADMIN in the effective set
};

// ProbeHost()
//
// uname and the capabilities; an error off Linux.
absl::StatusOr<HostInfo> ProbeHost();

// AutoProfile()
//
// The newest released profile not newer than `host` (never an -rc or the
// clone6 RFC), or nullptr when the host is older than every profile.
const KernelProfile* AutoProfile(KernelVersion host);

// Compare()
//
// The verdict for one case the host ran: agree, or (running the models
// again with traces) documented or unexplained.
CaseReport Compare(const KernelProfile& profile, const KernelProfile& reference,
                   KernelVersion host, const HostCase& c,
                   const Observation& host_seen);

struct HostcheckConfig {
  std::vector<Abi> abis;
  const KernelProfile* profile = nullptr;
  const KernelProfile* reference = nullptr;
  std::vector<Family> families;
  uint64_t cases = 0;  // per ABI
  uint64_t seed = 1;
  uint32_t shard = 0;  // this shard of `shards`
  uint32_t shards = 1;
  std::string argv0;  // where the executors are looked for
  HostInfo host;
};

struct Tally {
  uint64_t agree = 0;
  uint64_t documented = 0;
  uint64_t unexplained = 0;
  uint64_t skipped = 0;
  uint64_t total() const { return agree + documented + unexplained + skipped; }
};

struct HostcheckResult {
  // Per (ABI, family), in that order.
  std::map<std::pair<Abi, Family>, Tally> tallies;
  // Every case that did not simply agree, in corpus order.
  std::vector<CaseReport> notable;
  // How many cases each known difference explained, and why cases were
  // skipped.
  std::map<std::string, uint64_t> documented_by;
  std::map<std::string, uint64_t> skipped_by;
  // An ABI the host cannot run at all, with the reason.
  std::vector<std::pair<Abi, std::string>> skipped_abis;
};

// RunHostcheck()
//
// The corpus, this shard of it, on the host and the model. A host that
// refuses a syscall it has (ENOSYS from a seccomp filter) is a
// FailedPrecondition naming the syscall; a missing executor an error too.
absl::StatusOr<HostcheckResult> RunHostcheck(const HostcheckConfig& config);

}  // namespace forksim

#endif  // FORKSIM_SIM_HOSTCHECK_HOSTCHECK_H_

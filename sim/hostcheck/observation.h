// -----------------------------------------------------------------------------
// File: sim/hostcheck/observation.h
// -----------------------------------------------------------------------------
//
// What one side, the running kernel or the model, made of a case, and the
// two ways to get it: RunOnModel() in-process, HostExecutor through the
// executor program (sim/hostcheck/executor).

#ifndef FORKSIM_SIM_HOSTCHECK_OBSERVATION_H_
#define FORKSIM_SIM_HOSTCHECK_OBSERVATION_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/hostcheck/case.h"
#include "sim/kernel/event.h"
#include "sim/kernel/profile.h"

namespace forksim {

struct Observation {
  // The return register as a long: the child's pid, or -errno.
  int64_t ret = 0;
  // kObservedWords after the call and the wait.
  std::array<uint32_t, 3> words{};
  // For the case's pidfd word: 1 or 0, its fd's close-on-exec flag; -1 when
  // it is not an open fd or not asked for.
  std::array<int, 3> fds{-1, -1, -1};
  // The wait: the status in hex ("0"), "echild", "running" (a WNOHANG
  // wait found it alive), "none" (no child); host only: "nocgroup",
  // "timeout", "lost".
  std::string status;
};

// Normalize()
//
// The observation in the form both sides are compared in: pids the caller
// sees differ between the host and the model, so a positive return is
// "child" (except in a fresh pid namespace, where it is a real number on
// both sides) and a word holding it is "ret"; an errno is named; a word
// left alone is "-".
//
//   "ret=child words=ret,-,- fds=1,x,x status=0"
std::string Normalize(const HostCase& c, const Observation& o);

// RunOnModel()
//
// The case on a freshly booted model of `profile`: a process forked by init
// (or, for a pid-namespace case, the init of a new pid namespace it clones)
// with the case's memory, every catchable signal caught (the host blocks
// them: neither dies of an exit signal), makes the call; each new task
// exits at once; the caller waits as the case says. With `trace`, the
// events of the call are kept there.
Observation RunOnModel(const KernelProfile& profile, const HostCase& c,
                       std::vector<Event>* trace = nullptr);

// Decider()
//
// The step that decided a failed call, from its events: the first ladder
// rung that failed ("C7"), else the first fault ("fault clone_args"), else
// the first resource step that failed; "" when nothing failed.
std::string Decider(const std::vector<Event>& events);

// The executor program for `abi` next to the running binary (its Bazel
// runfiles, or bazel-bin), or nullopt.
std::optional<std::string> FindExecutor(std::string_view argv0, Abi abi);

// HostExecutor
//
// One executor process: cases go to its stdin, one result line per case
// comes back. Batched (a few dozen cases per round trip) so that neither
// pipe fills.
class HostExecutor {
 public:
  static absl::StatusOr<HostExecutor> Start(const std::string& path);
  HostExecutor(HostExecutor&& other) noexcept;
  HostExecutor& operator=(HostExecutor&&) = delete;
  HostExecutor(const HostExecutor&) = delete;
  ~HostExecutor();

  // Runs the cases in order. A host-side error (the executor died or said
  // something unexpected) is a Status.
  absl::StatusOr<std::vector<Observation>> Run(
      const std::vector<HostCase>& cases);

 private:
  HostExecutor(int pid, int to, int from) : pid_(pid), to_(to), from_(from) {}
  absl::Status WriteAll(std::string_view text);
  absl::StatusOr<std::string> ReadLine();

  int pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string buffered_;
};

// ParseResultLine()
//
// An executor line for case `id`, one JSON object:
// {"case":"ID","ret":R,"words":["hex",...],"cloexec":[1|0|null,...],
//  "status":"S"}.
absl::StatusOr<Observation> ParseResultLine(std::string_view line,
                                            std::string_view id);

}  // namespace forksim

#endif  // FORKSIM_SIM_HOSTCHECK_OBSERVATION_H_

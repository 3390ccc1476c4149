// -----------------------------------------------------------------------------
// File: sim/scenario/runner.h
// -----------------------------------------------------------------------------
//
// Runs a parsed scenario under one profile and one ABI, deterministically:
// the same scenario gives the same trace and the same verdict, always.
//
// Each run boots a fresh kernel and has init fork the scenario's caller `p`
// (so that it is an ordinary process, not a pid namespace's init); `init` is
// bound too. Statements run in order; the first one whose expectation fails
// stops the run. A syscall that blocks has its expectation checked when it
// finishes. At the end, any call still blocked is a failure, and so is any
// invariant the checker finds broken.
//
// The engine drives the kernel through its host API (sim/kernel/kernel.h)
// only: set-up statements are host calls, syscalls are made from a task's
// registers, and expectations read the machine.

#ifndef FORKSIM_SIM_SCENARIO_RUNNER_H_
#define FORKSIM_SIM_SCENARIO_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/kernel/ids.h"
#include "sim/kernel/event.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/profile.h"
#include "sim/kernel/syscall_entry.h"
#include "sim/scenario/scenario.h"

namespace forksim {

// One syscall statement as the kernel saw it, for `forksim explain`: the
// registers as the entry decodes them, and the kernel's events from the
// entry to the return.
struct ExplainedCall {
  int line = 0;
  std::string source;
  Tid tid;
  Abi abi = Abi::kX86_64;
  uint64_t nr = 0;                        // the number register
  std::optional<DecodedSyscall> decoded;  // none for an unknown number
  std::vector<Event> events;              // what the kernel did, in order
  SyscallOutcome outcome = int64_t{0};
  std::string strace;  // the strace-style line
};

struct RunOptions {
  // Stop after the statement on this line (0: run to the end).
  int stop_after_line = 0;
  // Called when the run stops (at the end, or at the line) with the kernel
  // and the scenario's task names by global pid.
  std::function<void(const Kernel&, const std::map<Tid, std::string>&)> at_stop;
};

struct RunResult {
  std::string profile;
  std::string abi;
  bool passed = true;
  std::string failure;  // "file:line: statement\n  expected ..., got ..."
  std::vector<std::string> trace;  // strace-style lines, in order
  std::vector<Event> events;       // every kernel event, for --format=json
  // A digest of the trace, every event and the machine's final state: two
  // runs of one scenario must agree on it.
  std::string fingerprint;
  std::vector<ExplainedCall> calls;  // every syscall statement, in order
};

RunResult RunScenario(const Scenario& scenario, const KernelProfile& profile,
                      Abi abi, const RunOptions& options = {});

// Every (profile, ABI) pair the scenario asks for, in order.
std::vector<RunResult> RunScenarioAll(const Scenario& scenario);

}  // namespace forksim

#endif  // FORKSIM_SIM_SCENARIO_RUNNER_H_

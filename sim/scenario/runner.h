// -----------------------------------------------------------------------------
// File: sim/scenario/runner.h
// -----------------------------------------------------------------------------
//
// Runs a parsed scenario under one profile and one ABI, deterministically:
// the same scenario gives the same trace and the same verdict, always.
//
// Each run boots a fresh kernel and forks the scenario's caller `p` from init
// (so that it is an ordinary process, not a pid namespace's init); `init` is
// bound too. Statements run in order; the first one whose expectation fails
// stops the run. A syscall that blocks has its expectation checked when it
// finishes. At the end, any call still blocked is a failure, and so is any
// invariant the checker finds broken.

#ifndef FORKSIM_SIM_SCENARIO_RUNNER_H_
#define FORKSIM_SIM_SCENARIO_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/kernel/kernel.h"
#include "sim/kernel/profile.h"
#include "sim/scenario/scenario.h"

namespace forksim {

// One syscall statement as the kernel saw it, for `forksim explain`.
struct ExplainedArg {
  std::string reg;  // "rdi", "ebx"
  uint64_t reg_value;
  std::string param;  // the kernel's parameter name
  std::string type;   // its declared type: "unsigned long", "int", ...
  uint64_t value;     // after the wrapper's conversion
  bool truncated;
};

struct ExplainedCall {
  int line = 0;
  std::string source;
  int32_t tid = 0;
  std::string abi;
  std::string nr_reg;
  uint64_t nr = 0;
  std::string entry;  // the table's entry point, "" if the number is unknown
  std::vector<ExplainedArg> args;
  std::vector<Event> events;  // what the kernel did, in order
  bool blocked = false;
  int64_t result = 0;  // when !blocked
  std::string strace;  // the strace-style line
};

struct RunOptions {
  // Stop after the statement on this line (0: run to the end).
  int stop_after_line = 0;
  // Called when the run stops (at the end, or at the line) with the kernel
  // and the scenario's task names by global pid.
  std::function<void(const Kernel&, const std::map<int32_t, std::string>&)>
      at_stop;
};

struct RunResult {
  std::string profile;
  std::string abi;
  bool passed = true;
  std::string failure;  // "file:line: statement\n  expected ..., got ..."
  std::vector<std::string> trace;    // strace-style lines, in order
  std::vector<Event> events;         // every kernel event, for --format=json
  std::string fingerprint;           // a digest of the final state and trace
  std::vector<ExplainedCall> calls;  // every syscall statement, in order
};

RunResult RunScenario(const Scenario& scenario, const KernelProfile& profile,
                      Abi abi, const RunOptions& options = {});

// Every (profile, ABI) pair the scenario asks for, in order.
std::vector<RunResult> RunScenarioAll(const Scenario& scenario);

}  // namespace forksim

#endif  // FORKSIM_SIM_SCENARIO_RUNNER_H_

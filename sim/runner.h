// -----------------------------------------------------------------------------
// File: sim/runner.h
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

#ifndef FORKSIM_SIM_RUNNER_H_
#define FORKSIM_SIM_RUNNER_H_

#include <string>
#include <vector>

#include "sim/kernel.h"
#include "sim/profile.h"
#include "sim/scenario.h"

namespace forksim {

struct RunResult {
  std::string profile;
  std::string abi;
  bool passed = true;
  std::string failure;  // "file:line: statement\n  expected ..., got ..."
  std::vector<std::string> trace;  // strace-style lines, in order
  std::vector<Event> events;       // every kernel event, for --format=json
  std::string fingerprint;         // a digest of the final state and trace
};

RunResult RunScenario(const Scenario& scenario, const KernelProfile& profile,
                      Abi abi);

// Every (profile, ABI) pair the scenario asks for, in order.
std::vector<RunResult> RunScenarioAll(const Scenario& scenario);

}  // namespace forksim

#endif  // FORKSIM_SIM_RUNNER_H_

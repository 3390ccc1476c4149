// -----------------------------------------------------------------------------
// File: model/kernel/invariants.h
// -----------------------------------------------------------------------------
//
// The invariant checker: checks a whole Machine after any operation and
// reports every violation with the object and the rule. It is what proves that
// a failure path of copy_process() leaks nothing: run it after each step.
//
// Rules:
//   refcount    every object's refcount equals the holders the checker finds
//               (and is above zero: nothing is alive without a holder)
//   pid-table   every pid number is in its namespace's idr once, pointing at
//               its struct pid; no reserved (NULL) entry is left behind;
//               pid_allocated counts the namespace's pids
//   task-links  every task is reachable from its parent (leaders) or its
//               thread group (threads), and its pid links agree with its ids
//   fd-table    bitmaps agree with fd slots (fdtable.h's CheckFdTable), and
//               no fd number is reserved without a file (a leak at rest)
//   nproc       each user's process count equals its tasks
//   nr-threads  nr_threads and each signal_struct's nr_threads and live
//               match the tasks
//   ucounts     each (namespace, uid) ucount equals the live namespaces
//               charged through it

#ifndef FORKSIM_MODEL_KERNEL_INVARIANTS_H_
#define FORKSIM_MODEL_KERNEL_INVARIANTS_H_

#include <string>
#include <vector>

namespace forksim {

class Machine;

struct Violation {
  std::string object;  // e.g. "pid#4", "task 7", "files#2"
  std::string rule;    // e.g. "refcount"
  std::string detail;  // what was found and what was expected

  std::string ToString() const;
};

std::vector<Violation> CheckInvariants(const Machine& m);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_INVARIANTS_H_

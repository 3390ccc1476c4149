// -----------------------------------------------------------------------------
// File: sim/kernel/waits.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The sleeps a syscall can end in, one named struct each, holding what the
// syscall needs to finish when it wakes. KernelCore keeps one per sleeping
// task and asks PollWait() after every change of state whether it is over.

#ifndef FORKSIM_SIM_KERNEL_WAITS_H_
#define FORKSIM_SIM_KERNEL_WAITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "model/kernel/ids.h"
#include "model/kernel/task.h"
#include "sim/kernel/clone_args.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/wait.h"

namespace forksim {

class KernelCore;

// kernel/fork.c:wait_for_vfork_done() [5.2]: the vfork parent sleeps until
// the child releases its mm (exec or exit); then _do_fork() returns `nr` and
// the entry finishes (the RFC's clone6 writes its pidfd back).
struct VforkWait {
  Tid child;
  int64_t nr = 0;
  KernelCloneArgs args;
};

// kernel/exit.c:do_wait() [5.2] for wait4() and for waitid(): until a child
// changes state.
struct Wait4Wait {
  WaitOpts wo;
  uint64_t stat_addr = 0;
  uint64_t ru = 0;
};
struct WaitidWait {
  WaitOpts wo;
  uint64_t infop = 0;
  uint64_t ru = 0;
};

using Wait = std::variant<VforkWait, Wait4Wait, WaitidWait>;

// PollWait()
//
// Whether the wait is over; the syscall's outcome when it is.
std::optional<SyscallOutcome> PollWait(KernelCore& k, Task* task,
                                       const VforkWait& wait);  // vfork.cc
std::optional<SyscallOutcome> PollWait(KernelCore& k, Task* task,
                                       const Wait4Wait& wait);  // wait.cc
std::optional<SyscallOutcome> PollWait(KernelCore& k, Task* task,
                                       const WaitidWait& wait);  // wait.cc

// The kernel function a task sleeps in, and what it waits for, for traces.
std::string_view WaitFunction(const Wait& wait);
std::string DescribeWait(const Wait& wait);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_WAITS_H_

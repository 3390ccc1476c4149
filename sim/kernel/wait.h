// -----------------------------------------------------------------------------
// File: sim/kernel/wait.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The wait family of kernel/exit.c [5.2]: do_wait() over a caller's
// children, wait_task_zombie(), and what wait4() and waitid() write back.
// Stopped and continued children are not modelled, so only zombies are
// reported.

#ifndef FORKSIM_SIM_KERNEL_WAIT_H_
#define FORKSIM_SIM_KERNEL_WAIT_H_

#include <cstdint>
#include <optional>

#include "model/errno.h"
#include "model/kernel/task.h"
#include "sim/kernel/outcome.h"

namespace forksim {

class KernelCore;

// wait_opts.wo_type PIDTYPE_MAX: any child.
inline constexpr int kWaitAny = kPidTypeMax;

// struct wait_opts (kernel/exit.c [5.2]), as far as the model uses it.
struct WaitOpts {
  int type = kWaitAny;  // kPidTypePid, kPidTypePgid or kWaitAny
  // The struct pid find_get_pid() returned, by serial (the kernel holds a
  // reference; the model looks it up again, so a freed pid reads as one with
  // no tasks). 0: none was found.
  uint64_t pid_serial = 0;
  uint32_t flags = 0;  // WNOHANG, WEXITED, __WALL, ...
};

// struct waitid_info (kernel/exit.c [5.2]).
struct WaitidInfo {
  int pid = 0;
  uint32_t uid = 0;
  int status = 0;
  int cause = 0;
};

// One pass of do_wait().
struct WaitResult {
  bool block = false;      // nothing ready and no WNOHANG: the caller sleeps
  SysResult<int> ret = 0;  // the child's pid, 0 (WNOHANG) or ECHILD
  int stat = 0;            // wo_stat
  WaitidInfo info;
};

// DoWait()
//
// kernel/exit.c:do_wait() [5.2], one pass: where the kernel would
// schedule() and look again, the result says block.
WaitResult DoWait(KernelCore& k, Task* current, const WaitOpts& wo);

// The syscall's answer once do_wait() has one: the writes to stat_addr and
// the rusage (wait4), or to the siginfo (waitid).
SyscallOutcome FinishWait4(KernelCore& k, Task* current, const WaitResult& r,
                           uint64_t stat_addr, uint64_t ru);
SyscallOutcome FinishWaitid(KernelCore& k, Task* current, const WaitResult& r,
                            uint64_t infop, uint64_t ru);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_WAIT_H_

// -----------------------------------------------------------------------------
// File: sim/kernel/exit.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The end of a task's life, kernel/exit.c [5.2]: do_exit(), exit_notify()
// with the reparenting of children, release_task(), do_group_exit() and the
// exit and exit_group syscalls. The wait family is in wait.h, the vfork
// completion and CLONE_CHILD_CLEARTID (mm_release()) in vfork.h.
//
// Everything runs to completion inside one syscall: a task that is killed
// (exit_group, de_thread, zap_pid_ns_processes) exits at once, in a fixed
// order, where the kernel would let it run to its next signal check. What is
// modelled and what is left out is listed in docs/lifecycle.md.

#ifndef FORKSIM_SIM_KERNEL_EXIT_H_
#define FORKSIM_SIM_KERNEL_EXIT_H_

#include "model/kernel/task.h"

namespace forksim {

class KernelCore;

// DoExit()
//
// kernel/exit.c:do_exit(code) [5.2] for one task (code is already shifted:
// (status & 0xff) << 8, or a signal number). Refused where the kernel would
// panic (the idle task, the last thread of the global init).
void DoExit(KernelCore& k, Task* task, int code);

// DoGroupExit()
//
// kernel/exit.c:do_group_exit() [5.2]: every thread of the group exits with
// `code`.
void DoGroupExit(KernelCore& k, Task* task, int code);

// ReleaseTask()
//
// kernel/exit.c:release_task() [5.2]: unhash, drop every reference, destroy
// the task; a zombie leader whose last thread this was may go with it.
void ReleaseTask(KernelCore& k, Task* task);

// ZapOtherThreads()
//
// kernel/signal.c:zap_other_threads() followed by each victim's exit with
// `code`, as get_signal() makes them call do_group_exit(): the other threads
// first, in creation order, the leader last, `keep` never.
void ZapOtherThreads(KernelCore& k, Task* keep, int code);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_EXIT_H_

// -----------------------------------------------------------------------------
// File: sim/kernel/signal.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// Signals as far as fork and exit need them: kernel/signal.c [5.2]
// (sig_ignored(), the group send, do_notify_parent(), do_sigaction(); its
// flush_signal_handlers() is model/kernel/shared.h's) and the delivery on
// the way back to user mode
// (arch/x86/kernel/signal.c:do_signal()).
//
// The model runs no user code: a handler is only an address, and delivery
// of a signal with a handler does nothing visible. SIGKILL kills the group.
// The model has no blocked mask.

#ifndef FORKSIM_SIM_KERNEL_SIGNAL_H_
#define FORKSIM_SIM_KERNEL_SIGNAL_H_

#include "model/errno.h"
#include "model/kernel/machine.h"
#include "model/kernel/task.h"

namespace forksim {

class KernelCore;

// SigIgnored()
//
// kernel/signal.c:sig_ignored() and sig_task_ignored() [5.2] (lines 79-115)
// for a signal the kernel generates with a siginfo (not forced).
bool SigIgnored(const Machine& m, const Task* t, int sig);

// GroupSendSig()
//
// kernel/signal.c:__group_send_sig_info() [5.2] as do_notify_parent() uses
// it: prepare_signal() drops an ignored signal, legacy_queue() keeps one
// instance of a non-realtime signal, and the rest is queued on the group's
// shared_pending. Delivery (complete_signal) is not modelled.
void GroupSendSig(KernelCore& k, const Task* from, Task* to, int sig);

// DoNotifyParent()
//
// kernel/signal.c:do_notify_parent() [5.2]: the exit signal to the real
// parent, or none when it does not care. Returns autoreap. Ptrace is not
// modelled on the exit path.
bool DoNotifyParent(KernelCore& k, Task* tsk, int sig);

// KillGroup()
//
// complete_signal() for a fatal signal, then each thread's exit with `sig`
// as the group exit code: the other threads first, in creation order, then
// the leader.
void KillGroup(KernelCore& k, Task* task, int sig);

// DoSignal()
//
// arch/x86/kernel/signal.c:do_signal() [5.2]: the task's pending signals,
// taken on its way back to user mode. False if one of them killed it.
bool DoSignal(KernelCore& k, Task* task);

// DoSigaction()
//
// kernel/signal.c:do_sigaction() [5.2] (lines 3883-3921): EINVAL for a
// signal outside 1..64, or an action for SIGKILL or SIGSTOP; an action that
// ignores the signal flushes it from the group's and every thread's queue.
SysStatus DoSigaction(Task* task, int sig, const SigAction& action);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_SIGNAL_H_

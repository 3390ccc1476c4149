#include "sim/kernel/signal.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "sim/kernel/core.h"
#include "sim/kernel/exit.h"

namespace forksim {
namespace {

// include/linux/signal.h:sig_kernel_ignore() [5.2]: SIG_DFL ignores these.
bool DefaultIgnores(int sig) {
  return sig == kSigcont || sig == kSigchld || sig == kSigwinch ||
         sig == kSigurg;
}

// SIGKILL and SIGSTOP: never caught, blocked or ignored.
bool KernelOnly(int sig) { return sig == kSigkill || sig == kSigstop; }

void RecordSignal(KernelCore& k, const Task* from, std::string_view function,
                  int sig, Tid target, SignalHow how) {
  if (!k.tracing()) return;
  Event e;
  e.kind = EventKind::kSignal;
  e.function = function;
  e.value = sig;
  e.target = target;
  e.how = how;
  k.Record(from, std::move(e));
}

void Erase(std::vector<int>& queue, int sig) {
  queue.erase(std::remove(queue.begin(), queue.end(), sig), queue.end());
}

}  // namespace

bool SigIgnored(const Machine& m, const Task* t, int sig) {
  if (t->ptrace != 0 && sig != kSigkill) return false;
  const uint64_t handler = t->sighand->action[sig - 1].handler;
  if (SameThreadGroup(t, m.init) && KernelOnly(sig)) return true;
  if ((t->signal->flags & kSignalUnkillable) && handler == kSigDfl) {
    return true;
  }
  // sig_handler_ignored(): SIG_IGN, or SIG_DFL whose default is to ignore.
  return handler == kSigIgn || (handler == kSigDfl && DefaultIgnores(sig));
}

void GroupSendSig(KernelCore& k, const Task* from, Task* to, int sig) {
  if (SigIgnored(k.machine(), to, sig)) {
    RecordSignal(k, from, "kernel/signal.c:prepare_signal()", sig, to->pid,
                 SignalHow::kIgnored);
    return;
  }
  std::vector<int>& pending = to->signal->shared_pending;
  if (sig < kSigrtmin &&
      std::find(pending.begin(), pending.end(), sig) != pending.end()) {
    RecordSignal(k, from, "kernel/signal.c:__send_signal()", sig, to->pid,
                 SignalHow::kAlreadyQueued);
    return;
  }
  pending.push_back(sig);
  RecordSignal(k, from, "kernel/signal.c:__send_signal()", sig, to->pid,
               SignalHow::kQueuedShared);
}

bool DoNotifyParent(KernelCore& k, Task* tsk, int sig) {
  Task* parent = tsk->real_parent;
  // A child with another exit signal whose parent has exec'd since the fork
  // reports SIGCHLD (the parent changed security domain).
  if (sig != kSigchld && tsk->parent_exec_id != parent->self_exec_id) {
    sig = kSigchld;
  }
  const SigAction& action = parent->sighand->action[kSigchld - 1];
  bool autoreap = false;
  if (sig == kSigchld &&
      (action.handler == kSigIgn || (action.flags & kSaNocldwait))) {
    // POSIX: the parent does not care, so no zombie. With SA_NOCLDWAIT the
    // signal is still sent; with SIG_IGN it is not.
    autoreap = true;
    if (action.handler == kSigIgn) sig = 0;
  }
  k.Note(tsk, "kernel/signal.c:do_notify_parent()", "parent %d, signal %d%s",
         parent->pid.value, sig, autoreap ? ", autoreap" : "");
  if (sig > 0 && sig <= kNsig) GroupSendSig(k, tsk, parent, sig);
  // __wake_up_parent(): the parent's wait is polled again after the call.
  return autoreap;
}

void KillGroup(KernelCore& k, Task* task, int sig) {
  SignalStruct* signal = task->signal;
  signal->group_exit = true;  // SIGNAL_GROUP_EXIT
  signal->group_exit_code = sig;
  RecordSignal(k, task, "kernel/signal.c:complete_signal()", sig,
               Tid(task->tgid.value), SignalHow::kKillsGroup);
  std::vector<Task*> group = ThreadGroup(task);
  std::rotate(group.begin(), group.begin() + 1, group.end());
  for (Task* t : group) {
    if ((t->flags & kPfExiting) == 0) DoExit(k, t, sig);
  }
}

bool DoSignal(KernelCore& k, Task* task) {
  // The model has no user code, so a delivered signal runs no handler;
  // SIGKILL kills the group.
  std::vector<int> pending = std::move(task->pending);
  task->pending.clear();
  for (int sig : task->signal->shared_pending) pending.push_back(sig);
  task->signal->shared_pending.clear();
  for (int sig : pending) {
    RecordSignal(k, task, "arch/x86/kernel/signal.c:do_signal()", sig,
                 task->pid, SignalHow::kDelivered);
    if (sig != kSigkill) continue;
    const Tid tid = task->pid;
    DoGroupExit(k, task, kSigkill);
    // Global init refuses to die (exit.c would panic): it lives on.
    const Task* still = k.machine().FindTaskByTid(tid);
    if (still == nullptr || (still->flags & kPfExiting) != 0) return false;
  }
  return true;
}

SysStatus DoSigaction(Task* task, int sig, const SigAction& action) {
  if (sig < 1 || sig > kNsig || KernelOnly(sig)) return Errno::kEINVAL;
  task->sighand->action[sig - 1] = action;
  // sig_handler_ignored(): POSIX 3.3.1.3, setting a signal to be ignored
  // discards it when pending, from the group's queue and every thread's.
  if (action.handler == kSigIgn ||
      (action.handler == kSigDfl && DefaultIgnores(sig))) {
    Erase(task->signal->shared_pending, sig);
    for (Task* t : ThreadGroup(task)) Erase(t->pending, sig);
  }
  return SysOk();
}

}  // namespace forksim

#include "sim/kernel/pid_namespace.h"

#include <vector>

#include "sim/kernel/core.h"
#include "sim/kernel/signal.h"
#include "sim/kernel/wait.h"

namespace forksim {

void ZapPidNsProcesses(KernelCore& k, Task* father, PidNamespace* ns) {
  constexpr std::string_view kZap =
      "kernel/pid_namespace.c:zap_pid_ns_processes()";
  // disable_pid_allocation(): no more processes in this namespace.
  ns->pid_allocated &= ~kPidnsAdding;
  k.Note(father, kZap,
         "pid namespace level %d: allocation disabled, SIGKILL to every "
         "other task",
         ns->level);
  // Terminated children are autoreaped from now on.
  father->sighand->action[kSigchld - 1].handler = kSigIgn;
  // SIGKILL to the group of every pid numbered 2 and up, in idr order. Each
  // is looked up again: killing one task can release others.
  std::vector<int> numbers;
  for (const auto& [nr, pid] : ns->idr.entries()) {
    if (nr >= 2) numbers.push_back(nr);
  }
  for (int nr : numbers) {
    Pid* pid = ns->idr.Find(nr);
    if (pid == nullptr || pid->tasks[kPidTypePid].empty()) continue;
    Task* task = pid->tasks[kPidTypePid].front();
    if ((task->flags & kPfExiting) || task->signal->group_exit) continue;
    KillGroup(k, task, kSigkill);
  }
  // kernel_wait4(-1, NULL, __WALL, NULL) until ECHILD: reap the zombies
  // that were there before SIGCHLD was ignored.
  const WaitOpts wo{.type = kWaitAny, .flags = kWall | kWexited | kWnohang};
  for (;;) {
    const WaitResult r = DoWait(k, father, wo);
    if (r.ret.ok() && r.ret.value() > 0) continue;
    if (r.ret.ok()) {
      k.Note(father, kZap,
             "a child is still running; the kernel would wait for it");
    }
    break;
  }
  const uint32_t init_pids = IsThreadGroupLeader(*father) ? 1 : 2;
  if (ns->pid_allocated != init_pids) {
    k.Note(father, kZap, "%d pids left; the kernel would wait for them",
           ns->pid_allocated);
  }
}

}  // namespace forksim

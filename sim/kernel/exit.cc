#include "sim/kernel/exit.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/machine.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"
#include "model/kernel/shared.h"
#include "sim/kernel/core.h"
#include "sim/kernel/pid_namespace.h"
#include "sim/kernel/signal.h"
#include "sim/kernel/syscalls.h"
#include "sim/kernel/vfork.h"

namespace forksim {
namespace {

// kernel/exit.c:find_alive_thread() [5.2].
Task* FindAliveThread(const Task* p) {
  for (Task* t : ThreadGroup(p)) {
    if ((t->flags & kPfExiting) == 0) return t;
  }
  return nullptr;
}

void Erase(std::vector<Task*>& list, const Task* task) {
  auto it = std::find(list.begin(), list.end(), task);
  if (it != list.end()) list.erase(it);
}

// A task that is killed while it sleeps in a syscall (vfork, wait) never
// returns from it: wait_for_vfork_done() and do_wait() see the fatal signal.
void AbandonBlockedSyscall(KernelCore& k, Task* task) {
  if (task == k.current() || !k.IsBlocked(task)) return;
  k.AbandonWait(task);
  k.Note(task, "kernel/exit.c:do_exit()",
         "killed while blocked: the syscall never returns");
}

// Whether the exit would take down the last thread of init_pid_ns's reaper:
// kernel/exit.c:find_child_reaper() panics ("Attempted to kill init!").
bool ExitKillsGlobalInit(const KernelCore& k, const Task* task,
                         bool whole_group) {
  const Machine& m = k.machine();
  if (TaskActivePidNs(task) != m.init_pid_ns) return false;
  const Task* reaper = m.init_pid_ns->child_reaper;
  if (reaper == nullptr || !SameThreadGroup(reaper, task)) return false;
  if (whole_group) return true;
  if (reaper != task) return false;
  for (const Task* t : ThreadGroup(task)) {
    if (t != task && (t->flags & kPfExiting) == 0) return false;
  }
  return true;
}

// Where the kernel would panic, or the task is already on its way out, the
// exit does not happen.
bool RefuseExit(KernelCore& k, Task* task, bool whole_group) {
  if (task == k.machine().idle) {
    k.Note(task, "kernel/exit.c:do_exit()",
           "refused: the kernel panics (Attempted to kill the idle task!)");
    return true;
  }
  if (ExitKillsGlobalInit(k, task, whole_group)) {
    k.Note(task, "kernel/exit.c:find_child_reaper()",
           "refused: the kernel panics (Attempted to kill init!)");
    return true;
  }
  if (task->flags & kPfExiting) {
    k.Note(task, "kernel/exit.c:do_exit()",
           "refused: the task is already exiting");
    return true;
  }
  return false;
}

void ReleaseDead(KernelCore& k, std::vector<Task*>& dead) {
  for (Task* p : dead) ReleaseTask(k, p);
  dead.clear();
}

// list_add(&p->ptrace_entry, dead): at the front, so the last added is
// released first.
void AddDead(std::vector<Task*>& dead, Task* p) {
  p->state = TaskState::kDead;
  dead.insert(dead.begin(), p);
}

// kernel/exit.c:find_child_reaper() [5.2].
Task* FindChildReaper(KernelCore& k, Task* father) {
  PidNamespace* ns = TaskActivePidNs(father);
  Task* reaper = ns->child_reaper;
  if (reaper == nullptr) {
    // Only a namespace whose reaper was never set or already released; the
    // kernel cannot get here. Fall back to init.
    k.Note(father, "kernel/exit.c:find_child_reaper()",
           "the pid namespace has no reaper: init adopts");
    return k.machine().init;
  }
  if (reaper != father) return reaper;
  if (Task* thread = FindAliveThread(father)) {
    ns->child_reaper = thread;
    return thread;
  }
  // init_pid_ns would panic here; RefuseExit() stops that exit earlier.
  ZapPidNsProcesses(k, father, ns);
  return father;
}

// kernel/exit.c:find_new_reaper() [5.2]: a live thread of the group, else
// the nearest child-subreaper ancestor in the same pid namespace, else the
// namespace's reaper.
Task* FindNewReaper(KernelCore& k, Task* father, Task* child_reaper) {
  if (Task* thread = FindAliveThread(father)) return thread;
  if (father->signal->has_child_subreaper) {
    const int ns_level = father->thread_pid->level;
    for (Task* reaper = father->real_parent;
         reaper->thread_pid->level == ns_level; reaper = reaper->real_parent) {
      if (reaper == k.machine().idle) break;
      if (!reaper->signal->is_child_subreaper) continue;
      if (Task* thread = FindAliveThread(reaper)) return thread;
    }
  }
  return child_reaper;
}

// kernel/exit.c:reparent_leader() [5.2]. kill_orphaned_pgrp() is not
// modelled (no job control).
void ReparentLeader(KernelCore& k, Task* p, std::vector<Task*>& dead) {
  if (p->state == TaskState::kDead) return;
  p->exit_signal = kSigchld;  // "We don't want people slaying init."
  if (p->state == TaskState::kZombie && ThreadGroupEmpty(p)) {
    if (DoNotifyParent(k, p, p->exit_signal)) AddDead(dead, p);
  }
}

// kernel/exit.c:forget_original_parent() [5.2].
void ForgetOriginalParent(KernelCore& k, Task* father,
                          std::vector<Task*>& dead) {
  Task* reaper = FindChildReaper(k, father);
  if (father->children.empty()) return;
  reaper = FindNewReaper(k, father, reaper);
  k.Note(father, "kernel/exit.c:forget_original_parent()",
         "%d child(ren) to %d", father->children.size(), reaper->pid.value);
  for (Task* p : father->children) {
    for (Task* t : ThreadGroup(p)) {
      t->real_parent = reaper;
      t->parent = reaper;
    }
    if (!SameThreadGroup(reaper, father)) ReparentLeader(k, p, dead);
  }
  // list_splice_tail_init(&father->children, &reaper->children).
  reaper->children.insert(reaper->children.end(), father->children.begin(),
                          father->children.end());
  father->children.clear();
}

// kernel/exit.c:exit_notify() [5.2], with do_exit()'s exit_io_context()
// moved before the releases (a released task is destroyed at once here).
void ExitNotify(KernelCore& k, Task* tsk) {
  std::vector<Task*> dead;
  ForgetOriginalParent(k, tsk, dead);
  bool autoreap;
  if (IsThreadGroupLeader(*tsk)) {
    autoreap =
        ThreadGroupEmpty(tsk) && DoNotifyParent(k, tsk, tsk->exit_signal);
  } else {
    autoreap = true;  // a thread is released at once
  }
  ExitIoContext(k.machine(), tsk);
  if (autoreap) {
    AddDead(dead, tsk);
  } else {
    tsk->state = TaskState::kZombie;
  }
  ReleaseDead(k, dead);
}

}  // namespace

void DoExit(KernelCore& k, Task* task, int code) {
  if (RefuseExit(k, task, /*whole_group=*/false)) return;
  assert(task->state != TaskState::kZombie && task->state != TaskState::kDead);
  assert(task->signal->live > 0);
  Machine& m = k.machine();
  AbandonBlockedSyscall(k, task);
  task->flags |= kPfExiting;  // exit_signals()
  if (k.tracing()) {
    Event e;
    e.kind = EventKind::kExit;
    e.function = "kernel/exit.c:do_exit()";
    e.value = code;
    k.Record(task, std::move(e));
  }
  const bool group_dead = --task->signal->live == 0;
  task->exit_code = code;
  // exit_mm() [5.2].
  Mm* mm = task->mm;
  MmRelease(k, task, mm);
  if (mm != nullptr) {
    task->mm = nullptr;
    MmPut(m, mm);
  }
  ExitSem(m, task);
  ExitFiles(m, task);
  ExitFs(m, task);
  ExitTaskNamespaces(m, task);
  // exit_thread(): no io bitmap in the model.
  // cgroup_exit(): off its css_set's task list (no longer populating it);
  // the reference stays until the task is freed.
  if (task->cgroup != nullptr) --task->cgroup->nr_tasks;
  if (group_dead) k.Note(task, "kernel/exit.c:do_exit()", "group dead");
  ExitNotify(k, task);  // task may be gone
}

void DoGroupExit(KernelCore& k, Task* task, int code) {
  if (RefuseExit(k, task, /*whole_group=*/true)) return;
  SignalStruct* sig = task->signal;
  if (sig->group_exit) {
    code = sig->group_exit_code;
  } else if (!ThreadGroupEmpty(task->group_leader)) {
    sig->group_exit_code = code;
    sig->group_exit = true;  // SIGNAL_GROUP_EXIT
    ZapOtherThreads(k, task, code);
  }
  DoExit(k, task, code);
}

void ZapOtherThreads(KernelCore& k, Task* keep, int code) {
  std::vector<Task*> group = ThreadGroup(keep);
  std::rotate(group.begin(), group.begin() + 1, group.end());
  for (Task* t : group) {
    if (t != keep && (t->flags & kPfExiting) == 0) DoExit(k, t, code);
  }
}

// kernel/exit.c:release_task() [5.2], with __exit_signal(),
// __unhash_process() and, at once, the final put_task_struct().
void ReleaseTask(KernelCore& k, Task* p) {
  Machine& m = k.machine();
  for (;;) {
    // Only a task that has exited is released, once (EXIT_DEAD).
    assert(p->state == TaskState::kDead);
    if (k.tracing()) {
      Event e;
      e.kind = EventKind::kReap;
      e.function = "kernel/exit.c:release_task()";
      e.target = p->pid;
      k.Record(p, std::move(e));
    }
    // A dead reaper is not left behind as a dangling pointer (the kernel's
    // namespace is unusable by then; the model's may live on).
    if (PidNamespace* ns = TaskActivePidNs(p); ns->child_reaper == p) {
      ns->child_reaper = nullptr;
    }
    --p->real_cred->user->processes;
    // __exit_signal() and __unhash_process().
    const bool group_dead = IsThreadGroupLeader(*p);
    SignalStruct* sig = p->signal;
    --sig->nr_threads;
    --m.nr_threads;
    DetachPid(m, p, p->thread_pid, kPidTypePid);
    if (group_dead) {
      DetachPid(m, p, p->thread_pid, kPidTypeTgid);
      DetachPid(m, p, sig->pgrp, kPidTypePgid);
      DetachPid(m, p, sig->session, kPidTypeSid);
      Erase(m.task_list, p);
      Erase(p->real_parent->children, p);
    } else {
      Erase(p->group_leader->threads, p);
    }
    p->pending.clear();
    CleanupSighand(m, p->sighand);
    p->sighand = nullptr;
    if (group_dead) sig->shared_pending.clear();
    // The last thread of a group whose leader is a zombie notifies the
    // leader's parent, and releases the leader too if it autoreaps.
    Task* leader = p->group_leader;
    bool zap_leader = false;
    if (leader != p && ThreadGroupEmpty(leader) &&
        leader->state == TaskState::kZombie) {
      zap_leader = DoNotifyParent(k, leader, leader->exit_signal);
      if (zap_leader) leader->state = TaskState::kDead;
    }
    // put_task_struct(): exit_creds(), put_signal_struct(), the task.
    ExitCreds(m, p);
    p->signal = nullptr;
    PutSignalStruct(m, sig);
    ExitIoContext(m, p);
    PutCgroup(m, p->cgroup);  // cgroup_free() from put_task_struct()
    p->cgroup = nullptr;
    if (Registry<Task>::Release(p)) m.tasks.Destroy(p);
    if (!zap_leader) return;
    p = leader;
  }
}

// --- the syscalls ---

// kernel/exit.c:SYSCALL_DEFINE1(exit) [5.2].
SyscallOutcome SysExit(KernelCore& k, Task* current, const DecodedSyscall& d) {
  const int code = (static_cast<int>(d.arg(0)) & 0xff) << 8;
  if (RefuseExit(k, current, /*whole_group=*/false)) return Errno::kEINVAL;
  DoExit(k, current, code);
  return SyscallOutcome::Exited();
}

// kernel/exit.c:SYSCALL_DEFINE1(exit_group) [5.2].
SyscallOutcome SysExitGroup(KernelCore& k, Task* current,
                            const DecodedSyscall& d) {
  const int code = (static_cast<int>(d.arg(0)) & 0xff) << 8;
  if (RefuseExit(k, current, /*whole_group=*/true)) return Errno::kEINVAL;
  DoGroupExit(k, current, code);
  return SyscallOutcome::Exited();
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: sim/kernel/exit.cc
// -----------------------------------------------------------------------------
//
// The end of a task's life as v5.2 has it: do_exit() and exit_notify()
// (kernel/exit.c), do_notify_parent() (kernel/signal.c), release_task(),
// mm_release() (kernel/fork.c), the wait family, an execve() reduced to what
// it does to the task (fs/exec.c), and the small id syscalls. What is modelled
// and what is left out is listed in docs/lifecycle.md.
//
// Everything runs to completion inside one syscall: a task that is killed
// (exit_group, de_thread, zap_pid_ns_processes) exits at once, in a fixed
// order, where the kernel would let it run to its next signal check.

#include "sim/kernel/exit.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/machine.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"
#include "model/kernel/shared.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/syscalls.h"

namespace forksim {
namespace {

// Signals the exit path names (arch/x86/include/uapi/asm/signal.h [5.2]).
constexpr int kSigcont = 18;
constexpr int kSigstop = 19;
constexpr int kSigurg = 23;
constexpr int kSigwinch = 28;
constexpr int kSigrtmin = 32;

// wait options (include/uapi/linux/wait.h [5.2]).
constexpr uint32_t kWnohang = 0x00000001;
constexpr uint32_t kWuntraced = 0x00000002;  // also WSTOPPED
constexpr uint32_t kWstopped = kWuntraced;
constexpr uint32_t kWexited = 0x00000004;
constexpr uint32_t kWcontinued = 0x00000008;
constexpr uint32_t kWnowait = 0x01000000;
constexpr uint32_t kWnothread = 0x20000000;
constexpr uint32_t kWall = 0x40000000;
constexpr uint32_t kWclone = 0x80000000;

// waitid idtypes (include/uapi/linux/wait.h [5.2]; P_PIDFD is [5.3]).
constexpr int kPAll = 0;
constexpr int kPPid = 1;
constexpr int kPPgid = 2;

// si_code values for SIGCHLD (include/uapi/asm-generic/siginfo.h [5.2]).
constexpr int kCldExited = 1;
constexpr int kCldKilled = 2;
constexpr int kCldDumped = 3;

// overflowuid (kernel/sys.c [5.2]): what from_kuid_munged() gives for an
// unmapped id.
constexpr uint32_t kOverflowUid = 65534;

// wo_type PIDTYPE_MAX: any child.
constexpr int kWaitAny = kPidTypeMax;

std::string SignalName(int sig) {
  switch (sig) {
    case kSigkill:
      return "SIGKILL";
    case kSigchld:
      return "SIGCHLD";
    default:
      return absl::StrFormat("signal %d", sig);
  }
}

// The thread group of `task` in for_each_thread() order: the leader, then
// the other threads in creation order (signal->thread_head [5.2]).
std::vector<Task*> ThreadGroup(const Task* task) {
  Task* leader = task->group_leader;
  std::vector<Task*> group{leader};
  group.insert(group.end(), leader->threads.begin(), leader->threads.end());
  return group;
}

// include/linux/sched/signal.h:thread_group_empty() [5.2], for a leader.
bool ThreadGroupEmpty(const Task* leader) { return leader->threads.empty(); }

bool SameThreadGroup(const Task* a, const Task* b) {
  return a->group_leader == b->group_leader;
}

// kernel/exit.c:delay_group_leader() [5.2]: a zombie leader is not reaped
// while other threads of its group are still there.
bool DelayGroupLeader(const Task* p) {
  return IsThreadGroupLeader(*p) && !ThreadGroupEmpty(p);
}

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

void Replace(std::vector<Task*>& list, Task* from, Task* to) {
  std::replace(list.begin(), list.end(), from, to);
}

// from_kuid_munged(ns, kuid) (kernel/user_namespace.c [5.2]): the id inside
// `ns`, or overflowuid. The model's maps hold kernel ids (docs/model.md).
uint32_t FromKuidMunged(const UserNamespace* ns, uint32_t kuid) {
  if (ns->parent == nullptr) return kuid;  // init_user_ns: the identity
  for (const IdMapExtent& e : ns->uid_map) {
    if (kuid >= e.lower_first && kuid - e.lower_first < e.count) {
      return e.first + (kuid - e.lower_first);
    }
  }
  return kOverflowUid;
}

// The ABI's user layouts for the wait family.
struct WaitLayout {
  uint32_t rusage_size;  // struct rusage, or compat_rusage for ia32
  uint32_t si_pid, si_uid, si_status;
};
constexpr uint32_t kSiginfoSize = 128;  // SI_MAX_SIZE, every ABI

WaitLayout WaitLayoutFor(const Task* task) {
  // 14 longs and two timevals: 144 bytes with 8-byte longs (x86-64), 72 with
  // 4-byte ones (put_compat_rusage() for ia32, the native struct on i386).
  // siginfo's union starts at 16 on x86-64 (it holds 8-byte members) and at
  // 12 on 32-bit.
  if (AbiInfoFor(task->abi).user_word_bytes == 8) return {144, 16, 20, 24};
  return {72, 12, 16, 20};
}

// copy_to_user() of `size` zero bytes. True when everything was copied.
bool CopyZerosToUser(Kernel& k, Task* task, uint64_t addr, uint32_t size,
                     std::string_view what) {
  const std::vector<uint8_t> zeros(size, 0);
  return k.CopyToUser(task, addr, zeros, what) == 0;
}

// A task that is killed while it sleeps in a syscall (vfork, wait) never
// returns from it: wait_for_vfork_done() and do_wait() see the fatal signal.
void AbandonBlockedSyscall(Kernel& k, Task* task) {
  if (task == k.current() || !k.IsBlocked(task)) return;
  k.Unblock(task);
  k.Emit(Event::Kind::kNote, task, "kernel/exit.c:do_exit()",
         "killed while blocked: the syscall never returns");
}

// Whether the exit would take down the last thread of init_pid_ns's reaper:
// kernel/exit.c:find_child_reaper() panics ("Attempted to kill init!").
bool ExitKillsGlobalInit(const Kernel& k, const Task* task, bool whole_group) {
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

bool RefuseExit(Kernel& k, Task* task, bool whole_group) {
  if (task == k.machine().idle) {
    k.Emit(Event::Kind::kNote, task, "kernel/exit.c:do_exit()",
           "refused: the kernel panics (Attempted to kill the idle task!)");
    return true;
  }
  if (ExitKillsGlobalInit(k, task, whole_group)) {
    k.Emit(Event::Kind::kNote, task, "kernel/exit.c:find_child_reaper()",
           "refused: the kernel panics (Attempted to kill init!)");
    return true;
  }
  if (task->flags & kPfExiting) {
    k.Emit(Event::Kind::kNote, task, "kernel/exit.c:do_exit()",
           "refused: the task is already exiting");
    return true;
  }
  return false;
}

// --- signals ---

// kernel/signal.c:sig_ignored() and sig_task_ignored() [5.2] for a signal
// the kernel generates with a siginfo (force = false). The model has no
// blocked mask, so nothing is blocked.
bool SigIgnored(const Machine& m, const Task* t, int sig) {
  if (t->ptrace != 0 && sig != kSigkill) return false;
  const uint64_t handler = t->sighand->action[sig - 1].handler;
  const bool kernel_only = sig == kSigkill || sig == kSigstop;
  if (SameThreadGroup(t, m.init) && kernel_only) return true;  // global init
  if ((t->signal->flags & kSignalUnkillable) && handler == kSigDfl) {
    return true;
  }
  // sig_handler_ignored(): SIG_IGN, or SIG_DFL whose default is to ignore.
  const bool default_ignore =
      sig == kSigcont || sig == kSigchld || sig == kSigwinch || sig == kSigurg;
  return handler == kSigIgn || (handler == kSigDfl && default_ignore);
}

// kernel/signal.c:__group_send_sig_info() [5.2] as do_notify_parent() uses
// it: prepare_signal() drops an ignored signal, legacy_queue() keeps one
// instance of a non-realtime signal, and the rest is queued on the group's
// shared_pending. Delivery (complete_signal) is not modelled.
void GroupSendSig(Kernel& k, const Task* from, Task* to, int sig) {
  const std::string target =
      absl::StrFormat("%s to %d", SignalName(sig), to->pid.value);
  if (SigIgnored(k.machine(), to, sig)) {
    k.Emit(Event::Kind::kNote, from, "kernel/signal.c:prepare_signal()",
           target + ": ignored, not queued");
    return;
  }
  std::vector<int>& pending = to->signal->shared_pending;
  if (sig < kSigrtmin &&
      std::find(pending.begin(), pending.end(), sig) != pending.end()) {
    k.Emit(Event::Kind::kNote, from, "kernel/signal.c:__send_signal()",
           target + ": already pending");
    return;
  }
  pending.push_back(sig);
  k.Emit(Event::Kind::kSignal, from, "kernel/signal.c:__send_signal()",
         target + " (shared_pending)", sig);
}

// kernel/signal.c:do_notify_parent() [5.2]. Returns autoreap. The model
// notifies the real parent: ptrace is not modelled on the exit path.
bool DoNotifyParent(Kernel& k, Task* tsk, int sig) {
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
  if (k.tracing()) {
    k.Emit(Event::Kind::kNote, tsk, "kernel/signal.c:do_notify_parent()",
           absl::StrFormat("parent %d, signal %d%s", parent->pid.value, sig,
                           autoreap ? ", autoreap" : ""));
  }
  if (sig > 0 && sig <= kNsig) GroupSendSig(k, tsk, parent, sig);
  // __wake_up_parent(): the parent's wait is re-polled after the syscall.
  return autoreap;
}

// --- wait ---

struct WaitOpts {
  int type = kWaitAny;  // kPidTypePid, kPidTypePgid or kWaitAny
  // The struct pid find_get_pid() returned, by serial (the kernel holds a
  // reference; the model looks it up again, so a freed pid reads as one with
  // no tasks). 0: none was found.
  uint64_t pid_serial = 0;
  uint32_t flags = 0;
};

// struct waitid_info (kernel/exit.c [5.2]).
struct WaitidInfo {
  int pid = 0;
  uint32_t uid = 0;
  int status = 0;
  int cause = 0;
};

struct WaitResult {
  bool block = false;  // nothing ready and no WNOHANG
  int64_t ret = 0;     // the pid, 0 or -errno
  int stat = 0;        // wo_stat
  WaitidInfo info;
};

Pid* FindPidBySerial(const Machine& m, uint64_t serial) {
  return m.pids.Find(serial);
}

uint64_t FindGetPid(const Task* current, int nr) {
  // find_vpid(): the number in the caller's active pid namespace.
  const Pid* pid = TaskActivePidNs(current)->idr.Find(nr);
  return pid != nullptr ? pid->serial : 0;
}

// kernel/exit.c:eligible_pid() and eligible_child() [5.2].
bool EligibleChild(const WaitOpts& wo, const Pid* wo_pid, const Task* p) {
  if (wo.type == kPidTypePid && p->thread_pid != wo_pid) return false;
  if (wo.type == kPidTypePgid && p->signal->pgrp != wo_pid) return false;
  if (wo.flags & kWall) return true;
  // A "clone" child reports with a signal other than SIGCHLD; it is seen
  // only with __WCLONE, and then the others are not.
  const bool clone_child = p->exit_signal != kSigchld;
  const bool want_clone = (wo.flags & kWclone) != 0;
  return clone_child == want_clone;
}

// kernel/exit.c:wait_task_zombie() [5.2]. False when the zombie is not of
// interest (WEXITED not asked); otherwise r.ret is its pid as the caller sees
// it, and without WNOWAIT it has been released.
bool WaitTaskZombie(Kernel& k, Task* current, const WaitOpts& wo, Task* p,
                    WaitResult& r) {
  if ((wo.flags & kWexited) == 0) return false;
  const int pid = TaskPidVnr(p, current).value;
  const uint32_t uid =
      FromKuidMunged(current->cred->user_ns, p->real_cred->uid);
  int status;
  if (wo.flags & kWnowait) {
    // Left as it is; note that WNOWAIT reports the task's own exit_code.
    status = p->exit_code;
  } else {
    status = p->signal->group_exit ? p->signal->group_exit_code : p->exit_code;
    r.stat = status;
    p->state = TaskState::kDead;
    if (k.tracing()) {
      k.Emit(Event::Kind::kNote, current, "kernel/exit.c:wait_task_zombie()",
             absl::StrFormat("reaps %d, status 0x%x", p->pid.value, status));
    }
    ReleaseTask(k, p);  // p is gone
  }
  if ((status & 0x7f) == 0) {
    r.info.cause = kCldExited;
    r.info.status = status >> 8;
  } else {
    r.info.cause = (status & 0x80) ? kCldDumped : kCldKilled;
    r.info.status = status & 0x7f;
  }
  r.info.pid = pid;
  r.info.uid = uid;
  r.ret = pid;
  return true;
}

// kernel/exit.c:do_wait() [5.2], one pass: returns with block = true where
// the kernel would schedule() and repeat. Stopped and continued children are
// not modelled, so only zombies are reported.
WaitResult DoWait(Kernel& k, Task* current, const WaitOpts& wo) {
  WaitResult r;
  const int64_t echild = SyscallError(Errno::kECHILD);
  const Pid* wo_pid = nullptr;
  if (wo.type != kWaitAny) {
    wo_pid = wo.pid_serial != 0 ? FindPidBySerial(k.machine(), wo.pid_serial)
                                : nullptr;
    if (wo_pid == nullptr || wo_pid->tasks[wo.type].empty()) {
      r.ret = echild;
      return r;
    }
  }
  int64_t notask_error;
  for (bool rescan = true; rescan;) {
    rescan = false;
    notask_error = echild;
    // while_each_thread(current, tsk): every thread's children, starting
    // with the caller's own.
    const std::vector<Task*> group = ThreadGroup(current);
    const size_t start =
        std::find(group.begin(), group.end(), current) - group.begin();
    for (size_t i = 0; i < group.size() && !rescan; ++i) {
      Task* tsk = group[(start + i) % group.size()];
      for (Task* p : tsk->children) {
        // wait_consider_task() [5.2].
        if (p->state == TaskState::kDead) continue;
        if (!EligibleChild(wo, wo_pid, p)) continue;
        if (p->state == TaskState::kZombie && !DelayGroupLeader(p)) {
          // WEXITED not asked: the zombie is skipped, notask_error stays.
          if (!WaitTaskZombie(k, current, wo, p, r)) continue;
          if (r.ret != 0) return r;
          // Reaped but invisible to the caller (pid 0): the kernel goes on
          // scanning; the list has changed, so start again.
          rescan = true;
          break;
        }
        // A live child, or a zombie leader waiting for its threads: there
        // is something to wait for.
        notask_error = 0;
      }
      if (wo.flags & kWnothread) break;
    }
  }
  r.ret = notask_error;
  if (r.ret == 0 && (wo.flags & kWnohang) == 0) r.block = true;
  return r;
}

// kernel/exit.c:kernel_wait4() after do_wait(), and sys_wait4() [5.2]. The
// child is already reaped when a write faults.
int64_t FinishWait4(Kernel& k, Task* current, const WaitResult& r,
                    uint64_t stat_addr, uint64_t ru) {
  int64_t ret = r.ret;
  if (ret > 0 && stat_addr != 0 &&
      !k.PutUser(current, stat_addr, 4, static_cast<uint32_t>(r.stat),
                 "*stat_addr")
           .ok()) {
    ret = SyscallError(Errno::kEFAULT);
  }
  if (ret > 0 && ru != 0 &&
      !CopyZerosToUser(k, current, ru, WaitLayoutFor(current).rusage_size,
                       "struct rusage")) {
    return SyscallError(Errno::kEFAULT);
  }
  return ret;
}

// SYSCALL_DEFINE5(waitid) / COMPAT_SYSCALL_DEFINE5(waitid) after
// kernel_waitid() [5.2]: the siginfo fields are written whatever the outcome,
// zeros included (also for an error such as EINVAL or ECHILD).
int64_t FinishWaitid(Kernel& k, Task* current, int64_t err,
                     const WaitidInfo& info, uint64_t infop, uint64_t ru) {
  int signo = 0;
  if (err > 0) {
    signo = kSigchld;
    err = 0;
    if (ru != 0 &&
        !CopyZerosToUser(k, current, ru, WaitLayoutFor(current).rusage_size,
                         "struct rusage")) {
      return SyscallError(Errno::kEFAULT);
    }
  }
  if (infop == 0) return err;
  // user_access_begin(infop, sizeof(*infop)): access_ok() of the whole
  // siginfo, then one unsafe_put_user() per field.
  if (current->mm == nullptr ||
      !current->mm->memory->AccessOk(infop, kSiginfoSize)) {
    return SyscallError(Errno::kEFAULT);
  }
  const WaitLayout layout = WaitLayoutFor(current);
  const std::pair<uint32_t, uint32_t> fields[] = {
      {0, static_cast<uint32_t>(signo)},
      {4, 0},
      {8, static_cast<uint32_t>(info.cause)},
      {layout.si_pid, static_cast<uint32_t>(info.pid)},
      {layout.si_uid, info.uid},
      {layout.si_status, static_cast<uint32_t>(info.status)},
  };
  const char* names[] = {"si_signo", "si_errno", "si_code",
                         "si_pid",   "si_uid",   "si_status"};
  for (int i = 0; i < 6; ++i) {
    if (!k.PutUser(current, infop + fields[i].first, 4, fields[i].second,
                   absl::StrFormat("infop->%s", names[i]))
             .ok()) {
      return SyscallError(Errno::kEFAULT);
    }
  }
  return err;
}

// --- exit_notify ---

void ReleaseDead(Kernel& k, std::vector<Task*>& dead) {
  for (Task* p : dead) ReleaseTask(k, p);
  dead.clear();
}

// list_add(&p->ptrace_entry, dead): at the front, so the last added is
// released first.
void AddDead(std::vector<Task*>& dead, Task* p) {
  p->state = TaskState::kDead;
  dead.insert(dead.begin(), p);
}

void KillGroup(Kernel& k, Task* task, int sig);

// kernel/pid_namespace.c:zap_pid_ns_processes() [5.2], run to completion.
void ZapPidNsProcesses(Kernel& k, Task* father, PidNamespace* ns) {
  // disable_pid_allocation(): no more processes in this namespace.
  ns->pid_allocated &= ~kPidnsAdding;
  if (k.tracing()) {
    k.Emit(Event::Kind::kNote, father,
           "kernel/pid_namespace.c:zap_pid_ns_processes()",
           absl::StrFormat("pid namespace level %d: allocation disabled, "
                           "SIGKILL to every other task",
                           ns->level));
  }
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
    if (r.ret > 0) continue;
    if (r.ret == 0) {
      k.Emit(Event::Kind::kNote, father,
             "kernel/pid_namespace.c:zap_pid_ns_processes()",
             "a child is still running; the kernel would wait for it");
    }
    break;
  }
  const uint32_t init_pids = IsThreadGroupLeader(*father) ? 1 : 2;
  if (ns->pid_allocated != init_pids) {
    if (k.tracing()) {
      k.Emit(Event::Kind::kNote, father,
             "kernel/pid_namespace.c:zap_pid_ns_processes()",
             absl::StrFormat("%d pids left; the kernel would wait for them",
                             ns->pid_allocated));
    }
  }
}

// kernel/exit.c:find_child_reaper() [5.2].
Task* FindChildReaper(Kernel& k, Task* father) {
  PidNamespace* ns = TaskActivePidNs(father);
  Task* reaper = ns->child_reaper;
  if (reaper == nullptr) {
    // Only a namespace whose reaper was never set or already released; the
    // kernel cannot get here. Fall back to init.
    k.Emit(Event::Kind::kNote, father, "kernel/exit.c:find_child_reaper()",
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
Task* FindNewReaper(Kernel& k, Task* father, Task* child_reaper) {
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
void ReparentLeader(Kernel& k, Task* p, std::vector<Task*>& dead) {
  if (p->state == TaskState::kDead) return;
  p->exit_signal = kSigchld;  // "We don't want people slaying init."
  if (p->state == TaskState::kZombie && ThreadGroupEmpty(p)) {
    if (DoNotifyParent(k, p, p->exit_signal)) AddDead(dead, p);
  }
}

// kernel/exit.c:forget_original_parent() [5.2].
void ForgetOriginalParent(Kernel& k, Task* father, std::vector<Task*>& dead) {
  Task* reaper = FindChildReaper(k, father);
  if (father->children.empty()) return;
  reaper = FindNewReaper(k, father, reaper);
  if (k.tracing()) {
    k.Emit(Event::Kind::kNote, father, "kernel/exit.c:forget_original_parent()",
           absl::StrFormat("%d child(ren) to %d", father->children.size(),
                           reaper->pid.value));
  }
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
void ExitNotify(Kernel& k, Task* tsk) {
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

// Kills every thread of `task`'s group with `code` as the group exit code:
// complete_signal() for a fatal signal, then each thread's exit. The other
// threads go first, in creation order, then the leader.
void KillGroup(Kernel& k, Task* task, int sig) {
  SignalStruct* signal = task->signal;
  signal->group_exit = true;  // SIGNAL_GROUP_EXIT
  signal->group_exit_code = sig;
  if (k.tracing()) {
    k.Emit(Event::Kind::kSignal, task, "kernel/signal.c:complete_signal()",
           absl::StrFormat("%s to the group of %d", SignalName(sig),
                           task->tgid.value),
           sig);
  }
  std::vector<Task*> group = ThreadGroup(task);
  std::rotate(group.begin(), group.begin() + 1, group.end());
  for (Task* t : group) {
    if ((t->flags & kPfExiting) == 0) DoExit(k, t, sig);
  }
}

// zap_other_threads() followed by each victim's exit (with the group exit
// code, as get_signal() makes them call do_group_exit()). Non-leaders first,
// the leader last, `keep` never.
void ZapOtherThreads(Kernel& k, Task* keep, int code) {
  std::vector<Task*> group = ThreadGroup(keep);
  std::rotate(group.begin(), group.begin() + 1, group.end());
  for (Task* t : group) {
    if (t != keep && (t->flags & kPfExiting) == 0) DoExit(k, t, code);
  }
}

// --- execve ---

// fs/exec.c:de_thread() [5.2] after the other threads have gone: a thread
// that execs takes over the leader's pid, and the old leader is released.
void TakeOverLeader(Kernel& k, Task* tsk) {
  Machine& m = k.machine();
  Task* leader = tsk->group_leader;
  leader->state = TaskState::kDead;
  Pid* old_pid = tsk->thread_pid;
  Pid* leader_pid = leader->thread_pid;
  if (k.tracing()) {
    k.Emit(
        Event::Kind::kNote, tsk, "fs/exec.c:de_thread()",
        absl::StrFormat("takes over the leader's pid %d", leader->pid.value));
  }
  // change_pid(tsk, PIDTYPE_PID, task_pid(leader)).
  tsk->pid = leader->pid;
  DetachPid(m, tsk, old_pid, kPidTypePid);
  tsk->thread_pid = leader_pid;
  AttachPid(tsk, leader_pid, kPidTypePid);
  // transfer_pid() for TGID, PGID and SID.
  Replace(leader_pid->tasks[kPidTypeTgid], leader, tsk);
  Replace(tsk->signal->pgrp->tasks[kPidTypePgid], leader, tsk);
  Replace(tsk->signal->session->tasks[kPidTypeSid], leader, tsk);
  // list_replace_rcu(tasks), list_replace_init(sibling).
  Replace(m.task_list, leader, tsk);
  Replace(leader->real_parent->children, leader, tsk);
  tsk->real_parent = leader->real_parent;
  tsk->parent = leader->parent;
  tsk->group_leader = tsk;
  leader->group_leader = tsk;
  tsk->threads = {leader};
  leader->threads.clear();
  tsk->exit_signal = kSigchld;
  leader->exit_signal = -1;
  ReleaseTask(k, leader);
}

// fs/exec.c:de_thread() [5.2].
SysStatus DeThread(Kernel& k, Task* tsk) {
  if (!ThreadGroupEmpty(tsk->group_leader)) {
    // Another group action (exit_group, a fatal signal) is in progress.
    if (tsk->signal->group_exit) return Errno::kEAGAIN;
    k.Emit(Event::Kind::kNote, tsk, "fs/exec.c:de_thread()",
           "kills the other threads");
    ZapOtherThreads(k, tsk, tsk->signal->group_exit_code);
    if (!IsThreadGroupLeader(*tsk)) TakeOverLeader(k, tsk);
  }
  tsk->exit_signal = kSigchld;  // "we have changed execution domain"
  Sighand* old = tsk->sighand;
  if (old->refcount != 1) {
    // Shared with a CLONE_SIGHAND process that is not a thread: a copy.
    FORKSIM_TRY(k.machine().faults.Check(
        "fs/exec.c:de_thread() kmem_cache_alloc", Errno::kENOMEM));
    Sighand* copy = k.machine().sighands.Create();
    copy->action = old->action;
    tsk->sighand = copy;
    CleanupSighand(k.machine(), old);
  }
  return SysOk();
}

// fs/exec.c:do_close_on_exec() [5.2]: each nonzero close_on_exec word is
// cleared, and every fd of it with a file installed is closed.
void DoCloseOnExec(Machine& m, FilesStruct& files) {
  const uint32_t bits = files.close_on_exec.bits_per_word();
  for (size_t i = 0; i < files.close_on_exec.words(); ++i) {
    uint64_t set = files.close_on_exec.word(i);
    if (set == 0) continue;
    files.close_on_exec.set_word(i, 0);
    for (uint32_t fd = static_cast<uint32_t>(i) * bits; set != 0;
         ++fd, set >>= 1) {
      if ((set & 1) == 0 || FdLookup(files, static_cast<int>(fd)) == nullptr) {
        continue;
      }
      (void)CloseFd(m.fd_env(), files, static_cast<int>(fd));
    }
  }
}

// kernel/signal.c:flush_signal_handlers(t, 0) [5.2].
void FlushSignalHandlers(Task* t) {
  for (SigAction& action : t->sighand->action) {
    if (action.handler != kSigIgn) action.handler = kSigDfl;
    action.flags = 0;
    action.mask = 0;
  }
}

}  // namespace

// kernel/fork.c:mm_release() [5.2]: robust futexes and the pi state list are
// not modelled; CLONE_CHILD_CLEARTID and the vfork completion are.
void MmRelease(Kernel& k, Task* task, Mm* mm) {
  if (task->clear_child_tid != 0) {
    // Only when someone else still uses the mm (a thread, a CLONE_VM
    // child, a vfork parent). No core dumps are modelled.
    if (mm != nullptr && mm->refcount > 1) {
      // put_user(0, tsk->clear_child_tid): the error is not checked.
      (void)k.PutUser(task, task->clear_child_tid, 4, 0, "*clear_child_tid");
      if (k.tracing()) {
        k.Emit(Event::Kind::kNote, task, "kernel/fork.c:mm_release()",
               absl::StrFormat("futex wake 0x%x", task->clear_child_tid));
      }
    }
    task->clear_child_tid = 0;
  }
  if (task->vfork_pending) {
    // kernel/fork.c:complete_vfork_done() [5.2].
    task->vfork_pending = false;
    k.Emit(Event::Kind::kNote, task, "kernel/fork.c:complete_vfork_done()",
           "the vfork parent may return");
  }
}

// kernel/exit.c:do_exit() [5.2].
void DoExit(Kernel& k, Task* task, int code) {
  if (RefuseExit(k, task, /*whole_group=*/false)) return;
  Machine& m = k.machine();
  AbandonBlockedSyscall(k, task);
  task->flags |= kPfExiting;  // exit_signals()
  if (k.tracing()) {
    k.Emit(Event::Kind::kExit, task, "kernel/exit.c:do_exit()",
           absl::StrFormat("code 0x%x", code), code);
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
  if (group_dead) {
    k.Emit(Event::Kind::kNote, task, "kernel/exit.c:do_exit()", "group dead");
  }
  ExitNotify(k, task);  // task may be gone
}

// kernel/exit.c:do_group_exit() [5.2].
void DoGroupExit(Kernel& k, Task* task, int code) {
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

// kernel/exit.c:release_task() [5.2], with __exit_signal(),
// __unhash_process() and, at once, the final put_task_struct().
void ReleaseTask(Kernel& k, Task* p) {
  Machine& m = k.machine();
  for (;;) {
    k.Emit(Event::Kind::kReap, p, "kernel/exit.c:release_task()", "",
           p->pid.value);
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
    if (Registry<Task>::Release(p)) m.tasks.Destroy(p);
    if (!zap_leader) return;
    p = leader;
  }
}

// --- the syscalls ---

// kernel/exit.c:SYSCALL_DEFINE1(exit) [5.2].
int64_t SysExit(Kernel& k, Task* current, const DecodedSyscall& d) {
  const int code = (static_cast<int>(d.arg(0)) & 0xff) << 8;
  if (RefuseExit(k, current, /*whole_group=*/false)) {
    return SyscallError(Errno::kEINVAL);
  }
  DoExit(k, current, code);
  return kNoReturn;
}

// kernel/exit.c:SYSCALL_DEFINE1(exit_group) [5.2].
int64_t SysExitGroup(Kernel& k, Task* current, const DecodedSyscall& d) {
  const int code = (static_cast<int>(d.arg(0)) & 0xff) << 8;
  if (RefuseExit(k, current, /*whole_group=*/true)) {
    return SyscallError(Errno::kEINVAL);
  }
  DoGroupExit(k, current, code);
  return kNoReturn;
}

// kernel/exit.c:kernel_wait4() and SYSCALL_DEFINE4(wait4) [5.2]; the compat
// entry differs only in the rusage it writes.
int64_t SysWait4(Kernel& k, Task* current, const DecodedSyscall& d) {
  const int upid = static_cast<int>(d.arg(0));
  const uint64_t stat_addr = d.arg(1);
  const uint32_t options = static_cast<uint32_t>(d.arg(2));
  const uint64_t ru = d.arg(3);
  if (options &
      ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWclone | kWall)) {
    return SyscallError(Errno::kEINVAL);
  }
  if (upid == INT_MIN) return SyscallError(Errno::kESRCH);  // -INT_MIN
  WaitOpts wo;
  if (upid == -1) {
    wo.type = kWaitAny;
  } else if (upid < 0) {
    wo.type = kPidTypePgid;
    wo.pid_serial = FindGetPid(current, -upid);
  } else if (upid == 0) {
    wo.type = kPidTypePgid;
    wo.pid_serial = current->signal->pgrp->serial;
  } else {
    wo.type = kPidTypePid;
    wo.pid_serial = FindGetPid(current, upid);
  }
  wo.flags = options | kWexited;
  const WaitResult r = DoWait(k, current, wo);
  if (!r.block) return FinishWait4(k, current, r, stat_addr, ru);
  k.Block(current, Sysno::kWait4,
          [&k, wo, stat_addr, ru]() -> std::optional<int64_t> {
            Task* self = k.current();
            const WaitResult again = DoWait(k, self, wo);
            if (again.block) return std::nullopt;
            return FinishWait4(k, self, again, stat_addr, ru);
          });
  return 0;
}

// kernel/exit.c:kernel_waitid() and SYSCALL_DEFINE5(waitid) [5.2].
int64_t SysWaitid(Kernel& k, Task* current, const DecodedSyscall& d) {
  const int which = static_cast<int>(d.arg(0));
  const int upid = static_cast<int>(d.arg(1));
  const uint64_t infop = d.arg(2);
  const uint32_t options = static_cast<uint32_t>(d.arg(3));
  const uint64_t ru = d.arg(4);
  const WaitidInfo none;
  auto fail = [&](Errno e) {
    return FinishWaitid(k, current, SyscallError(e), none, infop, ru);
  };
  if (options & ~(kWnohang | kWnowait | kWexited | kWstopped | kWcontinued |
                  kWnothread | kWclone | kWall)) {
    return fail(Errno::kEINVAL);
  }
  if ((options & (kWexited | kWstopped | kWcontinued)) == 0) {
    return fail(Errno::kEINVAL);
  }
  WaitOpts wo;
  switch (which) {
    case kPAll:
      wo.type = kWaitAny;
      break;
    case kPPid:
      if (upid <= 0) return fail(Errno::kEINVAL);
      wo.type = kPidTypePid;
      break;
    case kPPgid:
      if (upid <= 0) return fail(Errno::kEINVAL);
      wo.type = kPidTypePgid;
      break;
    default:  // P_PIDFD (3) is [5.3]
      return fail(Errno::kEINVAL);
  }
  if (wo.type != kWaitAny) wo.pid_serial = FindGetPid(current, upid);
  wo.flags = options;
  const WaitResult r = DoWait(k, current, wo);
  if (!r.block) return FinishWaitid(k, current, r.ret, r.info, infop, ru);
  k.Block(current, Sysno::kWaitid,
          [&k, wo, infop, ru]() -> std::optional<int64_t> {
            Task* self = k.current();
            const WaitResult again = DoWait(k, self, wo);
            if (again.block) return std::nullopt;
            return FinishWaitid(k, self, again.ret, again.info, infop, ru);
          });
  return 0;
}

// fs/exec.c:__do_execve_file() [5.2] reduced to what it does to the task:
// no file is opened and no binary loaded (the filename, argv and envp are
// not read), and the new mm is empty.
int64_t SysExecve(Kernel& k, Task* current, const DecodedSyscall& /*d*/) {
  Machine& m = k.machine();
  // The RLIMIT_NPROC recheck moved here from set*uid().
  if ((current->flags & kPfNprocExceeded) &&
      static_cast<uint64_t>(current->cred->user->processes) >
          current->signal->rlim[kRlimitNproc].cur) {
    return SyscallError(Errno::kEAGAIN);
  }
  current->flags &= ~kPfNprocExceeded;
  // unshare_files(): a shared fd table is copied first.
  FilesStruct* displaced = nullptr;
  if (current->files != nullptr && current->files->refcount > 1) {
    SysResult<FilesStruct*> copy = DupFd(m.fd_env(), *current->files);
    if (!copy.ok()) return SyscallError(copy.error());
    displaced = current->files;
    current->files = copy.value();
  }
  auto restore_files = [&] {
    // reset_files_struct(displaced).
    if (displaced == nullptr) return;
    PutFilesStruct(m.fd_env(), current->files);
    current->files = displaced;
  };
  // bprm_mm_init(): the new, empty mm.
  if (SysStatus s =
          m.faults.Check("fs/exec.c:bprm_mm_init() mm_alloc", Errno::kENOMEM);
      !s.ok()) {
    restore_files();
    return SyscallError(s.error());
  }
  Mm* new_mm = NewMm(m);
  // flush_old_exec(): the point of no return is after de_thread().
  if (SysStatus s = DeThread(k, current); !s.ok()) {
    MmPut(m, new_mm);
    restore_files();
    return SyscallError(s.error());
  }
  // exec_mmap(): the old mm is released (CLEARTID, the vfork parent).
  Mm* old_mm = current->mm;
  MmRelease(k, current, old_mm);
  current->mm = new_mm;
  if (old_mm != nullptr) MmPut(m, old_mm);
  current->flags &= ~(kPfForknoexec | kPfKthread);
  if (current->files != nullptr) DoCloseOnExec(m, *current->files);
  // setup_new_exec().
  ++current->self_exec_id;
  FlushSignalHandlers(current);
  if (displaced != nullptr) PutFilesStruct(m.fd_env(), displaced);
  if (k.tracing()) {
    k.Emit(Event::Kind::kNote, current, "fs/exec.c:__do_execve_file()",
           absl::StrFormat("exec'd: new mm, self_exec_id %d",
                           current->self_exec_id));
  }
  return 0;
}

// kernel/sys.c:SYSCALL_DEFINE0(getpid) [5.2].
int64_t SysGetpid(Kernel& /*k*/, Task* current, const DecodedSyscall&) {
  return TaskTgidVnr(current, current).value;
}

// kernel/sys.c:SYSCALL_DEFINE0(gettid) [5.2].
int64_t SysGettid(Kernel& /*k*/, Task* current, const DecodedSyscall&) {
  return TaskPidVnr(current, current).value;
}

// kernel/sys.c:SYSCALL_DEFINE0(getppid) [5.2]: 0 when the parent is outside
// the caller's pid namespace.
int64_t SysGetppid(Kernel& /*k*/, Task* current, const DecodedSyscall&) {
  return TaskTgidVnr(current->real_parent, current).value;
}

// fs/open.c:SYSCALL_DEFINE1(close) [5.2].
int64_t SysClose(Kernel& k, Task* current, const DecodedSyscall& d) {
  if (current->files == nullptr) return SyscallError(Errno::kEBADF);
  const SysStatus s =
      CloseFd(k.machine().fd_env(), *current->files,
              static_cast<int>(static_cast<uint32_t>(d.arg(0))));
  return s.ok() ? 0 : SyscallError(s.error());
}

}  // namespace forksim

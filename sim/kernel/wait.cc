#include "sim/kernel/wait.h"

#include <algorithm>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "model/kernel/cred.h"
#include "model/kernel/pid.h"
#include "sim/kernel/core.h"
#include "sim/kernel/exit.h"
#include "sim/kernel/syscalls.h"
#include "sim/kernel/waits.h"

namespace forksim {
namespace {

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
bool CopyZerosToUser(KernelCore& k, Task* task, uint64_t addr, uint32_t size,
                     std::string_view field) {
  const std::vector<uint8_t> zeros(size, 0);
  return k.CopyToUser(task, addr, zeros, field) == 0;
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

// kernel/exit.c:delay_group_leader() [5.2].
bool DelayGroupLeader(const Task* p) {
  return IsThreadGroupLeader(*p) && !ThreadGroupEmpty(p);
}

// kernel/exit.c:wait_task_zombie() [5.2]. False when the zombie is not of
// interest (WEXITED not asked); otherwise r.ret is its pid as the caller sees
// it, and without WNOWAIT it has been released.
bool WaitTaskZombie(KernelCore& k, Task* current, const WaitOpts& wo, Task* p,
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
    k.Note(current, "kernel/exit.c:wait_task_zombie()", "reaps %d, status 0x%x",
           p->pid.value, status);
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

}  // namespace

WaitResult DoWait(KernelCore& k, Task* current, const WaitOpts& wo) {
  WaitResult r;
  const Pid* wo_pid = nullptr;
  if (wo.type != kWaitAny) {
    wo_pid =
        wo.pid_serial != 0 ? k.machine().pids.Find(wo.pid_serial) : nullptr;
    if (wo_pid == nullptr || wo_pid->tasks[wo.type].empty()) {
      r.ret = Errno::kECHILD;
      return r;
    }
  }
  SysResult<int> notask_error = Errno::kECHILD;
  for (bool rescan = true; rescan;) {
    rescan = false;
    notask_error = Errno::kECHILD;
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
          if (r.ret.value() != 0) return r;
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
  if (r.ret.ok() && (wo.flags & kWnohang) == 0) r.block = true;
  return r;
}

// kernel/exit.c:kernel_wait4() after do_wait(), and sys_wait4() [5.2]. The
// child is already reaped when a write faults.
SyscallOutcome FinishWait4(KernelCore& k, Task* current, const WaitResult& r,
                           uint64_t stat_addr, uint64_t ru) {
  FORKSIM_ASSIGN_OR_RETURN(const int pid, r.ret);
  SyscallOutcome result = pid;
  if (pid > 0 && stat_addr != 0 &&
      !k.PutUser(current, stat_addr, 4, static_cast<uint32_t>(r.stat),
                 "*stat_addr")
           .ok()) {
    result = Errno::kEFAULT;
  }
  if (result.ok() && pid > 0 && ru != 0 &&
      !CopyZerosToUser(k, current, ru, WaitLayoutFor(current).rusage_size,
                       "struct rusage")) {
    return Errno::kEFAULT;
  }
  return result;
}

// SYSCALL_DEFINE5(waitid) / COMPAT_SYSCALL_DEFINE5(waitid) after
// kernel_waitid() [5.2]: the siginfo fields are written whatever the outcome,
// zeros included (also for an error such as EINVAL or ECHILD).
SyscallOutcome FinishWaitid(KernelCore& k, Task* current, const WaitResult& r,
                            uint64_t infop, uint64_t ru) {
  int signo = 0;
  SyscallOutcome result =
      r.ret.ok() ? SyscallOutcome(int64_t{0}) : SyscallOutcome(r.ret.error());
  if (r.ret.ok() && r.ret.value() > 0) {
    signo = kSigchld;
    if (ru != 0 &&
        !CopyZerosToUser(k, current, ru, WaitLayoutFor(current).rusage_size,
                         "struct rusage")) {
      return Errno::kEFAULT;
    }
  }
  if (infop == 0) return result;
  // user_access_begin(infop, sizeof(*infop)): access_ok() of the whole
  // siginfo, then one unsafe_put_user() per field.
  if (current->mm == nullptr ||
      !current->mm->memory->AccessOk(infop, kSiginfoSize)) {
    return Errno::kEFAULT;
  }
  const WaitLayout layout = WaitLayoutFor(current);
  const WaitidInfo& info = r.info;
  const std::pair<uint32_t, uint32_t> fields[] = {
      {0, static_cast<uint32_t>(signo)},
      {4, 0},
      {8, static_cast<uint32_t>(info.cause)},
      {layout.si_pid, static_cast<uint32_t>(info.pid)},
      {layout.si_uid, info.uid},
      {layout.si_status, static_cast<uint32_t>(info.status)},
  };
  constexpr std::string_view kNames[] = {"infop->si_signo", "infop->si_errno",
                                         "infop->si_code",  "infop->si_pid",
                                         "infop->si_uid",   "infop->si_status"};
  for (int i = 0; i < 6; ++i) {
    if (!k.PutUser(current, infop + fields[i].first, 4, fields[i].second,
                   kNames[i])
             .ok()) {
      return Errno::kEFAULT;
    }
  }
  return result;
}

std::optional<SyscallOutcome> PollWait(KernelCore& k, Task* task,
                                       const Wait4Wait& wait) {
  const WaitResult again = DoWait(k, task, wait.wo);
  if (again.block) return std::nullopt;
  return FinishWait4(k, task, again, wait.stat_addr, wait.ru);
}

std::optional<SyscallOutcome> PollWait(KernelCore& k, Task* task,
                                       const WaitidWait& wait) {
  const WaitResult again = DoWait(k, task, wait.wo);
  if (again.block) return std::nullopt;
  return FinishWaitid(k, task, again, wait.infop, wait.ru);
}

// kernel/exit.c:kernel_wait4() and SYSCALL_DEFINE4(wait4) [5.2]; the compat
// entry differs only in the rusage it writes.
SyscallOutcome SysWait4(KernelCore& k, Task* current, const DecodedSyscall& d) {
  const int upid = static_cast<int>(d.arg(0));
  const uint64_t stat_addr = d.arg(1);
  const uint32_t options = static_cast<uint32_t>(d.arg(2));
  const uint64_t ru = d.arg(3);
  if (options &
      ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWclone | kWall)) {
    return Errno::kEINVAL;
  }
  if (upid == INT_MIN) return Errno::kESRCH;  // -INT_MIN overflows
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
  k.Block(current, Wait4Wait{wo, stat_addr, ru});
  return SyscallOutcome::Blocked();
}

// kernel/exit.c:kernel_waitid() and SYSCALL_DEFINE5(waitid) [5.2].
SyscallOutcome SysWaitid(KernelCore& k, Task* current,
                         const DecodedSyscall& d) {
  const int which = static_cast<int>(d.arg(0));
  const int upid = static_cast<int>(d.arg(1));
  const uint64_t infop = d.arg(2);
  const uint32_t options = static_cast<uint32_t>(d.arg(3));
  const uint64_t ru = d.arg(4);
  // An error still writes the (zero) siginfo.
  auto fail = [&](Errno e) {
    WaitResult r;
    r.ret = e;
    return FinishWaitid(k, current, r, infop, ru);
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
  if (!r.block) return FinishWaitid(k, current, r, infop, ru);
  k.Block(current, WaitidWait{wo, infop, ru});
  return SyscallOutcome::Blocked();
}

}  // namespace forksim

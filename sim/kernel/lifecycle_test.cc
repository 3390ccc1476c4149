// The end of a task's life in [5.2]: exit, exit_group, wait4, waitid,
// execve and the id syscalls (sim/exit.cc). Each test names the kernel
// function or kernel-facts.md section it checks; expected values follow from
// the kernel's rules, and every test ends with the invariant checker.

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/machine.h"
#include "model/kernel/pid.h"
#include "sim/kernel/exit.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/syscalls.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint64_t kPPidfd = 3;  // P_PIDFD [5.3]

constexpr uint64_t kHandler = 0x401000;  // some user address: a handler

// Where tests put things in the kBuf pages (16 pages from 0x10000).
constexpr uint64_t kStatus = kBuf + 0x100;
constexpr uint64_t kInfo = kBuf + 0x200;
constexpr uint64_t kRusage = kBuf + 0x400;
constexpr uint64_t kTid = kBuf + 0x800;
constexpr uint64_t kStack = kBuf + 0x8000;
constexpr uint64_t kUnmapped = 0x1000;  // page 1 is never mapped

// Legacy clone with named arguments in the ABI's order (kernel-facts §2.1).
SyscallOutcome Clone(Sim& s, Task* t, uint64_t flags, uint64_t newsp = 0,
                     uint64_t ptid = 0, uint64_t ctid = 0, uint64_t tls = 0) {
  if (t->abi == Abi::kX86_64) {
    return s.Call(t, Sysno::kClone, {flags, newsp, ptid, ctid, tls});
  }
  return s.Call(t, Sysno::kClone, {flags, newsp, ptid, tls, ctid});
}

// A thread of `t`'s group (kernel-facts §8: CLONE_THREAD). The number the
// clone returns is in the caller's pid namespace, so the thread is found
// through the group.
Task* NewThread(Sim& s, Task* t) {
  const int64_t tid =
      Clone(s, t, kCloneVm | kCloneSighand | kCloneThread, kStack).value();
  EXPECT_GT(tid, 0);
  return t->group_leader->threads.back();
}

Task* Fork(Sim& s, Task* parent) {
  const int64_t pid = s.Call(parent, Sysno::kFork, {}).value();
  EXPECT_GT(pid, 0);
  return s.LastChild(parent);
}

SyscallOutcome Wait4(Sim& s, Task* t, int64_t upid, uint64_t stat,
                     uint64_t options, uint64_t ru = 0) {
  return s.Call(t, Sysno::kWait4,
                {static_cast<uint64_t>(upid), stat, options, ru});
}

SyscallOutcome Waitid(Sim& s, Task* t, uint64_t which, int64_t upid,
                      uint64_t infop, uint64_t options, uint64_t ru = 0) {
  return s.Call(t, Sysno::kWaitid,
                {which, static_cast<uint64_t>(upid), infop, options, ru});
}

void Exit(Sim& s, Task* t, int code) {
  EXPECT_EQ(s.Call(t, Sysno::kExit, {static_cast<uint64_t>(code)}),
            SyscallOutcome::Exited());
}

void SetHandler(Task* t, int sig, uint64_t handler, uint64_t flags = 0) {
  t->sighand->action[sig - 1] = SigAction{handler, flags, 0};
}

bool HasNote(Sim& s, std::string_view where, std::string_view text) {
  for (const Event& e : s.kernel().events()) {
    if (e.kind == EventKind::kNote && e.function == where &&
        e.text.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// --- exit and wait4: kernel/exit.c:do_exit(), wait_task_zombie() ---

TEST(ExitWaitTest, ExitThenWait4ReapsWithStatusAndPidOnEveryAbi) {
  for (Abi abi : kAllAbis) {
    Sim s("5.2", abi);
    Task* p = s.NewProcess();
    Task* c = Fork(s, p);
    const int64_t cpid = c->pid.value;
    Exit(s, c, 3);
    ASSERT_EQ(s.TaskByTid(cpid), c);
    EXPECT_EQ(c->state, TaskState::kZombie);
    EXPECT_EQ(c->exit_code, 0x300);  // (3 & 0xff) << 8
    EXPECT_EQ(c->mm, nullptr);       // exit_mm()
    EXPECT_EQ(c->files, nullptr);    // exit_files()
    s.ExpectClean();
    EXPECT_EQ(Wait4(s, p, -1, kStatus, 0), cpid) << AbiName(abi);
    EXPECT_EQ(s.Read(p, kStatus, 4), 0x300u);
    EXPECT_EQ(s.TaskByTid(cpid), nullptr);  // released
    EXPECT_THAT(p->children, IsEmpty());
    s.ExpectClean();
  }
}

TEST(ExitWaitTest, OnlyTheLowByteOfTheExitCodeCounts) {
  // SYSCALL_DEFINE1(exit): do_exit((error_code & 0xff) << 8).
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  Exit(s, c, 0x1234);
  EXPECT_GT(Wait4(s, p, -1, kStatus, 0).value(), 0);
  EXPECT_EQ(s.Read(p, kStatus, 4), 0x3400u);
  s.ExpectClean();
}

TEST(Wait4Test, WnohangWithALiveChildIsZero) {
  // do_wait(): a live eligible child clears notask_error; WNOHANG returns it.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  s.Write(p, kStatus, 4, 0xabcd);
  EXPECT_EQ(Wait4(s, p, -1, kStatus, kWnohang), 0);
  EXPECT_EQ(s.Read(p, kStatus, 4), 0xabcdu);  // nothing written
  EXPECT_EQ(c->state, TaskState::kRunnable);
  s.ExpectClean();
}

TEST(Wait4Test, NoChildrenIsEchildWithOrWithoutWnohang) {
  Sim s;
  Task* p = s.NewProcess();
  EXPECT_THAT(Wait4(s, p, -1, kStatus, 0), ReturnsErrno(Errno::kECHILD));
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWnohang), ReturnsErrno(Errno::kECHILD));
  s.ExpectClean();
}

TEST(Wait4Test, ExitSignalZeroChildNeedsWcloneOrWall) {
  // eligible_child(): a child whose exit_signal is not SIGCHLD is a "clone"
  // child, seen only with __WCLONE or __WALL; otherwise it is filtered out,
  // so with no other child the answer is ECHILD.
  Sim s;
  Task* p = s.NewProcess();
  const int64_t a = Clone(s, p, 0).value();
  const int64_t b = Clone(s, p, 0).value();
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  EXPECT_EQ(s.TaskByTid(a)->exit_signal, 0);
  Exit(s, s.TaskByTid(a), 1);
  Exit(s, s.TaskByTid(b), 2);
  // do_notify_parent(child, 0): no signal at all, and no autoreap.
  EXPECT_THAT(p->signal->shared_pending, IsEmpty());
  EXPECT_THAT(Wait4(s, p, -1, kStatus, 0), ReturnsErrno(Errno::kECHILD));
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWnohang), ReturnsErrno(Errno::kECHILD));
  EXPECT_EQ(Wait4(s, p, -1, kStatus, kWclone), a);
  EXPECT_EQ(s.Read(p, kStatus, 4), 0x100u);
  EXPECT_EQ(Wait4(s, p, -1, kStatus, kWall), b);
  EXPECT_EQ(s.Read(p, kStatus, 4), 0x200u);
  s.ExpectClean();
}

TEST(Wait4Test, WcloneHidesSigchldChildren) {
  // eligible_child(): (exit_signal != SIGCHLD) ^ __WCLONE.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  Exit(s, c, 0);
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWclone), ReturnsErrno(Errno::kECHILD));
  EXPECT_GT(Wait4(s, p, -1, kStatus, kWall).value(), 0);
  s.ExpectClean();
}

TEST(Wait4Test, BlockingWaitIsResumedByTheChildsExit) {
  // do_wait() sleeps while an eligible child lives; the child's exit wakes
  // the parent (__wake_up_parent) and the repeated scan reaps it.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  const int64_t cpid = c->pid.value;
  std::vector<std::pair<Sysno, int64_t>> resumed;
  s.kernel().set_resume_callback(
      [&](Task* t, Sysno sysno, const SyscallOutcome& result) {
        EXPECT_EQ(t, p);
        resumed.emplace_back(sysno, result.value());
      });
  const SyscallOutcome out =
      s.Invoke(p, Sysno::kWait4, {static_cast<uint64_t>(-1), kStatus, 0, 0});
  EXPECT_TRUE(out.blocked());
  EXPECT_EQ(p->state, TaskState::kBlocked);
  EXPECT_TRUE(s.kernel().IsBlocked(p));
  s.ExpectClean();
  Exit(s, c, 42);
  EXPECT_THAT(resumed, ElementsAre(std::make_pair(Sysno::kWait4, cpid)));
  EXPECT_EQ(p->state, TaskState::kRunnable);
  EXPECT_EQ(static_cast<int64_t>(p->regs.Get(Reg::kAx)), cpid);
  EXPECT_EQ(s.Read(p, kStatus, 4), 42u << 8);
  EXPECT_EQ(s.TaskByTid(cpid), nullptr);
  s.ExpectClean();
}

TEST(Wait4Test, BlockedWaiterGetsEchildWhenItsOnlyChildIsAutoreaped) {
  // do_notify_parent(): "we still call __wake_up_parent in this case,
  // because a blocked sys_wait4 might now return -ECHILD".
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  ASSERT_TRUE(
      s.Invoke(p, Sysno::kWait4, {static_cast<uint64_t>(-1), kStatus, 0, 0})
          .blocked());
  SetHandler(p, kSigchld, kSigIgn);
  Exit(s, c, 0);
  EXPECT_FALSE(s.kernel().IsBlocked(p));
  EXPECT_EQ(static_cast<int64_t>(p->regs.Get(Reg::kAx)),
            -int64_t{ErrnoValue(Errno::kECHILD)});
  s.ExpectClean();
}

TEST(Wait4Test, PidSelectors) {
  // kernel_wait4(): > 0 one pid, 0 the caller's process group, < -1 that
  // group, -1 anyone; a number nobody has is ECHILD.
  Sim s;
  Task* p = s.NewProcess();
  Task* a = Fork(s, p);
  Task* b = Fork(s, p);
  const int64_t apid = a->pid.value, bpid = b->pid.value;
  Exit(s, a, 1);
  Exit(s, b, 2);
  EXPECT_THAT(Wait4(s, p, 30000, kStatus, 0), ReturnsErrno(Errno::kECHILD));
  EXPECT_EQ(Wait4(s, p, bpid, kStatus, 0), bpid);
  EXPECT_EQ(s.Read(p, kStatus, 4), 0x200u);
  // Forked children share the parent's process group: init's (pgid 1).
  EXPECT_THAT(Wait4(s, p, -2, kStatus, kWnohang),
              ReturnsErrno(Errno::kECHILD));  // no group 2
  EXPECT_EQ(Wait4(s, p, 0, kStatus, 0), apid);
  s.ExpectClean();
}

TEST(Wait4Test, AStatusFaultIsEfaultButTheChildIsAlreadyReaped) {
  // kernel_wait4(): put_user(wo.wo_stat, stat_addr) after do_wait() has
  // released the child.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  const int64_t cpid = c->pid.value;
  Exit(s, c, 1);
  EXPECT_THAT(Wait4(s, p, -1, kUnmapped, 0), ReturnsErrno(Errno::kEFAULT));
  EXPECT_EQ(s.TaskByTid(cpid), nullptr);
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWnohang), ReturnsErrno(Errno::kECHILD));
  s.ExpectClean();
}

TEST(Wait4Test, RusageIsZerosOfTheAbisSize) {
  // sys_wait4(): copy_to_user(ru, &r, sizeof(struct rusage)), 144 bytes on
  // x86-64; compat_sys_wait4() (ia32) and i386 write 72. The model keeps no
  // accounting, so every field is 0.
  for (Abi abi : kAllAbis) {
    Sim s("5.2", abi);
    Task* p = s.NewProcess();
    Task* c = Fork(s, p);
    for (uint64_t off = 0; off < 160; off += 8) {
      s.Write(p, kRusage + off, 8, ~uint64_t{0});
    }
    Exit(s, c, 0);
    EXPECT_GT(Wait4(s, p, -1, 0, 0, kRusage).value(), 0);
    const uint64_t size = abi == Abi::kX86_64 ? 144 : 72;
    for (uint64_t off = 0; off < size; off += 8) {
      EXPECT_EQ(s.Read(p, kRusage + off, 8), 0u) << AbiName(abi) << off;
    }
    EXPECT_EQ(s.Read(p, kRusage + size, 8), ~uint64_t{0}) << AbiName(abi);
    s.ExpectClean();
  }
}

TEST(Wait4Test, RusageFaultIsEfault) {
  Sim s;
  Task* p = s.NewProcess();
  Exit(s, Fork(s, p), 0);
  EXPECT_THAT(Wait4(s, p, -1, kStatus, 0, kUnmapped),
              ReturnsErrno(Errno::kEFAULT));
  EXPECT_EQ(s.Read(p, kStatus, 4), 0u);  // written before the rusage
  s.ExpectClean();
}

TEST(Wait4Test, ChildrenOfAnotherThreadAreWaitedForUnlessWnothread) {
  // do_wait(): while_each_thread() scans every thread's children, unless
  // __WNOTHREAD.
  Sim s;
  Task* p = s.NewProcess();
  Task* t = NewThread(s, p);
  Task* c = Fork(s, t);
  const int64_t cpid = c->pid.value;
  ASSERT_EQ(c->real_parent, t);
  Exit(s, c, 5);
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWnohang | kWnothread),
              ReturnsErrno(Errno::kECHILD));
  EXPECT_EQ(Wait4(s, p, -1, kStatus, 0), cpid);
  EXPECT_EQ(s.Read(p, kStatus, 4), 0x500u);
  s.ExpectClean();
}

// --- option checks: kernel_wait4(), kernel_waitid() ---

TEST(WaitOptionsTest, Wait4Rungs) {
  Sim s;
  Task* p = s.NewProcess();
  Fork(s, p);
  // Allowed: WNOHANG|WUNTRACED|WCONTINUED|__WNOTHREAD|__WCLONE|__WALL.
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWexited), ReturnsErrno(Errno::kEINVAL));
  EXPECT_THAT(Wait4(s, p, -1, kStatus, kWnowait), ReturnsErrno(Errno::kEINVAL));
  EXPECT_THAT(Wait4(s, p, -1, kStatus, 0x10), ReturnsErrno(Errno::kEINVAL));
  EXPECT_EQ(
      Wait4(s, p, -1, kStatus,
            kWnohang | kWuntraced | kWcontinued | kWnothread | kWclone | kWall),
      0);
  // "-INT_MIN is not defined": ESRCH, after the options check.
  EXPECT_THAT(Wait4(s, p, INT_MIN, kStatus, 0), ReturnsErrno(Errno::kESRCH));
  EXPECT_THAT(Wait4(s, p, INT_MIN, kStatus, kWexited),
              ReturnsErrno(Errno::kEINVAL));
  s.ExpectClean();
}

TEST(WaitOptionsTest, WaitidRungsAndTheZeroSiginfoTheyStillWrite) {
  Sim s;
  Task* p = s.NewProcess();
  Fork(s, p);
  struct Rung {
    uint64_t which;
    int64_t upid;
    uint64_t options;
  };
  const Rung rungs[] = {
      {kPAll, 0, kWexited | kWuntraced << 8},  // unknown bit
      {kPAll, 0, kWexited | 0x10},             // unknown bit
      {kPAll, 0, kWnohang},                    // no event asked
      {kPAll, 0, kWnowait | kWall},            // no event asked
      {kPPidfd, 3, kWexited},                  // P_PIDFD is [5.3]
      {7, 3, kWexited},                        // unknown idtype
      {kPPid, 0, kWexited},                    // upid <= 0
      {kPPid, -5, kWexited},                   // upid <= 0
      {kPPgid, 0, kWexited},                   // upid <= 0
  };
  for (const Rung& rung : rungs) {
    for (uint64_t off = 0; off < 128; off += 4) {
      s.Write(p, kInfo + off, 4, 0xffffffff);
    }
    EXPECT_THAT(Waitid(s, p, rung.which, rung.upid, kInfo, rung.options),
                ReturnsErrno(Errno::kEINVAL))
        << rung.which << " " << rung.upid << " " << rung.options;
    // SYSCALL_DEFINE5(waitid) [5.2] writes si_signo, si_errno, si_code,
    // si_pid, si_uid and si_status even for an error: zeros. Nothing else.
    for (uint64_t off : {0, 4, 8, 16, 20, 24}) {
      EXPECT_EQ(s.Read(p, kInfo + off, 4), 0u) << off;
    }
    for (uint64_t off : {12, 28, 124}) {
      EXPECT_EQ(s.Read(p, kInfo + off, 4), 0xffffffffu) << off;
    }
  }
  // Without infop only the errno is seen.
  EXPECT_THAT(Waitid(s, p, kPAll, 0, 0, kWnohang),
              ReturnsErrno(Errno::kEINVAL));
  // A bad infop turns the answer into EFAULT.
  EXPECT_THAT(Waitid(s, p, kPAll, 0, kUnmapped, kWnohang),
              ReturnsErrno(Errno::kEFAULT));
  s.ExpectClean();
}

// --- waitid: SYSCALL_DEFINE5(waitid), COMPAT_SYSCALL_DEFINE5(waitid) ---

TEST(WaitidTest, ReportsAnExitedChildWithTheAbisSiginfoLayout) {
  for (Abi abi : kAllAbis) {
    Sim s("5.2", abi);
    Task* p = s.NewProcess();
    Task* c = Fork(s, p);
    const int64_t cpid = c->pid.value;
    Exit(s, c, 7);
    EXPECT_EQ(Waitid(s, p, kPPid, cpid, kInfo, kWexited), 0);
    // si_pid/si_uid/si_status at 16/20/24 on x86-64, 12/16/20 on 32-bit.
    const uint64_t base = abi == Abi::kX86_64 ? 16 : 12;
    EXPECT_EQ(s.Read(p, kInfo + 0, 4), 17u) << AbiName(abi);  // SIGCHLD
    EXPECT_EQ(s.Read(p, kInfo + 4, 4), 0u);
    EXPECT_EQ(s.Read(p, kInfo + 8, 4), 1u);  // CLD_EXITED
    EXPECT_EQ(s.Read(p, kInfo + base, 4), static_cast<uint64_t>(cpid));
    EXPECT_EQ(s.Read(p, kInfo + base + 4, 4), 0u);  // root
    EXPECT_EQ(s.Read(p, kInfo + base + 8, 4), 7u);  // status >> 8
    EXPECT_EQ(s.TaskByTid(cpid), nullptr);
    s.ExpectClean();
  }
}

TEST(WaitidTest, WnowaitLeavesTheZombieAndWnohangZeroesTheSiginfo) {
  Sim s;
  Task* p = s.NewProcess();
  Task* live = Fork(s, p);
  Task* c = Fork(s, p);
  const int64_t cpid = c->pid.value;
  Exit(s, c, 9);
  EXPECT_EQ(Waitid(s, p, kPPid, cpid, kInfo, kWexited | kWnowait), 0);
  EXPECT_EQ(s.Read(p, kInfo + 16, 4), static_cast<uint64_t>(cpid));
  EXPECT_EQ(s.TaskByTid(cpid), c);  // still a zombie
  EXPECT_EQ(Waitid(s, p, kPAll, 0, kInfo, kWexited), 0);
  EXPECT_EQ(s.Read(p, kInfo + 16, 4), static_cast<uint64_t>(cpid));
  EXPECT_EQ(s.TaskByTid(cpid), nullptr);
  // Only a live child is left: WNOHANG is 0 and the siginfo fields are 0.
  s.Write(p, kInfo + 16, 4, 0x1234);
  EXPECT_EQ(Waitid(s, p, kPAll, 0, kInfo, kWexited | kWnohang), 0);
  EXPECT_EQ(s.Read(p, kInfo + 0, 4), 0u);
  EXPECT_EQ(s.Read(p, kInfo + 16, 4), 0u);
  EXPECT_EQ(live->state, TaskState::kRunnable);
  s.ExpectClean();
}

TEST(WaitidTest, ZombiesAreNotReportedWithoutWexited) {
  // wait_task_zombie() returns 0 without WEXITED and wait_consider_task()
  // leaves notask_error alone: with only a zombie, ECHILD.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  Exit(s, c, 0);
  EXPECT_THAT(Waitid(s, p, kPAll, 0, kInfo, kWuntraced | kWnohang),
              ReturnsErrno(Errno::kECHILD));
  EXPECT_EQ(c->state, TaskState::kZombie);
  EXPECT_EQ(Waitid(s, p, kPPgid, 1, kInfo, kWexited), 0);  // init's group
  s.ExpectClean();
}

// --- do_notify_parent() (kernel/signal.c) ---

TEST(NotifyTest, SigchldIsQueuedOnTheParentsSharedPendingOnce) {
  // With a handler installed, SIGCHLD goes to the group's shared_pending;
  // a second one is not queued while the first is pending (legacy_queue()).
  Sim s;
  Task* p = s.NewProcess();
  SetHandler(p, kSigchld, kHandler);
  Task* a = Fork(s, p);
  Task* b = Fork(s, p);
  Exit(s, a, 0);
  EXPECT_THAT(p->signal->shared_pending, ElementsAre(kSigchld));
  Exit(s, b, 0);
  EXPECT_THAT(p->signal->shared_pending, ElementsAre(kSigchld));
  EXPECT_EQ(a->state, TaskState::kZombie);  // not autoreaped
  s.ExpectClean();
}

TEST(NotifyTest, DefaultSigchldIsIgnoredAndNotQueued) {
  // prepare_signal() -> sig_ignored(): SIGCHLD's default action is to
  // ignore it, so with SIG_DFL nothing is queued (nothing is blocked in the
  // model). The child is still a zombie.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = Fork(s, p);
  Exit(s, c, 0);
  EXPECT_THAT(p->signal->shared_pending, IsEmpty());
  EXPECT_EQ(c->state, TaskState::kZombie);
  s.ExpectClean();
}

TEST(NotifyTest, SigIgnAutoreapsWithoutASignal) {
  Sim s;
  Task* p = s.NewProcess();
  SetHandler(p, kSigchld, kSigIgn);
  Task* c = Fork(s, p);
  const int64_t cpid = c->pid.value;
  Exit(s, c, 0);
  EXPECT_EQ(s.TaskByTid(cpid), nullptr);
  EXPECT_THAT(p->signal->shared_pending, IsEmpty());
  EXPECT_THAT(Wait4(s, p, -1, kStatus, 0), ReturnsErrno(Errno::kECHILD));
  s.ExpectClean();
}

TEST(NotifyTest, SaNocldwaitAutoreapsButStillSignals) {
  // "Whether we send SIGCHLD or not for SA_NOCLDWAIT is
  // implementation-defined: we do".
  Sim s;
  Task* p = s.NewProcess();
  SetHandler(p, kSigchld, kHandler, kSaNocldwait);
  Task* c = Fork(s, p);
  const int64_t cpid = c->pid.value;
  Exit(s, c, 0);
  EXPECT_EQ(s.TaskByTid(cpid), nullptr);
  EXPECT_THAT(p->signal->shared_pending, ElementsAre(kSigchld));
  s.ExpectClean();
}

TEST(NotifyTest, ExitSignalBecomesSigchldAfterTheParentExecs) {
  // do_notify_parent(): sig != SIGCHLD and parent_exec_id !=
  // parent->self_exec_id -> SIGCHLD.
  Sim s;
  Task* p = s.NewProcess();
  const int64_t a = Clone(s, p, kSigusr1).value();
  const int64_t b = Clone(s, p, kSigusr1).value();
  Exit(s, s.TaskByTid(a), 0);
  EXPECT_THAT(p->signal->shared_pending, ElementsAre(kSigusr1));
  // The next syscall delivers it (sim/kernel.h).
  EXPECT_EQ(s.Call(p, Sysno::kExecve, {0, 0, 0}), 0);
  EXPECT_THAT(p->signal->shared_pending, IsEmpty());
  SetHandler(p, kSigchld, kHandler);  // exec reset the handlers
  Exit(s, s.TaskByTid(b), 0);
  EXPECT_THAT(p->signal->shared_pending, ElementsAre(kSigchld));
  // Still a "clone" child for wait: its exit_signal is SIGUSR1.
  EXPECT_THAT(Wait4(s, p, b, 0, 0), ReturnsErrno(Errno::kECHILD));
  EXPECT_EQ(Wait4(s, p, b, 0, kWclone), b);
  EXPECT_EQ(Wait4(s, p, -1, 0, kWall), a);
  s.ExpectClean();
}

// --- forget_original_parent(), find_new_reaper(), reparent_leader() ---

TEST(ReparentTest, OrphansGoToInitAndAZombieIsNotifiedThere) {
  Sim s;
  Task* p = s.NewProcess();
  Task* live = Fork(s, p);
  Task* zombie = Fork(s, p);
  const int64_t ppid = p->pid.value, zpid = zombie->pid.value;
  Exit(s, zombie, 4);
  Exit(s, p, 0);
  EXPECT_EQ(live->real_parent, s.init());
  EXPECT_EQ(zombie->real_parent, s.init());
  EXPECT_EQ(s.Call(live, Sysno::kGetppid, {}), 1);
  // init is SIGNAL_UNKILLABLE with SIGCHLD at SIG_DFL: nothing is queued
  // and nothing autoreaps; it reaps with wait like the real init.
  EXPECT_THAT(s.init()->signal->shared_pending, IsEmpty());
  EXPECT_EQ(zombie->state, TaskState::kZombie);
  s.ExpectClean();
  EXPECT_EQ(Wait4(s, s.init(), zpid, 0, 0), zpid);
  EXPECT_EQ(Wait4(s, s.init(), ppid, 0, 0), ppid);
  s.ExpectClean();
}

TEST(ReparentTest, AReparentedZombieAutoreapsWhenTheReaperIgnoresSigchld) {
  Sim s;
  Task* sub = s.NewProcess();
  sub->signal->is_child_subreaper = true;  // prctl(PR_SET_CHILD_SUBREAPER)
  Task* p = Fork(s, sub);
  SetHandler(sub, kSigchld, kSigIgn);  // after the fork: p keeps SIG_DFL
  ASSERT_TRUE(p->signal->has_child_subreaper);  // inherited at fork (S40)
  Task* z = Fork(s, p);
  const int64_t zpid = z->pid.value;
  Exit(s, z, 0);  // p's SIGCHLD is SIG_DFL: a zombie
  ASSERT_EQ(s.TaskByTid(zpid), z);
  Exit(s, p, 0);
  EXPECT_EQ(s.TaskByTid(zpid), nullptr);  // reparent_leader() autoreaped it
  s.ExpectClean();
}

TEST(ReparentTest, ChildSubreaperAncestorAdopts) {
  Sim s;
  Task* a = s.NewProcess();
  a->signal->is_child_subreaper = true;
  Task* b = Fork(s, a);
  Task* c = Fork(s, b);
  Task* d = Fork(s, c);
  Exit(s, c, 0);
  EXPECT_EQ(d->real_parent, a);  // skips b, which is no subreaper
  EXPECT_EQ(s.Call(d, Sysno::kGetppid, {}), a->pid.value);
  s.ExpectClean();
}

TEST(ReparentTest, ALiveThreadOfTheGroupAdoptsSilently) {
  Sim s;
  Task* p = s.NewProcess();
  SetHandler(p, kSigchld, kHandler);
  Task* t = NewThread(s, p);
  Task* c = Fork(s, t);
  Exit(s, c, 0);
  EXPECT_THAT(p->signal->shared_pending, ElementsAre(kSigchld));
  p->signal->shared_pending.clear();
  Exit(s, t, 0);  // a thread: released at once
  EXPECT_EQ(c->real_parent, p);
  EXPECT_THAT(p->children, ElementsAre(c));
  EXPECT_THAT(p->signal->shared_pending, IsEmpty());  // same group: no notify
  const int64_t cpid = c->pid.value;
  EXPECT_EQ(Wait4(s, p, -1, kStatus, 0), cpid);
  s.ExpectClean();
}

// --- threads: exit_notify(), release_task()'s zap_leader, do_group_exit() ---

TEST(ThreadExitTest, ZombieLeaderIsReportedWhenItsLastThreadGoes) {
  Sim s;
  Task* q = s.NewProcess();
  SetHandler(q, kSigchld, kHandler);
  Task* p = Fork(s, q);
  Task* t = NewThread(s, p);
  const int64_t ppid = p->pid.value, tid = t->pid.value;
  Exit(s, p, 6);  // the leader alone
  EXPECT_EQ(p->state, TaskState::kZombie);
  EXPECT_THAT(q->signal->shared_pending, IsEmpty());
  // delay_group_leader(): not reaped while t lives.
  EXPECT_EQ(Wait4(s, q, -1, kStatus, kWnohang), 0);
  EXPECT_EQ(s.Call(t, Sysno::kGetpid, {}), ppid);
  s.ExpectClean();
  Exit(s, t, 1);
  EXPECT_EQ(s.TaskByTid(tid), nullptr);
  EXPECT_THAT(q->signal->shared_pending, ElementsAre(kSigchld));
  EXPECT_EQ(Wait4(s, q, -1, kStatus, 0), ppid);
  EXPECT_EQ(s.Read(q, kStatus, 4), 0x600u);  // the leader's own code
  s.ExpectClean();
}

TEST(ThreadExitTest, ExitGroupFromAThreadTakesTheWholeGroup) {
  Sim s;
  Task* q = s.NewProcess();
  Task* p = Fork(s, q);
  Task* t1 = NewThread(s, p);
  Task* t2 = NewThread(s, p);
  const int64_t ppid = p->pid.value, t1id = t1->pid.value, t2id = t2->pid.value;
  EXPECT_EQ(s.Call(t1, Sysno::kExitGroup, {7}), SyscallOutcome::Exited());
  EXPECT_EQ(s.TaskByTid(t1id), nullptr);
  EXPECT_EQ(s.TaskByTid(t2id), nullptr);
  EXPECT_EQ(p->state, TaskState::kZombie);
  EXPECT_THAT(p->threads, IsEmpty());
  s.ExpectClean();
  EXPECT_EQ(Wait4(s, q, -1, kStatus, 0), ppid);
  // wait_task_zombie(): SIGNAL_GROUP_EXIT reports group_exit_code.
  EXPECT_EQ(s.Read(q, kStatus, 4), 0x700u);
  s.ExpectClean();
}

TEST(ThreadExitTest, ExitGroupOfAThreadKilledWhileBlockedInWait) {
  // The killed leader never returns from its wait4; the group is gone.
  Sim s;
  Task* q = s.NewProcess();
  Task* p = Fork(s, q);
  Fork(s, p);
  Task* t = NewThread(s, p);
  ASSERT_TRUE(
      s.Invoke(p, Sysno::kWait4, {static_cast<uint64_t>(-1), kStatus, 0, 0})
          .blocked());
  EXPECT_EQ(s.Call(t, Sysno::kExitGroup, {1}), SyscallOutcome::Exited());
  EXPECT_EQ(p->state, TaskState::kZombie);
  const int64_t ppid = p->pid.value;
  EXPECT_EQ(Wait4(s, q, -1, kStatus, 0), ppid);
  EXPECT_EQ(s.Read(q, kStatus, 4), 0x100u);
  s.ExpectClean();
}

// --- mm_release(): CLONE_CHILD_CLEARTID (kernel-facts §2.5) and vfork ---

TEST(ClearTidTest, SharedMmGetsZeroAndAFutexWake) {
  Sim s;
  Task* p = s.NewProcess();
  s.Write(p, kTid, 4, 0xdeadbeef);
  const int64_t cpid =
      Clone(s, p, kCloneVm | kCloneChildCleartid | kSigchld, kStack, 0, kTid)
          .value();
  Task* c = s.TaskByTid(cpid);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->clear_child_tid, kTid);
  EXPECT_EQ(p->mm->refcount, 2);
  Exit(s, c, 0);
  EXPECT_EQ(s.Read(p, kTid, 4), 0u);
  EXPECT_TRUE(HasNote(s, "kernel/fork.c:mm_release()", "futex wake 0x10800"));
  EXPECT_EQ(p->mm->refcount, 1);
  s.ExpectClean();
}

TEST(ClearTidTest, APlainForkChildsOwnMmIsNotWritten) {
  // mm_users == 1: nobody else can see the memory, so no write and no wake.
  Sim s;
  Task* p = s.NewProcess();
  s.Write(p, kTid, 4, 0xdeadbeef);
  const int64_t cpid =
      Clone(s, p, kCloneChildCleartid | kSigchld, 0, 0, kTid).value();
  Task* c = s.TaskByTid(cpid);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->clear_child_tid, kTid);
  EXPECT_EQ(c->mm->refcount, 1);
  s.kernel().ClearEvents();
  Exit(s, c, 0);
  for (const Event& e : s.kernel().events()) {
    EXPECT_FALSE(e.kind == EventKind::kWrite && e.addr == kTid);
  }
  EXPECT_FALSE(HasNote(s, "kernel/fork.c:mm_release()", "futex wake"));
  EXPECT_EQ(s.Read(p, kTid, 4), 0xdeadbeefu);
  s.ExpectClean();
}

TEST(ClearTidTest, AThreadClearsItsTidForTheGroup) {
  Sim s;
  Task* p = s.NewProcess();
  s.Write(p, kTid, 4, 0x1111);
  const int64_t tid = Clone(s, p,
                            kCloneVm | kCloneSighand | kCloneThread |
                                kCloneChildCleartid | kCloneChildSettid,
                            kStack, 0, kTid)
                          .value();
  ASSERT_GT(tid, 0);
  s.kernel().Schedule();  // schedule_tail(): CLONE_CHILD_SETTID
  EXPECT_EQ(s.Read(p, kTid, 4), static_cast<uint64_t>(tid));
  Exit(s, s.TaskByTid(tid), 0);
  EXPECT_EQ(s.Read(p, kTid, 4), 0u);
  s.ExpectClean();
}

TEST(VforkTest, TheChildsExitReleasesTheParent) {
  Sim s;
  Task* p = s.NewProcess();
  const SyscallOutcome out = s.Invoke(p, Sysno::kVfork, {});
  ASSERT_TRUE(out.blocked());
  Task* c = s.LastChild(p);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->vfork_pending);
  const int64_t cpid = c->pid.value;
  Exit(s, c, 0);
  EXPECT_FALSE(s.kernel().IsBlocked(p));
  EXPECT_EQ(static_cast<int64_t>(p->regs.Get(Reg::kAx)), cpid);
  EXPECT_EQ(Wait4(s, p, cpid, kStatus, 0), cpid);
  s.ExpectClean();
}

// --- execve: fs/exec.c flush_old_exec(), setup_new_exec() ---

TEST(ExecveTest, ReleasesAVforkParentWithANewMm) {
  Sim s;
  Task* p = s.NewProcess();
  std::vector<int64_t> resumed;
  s.kernel().set_resume_callback(
      [&](Task*, Sysno, const SyscallOutcome& result) {
        resumed.push_back(result.value());
      });
  ASSERT_TRUE(s.Invoke(p, Sysno::kVfork, {}).blocked());
  Task* c = s.LastChild(p);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->mm, p->mm);
  EXPECT_TRUE(c->flags & kPfForknoexec);
  const uint64_t exec_id = c->self_exec_id;
  EXPECT_EQ(s.Call(c, Sysno::kExecve, {0, 0, 0}), 0);
  EXPECT_THAT(resumed, ElementsAre(c->pid.value));
  EXPECT_NE(c->mm, p->mm);
  EXPECT_EQ(p->mm->refcount, 1);
  EXPECT_FALSE(c->vfork_pending);
  EXPECT_FALSE(c->flags & kPfForknoexec);
  EXPECT_EQ(c->self_exec_id, exec_id + 1);
  s.ExpectClean();
}

TEST(ExecveTest, ClosesCloexecFdsAndResetsHandledSignals) {
  Sim s;
  Task* p = s.NewProcess();
  Machine& m = s.machine();
  File* file = m.files.Create();
  file->name = "/dev/null";
  const int fd = AllocFd(m.fd_env(), *p->files, 0, 1024, true).value();
  FdInstall(*p->files, fd, file);
  const uint64_t file_serial = file->serial;
  SetHandler(p, kSigusr1, kHandler, kSaNocldwait);
  SetHandler(p, kSigpipe, kSigIgn, kSaNocldwait);
  EXPECT_EQ(s.Call(p, Sysno::kExecve, {0, 0, 0}), 0);
  EXPECT_EQ(FdLookup(*p->files, fd), nullptr);
  EXPECT_FALSE(FdIsCloexec(*p->files, fd));    // the word is cleared
  EXPECT_NE(FdLookup(*p->files, 0), nullptr);  // the console stays
  bool alive = false;
  for (const File* f : m.files) alive = alive || f->serial == file_serial;
  EXPECT_FALSE(alive);
  EXPECT_EQ(p->sighand->action[kSigusr1 - 1].handler, kSigDfl);
  EXPECT_EQ(p->sighand->action[kSigpipe - 1].handler, kSigIgn);
  EXPECT_EQ(p->sighand->action[kSigpipe - 1].flags, 0u);
  EXPECT_THAT(s.Call(p, Sysno::kClose, {static_cast<uint64_t>(fd)}),
              ReturnsErrno(Errno::kEBADF));
  s.ExpectClean();
}

TEST(ExecveTest, AThreadTakesOverTheLeadersPid) {
  // de_thread(): the other threads die, the exec'ing thread becomes the
  // leader under the old leader's pid, and the old leader is released.
  Sim s;
  Task* q = s.NewProcess();
  Task* p = Fork(s, q);
  Task* t1 = NewThread(s, p);
  Task* t2 = NewThread(s, p);
  const int64_t ppid = p->pid.value, t1id = t1->pid.value, t2id = t2->pid.value;
  Task* grandchild = Fork(s, p);
  EXPECT_EQ(s.Call(t2, Sysno::kExecve, {0, 0, 0}), 0);
  EXPECT_EQ(s.TaskByTid(t1id), nullptr);
  EXPECT_EQ(s.TaskByTid(ppid), t2);
  EXPECT_EQ(t2->pid.value, ppid);
  EXPECT_EQ(s.Call(t2, Sysno::kGettid, {}), ppid);
  EXPECT_EQ(s.Call(t2, Sysno::kGetpid, {}), ppid);
  EXPECT_EQ(s.Call(t2, Sysno::kGetppid, {}), q->pid.value);
  EXPECT_TRUE(IsThreadGroupLeader(*t2));
  EXPECT_THAT(t2->threads, IsEmpty());
  EXPECT_EQ(t2->exit_signal, kSigchld);
  EXPECT_THAT(q->children, ElementsAre(t2));
  EXPECT_EQ(grandchild->real_parent, t2);  // the leader's child, adopted
  // t2's own number is free again.
  EXPECT_EQ(s.machine().init_pid_ns->idr.Find(static_cast<int>(t2id)), nullptr);
  s.ExpectClean();
  Exit(s, t2, 2);
  EXPECT_EQ(Wait4(s, q, ppid, kStatus, 0), ppid);
  EXPECT_EQ(s.Read(q, kStatus, 4), 0x200u);
  s.ExpectClean();
}

TEST(ExecveTest, SharedFdTableAndSighandAreUnshared) {
  Sim s;
  Task* p = s.NewProcess();
  const int64_t cpid =
      Clone(s, p, kCloneFiles | kCloneVm | kCloneSighand | kSigchld, kStack)
          .value();
  Task* c = s.TaskByTid(cpid);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->files, p->files);
  ASSERT_EQ(c->sighand, p->sighand);
  EXPECT_EQ(s.Call(c, Sysno::kExecve, {0, 0, 0}), 0);
  EXPECT_NE(c->files, p->files);      // unshare_files()
  EXPECT_NE(c->sighand, p->sighand);  // de_thread()
  EXPECT_EQ(p->files->refcount, 1);
  EXPECT_EQ(p->sighand->refcount, 1);
  s.ExpectClean();
}

TEST(ExecveTest, EveryFailurePointLeavesTheProcessIntact) {
  for (uint32_t n = 1; n <= 3; ++n) {
    Sim s;
    Task* p = s.NewProcess();
    const int64_t cpid =
        Clone(s, p, kCloneFiles | kCloneVm | kCloneSighand | kSigchld, kStack)
            .value();
    Task* c = s.TaskByTid(cpid);
    Mm* mm = c->mm;
    s.machine().faults.FailNth(n);
    EXPECT_THAT(s.Call(c, Sysno::kExecve, {0, 0, 0}),
                ReturnsErrno(Errno::kENOMEM))
        << n;
    EXPECT_FALSE(s.machine().faults.injected().empty());
    EXPECT_EQ(c->mm, mm);
    EXPECT_EQ(c->files, p->files);
    s.ExpectClean();
  }
}

// --- the id syscalls: kernel/sys.c ---

TEST(IdTest, GetpidGettidGetppid) {
  Sim s;
  Task* p = s.NewProcess();
  Task* t = NewThread(s, p);
  EXPECT_EQ(s.Call(p, Sysno::kGetpid, {}), p->pid.value);
  EXPECT_EQ(s.Call(p, Sysno::kGettid, {}), p->pid.value);
  EXPECT_EQ(s.Call(p, Sysno::kGetppid, {}), 1);
  EXPECT_EQ(s.Call(t, Sysno::kGetpid, {}), p->pid.value);
  EXPECT_EQ(s.Call(t, Sysno::kGettid, {}), t->pid.value);
  EXPECT_EQ(s.Call(t, Sysno::kGetppid, {}), 1);         // the group's parent
  EXPECT_EQ(s.Call(s.init(), Sysno::kGetppid, {}), 0);  // the idle task
  // A pid namespace's init sees itself as 1 and its parent as 0.
  const int64_t npid = Clone(s, p, kCloneNewpid | kSigchld).value();
  Task* n = s.TaskByTid(npid);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(s.Call(n, Sysno::kGetpid, {}), 1);
  EXPECT_EQ(s.Call(n, Sysno::kGettid, {}), 1);
  EXPECT_EQ(s.Call(n, Sysno::kGetppid, {}), 0);
  Task* nc = Fork(s, n);
  EXPECT_EQ(s.Call(nc, Sysno::kGetppid, {}), 1);
  EXPECT_EQ(s.Call(nc, Sysno::kGetpid, {}), 2);
  s.ExpectClean();
}

TEST(CloseTest, ClosesOnceThenEbadf) {
  Sim s;
  Task* p = s.NewProcess();
  EXPECT_EQ(s.Call(p, Sysno::kClose, {0}), 0);
  EXPECT_THAT(s.Call(p, Sysno::kClose, {0}), ReturnsErrno(Errno::kEBADF));
  EXPECT_THAT(s.Call(p, Sysno::kClose, {5}),
              ReturnsErrno(Errno::kEBADF));  // free
  EXPECT_THAT(s.Call(p, Sysno::kClose, {1000}),
              ReturnsErrno(Errno::kEBADF));  // past max_fds
  EXPECT_THAT(s.Call(p, Sysno::kClose, {0xffffffff}),
              ReturnsErrno(Errno::kEBADF));
  s.ExpectClean();
}

// --- pid namespaces: find_child_reaper(), zap_pid_ns_processes() ---

TEST(PidNsTest, TheInitOfANamespaceTakesEveryoneWithIt) {
  Sim s;
  Task* p = s.NewProcess();
  const int64_t npid = Clone(s, p, kCloneNewpid | kSigchld).value();
  Task* n = s.TaskByTid(npid);
  ASSERT_NE(n, nullptr);
  PidNamespace* ns = TaskActivePidNs(n);
  Task* a = Fork(s, n);
  Task* b = Fork(s, a);
  Task* t = NewThread(s, b);
  Task* z = Fork(s, n);
  const int64_t apid = a->pid.value, bpid = b->pid.value, tpid = t->pid.value,
                zpid = z->pid.value;
  Exit(s, z, 0);  // a zombie child of n, reaped by the zap's wait
  EXPECT_EQ(ns->pid_allocated, kPidnsAdding | 5);
  Exit(s, n, 0);
  EXPECT_EQ(ns->pid_allocated, 1u);  // disable_pid_allocation()
  for (int64_t pid : {apid, bpid, tpid, zpid}) {
    EXPECT_EQ(s.TaskByTid(pid), nullptr) << pid;
  }
  // The victims were killed by SIGKILL: their exit code is 9.
  int killed = 0;
  for (const Event& e : s.kernel().events()) {
    if (e.kind == EventKind::kExit && e.value == kSigkill) ++killed;
  }
  EXPECT_EQ(killed, 3);
  EXPECT_EQ(n->state, TaskState::kZombie);
  s.ExpectClean();
  EXPECT_EQ(Wait4(s, p, npid, kStatus, 0), npid);
  s.ExpectClean();
}

TEST(PidNsTest, GlobalInitCannotExit) {
  // find_child_reaper() panics for init_pid_ns; the model refuses with
  // EINVAL instead.
  Sim s;
  EXPECT_THAT(s.Call(s.init(), Sysno::kExit, {0}),
              ReturnsErrno(Errno::kEINVAL));
  EXPECT_THAT(s.Call(s.init(), Sysno::kExitGroup, {0}),
              ReturnsErrno(Errno::kEINVAL));
  EXPECT_TRUE(HasNote(s, "kernel/exit.c:find_child_reaper()", "refused"));
  EXPECT_EQ(s.init()->state, TaskState::kRunnable);
  EXPECT_EQ(s.init()->flags & kPfExiting, 0u);
  s.ExpectClean();
}

TEST(PidNsTest, AThreadOfInitMayExitAndTheReaperMoves) {
  Sim s;
  Task* p = s.NewProcess();
  const int64_t npid = Clone(s, p, kCloneNewpid | kSigchld).value();
  Task* n = s.TaskByTid(npid);
  Task* t = NewThread(s, n);
  Task* c = Fork(s, n);
  PidNamespace* ns = TaskActivePidNs(n);
  Exit(s, n, 0);  // the leader: t is still alive, so no zap
  EXPECT_EQ(ns->child_reaper, t);
  EXPECT_EQ(c->real_parent, t);
  EXPECT_NE(ns->pid_allocated & kPidnsAdding, 0u);
  s.ExpectClean();
}

}  // namespace
}  // namespace forksim

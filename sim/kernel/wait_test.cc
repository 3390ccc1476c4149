// The wait family: kernel/exit.c:do_wait(), wait_task_zombie(),
// kernel_wait4() and kernel_waitid() [5.2] (sim/kernel/wait.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <climits>
#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel/pid.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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
    Sim s(abi);
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

TEST(WaitidTest, ReportsAnExitedChildWithTheAbisSiginfoLayout) {
  for (Abi abi : kAllAbis) {
    Sim s(abi);
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

}  // namespace
}  // namespace forksim

// do_exit(), exit_notify() and the reparenting of children, release_task()
// and do_group_exit(): kernel/exit.c [5.2] (sim/kernel/exit.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel/pid.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ExitWaitTest, ExitThenWait4ReapsWithStatusAndPidOnEveryAbi) {
  for (Abi abi : kAllAbis) {
    Sim s(abi);
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

}  // namespace
}  // namespace forksim

// The release of an mm: kernel/fork.c:mm_release() [5.2], with
// CLONE_CHILD_CLEARTID and the vfork completion (sim/kernel/vfork.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

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

}  // namespace
}  // namespace forksim

// The id syscalls: kernel/sys.c [5.2] (sim/kernel/sys.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

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

}  // namespace
}  // namespace forksim

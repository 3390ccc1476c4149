// The end of a pid namespace: kernel/exit.c:find_child_reaper() and
// kernel/pid_namespace.c:zap_pid_ns_processes() [5.2]
// (sim/kernel/pid_namespace.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel/pid.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

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

// A child's exit signal: kernel/signal.c:do_notify_parent() and
// sig_ignored() [5.2] (sim/kernel/signal.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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

}  // namespace
}  // namespace forksim

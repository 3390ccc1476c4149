// execve() as the release of the mm: fs/exec.c [5.2] (sim/kernel/exec.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/pid.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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

}  // namespace
}  // namespace forksim

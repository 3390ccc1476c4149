// The invariant checker: clean after boot, and each rule caught when it is
// deliberately broken in a fixture.

#include "model/kernel/invariants.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/kernel/machine.h"

namespace forksim {
namespace {

using ::testing::IsEmpty;

class InvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override { m_ = Machine::Boot(MachineConfig{}); }

  // The rules violated, as "object: rule" strings.
  std::vector<std::string> Broken() const {
    std::vector<std::string> out;
    for (const Violation& v : CheckInvariants(*m_)) {
      out.push_back(v.object + ": " + v.rule);
    }
    return out;
  }

  std::unique_ptr<Machine> m_;
};

TEST_F(InvariantsTest, CleanAfterBootOnEveryAbi) {
  for (Abi abi : kAllAbis) {
    auto m = Machine::Boot(MachineConfig{.abi = abi});
    EXPECT_THAT(CheckInvariants(*m), IsEmpty()) << AbiName(abi);
    EXPECT_EQ(m->nr_threads, 2);  // init and kthreadd
    EXPECT_EQ(m->total_forks, 2u);
  }
}

TEST_F(InvariantsTest, RefcountAboveItsHolders) {
  ++m_->init->fs->refcount;
  EXPECT_THAT(Broken(), ::testing::ElementsAre("fs#1: refcount"));
}

TEST_F(InvariantsTest, RefcountBelowItsHolders) {
  --m_->init->files->refcount;  // init's own table: one holder
  EXPECT_THAT(Broken(), ::testing::Contains("files#2: refcount"));
}

TEST_F(InvariantsTest, ObjectAliveWithoutAHolder) {
  m_->io_contexts.Create();  // refcount 1, nobody holds it
  EXPECT_THAT(Broken(), ::testing::ElementsAre("io_context#1: refcount"));
}

TEST_F(InvariantsTest, FileReferencesAreCountedFromFdSlots) {
  File* console = m_->init->files->fd[0];
  ++console->refcount;  // a reference nobody holds: a leaked fget()
  EXPECT_THAT(Broken(), ::testing::ElementsAre("file#1: refcount"));
}

TEST_F(InvariantsTest, ReservedPidNumberLeftBehind) {
  // alloc_pid()'s NULL placeholder left in the idr: a leaked number.
  ASSERT_TRUE(m_->init_pid_ns->idr.AllocCyclic(nullptr, 1, 100).ok());
  ++m_->init_pid_ns->pid_allocated;
  EXPECT_THAT(Broken(), ::testing::ElementsAre("pid_ns#1: pid-table"));
}

TEST_F(InvariantsTest, PidAllocatedCountDisagreesWithTheIdr) {
  ++m_->init_pid_ns->pid_allocated;
  EXPECT_THAT(Broken(), ::testing::ElementsAre("pid_ns#1: pid-table"));
}

TEST_F(InvariantsTest, PidNumberMissingFromItsNamespace) {
  m_->init_pid_ns->idr.Remove(2);  // kthreadd's number vanished
  --m_->init_pid_ns->pid_allocated;
  EXPECT_THAT(Broken(), ::testing::Contains("pid#3: refcount"));
}

TEST_F(InvariantsTest, TaskMissingFromItsParentsChildren) {
  m_->idle->children.pop_back();  // kthreadd
  EXPECT_THAT(Broken(), ::testing::ElementsAre("task 2: task-links"));
}

TEST_F(InvariantsTest, TaskIdsDisagreeWithItsPid) {
  m_->kthreadd->tgid = Tgid(1);
  EXPECT_THAT(Broken(), ::testing::ElementsAre("task 2: task-links"));
}

TEST_F(InvariantsTest, FdBitmapDisagreesWithSlots) {
  m_->init->files->open_fds.Clear(1);  // fd 1 is installed
  EXPECT_THAT(Broken(), ::testing::Contains("files#2: fd-table"));
}

TEST_F(InvariantsTest, ReservedFdNeverInstalled) {
  // get_unused_fd_flags() without fd_install() or put_unused_fd().
  ASSERT_TRUE(AllocFd(m_->fd_env(), *m_->init->files, 0, 1024, false).ok());
  EXPECT_THAT(Broken(), ::testing::ElementsAre("files#2: fd-table"));
}

TEST_F(InvariantsTest, ProcessCountDisagreesWithTasks) {
  ++m_->init->real_cred->user->processes;
  EXPECT_THAT(Broken(), ::testing::ElementsAre("user#1 (uid 0): nproc"));
}

TEST_F(InvariantsTest, NrThreadsDisagreesWithTasks) {
  ++m_->nr_threads;
  EXPECT_THAT(Broken(), ::testing::ElementsAre("machine: nr-threads"));
}

TEST_F(InvariantsTest, SignalLiveDisagreesWithThreads) {
  ++m_->init->signal->live;
  EXPECT_THAT(Broken(), ::testing::ElementsAre("signal#2: nr-threads"));
}

TEST_F(InvariantsTest, UcountWithoutANamespace) {
  ++m_->init_user_ns->ucounts[1000][kUcountNetNamespaces];
  EXPECT_THAT(Broken(), ::testing::ElementsAre("user_ns#1: ucounts"));
}

TEST_F(InvariantsTest, ViolationsNameObjectRuleAndDetail) {
  ++m_->nr_threads;
  const std::vector<Violation> v = CheckInvariants(*m_);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].ToString(),
            "machine: nr-threads: nr_threads 3, but 2 task(s) found");
}

}  // namespace
}  // namespace forksim

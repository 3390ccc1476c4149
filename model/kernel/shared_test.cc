// Share-or-copy of the structures a child gets (kernel/fork.c:copy_process()
// S16-S23 [5.2] and its copy_* helpers), and the machine built at boot.

#include "model/kernel/shared.h"

#include <memory>

#include "gtest/gtest.h"
#include "model/kernel/invariants.h"
#include "model/kernel/machine.h"

namespace forksim {
namespace {

class SharedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = Machine::Boot(MachineConfig{});
    parent_ = m_->init;
    // The child as dup_task_struct() leaves it.
    p_.files = parent_->files;
    p_.fs = parent_->fs;
    p_.sighand = parent_->sighand;
    p_.signal = parent_->signal;
    p_.mm = parent_->mm;
  }
  void ExpectClean() {
    for (const Violation& v : CheckInvariants(*m_))
      ADD_FAILURE() << v.ToString();
  }

  std::unique_ptr<Machine> m_;
  Task* parent_ = nullptr;
  Task p_;
};

TEST_F(SharedTest, CloneVmSharesTheMmOtherwiseACopy) {
  ASSERT_TRUE(CopyMm(*m_, parent_, &p_, kCloneVm).ok());
  EXPECT_EQ(p_.mm, parent_->mm);
  EXPECT_EQ(parent_->mm->refcount, 2);
  MmPut(*m_, p_.mm);
  ASSERT_TRUE(
      parent_->mm->memory->Map(0x10000, kPageSize, kProtReadWrite).ok());
  ASSERT_TRUE(parent_->mm->memory->PutUser(0x10000, 4, 7).ok());
  ASSERT_TRUE(CopyMm(*m_, parent_, &p_, 0).ok());
  ASSERT_NE(p_.mm, parent_->mm);
  uint64_t value = 0;
  ASSERT_TRUE(p_.mm->memory->GetUser(0x10000, 4, &value).ok());
  EXPECT_EQ(value, 7u);  // the copy has the parent's contents
  ASSERT_TRUE(p_.mm->memory->PutUser(0x10000, 4, 8).ok());
  ASSERT_TRUE(parent_->mm->memory->GetUser(0x10000, 4, &value).ok());
  EXPECT_EQ(value, 7u);  // and is private
  MmPut(*m_, p_.mm);
  ExpectClean();
}

TEST_F(SharedTest, AnyDupMmFailureIsEnomem) {
  for (uint32_t n = 1; n <= 3; ++n) {
    m_->faults.FailNth(n);
    EXPECT_EQ(CopyMm(*m_, parent_, &p_, 0).error(), Errno::kENOMEM) << n;
    EXPECT_EQ(p_.mm, nullptr);
  }
  ExpectClean();
}

TEST_F(SharedTest, KernelThreadHasNoMmToCopy) {
  Task q;
  ASSERT_TRUE(CopyMm(*m_, m_->kthreadd, &q, 0).ok());
  EXPECT_EQ(q.mm, nullptr);
}

TEST_F(SharedTest, CloneFilesSharesTheTableOtherwiseDupFd) {
  ASSERT_TRUE(CopyFiles(*m_, parent_, &p_, kCloneFiles).ok());
  EXPECT_EQ(p_.files, parent_->files);
  EXPECT_EQ(parent_->files->refcount, 2);
  ExitFiles(*m_, &p_);
  p_.files = parent_->files;
  ASSERT_TRUE(CopyFiles(*m_, parent_, &p_, 0).ok());
  ASSERT_NE(p_.files, parent_->files);
  EXPECT_EQ(FdLookup(*p_.files, 0), FdLookup(*parent_->files, 0));
  EXPECT_EQ(FdLookup(*parent_->files, 0)->refcount, 6);  // 3 fds, 2 tables
  ExitFiles(*m_, &p_);
  ExpectClean();
}

TEST_F(SharedTest, CloneFsSharesUnlessInExec) {
  parent_->fs->in_exec = true;
  EXPECT_EQ(CopyFs(*m_, parent_, &p_, kCloneFs).error(), Errno::kEAGAIN);
  parent_->fs->in_exec = false;
  ASSERT_TRUE(CopyFs(*m_, parent_, &p_, kCloneFs).ok());
  EXPECT_EQ(p_.fs, parent_->fs);
  ExitFs(*m_, &p_);
  parent_->fs->root = "/jail";
  ASSERT_TRUE(CopyFs(*m_, parent_, &p_, 0).ok());
  EXPECT_NE(p_.fs, parent_->fs);
  EXPECT_EQ(p_.fs->root, "/jail");
  EXPECT_EQ(p_.fs->in_exec, false);
  ExitFs(*m_, &p_);
  ExpectClean();
}

TEST_F(SharedTest, CloneSighandSharesOtherwiseCopiesEveryAction) {
  parent_->sighand->action[kSigchld - 1].handler = kSigIgn;
  ASSERT_TRUE(CopySighand(*m_, parent_, &p_, kCloneSighand).ok());
  EXPECT_EQ(parent_->sighand->refcount, 2);
  CleanupSighand(*m_, p_.sighand);
  ASSERT_TRUE(CopySighand(*m_, parent_, &p_, 0).ok());
  ASSERT_NE(p_.sighand, parent_->sighand);
  EXPECT_EQ(p_.sighand->action[kSigchld - 1].handler, kSigIgn);
  CleanupSighand(*m_, p_.sighand);
  m_->faults.FailNth(1);
  EXPECT_EQ(CopySighand(*m_, parent_, &p_, 0).error(), Errno::kENOMEM);
  EXPECT_EQ(p_.sighand, nullptr);  // rcu_assign_pointer(tsk->sighand, NULL)
  ExpectClean();
}

TEST_F(SharedTest, CloneThreadKeepsTheSignalStructOtherwiseNewWithRlimits) {
  ASSERT_TRUE(CopySignal(*m_, parent_, &p_, kCloneThread).ok());
  EXPECT_EQ(p_.signal, parent_->signal);
  EXPECT_EQ(parent_->signal->refcount, 1);  // taken when the thread is linked
  parent_->signal->rlim[kRlimitNproc].cur = 5;
  ASSERT_TRUE(CopySignal(*m_, parent_, &p_, 0).ok());
  ASSERT_NE(p_.signal, parent_->signal);
  EXPECT_EQ(p_.signal->rlim[kRlimitNproc].cur, 5u);
  EXPECT_EQ(p_.signal->nr_threads, 1);
  EXPECT_EQ(p_.signal->live, 1);
  PutSignalStruct(*m_, p_.signal);
  ExpectClean();
}

TEST_F(SharedTest, SysvsemCreatesTheCallersListThenShares) {
  ASSERT_TRUE(CopySemundo(*m_, parent_, &p_, 0).ok());
  EXPECT_EQ(p_.sysvsem, nullptr);
  ASSERT_TRUE(CopySemundo(*m_, parent_, &p_, kCloneSysvsem).ok());
  ASSERT_NE(parent_->sysvsem, nullptr);
  EXPECT_EQ(p_.sysvsem, parent_->sysvsem);
  EXPECT_EQ(parent_->sysvsem->refcount, 2);
  ExitSem(*m_, &p_);
  ExitSem(*m_, parent_);
  ExpectClean();
}

TEST_F(SharedTest, IoContextOnlyWithAValidIoprioOrCloneIo) {
  ASSERT_TRUE(CopyIo(*m_, parent_, &p_, 0).ok());
  EXPECT_EQ(p_.io_context, nullptr);  // the caller has none
  parent_->io_context = m_->io_contexts.Create();
  ASSERT_TRUE(CopyIo(*m_, parent_, &p_, 0).ok());
  EXPECT_EQ(p_.io_context, nullptr);  // ioprio 0 is IOPRIO_CLASS_NONE
  ASSERT_TRUE(CopyIo(*m_, parent_, &p_, kCloneIo).ok());
  EXPECT_EQ(p_.io_context, parent_->io_context);
  ExitIoContext(*m_, &p_);
  parent_->io_context->ioprio = (2 << 13) | 4;  // best-effort, level 4
  ASSERT_TRUE(CopyIo(*m_, parent_, &p_, 0).ok());
  ASSERT_NE(p_.io_context, nullptr);
  EXPECT_NE(p_.io_context, parent_->io_context);
  EXPECT_EQ(p_.io_context->ioprio, (2 << 13) | 4);
  ExitIoContext(*m_, &p_);
  ExitIoContext(*m_, parent_);
  ExpectClean();
}

TEST(MachineTest, BootSysctlsPerAbi) {
  auto x86_64 = Machine::Boot(MachineConfig{});
  // set_max_threads(): 2 GiB / (16 KiB * 8).
  EXPECT_EQ(x86_64->sysctls.max_threads, 16384);
  EXPECT_EQ(x86_64->init->signal->rlim[kRlimitNproc].cur, 8192u);
  EXPECT_EQ(x86_64->init_user_ns->ucount_max[kUcountNetNamespaces], 8192);
  EXPECT_EQ(x86_64->sysctls.pid_max, 32768);
  EXPECT_EQ(x86_64->fd_env().bits_per_long, 64u);
  EXPECT_EQ(x86_64->init->files->max_fds, 64u);  // NR_OPEN_DEFAULT
  auto i386 = Machine::Boot(MachineConfig{.abi = Abi::kI386});
  EXPECT_EQ(i386->sysctls.max_threads, 32768);  // THREAD_SIZE 8 KiB
  EXPECT_EQ(i386->init->files->max_fds, 32u);
  EXPECT_EQ(i386->SetNrOpen(31).error(), Errno::kEINVAL);
  EXPECT_TRUE(i386->SetNrOpen(32).ok());
  EXPECT_EQ(x86_64->SetThreadsMax(19).error(), Errno::kEINVAL);
  EXPECT_TRUE(x86_64->SetThreadsMax(20).ok());
}

TEST(MachineTest, BootTasksAsRestInitLeavesThem) {
  auto m = Machine::Boot(MachineConfig{});
  EXPECT_EQ(m->init->real_parent, m->idle);
  EXPECT_EQ(m->kthreadd->real_parent, m->idle);
  EXPECT_EQ(m->init->exit_signal, 0);
  EXPECT_TRUE(m->init->signal->flags & kSignalUnkillable);
  EXPECT_NE(m->init->mm, nullptr);
  EXPECT_EQ(m->kthreadd->mm, nullptr);
  EXPECT_TRUE(m->kthreadd->flags & kPfKthread);
  EXPECT_EQ(m->kthreadd->files, m->idle->files);  // CLONE_FILES
  EXPECT_EQ(m->init->fs, m->idle->fs);            // CLONE_FS
  EXPECT_EQ(FdLookup(*m->init->files, 2)->name, "/dev/console");
  EXPECT_EQ(m->init->real_cred->user->processes, 2);
}

}  // namespace
}  // namespace forksim

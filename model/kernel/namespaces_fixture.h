// -----------------------------------------------------------------------------
// File: model/kernel/namespaces_fixture.h
// -----------------------------------------------------------------------------
//
// The fixture of cred_test.cc and nsproxy_test.cc: a booted machine whose
// init is the parent, a child built as dup_task_struct() leaves it (the
// parent's pointers, no references), copy_creds() then copy_namespaces() as
// copy_process() runs them, and the undo. TearDown() checks that nothing
// leaked.

#ifndef FORKSIM_MODEL_KERNEL_NAMESPACES_FIXTURE_H_
#define FORKSIM_MODEL_KERNEL_NAMESPACES_FIXTURE_H_

#include <memory>

#include "gtest/gtest.h"
#include "model/kernel/cred.h"
#include "model/kernel/invariants.h"
#include "model/kernel/machine.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"

namespace forksim {

class NamespacesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = Machine::Boot(MachineConfig{});
    parent_ = m_->init;
  }
  void TearDown() override {
    for (const Violation& v : CheckInvariants(*m_))
      ADD_FAILURE() << v.ToString();
  }

  // An unprivileged caller: uid 1000, no capabilities, in init_user_ns. Its
  // cred replaces init's for the test and is restored by Restore().
  void BecomeUnprivileged() {
    saved_cred_ = parent_->cred;
    Cred* cred = PrepareCreds(*m_, parent_->cred).value();
    cred->uid = cred->euid = cred->suid = cred->fsuid = 1000;
    cred->gid = cred->egid = cred->sgid = cred->fsgid = 1000;
    cred->caps = CapSets{};
    UserStruct* user = AllocUid(*m_, 1000).value();
    FreeUid(*m_, cred->user);
    cred->user = user;
    parent_->cred = cred;
  }
  void Restore() {
    if (saved_cred_ == nullptr) return;
    PutCred(*m_, parent_->cred);
    parent_->cred = saved_cred_;
    saved_cred_ = nullptr;
  }

  // The child as dup_task_struct() leaves it.
  Task DupTask() {
    Task p;
    p.cred = p.real_cred = parent_->cred;
    p.nsproxy = parent_->nsproxy;
    p.fs = parent_->fs;
    return p;
  }

  // copy_creds() then copy_namespaces(), as copy_process() runs them.
  Errno Fork(Task& p, uint64_t flags) {
    if (SysStatus s = CopyCreds(*m_, &p, flags); !s.ok()) return s.error();
    if (SysStatus s = CopyNamespaces(*m_, parent_, &p, flags); !s.ok()) {
      UndoCreds(p);
      return s.error();
    }
    return Errno{};
  }
  // bad_fork_cleanup_count: the process count copy_creds() took, then the
  // creds.
  void UndoCreds(Task& p) {
    --p.real_cred->user->processes;
    ExitCreds(*m_, &p);
  }
  void Release(Task& p) {
    ExitTaskNamespaces(*m_, &p);
    UndoCreds(p);
  }

  std::unique_ptr<Machine> m_;
  Task* parent_ = nullptr;
  Cred* saved_cred_ = nullptr;
};

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_NAMESPACES_FIXTURE_H_

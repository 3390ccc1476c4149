// Credentials and namespaces: kernel/cred.c:copy_creds(),
// kernel/user_namespace.c:create_user_ns(),
// kernel/nsproxy.c:copy_namespaces(), security/commoncap.c:cap_capable() and
// kernel/ucount.c:inc_ucount() [5.2].
//
// Each test builds the child `p` as dup_task_struct() leaves it (the parent's
// pointers, no references), runs the step, undoes it, and checks that the
// machine is back to a clean state: nothing leaked.

#include <memory>

#include "gtest/gtest.h"
#include "model/kernel/cred.h"
#include "model/kernel/invariants.h"
#include "model/kernel/machine.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"

namespace forksim {
namespace {

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

TEST_F(NamespacesTest, NoNamespaceFlagSharesTheNsproxy) {
  Task p = DupTask();
  ASSERT_EQ(Fork(p, kCloneVm), Errno{});
  EXPECT_EQ(p.nsproxy, parent_->nsproxy);
  EXPECT_EQ(p.nsproxy->refcount, 4);  // idle, init, kthreadd, p
  EXPECT_NE(p.cred, parent_->cred);   // copy_creds made a copy
  EXPECT_EQ(p.cred, p.real_cred);
  EXPECT_EQ(p.cred->refcount, 2);
  Release(p);
}

TEST_F(NamespacesTest, CloneThreadSharesTheCreds) {
  Task p = DupTask();
  ASSERT_TRUE(CopyCreds(*m_, &p, kCloneThread | kCloneSighand | kCloneVm).ok());
  EXPECT_EQ(p.cred, parent_->cred);
  EXPECT_EQ(parent_->cred->refcount, 4);  // parent's two and the child's two
  UndoCreds(p);
}

TEST_F(NamespacesTest, EachFlagMakesItsOwnNamespace) {
  struct Case {
    uint64_t flag;
    Namespace* NsProxy::*field;  // nullptr for the pid namespace
  };
  for (const Case& c :
       {Case{kCloneNewns, &NsProxy::mnt}, Case{kCloneNewuts, &NsProxy::uts},
        Case{kCloneNewipc, &NsProxy::ipc},
        Case{kCloneNewcgroup, &NsProxy::cgroup},
        Case{kCloneNewnet, &NsProxy::net}, Case{kCloneNewpid, nullptr}}) {
    Task p = DupTask();
    ASSERT_EQ(Fork(p, c.flag), Errno{}) << c.flag;
    NsProxy* old = parent_->nsproxy;
    ASSERT_NE(p.nsproxy, old);
    for (Namespace* NsProxy::*field :
         {&NsProxy::mnt, &NsProxy::uts, &NsProxy::ipc, &NsProxy::cgroup,
          &NsProxy::net}) {
      if (field == c.field) {
        EXPECT_NE(p.nsproxy->*field, old->*field) << c.flag;
        EXPECT_EQ((p.nsproxy->*field)->ucount_uid, 0u);
      } else {
        EXPECT_EQ(p.nsproxy->*field, old->*field) << c.flag;
      }
    }
    if (c.field == nullptr) {
      EXPECT_EQ(p.nsproxy->pid_for_children->level, 1);
      EXPECT_EQ(p.nsproxy->pid_for_children->parent, m_->init_pid_ns);
    } else {
      EXPECT_EQ(p.nsproxy->pid_for_children, old->pid_for_children);
    }
    Release(p);
  }
}

TEST_F(NamespacesTest, UnprivilegedCallerGetsEpermForEachNamespaceFlag) {
  BecomeUnprivileged();
  for (uint64_t flag : {kCloneNewns, kCloneNewuts, kCloneNewipc, kCloneNewpid,
                        kCloneNewnet, kCloneNewcgroup}) {
    Task p = DupTask();
    EXPECT_EQ(Fork(p, flag), Errno::kEPERM) << flag;
  }
  Restore();
}

TEST_F(NamespacesTest, NewuserNeedsNoCapabilityAndGrantsTheRest) {
  BecomeUnprivileged();
  Task p = DupTask();
  // The new user namespace is owned by the caller's euid, and its parent is
  // the caller's namespace: cap_capable() grants CAP_SYS_ADMIN in it.
  ASSERT_EQ(Fork(p, kCloneNewuser | kCloneNewnet | kCloneNewpid | kCloneNewns),
            Errno{});
  EXPECT_EQ(p.cred->user_ns->level, 1);
  EXPECT_EQ(p.cred->user_ns->owner, 1000u);
  EXPECT_EQ(p.cred->caps.effective, kCapFullSet);
  EXPECT_EQ(p.nsproxy->net->user_ns, p.cred->user_ns);
  EXPECT_EQ(p.nsproxy->pid_for_children->user_ns, p.cred->user_ns);
  // The charges: one user namespace for uid 1000 in init_user_ns; the net
  // namespace charged to 1000 in the new namespace and, up the chain, to the
  // new namespace's owner (1000) in init_user_ns.
  EXPECT_EQ(m_->init_user_ns->ucounts.at(1000)[kUcountUserNamespaces], 1);
  EXPECT_EQ(m_->init_user_ns->ucounts.at(1000)[kUcountNetNamespaces], 1);
  EXPECT_EQ(p.cred->user_ns->ucounts.at(1000)[kUcountNetNamespaces], 1);
  Release(p);
  EXPECT_EQ(m_->init_user_ns->ucounts.count(1000), 0u);
  Restore();
}

TEST_F(NamespacesTest, NewuserWithNewnetAlonePlainNewnetIsEperm) {
  BecomeUnprivileged();
  Task p = DupTask();
  EXPECT_EQ(Fork(p, kCloneNewnet), Errno::kEPERM);
  Task q = DupTask();
  ASSERT_EQ(Fork(q, kCloneNewuser | kCloneNewnet), Errno{});
  Release(q);
  Restore();
}

TEST_F(NamespacesTest, NewipcWithSysvsemIsEinvalButOnlyAfterTheEpermCheck) {
  Task p = DupTask();
  EXPECT_EQ(Fork(p, kCloneNewipc | kCloneSysvsem), Errno::kEINVAL);
  BecomeUnprivileged();
  Task q = DupTask();
  EXPECT_EQ(Fork(q, kCloneNewipc | kCloneSysvsem), Errno::kEPERM);
  Restore();
}

TEST_F(NamespacesTest, UcountLimitIsEnospcAndTheCreatedOnesUnwindInReverse) {
  ASSERT_TRUE(m_->SetUcountMax(kUcountNetNamespaces, 0).ok());
  const size_t namespaces = m_->namespaces.size();
  const size_t pid_namespaces = m_->pid_namespaces.size();
  Task p = DupTask();
  // mnt, uts, ipc and pid are made before net fails: all four are undone.
  EXPECT_EQ(Fork(p, kCloneNewns | kCloneNewuts | kCloneNewipc | kCloneNewpid |
                        kCloneNewnet),
            Errno::kENOSPC);
  EXPECT_EQ(m_->namespaces.size(), namespaces);
  EXPECT_EQ(m_->pid_namespaces.size(), pid_namespaces);
  EXPECT_EQ(m_->init_user_ns->ucounts.count(0), 0u);
  ASSERT_TRUE(m_->SetUcountMax(kUcountNetNamespaces, 1).ok());
  Task q = DupTask();
  ASSERT_EQ(Fork(q, kCloneNewnet), Errno{});
  Task r = DupTask();
  EXPECT_EQ(Fork(r, kCloneNewnet), Errno::kENOSPC);
  Release(q);
}

TEST_F(NamespacesTest, AllocationFailureAtEachStepUnwinds) {
  const uint64_t flags = kCloneNewns | kCloneNewuts | kCloneNewipc |
                         kCloneNewpid | kCloneNewcgroup | kCloneNewnet;
  int failures = 0;
  for (uint32_t n = 1;; ++n) {
    Task p = DupTask();
    m_->faults.FailNth(n);
    const Errno e = Fork(p, flags);
    m_->faults.FailNth(0);
    if (e == Errno{}) {
      Release(p);
      break;
    }
    ++failures;
    EXPECT_TRUE(e == Errno::kENOMEM || e == Errno::kENOSPC) << n;
    for (const Violation& v : CheckInvariants(*m_)) {
      ADD_FAILURE() << "fail_nth " << n << ": " << v.ToString();
    }
  }
  // prepare_creds, create_nsproxy, then an allocation per namespace (the
  // ucount entry's allocation comes first, once per new (ns, uid) pair).
  EXPECT_GE(failures, 8);
}

TEST_F(NamespacesTest, CreateUserNsLadder) {
  // EPERM when the caller's euid has no mapping in its own namespace: a
  // process inside a fresh user namespace whose uid_map was never written.
  Cred* cred = PrepareCreds(*m_, parent_->cred).value();
  ASSERT_TRUE(CreateUserNs(*m_, cred, false).ok());
  EXPECT_TRUE(cred->user_ns->uid_map.empty());
  Cred* nested = PrepareCreds(*m_, cred).value();
  EXPECT_EQ(CreateUserNs(*m_, nested, false).error(), Errno::kEPERM);
  // With the map written, nesting works.
  cred->user_ns->uid_map = {{0, 0, 1}};
  cred->user_ns->gid_map = {{0, 0, 1}};
  EXPECT_TRUE(CreateUserNs(*m_, nested, false).ok());
  EXPECT_EQ(nested->user_ns->level, 2);
  PutCred(*m_, nested);
  // A chrooted caller: EPERM.
  Cred* chrooted = PrepareCreds(*m_, parent_->cred).value();
  EXPECT_EQ(CreateUserNs(*m_, chrooted, /*chrooted=*/true).error(),
            Errno::kEPERM);
  PutCred(*m_, chrooted);
  PutCred(*m_, cred);
}

TEST_F(NamespacesTest, UserNamespaceDepthIsLimitedAboveLevel32) {
  // "creation fails if parent level > 32" (user_namespace.c:77-79): levels up
  // to 33 exist.
  std::vector<Cred*> creds = {PrepareCreds(*m_, parent_->cred).value()};
  for (int level = 1; level <= 33; ++level) {
    Cred* cred = PrepareCreds(*m_, creds.back()).value();
    ASSERT_TRUE(CreateUserNs(*m_, cred, false).ok()) << level;
    cred->user_ns->uid_map = {{0, 0, 1}};
    cred->user_ns->gid_map = {{0, 0, 1}};
    creds.push_back(cred);
  }
  EXPECT_EQ(creds.back()->user_ns->level, 33);
  Cred* too_deep = PrepareCreds(*m_, creds.back()).value();
  EXPECT_EQ(CreateUserNs(*m_, too_deep, false).error(), Errno::kENOSPC);
  PutCred(*m_, too_deep);
  for (auto it = creds.rbegin(); it != creds.rend(); ++it) PutCred(*m_, *it);
}

TEST_F(NamespacesTest, CapCapableWalk) {
  Cred* owner = PrepareCreds(*m_, parent_->cred).value();
  owner->euid = 1000;
  owner->caps = CapSets{};
  ASSERT_TRUE(CreateUserNs(*m_, owner, false).ok());
  UserNamespace* ns = owner->user_ns;
  // Inside its own namespace: its effective set (full after creation).
  EXPECT_TRUE(NsCapable(owner, ns, kCapSysAdmin));
  // Over the parent (init_user_ns): no.
  EXPECT_FALSE(NsCapable(owner, m_->init_user_ns, kCapSysAdmin));
  // Another uid-1000 process in init_user_ns without capabilities owns it.
  Cred outsider = *owner;
  outsider.user_ns = m_->init_user_ns;
  outsider.caps = CapSets{};
  EXPECT_TRUE(NsCapable(&outsider, ns, kCapSysAdmin));
  outsider.euid = 1001;
  EXPECT_FALSE(NsCapable(&outsider, ns, kCapSysAdmin));
  // Root in init_user_ns has everything everywhere below.
  EXPECT_TRUE(NsCapable(parent_->cred, ns, kCapSysAdmin));
  PutCred(*m_, owner);
}

}  // namespace
}  // namespace forksim

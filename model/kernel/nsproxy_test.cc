// New namespaces at fork: kernel/nsproxy.c:copy_namespaces() and
// create_new_namespaces(), with kernel/ucount.c:inc_ucount() [5.2]
// (model/kernel/nsproxy.cc). Each test undoes what it built and the fixture
// checks that nothing leaked.

#include "model/kernel/namespaces_fixture.h"

namespace forksim {
namespace {

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

}  // namespace
}  // namespace forksim

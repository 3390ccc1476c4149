// Credentials and user namespaces: kernel/cred.c:copy_creds(),
// kernel/user_namespace.c:create_user_ns() and
// security/commoncap.c:cap_capable() [5.2] (model/kernel/cred.cc). Each test
// undoes what it built and the fixture checks that nothing leaked.

#include "model/kernel/namespaces_fixture.h"

namespace forksim {
namespace {

TEST_F(NamespacesTest, CloneThreadSharesTheCreds) {
  Task p = DupTask();
  ASSERT_TRUE(CopyCreds(*m_, &p, kCloneThread | kCloneSighand | kCloneVm).ok());
  EXPECT_EQ(p.cred, parent_->cred);
  EXPECT_EQ(parent_->cred->refcount, 4);  // parent's two and the child's two
  UndoCreds(p);
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
  // "creation fails if parent level > 32"
  // (kernel/user_namespace.c:create_user_ns() [5.2], lines 77-79): levels up
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

#include "model/kernel/cred.h"

#include <climits>

#include "model/kernel/machine.h"

namespace forksim {

// --- user_struct ---

SysResult<UserStruct*> AllocUid(Machine& m, uint32_t kuid) {
  // kernel/user.c:alloc_uid() [5.2]: find in the uidhash, else allocate.
  if (auto it = m.uid_hash.find(kuid); it != m.uid_hash.end()) {
    Registry<UserStruct>::Get(it->second);
    return it->second;
  }
  FORKSIM_TRY(m.faults.Check("kernel/user.c:alloc_uid() kmem_cache_zalloc",
                             Errno::kENOMEM));
  UserStruct* user = m.users.Create();
  user->uid = kuid;
  m.uid_hash[kuid] = user;
  return user;
}

void FreeUid(Machine& m, UserStruct* user) {
  // kernel/user.c:free_uid(): the last reference unhashes and frees.
  if (!Registry<UserStruct>::Release(user)) return;
  m.uid_hash.erase(user->uid);
  m.users.Destroy(user);
}

// --- creds ---

SysResult<Cred*> PrepareCreds(Machine& m, const Cred* old) {
  // kernel/cred.c:prepare_creds() [5.2].
  FORKSIM_TRY(m.faults.Check("kernel/cred.c:prepare_creds() kmem_cache_alloc",
                             Errno::kENOMEM));
  Cred* cred = m.creds.Create();
  const uint64_t serial = cred->serial;
  *cred = *old;
  cred->serial = serial;
  cred->refcount = 1;
  Registry<UserStruct>::Get(cred->user);
  GetUserNs(cred->user_ns);
  return cred;
}

void GetCred(Cred* cred) { Registry<Cred>::Get(cred); }

void PutCred(Machine& m, Cred* cred) {
  // kernel/cred.c:__put_cred() -> put_cred_rcu(): drop user and user_ns.
  if (!Registry<Cred>::Release(cred)) return;
  UserStruct* user = cred->user;
  UserNamespace* user_ns = cred->user_ns;
  m.creds.Destroy(cred);
  FreeUid(m, user);
  PutUserNs(m, user_ns);
}

SysStatus CopyCreds(Machine& m, Task* p, uint64_t clone_flags) {
  // kernel/cred.c:copy_creds() [5.2]. Keyrings are not modelled: a thread
  // keyring would force the copy path even with CLONE_THREAD.
  if (clone_flags & kCloneThread) {
    GetCred(p->cred);  // p->real_cred
    GetCred(p->cred);  // p->cred
    p->real_cred = p->cred;
    ++p->cred->user->processes;
    return SysOk();
  }
  SysResult<Cred*> prepared = PrepareCreds(m, p->cred);
  FORKSIM_TRY(prepared);
  Cred* cred = prepared.value();
  if (clone_flags & kCloneNewuser) {
    const bool chrooted = p->fs != nullptr && p->fs->root != "/";
    if (SysStatus s = CreateUserNs(m, cred, chrooted); !s.ok()) {
      PutCred(m, cred);
      return s;
    }
  }
  ++cred->user->processes;
  GetCred(cred);  // p->cred and p->real_cred: the prepared reference + one
  p->cred = p->real_cred = cred;
  return SysOk();
}

void ExitCreds(Machine& m, Task* task) {
  // kernel/cred.c:exit_creds() [5.2].
  Cred* real = task->real_cred;
  Cred* cred = task->cred;
  task->real_cred = task->cred = nullptr;
  if (real != nullptr) PutCred(m, real);
  if (cred != nullptr) PutCred(m, cred);
}

void CommitCreds(Machine& m, Task* task, Cred* new_cred) {
  Cred* old_real = task->real_cred;
  Cred* old = task->cred;
  GetCred(new_cred);  // "we will require a ref for the subj creds too"
  if (new_cred->user != old_real->user) ++new_cred->user->processes;
  task->real_cred = task->cred = new_cred;
  if (new_cred->user != old_real->user) --old_real->user->processes;
  PutCred(m, old_real);
  PutCred(m, old);
}

// --- user namespaces ---

bool InUserNs(const UserNamespace* ancestor, const UserNamespace* child) {
  for (const UserNamespace* ns = child; ns != nullptr; ns = ns->parent) {
    if (ns == ancestor) return true;
  }
  return false;
}

namespace {

bool MapHas(const std::vector<IdMapExtent>& map, uint32_t kid) {
  for (const IdMapExtent& extent : map) {
    if (kid >= extent.lower_first && kid - extent.lower_first < extent.count) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool KuidHasMapping(const UserNamespace* ns, uint32_t kuid) {
  // The extents hold kernel ids (map_write() translated them), so one
  // namespace's map answers the question for its whole chain.
  return MapHas(ns->uid_map, kuid);
}

bool KgidHasMapping(const UserNamespace* ns, uint32_t kgid) {
  return MapHas(ns->gid_map, kgid);
}

uint32_t FromKuidMunged(const UserNamespace* ns, uint32_t kuid) {
  constexpr uint32_t kOverflowUid = 65534;  // kernel/sys.c [5.2]
  if (ns->parent == nullptr) return kuid;   // init_user_ns: the identity
  for (const IdMapExtent& e : ns->uid_map) {
    if (kuid >= e.lower_first && kuid - e.lower_first < e.count) {
      return e.first + (kuid - e.lower_first);
    }
  }
  return kOverflowUid;
}

SysStatus CreateUserNs(Machine& m, Cred* cred, bool chrooted) {
  // kernel/user_namespace.c:create_user_ns() [5.2], in order.
  UserNamespace* parent = cred->user_ns;
  const uint32_t owner = cred->euid;
  const uint32_t group = cred->egid;
  if (parent->level > 32) return Errno::kENOSPC;
  FORKSIM_TRY(IncUcount(m, parent, owner, kUcountUserNamespaces));
  Errno error = Errno::kEPERM;
  if (chrooted) goto fail_dec;
  if (!KuidHasMapping(parent, owner) || !KgidHasMapping(parent, group)) {
    goto fail_dec;
  }
  if (SysStatus s = m.faults.Check(
          "kernel/user_namespace.c:create_user_ns() kmem_cache_zalloc",
          Errno::kENOMEM);
      !s.ok()) {
    error = s.error();
    goto fail_dec;
  }
  if (SysStatus s = m.faults.Check(
          "kernel/user_namespace.c:create_user_ns() ns_alloc_inum",
          Errno::kENOMEM);
      !s.ok()) {
    error = s.error();
    goto fail_dec;
  }
  if (SysStatus s = m.faults.Check(
          "kernel/user_namespace.c:create_user_ns() setup_userns_sysctls",
          Errno::kENOMEM);
      !s.ok()) {
    error = s.error();
    goto fail_dec;
  }
  {
    UserNamespace* ns = m.user_namespaces.Create();
    // The cred's reference on the parent moves to ns->parent; the new
    // namespace's initial reference is the cred's.
    ns->parent = parent;
    ns->level = parent->level + 1;
    ns->owner = owner;
    ns->group = group;
    ns->ucount_uid = owner;
    ns->ucount_max.fill(INT_MAX);
    // set_cred_user_ns() (kernel/user_namespace.c:41-57): full capabilities
    // in the new namespace, none inheritable or ambient.
    cred->caps = CapSets{.inheritable = 0,
                         .permitted = m.cap_full_set(),
                         .effective = m.cap_full_set(),
                         .bset = m.cap_full_set(),
                         .ambient = 0};
    cred->user_ns = ns;
    return SysOk();
  }
fail_dec:
  DecUcount(parent, owner, kUcountUserNamespaces);
  return error;
}

void GetUserNs(UserNamespace* ns) { Registry<UserNamespace>::Get(ns); }

void PutUserNs(Machine& m, UserNamespace* ns) {
  // kernel/user_namespace.c:put_user_ns() -> free_user_ns(): each freed
  // namespace uncharges its creator and drops its parent.
  while (ns != nullptr) {
    if (!Registry<UserNamespace>::Release(ns)) return;
    if (ns == m.init_user_ns) return;  // static; never freed
    UserNamespace* parent = ns->parent;
    DecUcount(parent, ns->ucount_uid, kUcountUserNamespaces);
    m.user_namespaces.Destroy(ns);
    ns = parent;
  }
}

// --- ucounts ---

namespace {

// The next link of inc_ucount()'s walk: the charge a namespace's creation
// made in its parent (tns->ucounts), or none above init_user_ns.
struct UcountLink {
  UserNamespace* ns;
  uint32_t uid;
};

std::vector<UcountLink> UcountChain(UserNamespace* ns, uint32_t kuid) {
  std::vector<UcountLink> chain;
  for (UcountLink link{ns, kuid}; link.ns != nullptr;) {
    chain.push_back(link);
    link = UcountLink{link.ns->parent, link.ns->ucount_uid};
  }
  return chain;
}

}  // namespace

SysStatus IncUcount(Machine& m, UserNamespace* ns, uint32_t kuid,
                    UcountType type) {
  // kernel/ucount.c:inc_ucount() [5.2]: get_ucounts() may have to allocate
  // the (ns, uid) entry; a failure there is a NULL, which callers report as
  // ENOSPC.
  if (ns->ucounts.count(kuid) == 0) {
    FORKSIM_TRY(m.faults.Check("kernel/ucount.c:get_ucounts() kzalloc",
                               Errno::kENOSPC));
  }
  const std::vector<UcountLink> chain = UcountChain(ns, kuid);
  for (size_t i = 0; i < chain.size(); ++i) {
    int64_t& count = chain[i].ns->ucounts[chain[i].uid][type];
    // atomic_inc_below(&count, max): fails once count has reached max.
    if (count >= chain[i].ns->ucount_max[type]) {
      for (size_t j = 0; j < i; ++j) {
        --chain[j].ns->ucounts[chain[j].uid][type];
      }
      return Errno::kENOSPC;
    }
    ++count;
  }
  return SysOk();
}

void DecUcount(UserNamespace* ns, uint32_t kuid, UcountType type) {
  // kernel/ucount.c:dec_ucount(); put_ucounts() frees an entry whose counts
  // are all zero, so the next charge allocates it again.
  for (const UcountLink& link : UcountChain(ns, kuid)) {
    auto it = link.ns->ucounts.find(link.uid);
    --it->second[type];
    bool all_zero = true;
    for (int64_t count : it->second) all_zero = all_zero && count == 0;
    if (all_zero) link.ns->ucounts.erase(it);
  }
}

// --- capabilities ---

bool NsCapable(const Cred* cred, const UserNamespace* target, int cap) {
  // security/commoncap.c:cap_capable() [5.2].
  for (const UserNamespace* ns = target;;) {
    if (ns == cred->user_ns) {
      return (cred->caps.effective >> cap) & 1;
    }
    if (ns->level <= cred->user_ns->level) return false;
    if (ns->parent == cred->user_ns && ns->owner == cred->euid) return true;
    ns = ns->parent;
  }
}

bool Capable(const Machine& m, const Cred* cred, int cap) {
  return NsCapable(cred, m.init_user_ns, cap);
}

}  // namespace forksim

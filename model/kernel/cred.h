// -----------------------------------------------------------------------------
// File: model/kernel/cred.h
// -----------------------------------------------------------------------------
//
// Credentials, user namespaces, ucounts and capability checks:
// kernel/cred.c, kernel/user_namespace.c, kernel/ucount.c, kernel/user.c and
// security/commoncap.c [5.2].

#ifndef FORKSIM_MODEL_KERNEL_CRED_H_
#define FORKSIM_MODEL_KERNEL_CRED_H_

#include <cstdint>

#include "model/errno.h"
#include "model/kernel/task.h"

namespace forksim {

class Machine;

// --- user_struct (kernel/user.c) ---

// alloc_uid(): the user_struct of a kuid, created on first use, with a new
// reference. free_uid() drops one.
SysResult<UserStruct*> AllocUid(Machine& m, uint32_t kuid);
void FreeUid(Machine& m, UserStruct* user);

// --- creds (kernel/cred.c) ---

// prepare_creds(): a copy of `old` with references on its user and user_ns.
SysResult<Cred*> PrepareCreds(Machine& m, const Cred* old);
void GetCred(Cred* cred);
void PutCred(Machine& m, Cred* cred);

// CopyCreds()
//
// kernel/cred.c:copy_creds() [5.2] for the child `p`, whose cred and
// real_cred still point at the parent's (dup_task_struct copied them without
// references). With CLONE_THREAD the creds are shared; otherwise the child
// gets a copy, and with CLONE_NEWUSER a new user namespace. Either way the
// user's process count goes up. On failure p's creds are left untouched.
SysStatus CopyCreds(Machine& m, Task* p, uint64_t clone_flags);

// exit_creds(): drops the task's two cred references and clears them.
void ExitCreds(Machine& m, Task* task);

// CommitCreds()
//
// kernel/cred.c:commit_creds() [5.2] (lines 431-497): `new_cred`, with the
// reference prepare_creds() gave it, becomes both the task's real and
// effective creds (a second reference is taken); when the real user changes,
// the process is counted for the new user and no longer for the old one; the
// old creds' references are dropped.
void CommitCreds(Machine& m, Task* task, Cred* new_cred);

// --- user namespaces (kernel/user_namespace.c) ---

// CreateUserNs()
//
// create_user_ns(new) [5.2] in kernel order: ENOSPC past level 32 or at the
// UCOUNT_USER_NAMESPACES limit, EPERM if the caller is chrooted or its euid
// or egid has no mapping in its namespace, ENOMEM on allocation. No
// capability is needed. On success `cred` is moved into the new namespace
// with full capabilities there (set_cred_user_ns).
SysStatus CreateUserNs(Machine& m, Cred* cred, bool chrooted);
void GetUserNs(UserNamespace* ns);
void PutUserNs(Machine& m, UserNamespace* ns);

// True if `child` is `ancestor` or below it (in_userns()).
bool InUserNs(const UserNamespace* ancestor, const UserNamespace* child);

// FromKuidMunged()
//
// kernel/user_namespace.c:from_kuid_munged() [5.2]: the id inside `ns` of
// `kuid`, or overflowuid (65534) when it has no mapping there. The model's
// maps hold kernel ids (docs/model.md).
uint32_t FromKuidMunged(const UserNamespace* ns, uint32_t kuid);

// kuid_has_mapping(ns, kuid): the kuid maps to some id inside `ns`, through
// every level up to init_user_ns.
bool KuidHasMapping(const UserNamespace* ns, uint32_t kuid);
bool KgidHasMapping(const UserNamespace* ns, uint32_t kgid);

// --- ucounts (kernel/ucount.c:inc_ucount(), dec_ucount()) ---

// Charges one namespace of `type` to `kuid` at `ns` and every ancestor;
// ENOSPC if any level would exceed its ucount_max, with nothing charged.
SysStatus IncUcount(Machine& m, UserNamespace* ns, uint32_t kuid,
                    UcountType type);
void DecUcount(UserNamespace* ns, uint32_t kuid, UcountType type);

// --- capabilities (security/commoncap.c:cap_capable() [5.2]) ---

// NsCapable()
//
// Whether the holder of `cred` has `cap` over `target`: walk up from target;
// in the cred's own namespace the answer is its effective set; a namespace at
// or above the cred's level denies; the owner of a direct child namespace of
// the cred's namespace has every capability in it.
bool NsCapable(const Cred* cred, const UserNamespace* target, int cap);

// capable(): NsCapable over init_user_ns.
bool Capable(const Machine& m, const Cred* cred, int cap);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_CRED_H_

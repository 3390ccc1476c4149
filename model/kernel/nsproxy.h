// -----------------------------------------------------------------------------
// File: model/kernel/nsproxy.h
// -----------------------------------------------------------------------------
//
// Namespaces and the nsproxy: kernel/nsproxy.c:copy_namespaces() and
// create_new_namespaces() [5.2], and the per-type constructors they call.

#ifndef FORKSIM_MODEL_KERNEL_NSPROXY_H_
#define FORKSIM_MODEL_KERNEL_NSPROXY_H_

#include <cstdint>

#include "model/errno.h"
#include "model/kernel/task.h"

namespace forksim {

class Machine;

// The clone flags that ask for a new namespace in copy_namespaces().
// CLONE_NEWTIME [6.12] shares its bit with CSIGNAL: it reaches
// copy_process() only through clone3 on a kernel with time namespaces.
inline constexpr uint64_t kCloneNewNamespaceFlags =
    kCloneNewns | kCloneNewuts | kCloneNewipc | kCloneNewpid | kCloneNewnet |
    kCloneNewcgroup | kCloneNewtime;

// CopyNamespaces()
//
// kernel/nsproxy.c:copy_namespaces() [5.2] for the child `p`, whose nsproxy
// still points at the parent's (no reference yet) and whose creds are its
// own (after copy_creds). `current` is the caller: ns_capable() checks the
// caller's creds against the child's user namespace, and copy_pid_ns() looks
// at the caller's active pid namespace.
//   - no new-namespace flag: share the nsproxy (a reference);
//   - !ns_capable(child's user_ns, CAP_SYS_ADMIN): EPERM;
//   - CLONE_NEWIPC with CLONE_SYSVSEM: EINVAL (after the EPERM check);
//   - create_new_namespaces(): a new nsproxy, then mnt, uts, ipc, pid,
//     cgroup, net, each new or shared; a failure unwinds in reverse.
// With time namespaces ([6.12] kernel/nsproxy.c:151-188): CLONE_NEWTIME
// makes a new time_ns_for_children (after net), and a child without
// CLONE_VM enters its time_ns_for_children (timens_on_fork()); that is
// also why a parent whose children's time namespace differs from its own
// gives a non-CLONE_VM child a new nsproxy, without the CAP_SYS_ADMIN check.
SysStatus CopyNamespaces(Machine& m, const Task* current, Task* p,
                         uint64_t clone_flags);

// ExecTaskNamespaces()
//
// kernel/nsproxy.c:exec_task_namespaces() [6.12] (lines 259-274): an exec
// enters the task's time_ns_for_children, with a new nsproxy when it is not
// the task's time namespace already. Nothing on kernels without time
// namespaces. ENOMEM if the nsproxy cannot be allocated.
SysStatus ExecTaskNamespaces(Machine& m, Task* task);

// exit_task_namespaces() / put_nsproxy(): drop the task's nsproxy.
void ExitTaskNamespaces(Machine& m, Task* task);
void PutNsProxy(Machine& m, NsProxy* nsproxy);

// A namespace of one of the generic types, charged to `kuid` in `user_ns`.
SysResult<Namespace*> CreateNamespace(Machine& m, NsType type,
                                      UserNamespace* user_ns, uint32_t kuid);
void GetNamespace(Namespace* ns);
void PutNamespace(Machine& m, Namespace* ns);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_NSPROXY_H_

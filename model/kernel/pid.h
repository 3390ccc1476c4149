// -----------------------------------------------------------------------------
// File: model/kernel/pid.h
// -----------------------------------------------------------------------------
//
// Pid allocation and pid namespaces: kernel/pid.c:alloc_pid(), free_pid() and
// kernel/pid_namespace.c:create_pid_namespace() [5.2].

#ifndef FORKSIM_MODEL_KERNEL_PID_H_
#define FORKSIM_MODEL_KERNEL_PID_H_

#include <span>

#include "model/errno.h"
#include "model/kernel/ids.h"
#include "model/kernel/task.h"

namespace forksim {

class Machine;

// What a caller of alloc_pid() asks for beyond the namespace.
struct AllocPidRequest {
  // [6.12] clone3's set_tid: set_tid[0] is the number wanted in `ns`,
  // set_tid[1] in its parent, and so on; levels past the array are
  // allocated cyclically as usual.
  std::span<const int32_t> set_tid;
  // The caller's creds, for set_tid's capability check.
  const Cred* cred = nullptr;
  // [5.2] mounts a new namespace's proc for its pid 1 (pid_ns_prepare_proc(),
  // a failure point); [6.12] no longer does it here.
  bool prepare_proc = true;
};

// AllocPid()
//
// kernel/pid.c:alloc_pid() [5.2] (lines 159-249): one number per level,
// innermost first, each cyclic in its namespace with the wrap to
// RESERVED_PIDS; EAGAIN when a level is exhausted; ENOMEM when the innermost
// namespace's init is dead; the levels already allocated are rolled back,
// and a namespace whose first process failed gets its cursor reset so that
// the next try is pid 1 again. With set_tid ([6.12] lines 166-309): EINVAL
// for more numbers than levels, then per level from the innermost: EINVAL
// out of [1, pid_max) or for a number other than 1 in a namespace without
// an init, EPERM without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE over the
// level's user namespace, EEXIST for a number in use; the number is taken
// exactly (idr_alloc()), and the cursor does not move.
SysResult<Pid*> AllocPid(Machine& m, PidNamespace* ns,
                         const AllocPidRequest& request = {});

// FreePid()
//
// kernel/pid.c:free_pid() [5.2]: removes every number and drops the pid's
// initial reference (and with it, at zero, the namespace references).
void FreePid(Machine& m, Pid* pid);

// PutPid()
//
// kernel/pid.c:put_pid(): drops one reference; at zero the pid is freed and
// its namespace references dropped.
void PutPid(Machine& m, Pid* pid);
void GetPid(Pid* pid);

// AttachPid() / DetachPid()
//
// kernel/pid.c:attach_pid() / detach_pid(): link a task to a pid by type.
// Detaching the last task of every type frees the pid (__change_pid).
void AttachPid(Task* task, Pid* pid, PidType type);
void DetachPid(Machine& m, Task* task, Pid* pid, PidType type);

// PidNrNs()
//
// kernel/pid.c:pid_nr_ns() [5.2]: the pid's number in `ns`, or 0 when the pid
// is not visible there.
VNr PidNrNs(const Pid* pid, const PidNamespace* ns);

// The pid namespace a task lives in (task_active_pid_ns): its pid's innermost.
PidNamespace* TaskActivePidNs(const Task* task);

// PidVnr()
//
// pid_vnr(): the pid as the task `viewer` sees it.
VNr PidVnr(const Pid* pid, const Task* viewer);

// The number of `task` (PIDTYPE_PID) or of its group leader (PIDTYPE_TGID)
// as `viewer` sees it.
VNr TaskPidVnr(const Task* task, const Task* viewer);
VNr TaskTgidVnr(const Task* task, const Task* viewer);

// CreatePidNamespace()
//
// kernel/pid_namespace.c:create_pid_namespace() [5.2]: EINVAL if the user
// namespace does not descend from the parent's, ENOSPC past level 32 or the
// UCOUNT_PID_NAMESPACES limit, ENOMEM on allocation failure.
SysResult<PidNamespace*> CreatePidNamespace(Machine& m, UserNamespace* user_ns,
                                            PidNamespace* parent,
                                            uint32_t creator_kuid);
void GetPidNs(PidNamespace* ns);
void PutPidNs(Machine& m, PidNamespace* ns);

// ns_last_pid (kernel/pid_namespace.c:267-305 [5.2]): reading gives the cursor
// minus one; writing needs CAP_SYS_ADMIN over the namespace's owner (EPERM) and
// a value in [0, pid_max] (EINVAL).
int NsLastPid(const PidNamespace* ns);
SysStatus SetNsLastPid(Machine& m, const Task* writer, PidNamespace* ns,
                       int64_t value);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_PID_H_

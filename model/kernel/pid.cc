#include "model/kernel/pid.h"

#include <algorithm>

#include "model/kernel/cred.h"
#include "model/kernel/machine.h"

namespace forksim {

namespace {

// checkpoint_restore_ns_capable() (include/linux/capability.h [6.12]).
bool CheckpointRestoreNsCapable(const Cred* cred, const UserNamespace* ns) {
  return cred != nullptr && (NsCapable(cred, ns, kCapSysAdmin) ||
                             NsCapable(cred, ns, kCapCheckpointRestore));
}

// The set_tid checks of one level ([6.12] lines 196-210).
SysStatus CheckSetTid(const Machine& m, const PidNamespace* tmp, int tid,
                      const Cred* cred) {
  if (tid < 1 || tid >= m.sysctls.pid_max) return Errno::kEINVAL;
  // "Also fail if a PID != 1 is requested and no PID 1 exists."
  if (tid != 1 && tmp->child_reaper == nullptr) return Errno::kEINVAL;
  if (!CheckpointRestoreNsCapable(cred, tmp->user_ns)) return Errno::kEPERM;
  return SysOk();
}

// One level's number: the set_tid one exactly (taken: EEXIST), or the
// next one cyclically (exhausted: EAGAIN, not ENOSPC).
SysResult<int> AllocLevel(Machine& m, PidNamespace* tmp, int tid) {
  if (tid != 0) {
    // idr_preload() can fail to get a radix-tree node: -ENOMEM.
    FORKSIM_TRY(m.faults.Check("lib/idr.c:idr_alloc() node", Errno::kENOMEM));
    SysResult<int> nr = tmp->idr.Alloc(nullptr, tid, tid + 1);
    if (!nr.ok()) return Errno::kEEXIST;
    return nr;
  }
  FORKSIM_TRY(
      m.faults.Check("lib/idr.c:idr_alloc_cyclic() node", Errno::kENOMEM));
  // "init really needs pid 1, but after reaching the maximum wrap back to
  // RESERVED_PIDS": once the cursor is past 300, the lowest is 300.
  const int pid_min = tmp->idr.next() > static_cast<uint32_t>(kReservedPids)
                          ? kReservedPids
                          : 1;
  SysResult<int> nr = tmp->idr.AllocCyclic(nullptr, pid_min, m.sysctls.pid_max);
  if (!nr.ok()) return Errno::kEAGAIN;
  return nr;
}

}  // namespace

SysResult<Pid*> AllocPid(Machine& m, PidNamespace* ns,
                         const AllocPidRequest& request) {
  size_t set_tid_size = request.set_tid.size();
  if (set_tid_size > static_cast<size_t>(ns->level) + 1) {
    return Errno::kEINVAL;
  }
  // kernel/pid.c:alloc_pid() [5.2]: kmem_cache_alloc(ns->pid_cachep).
  FORKSIM_TRY(m.faults.Check("kernel/pid.c:alloc_pid() kmem_cache_alloc",
                             Errno::kENOMEM));
  std::vector<Upid> numbers(ns->level + 1);
  Errno error = Errno::kENOMEM;
  int i = ns->level;
  PidNamespace* tmp = ns;
  bool allocated_all = true;
  for (; i >= 0; --i, tmp = tmp->parent) {
    int tid = 0;
    if (set_tid_size > 0) {
      tid = request.set_tid[ns->level - i];
      if (SysStatus s = CheckSetTid(m, tmp, tid, request.cred); !s.ok()) {
        error = s.error();
        allocated_all = false;
        break;
      }
      --set_tid_size;
    }
    SysResult<int> nr = AllocLevel(m, tmp, tid);
    if (!nr.ok()) {
      error = nr.error();
      allocated_all = false;
      break;
    }
    numbers[i] = Upid{VNr(nr.value()), tmp};
  }

  // A new namespace's first process: pid_ns_prepare_proc() mounts its proc.
  // Failure keeps retval = -ENOMEM.
  if (allocated_all && request.prepare_proc &&
      numbers[ns->level].nr == VNr(1)) {
    if (!m.faults
             .Check("kernel/pid.c:alloc_pid() pid_ns_prepare_proc",
                    Errno::kENOMEM)
             .ok()) {
      allocated_all = false;
      i = -1;
    }
  }

  // The innermost namespace's init has died (disable_pid_allocation): every
  // number was taken, the cursors moved, and all of it is undone with ENOMEM.
  if (allocated_all && (ns->pid_allocated & kPidnsAdding) == 0) {
    allocated_all = false;
    error = Errno::kENOMEM;
  }

  if (!allocated_all) {
    // out_free: remove the numbers of levels i+1..ns->level.
    while (++i <= ns->level) {
      numbers[i].ns->idr.Remove(numbers[i].nr.value);
    }
    // "On failure to allocate the first pid, reset the state."
    if (ns->pid_allocated == kPidnsAdding) ns->idr.set_next(0);
    return error;
  }

  Pid* pid = m.pids.Create();
  pid->level = ns->level;
  pid->numbers = std::move(numbers);
  GetPidNs(ns);  // the pid's reference on its innermost namespace
  for (int level = ns->level; level >= 0; --level) {
    const Upid& upid = pid->numbers[level];
    upid.ns->idr.Replace(upid.nr.value, pid);  // make it visible to find_pid_ns
    ++upid.ns->pid_allocated;
  }
  return pid;
}

void FreePid(Machine& m, Pid* pid) {
  // kernel/pid.c:free_pid() [5.2].
  for (int i = 0; i <= pid->level; ++i) {
    PidNamespace* ns = pid->numbers[i].ns;
    --ns->pid_allocated;
    // The first process of a namespace failed to fork: PIDNS_ADDING alone
    // becomes 0 (the kernel warns if a child reaper was set).
    if (ns->pid_allocated == kPidnsAdding) ns->pid_allocated = 0;
    ns->idr.Remove(pid->numbers[i].nr.value);
  }
  PutPid(m, pid);  // delayed_put_pid(): the initial reference
}

void GetPid(Pid* pid) { Registry<Pid>::Get(pid); }

void PutPid(Machine& m, Pid* pid) {
  // kernel/pid.c:put_pid() [5.2]: the last reference frees the pid and drops
  // its innermost namespace.
  if (!Registry<Pid>::Release(pid)) return;
  PidNamespace* ns = pid->is_init_struct_pid ? nullptr : pid->numbers.back().ns;
  m.pids.Destroy(pid);
  if (ns != nullptr) PutPidNs(m, ns);
}

void AttachPid(Task* task, Pid* pid, PidType type) {
  pid->tasks[type].push_back(task);
}

void DetachPid(Machine& m, Task* task, Pid* pid, PidType type) {
  // kernel/pid.c:__change_pid() [5.2]: once no task of any type remains, the
  // pid's numbers are freed.
  auto& list = pid->tasks[type];
  list.erase(std::find(list.begin(), list.end(), task));
  for (const auto& tasks : pid->tasks) {
    if (!tasks.empty()) return;
  }
  if (!pid->is_init_struct_pid) FreePid(m, pid);
}

VNr PidNrNs(const Pid* pid, const PidNamespace* ns) {
  // kernel/pid.c:pid_nr_ns() [5.2].
  if (pid == nullptr || ns->level > pid->level) return VNr(0);
  const Upid& upid = pid->numbers[ns->level];
  return upid.ns == ns ? upid.nr : VNr(0);
}

PidNamespace* TaskActivePidNs(const Task* task) {
  return task->thread_pid->numbers.back().ns;
}

VNr PidVnr(const Pid* pid, const Task* viewer) {
  return PidNrNs(pid, TaskActivePidNs(viewer));
}

VNr TaskPidVnr(const Task* task, const Task* viewer) {
  return PidVnr(task->thread_pid, viewer);
}

VNr TaskTgidVnr(const Task* task, const Task* viewer) {
  return PidVnr(task->group_leader->thread_pid, viewer);
}

SysResult<PidNamespace*> CreatePidNamespace(Machine& m, UserNamespace* user_ns,
                                            PidNamespace* parent,
                                            uint32_t creator_kuid) {
  // kernel/pid_namespace.c:create_pid_namespace() [5.2], in order.
  if (!InUserNs(parent->user_ns, user_ns)) return Errno::kEINVAL;
  const int level = parent->level + 1;
  if (level > kMaxPidNsLevel) return Errno::kENOSPC;
  FORKSIM_TRY(IncUcount(m, user_ns, creator_kuid, kUcountPidNamespaces));
  if (SysStatus s = m.faults.Check(
          "kernel/pid_namespace.c:create_pid_namespace() kmem_cache_zalloc",
          Errno::kENOMEM);
      !s.ok()) {
    DecUcount(user_ns, creator_kuid, kUcountPidNamespaces);
    return s.error();
  }
  PidNamespace* ns = m.pid_namespaces.Create();
  ns->level = level;
  ns->parent = parent;
  GetPidNs(parent);
  ns->user_ns = user_ns;
  GetUserNs(user_ns);
  ns->ucount_uid = creator_kuid;
  ns->pid_allocated = kPidnsAdding;
  return ns;
}

void GetPidNs(PidNamespace* ns) { Registry<PidNamespace>::Get(ns); }

void PutPidNs(Machine& m, PidNamespace* ns) {
  // kernel/pid_namespace.c:put_pid_ns() [5.2]: walks up while references drop
  // to zero; the init namespace is static and never freed.
  while (ns != nullptr && ns != m.init_pid_ns) {
    if (!Registry<PidNamespace>::Release(ns)) return;
    PidNamespace* parent = ns->parent;
    DecUcount(ns->user_ns, ns->ucount_uid, kUcountPidNamespaces);
    PutUserNs(m, ns->user_ns);
    m.pid_namespaces.Destroy(ns);
    ns = parent;
  }
  if (ns == m.init_pid_ns) Registry<PidNamespace>::Release(ns);
}

int NsLastPid(const PidNamespace* ns) {
  return static_cast<int>(ns->idr.next()) - 1;
}

SysStatus SetNsLastPid(Machine& m, const Task* writer, PidNamespace* ns,
                       int64_t value) {
  // kernel/pid_namespace.c:pid_ns_ctl_handler() [5.2].
  if (!NsCapable(writer->cred, ns->user_ns, kCapSysAdmin)) return Errno::kEPERM;
  if (value < 0 || value > m.sysctls.pid_max) return Errno::kEINVAL;
  ns->idr.set_next(static_cast<uint32_t>(value + 1));
  return SysOk();
}

}  // namespace forksim

#include "model/kernel/nsproxy.h"

#include "model/kernel/cred.h"
#include "model/kernel/machine.h"
#include "model/kernel/pid.h"

namespace forksim {
namespace {

struct NsTypeInfo {
  NsType type;
  std::string_view name;
  UcountType ucount;
  std::string_view alloc_point;  // the allocation after the ucount charge
};

// inc_<type>_namespaces() comes first in each constructor (ENOSPC), then the
// allocation (ENOMEM): fs/namespace.c:3155, kernel/utsname.c:52,
// ipc/namespace.c:39, kernel/cgroup/namespace.c:71,
// net/core/net_namespace.c:424 [5.2].
constexpr NsTypeInfo kNsTypes[] = {
    {NsType::kMnt, "mnt", kUcountMntNamespaces,
     "fs/namespace.c:alloc_mnt_ns() kzalloc"},
    {NsType::kUts, "uts", kUcountUtsNamespaces,
     "kernel/utsname.c:create_uts_ns() kmem_cache_zalloc"},
    {NsType::kIpc, "ipc", kUcountIpcNamespaces,
     "ipc/namespace.c:create_ipc_ns() kzalloc"},
    {NsType::kCgroup, "cgroup", kUcountCgroupNamespaces,
     "kernel/cgroup/namespace.c:alloc_cgroup_ns() kzalloc"},
    {NsType::kNet, "net", kUcountNetNamespaces,
     "net/core/net_namespace.c:net_alloc() kmem_cache_zalloc"},
    // kernel/time/namespace.c:clone_time_ns() [6.12], lines 80-115.
    {NsType::kTime, "time", kUcountTimeNamespaces,
     "kernel/time/namespace.c:clone_time_ns() kmalloc"},
};

const NsTypeInfo& InfoFor(NsType type) {
  return kNsTypes[static_cast<int>(type)];
}

// copy_mnt_ns(), copy_utsname(), copy_ipcs(), copy_cgroup_ns(),
// copy_net_ns(): the old namespace with a reference, or a new one.
SysResult<Namespace*> CopyNs(Machine& m, NsType type, bool want_new,
                             Namespace* old, UserNamespace* user_ns,
                             uint32_t kuid) {
  if (!want_new) {
    GetNamespace(old);
    return old;
  }
  return CreateNamespace(m, type, user_ns, kuid);
}

// copy_pid_ns() (kernel/pid_namespace.c:150-158 [5.2]).
SysResult<PidNamespace*> CopyPidNs(Machine& m, bool want_new, PidNamespace* old,
                                   UserNamespace* user_ns, const Task* current,
                                   uint32_t kuid) {
  if (!want_new) {
    GetPidNs(old);
    return old;
  }
  // After unshare(CLONE_NEWPID) the caller's children already go elsewhere.
  if (TaskActivePidNs(current) != old) return Errno::kEINVAL;
  return CreatePidNamespace(m, user_ns, old, kuid);
}

}  // namespace

std::string_view NsTypeName(NsType type) { return InfoFor(type).name; }

SysResult<Namespace*> CreateNamespace(Machine& m, NsType type,
                                      UserNamespace* user_ns, uint32_t kuid) {
  const NsTypeInfo& info = InfoFor(type);
  FORKSIM_TRY(IncUcount(m, user_ns, kuid, info.ucount));
  if (SysStatus s = m.faults.Check(info.alloc_point, Errno::kENOMEM); !s.ok()) {
    DecUcount(user_ns, kuid, info.ucount);
    return s.error();
  }
  Namespace* ns = m.namespaces.Create();
  ns->type = type;
  ns->user_ns = user_ns;
  GetUserNs(user_ns);
  ns->ucount_uid = kuid;
  ns->charged = true;
  return ns;
}

void GetNamespace(Namespace* ns) { Registry<Namespace>::Get(ns); }

void PutNamespace(Machine& m, Namespace* ns) {
  if (!Registry<Namespace>::Release(ns)) return;
  UserNamespace* user_ns = ns->user_ns;
  if (ns->charged) DecUcount(user_ns, ns->ucount_uid, InfoFor(ns->type).ucount);
  m.namespaces.Destroy(ns);
  PutUserNs(m, user_ns);
}

namespace {

// timens_on_fork() (kernel/time/namespace.c:326-340 [6.12]): the nsproxy's
// task enters its time_ns_for_children.
void TimensOnFork(Machine& m, NsProxy* nsproxy) {
  if (nsproxy->time == nsproxy->time_for_children) return;
  GetNamespace(nsproxy->time_for_children);
  PutNamespace(m, nsproxy->time);
  nsproxy->time = nsproxy->time_for_children;
}

// create_new_namespaces() (kernel/nsproxy.c:60-128 [5.2], :87-149 [6.12]):
// a new nsproxy whose namespaces are new where `clone_flags` asks and the
// old ones (a reference each) elsewhere.
SysResult<NsProxy*> CreateNewNamespaces(Machine& m, const Task* current,
                                        uint64_t clone_flags, NsProxy* old,
                                        UserNamespace* user_ns) {
  FORKSIM_TRY(
      m.faults.Check("kernel/nsproxy.c:create_nsproxy()", Errno::kENOMEM));
  const uint32_t kuid = current->cred->euid;
  NsProxy staged;  // filled in kernel order; unwound in reverse
  auto unwind = [&](Errno error) -> Errno {
    if (staged.time_for_children != nullptr) {
      PutNamespace(m, staged.time_for_children);
    }
    if (staged.net != nullptr) PutNamespace(m, staged.net);
    if (staged.cgroup != nullptr) PutNamespace(m, staged.cgroup);
    if (staged.pid_for_children != nullptr) {
      PutPidNs(m, staged.pid_for_children);
    }
    if (staged.ipc != nullptr) PutNamespace(m, staged.ipc);
    if (staged.uts != nullptr) PutNamespace(m, staged.uts);
    if (staged.mnt != nullptr) PutNamespace(m, staged.mnt);
    return error;
  };
  struct Step {
    NsType type;
    uint64_t flag;
    Namespace* NsProxy::*field;
  };
  auto copy_generic = [&](const Step& step) -> SysStatus {
    SysResult<Namespace*> ns =
        CopyNs(m, step.type, (clone_flags & step.flag) != 0, old->*step.field,
               user_ns, kuid);
    if (!ns.ok()) return ns.error();
    staged.*step.field = ns.value();
    return SysOk();
  };
  for (const Step& step : {Step{NsType::kMnt, kCloneNewns, &NsProxy::mnt},
                           Step{NsType::kUts, kCloneNewuts, &NsProxy::uts},
                           Step{NsType::kIpc, kCloneNewipc, &NsProxy::ipc}}) {
    if (SysStatus s = copy_generic(step); !s.ok()) return unwind(s.error());
  }
  SysResult<PidNamespace*> pid_ns =
      CopyPidNs(m, (clone_flags & kCloneNewpid) != 0, old->pid_for_children,
                user_ns, current, kuid);
  if (!pid_ns.ok()) return unwind(pid_ns.error());
  staged.pid_for_children = pid_ns.value();
  for (const Step& step :
       {Step{NsType::kCgroup, kCloneNewcgroup, &NsProxy::cgroup},
        Step{NsType::kNet, kCloneNewnet, &NsProxy::net}}) {
    if (SysStatus s = copy_generic(step); !s.ok()) return unwind(s.error());
  }
  if (m.has_time_namespaces()) {
    // copy_time_ns() for the children; the task's own time_ns is shared.
    if (SysStatus s = copy_generic(
            Step{NsType::kTime, kCloneNewtime, &NsProxy::time_for_children});
        !s.ok()) {
      return unwind(s.error());
    }
    staged.time = old->time;
    GetNamespace(staged.time);
  }
  NsProxy* nsproxy = m.nsproxies.Create();
  const uint64_t serial = nsproxy->serial;
  *nsproxy = staged;
  nsproxy->serial = serial;
  nsproxy->refcount = 1;
  return nsproxy;
}

}  // namespace

SysStatus CopyNamespaces(Machine& m, const Task* current, Task* p,
                         uint64_t clone_flags) {
  // kernel/nsproxy.c:copy_namespaces() [5.2] (lines 134-167), [6.12] (lines
  // 151-188).
  NsProxy* old = p->nsproxy;
  UserNamespace* user_ns = p->cred->user_ns;
  if ((clone_flags & kCloneNewNamespaceFlags) == 0) {
    // [6.12]: a child that would change time namespace needs its own.
    if ((clone_flags & kCloneVm) || old->time_for_children == old->time) {
      Registry<NsProxy>::Get(old);
      return SysOk();
    }
  } else if (!NsCapable(current->cred, user_ns, kCapSysAdmin)) {
    return Errno::kEPERM;
  }
  // "CLONE_NEWIPC must detach from the undolist": the two cannot combine.
  if ((clone_flags & (kCloneNewipc | kCloneSysvsem)) ==
      (kCloneNewipc | kCloneSysvsem)) {
    return Errno::kEINVAL;
  }
  FORKSIM_ASSIGN_OR_RETURN(
      NsProxy * nsproxy,
      CreateNewNamespaces(m, current, clone_flags, old, user_ns));
  if (m.has_time_namespaces() && !(clone_flags & kCloneVm)) {
    TimensOnFork(m, nsproxy);
  }
  p->nsproxy = nsproxy;
  return SysOk();
}

SysStatus ExecTaskNamespaces(Machine& m, Task* task) {
  NsProxy* old = task->nsproxy;
  if (!m.has_time_namespaces() || old->time_for_children == old->time) {
    return SysOk();
  }
  FORKSIM_ASSIGN_OR_RETURN(
      NsProxy * nsproxy,
      CreateNewNamespaces(m, task, 0, old, task->cred->user_ns));
  TimensOnFork(m, nsproxy);
  task->nsproxy = nsproxy;  // switch_task_namespaces()
  PutNsProxy(m, old);
  return SysOk();
}

void PutNsProxy(Machine& m, NsProxy* nsproxy) {
  // kernel/nsproxy.c:free_nsproxy() [5.2].
  if (!Registry<NsProxy>::Release(nsproxy)) return;
  NsProxy copy = *nsproxy;
  m.nsproxies.Destroy(nsproxy);
  PutNamespace(m, copy.mnt);
  PutNamespace(m, copy.uts);
  PutNamespace(m, copy.ipc);
  PutPidNs(m, copy.pid_for_children);
  PutNamespace(m, copy.cgroup);
  PutNamespace(m, copy.net);
  if (copy.time != nullptr) {
    PutNamespace(m, copy.time);
    PutNamespace(m, copy.time_for_children);
  }
}

void ExitTaskNamespaces(Machine& m, Task* task) {
  NsProxy* nsproxy = task->nsproxy;
  task->nsproxy = nullptr;
  if (nsproxy != nullptr) PutNsProxy(m, nsproxy);
}

}  // namespace forksim

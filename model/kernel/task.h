// -----------------------------------------------------------------------------
// File: model/kernel/task.h
// -----------------------------------------------------------------------------
//
// The kernel structures that copy_process() reads and writes, with the fields
// whose values are observable in forksim. Each struct names its kernel
// counterpart; refcounts live in KObject::refcount and name the kernel field
// they stand for. Pointers between objects are references: who holds one is
// written next to the field, and the invariant checker (invariants.h) counts
// them.
//
// Ownership: every object lives in a Registry of the Machine (machine.h).
// Nothing here is allocated or freed directly.

#ifndef FORKSIM_MODEL_KERNEL_TASK_H_
#define FORKSIM_MODEL_KERNEL_TASK_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/abi/abi.h"
#include "model/abi/registers.h"
#include "model/kernel/constants.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/idr.h"
#include "model/kernel/ids.h"
#include "model/kernel/object.h"
#include "model/uaccess/user_memory.h"

namespace forksim {

struct Task;
struct PidNamespace;
struct UserNamespace;
struct Cgroup;

// ---------------------------------------------------------------------------
// Pids: include/linux/pid.h:52-65 [5.2]
// ---------------------------------------------------------------------------

enum PidType : uint8_t { kPidTypePid, kPidTypeTgid, kPidTypePgid, kPidTypeSid };
inline constexpr int kPidTypeMax = 4;

struct Upid {
  VNr nr;  // the number as `ns` sees it
  PidNamespace* ns = nullptr;
};

// struct pid. refcount = pid->count: 1 while its numbers are allocated
// (dropped by free_pid), plus one per get_pid() holder (a pidfd file).
struct Pid : KObject {
  int level = 0;
  std::vector<Upid> numbers;  // level + 1 entries; [0] is the global number
  // pid->tasks[type]: tasks attached through attach_pid() (no reference).
  std::array<std::vector<Task*>, kPidTypeMax> tasks;
  bool is_init_struct_pid = false;  // &init_struct_pid: the idle task's
};

// struct pid_namespace (include/linux/pid_namespace.h [5.2]). refcount = kref.
// Holders: each nsproxy's pid_ns_for_children, each struct pid with a number
// in it (get_pid_ns in alloc_pid), each child pid namespace (parent).
struct PidNamespace : KObject {
  int level = 0;
  PidNamespace* parent = nullptr;    // holds a reference
  UserNamespace* user_ns = nullptr;  // holds a reference
  Idr<Pid> idr;
  uint32_t pid_allocated = kPidnsAdding;
  Task* child_reaper = nullptr;
  uint32_t ucount_uid = 0;  // whose UCOUNT_PID_NAMESPACES charge it holds
};

// ---------------------------------------------------------------------------
// Users, credentials and user namespaces
// ---------------------------------------------------------------------------

// The ucount types of include/linux/user_namespace.h [5.2], in sysctl order
// (kernel/ucount.c:67-76): user.max_<name>_namespaces.
enum UcountType : uint8_t {
  kUcountUserNamespaces,
  kUcountPidNamespaces,
  kUcountUtsNamespaces,
  kUcountIpcNamespaces,
  kUcountNetNamespaces,
  kUcountMntNamespaces,
  kUcountCgroupNamespaces,
  kUcountTimeNamespaces,  // [5.6]
  kUcountCount,
};
std::string_view UcountName(UcountType type);  // "user", "pid", ...

struct IdMapExtent {
  uint32_t first;        // id inside the namespace
  uint32_t lower_first;  // id in the parent namespace (a kuid for init's child)
  uint32_t count;
};

// struct user_namespace (kernel/user_namespace.c [5.2]). refcount = count.
// Holders: creds (cred->user_ns), child user namespaces (parent), and every
// other namespace (ns->user_ns).
struct UserNamespace : KObject {
  int level = 0;
  UserNamespace* parent = nullptr;  // holds a reference
  uint32_t owner = 0;               // kuid of the creator's euid
  uint32_t group = 0;               // kgid of the creator's egid
  // Empty until written, as /proc/PID/uid_map is: no id is mapped yet.
  std::vector<IdMapExtent> uid_map, gid_map;
  std::array<int64_t, kUcountCount> ucount_max{};
  // struct ucounts, per kuid: how many namespaces of each type that user
  // created at or below this namespace (kernel/ucount.c:inc_ucount()).
  std::map<uint32_t, std::array<int64_t, kUcountCount>> ucounts;
  uint32_t ucount_uid = 0;  // the creator's kuid, charged in the parent
};

// struct user_struct (kernel/user.c [5.2]): per-kuid accounting. refcount =
// __count; holders: creds (cred->user).
struct UserStruct : KObject {
  uint32_t uid = 0;
  int64_t processes = 0;  // counted for RLIMIT_NPROC
};

struct CapSets {
  uint64_t inheritable = 0, permitted = 0, effective = 0, bset = 0, ambient = 0;
};

// struct cred (include/linux/cred.h [5.2]). refcount = usage; holders:
// task->real_cred and task->cred (each one reference).
struct Cred : KObject {
  uint32_t uid = 0, gid = 0, suid = 0, sgid = 0, euid = 0, egid = 0, fsuid = 0,
           fsgid = 0;
  CapSets caps;
  UserStruct* user = nullptr;        // holds a reference
  UserNamespace* user_ns = nullptr;  // holds a reference
};

// ---------------------------------------------------------------------------
// Namespaces other than pid and user; nsproxy
// ---------------------------------------------------------------------------

// kTime: time namespaces [5.6], kernel/time/namespace.c.
enum class NsType : uint8_t { kMnt, kUts, kIpc, kCgroup, kNet, kTime };
std::string_view NsTypeName(NsType type);  // "mnt", "uts", ...

// mnt_namespace, uts_namespace, ipc_namespace, cgroup_namespace, net. Only
// what is observable here: identity, owner and the ucount charge.
// refcount = count; holders: nsproxies.
struct Namespace : KObject {
  NsType type = NsType::kMnt;
  UserNamespace* user_ns = nullptr;  // holds a reference
  uint32_t ucount_uid = 0;
  bool charged = false;  // the init namespaces are not charged
};

// struct nsproxy (include/linux/nsproxy.h [5.2]). refcount = count; holders:
// task->nsproxy.
struct NsProxy : KObject {
  Namespace* mnt = nullptr;
  Namespace* uts = nullptr;
  Namespace* ipc = nullptr;
  PidNamespace* pid_for_children = nullptr;
  Namespace* cgroup = nullptr;
  Namespace* net = nullptr;
  // [5.6] time_ns, and time_ns_for_children: what a non-CLONE_VM child
  // (and an exec) enters. Null on kernels without time namespaces.
  Namespace* time = nullptr;
  Namespace* time_for_children = nullptr;
};

// ---------------------------------------------------------------------------
// The other structures a task shares or copies
// ---------------------------------------------------------------------------

// struct mm_struct. refcount = mm_users; holders: task->mm.
struct Mm : KObject {
  std::unique_ptr<UserMemory> memory;
};

// struct fs_struct (include/linux/fs_struct.h). refcount = users.
struct FsStruct : KObject {
  bool in_exec = false;
  std::string root = "/", pwd = "/";
  uint32_t umask = 022;
};

inline constexpr uint64_t kSigDfl = 0;
inline constexpr uint64_t kSigIgn = 1;
inline constexpr uint64_t kSaNocldwait = 0x00000002;

struct SigAction {
  uint64_t handler = kSigDfl;
  uint64_t flags = 0;
  uint64_t mask = 0;
};

// struct sighand_struct. refcount = count; holders: task->sighand.
struct Sighand : KObject {
  std::array<SigAction, kNsig> action;  // action[sig - 1]
};

struct Rlimit {
  uint64_t cur = kRlimInfinity;
  uint64_t max = kRlimInfinity;
};

// struct signal_struct (include/linux/sched/signal.h [5.2]). refcount =
// sigcnt; holders: task->signal (one per thread).
struct SignalStruct : KObject {
  int nr_threads = 1;
  int live = 1;
  uint32_t flags = 0;  // SIGNAL_UNKILLABLE, ...
  std::array<Rlimit, kRlimNlimits> rlim;
  // signal->pids[PGID] and [SID] (the TGID entry is the leader's pid).
  Pid* pgrp = nullptr;
  Pid* session = nullptr;
  bool is_child_subreaper = false;
  bool has_child_subreaper = false;
  int group_exit_code = 0;
  bool group_exit = false;
  // Pending shared signals, in arrival order (a signal number each).
  std::vector<int> shared_pending;
  // forks in progress that must see signals sent meanwhile (S1, 5.2).
  int multiprocess = 0;
};

// struct sem_undo_list (ipc/sem.c [5.2]). refcount = refcnt; holders:
// task->sysvsem.undo_list.
struct SemUndoList : KObject {};

// struct io_context (block/blk-ioc.c). refcount = refcount; holders:
// task->io_context.
struct IoContext : KObject {
  int ioprio = 0;
};

// ---------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------

enum class TaskState : uint8_t {
  kRunnable,  // TASK_RUNNING: running or on the run queue
  kBlocked,   // sleeping in a syscall (vfork, wait)
  kZombie,    // EXIT_ZOMBIE: exited, not yet reaped
  kDead,      // EXIT_DEAD: being reaped (release_task() destroys it)
};

// The x86 TLS state copy_thread_tls() sets
// (arch/x86/kernel/process_64.c:copy_thread_tls() [5.2]).
struct TlsState {
  uint64_t fsbase = 0;
  uint16_t fsindex = 0;
  uint64_t gsbase = 0;
  uint16_t gsindex = 0;
  // thread.tls_array[GDT_ENTRY_TLS_ENTRIES]: the two descriptor words each.
  std::array<uint64_t, 3> gdt{};
};

// struct task_struct: the fields forksim observes.
struct Task : KObject {
  Abi abi = Abi::kX86_64;
  std::string comm;
  Tid pid;
  Tgid tgid;
  TaskState state = TaskState::kRunnable;
  uint32_t flags = 0;  // PF_*
  int exit_signal = kSigchld;
  int exit_code = 0;
  uint32_t ptrace = 0;   // PT_PTRACED | options << PT_OPT_FLAG_SHIFT
  bool started = false;  // has run schedule_tail() (its first run)

  Task* real_parent = nullptr;
  Task* parent = nullptr;       // the tracer while traced
  std::vector<Task*> children;  // real children, in sibling (creation) order
  Task* group_leader = nullptr;
  // On the leader: the other threads of the group, in creation order.
  std::vector<Task*> threads;

  uint64_t set_child_tid = 0;
  uint64_t clear_child_tid = 0;
  bool vfork_pending = false;  // vfork_done points at a waiting parent

  RegisterFile regs;
  TlsState tls;
  uint64_t self_exec_id = 0;
  uint64_t parent_exec_id = 0;

  Pid* thread_pid = nullptr;  // attached as PIDTYPE_PID (no reference)

  // Shared or copied structures; each holds one reference.
  Cred* real_cred = nullptr;
  Cred* cred = nullptr;
  FilesStruct* files = nullptr;
  FsStruct* fs = nullptr;
  Sighand* sighand = nullptr;
  SignalStruct* signal = nullptr;
  Mm* mm = nullptr;
  NsProxy* nsproxy = nullptr;
  SemUndoList* sysvsem = nullptr;
  IoContext* io_context = nullptr;
  // The cgroup v2 cgroup of its css_set (model/kernel/cgroup.h): set by
  // cgroup_post_fork(), a reference until the task is freed.
  Cgroup* cgroup = nullptr;

  // Signals sent to this task alone (its private pending set).
  std::vector<int> pending;
};

inline bool IsThreadGroupLeader(const Task& task) {
  return task.group_leader == &task;
}

// The thread group of `task` in for_each_thread() order: the leader, then
// the other threads in creation order (signal->thread_head [5.2]).
inline std::vector<Task*> ThreadGroup(const Task* task) {
  Task* leader = task->group_leader;
  std::vector<Task*> group{leader};
  group.insert(group.end(), leader->threads.begin(), leader->threads.end());
  return group;
}

// include/linux/sched/signal.h:thread_group_empty() [5.2], for a leader.
inline bool ThreadGroupEmpty(const Task* leader) {
  return leader->threads.empty();
}

inline bool SameThreadGroup(const Task* a, const Task* b) {
  return a->group_leader == b->group_leader;
}

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_TASK_H_

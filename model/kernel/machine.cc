#include "model/kernel/machine.h"

#include <algorithm>
#include <climits>

#include "model/kernel/cred.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"
#include "model/kernel/shared.h"

namespace forksim {
namespace {

constexpr uint64_t kPageBytes = 4096;
constexpr uint64_t kNrFile = 8192;  // include/linux/fs.h: NR_FILE

// include/asm-generic/resource.h INIT_RLIMITS [5.2]: the limits the kernel
// boots with; fork_init() then sets NPROC and SIGPENDING to max_threads / 2.
std::array<Rlimit, kRlimNlimits> InitRlimits(int max_threads) {
  std::array<Rlimit, kRlimNlimits> rlim;      // RLIM_INFINITY by default
  rlim[3] = Rlimit{8u << 20, kRlimInfinity};  // RLIMIT_STACK: _STK_LIM
  rlim[4] = Rlimit{0, kRlimInfinity};         // RLIMIT_CORE
  rlim[kRlimitNofile] = Rlimit{1024, 4096};   // INR_OPEN_CUR, INR_OPEN_MAX
  rlim[8] = Rlimit{64 * 1024, 64 * 1024};     // RLIMIT_MEMLOCK: MLOCK_LIMIT
  rlim[12] = Rlimit{819200, 819200};          // RLIMIT_MSGQUEUE: MQ_BYTES_MAX
  rlim[13] = Rlimit{0, 0};                    // RLIMIT_NICE
  rlim[14] = Rlimit{0, 0};                    // RLIMIT_RTPRIO
  const uint64_t half = static_cast<uint64_t>(max_threads / 2);
  rlim[kRlimitNproc] = Rlimit{half, half};
  rlim[kRlimitSigpending] = Rlimit{half, half};
  return rlim;
}

}  // namespace

std::string_view UcountName(UcountType type) {
  constexpr std::string_view kNames[] = {"user", "pid", "uts",    "ipc",
                                         "net",  "mnt", "cgroup", "time"};
  return kNames[type];
}

uint64_t KernelThreadSize(Abi abi) {
  return AbiInfoFor(abi).kernel_long_bits == 64 ? 16 * 1024 : 8 * 1024;
}

Machine::Machine(const MachineConfig& config)
    : abi_(config.abi),
      cap_full_set_(CapFullSet(config.cap_last_cap)),
      time_namespaces_(config.time_namespaces) {
  const AbiInfo& info = abi_info();
  // kernel/pid.c:pid_idr_init() [5.2].
  sysctls.pid_max_max = info.pid_max_limit;
  sysctls.pid_max =
      std::min(sysctls.pid_max_max,
               std::max(kPidMaxDefault, 1024 * config.possible_cpus));
  sysctls.pid_max_min = std::max(kReservedPids + 1, 8 * config.possible_cpus);
  // kernel/fork.c:set_max_threads() [5.2].
  const uint64_t threads = config.totalram_bytes / (KernelThreadSize(abi_) * 8);
  sysctls.max_threads = static_cast<int>(std::clamp<uint64_t>(
      threads, kMinThreads, static_cast<uint64_t>(kMaxThreads)));
  // fs/file_table.c:files_maxfiles_init(): a tenth of memory in KiB, at least
  // NR_FILE. The model treats every page as free at boot.
  sysctls.file_max = std::max<uint64_t>(
      (config.totalram_bytes / kPageBytes) * (kPageBytes / 1024) / 10, kNrFile);
  sysctls.nr_open = kSysctlNrOpenDefault;

  fd_env_.files = &files;
  fd_env_.tables = &files_structs;
  fd_env_.faults = &faults;
  fd_env_.bits_per_long = info.kernel_long_bits;
  fd_env_.pointer_bytes = info.kernel_long_bits / 8;
  fd_env_.sysctl_nr_open = sysctls.nr_open;
  // A pidfd's release drops the pid it holds
  // (kernel/fork.c:pidfd_release() [5.2], line 1692).
  fd_env_.release_file = [this](File* file) {
    if (file->pid != nullptr) PutPid(*this, file->pid);
    if (file->cgroup != nullptr) PutCgroup(*this, file->cgroup);
  };
}

Machine::~Machine() = default;

std::unique_ptr<Machine> Machine::Boot(const MachineConfig& config) {
  std::unique_ptr<Machine> m(new Machine(config));
  m->BootTasks();
  return m;
}

void Machine::BootTasks() {
  // init_user_ns (kernel/user.c): identity maps over the whole id space.
  init_user_ns = user_namespaces.Create();
  init_user_ns->uid_map = {{0, 0, 4294967295u}};
  init_user_ns->gid_map = {{0, 0, 4294967295u}};
  init_user_ns->ucount_max.fill(sysctls.max_threads / 2);

  // init_pid_ns (kernel/pid.c), and the other init namespaces (uncharged).
  init_pid_ns = pid_namespaces.Create();
  init_pid_ns->user_ns = init_user_ns;  // takes init_user_ns's first reference
  NsProxy* init_nsproxy = nsproxies.Create();
  auto init_ns = [&](NsType type) {
    Namespace* ns = namespaces.Create();
    ns->type = type;
    ns->user_ns = init_user_ns;
    GetUserNs(init_user_ns);
    return ns;
  };
  init_nsproxy->mnt = init_ns(NsType::kMnt);
  init_nsproxy->uts = init_ns(NsType::kUts);
  init_nsproxy->ipc = init_ns(NsType::kIpc);
  init_nsproxy->pid_for_children = init_pid_ns;  // its first reference
  init_nsproxy->cgroup = init_ns(NsType::kCgroup);
  init_nsproxy->net = init_ns(NsType::kNet);
  if (time_namespaces_) {  // init_time_ns, for the task and its children
    init_nsproxy->time = init_ns(NsType::kTime);
    init_nsproxy->time_for_children = init_nsproxy->time;
    GetNamespace(init_nsproxy->time);
  }

  // init_struct_pid: number 0 in init_pid_ns, never in its idr.
  init_struct_pid = pids.Create();
  init_struct_pid->numbers = {Upid{VNr(0), init_pid_ns}};
  init_struct_pid->is_init_struct_pid = true;

  // init_cred: root with every capability.
  Cred* init_cred = creds.Create();
  init_cred->caps = CapSets{.inheritable = 0,
                            .permitted = cap_full_set_,
                            .effective = cap_full_set_,
                            .bset = cap_full_set_,
                            .ambient = 0};
  init_cred->user = AllocUid(*this, 0).value();
  init_cred->user_ns = init_user_ns;
  GetUserNs(init_user_ns);

  // The default hierarchy's root cgroup, where every boot task lives
  // (init_css_set).
  cgroup_root = cgroups.Create();
  cgroup_root->path = "/";
  auto join_root = [this](Task* t) {
    GetCgroup(cgroup_root);
    t->cgroup = cgroup_root;
    ++cgroup_root->nr_tasks;
  };

  // The idle task (init/init_task.c): pid 0 on init_struct_pid.
  idle = tasks.Create();
  idle->abi = abi_;
  idle->regs = RegisterFile(abi_);
  idle->comm = "swapper/0";
  idle->flags = kPfKthread | kPfIdle;
  idle->exit_signal = 0;
  idle->started = true;
  idle->group_leader = idle;
  idle->real_parent = idle->parent = idle;
  idle->thread_pid = init_struct_pid;
  AttachPid(idle, init_struct_pid, kPidTypePid);
  idle->real_cred = idle->cred = init_cred;
  GetCred(init_cred);  // two pointers, two references
  idle->files = NewFilesStruct(fd_env_);
  idle->fs = fs_structs.Create();
  idle->sighand = sighands.Create();
  idle->signal = signals.Create();
  idle->signal->rlim = InitRlimits(sysctls.max_threads);
  idle->signal->pgrp = idle->signal->session = init_struct_pid;
  idle->nsproxy = init_nsproxy;
  join_root(idle);

  // rest_init(): kernel_thread(kernel_init, NULL, CLONE_FS) is pid 1 and
  // kernel_thread(kthreadd, NULL, CLONE_FS | CLONE_FILES) is pid 2; neither
  // asks for an exit signal.
  auto spawn = [&](std::string comm, bool share_files) {
    Task* t = tasks.Create();
    t->abi = abi_;
    t->regs = RegisterFile(abi_);
    t->comm = std::move(comm);
    t->exit_signal = 0;
    t->started = true;
    t->group_leader = t;
    t->real_parent = t->parent = idle;
    Pid* pid = AllocPid(*this, init_pid_ns).value();
    t->thread_pid = pid;
    t->pid = Tid(pid->numbers[0].nr.value);
    t->tgid = Tgid(t->pid.value);
    t->cred = idle->cred;
    (void)CopyCreds(*this, t, 0);
    t->fs = idle->fs;
    Registry<FsStruct>::Get(idle->fs);
    if (share_files) {
      t->files = idle->files;
      Registry<FilesStruct>::Get(idle->files);
    } else {
      t->files = DupFd(fd_env_, *idle->files).value();
    }
    t->sighand = sighands.Create();
    t->sighand->action = idle->sighand->action;
    t->signal = signals.Create();
    t->signal->rlim = idle->signal->rlim;
    t->signal->pgrp = t->signal->session = init_struct_pid;
    t->nsproxy = init_nsproxy;
    Registry<NsProxy>::Get(init_nsproxy);
    AttachPid(t, pid, kPidTypePid);
    AttachPid(t, pid, kPidTypeTgid);
    join_root(t);
    idle->children.push_back(t);
    task_list.push_back(t);
    ++nr_threads;
    ++total_forks;
    return t;
  };

  init = spawn("init", /*share_files=*/false);
  // It is its namespace's reaper and cannot be killed (S40).
  init_pid_ns->child_reaper = init;
  init->signal->flags |= kSignalUnkillable;
  // kernel_init_freeable(): /dev/console becomes fds 0, 1 and 2.
  File* console = files.Create();
  console->name = "/dev/console";
  console->f_flags = kORdwr;
  for (int fd = 0; fd < 3; ++fd) {
    if (fd > 0) GetFile(console);
    const int got = AllocFd(fd_env_, *init->files, 0, 1024, false).value();
    FdInstall(*init->files, got, console);
  }
  // run_init_process() exec'd /sbin/init: an mm of its own, and the process
  // called setsid(), so its process group and session are its own pid.
  init->mm = NewMm(*this);
  init->self_exec_id = 1;
  init->signal->pgrp = init->signal->session = init->thread_pid;
  AttachPid(init, init->thread_pid, kPidTypePgid);
  AttachPid(init, init->thread_pid, kPidTypeSid);

  kthreadd = spawn("kthreadd", /*share_files=*/true);
  kthreadd->flags = kPfKthread;
  AttachPid(kthreadd, init_struct_pid, kPidTypePgid);
  AttachPid(kthreadd, init_struct_pid, kPidTypeSid);
}

Task* Machine::FindTaskByTid(Tid tid) const {
  // find_task_by_pid_ns(tid, &init_pid_ns): the global number's pid, then
  // the task attached to it as PIDTYPE_PID.
  const Pid* pid = init_pid_ns->idr.Find(tid.value);
  if (pid == nullptr) {
    return tid.value == 0 ? idle : nullptr;
  }
  if (pid->tasks[kPidTypePid].empty()) return nullptr;
  Task* task = pid->tasks[kPidTypePid].front();
  return task->state == TaskState::kDead ? nullptr : task;
}

SysStatus Machine::SetPidMax(int64_t value) {
  // kernel/sysctl.c "pid_max": proc_dointvec_minmax over
  // [pid_max_min, pid_max_max].
  if (value < sysctls.pid_max_min || value > sysctls.pid_max_max) {
    return Errno::kEINVAL;
  }
  sysctls.pid_max = static_cast<int>(value);
  return SysOk();
}

SysStatus Machine::SetThreadsMax(int64_t value) {
  // kernel/fork.c:sysctl_max_threads() [5.2].
  if (value < kMinThreads || value > kMaxThreads) return Errno::kEINVAL;
  sysctls.max_threads = static_cast<int>(value);
  return SysOk();
}

SysStatus Machine::SetNrOpen(int64_t value) {
  // fs/file.c:22-27 [5.2]: sysctl_nr_open_min = BITS_PER_LONG; the max is
  // min(INT_MAX, ~(size_t)0 / sizeof(void *)) & -BITS_PER_LONG.
  const uint32_t bits = abi_info().kernel_long_bits;
  const uint64_t by_size =
      (bits == 64 ? ~uint64_t{0} : 0xffffffffull) / (bits / 8);
  const uint64_t max =
      std::min<uint64_t>(INT_MAX, by_size) & ~uint64_t{bits - 1};
  if (value < bits || static_cast<uint64_t>(value) > max) return Errno::kEINVAL;
  sysctls.nr_open = static_cast<uint32_t>(value);
  fd_env_.sysctl_nr_open = sysctls.nr_open;
  return SysOk();
}

SysStatus Machine::SetUcountMax(UcountType type, int64_t value) {
  // kernel/ucount.c:67-76 [5.2]: proc_dointvec_minmax over [0, INT_MAX].
  if (value < 0 || value > INT_MAX) return Errno::kEINVAL;
  init_user_ns->ucount_max[type] = value;
  return SysOk();
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: model/kernel/machine.h
// -----------------------------------------------------------------------------
//
// The Machine: every kernel object of one simulated system, the sysctls and
// global counters, and the boot that builds the first tasks.
//
// Boot follows init/main.c:rest_init() [5.2] in outcome: the idle task
// (swapper, pid 0, on init_struct_pid), then init (pid 1, created with
// CLONE_FS; it has opened /dev/console as fds 0, 1, 2, called setsid() and
// exec'd, so it has an mm of its own), then kthreadd (pid 2, a kernel thread
// created with CLONE_FS | CLONE_FILES: no mm, the idle task's fd table).
// Nothing else runs, so the first process a scenario creates gets pid 3.
//
// Construction of a machine for an ABI is one call: Machine::Boot(config).

#ifndef FORKSIM_MODEL_KERNEL_MACHINE_H_
#define FORKSIM_MODEL_KERNEL_MACHINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/abi/abi.h"
#include "model/errno.h"
#include "model/kernel/cgroup.h"
#include "model/kernel/fault.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/object.h"
#include "model/kernel/task.h"

namespace forksim {

struct MachineConfig {
  Abi abi = Abi::kX86_64;
  // totalram_pages * PAGE_SIZE, which sets max_threads at boot
  // (kernel/fork.c:set_max_threads() [5.2]): 2 GiB gives threads-max 16384
  // on an x86-64 kernel (THREAD_SIZE 16 KiB) and 32768 on i386 (8 KiB).
  uint64_t totalram_bytes = uint64_t{2} << 30;
  // num_possible_cpus(), which pid_idr_init() uses (kernel/pid.c:459-463).
  int possible_cpus = 2;
  // The kernel's CAP_LAST_CAP: root's capabilities are bits 0 to this.
  int cap_last_cap = kCapLastCap;
  // Time namespaces [5.6]: init_time_ns in the init nsproxy.
  bool time_namespaces = false;
};

// Writable sysctls. The ucount limits (user.max_*_namespaces) live in
// init_user_ns->ucount_max, as in the kernel.
struct Sysctls {
  int pid_max = kPidMaxDefault;  // kernel.pid_max
  int pid_max_min = kReservedPids + 1;
  int pid_max_max = 0;                      // PID_MAX_LIMIT of the ABI's kernel
  int max_threads = 0;                      // kernel.threads-max
  uint32_t nr_open = kSysctlNrOpenDefault;  // fs.nr_open
  uint64_t file_max = 0;                    // fs.file-max
};

class Machine {
 public:
  static std::unique_ptr<Machine> Boot(const MachineConfig& config);

  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  ~Machine();

  Abi abi() const { return abi_; }
  const AbiInfo& abi_info() const { return AbiInfoFor(abi_); }
  // Every capability this kernel knows: init's, and a new user namespace's.
  uint64_t cap_full_set() const { return cap_full_set_; }
  bool has_time_namespaces() const { return time_namespaces_; }

  // --- sysctls (proc_dointvec_minmax ranges; EINVAL outside them) ---
  SysStatus SetPidMax(int64_t value);      // [pid_max_min, PID_MAX_LIMIT]
  SysStatus SetThreadsMax(int64_t value);  // [MIN_THREADS, MAX_THREADS]
  SysStatus SetNrOpen(int64_t value);  // [BITS_PER_LONG, sysctl_nr_open_max]
  SysStatus SetUcountMax(UcountType type, int64_t value);  // [0, INT_MAX]

  // --- objects: every registry, iterated in creation order ---
  Registry<Task> tasks;
  Registry<Pid> pids;
  Registry<PidNamespace> pid_namespaces;
  Registry<UserNamespace> user_namespaces;
  Registry<UserStruct> users;
  Registry<Cred> creds;
  Registry<Namespace> namespaces;
  Registry<NsProxy> nsproxies;
  Registry<Mm> mms;
  Registry<FsStruct> fs_structs;
  Registry<Sighand> sighands;
  Registry<SignalStruct> signals;
  Registry<SemUndoList> sem_undo_lists;
  Registry<IoContext> io_contexts;
  Registry<File> files;
  Registry<FilesStruct> files_structs;
  Registry<Cgroup> cgroups;

  FaultInjector faults;
  Sysctls sysctls;

  // --- well-known objects ---
  Task* idle = nullptr;      // swapper: pid 0, init_struct_pid
  Task* init = nullptr;      // pid 1
  Task* kthreadd = nullptr;  // pid 2
  Pid* init_struct_pid = nullptr;
  PidNamespace* init_pid_ns = nullptr;
  UserNamespace* init_user_ns = nullptr;
  Cgroup* cgroup_root = nullptr;  // cgrp_dfl_root's "/"

  // init_task.tasks: every thread-group leader, in fork order (S40).
  std::vector<Task*> task_list;
  // uidhash: user_struct by kuid (kernel/user.c).
  std::map<uint32_t, UserStruct*> uid_hash;

  // --- global counters (kernel/fork.c [5.2]) ---
  int64_t nr_threads = 0;  // nr_threads: tasks other than the idle task
  uint64_t total_forks = 0;
  // nr_files (fs/file_table.c) is files.size().

  FdTableEnv& fd_env() { return fd_env_; }
  const FdTableEnv& fd_env() const { return fd_env_; }

  // The task whose global pid is `tid`, or nullptr (reaped tasks are gone).
  Task* FindTaskByTid(Tid tid) const;

 private:
  explicit Machine(const MachineConfig& config);
  void BootTasks();

  Abi abi_;
  uint64_t cap_full_set_;
  bool time_namespaces_;
  FdTableEnv fd_env_;
};

// THREAD_SIZE of the ABI's kernel: 16 KiB on x86-64 (THREAD_SIZE_ORDER 2),
// 8 KiB on i386 (order 1): arch/x86/include/asm/page_{64,32}_types.h [5.2].
uint64_t KernelThreadSize(Abi abi);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_MACHINE_H_

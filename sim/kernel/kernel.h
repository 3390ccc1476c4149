// -----------------------------------------------------------------------------
// File: sim/kernel/kernel.h
// -----------------------------------------------------------------------------
//
// The simulated kernel as the host sees it: a machine booted for one profile
// and one ABI, tasks that make syscalls, and a small set-up interface for
// what a scenario, a benchmark or a test does to the machine from outside.
// This is the only header of the kernel that the scenario engine, the tools
// and the benchmarks include; the syscall implementations use an internal
// interface of their own (sim/kernel/core.h, private to this package).
//
// A task makes a syscall by leaving the number and arguments in its
// registers, as userspace does, and calling Syscall(). The entry decodes the
// registers as the ABI's wrapper does, dispatches, and encodes the result in
// the return register. A call that sleeps (vfork, wait4, waitid) comes back
// blocked; it finishes when a later event wakes it, and the resume callback
// reports that.
//
// Set-up goes through the same kernel functions a syscall would use (a new
// process is fork()ed by init, creds are committed with commit_creds(), a
// file is opened with get_unused_fd_flags() and fd_install()) and fails
// cleanly: an Errno where the kernel would return one, an absl::Status for
// host-side errors such as a bad mapping. Set-up never counts towards
// fail_nth: fault injection is suspended while it runs.
//
// Nothing depends on the host: no time, no threads, no randomness.
//
//   Kernel k(**ProfileFromName("5.2"), MachineConfig{.abi = Abi::kX86_64});
//   Task* p = k.NewProcess().value();
//   SyscallOutcome pid = k.Invoke(p, Sysno::kFork, {});

#ifndef FORKSIM_SIM_KERNEL_KERNEL_H_
#define FORKSIM_SIM_KERNEL_KERNEL_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "model/abi/abi.h"
#include "model/abi/registers.h"
#include "model/errno.h"
#include "model/kernel/machine.h"
#include "model/kernel/task.h"
#include "model/uaccess/user_memory.h"
#include "sim/kernel/clone_args.h"
#include "sim/kernel/event.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/profile.h"

namespace forksim {

class KernelCore;

// What `creds` changes: each set field replaces the task's (uid and gid set
// the real, effective, saved and filesystem ids; caps the permitted and
// effective sets, with a full bounding set).
struct CredChange {
  std::optional<uint32_t> uid = std::nullopt;
  std::optional<uint32_t> gid = std::nullopt;
  std::optional<uint64_t> caps = std::nullopt;
};

class Kernel {
 public:
  Kernel(const KernelProfile& profile, const MachineConfig& config);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // --- the machine, read-only ---

  const Machine& machine() const;
  const KernelProfile& profile() const;
  Abi abi() const;

  // --- the trace ---

  // Whether events are recorded (on by default; benchmarks turn it off).
  bool tracing() const;
  void set_tracing(bool on);
  const std::vector<Event>& events() const;
  void ClearEvents();

  // --- syscalls ---

  // Syscall()
  //
  // Runs the syscall that `task`'s registers describe. A task that has not
  // run yet gets its first slice first, and signals that arrived while it
  // was in user mode are delivered before the call.
  SyscallOutcome Syscall(Task* task);

  // Invoke()
  //
  // Puts `sysno` and `args` in the ABI's registers of `task`, then
  // Syscall(). Registers not named keep their values.
  SyscallOutcome Invoke(Task* task, Sysno sysno,
                        std::initializer_list<uint64_t> args);

  // SetRegister()
  //
  // What userspace does before a syscall: sets one of `task`'s registers (a
  // 32-bit task keeps the low half).
  void SetRegister(Task* task, Reg reg, uint64_t value);

  // SetRegisters()
  //
  // The same for the whole register file.
  void SetRegisters(Task* task, const RegisterFile& regs);

  // Called when a blocked syscall finishes: (task, syscall, result).
  using ResumeCallback =
      std::function<void(Task*, Sysno, const SyscallOutcome&)>;
  void set_resume_callback(ResumeCallback callback);

  // Whether `task` sleeps in a syscall, and in which: "wait4", "vfork".
  bool IsBlocked(const Task* task) const;
  std::optional<std::string> BlockedIn(const Task* task) const;

  // --- host set-up ---

  // NewProcess()
  //
  // An ordinary process: init forks it (so it is no pid namespace's init)
  // and it has had its first slice.
  SysResult<Task*> NewProcess();

  // KernelThread()
  //
  // kernel/fork.c:kernel_thread() [5.2] called by kthreadd, as
  // kthread_create()'s requests are: the child has no mm and runs `fn`.
  SyscallOutcome KernelThread(uint64_t fn, uint64_t arg, uint64_t flags);

  // SetCreds()
  //
  // prepare_creds(), the change, commit_creds() (kernel/cred.c [5.2]).
  SysStatus SetCreds(Task* task, const CredChange& change);

  // SetRlimit()
  //
  // kernel/sys.c:do_prlimit() [5.2] as a privileged caller: EINVAL if the
  // soft limit would exceed the hard one, EPERM for an RLIMIT_NOFILE above
  // fs.nr_open. `hard` unset keeps the hard limit.
  SysStatus SetRlimit(Task* task, int resource, uint64_t soft,
                      std::optional<uint64_t> hard);

  // OpenFile()
  //
  // A regular file named `path` opened O_RDWR (and O_CLOEXEC) by `task`:
  // get_unused_fd_flags(), alloc_empty_file(), fd_install() (fs/open.c
  // [5.2]). Returns the fd: EMFILE past RLIMIT_NOFILE, ENFILE past
  // fs.file-max.
  SysResult<int> OpenFile(Task* task, std::string_view path, bool cloexec);

  // DupFile()
  //
  // fs/file.c:ksys_dup() [5.2]: `fd`'s file in the lowest free fd of
  // `task`'s table as well (EBADF, EMFILE).
  SysResult<int> DupFile(Task* task, int fd);

  // --- the cgroup v2 hierarchy (model/kernel/cgroup.h) ---
  //
  // Set-up as root would do it through /sys/fs/cgroup; a refused operation
  // is a host error that names the kernel's errno.

  // CgroupCreate() / CgroupRemove()
  //
  // mkdir and rmdir of `path` ("/a/b"): rmdir refuses a cgroup with tasks
  // or children (EBUSY).
  absl::Status CgroupCreate(std::string_view path);
  absl::Status CgroupRemove(std::string_view path);

  // CgroupEnable()
  //
  // "+CONTROLLER" into cgroup.subtree_control: a controller cgroup v2
  // knows, enabled in the parent's subtree_control (except at the root);
  // a domain controller not in a threaded cgroup (EOPNOTSUPP) nor in a
  // non-root cgroup with tasks (EBUSY).
  absl::Status CgroupEnable(std::string_view path, std::string_view controller);

  // CgroupMakeThreaded()
  //
  // "threaded" into cgroup.type: not the root, and the parent a valid
  // domain or threaded (EOPNOTSUPP). The parent becomes a thread root.
  absl::Status CgroupMakeThreaded(std::string_view path);

  // CgroupChown()
  //
  // The owner of the cgroup's cgroup.procs (delegation): who may write it
  // without CAP_DAC_OVERRIDE.
  absl::Status CgroupChown(std::string_view path, uint32_t uid);

  // CgroupMove()
  //
  // `task`'s thread group written to the cgroup's cgroup.procs (as root).
  absl::Status CgroupMove(Task* task, std::string_view path);

  // CgroupOpen()
  //
  // `task` opens the cgroup's directory, O_RDONLY|O_DIRECTORY or O_PATH,
  // in its lowest free fd (EMFILE, ENFILE); the fd CLONE_INTO_CGROUP takes.
  // A cgroup that does not exist is a host error.
  absl::StatusOr<SysResult<int>> CgroupOpen(Task* task, std::string_view path,
                                            bool o_path);

  // SetSigaction()
  //
  // kernel/signal.c:do_sigaction() [5.2]: EINVAL for a signal outside 1..64
  // or an action for SIGKILL or SIGSTOP.
  SysStatus SetSigaction(Task* task, int sig, const SigAction& action);

  // WriteSysctl()
  //
  // Writes /proc/sys/KEY as `writer`: kernel.pid_max, kernel.threads-max,
  // kernel.ns_last_pid (in the writer's pid namespace for children),
  // fs.nr_open, fs.file-max and user.max_*_namespaces. Each is range-checked
  // as the kernel does (EINVAL, EPERM); an unknown key is ENOENT.
  SysStatus WriteSysctl(const Task* writer, std::string_view key,
                        int64_t value);

  // MapMemory() / ProtectMemory() / WriteMemory()
  //
  // User memory of `task`'s mm, as mmap() and mprotect() would leave it, and
  // bytes written there as the task itself would. Host-side errors: no mm,
  // an unaligned or out-of-range mapping, an unmapped address.
  absl::Status MapMemory(Task* task, uint64_t addr, uint64_t len, Prot prot);
  absl::Status ProtectMemory(Task* task, uint64_t addr, uint64_t len,
                             Prot prot);
  absl::Status WriteMemory(Task* task, uint64_t addr,
                           std::span<const uint8_t> bytes);

  // SignalDuringNextSyscall()
  //
  // A signal that arrives while `task` is in its next syscall, after the
  // signals already pending were delivered on the way in: what makes
  // copy_process()'s signal_pending() (S2) and fatal_signal_pending() (S38)
  // checks observable.
  void SignalDuringNextSyscall(Task* task, int sig);

  // Schedule()
  //
  // Gives every runnable task that has not run yet its first slice, in
  // creation order (kernel/sched/core.c:schedule_tail() [5.2]: the
  // CLONE_CHILD_SETTID write).
  void Schedule();

  // FailNth() / InjectedFault()
  //
  // Fault injection: the n-th failure point from now fails (0 disarms), and
  // the point that was failed ("" if none).
  void FailNth(uint32_t n);
  const std::string& InjectedFault() const;

  // --- marshalling alone ---

  // CloneArgsFromRegisters()
  //
  // What a clone-family entry (clone, clone6) makes of `regs` for `task`
  // before the common path: the decoding, the entry's checks and its reads
  // of user memory, as the syscall would do them, but nothing is created.
  // For benchmarks and teaching.
  SysResult<KernelCloneArgs> CloneArgsFromRegisters(Task* task,
                                                    const RegisterFile& regs);

  // CopyProcess()
  //
  // kernel/fork.c:copy_process() [5.2] alone, for `current` with `args`: no
  // syscall entry, no _do_fork() around it, so the child is linked but not
  // woken and nothing is written for CLONE_PARENT_SETTID. With
  // CloneArgsFromRegisters(), the two halves of a clone, for benchmarks.
  SysResult<Task*> CopyProcess(Task* current, KernelCloneArgs& args);

 private:
  std::unique_ptr<KernelCore> core_;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_KERNEL_H_

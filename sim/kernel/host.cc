// The host API (sim/kernel/kernel.h): each set-up operation is a short call
// into the kernel functions a syscall would use, with fault injection
// suspended, so that fail_nth only ever counts the points of syscalls.

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "model/kernel/cgroup.h"
#include "model/kernel/cred.h"
#include "model/kernel/pid.h"
#include "sim/kernel/core.h"
#include "sim/kernel/fork.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/open.h"
#include "sim/kernel/signal.h"

namespace forksim {

Kernel::Kernel(const KernelProfile& profile, const MachineConfig& config)
    : core_(std::make_unique<KernelCore>(profile, config)) {}

Kernel::~Kernel() = default;

const Machine& Kernel::machine() const { return core_->machine(); }
const KernelProfile& Kernel::profile() const { return core_->profile(); }
Abi Kernel::abi() const { return core_->abi(); }

bool Kernel::tracing() const { return core_->tracing(); }
void Kernel::set_tracing(bool on) { core_->set_tracing(on); }
const std::vector<Event>& Kernel::events() const { return core_->events(); }
void Kernel::ClearEvents() { core_->ClearEvents(); }

SyscallOutcome Kernel::Syscall(Task* task) { return core_->Syscall(task); }

SyscallOutcome Kernel::Invoke(Task* task, Sysno sysno,
                              std::initializer_list<uint64_t> args) {
  return core_->Invoke(task, sysno, args);
}

void Kernel::SetRegister(Task* task, Reg reg, uint64_t value) {
  task->regs.Set(reg, value);
}

void Kernel::SetRegisters(Task* task, const RegisterFile& regs) {
  task->regs = regs;
}

void Kernel::set_resume_callback(ResumeCallback callback) {
  core_->set_resume_callback(std::move(callback));
}

bool Kernel::IsBlocked(const Task* task) const {
  return core_->IsBlocked(task);
}

std::optional<std::string> Kernel::BlockedIn(const Task* task) const {
  const Wait* wait = core_->WaitOf(task);
  if (wait == nullptr) return std::nullopt;
  return absl::StrFormat("%s: %s", WaitFunction(*wait), DescribeWait(*wait));
}

SysResult<Task*> Kernel::NewProcess() {
  Machine& m = core_->machine();
  SyscallOutcome pid = Errno::kENOSYS;
  {
    auto suspended = m.faults.Suspend();
    pid = Invoke(m.init, Sysno::kFork, {});
  }
  if (!pid.returned()) return Errno::kEAGAIN;  // init never blocks in fork
  FORKSIM_TRY(pid);
  Task* task = m.FindTaskByTid(Tid(static_cast<int32_t>(pid.value())));
  core_->Schedule();
  return task;
}

SyscallOutcome Kernel::KernelThread(uint64_t fn, uint64_t arg, uint64_t flags) {
  Machine& m = core_->machine();
  const SyscallOutcome out =
      forksim::KernelThread(*core_, m.kthreadd, fn, arg, flags);
  core_->WakeBlocked();
  return out;
}

SysStatus Kernel::SetCreds(Task* task, const CredChange& change) {
  Machine& m = core_->machine();
  auto suspended = m.faults.Suspend();
  FORKSIM_ASSIGN_OR_RETURN(Cred * cred, PrepareCreds(m, task->cred));
  if (change.uid) {
    SysResult<UserStruct*> user = AllocUid(m, *change.uid);
    if (!user.ok()) {
      PutCred(m, cred);
      return user.error();
    }
    cred->uid = cred->euid = cred->suid = cred->fsuid = *change.uid;
    FreeUid(m, cred->user);
    cred->user = user.value();
  }
  if (change.gid) {
    cred->gid = cred->egid = cred->sgid = cred->fsgid = *change.gid;
  }
  if (change.caps) {
    cred->caps = CapSets{0, *change.caps, *change.caps, m.cap_full_set(), 0};
  }
  CommitCreds(m, task, cred);
  return SysOk();
}

SysStatus Kernel::SetRlimit(Task* task, int resource, uint64_t soft,
                            std::optional<uint64_t> hard) {
  if (resource < 0 || resource >= kRlimNlimits) return Errno::kEINVAL;
  Rlimit& lim = task->signal->rlim[resource];
  const uint64_t max = hard.value_or(lim.max);
  // kernel/sys.c:do_prlimit() [5.2]: a soft limit above the hard one is
  // EINVAL; RLIMIT_NOFILE cannot go above fs.nr_open (EPERM).
  if (soft > max) return Errno::kEINVAL;
  if (resource == kRlimitNofile && max != kRlimInfinity &&
      max > core_->machine().sysctls.nr_open) {
    return Errno::kEPERM;
  }
  lim.cur = soft;
  lim.max = max;
  return SysOk();
}

SysResult<int> Kernel::OpenFile(Task* task, std::string_view path,
                                bool cloexec) {
  Machine& m = core_->machine();
  auto suspended = m.faults.Suspend();
  return forksim::OpenFile(m, task, path, cloexec);
}

SysResult<int> Kernel::DupFile(Task* task, int fd) {
  Machine& m = core_->machine();
  auto suspended = m.faults.Suspend();
  return KsysDup(m, task, fd);
}

absl::Status Kernel::CgroupCreate(std::string_view path) {
  return CgroupMkdir(core_->machine(), path).status();
}

absl::Status Kernel::CgroupRemove(std::string_view path) {
  return CgroupRmdir(core_->machine(), path);
}

namespace {

absl::StatusOr<Cgroup*> ExistingCgroup(const Machine& m,
                                       std::string_view path) {
  Cgroup* cgroup = CgroupLookup(m, path);
  if (cgroup == nullptr) {
    return absl::NotFoundError(absl::StrFormat("no cgroup %s", path));
  }
  return cgroup;
}

}  // namespace

absl::Status Kernel::CgroupEnable(std::string_view path,
                                  std::string_view controller) {
  absl::StatusOr<Cgroup*> found = ExistingCgroup(core_->machine(), path);
  if (!found.ok()) return found.status();
  Cgroup* cgroup = *found;
  if (!IsCgroupController(controller)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not a cgroup v2 controller", controller));
  }
  // kernel/cgroup/cgroup.c:cgroup_subtree_control_write() [6.12]: only what
  // the parent enables, no domain controller in a threaded cgroup or beside
  // tasks (except at the root).
  const auto has = [](const Cgroup* c, std::string_view name) {
    return std::find(c->subtree_control.begin(), c->subtree_control.end(),
                     name) != c->subtree_control.end();
  };
  if (cgroup->parent != nullptr && !has(cgroup->parent, controller)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is not enabled in %s's parent (ENOENT)", controller, path));
  }
  if (!IsThreadedController(controller) && cgroup->parent != nullptr) {
    if (cgroup->threaded) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s is a domain controller and %s is threaded (EOPNOTSUPP)",
          controller, path));
    }
    if (cgroup->nr_tasks > 0) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s has tasks (EBUSY)", path));
    }
  }
  if (!has(cgroup, controller)) {
    cgroup->subtree_control.push_back(std::string(controller));
  }
  return absl::OkStatus();
}

absl::Status Kernel::CgroupMakeThreaded(std::string_view path) {
  absl::StatusOr<Cgroup*> found = ExistingCgroup(core_->machine(), path);
  if (!found.ok()) return found.status();
  Cgroup* cgroup = *found;
  // cgroup_enable_threaded() [6.12]: the parent must be able to be a
  // thread root, or be threaded itself.
  if (cgroup->parent == nullptr ||
      (!CgroupIsValidDomain(cgroup->parent) && !cgroup->parent->threaded)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s cannot become threaded (EOPNOTSUPP)", path));
  }
  cgroup->threaded = true;
  return absl::OkStatus();
}

absl::Status Kernel::CgroupChown(std::string_view path, uint32_t uid) {
  absl::StatusOr<Cgroup*> found = ExistingCgroup(core_->machine(), path);
  if (!found.ok()) return found.status();
  (*found)->procs_uid = uid;
  return absl::OkStatus();
}

absl::Status Kernel::CgroupMove(Task* task, std::string_view path) {
  absl::StatusOr<Cgroup*> found = ExistingCgroup(core_->machine(), path);
  if (!found.ok()) return found.status();
  CgroupAttach(core_->machine(), task, *found);
  return absl::OkStatus();
}

absl::StatusOr<SysResult<int>> Kernel::CgroupOpen(Task* task,
                                                  std::string_view path,
                                                  bool o_path) {
  Machine& m = core_->machine();
  absl::StatusOr<Cgroup*> found = ExistingCgroup(m, path);
  if (!found.ok()) return found.status();
  auto suspended = m.faults.Suspend();
  return OpenCgroupDir(m, task, *found, o_path);
}

SysStatus Kernel::SetSigaction(Task* task, int sig, const SigAction& action) {
  return DoSigaction(task, sig, action);
}

SysStatus Kernel::WriteSysctl(const Task* writer, std::string_view key,
                              int64_t value) {
  Machine& m = core_->machine();
  auto suspended = m.faults.Suspend();
  if (key == "kernel.pid_max") return m.SetPidMax(value);
  if (key == "kernel.threads-max") return m.SetThreadsMax(value);
  if (key == "fs.nr_open") return m.SetNrOpen(value);
  if (key == "fs.file-max") {
    // proc_doulongvec_minmax with no bounds: any value.
    m.sysctls.file_max = static_cast<uint64_t>(value);
    return SysOk();
  }
  if (key == "kernel.ns_last_pid") {
    return SetNsLastPid(m, writer, writer->nsproxy->pid_for_children, value);
  }
  for (int t = 0; t < kUcountCount; ++t) {
    const UcountType type = static_cast<UcountType>(t);
    if (type == kUcountTimeNamespaces && !m.has_time_namespaces()) continue;
    if (key == absl::StrFormat("user.max_%s_namespaces", UcountName(type))) {
      return m.SetUcountMax(type, value);
    }
  }
  return Errno::kENOENT;  // no such file under /proc/sys
}

absl::Status Kernel::MapMemory(Task* task, uint64_t addr, uint64_t len,
                               Prot prot) {
  if (task->mm == nullptr) {
    return absl::FailedPreconditionError(
        "the task has no mm (a kernel thread)");
  }
  return task->mm->memory->Map(addr, len, prot);
}

absl::Status Kernel::ProtectMemory(Task* task, uint64_t addr, uint64_t len,
                                   Prot prot) {
  if (task->mm == nullptr) {
    return absl::FailedPreconditionError(
        "the task has no mm (a kernel thread)");
  }
  return task->mm->memory->Protect(addr, len, prot);
}

absl::Status Kernel::WriteMemory(Task* task, uint64_t addr,
                                 std::span<const uint8_t> bytes) {
  if (task->mm == nullptr) {
    return absl::FailedPreconditionError("the task has no mm");
  }
  return task->mm->memory->Poke(addr, bytes);
}

void Kernel::SignalDuringNextSyscall(Task* task, int sig) {
  core_->SignalDuringNextSyscall(task, sig);
}

void Kernel::Schedule() { core_->Schedule(); }

void Kernel::FailNth(uint32_t n) { core_->machine().faults.FailNth(n); }

const std::string& Kernel::InjectedFault() const {
  return core_->machine().faults.injected();
}

SysResult<KernelCloneArgs> Kernel::CloneArgsFromRegisters(
    Task* task, const RegisterFile& regs) {
  FORKSIM_ASSIGN_OR_RETURN(const DecodedSyscall d, DecodeSyscall(regs));
  switch (d.signature->sysno) {
    case Sysno::kClone:
      return LegacyCloneArgs(core_->profile(), regs.abi(), d);
    case Sysno::kClone3:
      if (core_->profile().clone3 == Clone3Copy::kNone) return Errno::kENOSYS;
      return Clone3Args(*core_, task, d);
    case Sysno::kClone6:
      if (!core_->profile().has_clone6) return Errno::kENOSYS;
      return Clone6Args(*core_, task, d);
    default:
      return Errno::kENOSYS;
  }
}

SysResult<Task*> Kernel::CopyProcess(Task* current, KernelCloneArgs& args) {
  return forksim::CopyProcess(*core_, current, args, /*trace=*/0);
}

}  // namespace forksim

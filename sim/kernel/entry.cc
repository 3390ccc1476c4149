// The syscall entry and the sleeping tasks: arch/x86/entry/common.c [5.2]
// (do_syscall_64(), do_int80_syscall_32()) as far as the model has it, the
// restart of an ERESTARTNOINTR (arch/x86/kernel/signal.c:handle_signal()),
// and the wake-ups of tasks blocked in a syscall.

#include <utility>

#include "absl/strings/str_format.h"
#include "sim/kernel/core.h"
#include "sim/kernel/signal.h"
#include "sim/kernel/syscalls.h"

namespace forksim {

namespace {

// The machine a profile's kernel boots: its CAP_LAST_CAP.
MachineConfig ForProfile(const KernelProfile& profile, MachineConfig config) {
  config.cap_last_cap = profile.cap_last_cap;
  config.time_namespaces = profile.time_namespaces;
  return config;
}

}  // namespace

KernelCore::KernelCore(const KernelProfile& profile,
                       const MachineConfig& config)
    : profile_(&profile), machine_(Machine::Boot(ForProfile(profile, config))) {
  RegisterSyscalls();
}

KernelCore::~KernelCore() = default;

void KernelCore::RegisterSyscalls() {
  auto set = [this](Sysno sysno, SyscallHandler handler) {
    handlers_[static_cast<int>(sysno)] = handler;
  };
  set(Sysno::kFork, SysFork);
  set(Sysno::kVfork, SysVfork);
  set(Sysno::kClone, SysClone);
  // The RFC's syscall exists only where the RFC is applied. Elsewhere 436
  // is past the end of the syscall table: do_syscall_64() dispatches
  // nothing and the -ENOSYS the entry put in ax stays (common.c [5.2]).
  if (profile_->has_clone6) set(Sysno::kClone6, SysClone6);
  // clone3 is 435 from [5.3] on.
  if (profile_->clone3 != Clone3Copy::kNone) set(Sysno::kClone3, SysClone3);
  set(Sysno::kExit, SysExit);
  set(Sysno::kExitGroup, SysExitGroup);
  set(Sysno::kWait4, SysWait4);
  set(Sysno::kWaitid, SysWaitid);
  set(Sysno::kGetpid, SysGetpid);
  set(Sysno::kGettid, SysGettid);
  set(Sysno::kGetppid, SysGetppid);
  set(Sysno::kClose, SysClose);
  set(Sysno::kExecve, SysExecve);
}

void KernelCore::Record(const Task* task, Event event) {
  if (!tracing_) return;
  event.tid = task != nullptr ? task->pid : Tid(0);
  events_.push_back(std::move(event));
}

SyscallOutcome KernelCore::Dispatch(Task* task, const DecodedSyscall& d) {
  const SyscallHandler handler =
      handlers_[static_cast<int>(d.signature->sysno)];
  // Not wired in this profile: past the table, or sys_ni_syscall.
  if (handler == nullptr) return Errno::kENOSYS;
  return handler(*this, task, d);
}

SyscallOutcome KernelCore::Syscall(Task* task) {
  woken_.clear();
  if (!task->started) Schedule();
  // Signals that arrived while the task was in user mode are delivered
  // before it can make another syscall.
  if (!DoSignal(*this, task)) return SyscallOutcome::Exited();
  if (auto it = arriving_.find(task->pid); it != arriving_.end()) {
    for (int sig : it->second) task->pending.push_back(sig);
    arriving_.erase(it);
  }
  const SysResult<DecodedSyscall> decoded = DecodeSyscall(task->regs);
  const uint64_t nr = task->regs.Get(AbiInfoFor(task->abi).nr_reg);
  if (tracing_) {
    Event e;
    e.kind = EventKind::kSyscall;
    e.nr = nr;
    if (decoded.ok()) {
      e.function = SyscallEntryName(*profile_, *decoded.value().signature);
      e.decoded = decoded.value();
    } else {
      e.function = "arch/x86/entry/common.c";
    }
    Record(task, std::move(e));
  }
  Task* const saved = current_;
  current_ = task;
  SyscallOutcome out = Errno::kENOSYS;  // past the table: ENOSYS
  if (decoded.ok()) {
    current_sysno_ = decoded.value().signature->sysno;
    out = Dispatch(task, decoded.value());
    // ERESTARTNOINTR never reaches userspace: the signal that caused it is
    // delivered and the syscall runs again.
    if (out.returned() && out.error() == Errno::kERESTARTNOINTR) {
      Note(task, "arch/x86/kernel/signal.c:handle_signal()",
           "ERESTARTNOINTR: the syscall is restarted");
      out = DoSignal(*this, task) ? Dispatch(task, decoded.value())
                                  : SyscallOutcome::Exited();
    }
  }
  current_ = saved;
  if (out.exited()) {  // the caller is gone; `task` may be freed
    WakeBlocked();
    return out;
  }
  if (out.blocked()) {
    if (tracing_) {
      Event e;
      e.kind = EventKind::kBlocked;
      const Wait& wait = sleepers_.at(task->pid).wait;
      e.function = WaitFunction(wait);
      e.text = DescribeWait(wait);
      Record(task, std::move(e));
    }
    // A blocked caller lets the others run, then maybe finishes at once.
    Schedule();
    WakeBlocked();
    if (IsBlocked(task)) return out;
    return woken_.at(task->pid);
  }
  EncodeReturn(out, task->regs);
  if (tracing_) {
    Event e;
    e.kind = EventKind::kReturn;
    e.result = out;
    Record(task, std::move(e));
  }
  WakeBlocked();
  return out;
}

SyscallOutcome KernelCore::Invoke(Task* task, Sysno sysno,
                                  std::initializer_list<uint64_t> args) {
  const AbiInfo& info = AbiInfoFor(task->regs.abi());
  const SyscallSignature* sig = FindSyscall(task->regs.abi(), sysno);
  task->regs.Set(info.nr_reg, sig != nullptr ? sig->nr : 0xffffffffu);
  int i = 0;
  for (uint64_t arg : args) task->regs.Set(info.arg_regs[i++], arg);
  return Syscall(task);
}

void KernelCore::Block(Task* task, Wait wait) {
  task->state = TaskState::kBlocked;
  sleepers_.insert_or_assign(task->pid,
                             Sleeper{current_sysno_, std::move(wait)});
}

void KernelCore::AbandonWait(Task* task) { sleepers_.erase(task->pid); }

bool KernelCore::IsBlocked(const Task* task) const {
  return sleepers_.count(task->pid) != 0;
}

const Wait* KernelCore::WaitOf(const Task* task) const {
  auto it = sleepers_.find(task->pid);
  return it == sleepers_.end() ? nullptr : &it->second.wait;
}

void KernelCore::WakeBlocked() {
  for (bool progress = true; progress;) {
    progress = false;
    for (auto it = sleepers_.begin(); it != sleepers_.end(); ++it) {
      Task* task = machine_->FindTaskByTid(it->first);
      if (task == nullptr) {  // the sleeping task was killed and reaped
        sleepers_.erase(it);
        progress = true;
        break;
      }
      Task* const saved = current_;
      current_ = task;
      std::optional<SyscallOutcome> result = std::visit(
          [&](const auto& wait) { return PollWait(*this, task, wait); },
          it->second.wait);
      current_ = saved;
      if (!result) continue;
      const Sysno sysno = it->second.sysno;
      sleepers_.erase(it);
      task->state = TaskState::kRunnable;
      EncodeReturn(*result, task->regs);
      woken_.insert_or_assign(task->pid, *result);
      if (tracing_) {
        Event e;
        e.kind = EventKind::kResumed;
        e.result = *result;
        Record(task, std::move(e));
      }
      if (on_resume_) on_resume_(task, sysno, *result);
      progress = true;
      break;  // the map changed; start again from the lowest pid
    }
  }
}

std::string_view WaitFunction(const Wait& wait) {
  if (std::holds_alternative<VforkWait>(wait)) {
    return "kernel/fork.c:wait_for_vfork_done()";
  }
  return "kernel/exit.c:do_wait()";
}

std::string DescribeWait(const Wait& wait) {
  if (const auto* vfork = std::get_if<VforkWait>(&wait)) {
    return absl::StrFormat("until task %d execs or exits", vfork->child.value);
  }
  return "until a child changes state";
}

}  // namespace forksim

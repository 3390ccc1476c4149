#include "sim/kernel/kernel.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"
#include "model/kernel/pid.h"
#include "sim/kernel/exit.h"
#include "sim/kernel/syscalls.h"

namespace forksim {

Kernel::Kernel(const KernelProfile& profile, const MachineConfig& config)
    : profile_(&profile), machine_(Machine::Boot(config)) {
  RegisterSyscalls();
}

Kernel::~Kernel() = default;

void Kernel::RegisterSyscalls() {
  auto reg = [this](Sysno sysno, SyscallHandler handler) {
    table_.Register(sysno, [this, handler](const DecodedSyscall& d) {
      return handler(*this, current_, d);
    });
  };
  reg(Sysno::kFork, SysFork);
  reg(Sysno::kVfork, SysVfork);
  reg(Sysno::kClone, SysClone);
  // The RFC's syscall exists only where the seed is applied; elsewhere 436
  // is sys_ni_syscall (ENOSYS).
  if (profile_->has_clone6) reg(Sysno::kClone6, SysClone6);
  reg(Sysno::kExit, SysExit);
  reg(Sysno::kExitGroup, SysExitGroup);
  reg(Sysno::kWait4, SysWait4);
  reg(Sysno::kWaitid, SysWaitid);
  reg(Sysno::kGetpid, SysGetpid);
  reg(Sysno::kGettid, SysGettid);
  reg(Sysno::kGetppid, SysGetppid);
  reg(Sysno::kClose, SysClose);
  reg(Sysno::kExecve, SysExecve);
}

void Kernel::Emit(Event::Kind kind, const Task* task, std::string where,
                  std::string text, int64_t value) {
  if (!trace_.enabled) return;
  Event event;
  event.kind = kind;
  event.tid = task != nullptr ? task->pid.value : 0;
  event.where = std::move(where);
  event.text = std::move(text);
  event.value = value;
  trace_.Add(std::move(event));
}

void Kernel::QueueSignalDuringNextSyscall(Task* task, int sig) {
  arriving_[task->pid.value].push_back(sig);
}

bool Kernel::DeliverSignals(Task* task) {
  // arch/x86/kernel/signal.c:do_signal(): the model has no user code, so a
  // delivered signal runs no handler; SIGKILL kills the group.
  std::vector<int> pending = std::move(task->pending);
  task->pending.clear();
  for (int sig : task->signal->shared_pending) pending.push_back(sig);
  task->signal->shared_pending.clear();
  for (int sig : pending) {
    Emit(Event::Kind::kSignal, task, "arch/x86/kernel/signal.c:do_signal()",
         "delivered", sig);
    if (sig == kSigkill) {
      const Tid tid = task->pid;
      DoGroupExit(*this, task, kSigkill);
      // Global init refuses to die (exit.c would panic): it lives on.
      const Task* still = machine_->FindTaskByTid(tid);
      if (still == nullptr || (still->flags & kPfExiting) != 0) return false;
    }
  }
  return true;
}

SyscallOutcome Kernel::Syscall(Task* task) {
  if (!task->started) Schedule();
  // Signals that arrived while the task was in user mode are delivered
  // before it can make another syscall.
  if (!DeliverSignals(task)) return {false, kNoReturn};
  if (auto it = arriving_.find(task->pid.value); it != arriving_.end()) {
    for (int sig : it->second) task->pending.push_back(sig);
    arriving_.erase(it);
  }
  SysResult<DecodedSyscall> decoded = DecodeSyscall(task->regs);
  int64_t result;
  Task* saved = current_;
  current_ = task;
  if (!decoded.ok()) {
    Emit(Event::Kind::kSyscall, task, "arch/x86/entry/common.c",
         absl::StrFormat("syscall %d",
                         task->regs.Get(AbiInfoFor(abi()).nr_reg)));
    result = SyscallError(decoded.error());
  } else {
    const DecodedSyscall& d = decoded.value();
    current_sysno_ = d.signature->sysno;
    if (tracing()) {
      Emit(Event::Kind::kSyscall, task, std::string(d.signature->entry),
           std::string(d.signature->name), d.signature->nr);
    }
    const SyscallTable::Handler* handler = table_.Find(d.signature->sysno);
    result = handler != nullptr ? (*handler)(d) : SyscallError(Errno::kENOSYS);
    // ERESTARTNOINTR never reaches userspace: the signal that caused it is
    // delivered and the syscall runs again (arch/x86/kernel/signal.c).
    if (result == SyscallError(Errno::kERESTARTNOINTR) &&
        blocked_.count(task->pid.value) == 0) {
      Emit(Event::Kind::kNote, task, "arch/x86/kernel/signal.c:handle_signal()",
           "ERESTARTNOINTR: the syscall is restarted");
      if (!DeliverSignals(task)) {
        current_ = saved;
        WakeBlocked();
        return {false, kNoReturn};
      }
      result =
          handler != nullptr ? (*handler)(d) : SyscallError(Errno::kENOSYS);
    }
  }
  current_ = saved;
  if (result == kNoReturn) {  // the caller exited; `task` may be gone
    WakeBlocked();
    return {false, kNoReturn};
  }
  if (blocked_.count(task->pid.value) != 0) {
    Emit(Event::Kind::kBlocked, task, "", "");
    // A blocked caller lets the others run, then maybe finishes at once.
    Schedule();
    WakeBlocked();
    if (blocked_.count(task->pid.value) != 0) return {true, 0};
    return {false, static_cast<int64_t>(task->regs.Get(Reg::kAx))};
  }
  // A task that exited has no return (its registers are gone with it).
  EncodeReturn(result, task->regs);
  if (tracing()) Emit(Event::Kind::kReturn, task, "", "", result);
  WakeBlocked();
  return {false, result};
}

SyscallOutcome Kernel::Invoke(Task* task, Sysno sysno,
                              std::initializer_list<uint64_t> args) {
  const AbiInfo& info = AbiInfoFor(task->regs.abi());
  const SyscallSignature* sig = FindSyscall(task->regs.abi(), sysno);
  task->regs.Set(info.nr_reg, sig != nullptr ? sig->nr : 0xffffffffu);
  int i = 0;
  for (uint64_t arg : args) task->regs.Set(info.arg_regs[i++], arg);
  return Syscall(task);
}

void Kernel::Schedule() {
  // Creation order: the registry iterates by serial. Every task older than
  // the last one seen here has had its first slice (or never will: it was
  // killed first), so only the newer ones are looked at.
  std::vector<Task*> fresh;
  machine_->tasks.ForEachFrom(scheduled_up_to_ + 1, [&](Task* task) {
    if (!task->started && task->state == TaskState::kRunnable) {
      fresh.push_back(task);
    }
  });
  scheduled_up_to_ = machine_->tasks.last_serial();
  for (Task* task : fresh) FirstRun(task);
}

void Kernel::FirstRun(Task* task) {
  // kernel/sched/core.c:schedule_tail() [5.2]: the child's first slice.
  task->started = true;
  Emit(Event::Kind::kStep, task, "kernel/sched/core.c:schedule_tail()",
       "first run");
  if (task->set_child_tid != 0) {
    // CLONE_CHILD_SETTID: the child writes its own tid, as its own pid
    // namespace sees it, into its own memory; errors are ignored.
    const VNr tid = TaskPidVnr(task, task);
    (void)PutUser(task, task->set_child_tid, 4,
                  static_cast<uint32_t>(tid.value), "*child_tidptr");
  }
}

void Kernel::Block(Task* task, Sysno sysno, Poll poll) {
  task->state = TaskState::kBlocked;
  blocked_[task->pid.value] = Blocked{sysno, std::move(poll)};
}

void Kernel::Unblock(Task* task) { blocked_.erase(task->pid.value); }

bool Kernel::IsBlocked(const Task* task) const {
  return blocked_.count(task->pid.value) != 0;
}

void Kernel::WakeBlocked() {
  for (bool progress = true; progress;) {
    progress = false;
    for (auto it = blocked_.begin(); it != blocked_.end(); ++it) {
      Task* task = machine_->FindTaskByTid(Tid(it->first));
      if (task == nullptr) {  // the blocked task was killed and reaped
        blocked_.erase(it);
        progress = true;
        break;
      }
      Task* saved = current_;
      current_ = task;
      std::optional<int64_t> result = it->second.poll();
      current_ = saved;
      if (!result) continue;
      const Sysno sysno = it->second.sysno;
      blocked_.erase(it);
      task->state = TaskState::kRunnable;
      EncodeReturn(*result, task->regs);
      Emit(Event::Kind::kResumed, task, "", "", *result);
      if (on_resume_) on_resume_(task, sysno, *result);
      progress = true;
      break;  // the map changed; start again from the lowest pid
    }
  }
}

// --- traced uaccess ---

namespace {

std::vector<uint8_t> LittleEndianBytes(uint64_t value, uint32_t size) {
  std::vector<uint8_t> bytes(size);
  StoreLittleEndian(bytes.data(), size, value);
  return bytes;
}

}  // namespace

void Kernel::TraceAccess(bool ok, bool is_write, const Task* task,
                         std::string_view where, std::string_view what,
                         uint64_t addr, size_t size,
                         std::vector<uint8_t> bytes) {
  Event event;
  event.kind = !ok ? Event::Kind::kFault
                   : (is_write ? Event::Kind::kWrite : Event::Kind::kRead);
  event.tid = task->pid.value;
  event.where = std::string(where);
  event.text = std::string(what);
  event.addr = addr;
  event.value = static_cast<int64_t>(size);
  event.bytes = std::move(bytes);
  trace_.Add(std::move(event));
}

SysStatus Kernel::GetUser(Task* task, uint64_t addr, uint32_t size,
                          uint64_t* value, std::string_view what) {
  *value = 0;
  SysStatus status = task->mm != nullptr
                         ? task->mm->memory->GetUser(addr, size, value)
                         : SysStatus(Errno::kEFAULT);
  if (trace_.enabled) {
    TraceAccess(
        status.ok(), false, task, "get_user", what, addr, size,
        status.ok() ? LittleEndianBytes(*value, size) : std::vector<uint8_t>());
  }
  return status;
}

SysStatus Kernel::PutUser(Task* task, uint64_t addr, uint32_t size,
                          uint64_t value, std::string_view what) {
  SysStatus status = task->mm != nullptr
                         ? task->mm->memory->PutUser(addr, size, value)
                         : SysStatus(Errno::kEFAULT);
  if (trace_.enabled) {
    TraceAccess(status.ok(), true, task, "put_user", what, addr, size,
                LittleEndianBytes(value, size));
  }
  return status;
}

size_t Kernel::CopyFromUser(Task* task, std::span<uint8_t> dst, uint64_t src,
                            std::string_view what) {
  size_t not_copied = dst.size();
  if (task->mm != nullptr) {
    not_copied = task->mm->memory->CopyFromUser(dst, src);
  } else {
    std::fill(dst.begin(), dst.end(), 0);
  }
  if (trace_.enabled) {
    TraceAccess(not_copied == 0, false, task, "copy_from_user", what, src,
                dst.size(),
                std::vector<uint8_t>(dst.begin(),
                                     dst.begin() + (dst.size() - not_copied)));
  }
  return not_copied;
}

size_t Kernel::CopyToUser(Task* task, uint64_t dst,
                          std::span<const uint8_t> src, std::string_view what) {
  const size_t not_copied =
      task->mm != nullptr ? task->mm->memory->CopyToUser(dst, src) : src.size();
  if (trace_.enabled) {
    TraceAccess(not_copied == 0, true, task, "copy_to_user", what, dst,
                src.size(),
                std::vector<uint8_t>(src.begin(),
                                     src.begin() + (src.size() - not_copied)));
  }
  return not_copied;
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: sim/kernel/core.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The kernel's inside: what the syscall implementations work with; the
// host sees the kernel through sim/kernel/kernel.h.
//
// KernelCore holds the machine, the profile, the syscall table, the
// scheduler's state, the sleeping tasks and the event trace. A syscall runs
// with `current()` set to its caller; helpers record events with Record()
// and Note(), reach user memory through the traced uaccess functions, and a
// syscall that sleeps registers a named wait with Block().

#ifndef FORKSIM_SIM_KERNEL_CORE_H_
#define FORKSIM_SIM_KERNEL_CORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "model/abi/abi.h"
#include "model/errno.h"
#include "model/kernel/machine.h"
#include "model/kernel/task.h"
#include "sim/kernel/event.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/profile.h"
#include "sim/kernel/syscall_entry.h"
#include "sim/kernel/waits.h"

namespace forksim {

class KernelCore;

// A syscall implementation: the kernel, the calling task, the decoded
// arguments.
using SyscallHandler = SyscallOutcome (*)(KernelCore&, Task*,
                                          const DecodedSyscall&);

class KernelCore {
 public:
  KernelCore(const KernelProfile& profile, const MachineConfig& config);
  ~KernelCore();

  Machine& machine() { return *machine_; }
  const Machine& machine() const { return *machine_; }
  const KernelProfile& profile() const { return *profile_; }
  Abi abi() const { return machine_->abi(); }

  // --- the syscall entry (entry.cc) ---

  // Syscall()
  //
  // arch/x86/entry/common.c [5.2]: the first slice of a new task, signals
  // that arrived in user mode, the decoding, the handler, the restart of an
  // ERESTARTNOINTR, and the return register. The one place an outcome
  // becomes a register value.
  SyscallOutcome Syscall(Task* task);

  // Invoke()
  //
  // Puts `sysno` and `args` in the ABI's registers of `task` (a number the
  // ABI lacks becomes 0xffffffff), then Syscall().
  SyscallOutcome Invoke(Task* task, Sysno sysno,
                        std::initializer_list<uint64_t> args);

  // The task whose syscall is running, and which syscall it is.
  Task* current() const { return current_; }
  Sysno current_sysno() const { return current_sysno_; }

  // --- sleeping (entry.cc) ---

  // Block()
  //
  // The current syscall of `task` sleeps until `wait` is over; its handler
  // then returns SyscallOutcome::Blocked().
  void Block(Task* task, Wait wait);
  // A sleeping task killed in its syscall never returns from it.
  void AbandonWait(Task* task);
  bool IsBlocked(const Task* task) const;
  const Wait* WaitOf(const Task* task) const;
  // Asks every sleeping task, in pid order, whether its wait is over, until
  // none is.
  void WakeBlocked();
  using ResumeCallback =
      std::function<void(Task*, Sysno, const SyscallOutcome&)>;
  void set_resume_callback(ResumeCallback callback) {
    on_resume_ = std::move(callback);
  }

  // --- signals that arrive during the next syscall (entry.cc) ---
  void SignalDuringNextSyscall(Task* task, int sig) {
    arriving_[task->pid].push_back(sig);
  }

  // --- the scheduler (sched.cc) ---

  // Gives every new runnable task its first slice, in creation order.
  void Schedule();

  // --- the trace ---

  bool tracing() const { return tracing_; }
  void set_tracing(bool on) { tracing_ = on; }
  const std::vector<Event>& events() const { return events_; }
  void ClearEvents() { events_.clear(); }

  // Record()
  //
  // Appends `event` (tid set from `task`) when tracing. Callers that build
  // an event at a cost check tracing() first.
  void Record(const Task* task, Event event);

  // Note()
  //
  // A free-form kNote; the text is formatted only when tracing.
  template <typename... Args>
  void Note(const Task* task, std::string_view function,
            const absl::FormatSpec<Args...>& format, const Args&... args) {
    if (!tracing_) return;
    Event event;
    event.kind = EventKind::kNote;
    event.function = function;
    event.text = absl::StrFormat(format, args...);
    Record(task, std::move(event));
  }

  // --- user memory, traced (uaccess.cc) ---
  //
  // The caller's mm, accessed as the kernel's uaccess functions do; a task
  // without an mm faults. `field` names what is accessed, for traces
  // ("clone6_args.stack").

  SysStatus GetUser(Task* task, uint64_t addr, uint32_t size, uint64_t* value,
                    std::string_view field);
  SysStatus PutUser(Task* task, uint64_t addr, uint32_t size, uint64_t value,
                    std::string_view field);
  // ScanUserForZero()
  //
  // A kernel loop over user memory that wants zeros: loads of `unit` bytes
  // (1, 4 or 8) at unit-aligned addresses covering [addr, addr + len), each
  // one counted as a get_user(), stopping at the first load that faults or
  // holds a nonzero byte inside the range (bytes of a load outside it are
  // masked, as check_zeroed_user() does). The trace gets one event for the
  // loop, named `access` ("get_user x1"), with every byte loaded.
  enum class Scan : uint8_t { kZero, kNonzero, kFault };
  Scan ScanUserForZero(Task* task, uint64_t addr, uint64_t len, uint32_t unit,
                       std::string_view access, std::string_view field);
  // Both return the number of bytes not copied.
  size_t CopyFromUser(Task* task, std::span<uint8_t> dst, uint64_t src,
                      std::string_view field);
  size_t CopyToUser(Task* task, uint64_t dst, std::span<const uint8_t> src,
                    std::string_view field);

 private:
  struct Sleeper {
    Sysno sysno;
    Wait wait;
  };

  void RegisterSyscalls();
  SyscallOutcome Dispatch(Task* task, const DecodedSyscall& d);
  // kernel/sched/core.c:schedule_tail() [5.2].
  void FirstRun(Task* task);
  void RecordAccess(EventKind kind, const Task* task, std::string_view access,
                    std::string_view field, uint64_t addr, size_t size,
                    std::span<const uint8_t> bytes);

  const KernelProfile* profile_;
  std::unique_ptr<Machine> machine_;
  std::array<SyscallHandler, static_cast<int>(Sysno::kCount)> handlers_{};
  bool tracing_ = true;
  std::vector<Event> events_;
  Task* current_ = nullptr;
  Sysno current_sysno_ = Sysno::kCount;
  uint64_t scheduled_up_to_ = 0;     // the newest task serial Schedule() saw
  std::map<Tid, Sleeper> sleepers_;  // by pid: a fixed order
  std::map<Tid, std::vector<int>> arriving_;  // by pid
  // What WakeBlocked() finished during the current Syscall(), by pid.
  std::map<Tid, SyscallOutcome> woken_;
  ResumeCallback on_resume_;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_CORE_H_

// -----------------------------------------------------------------------------
// File: sim/kernel/kernel.h
// -----------------------------------------------------------------------------
//
// The simulated kernel: a Machine, a profile, the syscall table, a
// deterministic scheduler and an event trace.
//
// A task makes a syscall by setting its saved registers (task->regs: the
// number and arguments, as userspace leaves them) and calling Syscall(). The
// entry decodes the registers as the ABI's wrapper does, dispatches, and
// encodes the result into the return register.
//
// Blocking: vfork() waits for the child to exec or exit, and wait4()/waitid()
// without WNOHANG wait for a child to change state. Such a syscall returns
// `blocked`; the task is TaskState::kBlocked until a later event (an exit, an
// exec) lets it finish. Finished calls are reported through the resume
// callback and written to the task's return register.
//
// Scheduling is part of the profile (profile.h): the parent runs on after a
// fork; a new task runs its first slice (schedule_tail(): CLONE_CHILD_SETTID)
// when Schedule() runs, which happens when a caller blocks, before a task's
// own first syscall, and when a scenario asks for it. Nothing depends on the
// host: no time, no threads, no randomness.

#ifndef FORKSIM_SIM_KERNEL_KERNEL_H_
#define FORKSIM_SIM_KERNEL_KERNEL_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/abi/abi.h"
#include "model/kernel/kernel.h"
#include "model/kernel/machine.h"
#include "sim/kernel/profile.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

// One thing the kernel did, for traces and explanations.
struct Event {
  enum class Kind : uint8_t {
    kSyscall,  // a syscall entered (decoded arguments in `text`)
    kReturn,   // a syscall returned `value`
    kBlocked,  // a syscall blocked
    kResumed,  // a blocked syscall finished with `value`
    kCheck,    // a ladder check: `text` says which; value = errno or 0
    kStep,     // a resource step of copy_process() and friends
    kUnwind,   // an unwind label run after a failure
    kRead,     // user memory read: addr, bytes (what was read)
    kWrite,    // user memory written: addr, bytes
    kFault,    // a user memory access that faulted: addr, value = size
    kSignal,   // a signal queued: value = signal number, text = to whom
    kExit,     // a task exited: value = exit code
    kReap,     // a task was released
    kNote,     // anything else worth showing
  };
  Kind kind;
  int32_t tid = 0;  // the acting task's global pid
  std::string
      where;  // the kernel function, e.g. "kernel/fork.c:copy_process()"
  std::string text;
  int64_t value = 0;
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
};

class Trace {
 public:
  bool enabled = true;
  void Add(Event event) {
    if (enabled) events_.push_back(std::move(event));
  }
  const std::vector<Event>& events() const { return events_; }
  void Clear() { events_.clear(); }

 private:
  std::vector<Event> events_;
};

struct SyscallOutcome {
  bool blocked = false;
  int64_t result = 0;  // valid when !blocked
};

class Kernel {
 public:
  Kernel(const KernelProfile& profile, const MachineConfig& config);
  ~Kernel();

  Machine& machine() { return *machine_; }
  const Machine& machine() const { return *machine_; }
  const KernelProfile& profile() const { return *profile_; }
  Abi abi() const { return machine_->abi(); }
  Trace& trace() { return trace_; }
  // Whether events are recorded: callers skip formatting them when not.
  bool tracing() const { return trace_.enabled; }

  // Syscall()
  //
  // Runs the syscall described by task->regs. A task that has not run yet
  // gets its first slice first. The task must be runnable.
  SyscallOutcome Syscall(Task* task);

  // Invoke()
  //
  // Sets task->regs for `sysno` with `args` in the ABI's registers, then
  // Syscall(). Registers not named keep their values.
  SyscallOutcome Invoke(Task* task, Sysno sysno,
                        std::initializer_list<uint64_t> args);

  // Schedule()
  //
  // Gives every runnable task that has not run yet its first slice, in
  // creation order (schedule_tail(): the CLONE_CHILD_SETTID write).
  void Schedule();

  // QueueSignal()
  //
  // A signal that arrives while `task` is in its next syscall (after the
  // signals already pending were delivered on the way in): what makes
  // copy_process()'s signal_pending() (S2) and fatal_signal_pending() (S38)
  // checks observable.
  void QueueSignalDuringNextSyscall(Task* task, int sig);

  // Called when a blocked syscall finishes: (task, syscall, result).
  using ResumeCallback = std::function<void(Task*, Sysno, int64_t)>;
  void set_resume_callback(ResumeCallback callback) {
    on_resume_ = std::move(callback);
  }

  // --- used by the syscall implementations ---

  // The syscall the task is in (valid inside a handler).
  Task* current() const { return current_; }
  Sysno current_sysno() const { return current_sysno_; }

  // Blocks the current syscall: `poll` is asked, after every state change,
  // whether the call can finish, and returns its result when it can.
  using Poll = std::function<std::optional<int64_t>()>;
  void Block(Task* task, Sysno sysno, Poll poll);
  // Cancels a blocked call that will never return (its task was killed in
  // it): no result is written and no resume is reported.
  void Unblock(Task* task);
  // Re-polls blocked tasks, in pid order, until none can make progress.
  void WakeBlocked();
  bool IsBlocked(const Task* task) const;

  void Emit(Event::Kind kind, const Task* task, std::string where,
            std::string text, int64_t value = 0);

  // User memory of `task`, traced (sim/uaccess.cc). A task without an mm
  // faults. `what` names the field for traces ("clone6_args.stack").
  SysStatus GetUser(Task* task, uint64_t addr, uint32_t size, uint64_t* value,
                    std::string_view what);
  SysStatus PutUser(Task* task, uint64_t addr, uint32_t size, uint64_t value,
                    std::string_view what);
  size_t CopyFromUser(Task* task, std::span<uint8_t> dst, uint64_t src,
                      std::string_view what);
  size_t CopyToUser(Task* task, uint64_t dst, std::span<const uint8_t> src,
                    std::string_view what);

 private:
  struct Blocked {
    Sysno sysno;
    Poll poll;
  };
  void RegisterSyscalls();
  void FirstRun(Task* task);
  // Records a user memory access (or its fault) in the trace.
  void TraceAccess(bool ok, bool is_write, const Task* task,
                   std::string_view where, std::string_view what, uint64_t addr,
                   size_t size, std::vector<uint8_t> bytes);
  // Delivers the task's pending signals, as on its return to user mode.
  // Returns false if one of them killed it.
  bool DeliverSignals(Task* task);

  const KernelProfile* profile_;
  std::unique_ptr<Machine> machine_;
  SyscallTable table_;
  Trace trace_;
  Task* current_ = nullptr;
  Sysno current_sysno_ = Sysno::kCount;
  uint64_t scheduled_up_to_ = 0;        // the newest task serial Schedule() saw
  std::map<int32_t, Blocked> blocked_;  // by global pid: deterministic order
  std::map<int32_t, std::vector<int>> arriving_;  // by global pid
  ResumeCallback on_resume_;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_KERNEL_H_

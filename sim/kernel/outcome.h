// -----------------------------------------------------------------------------
// File: sim/kernel/outcome.h
// -----------------------------------------------------------------------------
//
// What a syscall did to its caller. Three states:
//
//   returned  the call returned a value or an errno
//   blocked   the caller sleeps in the call (vfork, wait4, waitid); the
//             result comes later, when the kernel wakes it
//   exited    the caller is gone (exit, exit_group, a fatal signal): there
//             is no return at all
//
// Handlers build one from a value, an Errno or a SysResult, so FORKSIM_TRY
// works inside them. The one place an Errno becomes the `-errno` a register
// holds is ReturnValue(), called by the syscall dispatcher.
//
//   SyscallOutcome SysGetppid(...) { return nr; }           // returned
//   SyscallOutcome SysClose(...)   { return Errno::kEBADF; } // returned
//   return SyscallOutcome::Blocked();                       // blocked

#ifndef FORKSIM_SIM_KERNEL_OUTCOME_H_
#define FORKSIM_SIM_KERNEL_OUTCOME_H_

#include <cstdint>
#include <string>

#include "model/errno.h"

namespace forksim {

class [[nodiscard]] SyscallOutcome {
 public:
  enum class State : uint8_t { kReturned, kBlocked, kExited };

  SyscallOutcome(int64_t value) : value_(value) {}  // NOLINT: implicit
  SyscallOutcome(Errno error) : error_(error) {}    // NOLINT: implicit
  template <typename T>
  SyscallOutcome(const SysResult<T>& result)  // NOLINT: implicit
      : value_(result.ok() ? static_cast<int64_t>(result.value()) : 0),
        error_(result.ok() ? Errno{} : result.error()) {}
  SyscallOutcome(SysStatus status) : error_(status.error()) {}  // NOLINT

  static SyscallOutcome Blocked() { return SyscallOutcome(State::kBlocked); }
  static SyscallOutcome Exited() { return SyscallOutcome(State::kExited); }

  State state() const { return state_; }
  bool returned() const { return state_ == State::kReturned; }
  bool blocked() const { return state_ == State::kBlocked; }
  bool exited() const { return state_ == State::kExited; }

  // ok(): not an error (a blocked or exited call has none). With error(),
  // what FORKSIM_TRY needs.
  bool ok() const { return error_ == Errno{}; }
  Errno error() const { return error_; }
  // The value returned; 0 unless returned() and ok().
  int64_t value() const { return value_; }

  // ReturnValue()
  //
  // The long a returned call leaves in the return register: the value, or
  // -errno. The only place forksim makes a -errno.
  int64_t ReturnValue() const {
    return ok() ? value_ : -int64_t{ErrnoValue(error_)};
  }

  friend bool operator==(const SyscallOutcome&,
                         const SyscallOutcome&) = default;

 private:
  explicit SyscallOutcome(State state) : state_(state) {}

  State state_ = State::kReturned;
  int64_t value_ = 0;
  Errno error_{};
};

// ResultText()
//
// The result as strace prints it after " = ": "5", "-1 EINVAL (Invalid
// argument)", or "?" for a call that never returns. A blocked call has no
// result yet: "<unfinished ...>".
std::string ResultText(const SyscallOutcome& outcome);

// OutcomeFromReturnValue()
//
// The inverse of ReturnValue() for a returned call: -1..-4095 is an errno.
SyscallOutcome OutcomeFromReturnValue(int64_t value);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_OUTCOME_H_

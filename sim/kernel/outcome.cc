#include "sim/kernel/outcome.h"

#include "absl/strings/str_format.h"

namespace forksim {

std::string ResultText(const SyscallOutcome& outcome) {
  switch (outcome.state()) {
    case SyscallOutcome::State::kBlocked:
      return "<unfinished ...>";
    case SyscallOutcome::State::kExited:
      return "?";
    case SyscallOutcome::State::kReturned:
      break;
  }
  if (!outcome.ok()) {
    return absl::StrFormat("-1 %s (%s)", ErrnoName(outcome.error()),
                           ErrnoMessage(outcome.error()));
  }
  return absl::StrFormat("%d", outcome.value());
}

SyscallOutcome OutcomeFromReturnValue(int64_t value) {
  if (value < 0 && value >= -4095) return static_cast<Errno>(-value);
  return value;
}

}  // namespace forksim

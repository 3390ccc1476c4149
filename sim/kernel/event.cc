#include "sim/kernel/event.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace forksim {
namespace {

constexpr std::pair<EventKind, std::string_view> kEventKindNames[] = {
    {EventKind::kSyscall, "syscall"}, {EventKind::kReturn, "return"},
    {EventKind::kBlocked, "blocked"}, {EventKind::kResumed, "resumed"},
    {EventKind::kCheck, "check"},     {EventKind::kStep, "step"},
    {EventKind::kUnwind, "unwind"},   {EventKind::kRead, "read"},
    {EventKind::kWrite, "write"},     {EventKind::kFault, "fault"},
    {EventKind::kSignal, "signal"},   {EventKind::kExit, "exit"},
    {EventKind::kReap, "reap"},       {EventKind::kNote, "note"},
};
static_assert(std::size(kEventKindNames) == kEventKindCount);

constexpr bool NamesInOrder() {
  for (int i = 0; i < kEventKindCount; ++i) {
    if (static_cast<int>(kEventKindNames[i].first) != i) return false;
  }
  return true;
}
static_assert(NamesInOrder(), "kEventKindNames follows EventKind's order");

}  // namespace

std::string_view EventKindName(EventKind kind) {
  return kEventKindNames[static_cast<int>(kind)].second;
}

std::string HexBytes(const std::vector<uint8_t>& bytes) {
  // A run of 16 or more equal bytes is written once, with its length: a
  // clone3 tail of 4032 zeros is "(4032 x 00)".
  constexpr size_t kLongRun = 16;
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    size_t run = 1;
    while (i + run < bytes.size() && bytes[i + run] == bytes[i]) ++run;
    if (!out.empty()) out += " ";
    if (run >= kLongRun) {
      absl::StrAppendFormat(&out, "(%d x %02x)", run, bytes[i]);
      i += run;
    } else {
      absl::StrAppendFormat(&out, "%02x", bytes[i]);
      ++i;
    }
  }
  return out;
}

}  // namespace forksim

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
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    absl::StrAppendFormat(&out, "%s%02x", i == 0 ? "" : " ", bytes[i]);
  }
  return out;
}

}  // namespace forksim

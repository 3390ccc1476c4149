#include "model/kernel/names.h"

#include "absl/strings/str_format.h"

namespace forksim {
namespace {

constexpr std::span<const NamedValue> kAllTables[] = {
    kCloneFlagNames,  kCloneOtherNames, kSignalNames,
    kWaitOptionNames, kWaitidTypeNames, kOpenFlagNames,
};

}  // namespace

std::string SignalName(int sig) {
  if (sig > 0 && sig < kSigrtmin)
    return std::string(kSignalNames[sig - 1].name);
  if (sig >= kSigrtmin && sig <= kNsig) {
    return absl::StrFormat("SIGRT_%d", sig - kSigrtmin);
  }
  return absl::StrFormat("%d", sig);
}

std::optional<int> SignalFromName(std::string_view name) {
  for (const NamedValue& s : kSignalNames) {
    if (s.name == name) return static_cast<int>(s.value);
  }
  return std::nullopt;
}

std::string FormatCloneFlags(uint64_t flags) {
  std::string out;
  uint64_t rest = flags & ~kCsignal;
  auto append = [&out](std::string_view text) {
    if (!out.empty()) out += "|";
    out += text;
  };
  for (const NamedValue& f : kCloneFlagNames) {
    if ((rest & f.value) == 0) continue;
    append(f.name);
    rest &= ~f.value;
  }
  if (const int sig = static_cast<int>(flags & kCsignal); sig != 0) {
    append(SignalName(sig));
  }
  if (rest != 0) append(absl::StrFormat("%#x", rest));
  return out.empty() ? "0" : out;
}

std::optional<uint64_t> ConstantFromName(std::string_view name) {
  for (std::span<const NamedValue> table : kAllTables) {
    for (const NamedValue& entry : table) {
      if (entry.name == name) return entry.value;
    }
  }
  return std::nullopt;
}

}  // namespace forksim

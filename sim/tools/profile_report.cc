#include "sim/tools/profile_report.h"

#include <string_view>

#include "absl/strings/str_format.h"
#include "sim/kernel/profile.h"

namespace forksim {
namespace {

// Each behaviour a profile names, as the table shows it.
struct Behaviour {
  std::string_view what;
  std::string (*value)(const KernelProfile&);
};

constexpr Behaviour kBehaviours[] = {
    {"C7a, the reserved read of *parent_tidptr (legacy entries)",
     [](const KernelProfile& p) -> std::string {
       return p.reserved_parent_tid_read ? "yes" : "no";
     }},
    {"the pidfd (S27)",
     [](const KernelProfile& p) -> std::string {
       return p.pidfd_creation == PidfdCreation::kInstallAtOnce
                  ? "installed at once; the unwind closes it"
                  : "reserved, written, installed at S39; the unwind gives "
                    "the number back";
     }},
    {"clone6, syscall 436",
     [](const KernelProfile& p) -> std::string {
       return p.has_clone6 ? "yes" : "no (ENOSYS)";
     }},
};

}  // namespace

std::string ProfilesTable() {
  std::string out = "| Profile | What it is |\n| --- | --- |\n";
  for (const KernelProfile& p : AllProfiles()) {
    absl::StrAppendFormat(&out, "| `%s` | %s |\n", p.name, p.description);
  }
  return out;
}

std::string BehavioursTable() {
  std::string out = "|";
  std::string rule = "| ---";
  for (const KernelProfile& p : AllProfiles()) {
    absl::StrAppendFormat(&out, " | %s", p.name);
    rule += " | ---";
  }
  out += " |\n" + rule + " |\n";
  for (const Behaviour& b : kBehaviours) {
    absl::StrAppendFormat(&out, "| %s", b.what);
    for (const KernelProfile& p : AllProfiles()) {
      absl::StrAppendFormat(&out, " | %s", b.value(p));
    }
    out += " |\n";
  }
  return out;
}

}  // namespace forksim

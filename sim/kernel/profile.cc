#include "sim/kernel/profile.h"

namespace forksim {
namespace {

constexpr std::string_view kScheduler =
    "parent runs on after fork; new tasks start in creation order when the "
    "caller blocks or on 'schedule'";

constexpr KernelProfile kProfiles[] = {
    {
        .name = "5.2-rc1",
        .description = "v5.2-rc1, the base of the clone6 RFC",
        .reserved_parent_tid_read = true,
        .pidfd_creation = PidfdCreation::kInstallAtOnce,
        .has_clone6 = false,
        .scheduler = kScheduler,
    },
    {
        .name = "5.2-rc1+clone6",
        .description = "v5.2-rc1 with the clone6 RFC (patches 1/2 and 2/2)",
        .reserved_parent_tid_read = true,
        .pidfd_creation = PidfdCreation::kInstallAtOnce,
        .has_clone6 = true,
        .scheduler = kScheduler,
    },
    {
        .name = "5.2",
        .description = "v5.2 release",
        .reserved_parent_tid_read = false,
        .pidfd_creation = PidfdCreation::kReserveThenInstall,
        .has_clone6 = false,
        .scheduler = kScheduler,
    },
};

}  // namespace

std::span<const KernelProfile> AllProfiles() { return kProfiles; }

std::optional<const KernelProfile*> ProfileFromName(std::string_view name) {
  for (const KernelProfile& profile : kProfiles) {
    if (profile.name == name) return &profile;
  }
  return std::nullopt;
}

}  // namespace forksim

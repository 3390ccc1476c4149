#include "sim/kernel/profile.h"

namespace forksim {
namespace {

constexpr std::string_view kScheduler =
    "parent runs on after fork; new tasks start in creation order when the "
    "caller blocks or on 'schedule'";

constexpr KernelProfile kProfiles[] = {
    {
        .name = "5.2-rc1",
        .description =
            "the kernel the clone6 RFC was written against: legacy "
            "CLONE_PIDFD reads a \"reserved\" int at parent_tidptr, and the "
            "pidfd is installed at once",
        .reserved_parent_tid_read = true,
        .pidfd_creation = PidfdCreation::kInstallAtOnce,
        .has_clone6 = false,
        .scheduler = kScheduler,
    },
    {
        .name = "5.2-rc1+clone6",
        .description = "the RFC applied: `clone6` is syscall 436 on every ABI "
                       "(docs/clone6-rfc.md)",
        .reserved_parent_tid_read = true,
        .pidfd_creation = PidfdCreation::kInstallAtOnce,
        .has_clone6 = true,
        .scheduler = kScheduler,
    },
    {
        .name = "5.2",
        .description =
            "the release: no reserved read; the pidfd is installed after the "
            "last failure point",
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

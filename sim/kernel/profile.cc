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
        .pidfd_parent_tid_check = PidfdParentTidCheck::kCopyProcess,
        .clone3 = Clone3Copy::kNone,
        .clone_args_size = 0,
        .clone3_set_tid = false,
        .clone3_into_cgroup = false,
        .clone3_stack_check = false,
        .access_ok_user_ptr_max = false,
        .clear_sighand = false,
        .time_namespaces = false,
        .legacy_flags_lower_32 = false,
        .pidfd_thread = false,
        .copy_thread_keeps_fsgs_bases = false,
        .cap_last_cap = 37,
        .sequence = CopyProcessSequence::k5_2,
        .entry_names = SyscallEntryNames::kPtregsStubs,
        .scheduler = kScheduler,
    },
    {
        .name = "5.2-rc1+clone6",
        .description = "the RFC applied: `clone6` is syscall 436 on every ABI "
                       "(docs/clone6-rfc.md)",
        .reserved_parent_tid_read = true,
        .pidfd_creation = PidfdCreation::kInstallAtOnce,
        .has_clone6 = true,
        .pidfd_parent_tid_check = PidfdParentTidCheck::kCopyProcess,
        .clone3 = Clone3Copy::kNone,
        .clone_args_size = 0,
        .clone3_set_tid = false,
        .clone3_into_cgroup = false,
        .clone3_stack_check = false,
        .access_ok_user_ptr_max = false,
        .clear_sighand = false,
        .time_namespaces = false,
        .legacy_flags_lower_32 = false,
        .pidfd_thread = false,
        .copy_thread_keeps_fsgs_bases = false,
        .cap_last_cap = 37,
        .sequence = CopyProcessSequence::k5_2,
        .entry_names = SyscallEntryNames::kPtregsStubs,
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
        .pidfd_parent_tid_check = PidfdParentTidCheck::kCopyProcess,
        .clone3 = Clone3Copy::kNone,
        .clone_args_size = 0,
        .clone3_set_tid = false,
        .clone3_into_cgroup = false,
        .clone3_stack_check = false,
        .access_ok_user_ptr_max = false,
        .clear_sighand = false,
        .time_namespaces = false,
        .legacy_flags_lower_32 = false,
        .pidfd_thread = false,
        .copy_thread_keeps_fsgs_bases = false,
        .cap_last_cap = 37,
        .sequence = CopyProcessSequence::k5_2,
        .entry_names = SyscallEntryNames::kPtregsStubs,
        .scheduler = kScheduler,
    },
    {
        .name = "5.3",
        .description =
            "clone3 as first merged: a 64-byte struct clone_args, the bytes "
            "past it read one by one, no stack check; legacy clone refuses "
            "PIDFD|PARENT_SETTID in its entry",
        .reserved_parent_tid_read = false,
        .pidfd_creation = PidfdCreation::kReserveThenInstall,
        .has_clone6 = false,
        .pidfd_parent_tid_check = PidfdParentTidCheck::kLegacyEntries,
        .clone3 = Clone3Copy::kTailByteByByte,
        .clone_args_size = 64,
        .clone3_set_tid = false,
        .clone3_into_cgroup = false,
        .clone3_stack_check = false,
        .access_ok_user_ptr_max = false,
        .clear_sighand = false,
        .time_namespaces = false,
        .legacy_flags_lower_32 = false,
        .pidfd_thread = false,
        .copy_thread_keeps_fsgs_bases = false,
        .cap_last_cap = 37,
        .sequence = CopyProcessSequence::k5_2,
        .entry_names = SyscallEntryNames::kPtregsStubs,
        .scheduler = kScheduler,
    },
    {
        .name = "6.12",
        .description =
            "the modern kernel: kernel_clone(), an 88-byte clone_args "
            "(set_tid, cgroup), CLEAR_SIGHAND, NEWTIME, INTO_CGROUP, "
            "PIDFD|THREAD, and copy_process() in its own order",
        .reserved_parent_tid_read = false,
        .pidfd_creation = PidfdCreation::kReserveThenInstall,
        .has_clone6 = false,
        .pidfd_parent_tid_check = PidfdParentTidCheck::kSameAddress,
        .clone3 = Clone3Copy::kCopyStructFromUser,
        .clone_args_size = 88,
        .clone3_set_tid = true,
        .clone3_into_cgroup = true,
        .clone3_stack_check = true,
        .access_ok_user_ptr_max = true,
        .clear_sighand = true,
        .time_namespaces = true,
        .legacy_flags_lower_32 = true,
        .pidfd_thread = true,
        .copy_thread_keeps_fsgs_bases = true,
        .cap_last_cap = 40,
        .sequence = CopyProcessSequence::k6_12,
        .entry_names = SyscallEntryNames::kPtRegs,
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

std::string_view SyscallEntryName(const KernelProfile& profile,
                                  const SyscallSignature& sig) {
  return profile.entry_names == SyscallEntryNames::kPtRegs ? sig.entry_6_12
                                                           : sig.entry;
}

}  // namespace forksim

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

std::string YesNo(bool yes) { return yes ? "yes" : "no"; }

constexpr Behaviour kBehaviours[] = {
    {"C7a, the reserved read of *parent_tidptr (legacy entries)",
     [](const KernelProfile& p) { return YesNo(p.reserved_parent_tid_read); }},
    {"the pidfd (S27)",
     [](const KernelProfile& p) -> std::string {
       if (p.pidfd_creation == PidfdCreation::kInstallAtOnce) {
         return "installed at once; the unwind closes it";
       }
       return p.sequence == CopyProcessSequence::k6_12
                  ? "reserved by __pidfd_prepare(), written, installed after "
                    "the tasklist lock"
                  : "reserved, written, installed at S39; the unwind gives "
                    "the number back";
     }},
    {"CLONE_PIDFD with CLONE_PARENT_SETTID",
     [](const KernelProfile& p) -> std::string {
       switch (p.pidfd_parent_tid_check) {
         case PidfdParentTidCheck::kCopyProcess:
           return "EINVAL at C7 (legacy entries)";
         case PidfdParentTidCheck::kLegacyEntries:
           return "EINVAL in legacy clone's entry (L1); clone3 writes the "
                  "pidfd, then the pid, even at one address";
         case PidfdParentTidCheck::kSameAddress:
           return "EINVAL when both point at one place (K1): always for "
                  "legacy clone";
       }
       return "";
     }},
    {"CLONE_PIDFD with CLONE_THREAD",
     [](const KernelProfile& p) -> std::string {
       return p.pidfd_thread ? "a thread's pidfd (PIDFD_THREAD)"
                             : "EINVAL at C7";
     }},
    {"clone6, syscall 436",
     [](const KernelProfile& p) -> std::string {
       return p.has_clone6 ? "yes" : "no (ENOSYS)";
     }},
    {"clone3, syscall 435",
     [](const KernelProfile& p) -> std::string {
       switch (p.clone3) {
         case Clone3Copy::kNone:
           return "no (ENOSYS)";
         case Clone3Copy::kTailByteByByte:
           return absl::StrFormat(
               "struct clone_args of %d bytes; a longer one's tail read byte "
               "by byte",
               p.clone_args_size);
         case Clone3Copy::kCopyStructFromUser:
           return absl::StrFormat(
               "struct clone_args of %d bytes through copy_struct_from_user()",
               p.clone_args_size);
       }
       return "";
     }},
    {"clone3's stack and stack_size",
     [](const KernelProfile& p) -> std::string {
       if (p.clone3 == Clone3Copy::kNone) return "-";
       return p.clone3_stack_check
                  ? "both or neither, inside user space; stack += stack_size"
                  : "stack is the new sp as given; stack_size unused";
     }},
    {"clone3's set_tid, CLONE_INTO_CGROUP",
     [](const KernelProfile& p) {
       return YesNo(p.clone3_set_tid && p.clone3_into_cgroup);
     }},
    {"CLONE_CLEAR_SIGHAND, CLONE_NEWTIME (clone3)",
     [](const KernelProfile& p) {
       return YesNo(p.clear_sighand && p.time_namespaces);
     }},
    {"legacy clone's flags above bit 31",
     [](const KernelProfile& p) -> std::string {
       return p.legacy_flags_lower_32 ? "cut off: lower_32_bits()"
                                      : "reach copy_process(), never tested";
     }},
    {"copy_process()'s order",
     [](const KernelProfile& p) -> std::string {
       return p.sequence == CopyProcessSequence::k6_12
                  ? "6.12's: copy_creds() before RLIMIT_NPROC, fd_install() "
                    "after the links"
                  : "5.2's";
     }},
    {"syscall entry names",
     [](const KernelProfile& p) -> std::string {
       return p.entry_names == SyscallEntryNames::kPtRegs
                  ? "`__x64_sys_clone`, `__ia32_compat_sys_ia32_clone`"
                  : "`__x64_sys_clone/ptregs`, `__ia32_compat_sys_x86_clone`";
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

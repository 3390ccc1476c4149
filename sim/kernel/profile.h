// -----------------------------------------------------------------------------
// File: sim/kernel/profile.h
// -----------------------------------------------------------------------------
//
// Kernel profiles: which kernel forksim behaves as. A profile is data plus the
// few places where behaviour differs; each such place in the code tests a
// field here and names the profile that needs it.
//
//   5.2-rc1         the kernel the clone6 RFC was written against: legacy
//                   CLONE_PIDFD reads *parent_tidptr as a "reserved" int
//                   (EFAULT, or EINVAL if nonzero), and the pidfd is installed
//                   at once and closed on a later failure (kernel-facts §3.4)
//   5.2-rc1+clone6  the seed applied: clone6 is syscall 436 on every ABI, and
//                   legacy entries fill a clone6_args for the common path
//   5.2             the release: no reserved read; the pidfd number is
//                   reserved, written, and installed only after the last
//                   failure point (kernel-facts §0.1-0.2)

#ifndef FORKSIM_SIM_KERNEL_PROFILE_H_
#define FORKSIM_SIM_KERNEL_PROFILE_H_

#include <optional>
#include <span>
#include <string_view>

namespace forksim {

// How copy_process() creates the pidfd.
enum class PidfdCreation : uint8_t {
  // pidfd_create() -> anon_inode_getfd(): installed at once; unwind closes
  // it with ksys_close() [5.2-rc1].
  kInstallAtOnce,
  // get_unused_fd_flags() + anon_inode_getfile(); fd_install() after the
  // last failure point; unwind put_unused_fd()s the number [5.2].
  kReserveThenInstall,
};

struct KernelProfile {
  std::string_view name;
  std::string_view description;
  // C7a: the rc1 read of *parent_tidptr with CLONE_PIDFD (legacy entries).
  bool reserved_parent_tid_read;
  PidfdCreation pidfd_creation;
  // The clone6 RFC: syscall 436, and copy_process()'s is_clone6 split.
  bool has_clone6;
  // The deterministic scheduler's policy (docs/lifecycle.md): after a fork
  // the parent keeps running (sysctl_sched_child_runs_first = 0); new tasks
  // run their first slice in creation order when the caller blocks or when a
  // scenario asks for `schedule`.
  std::string_view scheduler;
};

std::span<const KernelProfile> AllProfiles();
std::optional<const KernelProfile*> ProfileFromName(std::string_view name);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_PROFILE_H_

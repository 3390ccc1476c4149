// -----------------------------------------------------------------------------
// File: sim/kernel/profile.h
// -----------------------------------------------------------------------------
//
// Kernel profiles: which kernel forksim behaves as. A profile is a set of
// named behaviours, one per kernel change; the code tests a behaviour, never
// a version or a profile name.
//
//   5.2-rc1         the kernel the clone6 RFC was written against: legacy
//                   CLONE_PIDFD reads *parent_tidptr as a "reserved" int
//                   (EFAULT, or EINVAL if nonzero), and the pidfd is installed
//                   at once and closed on a later failure (b3e583825266
//                   "clone: add CLONE_PIDFD", in v5.2-rc1)
//   5.2-rc1+clone6  the RFC applied ("[PATCH 1/2] fork: add clone6",
//                   Christian Brauner and Jann Horn, 2019-05-26): clone6 is
//                   syscall 436 on every ABI
//   5.2             the release: no reserved read (9014143bab2f "fork: don't
//                   check parent_tidptr with CLONE_PIDFD", 5.2-rc7); the
//                   pidfd number is reserved, written, and installed only
//                   after the last failure point (6fd2fe494b17
//                   "copy_process(): don't use ksys_close() on cleanups")

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

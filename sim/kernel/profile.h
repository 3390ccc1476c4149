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
//   5.3             clone3 as first merged: struct clone_args of 64 bytes,
//                   the bytes past it read one by one; kernel_clone_args;
//                   legacy clone refuses PIDFD|PARENT_SETTID in its entry
//   6.12            the modern kernel: kernel_clone(), copy_struct_from_user
//                   (88 bytes: set_tid, cgroup), clone3's stack check,
//                   CLONE_CLEAR_SIGHAND, CLONE_NEWTIME, CLONE_INTO_CGROUP,
//                   PIDFD|THREAD, legacy flags cut to 32 bits, and
//                   copy_process() in its own order with its own labels
//
// Each field names the behaviour and the change that brought it; the code
// tests fields, never names. `./forksim profiles --behaviours` prints the
// matrix.

#ifndef FORKSIM_SIM_KERNEL_PROFILE_H_
#define FORKSIM_SIM_KERNEL_PROFILE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "model/abi/abi.h"

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

// Where CLONE_PIDFD with CLONE_PARENT_SETTID is refused (both would use
// parent_tidptr on legacy clone).
enum class PidfdParentTidCheck : uint8_t {
  // copy_process()'s C7, for every entry whose pidfd goes to parent_tidptr
  // [5.2] (the RFC's clone6 is exempt: is_clone6).
  kCopyProcess,
  // legacy_clone_args_valid() in the legacy entries, before _do_fork() [5.3]
  // (clone3 has no check at all until 5.9).
  kLegacyEntries,
  // kernel_clone(), first thing, only when args->pidfd == args->parent_tid:
  // always for legacy clone, for clone3 when both point at one place
  // [5.9] ("fork: fold legacy_clone_args_valid() into _do_fork()").
  kSameAddress,
};

// How clone3 reads struct clone_args (kernel/fork.c:
// copy_clone_args_from_user()).
enum class Clone3Copy : uint8_t {
  kNone,  // no clone3: 435 is past the syscall table (ENOSYS)
  // [5.3]: access_ok() of the whole size, the bytes past sizeof(struct
  // clone_args) read one by one (EFAULT, or E2BIG for a nonzero one), then
  // copy_from_user() of the struct.
  kTailByteByByte,
  // [5.4]+: copy_struct_from_user(): a shorter struct is zero-filled, a
  // longer one needs a zero tail (check_zeroed_user(), word by word).
  kCopyStructFromUser,
};

// copy_process()'s order and unwind labels. The kernel reordered the
// function over the years; each era is its own sequence of the same steps
// (docs/copy-process.md).
enum class CopyProcessSequence : uint8_t {
  k5_2,   // [5.2], [5.2-rc1], [5.3]: lines 1742-2285 of 5.2
  k6_12,  // [6.12]: copy_creds before the NPROC check (on ucounts, 5.14),
          // copy_seccomp and fd_install after the last failure, new labels
};

// The names of the syscall table's entry points.
enum class SyscallEntryNames : uint8_t {
  kPtregsStubs,  // [5.2], [5.3]: __x64_sys_clone/ptregs, sys_clone on i386
  kPtRegs,       // [6.12]: __x64_sys_clone; __ia32_sys_* on i386 too
};

struct KernelProfile {
  std::string_view name;
  std::string_view description;
  // C7a: the rc1 read of *parent_tidptr with CLONE_PIDFD (legacy entries).
  bool reserved_parent_tid_read;
  PidfdCreation pidfd_creation;
  // The clone6 RFC: syscall 436, and copy_process()'s is_clone6 split.
  bool has_clone6;
  PidfdParentTidCheck pidfd_parent_tid_check;
  Clone3Copy clone3;
  // sizeof(struct clone_args), the kernel's own: 64 [5.3], 80 with set_tid
  // [5.5], 88 with cgroup [5.7].
  uint32_t clone_args_size;
  // clone3's set_tid array, checked in alloc_pid() [5.5] (fef0d8e4c7a1).
  bool clone3_set_tid;
  // CLONE_INTO_CGROUP and clone_args.cgroup [5.7] (ef2c41cf38a7).
  bool clone3_into_cgroup;
  // clone3_stack_valid(): stack and stack_size together, access_ok(), and
  // stack += stack_size [5.4] (fa729c4df558; 5.3.11 as a stable backport).
  bool clone3_stack_check;
  // x86-64's access_ok() of a size not known at compile time wants
  // ptr + size <= USER_PTR_MAX = TASK_SIZE_MAX - 1 in v6.12.0
  // (arch/x86/include/asm/uaccess_64.h:98-107, cpu/common.c:2395; from
  // 86e6b1547b3d in 6.12-rc5, until 573f45a9f9a4 "x86: fix off-by-one in
  // access_ok()" in 6.13 and 6.12.2); [5.2] and later kernels allow
  // ptr + size == TASK_SIZE_MAX. The model applies it where clone3 calls
  // access_ok() itself: clone3_stack_valid().
  bool access_ok_user_ptr_max;
  // CLONE_CLEAR_SIGHAND: the child's handlers back to SIG_DFL [5.5]
  // (b612e5df4587).
  bool clear_sighand;
  // Time namespaces [5.6] (769071ac9f20), and CLONE_NEWTIME allowed in
  // clone3's flags [6.3] ("fork: allow CLONE_NEWTIME in clone3 flags").
  bool time_namespaces;
  // Legacy clone and kernel_thread keep lower_32_bits() of the flags [5.7]
  // ("fork: prevent accidental access to clone3 features", Cc stable 5.3+;
  // 5.3.0 does not have it).
  bool legacy_flags_lower_32;
  // CLONE_PIDFD with CLONE_THREAD: a PIDFD_THREAD pidfd [6.9] (64bef697d33b);
  // before, C7 refuses it.
  bool pidfd_thread;
  // copy_thread() on x86-64 copies the caller's saved fs/gs selectors and
  // bases as they are, after current_save_fsgs() [6.12]
  // (arch/x86/kernel/process.c:159-261); [5.2]'s copy_thread_tls() zeroes a
  // base whose selector is nonzero (process_64.c:402-408).
  bool copy_thread_keeps_fsgs_bases;
  // CAP_LAST_CAP: 37 [5.2] (CAP_AUDIT_READ), 40 [6.12]
  // (CAP_CHECKPOINT_RESTORE, 5.9, which set_tid accepts).
  int cap_last_cap;
  CopyProcessSequence sequence;
  SyscallEntryNames entry_names;
  // The deterministic scheduler's policy (docs/lifecycle.md): after a fork
  // the parent keeps running (sysctl_sched_child_runs_first = 0); new tasks
  // run their first slice in creation order when the caller blocks or when a
  // scenario asks for `schedule`.
  std::string_view scheduler;
};

std::span<const KernelProfile> AllProfiles();

// The entry point the profile's syscall table names for `sig`:
// "__x64_sys_clone/ptregs" [5.2], "__x64_sys_clone" [6.12].
std::string_view SyscallEntryName(const KernelProfile& profile,
                                  const SyscallSignature& sig);
std::optional<const KernelProfile*> ProfileFromName(std::string_view name);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_PROFILE_H_

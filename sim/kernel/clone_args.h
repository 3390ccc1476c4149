// -----------------------------------------------------------------------------
// File: sim/kernel/clone_args.h
// -----------------------------------------------------------------------------
//
// KernelCloneArgs: what every process-creating entry hands to the common
// path, shaped like the kernel's struct kernel_clone_args
// (include/linux/sched/task.h:20-29 [5.3]). fork, vfork, legacy clone on
// each ABI, the RFC's clone6 and kernel_thread each fill one and call
// KernelClone() (kernel/fork.c:_do_fork() [5.2]), and so does clone3.
//
// [5.2] passed the same values to _do_fork() as separate arguments, with the
// exit signal inside the flags, and the RFC passed a struct clone6_args; the
// split of flags and exit_signal here is the same information (5.2 reads the
// signal as flags & CSIGNAL, 5.3 as args->exit_signal).

#ifndef FORKSIM_SIM_KERNEL_CLONE_ARGS_H_
#define FORKSIM_SIM_KERNEL_CLONE_ARGS_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace forksim {

struct KernelCloneArgs {
  uint64_t flags = 0;  // the CLONE_* flags, without the exit signal's bits
  // int __user *: where copy_process() puts the pidfd number with
  // CLONE_PIDFD. Legacy clone points it at parent_tid, as 5.3 does.
  uint64_t pidfd = 0;
  uint64_t child_tid = 0;   // int __user *: CHILD_SETTID, CHILD_CLEARTID
  uint64_t parent_tid = 0;  // int __user *: PARENT_SETTID
  int exit_signal = 0;
  uint64_t stack = 0;       // the new sp (kernel_thread: the function)
  uint64_t stack_size = 0;  // unused on x86 (kernel_thread: its argument)
  uint64_t tls = 0;
  // [5.5] clone3's set_tid array, copied in by the entry: set_tid[0] is
  // the pid wanted in the innermost pid namespace, set_tid[1] in its
  // parent, and so on (kernel/pid.c:alloc_pid() [6.12]).
  std::array<int32_t, 32> set_tid{};  // MAX_PID_NS_LEVEL
  size_t set_tid_size = 0;
  int32_t cgroup = 0;  // [5.7] CLONE_INTO_CGROUP: a cgroup directory's fd

  // Entry facts that copy_process() of [5.2] and the RFC still tests:
  //
  // The pidfd goes where parent_tid points (legacy clone of [5.2] and
  // [5.2-rc1]), so copy_process() refuses CLONE_PARENT_SETTID with
  // CLONE_PIDFD (C7) and, on [5.2-rc1], reads the "reserved" int there (C7a).
  bool pidfd_at_parent_tid = false;
  // The RFC's clone6: copy_process() leaves the pidfd number in `pidfd_nr`
  // instead of writing it; the clone6 entry writes it to its struct
  // clone6_args at `clone6_uargs` after _do_clone_common() returns.
  bool pidfd_in_args = false;
  int32_t pidfd_nr = 0;
  uint64_t clone6_uargs = 0;
  // kernel_thread() [6.12] .kthread = 1: copy_process() gives it a struct
  // kthread (S10a).
  bool kthread = false;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_CLONE_ARGS_H_

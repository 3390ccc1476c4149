// -----------------------------------------------------------------------------
// File: sim/kernel/fork.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// Process creation, kernel/fork.c from [5.2-rc1] and the clone6 RFC to
// [6.12]: copy_process() with its ladder, steps and unwind (the ids are
// defined in docs/copy-process.md; the sequences are in copy_process.h),
// _do_fork() / kernel_clone(), and the entries that fill a KernelCloneArgs
// for it: fork, vfork, legacy clone in each ABI's argument order, the RFC's
// clone6, clone3 (clone3.cc) and kernel_thread.

#ifndef FORKSIM_SIM_KERNEL_FORK_H_
#define FORKSIM_SIM_KERNEL_FORK_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "model/errno.h"
#include "model/kernel/task.h"
#include "sim/kernel/clone_args.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/profile.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

class KernelCore;

// A rung of a check ladder: a test that returns at once, with nothing to
// undo. Entries and copy_process() check in the kernel's order; the first
// rung that fails decides the errno.
struct LadderRung {
  std::string_view id;      // "C3", "A2" (docs/copy-process.md)
  std::string_view reason;  // why the kernel refuses, in one sentence
  Errno error;
};

// CheckRung()
//
// Records the rung as a check of `function` when tracing; its errno if it
// `fails`.
SysStatus CheckRung(KernelCore& k, Task* current, std::string_view function,
                    const LadderRung& rung, bool fails);

// CopyProcess()
//
// kernel/fork.c:copy_process(): the pre-check ladder, the resource steps
// and, on failure, the unwind labels in fall-through order, in the order
// of the profile's era ([5.2] lines 1742-2285, [6.12] lines 2118-2676).
// Returns the new task, linked and runnable but not yet started. `trace`
// is the ptrace event _do_fork() chose (0 for none).
SysResult<Task*> CopyProcess(KernelCore& k, Task* current,
                             KernelCloneArgs& args, int trace);

// KernelClone()
//
// kernel/fork.c:_do_fork() [5.2] (lines 2321-2390; the RFC's
// _do_clone_common(), [6.12]'s kernel_clone(), lines 2745-2830): [6.12]
// first refuses CLONE_PIDFD with CLONE_PARENT_SETTID at one address; then
// the ptrace event, copy_process(), pid_vnr(), CLONE_PARENT_SETTID (its
// fault ignored), wake_up_new_task(). Returns the child's pid as the caller
// sees it; with CLONE_VFORK the caller is blocked in wait_for_vfork_done()
// instead.
SyscallOutcome KernelClone(KernelCore& k, Task* current, KernelCloneArgs& args);

// EntryEpilogue()
//
// What an entry does once _do_fork() has returned `result`: nothing, except
// for the RFC's clone6, which writes its pidfd back into the caller's
// struct clone6_args whatever the result, and turns a fault there into
// EFAULT. Runs when the call returns, or when a vfork wait is over.
SyscallOutcome EntryEpilogue(KernelCore& k, Task* current,
                             const KernelCloneArgs& args,
                             const SyscallOutcome& result);

// The arguments each entry passes to the common path.

// kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2] (lines 2435-2461) and
// arch/x86/ia32/sys_ia32.c:COMPAT_SYSCALL_DEFINE5(x86_clone) [5.2], in the
// ABI's argument order. On x86-64 the flags are the whole unsigned long:
// bits 32-63 reach copy_process() (where 5.2 never tests them) unless the
// profile keeps lower_32_bits() of them [6.12].
KernelCloneArgs LegacyCloneArgs(const KernelProfile& profile, Abi abi,
                                const DecodedSyscall& d);

// The RFC's SYSCALL_DEFINE6(clone6) up to _do_clone_common(): flags2..flags5
// and CLONE_DETACHED (EINVAL), then the reads of struct clone6_args that the
// flags ask for, in order, stopping at the first fault (EFAULT). The stack
// is always read.
SysResult<KernelCloneArgs> Clone6Args(KernelCore& k, Task* current,
                                      const DecodedSyscall& d);

// kernel/fork.c:SYSCALL_DEFINE2(clone3) up to _do_fork() / kernel_clone()
// (clone3.cc): copy_clone_args_from_user() and clone3_args_valid() in the
// profile's version, each rung recorded.
SysResult<KernelCloneArgs> Clone3Args(KernelCore& k, Task* current,
                                      const DecodedSyscall& d);

// KernelThread()
//
// kernel/fork.c:kernel_thread() [5.2] (lines 2409-2413): flags | CLONE_VM |
// CLONE_UNTRACED, the function as the stack and its argument as stack_size.
// `current` must be a kernel thread (kthreadd) for the child to have no mm.
SyscallOutcome KernelThread(KernelCore& k, Task* current, uint64_t fn,
                            uint64_t arg, uint64_t flags);

// The step ids copy_process() records, with the kernel function each cites,
// for the test that holds docs/copy-process.md to them.
struct StepCitation {
  std::string_view id;        // "C1", "S17", "U4"
  std::string_view function;  // "kernel/fork.c:copy_files()"
  std::string_view label;     // "signal_pending", "bad_fork_free", or ""
};
std::span<const StepCitation> CopyProcessCitations();
// The clone3 entry's rungs (clone3.cc), part of CopyProcessCitations().
std::span<const StepCitation> Clone3Citations();

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_FORK_H_

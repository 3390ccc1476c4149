// -----------------------------------------------------------------------------
// File: sim/kernel/fork.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// Process creation, kernel/fork.c [5.2], [5.2-rc1] and the clone6 RFC:
// copy_process() with its ladder, steps and unwind (the ids C1-C7a, S1-S42
// and U1-U21 are defined in docs/copy-process.md), _do_fork(), and the
// entries that fill a KernelCloneArgs for it: fork, vfork, legacy clone in
// each ABI's argument order, the RFC's clone6 and kernel_thread.

#ifndef FORKSIM_SIM_KERNEL_FORK_H_
#define FORKSIM_SIM_KERNEL_FORK_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "model/errno.h"
#include "model/kernel/task.h"
#include "sim/kernel/clone_args.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

class KernelCore;

// CopyProcess()
//
// kernel/fork.c:copy_process() [5.2] (lines 1742-2285): the pre-check
// ladder, the resource steps and, on failure, the unwind labels in
// fall-through order. Returns the new task, linked and runnable but not yet
// started. `trace` is the ptrace event _do_fork() chose (0 for none).
SysResult<Task*> CopyProcess(KernelCore& k, Task* current,
                             KernelCloneArgs& args, int trace);

// KernelClone()
//
// kernel/fork.c:_do_fork() [5.2] (lines 2321-2390; the RFC's
// _do_clone_common(), 5.10's kernel_clone()): the ptrace event,
// copy_process(), pid_vnr(), CLONE_PARENT_SETTID (its fault ignored),
// wake_up_new_task(). Returns the child's pid as the caller sees it; with
// CLONE_VFORK the caller is blocked in wait_for_vfork_done() instead.
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
// bits 32-63 reach copy_process() and are never tested.
KernelCloneArgs LegacyCloneArgs(Abi abi, const DecodedSyscall& d);

// The RFC's SYSCALL_DEFINE6(clone6) up to _do_clone_common(): flags2..flags5
// and CLONE_DETACHED (EINVAL), then the reads of struct clone6_args that the
// flags ask for, in order, stopping at the first fault (EFAULT). The stack
// is always read.
SysResult<KernelCloneArgs> Clone6Args(KernelCore& k, Task* current,
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

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_FORK_H_

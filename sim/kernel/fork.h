// -----------------------------------------------------------------------------
// File: sim/kernel/fork.h
// -----------------------------------------------------------------------------
//
// Process creation: copy_process() and _do_fork() as [5.2-rc1], the clone6
// RFC and [5.2] have them (kernel-facts.md §2-§4, §8, §10), with the x86
// copy_thread_tls() for both ABIs.
//
// Every entry (fork, vfork, legacy clone, clone6, kernel_thread) fills one
// CloneArgs and calls DoFork(). That is the RFC's own design: its clone6_args
// is the common argument block of every entry; the 5.2 release passed the same
// values as separate arguments, which is the same thing to the model.

#ifndef FORKSIM_SIM_KERNEL_FORK_H_
#define FORKSIM_SIM_KERNEL_FORK_H_

#include <cstdint>

#include "model/errno.h"
#include "model/kernel/kernel.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

class Kernel;

// The arguments of the common path: struct clone6_args plus the flags.
struct CloneArgs {
  uint64_t flags = 0;  // the full unsigned long (or u64) the entry passed
  uint64_t parent_tidptr = 0;
  uint64_t child_tidptr = 0;
  uint64_t stack = 0;       // the new sp (for kernel_thread: the function)
  uint64_t stack_size = 0;  // unused on x86 (for kernel_thread: the argument)
  uint64_t tls = 0;
  int32_t pidfd = 0;       // clone6: where copy_process() leaves the pidfd
  bool is_clone6 = false;  // the RFC's is_clone6 argument
};

// CopyProcess()
//
// kernel/fork.c:copy_process() [5.2] / [5.2-rc1] / RFC: the pre-check ladder
// C1-C7 (+C7a), the resource steps S1-S42 and, on failure, the unwind labels
// U1-U21 in fall-through order. Returns the new task, linked and runnable but
// not yet started.
SysResult<Task*> CopyProcess(Kernel& k, Task* current, CloneArgs& args,
                             int trace);

// CopyThreadTls()
//
// The x86 copy_thread_tls() [5.2] (kernel-facts.md §4): the child's registers
// are the parent's with ax = 0 and sp = `sp` when nonzero; a kernel thread
// gets its function and argument instead. CLONE_SETTLS sets the FS base on
// x86-64 (EPERM at or above TASK_SIZE_MAX), or installs a struct user_desc
// read from the caller's memory for ia32 and i386 (EFAULT, EINVAL).
SysStatus CopyThreadTls(Kernel& k, Task* current, Task* p, uint64_t flags,
                        uint64_t sp, uint64_t arg, uint64_t tls);

// DoFork()
//
// kernel/fork.c:_do_fork() [5.2] (the RFC's _do_clone_common()): the ptrace
// event, copy_process(), pid_vnr(), CLONE_PARENT_SETTID (its fault ignored),
// the vfork completion, wake_up_new_task(). With CLONE_VFORK the caller
// blocks until the child execs or exits; the result is then delivered by the
// kernel's resume path.
int64_t DoFork(Kernel& k, Task* current, CloneArgs& args);

// Clone6ReadArgs()
//
// The RFC's clone6 entry up to _do_clone_common() (kernel-facts.md §10 steps
// 1-9): flags2..flags5 and CLONE_DETACHED (EINVAL), then the reads of struct
// clone6_args that the flags ask for, in order, stopping at the first fault
// (EFAULT). `backwards3` adds the stack_size read that only
// CONFIG_CLONE_BACKWARDS3 kernels do (never on x86; for benchmarks of that
// shape). Returns 0 or -errno.
int64_t Clone6ReadArgs(Kernel& k, Task* current, const DecodedSyscall& d,
                       CloneArgs* args, bool backwards3);

// KernelThread()
//
// kernel/fork.c:kernel_thread() [5.2]: flags | CLONE_VM | CLONE_UNTRACED, the
// function as stack and its argument as stack_size. An internal entry, for
// scenarios that want a kernel thread; `current` must be a kernel thread
// (kthreadd) for the child to have no mm.
int64_t KernelThread(Kernel& k, Task* current, uint64_t fn, uint64_t arg,
                     uint64_t flags);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_FORK_H_

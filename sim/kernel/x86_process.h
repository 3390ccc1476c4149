// -----------------------------------------------------------------------------
// File: sim/kernel/x86_process.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// arch/x86/kernel/process_64.c and process_32.c [5.2]: the child's
// registers and TLS at fork.

#ifndef FORKSIM_SIM_KERNEL_X86_PROCESS_H_
#define FORKSIM_SIM_KERNEL_X86_PROCESS_H_

#include <cstdint>

#include "model/errno.h"
#include "model/kernel/task.h"

namespace forksim {

class KernelCore;

// CopyThreadTls()
//
// arch/x86/kernel/process_64.c:copy_thread_tls() [5.2] (lines 384-457) and
// process_32.c:copy_thread_tls() [5.2] (lines 121-187): the child's
// registers are the parent's with ax = 0 and sp = `sp` when nonzero; a
// kernel thread gets its function and argument instead. CLONE_SETTLS sets
// the FS base on x86-64 (EPERM at or above TASK_SIZE_MAX), or installs a
// struct user_desc read from the caller's memory for ia32 and i386 (EFAULT,
// EINVAL).
SysStatus CopyThreadTls(KernelCore& k, Task* current, Task* p, uint64_t flags,
                        uint64_t sp, uint64_t arg, uint64_t tls);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_X86_PROCESS_H_

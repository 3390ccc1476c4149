// -----------------------------------------------------------------------------
// File: sim/kernel/x86_tls.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// arch/x86/kernel/tls.c [5.2]: the TLS descriptors of struct user_desc, as
// copy_thread_tls() installs them for CLONE_SETTLS on ia32 and i386.

#ifndef FORKSIM_SIM_KERNEL_X86_TLS_H_
#define FORKSIM_SIM_KERNEL_X86_TLS_H_

#include <cstdint>

#include "model/errno.h"
#include "model/kernel/task.h"

namespace forksim {

class KernelCore;

// DoSetThreadArea()
//
// arch/x86/kernel/tls.c:do_set_thread_area(p, -1, u_info, can_allocate = 0)
// [5.2] (lines 114-189): reads a struct user_desc from `current`'s memory
// (EFAULT), checks it with tls_desc_okay() (EINVAL), checks that its
// entry_number is one of the ABI's GDT TLS slots (EINVAL: clone cannot ask
// for a free slot with -1), and installs it in `p`.
SysStatus DoSetThreadArea(KernelCore& k, Task* current, Task* p,
                          uint64_t u_info);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_X86_TLS_H_

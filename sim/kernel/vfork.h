// -----------------------------------------------------------------------------
// File: sim/kernel/vfork.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The release of an mm, kernel/fork.c [5.2]: CLONE_CHILD_CLEARTID's write
// and futex wake, and the completion a vfork parent waits for. The wait
// itself is VforkWait (waits.h).

#ifndef FORKSIM_SIM_KERNEL_VFORK_H_
#define FORKSIM_SIM_KERNEL_VFORK_H_

#include "model/kernel/task.h"

namespace forksim {

class KernelCore;

// MmRelease()
//
// kernel/fork.c:mm_release() [5.2] (lines 1280-1318), when `task` exits or
// execs: with clear_child_tid set and the mm still used by another task
// (mm_users > 1), writes 0 there (errors ignored) and wakes a futex; then
// completes a pending vfork, so that the parent's vfork() can return.
// Robust futexes and the pi state list are not modelled.
void MmRelease(KernelCore& k, Task* task, Mm* mm);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_VFORK_H_

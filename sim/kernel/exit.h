// -----------------------------------------------------------------------------
// File: sim/kernel/exit.h
// -----------------------------------------------------------------------------
//
// The end of a task's life: do_exit(), exit_notify(), release_task(), the
// reparenting of children, mm_release() (CLONE_CHILD_CLEARTID and the vfork
// completion), wait4()/waitid() and an execve() modelled as the event that
// releases the mm: kernel/exit.c, kernel/fork.c:mm_release(), fs/exec.c
// [5.2].

#ifndef FORKSIM_SIM_KERNEL_EXIT_H_
#define FORKSIM_SIM_KERNEL_EXIT_H_

#include <cstdint>

#include "model/kernel/kernel.h"

namespace forksim {

class Kernel;

// mm_release(): with clear_child_tid set and the mm shared (mm_users > 1),
// writes 0 there (errors ignored) and records a FUTEX_WAKE; then completes a
// pending vfork (the parent's vfork() can return).
void MmRelease(Kernel& k, Task* task, Mm* mm);

// do_exit(code) for one task (code is already shifted: (status & 0xff) << 8).
void DoExit(Kernel& k, Task* task, int code);

// do_group_exit(): every thread of the group exits with `code`.
void DoGroupExit(Kernel& k, Task* task, int code);

// release_task(): unhash, drop every reference, destroy the task.
void ReleaseTask(Kernel& k, Task* task);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_EXIT_H_

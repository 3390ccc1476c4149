// -----------------------------------------------------------------------------
// File: model/kernel/shared.h
// -----------------------------------------------------------------------------
//
// Share-or-copy for the structures a child gets from its parent, as
// kernel/fork.c:copy_process() S16-S23 [5.2] does it with its copy_* helpers,
// and the matching releases used by exit and by copy_process()'s unwind.
//
// Each Copy* takes the child `p` as dup_task_struct() left it: its pointers
// still name the parent's structures, without references. With the sharing
// flag the child takes a reference; otherwise it gets a copy of its own.

#ifndef FORKSIM_MODEL_KERNEL_SHARED_H_
#define FORKSIM_MODEL_KERNEL_SHARED_H_

#include <cstdint>

#include "model/errno.h"
#include "model/kernel/task.h"

namespace forksim {

class Machine;

// copy_semundo() (ipc/sem.c:2268-2283): CLONE_SYSVSEM shares the caller's
// undo list, creating it first if the caller has none (ENOMEM); otherwise none.
SysStatus CopySemundo(Machine& m, Task* current, Task* p, uint64_t flags);
// copy_files() (kernel/fork.c:1434-1459): CLONE_FILES shares; else dup_fd().
SysStatus CopyFiles(Machine& m, Task* current, Task* p, uint64_t flags);
// copy_fs() (kernel/fork.c:1414-1432): CLONE_FS shares unless the fs_struct
// is in an exec (EAGAIN); else copy_fs_struct() (ENOMEM).
SysStatus CopyFs(Machine& m, Task* current, Task* p, uint64_t flags);
// copy_sighand() (kernel/fork.c:1487-1505): CLONE_SIGHAND shares; else a
// copy of every sigaction (ENOMEM, leaving p->sighand NULL); with
// CLONE_CLEAR_SIGHAND [6.12] (lines 1804-1806) the copy's handlers are
// flushed.
SysStatus CopySighand(Machine& m, Task* current, Task* p, uint64_t flags);

// FlushSignalHandlers()
//
// kernel/signal.c:flush_signal_handlers(t, 0) [5.2]: every handler back to
// SIG_DFL, ignored ones stay ignored; every action's flags and mask are
// cleared. Used by exec and by CLONE_CLEAR_SIGHAND.
void FlushSignalHandlers(Sighand* sighand);
// copy_signal() (kernel/fork.c:1542-1590): CLONE_THREAD shares (the
// reference is taken when the thread is linked); else a new signal_struct
// with the caller's rlimits (ENOMEM).
SysStatus CopySignal(Machine& m, Task* current, Task* p, uint64_t flags);
// copy_mm() (kernel/fork.c:1367-1412): no mm for a kernel thread's child of a
// kernel thread; CLONE_VM shares (mm_users++); else dup_mm(), any failure of
// which is ENOMEM.
SysStatus CopyMm(Machine& m, Task* current, Task* p, uint64_t flags);
// copy_io() (kernel/fork.c:1461-1485): nothing without a caller io_context;
// CLONE_IO shares; else a new one only if the caller's ioprio is valid.
SysStatus CopyIo(Machine& m, Task* current, Task* p, uint64_t flags);

// The releases. Each clears the task's pointer and drops its reference,
// freeing the structure with the last one.
void ExitSem(Machine& m, Task* task);                    // exit_sem()
void ExitFiles(Machine& m, Task* task);                  // exit_files()
void ExitFs(Machine& m, Task* task);                     // exit_fs()
void CleanupSighand(Machine& m, Sighand* sighand);       // __cleanup_sighand()
void PutSignalStruct(Machine& m, SignalStruct* signal);  // put_signal_struct()
void MmPut(Machine& m, Mm* mm);                          // mmput()
void ExitIoContext(Machine& m, Task* task);              // exit_io_context()

// A new mm with an empty address space for the ABI (mm_alloc()).
Mm* NewMm(Machine& m);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_SHARED_H_

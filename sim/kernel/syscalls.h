// -----------------------------------------------------------------------------
// File: sim/kernel/syscalls.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The syscall implementations, one function per syscall, each called by the
// dispatcher (KernelCore::Syscall()) with the kernel, the calling task and
// the decoded arguments. Each returns what the call did to its caller
// (sim/kernel/outcome.h): a value or an errno, blocked, or exited.
//
//   fork.cc   fork, vfork, clone (per ABI order), clone6 (the RFC)
//   clone3.cc clone3 ([5.3] and [6.12])
//   exit.cc   exit, exit_group
//   wait.cc   wait4, waitid
//   exec.cc   execve
//   sys.cc    getpid, gettid, getppid
//   open.cc   close

#ifndef FORKSIM_SIM_KERNEL_SYSCALLS_H_
#define FORKSIM_SIM_KERNEL_SYSCALLS_H_

#include "model/kernel/task.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

class KernelCore;

SyscallOutcome SysFork(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysVfork(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysClone(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysClone6(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysClone3(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysExit(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysExitGroup(KernelCore& k, Task* current,
                            const DecodedSyscall& d);
SyscallOutcome SysWait4(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysWaitid(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysExecve(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysGetpid(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysGettid(KernelCore& k, Task* current, const DecodedSyscall& d);
SyscallOutcome SysGetppid(KernelCore& k, Task* current,
                          const DecodedSyscall& d);
SyscallOutcome SysClose(KernelCore& k, Task* current, const DecodedSyscall& d);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_SYSCALLS_H_

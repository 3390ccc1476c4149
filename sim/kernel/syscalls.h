// -----------------------------------------------------------------------------
// File: sim/kernel/syscalls.h
// -----------------------------------------------------------------------------
//
// The syscall implementations, one function per syscall, each called with
// the kernel, the calling task and the decoded arguments. They return the
// syscall's long result (-errno on failure). A syscall after which the caller
// no longer exists returns kNoReturn; one that blocks calls Kernel::Block()
// and its return value is ignored.
//
//   fork.cc   fork, vfork, clone (per ABI order), clone6 (the RFC)
//   exit.cc   exit, exit_group, wait4, waitid, execve, getpid, gettid,
//             getppid, close

#ifndef FORKSIM_SIM_KERNEL_SYSCALLS_H_
#define FORKSIM_SIM_KERNEL_SYSCALLS_H_

#include <climits>
#include <cstdint>

#include "model/kernel/kernel.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

class Kernel;

using SyscallHandler = int64_t (*)(Kernel&, Task*, const DecodedSyscall&);

// The caller is gone (it exited): nothing is written to its registers.
inline constexpr int64_t kNoReturn = INT64_MIN;

int64_t SysFork(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysVfork(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysClone(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysClone6(Kernel& k, Task* current, const DecodedSyscall& d);

int64_t SysExit(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysExitGroup(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysWait4(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysWaitid(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysExecve(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysGetpid(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysGettid(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysGetppid(Kernel& k, Task* current, const DecodedSyscall& d);
int64_t SysClose(Kernel& k, Task* current, const DecodedSyscall& d);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_SYSCALLS_H_

// kernel/sys.c [5.2]: the id syscalls. Each answers in the caller's pid
// namespace.

#include "model/kernel/pid.h"
#include "sim/kernel/syscalls.h"

namespace forksim {

// kernel/sys.c:SYSCALL_DEFINE0(getpid) [5.2].
SyscallOutcome SysGetpid(KernelCore& /*k*/, Task* current,
                         const DecodedSyscall&) {
  return int64_t{TaskTgidVnr(current, current).value};
}

// kernel/sys.c:SYSCALL_DEFINE0(gettid) [5.2].
SyscallOutcome SysGettid(KernelCore& /*k*/, Task* current,
                         const DecodedSyscall&) {
  return int64_t{TaskPidVnr(current, current).value};
}

// kernel/sys.c:SYSCALL_DEFINE0(getppid) [5.2]: 0 when the parent is outside
// the caller's pid namespace.
SyscallOutcome SysGetppid(KernelCore& /*k*/, Task* current,
                          const DecodedSyscall&) {
  return int64_t{TaskTgidVnr(current->real_parent, current).value};
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: sim/kernel/syscall_entry.h
// -----------------------------------------------------------------------------
//
// The boundary between a task's registers and the simulated kernel: decoding
// the syscall number and arguments exactly as the kernel's wrappers do, and
// encoding the result back into the return register.
//
// Decoding rules, per ABI:
//   x86_64  __x64_sys_NAME passes the 64-bit registers; __se_sys_NAME casts
//           each to its declared type, so int and unsigned int keep only the
//           low 32 bits and long and pointers keep all 64
//           (arch/x86/include/asm/syscall_wrapper.h:__X64_SYS_STUBx() [5.2],
//           lines 157-174; include/linux/syscalls.h:__SYSCALL_DEFINEx()).
//   ia32    __ia32_sys_NAME and __ia32_compat_sys_NAME cast each register to
//           unsigned int first: every argument is the zero-extended 32-bit
//           value (syscall_wrapper.h:__IA32_SYS_STUBx() and
//           __IA32_COMPAT_SYS_STUBx() [5.2], lines 16-45 and 97-106).
//   i386    a 32-bit kernel: every argument is 32 bits
//           (arch/x86/entry/common.c:do_syscall_32_irqs_on() [5.2]).
// The syscall number is read the same way: eax for 32-bit tasks; on x86-64
// the full rax is compared against the table
// (arch/x86/entry/common.c:do_syscall_64() [5.2]).

#ifndef FORKSIM_SIM_KERNEL_SYSCALL_ENTRY_H_
#define FORKSIM_SIM_KERNEL_SYSCALL_ENTRY_H_

#include <array>
#include <cstdint>

#include "model/abi/abi.h"
#include "model/abi/registers.h"
#include "model/errno.h"
#include "sim/kernel/outcome.h"

namespace forksim {

// One argument after the wrapper's conversion.
struct DecodedArg {
  uint64_t reg;    // the register as the task left it
  uint64_t value;  // the parameter's value, widened to 64 bits by its own
                   // signedness (an int of -1 is 0xffffffffffffffff)
  // The conversion dropped bits: the value no longer equals the register.
  bool truncated;
};

struct DecodedSyscall {
  const SyscallSignature* signature;
  std::array<DecodedArg, 6> args{};

  uint64_t arg(int i) const { return args[i].value; }
};

// DecodeArg()
//
// Converts one register to a parameter of `type` as the ABI's wrapper does.
DecodedArg DecodeArg(Abi abi, ArgType type, uint64_t reg);

// DecodeSyscall()
//
// Reads the number and the arguments. An unknown number gives ENOSYS.
SysResult<DecodedSyscall> DecodeSyscall(const RegisterFile& regs);

// EncodeReturn()
//
// Writes a returned syscall's long result to the return register
// (regs->ax = result): EINVAL becomes 0xffffffffffffffea in rax on x86-64
// and 0xffffffea in eax on ia32 and i386.
void EncodeReturn(const SyscallOutcome& outcome, RegisterFile& regs);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_SYSCALL_ENTRY_H_

// -----------------------------------------------------------------------------
// File: sim/kernel/syscall_entry.h
// -----------------------------------------------------------------------------
//
// The boundary between a task's registers and the simulated kernel: decoding
// the syscall number and arguments exactly as the kernel's wrappers do, and
// encoding the result back into the return register.
//
// Decoding rules (kernel-facts.md §2.2-2.3):
//   x86_64  __x64_sys_NAME passes 64-bit registers; __se_sys_NAME casts each to
//           its declared type, so int / unsigned int keep only the low 32 bits
//           and long / pointers keep all 64 (syscall_wrapper.h:157-174 [5.2]).
//   ia32    __ia32_sys_NAME and __ia32_compat_sys_NAME cast each register to
//           unsigned int first: every argument is the zero-extended 32-bit
//           value (syscall_wrapper.h:16-45, 97-106 [5.2]).
//   i386    a 32-bit kernel: every argument is 32 bits (common.c:345-348).
// The syscall number is read the same way: eax for 32-bit tasks; on x86-64 the
// full rax is compared against the table (do_syscall_64, common.c [5.2]).

#ifndef FORKSIM_SIM_KERNEL_SYSCALL_ENTRY_H_
#define FORKSIM_SIM_KERNEL_SYSCALL_ENTRY_H_

#include <array>
#include <cstdint>
#include <functional>

#include "model/abi/abi.h"
#include "model/abi/registers.h"
#include "model/errno.h"

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
// Writes a syscall's long result to the return register: -22 becomes
// 0xffffffffffffffea in rax on x86-64 and 0xffffffea in eax on ia32 and i386.
void EncodeReturn(int64_t result, RegisterFile& regs);

// SyscallResultFromErrno()
//
// The long a syscall returns for an errno: -errno.
inline int64_t SyscallError(Errno e) { return -int64_t{ErrnoValue(e)}; }

// SyscallTable
//
// Dispatches a decoded syscall by identity. A syscall with no handler, or a
// number the ABI does not have, returns -ENOSYS, as sys_ni_syscall and the
// range check in do_syscall_64 do.
class SyscallTable {
 public:
  using Handler = std::function<int64_t(const DecodedSyscall&)>;

  void Register(Sysno sysno, Handler handler);
  bool Has(Sysno sysno) const;
  // The handler for `sysno`, or nullptr.
  const Handler* Find(Sysno sysno) const;

  // Decodes, dispatches, and writes the result to the return register.
  // Returns the result.
  int64_t Dispatch(RegisterFile& regs) const;

 private:
  std::array<Handler, static_cast<int>(Sysno::kCount)> handlers_;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_SYSCALL_ENTRY_H_

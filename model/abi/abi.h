// -----------------------------------------------------------------------------
// File: model/abi/abi.h
// -----------------------------------------------------------------------------
//
// The three ABIs forksim models, each one a table of data:
//
//   x86_64  a 64-bit task on an x86-64 kernel (syscall instruction)
//   ia32    a 32-bit task on an x86-64 kernel with IA32_EMULATION (int 0x80)
//   i386    a task on a native 32-bit kernel
//
// What differs between them is here and nowhere else: syscall numbers, the
// argument and return registers, the kernel's word size, the user address limit
// that access_ok() checks, the legacy clone argument order, NR_OPEN_DEFAULT,
// PID_MAX_LIMIT and the GDT slots for TLS.
//
// Sources: arch/x86/entry/syscalls/syscall_{64,32}.tbl [5.2],
// arch/x86/include/asm/syscall_wrapper.h [5.2], include/linux/threads.h,
// include/linux/fdtable.h and arch/x86/include/asm/segment.h [5.2].

#ifndef FORKSIM_MODEL_ABI_ABI_H_
#define FORKSIM_MODEL_ABI_ABI_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace forksim {

enum class Abi : uint8_t { kX86_64, kIa32, kI386 };
inline constexpr std::array kAllAbis = {Abi::kX86_64, Abi::kIa32, Abi::kI386};

// Register names. For 32-bit tasks only the low 32 bits of each exist.
enum class Reg : uint8_t {
  kAx,
  kBx,
  kCx,
  kDx,
  kSi,
  kDi,
  kBp,
  kSp,
  kR8,
  kR9,
  kR10,
  kR11,
  kR12,
  kR13,
  kR14,
  kR15,
  kIp,
  kFlags,
  kCount,
};

// The syscalls forksim knows, independent of their number on an ABI.
enum class Sysno : uint8_t {
  kClose,
  kGetpid,
  kClone,
  kFork,
  kVfork,
  kExecve,
  kExit,
  kWait4,
  kGetppid,
  kGettid,
  kExitGroup,
  kWaitid,
  kUnshare,
  kClone3,
  kClone6,
  kCount,
};

// How the kernel's syscall wrapper converts a register to a parameter of this
// declared type (arch/x86/include/asm/syscall_wrapper.h [5.2]).
enum class ArgType : uint8_t {
  kInt,    // int, pid_t
  kUInt,   // unsigned int
  kLong,   // long
  kULong,  // unsigned long
  kPtr,    // a __user pointer
  kSizeT,  // size_t
};

// ArgTypeName()
//
// The C type a parameter is declared with: "int", "unsigned long", ...
std::string_view ArgTypeName(ArgType type);

struct SyscallParam {
  std::string_view name;
  ArgType type;
};

// One syscall as one ABI declares it: its number, the kernel entry point in the
// table, and its parameters in register order.
struct SyscallSignature {
  Sysno sysno;
  uint32_t nr;
  std::string_view name;
  std::string_view entry;       // e.g. "__x64_sys_clone/ptregs" ([5.2] tables)
  std::string_view entry_6_12;  // "__x64_sys_clone" ([6.12] tables)
  std::span<const SyscallParam> params;
};

// Legacy clone argument order (kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2],
// lines 2435-2461).
enum class CloneOrder : uint8_t {
  kDefault,    // flags, newsp, parent_tidptr, child_tidptr, tls
  kBackwards,  // CONFIG_CLONE_BACKWARDS: flags, newsp, parent_tidptr, tls,
               // child_tidptr
};

// How CLONE_SETTLS interprets its argument
// (arch/x86/kernel/process_64.c:438-448, process_32.c [5.2]): an FS base, or a
// pointer to a struct user_desc.
enum class TlsKind : uint8_t { kFsBase, kUserDesc };

struct AbiInfo {
  Abi abi;
  std::string_view name;         // "x86_64", "ia32", "i386"
  std::string_view description;  // one line for reports
  // The task's register width (what userspace sees).
  uint32_t user_word_bytes;
  // The kernel's BITS_PER_LONG: 64 for both ABIs on an x86-64 kernel.
  uint32_t kernel_long_bits;
  // access_ok() accepts [addr, addr + size) iff addr + size <= this limit,
  // without wraparound in kernel_long_bits arithmetic
  // (arch/x86/include/asm/uaccess.h:43-95 [5.2]). USER_DS is TASK_SIZE_MAX on
  // both kernels: 0x7ffffffff000 on x86-64 (processor.h:865, also for compat
  // tasks) and PAGE_OFFSET = 0xC0000000 with the default VMSPLIT_3G on i386
  // (processor.h:830-832, arch/x86/Kconfig:1448).
  uint64_t user_addr_limit;
  Reg nr_reg;
  std::array<Reg, 6> arg_regs;
  Reg ret_reg;
  CloneOrder clone_order;
  TlsKind tls_kind;
  // NR_OPEN_DEFAULT = BITS_PER_LONG (include/linux/fdtable.h:24 [5.2]).
  uint32_t nr_open_default;
  // PID_MAX_LIMIT (include/linux/threads.h:34-35 [5.2]).
  int32_t pid_max_limit;
  // GDT_ENTRY_TLS_MIN..MAX (arch/x86/include/asm/segment.h:91-92, 186-187
  // [5.2]).
  uint32_t gdt_tls_min;
  uint32_t gdt_tls_max;
  std::span<const SyscallSignature> syscalls;
};

// AbiInfoFor()
//
// The table for one ABI.
const AbiInfo& AbiInfoFor(Abi abi);

// AbiFromName()
//
// Parses "x86_64", "ia32" or "i386".
std::optional<Abi> AbiFromName(std::string_view name);

inline std::string_view AbiName(Abi abi) { return AbiInfoFor(abi).name; }

// FindSyscallByNr() / FindSyscall()
//
// Looks a syscall up by number or by identity on one ABI; nullptr if the ABI
// has no such syscall.
const SyscallSignature* FindSyscallByNr(Abi abi, uint64_t nr);
const SyscallSignature* FindSyscall(Abi abi, Sysno sysno);

}  // namespace forksim

#endif  // FORKSIM_MODEL_ABI_ABI_H_

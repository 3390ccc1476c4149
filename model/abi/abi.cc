#include "model/abi/abi.h"

namespace forksim {
namespace {

using enum ArgType;

// Parameter lists, in register order, with the types the kernel declares
// (the SYSCALL_DEFINEs of kernel/fork.c, kernel/exit.c and fs/open.c [5.2];
// for clone6, the clone6 RFC ("[PATCH 1/2] fork: add clone6", Christian
// Brauner and Jann Horn, 2019-05-26)).
constexpr SyscallParam kCloseParams[] = {{"fd", kUInt}};
constexpr SyscallParam kExitParams[] = {{"error_code", kInt}};
constexpr SyscallParam kWait4Params[] = {
    {"upid", kInt}, {"stat_addr", kPtr}, {"options", kInt}, {"ru", kPtr}};
constexpr SyscallParam kWaitidParams[] = {{"which", kInt},
                                          {"upid", kInt},
                                          {"infop", kPtr},
                                          {"options", kInt},
                                          {"ru", kPtr}};
constexpr SyscallParam kExecveParams[] = {
    {"filename", kPtr}, {"argv", kPtr}, {"envp", kPtr}};
constexpr SyscallParam kUnshareParams[] = {{"unshare_flags", kULong}};
// The default order of kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2], lines
// 2452-2456.
constexpr SyscallParam kCloneDefaultParams[] = {{"clone_flags", kULong},
                                                {"newsp", kULong},
                                                {"parent_tidptr", kPtr},
                                                {"child_tidptr", kPtr},
                                                {"tls", kULong}};
// CONFIG_CLONE_BACKWARDS (kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2], lines
// 2437-2441) and the ia32 entry
// COMPAT_SYSCALL_DEFINE5(x86_clone, ...) (arch/x86/ia32/sys_ia32.c:233-242).
constexpr SyscallParam kCloneBackwardsParams[] = {{"clone_flags", kULong},
                                                  {"newsp", kULong},
                                                  {"parent_tidptr", kPtr},
                                                  {"tls", kULong},
                                                  {"child_tidptr", kPtr}};
// SYSCALL_DEFINE2(clone3, struct clone_args __user *, uargs, size_t, size)
// (kernel/fork.c:SYSCALL_DEFINE2(clone3) [5.3], line 2612).
constexpr SyscallParam kClone3Params[] = {{"uargs", kPtr}, {"size", kSizeT}};
// SYSCALL_DEFINE6(clone6, ...) from the RFC: the five flag words are
// unsigned int, so an x86-64 register's upper half is dropped.
constexpr SyscallParam kClone6Params[] = {{"uargs", kPtr},   {"flags1", kUInt},
                                          {"flags2", kUInt}, {"flags3", kUInt},
                                          {"flags4", kUInt}, {"flags5", kUInt}};

// Syscalls without parameters.
constexpr std::span<const SyscallParam> kNone{};

// arch/x86/entry/syscalls/syscall_64.tbl [5.2]; 435 is clone3 [5.3]; 436 is
// clone6 as wired by the RFC's patch 2/2. The second name is [6.12]'s: no
// /ptregs stubs, and 436 a hole (sys_ni_syscall).
constexpr SyscallSignature kX86_64Syscalls[] = {
    {Sysno::kClose, 3, "close", "__x64_sys_close", "__x64_sys_close",
     kCloseParams},
    {Sysno::kGetpid, 39, "getpid", "__x64_sys_getpid", "__x64_sys_getpid",
     kNone},
    {Sysno::kClone, 56, "clone", "__x64_sys_clone/ptregs", "__x64_sys_clone",
     kCloneDefaultParams},
    {Sysno::kFork, 57, "fork", "__x64_sys_fork/ptregs", "__x64_sys_fork",
     kNone},
    {Sysno::kVfork, 58, "vfork", "__x64_sys_vfork/ptregs", "__x64_sys_vfork",
     kNone},
    {Sysno::kExecve, 59, "execve", "__x64_sys_execve/ptregs",
     "__x64_sys_execve", kExecveParams},
    {Sysno::kExit, 60, "exit", "__x64_sys_exit", "__x64_sys_exit", kExitParams},
    {Sysno::kWait4, 61, "wait4", "__x64_sys_wait4", "__x64_sys_wait4",
     kWait4Params},
    {Sysno::kGetppid, 110, "getppid", "__x64_sys_getppid", "__x64_sys_getppid",
     kNone},
    {Sysno::kGettid, 186, "gettid", "__x64_sys_gettid", "__x64_sys_gettid",
     kNone},
    {Sysno::kExitGroup, 231, "exit_group", "__x64_sys_exit_group",
     "__x64_sys_exit_group", kExitParams},
    {Sysno::kWaitid, 247, "waitid", "__x64_sys_waitid", "__x64_sys_waitid",
     kWaitidParams},
    {Sysno::kUnshare, 272, "unshare", "__x64_sys_unshare", "__x64_sys_unshare",
     kUnshareParams},
    {Sysno::kClone3, 435, "clone3", "__x64_sys_clone3/ptregs",
     "__x64_sys_clone3", kClone3Params},
    {Sysno::kClone6, 436, "clone6", "__x64_sys_clone6/ptregs",
     "__x64_sys_ni_syscall", kClone6Params},
};

// arch/x86/entry/syscalls/syscall_32.tbl [5.2], compat entry column: what an
// int 0x80 from a 32-bit task reaches on an x86-64 kernel. [6.12] renamed
// the clone entry compat_sys_ia32_clone (arch/x86/kernel/sys_ia32.c:240).
constexpr SyscallSignature kIa32Syscalls[] = {
    {Sysno::kExit, 1, "exit", "__ia32_sys_exit", "__ia32_sys_exit",
     kExitParams},
    {Sysno::kFork, 2, "fork", "__ia32_sys_fork", "__ia32_sys_fork", kNone},
    {Sysno::kClose, 6, "close", "__ia32_sys_close", "__ia32_sys_close",
     kCloseParams},
    {Sysno::kExecve, 11, "execve", "__ia32_compat_sys_execve",
     "__ia32_compat_sys_execve", kExecveParams},
    {Sysno::kGetpid, 20, "getpid", "__ia32_sys_getpid", "__ia32_sys_getpid",
     kNone},
    {Sysno::kGetppid, 64, "getppid", "__ia32_sys_getppid", "__ia32_sys_getppid",
     kNone},
    {Sysno::kWait4, 114, "wait4", "__ia32_compat_sys_wait4",
     "__ia32_compat_sys_wait4", kWait4Params},
    {Sysno::kClone, 120, "clone", "__ia32_compat_sys_x86_clone",
     "__ia32_compat_sys_ia32_clone", kCloneBackwardsParams},
    {Sysno::kVfork, 190, "vfork", "__ia32_sys_vfork", "__ia32_sys_vfork",
     kNone},
    {Sysno::kGettid, 224, "gettid", "__ia32_sys_gettid", "__ia32_sys_gettid",
     kNone},
    {Sysno::kExitGroup, 252, "exit_group", "__ia32_sys_exit_group",
     "__ia32_sys_exit_group", kExitParams},
    {Sysno::kWaitid, 284, "waitid", "__ia32_compat_sys_waitid",
     "__ia32_compat_sys_waitid", kWaitidParams},
    {Sysno::kUnshare, 310, "unshare", "__ia32_sys_unshare",
     "__ia32_sys_unshare", kUnshareParams},
    {Sysno::kClone3, 435, "clone3", "__ia32_sys_clone3", "__ia32_sys_clone3",
     kClone3Params},
    // The RFC wires the native entry, not a compat one (patch 2/2's
    // syscall_32.tbl line: __ia32_sys_clone6).
    {Sysno::kClone6, 436, "clone6", "__ia32_sys_clone6",
     "__ia32_sys_ni_syscall", kClone6Params},
};

// The same table, native entry column: a native 32-bit kernel. [6.12] names
// native entries __ia32_sys_* too (arch/x86/include/asm/syscall_wrapper.h:18
// [6.12]).
constexpr SyscallSignature kI386Syscalls[] = {
    {Sysno::kExit, 1, "exit", "sys_exit", "__ia32_sys_exit", kExitParams},
    {Sysno::kFork, 2, "fork", "sys_fork", "__ia32_sys_fork", kNone},
    {Sysno::kClose, 6, "close", "sys_close", "__ia32_sys_close", kCloseParams},
    {Sysno::kExecve, 11, "execve", "sys_execve", "__ia32_sys_execve",
     kExecveParams},
    {Sysno::kGetpid, 20, "getpid", "sys_getpid", "__ia32_sys_getpid", kNone},
    {Sysno::kGetppid, 64, "getppid", "sys_getppid", "__ia32_sys_getppid",
     kNone},
    {Sysno::kWait4, 114, "wait4", "sys_wait4", "__ia32_sys_wait4",
     kWait4Params},
    {Sysno::kClone, 120, "clone", "sys_clone", "__ia32_sys_clone",
     kCloneBackwardsParams},
    {Sysno::kVfork, 190, "vfork", "sys_vfork", "__ia32_sys_vfork", kNone},
    {Sysno::kGettid, 224, "gettid", "sys_gettid", "__ia32_sys_gettid", kNone},
    {Sysno::kExitGroup, 252, "exit_group", "sys_exit_group",
     "__ia32_sys_exit_group", kExitParams},
    {Sysno::kWaitid, 284, "waitid", "sys_waitid", "__ia32_sys_waitid",
     kWaitidParams},
    {Sysno::kUnshare, 310, "unshare", "sys_unshare", "__ia32_sys_unshare",
     kUnshareParams},
    {Sysno::kClone3, 435, "clone3", "sys_clone3", "__ia32_sys_clone3",
     kClone3Params},
    {Sysno::kClone6, 436, "clone6", "sys_clone6", "__ia32_sys_ni_syscall",
     kClone6Params},
};

constexpr AbiInfo kAbis[] = {
    {
        .abi = Abi::kX86_64,
        .name = "x86_64",
        .description = "64-bit task on an x86-64 kernel (syscall)",
        .user_word_bytes = 8,
        .kernel_long_bits = 64,
        .user_addr_limit = 0x7ffffffff000ull,  // (1 << 47) - 4096
        .nr_reg = Reg::kAx,
        .arg_regs = {Reg::kDi, Reg::kSi, Reg::kDx, Reg::kR10, Reg::kR8,
                     Reg::kR9},
        .ret_reg = Reg::kAx,
        .clone_order = CloneOrder::kDefault,
        .tls_kind = TlsKind::kFsBase,
        .nr_open_default = 64,
        .pid_max_limit = 4 * 1024 * 1024,
        .gdt_tls_min = 12,
        .gdt_tls_max = 14,
        .syscalls = kX86_64Syscalls,
    },
    {
        .abi = Abi::kIa32,
        .name = "ia32",
        .description =
            "32-bit task on an x86-64 kernel with IA32_EMULATION (int 0x80)",
        .user_word_bytes = 4,
        .kernel_long_bits = 64,
        .user_addr_limit = 0x7ffffffff000ull,  // USER_DS is TASK_SIZE_MAX
        .nr_reg = Reg::kAx,
        .arg_regs = {Reg::kBx, Reg::kCx, Reg::kDx, Reg::kSi, Reg::kDi,
                     Reg::kBp},
        .ret_reg = Reg::kAx,
        .clone_order = CloneOrder::kBackwards,
        .tls_kind = TlsKind::kUserDesc,
        .nr_open_default = 64,
        .pid_max_limit = 4 * 1024 * 1024,
        .gdt_tls_min = 12,
        .gdt_tls_max = 14,
        .syscalls = kIa32Syscalls,
    },
    {
        .abi = Abi::kI386,
        .name = "i386",
        .description = "task on a native 32-bit kernel (VMSPLIT_3G)",
        .user_word_bytes = 4,
        .kernel_long_bits = 32,
        .user_addr_limit = 0xC0000000ull,  // PAGE_OFFSET
        .nr_reg = Reg::kAx,
        .arg_regs = {Reg::kBx, Reg::kCx, Reg::kDx, Reg::kSi, Reg::kDi,
                     Reg::kBp},
        .ret_reg = Reg::kAx,
        .clone_order = CloneOrder::kBackwards,
        .tls_kind = TlsKind::kUserDesc,
        .nr_open_default = 32,
        .pid_max_limit = 32768,  // PID_MAX_DEFAULT on 32-bit
        .gdt_tls_min = 6,
        .gdt_tls_max = 8,
        .syscalls = kI386Syscalls,
    },
};

}  // namespace

const AbiInfo& AbiInfoFor(Abi abi) { return kAbis[static_cast<int>(abi)]; }

std::optional<Abi> AbiFromName(std::string_view name) {
  for (const AbiInfo& info : kAbis) {
    if (info.name == name) return info.abi;
  }
  return std::nullopt;
}

const SyscallSignature* FindSyscallByNr(Abi abi, uint64_t nr) {
  for (const SyscallSignature& sig : AbiInfoFor(abi).syscalls) {
    if (sig.nr == nr) return &sig;
  }
  return nullptr;
}

const SyscallSignature* FindSyscall(Abi abi, Sysno sysno) {
  for (const SyscallSignature& sig : AbiInfoFor(abi).syscalls) {
    if (sig.sysno == sysno) return &sig;
  }
  return nullptr;
}

std::string_view ArgTypeName(ArgType type) {
  switch (type) {
    case ArgType::kInt:
      return "int";
    case ArgType::kUInt:
      return "unsigned int";
    case ArgType::kLong:
      return "long";
    case ArgType::kULong:
      return "unsigned long";
    case ArgType::kPtr:
      return "pointer";
    case ArgType::kSizeT:
      return "size_t";
  }
  return "?";
}

}  // namespace forksim

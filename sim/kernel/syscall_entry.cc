#include "sim/kernel/syscall_entry.h"

#include "model/abi/layout.h"

namespace forksim {
namespace {

constexpr uint64_t kLow32 = 0xffffffffull;

bool IsSigned(ArgType type) {
  return type == ArgType::kInt || type == ArgType::kLong;
}

bool Is32BitType(Abi abi, ArgType type) {
  switch (type) {
    case ArgType::kInt:
    case ArgType::kUInt:
      return true;
    case ArgType::kLong:
    case ArgType::kULong:
    case ArgType::kPtr:
    case ArgType::kSizeT:
      return AbiInfoFor(abi).kernel_long_bits == 32;
  }
  return true;
}

}  // namespace

DecodedArg DecodeArg(Abi abi, ArgType type, uint64_t reg) {
  // Step 1: what the wrapper reads. 32-bit tasks have 32-bit registers; the
  // ia32 wrappers cast each to unsigned int (zero extension).
  uint64_t raw = AbiInfoFor(abi).user_word_bytes == 4 ? (reg & kLow32) : reg;
  // Step 2: __se_sys casts to the declared type. A 32-bit type keeps the low
  // half; a signed one is then read with its sign.
  uint64_t value = raw;
  if (Is32BitType(abi, type)) {
    value = IsSigned(type) ? SignExtend(raw, 4) : (raw & kLow32);
  }
  // Bits 32-63 of a 64-bit task's register that the parameter cannot hold.
  const bool truncated = (reg >> 32) != 0 && Is32BitType(abi, type);
  return {reg, value, truncated};
}

SysResult<DecodedSyscall> DecodeSyscall(const RegisterFile& regs) {
  const AbiInfo& info = AbiInfoFor(regs.abi());
  const SyscallSignature* sig =
      FindSyscallByNr(regs.abi(), regs.Get(info.nr_reg));
  if (sig == nullptr) return Errno::kENOSYS;
  DecodedSyscall decoded{sig};
  for (size_t i = 0; i < sig->params.size(); ++i) {
    decoded.args[i] =
        DecodeArg(regs.abi(), sig->params[i].type, regs.Get(info.arg_regs[i]));
  }
  return decoded;
}

void EncodeReturn(const SyscallOutcome& outcome, RegisterFile& regs) {
  // A 32-bit task sees eax, the low half.
  regs.Set(AbiInfoFor(regs.abi()).ret_reg,
           static_cast<uint64_t>(outcome.ReturnValue()));
}

}  // namespace forksim

#include "model/abi/registers.h"

namespace forksim {
namespace {

constexpr uint64_t kLow32 = 0xffffffffull;

constexpr std::string_view kRegNames64[] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
    "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"};
constexpr std::string_view kRegNames32[] = {
    "eax", "ebx",  "ecx",  "edx",  "esi",  "edi",  "ebp",  "esp", "r8d",
    "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d", "eip", "eflags"};

}  // namespace

void RegisterFile::Set(Reg reg, uint64_t value) {
  if (AbiInfoFor(abi_).user_word_bytes == 4) value &= kLow32;
  regs_[static_cast<int>(reg)] = value;
}

std::string_view RegName(Abi abi, Reg reg) {
  const int i = static_cast<int>(reg);
  return AbiInfoFor(abi).user_word_bytes == 8 ? kRegNames64[i] : kRegNames32[i];
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: model/abi/registers.h
// -----------------------------------------------------------------------------
//
// A task's saved user registers (struct pt_regs), per ABI.

#ifndef FORKSIM_MODEL_ABI_REGISTERS_H_
#define FORKSIM_MODEL_ABI_REGISTERS_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "model/abi/abi.h"

namespace forksim {

// The saved user registers of a task (pt_regs). For 32-bit tasks only the low
// 32 bits of each register exist; Set() masks them.
class RegisterFile {
 public:
  explicit RegisterFile(Abi abi = Abi::kX86_64) : abi_(abi) {}

  uint64_t Get(Reg reg) const { return regs_[static_cast<int>(reg)]; }
  void Set(Reg reg, uint64_t value);
  Abi abi() const { return abi_; }

  friend bool operator==(const RegisterFile&, const RegisterFile&) = default;

 private:
  Abi abi_;
  std::array<uint64_t, static_cast<int>(Reg::kCount)> regs_{};
};

// RegName()
//
// "rdi" on x86-64, "ebx" on the 32-bit ABIs.
std::string_view RegName(Abi abi, Reg reg);

}  // namespace forksim

#endif  // FORKSIM_MODEL_ABI_REGISTERS_H_

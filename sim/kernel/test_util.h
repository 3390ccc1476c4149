// -----------------------------------------------------------------------------
// File: sim/kernel/test_util.h
// -----------------------------------------------------------------------------
//
// Test support for the syscall layer: a kernel of one profile and ABI, a
// caller process with mapped memory, and the invariant check.

#ifndef FORKSIM_SIM_KERNEL_TEST_UTIL_H_
#define FORKSIM_SIM_KERNEL_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "model/kernel/kernel.h"
#include "sim/kernel/kernel.h"

namespace forksim {

// Where NewProcess() maps 16 read-write pages.
inline constexpr uint64_t kBuf = 0x10000;
inline constexpr uint64_t kBufPages = 16;

class Sim {
 public:
  explicit Sim(std::string_view profile = "5.2", Abi abi = Abi::kX86_64);

  Kernel& kernel() { return kernel_; }
  Machine& machine() { return kernel_.machine(); }
  Task* init() { return kernel_.machine().init; }

  // A process forked by init (so it is not a pid namespace's init), with
  // kBufPages read-write pages at kBuf.
  Task* NewProcess();

  // A syscall that must not block; returns its result.
  int64_t Call(Task* task, Sysno sysno, std::initializer_list<uint64_t> args);

  uint64_t Read(Task* task, uint64_t addr, uint32_t size);
  void Write(Task* task, uint64_t addr, uint32_t size, uint64_t value);

  // The newest task whose real_parent is `parent`, or nullptr.
  Task* LastChild(Task* parent);
  Task* TaskByTid(int64_t tid);

  // Gives `task` its own creds: uid/gid `uid`, no capabilities.
  void MakeUnprivileged(Task* task, uint32_t uid);

  // Adds a test failure for every invariant violation.
  void ExpectClean();

 private:
  Kernel kernel_;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_TEST_UTIL_H_

// -----------------------------------------------------------------------------
// File: sim/kernel/test_util.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// Test support for the kernel's own tests (white-box: they may reach the
// machine and the kernel's inside): a kernel of one profile and ABI, a
// caller process with mapped memory, matchers for syscall outcomes, and the
// invariant check.

#ifndef FORKSIM_SIM_KERNEL_TEST_UTIL_H_
#define FORKSIM_SIM_KERNEL_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string_view>

#include "gmock/gmock.h"
#include "model/kernel/task.h"
#include "sim/kernel/core.h"

namespace forksim {

// Where NewProcess() maps 16 read-write pages.
inline constexpr uint64_t kBuf = 0x10000;
inline constexpr uint64_t kBufPages = 16;

class Sim {
 public:
  explicit Sim(std::string_view profile = "5.2", Abi abi = Abi::kX86_64);

  KernelCore& kernel() { return kernel_; }
  Machine& machine() { return kernel_.machine(); }
  Task* init() { return kernel_.machine().init; }

  // A process forked by init (so it is not a pid namespace's init), with
  // kBufPages read-write pages at kBuf.
  Task* NewProcess();

  // Puts `sysno` and `args` in `task`'s registers and runs the syscall.
  SyscallOutcome Invoke(Task* task, Sysno sysno,
                        std::initializer_list<uint64_t> args);
  // The same for a syscall that must not block.
  SyscallOutcome Call(Task* task, Sysno sysno,
                      std::initializer_list<uint64_t> args);

  uint64_t Read(Task* task, uint64_t addr, uint32_t size);
  void Write(Task* task, uint64_t addr, uint32_t size, uint64_t value);

  // The newest task whose real_parent is `parent`, or nullptr.
  Task* LastChild(Task* parent);
  Task* TaskByTid(int64_t tid);
  Task* TaskByTid(const SyscallOutcome& pid) { return TaskByTid(pid.value()); }

  // Gives `task` its own creds: uid/gid `uid`, no capabilities
  // (prepare_creds(), commit_creds()).
  void MakeUnprivileged(Task* task, uint32_t uid);

  // Adds a test failure for every invariant violation.
  void ExpectClean();

 private:
  KernelCore kernel_;
};

// gtest prints an outcome as strace would: "4", "-1 EINVAL (...)", "?".
void PrintTo(const SyscallOutcome& outcome, std::ostream* os);

// EXPECT_THAT(s.Call(...), ReturnsErrno(Errno::kEINVAL)): the call returned
// that errno.
MATCHER_P(ReturnsErrno, error, "returns -1 " + std::string(ErrnoName(error))) {
  return arg.returned() && arg.error() == error;
}

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_TEST_UTIL_H_

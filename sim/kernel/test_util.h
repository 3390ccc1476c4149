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
#include <vector>

#include "gmock/gmock.h"
#include "model/kernel/task.h"
#include "sim/kernel/core.h"

namespace forksim {

// Where NewProcess() maps 16 read-write pages.
inline constexpr uint64_t kBuf = 0x10000;
inline constexpr uint64_t kBufPages = 16;

// Profiles by behaviour: a test picks the profiles that have what it
// checks, never a profile by name.
inline bool HasClone6(const KernelProfile& p) { return p.has_clone6; }
inline bool LacksClone6(const KernelProfile& p) { return !p.has_clone6; }
inline bool ReadsReservedParentTid(const KernelProfile& p) {
  return p.reserved_parent_tid_read;
}
inline bool SkipsReservedParentTid(const KernelProfile& p) {
  return !p.reserved_parent_tid_read;
}
inline bool HasClone3(const KernelProfile& p) {
  return p.clone3 != Clone3Copy::kNone;
}
inline bool LacksClone3(const KernelProfile& p) {
  return p.clone3 == Clone3Copy::kNone;
}
inline bool ReadsClone3TailByteByByte(const KernelProfile& p) {
  return p.clone3 == Clone3Copy::kTailByteByByte;
}
inline bool CopiesClone3Struct(const KernelProfile& p) {
  return p.clone3 == Clone3Copy::kCopyStructFromUser;
}
std::vector<const KernelProfile*> ProfilesWhere(
    bool (*has)(const KernelProfile&));
const KernelProfile& FirstProfileWhere(bool (*has)(const KernelProfile&));

class Sim {
 public:
  // The newest profile, for what every profile does alike.
  explicit Sim(Abi abi = Abi::kX86_64);
  explicit Sim(const KernelProfile& profile, Abi abi = Abi::kX86_64);

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

// Where tests put things in the kBuf pages (16 pages from 0x10000).
inline constexpr uint64_t kStatus = kBuf + 0x100;
inline constexpr uint64_t kInfo = kBuf + 0x200;
inline constexpr uint64_t kRusage = kBuf + 0x400;
inline constexpr uint64_t kTid = kBuf + 0x800;
inline constexpr uint64_t kStack = kBuf + 0x8000;
inline constexpr uint64_t kUnmapped = 0x1000;   // page 1 is never mapped
inline constexpr uint64_t kHandler = 0x401000;  // some user address
inline constexpr uint64_t kPPidfd = 3;          // waitid's P_PIDFD [5.3]

// Legacy clone with named arguments, put in the ABI's order
// (kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2]: CONFIG_CLONE_BACKWARDS on
// i386 and the ia32 entry swaps tls and child_tidptr).
SyscallOutcome Clone(Sim& s, Task* t, uint64_t flags, uint64_t newsp = 0,
                     uint64_t ptid = 0, uint64_t ctid = 0, uint64_t tls = 0);

// A thread of `t`'s group (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD). The
// number the clone returns is in the caller's pid namespace, so the thread
// is found through the group.
Task* NewThread(Sim& s, Task* t);

// A child forked by `parent`.
Task* Fork(Sim& s, Task* parent);

SyscallOutcome Wait4(Sim& s, Task* t, int64_t upid, uint64_t stat,
                     uint64_t options, uint64_t ru = 0);
SyscallOutcome Waitid(Sim& s, Task* t, uint64_t which, int64_t upid,
                      uint64_t infop, uint64_t options, uint64_t ru = 0);

// exit(code), which must not return.
void Exit(Sim& s, Task* t, int code);

// Writes a struct clone_args (the 88-byte layout; fields not named are 0)
// at `addr` in `t`'s memory.
void PutCloneArgs(
    Task* t, uint64_t addr,
    std::initializer_list<std::pair<std::string_view, uint64_t>> fields);

// Sets a signal's action directly (a test's shortcut past do_sigaction()).
void SetHandler(Task* t, int sig, uint64_t handler, uint64_t flags = 0);

// Whether the kernel recorded a note from `function` containing `text`.
bool HasNote(Sim& s, std::string_view function, std::string_view text);

// gtest prints an outcome as strace would: "4", "-1 EINVAL (...)", "?".
void PrintTo(const SyscallOutcome& outcome, std::ostream* os);

// EXPECT_THAT(s.Call(...), ReturnsErrno(Errno::kEINVAL)): the call returned
// that errno.
MATCHER_P(ReturnsErrno, error, "returns -1 " + std::string(ErrnoName(error))) {
  return arg.returned() && arg.error() == error;
}

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_TEST_UTIL_H_

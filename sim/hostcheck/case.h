// -----------------------------------------------------------------------------
// File: sim/hostcheck/case.h
// -----------------------------------------------------------------------------
//
// A hostcheck case: one clone-family syscall, with the caller's memory laid
// out for it, that both the running kernel (through the executor) and the
// model run. A case is all data: the registers, the bytes written before the
// call, how the child is waited for. The corpus is generated from a seed:
// case k of a family and ABI is the same whatever else is asked for, so a
// disagreement can be named by (seed, family, ABI, index) and re-run alone.
//
// The caller's memory, the same on both sides (docs/fidelity.md):
//
//   0x10000-0x12fff  rw   the struct clone_args, where a case puts it
//   0x13000          none a hole: every access faults
//   0x14000          r    read-only (written before it is protected)
//   0x15000          rw   the words the call may write: pidfd at 0x15000,
//                         parent_tid at 0x15004, child_tid at 0x15008, each
//                         0xdeadbeef before the call; set_tid at 0x15100
//   0x16000          rw   a stack page for clone3
//   0x17800          rw   a struct user_desc (ia32 TLS); 0x17ff0 the model's
//                         wait4 status
//   0x18000-0x1ffff  rw   unused

#ifndef FORKSIM_SIM_HOSTCHECK_CASE_H_
#define FORKSIM_SIM_HOSTCHECK_CASE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/abi/abi.h"

namespace forksim {

enum class Family : uint8_t { kClone, kClone3, kFork };  // kFork: fork, vfork
inline constexpr std::array kAllFamilies = {Family::kClone, Family::kClone3,
                                            Family::kFork};

std::string_view FamilyName(Family family);
std::optional<Family> FamilyFromName(std::string_view name);

// The layout above.
namespace hostcheck_memory {
inline constexpr uint64_t kBase = 0x10000;
inline constexpr uint64_t kLength = 0x10000;
inline constexpr uint64_t kArgs = 0x10000;
inline constexpr uint64_t kHole = 0x13000;
inline constexpr uint64_t kReadOnly = 0x14000;
inline constexpr uint64_t kPidfd = 0x15000;
inline constexpr uint64_t kParentTid = 0x15004;
inline constexpr uint64_t kChildTid = 0x15008;
inline constexpr uint64_t kSetTid = 0x15100;
inline constexpr uint64_t kStack = 0x16000;
inline constexpr uint64_t kUserDesc = 0x17800;
inline constexpr uint64_t kWaitStatus = 0x17ff0;
inline constexpr uint64_t kPage = 0x1000;
inline constexpr uint32_t kUnwritten = 0xdeadbeef;
// TASK_SIZE_MAX with 4-level paging (arch/x86/include/asm/page_64_types.h):
// where user space ends for both ABIs on an x86-64 kernel.
inline constexpr uint64_t kTaskSizeMax = 0x7ffffffff000ull;
}  // namespace hostcheck_memory

// The three words every case reports, in this order.
inline constexpr std::array<uint64_t, 3> kObservedWords = {
    hostcheck_memory::kPidfd, hostcheck_memory::kParentTid,
    hostcheck_memory::kChildTid};
inline constexpr std::array<std::string_view, 3> kObservedWordNames = {
    "pidfd", "parent_tid", "child_tid"};

// How the caller waits for the child before the words are read, so that a
// CLONE_CHILD_CLEARTID write is never raced.
enum class Reap : uint8_t {
  kWait,     // wait4(child, __WALL): it is the caller's child
  kThread,   // CLONE_THREAD: until the thread is gone, then a WNOHANG wait4
  kSibling,  // CLONE_PARENT: until it is a zombie, then a WNOHANG wait4
};

struct MemWrite {
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
};

struct HostCase {
  Family family = Family::kClone;
  Abi abi = Abi::kX86_64;
  uint64_t index = 0;
  Sysno sysno = Sysno::kClone;
  uint32_t nr = 0;
  // The six argument registers in the ABI's order (32-bit values on ia32).
  std::array<uint64_t, 6> args{};
  // The caller is the init of a new pid namespace (unshare(CLONE_NEWPID) and
  // fork() on the host, clone(CLONE_NEWPID) in the model).
  bool pidns = false;
  // The caller's own cgroup v2 directory is open at fd 3 (CLONE_INTO_CGROUP).
  bool cgroup_fd = false;
  Reap reap = Reap::kWait;
  std::vector<MemWrite> writes;  // in order, before the call
  // Which of kObservedWords holds a pidfd after a successful call (its
  // close-on-exec flag is reported), or -1.
  int pidfd_word = -1;
  // Namespaces, a pid namespace, set_tid or a cgroup: needs CAP_SYS_ADMIN.
  bool privileged = false;
  std::string what;  // "flags=CLONE_VM|SIGCHLD parent_tid=hole"

  // "clone3/ia32/123"
  std::string Id() const;
};

// Clone3Field()
//
// The u64 at `offset` of the struct clone_args a clone3 case writes, or
// nullopt (no struct written there).
std::optional<uint64_t> Clone3Field(const HostCase& c, size_t offset);

// SetTid0()
//
// The first set_tid value a case writes, or nullopt.
std::optional<uint32_t> SetTid0(const HostCase& c);

// The registers of a case as the executor wants them: "NR A0 ... A5".
std::string RegisterLine(const HostCase& c);

// ExecutorInput()
//
// The case in the executor's input language (sim/hostcheck/executor).
std::string ExecutorInput(const HostCase& c);

// ExplainCommand()
//
// The `forksim explain` command that walks the model through the case.
std::string ExplainCommand(const HostCase& c, std::string_view profile);

// MakeCase()
//
// Case `index` of `family` on `abi`: the systematic cases first (the same for
// every seed), then seeded random ones.
HostCase MakeCase(uint64_t seed, Family family, Abi abi, uint64_t index);

// How many systematic cases a family has on an ABI.
uint64_t SystematicCount(Family family, Abi abi);

// The corpus: which (family, index) pairs a run of `total` cases over
// `families` is made of. Each family gets its share (clone 58%, clone3 40%,
// fork and vfork 2%, when all run), from index 0 up.
struct CorpusEntry {
  Family family;
  uint64_t index;
};
std::vector<CorpusEntry> Corpus(const std::vector<Family>& families,
                                uint64_t total);

}  // namespace forksim

#endif  // FORKSIM_SIM_HOSTCHECK_CASE_H_

// -----------------------------------------------------------------------------
// File: model/uaccess/user_memory.h
// -----------------------------------------------------------------------------
//
// Simulated user memory: the address space of one mm, and the kernel's
// accessors for it with the kernel's rules.
//
// The address space is sparse and page-granular (4096 bytes); each page has
// read and write permission. Pages are copy-on-write between a UserMemory and
// its Fork(), so dup_mm() of a large space is cheap and deterministic.
//
// Kernel-side accessors, as in [5.2]:
//   - access_ok(addr, size): addr + size <= the ABI's user address limit,
//     without wraparound in the kernel's word (arch/x86/include/asm/uaccess.h:
//     43-95). Page 0 is never mapped (mmap_min_addr), so NULL faults.
//   - get_user / put_user of 1, 2, 4, 8 bytes: one instruction (or, for
//     get_user_8 on i386, two loads whose failure zeroes the value,
//     arch/x86/lib/getuser.S:99-132), so all or nothing: a fault leaves memory
//     untouched and the value 0.
//   - copy_from_user / copy_to_user return the number of bytes NOT copied. A
//     copy that runs into an unmapped or forbidden page copies up to it
//     (copy_user_handle_tail); copy_from_user zeroes the destination's tail
//     (lib/usercopy.c:7-18).
// Every access is counted (operations, bytes, faults) so that benchmarks and
// traces can report what a marshalling path cost without timing it.

#ifndef FORKSIM_MODEL_UACCESS_USER_MEMORY_H_
#define FORKSIM_MODEL_UACCESS_USER_MEMORY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/errno.h"

namespace forksim {

inline constexpr uint64_t kPageSize = 4096;

enum Prot : uint8_t {
  kProtNone = 0,
  kProtRead = 1,
  kProtWrite = 2,
  kProtReadWrite = 3,
};

// Counters of kernel-side accesses. A "fault" is an access that failed for any
// reason (access_ok, unmapped page, or permission).
struct UaccessStats {
  uint64_t ops = 0;
  uint64_t bytes = 0;  // bytes actually transferred
  uint64_t faults = 0;

  friend bool operator==(const UaccessStats&, const UaccessStats&) = default;
};

// A mapped range, for reports.
struct Mapping {
  uint64_t start;
  uint64_t end;  // exclusive
  Prot prot;
};

class UserMemory {
 public:
  // `addr_limit` is the ABI's access_ok() limit; `kernel_long_bits` is 32 or
  // 64, the width in which access_ok() adds addr and size.
  UserMemory(uint64_t addr_limit, uint32_t kernel_long_bits);

  UserMemory(const UserMemory&) = delete;
  UserMemory& operator=(const UserMemory&) = delete;

  // Fork()
  //
  // A copy of the mappings and contents, sharing pages copy-on-write: the
  // model of dup_mm()'s copy of the address space (kernel/fork.c:1330 [5.2]).
  // Counters start at zero.
  std::unique_ptr<UserMemory> Fork() const;

  // --- Host side (scenario set-up, reports). Errors are host errors. ---

  // Maps [addr, addr + len) with `prot`; both must be page-aligned, inside the
  // user range, above page 0, and not overlap an existing mapping.
  absl::Status Map(uint64_t addr, uint64_t len, Prot prot);
  absl::Status Protect(uint64_t addr, uint64_t len, Prot prot);
  absl::Status Unmap(uint64_t addr, uint64_t len);
  // Reads or writes mapped memory regardless of permission (not counted).
  absl::StatusOr<std::vector<uint8_t>> Peek(uint64_t addr, uint64_t len) const;
  absl::Status Poke(uint64_t addr, std::span<const uint8_t> bytes);
  std::vector<Mapping> Mappings() const;
  bool IsMapped(uint64_t addr) const;
  // Calls f(page address, its bytes) for every page that has been written,
  // in address order (unwritten pages read as zeros).
  void ForEachWrittenPage(
      const std::function<void(uint64_t, std::span<const uint8_t>)>& f) const;

  // --- Kernel side: the uaccess API, counted. ---

  // access_ok(addr, size) as the kernel computes it.
  bool AccessOk(uint64_t addr, uint64_t size) const;

  // get_user(): reads `size` (1, 2, 4 or 8) bytes little-endian. On EFAULT
  // *value is 0.
  SysStatus GetUser(uint64_t addr, uint32_t size, uint64_t* value);
  // put_user(): writes the low `size` bytes of value; all or nothing.
  SysStatus PutUser(uint64_t addr, uint32_t size, uint64_t value);
  // copy_from_user(): returns the number of bytes not copied; the tail of
  // `dst` that was not copied is zeroed.
  size_t CopyFromUser(std::span<uint8_t> dst, uint64_t src);
  // copy_to_user(): returns the number of bytes not copied.
  size_t CopyToUser(uint64_t dst, std::span<const uint8_t> src);

  const UaccessStats& stats() const { return stats_; }
  void ResetStats() { stats_ = {}; }
  uint64_t addr_limit() const { return addr_limit_; }

 private:
  using PageData = std::array<uint8_t, kPageSize>;
  struct Page {
    Prot prot = kProtNone;
    // Null until first written (reads as zeros); shared copy-on-write.
    std::shared_ptr<PageData> data;
  };

  // The page with this index, or nullptr (through the last-page cache).
  const Page* LookupPage(uint64_t index) const;
  // The page holding `addr` if it allows `need`, else nullptr.
  const Page* FindPage(uint64_t addr, Prot need) const;
  Page* FindWritablePage(uint64_t addr);
  // Bytes from `addr` that can be accessed with `need` before the first
  // inaccessible byte, capped at `len`.
  uint64_t AccessibleRun(uint64_t addr, uint64_t len, Prot need) const;
  void ReadBytes(uint64_t addr, uint8_t* out, uint64_t len) const;
  void WriteBytes(uint64_t addr, const uint8_t* in, uint64_t len);
  void Count(uint64_t bytes, bool fault);
  absl::Status CheckRange(uint64_t addr, uint64_t len) const;

  uint64_t addr_limit_;
  uint32_t kernel_long_bits_;
  // Ordered by page number: iteration order is deterministic.
  std::map<uint64_t, Page> pages_;
  mutable uint64_t cached_index_ = 0;
  mutable const Page* cached_page_ = nullptr;
  UaccessStats stats_;
};

}  // namespace forksim

#endif  // FORKSIM_MODEL_UACCESS_USER_MEMORY_H_

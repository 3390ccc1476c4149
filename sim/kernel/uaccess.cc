// The kernel's access to user memory, arch/x86/include/asm/uaccess.h and
// lib/usercopy.c [5.2], on the task's simulated address space
// (model/uaccess/user_memory.h), each access recorded for the trace.

#include <algorithm>
#include <vector>

#include "model/abi/layout.h"
#include "sim/kernel/core.h"

namespace forksim {

void KernelCore::RecordAccess(EventKind kind, const Task* task,
                              std::string_view access, std::string_view field,
                              uint64_t addr, size_t size,
                              std::span<const uint8_t> bytes) {
  Event e;
  e.kind = kind;
  e.access = std::string(access);
  e.field = std::string(field);
  e.addr = addr;
  e.value = static_cast<int64_t>(size);
  e.bytes.assign(bytes.begin(), bytes.end());
  Record(task, std::move(e));
}

SysStatus KernelCore::GetUser(Task* task, uint64_t addr, uint32_t size,
                              uint64_t* value, std::string_view field) {
  *value = 0;
  const SysStatus status = task->mm != nullptr
                               ? task->mm->memory->GetUser(addr, size, value)
                               : SysStatus(Errno::kEFAULT);
  if (tracing_) {
    std::vector<uint8_t> bytes;
    if (status.ok()) {
      bytes.resize(size);
      StoreLittleEndian(bytes.data(), size, *value);
    }
    RecordAccess(status.ok() ? EventKind::kRead : EventKind::kFault, task,
                 "get_user", field, addr, size, bytes);
  }
  return status;
}

SysStatus KernelCore::PutUser(Task* task, uint64_t addr, uint32_t size,
                              uint64_t value, std::string_view field) {
  const SysStatus status = task->mm != nullptr
                               ? task->mm->memory->PutUser(addr, size, value)
                               : SysStatus(Errno::kEFAULT);
  if (tracing_) {
    std::vector<uint8_t> bytes(size);
    StoreLittleEndian(bytes.data(), size, value);
    RecordAccess(status.ok() ? EventKind::kWrite : EventKind::kFault, task,
                 "put_user", field, addr, size, bytes);
  }
  return status;
}

KernelCore::Scan KernelCore::ScanUserForZero(Task* task, uint64_t addr,
                                             uint64_t len, uint32_t unit,
                                             std::string_view access,
                                             std::string_view field) {
  const uint64_t first = addr & ~static_cast<uint64_t>(unit - 1);
  const uint64_t end = addr + len;
  std::vector<uint8_t> loaded;  // for the trace only
  Scan result = Scan::kZero;
  uint64_t loads = 0;
  for (uint64_t at = first; at < end; at += unit) {
    uint64_t value = 0;
    ++loads;
    if (task->mm == nullptr ||
        !task->mm->memory->GetUser(at, unit, &value).ok()) {
      result = Scan::kFault;
      break;
    }
    if (tracing_) {
      const size_t before = loaded.size();
      loaded.resize(before + unit);
      StoreLittleEndian(loaded.data() + before, unit, value);
    }
    // The bytes of the load outside [addr, end) are masked off
    // (check_zeroed_user()'s aligned_byte_mask()).
    for (uint32_t i = 0; i < unit; ++i) {
      if (at + i < addr || at + i >= end) value &= ~(uint64_t{0xff} << (8 * i));
    }
    if (value != 0) {
      result = Scan::kNonzero;
      break;
    }
  }
  if (tracing_) {
    RecordAccess(result == Scan::kFault ? EventKind::kFault : EventKind::kRead,
                 task, absl::StrFormat("%s x%d", access, loads), field, first,
                 loaded.size(), loaded);
  }
  return result;
}

size_t KernelCore::CopyFromUser(Task* task, std::span<uint8_t> dst,
                                uint64_t src, std::string_view field) {
  size_t not_copied = dst.size();
  if (task->mm != nullptr) {
    not_copied = task->mm->memory->CopyFromUser(dst, src);
  } else {
    std::fill(dst.begin(), dst.end(), 0);
  }
  if (tracing_) {
    RecordAccess(not_copied == 0 ? EventKind::kRead : EventKind::kFault, task,
                 "copy_from_user", field, src, dst.size(),
                 dst.first(dst.size() - not_copied));
  }
  return not_copied;
}

size_t KernelCore::CopyToUser(Task* task, uint64_t dst,
                              std::span<const uint8_t> src,
                              std::string_view field) {
  const size_t not_copied =
      task->mm != nullptr ? task->mm->memory->CopyToUser(dst, src) : src.size();
  if (tracing_) {
    RecordAccess(not_copied == 0 ? EventKind::kWrite : EventKind::kFault, task,
                 "copy_to_user", field, dst, src.size(),
                 src.first(src.size() - not_copied));
  }
  return not_copied;
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: model/kernel/idr.h
// -----------------------------------------------------------------------------
//
// The part of lib/idr.c that pid allocation uses [5.2]: ids mapped to
// pointers, a NULL entry still counting as taken, and idr_alloc_cyclic() with
// its cursor (idr_next): lib/idr.c:idr_alloc_cyclic() [5.2], lines 117-135,
// as kernel/pid.c:alloc_pid() [5.2] calls it.
//
// Ids are kept in an ordered map, so lookups and scans are deterministic.

#ifndef FORKSIM_MODEL_KERNEL_IDR_H_
#define FORKSIM_MODEL_KERNEL_IDR_H_

#include <climits>
#include <cstdint>
#include <map>

#include "model/errno.h"

namespace forksim {

template <typename T>
class Idr {
 public:
  // idr_alloc_cyclic(idr, ptr, start, end) (lib/idr.c:117-135 [5.2]): the
  // lowest free id in [max(next, start), end - 1], else wrapping to search
  // [start, end - 1]; next becomes id + 1. ENOSPC when both searches fail.
  SysResult<int> AllocCyclic(T* ptr, int start, int end) {
    const int max = end > 0 ? end - 1 : INT_MAX;
    int id = static_cast<int>(next_);
    if (id < start) id = start;
    int found = LowestFree(id, max);
    if (found < 0 && id > start) found = LowestFree(start, max);
    if (found < 0) return Errno::kENOSPC;
    entries_[found] = ptr;
    next_ = static_cast<uint32_t>(found) + 1;
    return found;
  }

  // idr_alloc(idr, ptr, start, end) (lib/idr.c:idr_alloc()): the lowest
  // free id in [start, end - 1]; the cursor does not move. ENOSPC if none.
  SysResult<int> Alloc(T* ptr, int start, int end) {
    const int found = LowestFree(start, end > 0 ? end - 1 : INT_MAX);
    if (found < 0) return Errno::kENOSPC;
    entries_[found] = ptr;
    return found;
  }

  // idr_replace(): the id must be present.
  void Replace(int id, T* ptr) { entries_.at(id) = ptr; }
  void Remove(int id) { entries_.erase(id); }
  bool Contains(int id) const { return entries_.count(id) != 0; }
  // idr_find(): nullptr for an absent id and for a NULL (reserved) entry.
  T* Find(int id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second;
  }

  uint32_t next() const { return next_; }
  void set_next(uint32_t next) { next_ = next; }
  const std::map<int, T*>& entries() const { return entries_; }

 private:
  // The lowest id in [from, max] not present, or -1.
  int LowestFree(int from, int max) const {
    if (from > max) return -1;
    int candidate = from;
    for (auto it = entries_.lower_bound(from);
         it != entries_.end() && it->first == candidate; ++it) {
      if (candidate == max) return -1;
      ++candidate;
    }
    return candidate;
  }

  std::map<int, T*> entries_;
  uint32_t next_ = 0;  // idr->idr_next
};

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_IDR_H_

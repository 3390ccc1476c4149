// -----------------------------------------------------------------------------
// File: model/kernel/ids.h
// -----------------------------------------------------------------------------
//
// Distinct id types, so that a thread id, a thread-group id and a number seen
// from inside a pid namespace cannot be mixed up: that mix-up is the classic
// fork-internals bug.
//
//   Tid   task->pid: the task's global (level 0) number
//   Tgid  task->tgid: the global number of its thread-group leader
//   VNr   a pid number as one pid namespace sees it (struct upid.nr; what
//         pid_vnr() returns to a caller, 0 when invisible)

#ifndef FORKSIM_MODEL_KERNEL_IDS_H_
#define FORKSIM_MODEL_KERNEL_IDS_H_

#include <compare>
#include <cstdint>

namespace forksim {

template <typename Tag>
struct StrongId {
  int32_t value = 0;

  constexpr StrongId() = default;
  constexpr explicit StrongId(int32_t v) : value(v) {}
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

using Tid = StrongId<struct TidTag>;
using Tgid = StrongId<struct TgidTag>;
using VNr = StrongId<struct VNrTag>;

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_IDS_H_

// -----------------------------------------------------------------------------
// File: model/kernel/fault.h
// -----------------------------------------------------------------------------
//
// Fault injection in the style of /proc/self/fail-nth: the n-th failure point
// reached from now fails with that point's errno. Every allocation and every
// fallible step of the model calls Check() with its name and the errno the
// kernel would return there, so a sweep n = 1, 2, ... walks every failure path
// of a syscall in kernel order.
//
// Unlike the kernel's fail-nth, which counts slab allocations only, forksim
// counts every named failure point (an LSM hook, cgroup_can_fork, ...), so
// that steps without state in the model can still be failed.

#ifndef FORKSIM_MODEL_KERNEL_FAULT_H_
#define FORKSIM_MODEL_KERNEL_FAULT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "model/errno.h"

namespace forksim {

class FaultInjector {
 public:
  // FailNth()
  //
  // Arms the injector: the n-th Check() from now fails (n >= 1). n = 0 disarms.
  void FailNth(uint32_t n) {
    remaining_ = n;
    injected_.clear();
  }

  // Check()
  //
  // A failure point. Returns `error` if this is the armed n-th point.
  SysStatus Check(std::string_view point, Errno error) {
    ++points_reached_;
    if (remaining_ == 0) return SysOk();
    if (--remaining_ != 0) return SysOk();
    injected_ = std::string(point);
    return error;
  }

  // The same for a point named by a kernel function and a label within it
  // ("kernel/fork.c:copy_process() signal_pending"); the name is built only
  // when the point fails.
  SysStatus Check(std::string_view function, std::string_view label,
                  Errno error) {
    ++points_reached_;
    if (remaining_ == 0) return SysOk();
    if (--remaining_ != 0) return SysOk();
    injected_ = std::string(function);
    if (!label.empty()) injected_ += " " + std::string(label);
    return error;
  }

  // Suspend()
  //
  // Until the returned guard goes away, no point fails and none is counted:
  // for set-up from outside the kernel, which fail_nth must not reach.
  class [[nodiscard]] Suspended {
   public:
    explicit Suspended(FaultInjector& f)
        : f_(f), remaining_(f.remaining_), reached_(f.points_reached_) {
      f_.remaining_ = 0;
    }
    ~Suspended() {
      f_.remaining_ = remaining_;
      f_.points_reached_ = reached_;
    }
    Suspended(const Suspended&) = delete;
    Suspended& operator=(const Suspended&) = delete;

   private:
    FaultInjector& f_;
    uint32_t remaining_;
    uint64_t reached_;
  };
  Suspended Suspend() { return Suspended(*this); }

  bool armed() const { return remaining_ != 0; }
  // The point that was failed, or "" if none was reached.
  const std::string& injected() const { return injected_; }
  uint64_t points_reached() const { return points_reached_; }

 private:
  uint32_t remaining_ = 0;
  std::string injected_;
  uint64_t points_reached_ = 0;
};

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_FAULT_H_

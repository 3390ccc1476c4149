// -----------------------------------------------------------------------------
// File: model/errno.h
// -----------------------------------------------------------------------------
//
// The simulated kernel's error type. A syscall that fails returns one of these
// values; it becomes `-errno` in the return register at exactly one boundary
// (SyscallOutcome::ReturnValue(), sim/kernel/outcome.h). `absl::Status` is
// never used for syscall errors: it folds EINVAL, E2BIG and EFAULT into one
// code, and clone3 must tell them apart.
//
// Values are the x86 ones from include/uapi/asm-generic/errno-base.h and
// errno.h [5.2]; ERESTARTNOINTR is kernel-internal (include/linux/errno.h).

#ifndef FORKSIM_MODEL_ERRNO_H_
#define FORKSIM_MODEL_ERRNO_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

namespace forksim {

enum class Errno : int32_t {
  kEPERM = 1,
  kENOENT = 2,
  kESRCH = 3,
  kEINTR = 4,
  kE2BIG = 7,
  kEBADF = 9,
  kECHILD = 10,
  kEAGAIN = 11,
  kENOMEM = 12,
  kEACCES = 13,
  kEFAULT = 14,
  kEBUSY = 16,
  kEEXIST = 17,
  kENODEV = 19,
  kEINVAL = 22,
  kENFILE = 23,
  kEMFILE = 24,
  kENOSPC = 28,
  kENOSYS = 38,
  kEOPNOTSUPP = 95,
  kEUSERS = 87,
  // Kernel-internal: the syscall is restarted and userspace never sees it.
  kERESTARTNOINTR = 513,
};

// ErrnoName()
//
// The symbolic name, as strace prints it: "EINVAL". Unknown values give "".
std::string_view ErrnoName(Errno e);

// ErrnoMessage()
//
// strerror()'s text, as strace prints it after the name: "Invalid argument".
std::string_view ErrnoMessage(Errno e);

// ErrnoFromName()
//
// The inverse of ErrnoName(); returns false for an unknown name.
bool ErrnoFromName(std::string_view name, Errno* out);

inline constexpr int32_t ErrnoValue(Errno e) { return static_cast<int32_t>(e); }

// SysResult<T>
//
// A syscall-level result: a value or an Errno. Kept deliberately small; it is
// on the hot path of copy_process and uaccess.
template <typename T>
class [[nodiscard]] SysResult {
 public:
  SysResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  SysResult(Errno error) : v_(error) {}         // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  Errno error() const { return std::get<Errno>(v_); }

 private:
  std::variant<T, Errno> v_;
};

// SysStatus
//
// A syscall-level success or Errno, for steps that produce no value.
class [[nodiscard]] SysStatus {
 public:
  constexpr SysStatus() = default;
  constexpr SysStatus(Errno error) : error_(error) {}  // NOLINT: implicit

  constexpr bool ok() const { return error_ == Errno{}; }
  constexpr Errno error() const { return error_; }

 private:
  Errno error_{};
};

inline constexpr SysStatus SysOk() { return SysStatus(); }

}  // namespace forksim

// FORKSIM_TRY(expr)
//
// Evaluates a SysStatus or SysResult expression and returns its Errno from the
// enclosing function if it failed.
#define FORKSIM_TRY(expr)                               \
  do {                                                  \
    if (auto forksim_try_ = (expr); !forksim_try_.ok()) \
      return forksim_try_.error();                      \
  } while (false)

// FORKSIM_ASSIGN_OR_RETURN(lhs, expr)
//
// Evaluates a SysResult expression; on failure returns its Errno from the
// enclosing function, otherwise moves the value into `lhs` (a declaration
// or an lvalue):
//
//   FORKSIM_ASSIGN_OR_RETURN(Pid* pid, AllocPid(m, ns));
#define FORKSIM_ASSIGN_OR_RETURN(lhs, expr)                                  \
  FORKSIM_ASSIGN_OR_RETURN_IMPL_(FORKSIM_CONCAT_(forksim_r_, __LINE__), lhs, \
                                 expr)
#define FORKSIM_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                   \
  if (!result.ok()) return result.error();                \
  lhs = std::move(result).value()
#define FORKSIM_CONCAT_(a, b) FORKSIM_CONCAT_INNER_(a, b)
#define FORKSIM_CONCAT_INNER_(a, b) a##b

#endif  // FORKSIM_MODEL_ERRNO_H_

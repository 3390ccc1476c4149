#include "model/errno.h"

#include <array>

namespace forksim {
namespace {

struct ErrnoInfo {
  Errno value;
  std::string_view name;
  std::string_view message;
};

// Messages are glibc's strerror() texts, which strace prints.
constexpr std::array kErrnos = {
    ErrnoInfo{Errno::kEPERM, "EPERM", "Operation not permitted"},
    ErrnoInfo{Errno::kENOENT, "ENOENT", "No such file or directory"},
    ErrnoInfo{Errno::kESRCH, "ESRCH", "No such process"},
    ErrnoInfo{Errno::kEINTR, "EINTR", "Interrupted system call"},
    ErrnoInfo{Errno::kE2BIG, "E2BIG", "Argument list too long"},
    ErrnoInfo{Errno::kEBADF, "EBADF", "Bad file descriptor"},
    ErrnoInfo{Errno::kECHILD, "ECHILD", "No child processes"},
    ErrnoInfo{Errno::kEAGAIN, "EAGAIN", "Resource temporarily unavailable"},
    ErrnoInfo{Errno::kENOMEM, "ENOMEM", "Cannot allocate memory"},
    ErrnoInfo{Errno::kEACCES, "EACCES", "Permission denied"},
    ErrnoInfo{Errno::kEFAULT, "EFAULT", "Bad address"},
    ErrnoInfo{Errno::kEBUSY, "EBUSY", "Device or resource busy"},
    ErrnoInfo{Errno::kEEXIST, "EEXIST", "File exists"},
    ErrnoInfo{Errno::kENODEV, "ENODEV", "No such device"},
    ErrnoInfo{Errno::kEINVAL, "EINVAL", "Invalid argument"},
    ErrnoInfo{Errno::kENFILE, "ENFILE", "Too many open files in system"},
    ErrnoInfo{Errno::kEMFILE, "EMFILE", "Too many open files"},
    ErrnoInfo{Errno::kENOSPC, "ENOSPC", "No space left on device"},
    ErrnoInfo{Errno::kENOSYS, "ENOSYS", "Function not implemented"},
    ErrnoInfo{Errno::kEOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"},
    ErrnoInfo{Errno::kEUSERS, "EUSERS", "Too many users"},
    ErrnoInfo{Errno::kERESTARTNOINTR, "ERESTARTNOINTR", "To be restarted"},
};

const ErrnoInfo* Find(Errno e) {
  for (const ErrnoInfo& info : kErrnos) {
    if (info.value == e) return &info;
  }
  return nullptr;
}

}  // namespace

std::string_view ErrnoName(Errno e) {
  const ErrnoInfo* info = Find(e);
  return info ? info->name : std::string_view();
}

std::string_view ErrnoMessage(Errno e) {
  const ErrnoInfo* info = Find(e);
  return info ? info->message : std::string_view();
}

bool ErrnoFromName(std::string_view name, Errno* out) {
  for (const ErrnoInfo& info : kErrnos) {
    if (info.name == name) {
      *out = info.value;
      return true;
    }
  }
  return false;
}

}  // namespace forksim

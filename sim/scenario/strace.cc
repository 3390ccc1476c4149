#include "sim/scenario/strace.h"

#include <array>
#include <optional>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"
#include "model/kernel/constants.h"
#include "sim/kernel/syscalls.h"

namespace forksim {
namespace {

struct FlagName {
  uint64_t bit;
  std::string_view name;
};

// strace's src/xlat/clone_flags.in order (by value); CLONE_DETACHED is
// printed too, since forksim's RFC cases care about it.
constexpr FlagName kCloneFlags[] = {
    {kCloneVm, "CLONE_VM"},
    {kCloneFs, "CLONE_FS"},
    {kCloneFiles, "CLONE_FILES"},
    {kCloneSighand, "CLONE_SIGHAND"},
    {kClonePidfd, "CLONE_PIDFD"},
    {kClonePtrace, "CLONE_PTRACE"},
    {kCloneVfork, "CLONE_VFORK"},
    {kCloneParent, "CLONE_PARENT"},
    {kCloneThread, "CLONE_THREAD"},
    {kCloneNewns, "CLONE_NEWNS"},
    {kCloneSysvsem, "CLONE_SYSVSEM"},
    {kCloneSettls, "CLONE_SETTLS"},
    {kCloneParentSettid, "CLONE_PARENT_SETTID"},
    {kCloneChildCleartid, "CLONE_CHILD_CLEARTID"},
    {kCloneDetached, "CLONE_DETACHED"},
    {kCloneUntraced, "CLONE_UNTRACED"},
    {kCloneChildSettid, "CLONE_CHILD_SETTID"},
    {kCloneNewcgroup, "CLONE_NEWCGROUP"},
    {kCloneNewuts, "CLONE_NEWUTS"},
    {kCloneNewipc, "CLONE_NEWIPC"},
    {kCloneNewuser, "CLONE_NEWUSER"},
    {kCloneNewpid, "CLONE_NEWPID"},
    {kCloneNewnet, "CLONE_NEWNET"},
    {kCloneIo, "CLONE_IO"},
};

constexpr std::string_view kSignals[] = {
    "",        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP",
    "SIGABRT", "SIGBUS",  "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV",
    "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT", "SIGCHLD",
    "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",   "SIGURG",
    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
    "SIGPWR",  "SIGSYS"};

std::string Pointer(uint64_t value) {
  return value == 0 ? "NULL" : absl::StrFormat("%#x", value);
}

std::optional<uint64_t> ReadInt(const Mm* mm, uint64_t addr, uint32_t size) {
  if (mm == nullptr) return std::nullopt;
  auto bytes = mm->memory->Peek(addr, size);
  if (!bytes.ok()) return std::nullopt;
  return LoadLittleEndian(bytes->data(), size);
}

// `[N]` for an int at addr, as strace dereferences out-values.
std::string OutInt(const Mm* mm, uint64_t addr) {
  std::optional<uint64_t> v = ReadInt(mm, addr, 4);
  if (!v) return Pointer(addr);
  return absl::StrFormat("[%d]", static_cast<int32_t>(*v));
}

uint64_t Arg(const DecodedSyscall& d, std::string_view name) {
  for (size_t i = 0; i < d.signature->params.size(); ++i) {
    if (d.signature->params[i].name == name) return d.arg(static_cast<int>(i));
  }
  return 0;
}

std::string UserDesc(Abi abi, const Mm* mm, uint64_t addr) {
  const StructLayout& layout = LayoutFor(StructId::kUserDesc, abi);
  if (mm == nullptr) return Pointer(addr);
  auto bytes = mm->memory->Peek(addr, layout.size);
  if (!bytes.ok()) return Pointer(addr);
  const StructValue v = DecodeStruct(layout, *bytes);
  return absl::StrFormat(
      "{entry_number=%d, base_addr=%#010x, limit=%#07x, seg_32bit=%d, "
      "contents=%d, read_exec_only=%d, limit_in_pages=%d, "
      "seg_not_present=%d, useable=%d}",
      *v.Get("entry_number"), *v.Get("base_addr"), *v.Get("limit"),
      *v.Get("seg_32bit"), *v.Get("contents"), *v.Get("read_exec_only"),
      *v.Get("limit_in_pages"), *v.Get("seg_not_present"), *v.Get("useable"));
}

std::string FormatClone(Abi abi, const DecodedSyscall& d, const Mm* mm,
                        bool exited) {
  const uint64_t flags = Arg(d, "clone_flags");
  std::string out =
      absl::StrFormat("clone(child_stack=%s, flags=%s",
                      Pointer(Arg(d, "newsp")), FormatCloneFlags(flags));
  // strace prints the out-pointers in the ABI's register order.
  for (const SyscallParam& param : d.signature->params) {
    if (param.name == "parent_tidptr" &&
        (flags & (kCloneParentSettid | kClonePidfd))) {
      absl::StrAppendFormat(&out, ", parent_tid=%s",
                            exited ? OutInt(mm, Arg(d, "parent_tidptr"))
                                   : Pointer(Arg(d, "parent_tidptr")));
    } else if (param.name == "tls" && (flags & kCloneSettls)) {
      absl::StrAppendFormat(&out, ", tls=%s",
                            AbiInfoFor(abi).tls_kind == TlsKind::kUserDesc
                                ? UserDesc(abi, mm, Arg(d, "tls"))
                                : Pointer(Arg(d, "tls")));
    } else if (param.name == "child_tidptr" &&
               (flags & (kCloneChildSettid | kCloneChildCleartid))) {
      absl::StrAppendFormat(&out, ", child_tidptr=%s",
                            Pointer(Arg(d, "child_tidptr")));
    }
  }
  return out + ")";
}

std::string FormatClone6(Abi abi, const DecodedSyscall& d, const Mm* mm,
                         bool exited) {
  const uint64_t uargs = d.arg(0);
  const uint64_t flags = d.arg(1);
  const StructLayout& layout = LayoutFor(StructId::kClone6Args, abi);
  std::string st = Pointer(uargs);
  if (mm != nullptr && uargs != 0) {
    auto bytes = mm->memory->Peek(uargs, layout.size);
    if (bytes.ok()) {
      const StructValue v = DecodeStruct(layout, *bytes);
      st = absl::StrFormat("{stack=%s", Pointer(*v.Get("stack")));
      if (flags & (kCloneChildSettid | kCloneChildCleartid)) {
        absl::StrAppendFormat(&st, ", child_tidptr=%s",
                              Pointer(*v.Get("child_tidptr")));
      }
      if (flags & kCloneParentSettid) {
        absl::StrAppendFormat(&st, ", parent_tidptr=%s",
                              Pointer(*v.Get("parent_tidptr")));
      }
      if (flags & kCloneSettls) {
        absl::StrAppendFormat(&st, ", tls=%s",
                              AbiInfoFor(abi).tls_kind == TlsKind::kUserDesc
                                  ? UserDesc(abi, mm, *v.Get("tls"))
                                  : Pointer(*v.Get("tls")));
      }
      st += "}";
      if (exited && (flags & kClonePidfd)) {
        absl::StrAppendFormat(&st, " => {pidfd=[%d]}",
                              static_cast<int32_t>(*v.Get("pidfd")));
      }
    }
  }
  return absl::StrFormat("clone6(%s, %s, %#x, %#x, %#x, %#x)", st,
                         FormatCloneFlags(flags), d.arg(2), d.arg(3), d.arg(4),
                         d.arg(5));
}

}  // namespace

std::string SignalName(int sig) {
  if (sig > 0 && sig < static_cast<int>(std::size(kSignals))) {
    return std::string(kSignals[sig]);
  }
  if (sig >= 32 && sig <= 64) return absl::StrFormat("SIGRT_%d", sig - 32);
  return absl::StrFormat("%d", sig);
}

std::string FormatCloneFlags(uint64_t flags) {
  std::string out;
  uint64_t rest = flags & ~kCsignal;
  for (const FlagName& f : kCloneFlags) {
    if (rest & f.bit) {
      if (!out.empty()) out += "|";
      out += f.name;
      rest &= ~f.bit;
    }
  }
  const int sig = static_cast<int>(flags & kCsignal);
  if (sig != 0) {
    if (!out.empty()) out += "|";
    out += SignalName(sig);
  }
  if (rest != 0) {
    if (!out.empty()) out += "|";
    absl::StrAppendFormat(&out, "%#x", rest);
  }
  return out.empty() ? "0" : out;
}

std::string FormatSyscall(Abi abi, const DecodedSyscall& d, const Mm* memory,
                          bool exited) {
  const std::string_view name = d.signature->name;
  if (name == "clone") return FormatClone(abi, d, memory, exited);
  if (name == "clone6") return FormatClone6(abi, d, memory, exited);
  std::string out = std::string(name) + "(";
  for (size_t i = 0; i < d.signature->params.size(); ++i) {
    if (i > 0) out += ", ";
    const SyscallParam& param = d.signature->params[i];
    const uint64_t v = d.arg(static_cast<int>(i));
    if (name == "wait4" && param.name == "stat_addr" && exited && v != 0) {
      out += OutInt(memory, v);
    } else if (param.type == ArgType::kPtr) {
      out += Pointer(v);
    } else if (param.type == ArgType::kInt || param.type == ArgType::kLong) {
      absl::StrAppendFormat(&out, "%d", static_cast<int64_t>(v));
    } else {
      absl::StrAppendFormat(&out, "%u", v);
    }
  }
  return out + ")";
}

std::string FormatResult(const std::string& call, int64_t result) {
  std::string pad;
  if (call.size() < 39) pad.assign(39 - call.size(), ' ');
  if (result == kNoReturn) return pad + " = ?";
  if (result < 0 && result >= -4095) {
    const Errno e = static_cast<Errno>(-result);
    return absl::StrFormat("%s = -1 %s (%s)", pad, ErrnoName(e),
                           ErrnoMessage(e));
  }
  return absl::StrFormat("%s = %d", pad, result);
}

}  // namespace forksim

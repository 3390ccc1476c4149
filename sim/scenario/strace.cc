#include "sim/scenario/strace.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/abi/layout.h"
#include "model/kernel/constants.h"
#include "model/kernel/names.h"

namespace forksim {
namespace {

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

// The decoded argument named `name`. A name the signature does not have is
// a bug in this file, not in the input: it stops the program.
uint64_t Arg(const DecodedSyscall& d, std::string_view name) {
  for (size_t i = 0; i < d.signature->params.size(); ++i) {
    if (d.signature->params[i].name == name) return d.arg(static_cast<int>(i));
  }
  std::fprintf(stderr, "forksim: %s has no parameter '%.*s'\n",
               std::string(d.signature->name).c_str(),
               static_cast<int>(name.size()), name.data());
  std::abort();
}

std::string UserDesc(Abi abi, const Mm* mm, uint64_t addr) {
  const StructLayout& layout = LayoutFor(StructId::kUserDesc, abi);
  if (mm == nullptr) return Pointer(addr);
  auto bytes = mm->memory->Peek(addr, layout.size);
  if (!bytes.ok()) return Pointer(addr);
  const StructValue v = DecodeStruct(layout, *bytes);
  // strace's print_user_desc(): base_addr and limit zero-padded to eight
  // characters with "0x" ("%#0*x" of width 8), entry_number signed.
  return absl::StrFormat(
      "{entry_number=%d, base_addr=%#08x, limit=%#08x, seg_32bit=%d, "
      "contents=%d, read_exec_only=%d, limit_in_pages=%d, "
      "seg_not_present=%d, useable=%d}",
      static_cast<int32_t>(*v.Get("entry_number")), *v.Get("base_addr"),
      *v.Get("limit"), *v.Get("seg_32bit"), *v.Get("contents"),
      *v.Get("read_exec_only"), *v.Get("limit_in_pages"),
      *v.Get("seg_not_present"), *v.Get("useable"));
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

// strace's clone3 flags (src/clone.c, printflags_ex() over clone_flags and
// clone3_flags): the names in table order, so CLONE_NEWTIME comes after
// CLONE_IO; CLONE_DETACHED and the CSIGNAL bits have no name here.
std::string Clone3Flags(uint64_t flags) {
  if (flags == 0) return "0";
  std::string out;
  uint64_t rest = flags;
  auto take = [&](uint64_t bit, std::string_view name) {
    if ((rest & bit) == 0) return;
    if (!out.empty()) out += "|";
    out += name;
    rest &= ~bit;
  };
  for (const NamedValue& f : kCloneFlagNames) {
    if (f.value != kCloneDetached) take(f.value, f.name);
  }
  take(kCloneNewtime, "CLONE_NEWTIME");
  take(kCloneClearSighand, "CLONE_CLEAR_SIGHAND");
  take(kCloneIntoCgroup, "CLONE_INTO_CGROUP");
  if (rest == 0) return out;
  if (out.empty()) return absl::StrFormat("%#x /* CLONE_??? */", rest);
  return absl::StrFormat("%s|%#x", out, rest);
}

// strace's clone3 exit_signal: a name for 1-64 (SIGRTMIN for 32), else the
// whole u64 in decimal.
std::string Clone3Signal(uint64_t sig) {
  if (sig == 0) return "0";
  if (sig == static_cast<uint64_t>(kSigrtmin)) return "SIGRTMIN";
  if (sig <= static_cast<uint64_t>(kNsig)) {
    return SignalName(static_cast<int>(sig));
  }
  return absl::StrFormat("%u", sig);
}

// set_tid: an int array when 1-32 elements are readable; else the pointer;
// an element that cannot be read ends the array with its address.
std::string SetTidArray(const Mm* mm, uint64_t addr, uint64_t size) {
  if (addr == 0 || size == 0 || size > 32 || mm == nullptr) {
    return Pointer(addr);
  }
  std::string out = "[";
  for (uint64_t i = 0; i < size; ++i) {
    std::optional<uint64_t> v = ReadInt(mm, addr + 4 * i, 4);
    if (!v) {
      if (i == 0) return Pointer(addr);
      return out + absl::StrFormat(", ... /* %#x */]", addr + 4 * i);
    }
    absl::StrAppendFormat(&out, "%s%d", i == 0 ? "" : ", ",
                          static_cast<int32_t>(*v));
  }
  return out + "]";
}

// strace 6.1's SYS_FUNC(clone3) (src/clone.c): the struct as read on entry,
// at most 88 bytes, the pointer alone if fewer than 64 can be read; the
// fields a flag asks for; a nonzero tail past 88 as hex; on success the
// values written, re-read: ` => {pidfd=[3], parent_tid=[5]}`; the size last.
std::string FormatClone3(Abi abi, const DecodedSyscall& d, const Mm* mm,
                         const SyscallOutcome* outcome) {
  const uint64_t uargs = d.arg(0);
  const uint64_t size = d.arg(1);
  const uint64_t fetch = std::min<uint64_t>(size, 88);
  std::optional<std::vector<uint8_t>> bytes;
  if (fetch >= 64 && mm != nullptr) {
    if (auto b = mm->memory->Peek(uargs, fetch); b.ok()) bytes = *std::move(b);
  }
  if (!bytes) {
    return absl::StrFormat("clone3(%s, %u)", Pointer(uargs), size);
  }
  bytes->resize(88, 0);  // the fields past `size` count as 0
  const StructValue v =
      DecodeStruct(LayoutFor(StructId::kCloneArgsVer2, abi), *bytes);
  const uint64_t flags = *v.Get("flags");
  std::string out = "{flags=" + Clone3Flags(flags);
  if (flags & kClonePidfd) out += ", pidfd=" + Pointer(*v.Get("pidfd"));
  if (flags & (kCloneChildSettid | kCloneChildCleartid)) {
    out += ", child_tid=" + Pointer(*v.Get("child_tid"));
  }
  if (flags & kCloneParentSettid) {
    out += ", parent_tid=" + Pointer(*v.Get("parent_tid"));
  }
  absl::StrAppendFormat(&out, ", exit_signal=%s, stack=%s, stack_size=%#x",
                        Clone3Signal(*v.Get("exit_signal")),
                        Pointer(*v.Get("stack")), *v.Get("stack_size"));
  if (flags & kCloneSettls) {
    out += ", tls=" + (AbiInfoFor(abi).tls_kind == TlsKind::kUserDesc
                           ? UserDesc(abi, mm, *v.Get("tls"))
                           : Pointer(*v.Get("tls")));
  }
  const uint64_t set_tid = *v.Get("set_tid");
  const uint64_t set_tid_size = *v.Get("set_tid_size");
  if (set_tid != 0 || set_tid_size != 0) {
    absl::StrAppendFormat(&out, ", set_tid=%s, set_tid_size=%u",
                          SetTidArray(mm, set_tid, set_tid_size), set_tid_size);
  }
  if (fetch > 80 && (*v.Get("cgroup") != 0 || (flags & kCloneIntoCgroup))) {
    absl::StrAppendFormat(&out, ", cgroup=%u", *v.Get("cgroup"));
  }
  if (size > 88) {
    const uint64_t len = std::min<uint64_t>(size, kPageSize) - 88;
    auto tail = mm->memory->Peek(uargs + 88, len);
    if (!tail.ok()) {
      out += ", ???";
    } else if (std::any_of(tail->begin(), tail->end(),
                           [](uint8_t b) { return b != 0; })) {
      absl::StrAppendFormat(&out, ", /* bytes 88..%u */ \"", 88 + len - 1);
      for (size_t i = 0; i < std::min<size_t>(tail->size(), 32); ++i) {
        absl::StrAppendFormat(&out, "\\x%02x", (*tail)[i]);
      }
      out += tail->size() > 32 ? "\"..." : "\"";
    }
  }
  out += "}";
  if (outcome != nullptr && outcome->returned() && outcome->ok() &&
      (flags & (kClonePidfd | kCloneParentSettid))) {
    std::vector<std::string> wrote;
    if (flags & kClonePidfd) {
      wrote.push_back("pidfd=" + OutInt(mm, *v.Get("pidfd")));
    }
    if (flags & kCloneParentSettid) {
      wrote.push_back("parent_tid=" + OutInt(mm, *v.Get("parent_tid")));
    }
    out += " => {" + absl::StrJoin(wrote, ", ") + "}";
  }
  return absl::StrFormat("clone3(%s, %u)", out, size);
}

}  // namespace

std::string FormatSyscall(Abi abi, const DecodedSyscall& d, const Mm* memory,
                          const SyscallOutcome* outcome) {
  const bool exited = outcome != nullptr;
  const std::string_view name = d.signature->name;
  if (name == "clone3") return FormatClone3(abi, d, memory, outcome);
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

std::string FormatResult(const std::string& call,
                         const SyscallOutcome& outcome) {
  std::string pad;
  if (call.size() < 39) pad.assign(39 - call.size(), ' ');
  return pad + " = " + ResultText(outcome);
}

std::string FormatAccess(const Event& e) {
  const std::string bytes = e.bytes.empty() ? "" : " " + HexBytes(e.bytes);
  const char* what = e.kind == EventKind::kRead    ? "read "
                     : e.kind == EventKind::kWrite ? "write"
                                                   : "fault";
  return absl::StrFormat("  | %s %#x %d:%s (%s, task %d, %s)", what, e.addr,
                         e.value, bytes, e.field, e.tid.value, e.access);
}

}  // namespace forksim

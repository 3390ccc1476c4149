#include "sim/scenario/strace.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "absl/strings/str_format.h"
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

std::string FormatResult(const std::string& call,
                         const SyscallOutcome& outcome) {
  std::string pad;
  if (call.size() < 39) pad.assign(39 - call.size(), ' ');
  return pad + " = " + ResultText(outcome);
}

std::string FormatAccess(const Event& e) {
  std::string bytes;
  for (uint8_t b : e.bytes) absl::StrAppendFormat(&bytes, " %02x", b);
  const char* what = e.kind == EventKind::kRead    ? "read "
                     : e.kind == EventKind::kWrite ? "write"
                                                   : "fault";
  return absl::StrFormat("  | %s %#x %d:%s (%s, task %d, %s)", what, e.addr,
                         e.value, bytes, e.field, e.tid.value, e.access);
}

}  // namespace forksim

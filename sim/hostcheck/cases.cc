// The hostcheck corpus (sim/hostcheck/case.h): for each family, a list of
// systematic cases (every boundary the kernel checks, each placement of each
// pointer) and then seeded random ones. docs/fidelity.md lists what each
// block covers and why.

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/abi/registers.h"
#include "model/kernel/constants.h"
#include "model/kernel/names.h"
#include "sim/hostcheck/case.h"
#include "sim/hostcheck/rng.h"

namespace forksim {

namespace mem = hostcheck_memory;

std::string_view FamilyName(Family family) {
  switch (family) {
    case Family::kClone:
      return "clone";
    case Family::kClone3:
      return "clone3";
    case Family::kFork:
      return "fork";
  }
  return "?";
}

std::optional<Family> FamilyFromName(std::string_view name) {
  for (Family f : kAllFamilies) {
    if (FamilyName(f) == name) return f;
  }
  return std::nullopt;
}

std::string HostCase::Id() const {
  return absl::StrFormat("%s/%s/%d", std::string(FamilyName(family)),
                         std::string(AbiName(abi)), index);
}

namespace {

using mem::kTaskSizeMax;

// Where a pointer argument points.
enum class Place : uint8_t {
  kOwn,       // its own observed word (or struct)
  kNull,      // NULL
  kHole,      // the no-access page
  kReadOnly,  // the read-only page
  kShared,    // the same word as another pointer of the call
};
constexpr std::array kAllPlaces = {Place::kOwn, Place::kNull, Place::kHole,
                                   Place::kReadOnly, Place::kShared};

std::string PlaceName(Place p) {
  switch (p) {
    case Place::kOwn:
      return "own";
    case Place::kNull:
      return "NULL";
    case Place::kHole:
      return "hole";
    case Place::kReadOnly:
      return "read-only";
    case Place::kShared:
      return "shared";
  }
  return "?";
}

// The address for a word pointer: `own` is the word's address, `shared`
// the address of the word it shares with.
uint64_t WordAddress(Place p, uint64_t own, uint64_t shared) {
  switch (p) {
    case Place::kOwn:
      return own;
    case Place::kNull:
      return 0;
    case Place::kHole:
      return mem::kHole + (own & 0xff);
    case Place::kReadOnly:
      return mem::kReadOnly + (own & 0xff);
    case Place::kShared:
      return shared;
  }
  return own;
}

// CLONE_SETTLS's argument: an FS base on x86-64 (do_arch_prctl_64()
// refuses one at or above TASK_SIZE_MAX), a struct user_desc pointer for
// ia32 tasks (do_set_thread_area() with can_allocate = 0).
struct TlsMode {
  std::string_view name;
  uint64_t value;      // x86-64: the FS base; ia32: where the desc is
  int64_t entry = 12;  // user_desc.entry_number (GDT_ENTRY_TLS_MIN = 12)
  uint32_t desc_flags = 0x51;  // seg_32bit | limit_in_pages | useable
  uint32_t base = 0x10000;
  uint32_t limit = 0xfffff;
};

constexpr TlsMode kFsBaseModes[] = {
    {"fs=0x10000", 0x10000},
    {"fs=0", 0},
    {"fs=TASK_SIZE_MAX-1", kTaskSizeMax - 1},
    {"fs=TASK_SIZE_MAX", kTaskSizeMax},
    {"fs=non-canonical", 0x8000000000000000ull},
    {"fs=~0", ~0ull},
};

constexpr TlsMode kUserDescModes[] = {
    {"desc=valid", mem::kUserDesc},
    {"desc=entry-1", mem::kUserDesc, -1},
    {"desc=entry11", mem::kUserDesc, 11},
    {"desc=entry14", mem::kUserDesc, 14},
    {"desc=entry15", mem::kUserDesc, 15},
    {"desc=entry6", mem::kUserDesc, 6},
    // LDT_empty(): read_exec_only | seg_not_present, base and limit 0.
    {"desc=empty", mem::kUserDesc, 13, 0x28, 0, 0},
    {"desc=contents3", mem::kUserDesc, 12, 0x57},
    {"desc=not-present", mem::kUserDesc, 12, 0x71},
    {"desc=NULL", 0},
    {"desc=hole", mem::kHole},
    {"desc=straddling", mem::kHole - 8},
    {"desc=read-only", mem::kReadOnly + 0x800},
};

std::span<const TlsMode> TlsModes(Abi abi) {
  if (AbiInfoFor(abi).tls_kind == TlsKind::kFsBase) return kFsBaseModes;
  return kUserDescModes;
}

// Exit signals a case may ask for: never SIGKILL or SIGSTOP, which no mask
// can block and which would kill or stop the caller on the host.
bool SafeSignal(uint64_t sig) { return sig != kSigkill && sig != kSigstop; }

constexpr uint64_t kUnknownSignals[] = {65, 127, 128, 255};

// Flags that need CAP_SYS_ADMIN (CLONE_NEWTIME only means it in clone3;
// in legacy clone bit 7 is part of the exit signal).
constexpr uint64_t kNamespaceFlags =
    kCloneNewns | kCloneNewcgroup | kCloneNewuts | kCloneNewipc |
    kCloneNewuser | kCloneNewpid | kCloneNewnet;

void PutLe(std::vector<uint8_t>& out, size_t offset, uint64_t value,
           size_t size) {
  if (out.size() < offset + size) out.resize(offset + size);
  for (size_t i = 0; i < size; ++i) out[offset + i] = (value >> (8 * i)) & 0xff;
}

// What a case is made of, before it is encoded for an ABI.
class CaseBuilder {
 public:
  CaseBuilder(Family family, Abi abi) {
    c_.family = family;
    c_.abi = abi;
    for (uint64_t addr : kObservedWords) Write32(addr, mem::kUnwritten);
  }

  void Write(uint64_t addr, std::vector<uint8_t> bytes) {
    c_.writes.push_back(MemWrite{addr, std::move(bytes)});
  }
  void Write32(uint64_t addr, uint32_t v) {
    std::vector<uint8_t> b;
    PutLe(b, 0, v, 4);
    Write(addr, std::move(b));
  }

  // A struct user_desc for an ia32 CLONE_SETTLS at mode.value.
  void UserDesc(const TlsMode& mode) {
    if (mode.value == 0 || mode.value == mem::kHole) return;
    std::vector<uint8_t> d;
    PutLe(d, 0, static_cast<uint32_t>(mode.entry), 4);
    PutLe(d, 4, mode.base, 4);
    PutLe(d, 8, mode.limit, 4);
    PutLe(d, 12, mode.desc_flags, 4);
    if (mode.value == mem::kHole - 8) d.resize(8);  // the rest is the hole
    Write(mode.value, std::move(d));
  }

  void Describe(std::string_view part) {
    if (!c_.what.empty()) c_.what += " ";
    c_.what += std::string(part);
  }

  HostCase& c() { return c_; }

  HostCase Finish(Sysno sysno, std::array<uint64_t, 6> args) {
    const AbiInfo& info = AbiInfoFor(c_.abi);
    c_.sysno = sysno;
    c_.nr = FindSyscall(c_.abi, sysno)->nr;
    for (uint64_t& a : args) {
      if (info.user_word_bytes == 4) a &= 0xffffffffull;
    }
    c_.args = args;
    if (c_.pidns || c_.cgroup_fd) c_.privileged = true;
    return std::move(c_);
  }

 private:
  HostCase c_;
};

Reap ReapFor(uint64_t flags) {
  if (flags & kCloneThread) return Reap::kThread;
  if (flags & kCloneParent) return Reap::kSibling;
  return Reap::kWait;
}

// --- legacy clone ----------------------------------------------------------

struct LegacySpec {
  uint64_t flags = kSigchld;  // the register: flags | exit signal
  uint64_t newsp = 0;
  Place parent_tid = Place::kOwn;
  Place child_tid = Place::kOwn;
  const TlsMode* tls = nullptr;  // nullptr: tls argument 0
  bool pidns = false;
};

HostCase EncodeLegacy(Abi abi, const LegacySpec& s) {
  CaseBuilder b(Family::kClone, abi);
  HostCase& c = b.c();
  c.pidns = s.pidns;
  c.reap = ReapFor(s.flags);
  c.privileged = (s.flags & kNamespaceFlags) != 0;
  if ((s.flags & kClonePidfd) && s.parent_tid == Place::kOwn) {
    c.pidfd_word = 1;  // legacy clone returns the pidfd in parent_tid
  }
  const uint64_t parent_tid =
      WordAddress(s.parent_tid, mem::kParentTid, mem::kChildTid);
  const uint64_t child_tid =
      WordAddress(s.child_tid, mem::kChildTid, mem::kParentTid);
  uint64_t tls = 0;
  if (s.tls != nullptr) {
    tls = s.tls->value;
    if (AbiInfoFor(abi).tls_kind == TlsKind::kUserDesc) b.UserDesc(*s.tls);
  }
  b.Describe(absl::StrCat("flags=", FormatCloneFlags(s.flags)));
  if (s.newsp != 0) b.Describe(absl::StrFormat("newsp=%#x", s.newsp));
  if (s.parent_tid != Place::kOwn) {
    b.Describe(absl::StrCat("parent_tid=", PlaceName(s.parent_tid)));
  }
  if (s.child_tid != Place::kOwn) {
    b.Describe(absl::StrCat("child_tid=", PlaceName(s.child_tid)));
  }
  if (s.tls != nullptr) b.Describe(s.tls->name);
  if (s.pidns) b.Describe("in-pidns");
  // kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2]: x86-64 passes child_tidptr
  // before tls, ia32 (CONFIG_CLONE_BACKWARDS) tls before child_tidptr.
  if (AbiInfoFor(abi).clone_order == CloneOrder::kDefault) {
    return b.Finish(Sysno::kClone,
                    {s.flags, s.newsp, parent_tid, child_tid, tls, 0});
  }
  return b.Finish(Sysno::kClone,
                  {s.flags, s.newsp, parent_tid, tls, child_tid, 0});
}

// The eleven core flags whose every subset (with SIGCHLD) is a case.
constexpr uint64_t kLegacyCore[] = {
    kCloneVm,           kCloneFs,          kCloneFiles,         kCloneSighand,
    kCloneThread,       kCloneVfork,       kCloneParent,        kClonePidfd,
    kCloneParentSettid, kCloneChildSettid, kCloneChildCleartid,
};

uint64_t Subset(std::span<const uint64_t> bits, uint64_t mask) {
  uint64_t flags = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (mask & (1ull << i)) flags |= bits[i];
  }
  return flags;
}

// Namespace flag sets: each alone, and the combinations copy_process()
// refuses.
constexpr uint64_t kNamespaceSets[] = {
    kCloneNewns,
    kCloneNewcgroup,
    kCloneNewuts,
    kCloneNewipc,
    kCloneNewuser,
    kCloneNewpid,
    kCloneNewnet,
    kCloneNewns | kCloneFs,
    kCloneNewuser | kCloneFs,
    kCloneNewuser | kCloneVm | kCloneSighand | kCloneThread,
    kCloneNewpid | kCloneVm | kCloneSighand | kCloneThread,
    kCloneNewpid | kCloneParent,
    kCloneNewpid | kCloneVm,
    kCloneNewipc | kCloneSysvsem,
    kCloneNewuser | kCloneNewpid | kCloneNewns,
    kNamespaceFlags,
};

// The flag sets the pointer placements are tried with.
constexpr uint64_t kLegacyPointerSets[] = {
    kCloneParentSettid,
    kCloneChildSettid,
    kCloneChildSettid | kCloneVm,
    kCloneChildCleartid | kCloneVm,
    kCloneChildCleartid | kCloneVm | kCloneSighand | kCloneThread,
    kClonePidfd,
    kClonePidfd | kCloneParentSettid,
    kCloneParentSettid | kCloneChildSettid | kCloneChildCleartid | kCloneVm,
};

// The flags TLS modes are tried with.
constexpr uint64_t kTlsSets[] = {
    kCloneSettls | kSigchld,
    kCloneSettls | kCloneVm | kCloneSighand | kCloneThread | kCloneSysvsem,
    kCloneSettls | kCloneVm | kCloneVfork | kSigchld,
};

std::vector<LegacySpec> LegacySystematic(Abi abi) {
  std::vector<LegacySpec> out;
  for (uint64_t mask = 0; mask < (1u << std::size(kLegacyCore)); ++mask) {
    out.push_back({.flags = Subset(kLegacyCore, mask) | kSigchld});
  }
  for (uint64_t flags : kTlsSets) {
    for (const TlsMode& mode : TlsModes(abi)) {
      out.push_back({.flags = flags, .tls = &mode});
    }
  }
  for (uint64_t flags : kLegacyPointerSets) {
    for (Place p : kAllPlaces) {
      out.push_back(
          {.flags = flags | kSigchld, .parent_tid = p, .child_tid = p});
    }
  }
  for (uint64_t sig = 0; sig <= 70; ++sig) {
    if (SafeSignal(sig)) out.push_back({.flags = sig});
  }
  for (uint64_t sig : kUnknownSignals) out.push_back({.flags = sig});
  for (bool pidns : {false, true}) {
    for (uint64_t flags : kNamespaceSets) {
      out.push_back({.flags = flags | kSigchld, .pidns = pidns});
    }
    for (uint64_t flags : std::initializer_list<uint64_t>{
             kCloneParent, kCloneVm | kCloneSighand | kCloneThread, 0}) {
      out.push_back({.flags = flags | kSigchld, .pidns = pidns});
    }
  }
  // Bits 32-63 of the flags register: x86-64 only.
  if (AbiInfoFor(abi).user_word_bytes == 8) {
    for (int bit = 32; bit < 64; ++bit) {
      out.push_back({.flags = (1ull << bit) | kSigchld});
    }
    out.push_back(
        {.flags = kCloneClearSighand | kCloneSighand | kCloneVm | kSigchld});
  }
  // The new stack is only the child's: any value is accepted.
  for (uint64_t sp : std::initializer_list<uint64_t>{mem::kStack + mem::kPage,
                                                     kTaskSizeMax, ~0ull}) {
    out.push_back({.flags = kCloneVm | kCloneVfork | kSigchld, .newsp = sp});
  }
  return out;
}

uint64_t RandomSignal(SplitMix64& rng) {
  switch (rng.Below(8)) {
    case 0:
      return 0;
    case 1:
      return rng.Pick<uint64_t>(kUnknownSignals);
    case 2:
    case 3: {
      uint64_t sig = 1 + rng.Below(kNsig);
      return SafeSignal(sig) ? sig : kSigchld;
    }
    default:
      return kSigchld;
  }
}

// Legacy flag bits 8-31, each with probability 1/6 (namespaces 1/12), or
// (one time in four) a uniformly random word.
uint64_t RandomLegacyFlags(SplitMix64& rng) {
  if (rng.OneIn(4)) return rng.Next() & 0xffffff00ull;
  uint64_t flags = 0;
  for (int bit = 8; bit < 32; ++bit) {
    const uint64_t f = 1ull << bit;
    if (rng.OneIn((f & kNamespaceFlags) ? 12 : 6)) flags |= f;
  }
  return flags;
}

const TlsMode* RandomTls(SplitMix64& rng, Abi abi) {
  std::span<const TlsMode> modes = TlsModes(abi);
  return &modes[rng.Below(modes.size())];
}

Place RandomPlace(SplitMix64& rng) {
  if (rng.OneIn(2)) return Place::kOwn;
  return rng.Pick<Place>(kAllPlaces);
}

LegacySpec LegacyRandom(SplitMix64& rng, Abi abi) {
  LegacySpec s;
  s.flags = RandomLegacyFlags(rng) | RandomSignal(rng);
  if (AbiInfoFor(abi).user_word_bytes == 8 && rng.OneIn(4)) {
    s.flags |= rng.Next() & 0xffffffff00000000ull;
  }
  if (rng.OneIn(4)) s.newsp = rng.OneIn(2) ? mem::kStack + 0x800 : rng.Next();
  s.parent_tid = RandomPlace(rng);
  s.child_tid = RandomPlace(rng);
  if (s.flags & kCloneSettls) s.tls = RandomTls(rng, abi);
  s.pidns = rng.OneIn(8);
  return s;
}

// --- clone3 ------------------------------------------------------------------

struct Clone3Spec {
  uint64_t size = 88;
  Place where = Place::kOwn;  // kOwn 0x10000, kNull, kHole, kReadOnly;
                              // kShared: ending at the hole (page edge)
  int64_t edge_offset = 0;    // with kShared: the struct starts this much
                              // later, so that its end is in the hole
  uint64_t flags = 0;
  Place pidfd = Place::kOwn;
  Place parent_tid = Place::kOwn;
  Place child_tid = Place::kOwn;
  uint64_t exit_signal = kSigchld;
  uint64_t stack = 0;
  uint64_t stack_size = 0;
  const TlsMode* tls = nullptr;
  std::vector<uint32_t> set_tid = {};  // the array's values
  uint64_t set_tid_size = 0;
  Place set_tid_at = Place::kNull;  // kOwn: at 0x15100
  uint64_t cgroup = 0;
  bool cgroup_fd = false;  // cgroup = 3, the caller's own cgroup directory
  std::vector<std::pair<uint64_t, uint8_t>> tail = {};  // offset, byte
  bool pidns = false;
};

// clone3's flags have no exit signal: bit 7 is CLONE_NEWTIME, the other
// CSIGNAL bits are shown in hex.
std::string Clone3FlagsText(uint64_t flags) {
  constexpr uint64_t kNamedHigh = kCloneClearSighand | kCloneIntoCgroup;
  const uint64_t legacy = flags & ~kCsignal & ~kNamedHigh;
  std::string text = legacy == 0 ? "" : FormatCloneFlags(legacy);
  auto add = [&](const std::string& part) {
    absl::StrAppend(&text, text.empty() ? "" : "|", part);
  };
  if (flags & kCloneNewtime) add("CLONE_NEWTIME");
  if (flags & kCloneClearSighand) add("CLONE_CLEAR_SIGHAND");
  if (flags & kCloneIntoCgroup) add("CLONE_INTO_CGROUP");
  if (const uint64_t low = flags & kCsignal & ~kCloneNewtime; low != 0) {
    add(absl::StrFormat("%#x", low));
  }
  return text.empty() ? "0" : text;
}

uint64_t Clone3Address(const Clone3Spec& s) {
  switch (s.where) {
    case Place::kOwn:
      return mem::kArgs;
    case Place::kNull:
      return 0;
    case Place::kHole:
      return mem::kHole;
    case Place::kReadOnly:
      return mem::kReadOnly;
    case Place::kShared:
      return mem::kHole - s.size + s.edge_offset;
  }
  return mem::kArgs;
}

std::string Clone3Where(const Clone3Spec& s) {
  if (s.where == Place::kShared) {
    return s.edge_offset == 0 ? "page-edge"
                              : absl::StrFormat("straddling+%d", s.edge_offset);
  }
  return std::string(PlaceName(s.where));
}

HostCase EncodeClone3(Abi abi, const Clone3Spec& s) {
  CaseBuilder b(Family::kClone3, abi);
  HostCase& c = b.c();
  c.pidns = s.pidns;
  c.cgroup_fd = s.cgroup_fd;
  c.reap = ReapFor(s.flags);
  c.privileged =
      (s.flags & (kNamespaceFlags | kCloneNewtime | kCloneIntoCgroup)) != 0 ||
      s.set_tid_size != 0;
  if ((s.flags & kClonePidfd) && s.pidfd == Place::kOwn) c.pidfd_word = 0;
  const uint64_t addr = Clone3Address(s);
  // include/uapi/linux/sched.h [6.12]: struct clone_args, eleven __aligned_u64.
  std::vector<uint8_t> args(std::max<uint64_t>(s.size, 88), 0);
  PutLe(args, 0, s.flags, 8);
  PutLe(args, 8, WordAddress(s.pidfd, mem::kPidfd, mem::kParentTid), 8);
  PutLe(args, 16, WordAddress(s.child_tid, mem::kChildTid, mem::kParentTid), 8);
  PutLe(args, 24, WordAddress(s.parent_tid, mem::kParentTid, mem::kPidfd), 8);
  PutLe(args, 32, s.exit_signal, 8);
  PutLe(args, 40, s.stack, 8);
  PutLe(args, 48, s.stack_size, 8);
  PutLe(args, 56, s.tls == nullptr ? 0 : s.tls->value, 8);
  PutLe(args, 64,
        s.set_tid_at == Place::kOwn    ? mem::kSetTid
        : s.set_tid_at == Place::kHole ? mem::kHole
                                       : 0,
        8);
  PutLe(args, 72, s.set_tid_size, 8);
  PutLe(args, 80, s.cgroup_fd ? 3 : s.cgroup, 8);
  for (auto [offset, byte] : s.tail) {
    if (offset >= args.size()) args.resize(offset + 1);
    args[offset] = byte;
  }
  args.resize(s.size);
  // What lies past the hole's start is never written (the hole).
  if (addr != 0 && addr != mem::kHole) {
    const uint64_t room = addr < mem::kHole ? mem::kHole - addr : args.size();
    if (args.size() > room) args.resize(room);
    if (!args.empty()) b.Write(addr, std::move(args));
  }
  if (!s.set_tid.empty()) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i < s.set_tid.size(); ++i) {
      PutLe(v, 4 * i, s.set_tid[i], 4);
    }
    b.Write(mem::kSetTid, std::move(v));
  }
  if (s.tls != nullptr && AbiInfoFor(abi).tls_kind == TlsKind::kUserDesc) {
    b.UserDesc(*s.tls);
  }
  b.Describe(absl::StrFormat("size=%d", s.size));
  if (s.where != Place::kOwn) b.Describe("at=" + Clone3Where(s));
  b.Describe("flags=" + Clone3FlagsText(s.flags));
  if (s.exit_signal != kSigchld) {
    b.Describe(absl::StrFormat("exit_signal=%d", s.exit_signal));
  }
  if (s.pidfd != Place::kOwn) {
    b.Describe(absl::StrCat("pidfd=", PlaceName(s.pidfd)));
  }
  if (s.parent_tid != Place::kOwn) {
    b.Describe(absl::StrCat("parent_tid=", PlaceName(s.parent_tid)));
  }
  if (s.child_tid != Place::kOwn) {
    b.Describe(absl::StrCat("child_tid=", PlaceName(s.child_tid)));
  }
  if (s.stack != 0 || s.stack_size != 0) {
    b.Describe(absl::StrFormat("stack=%#x+%#x", s.stack, s.stack_size));
  }
  if (s.tls != nullptr) b.Describe(s.tls->name);
  if (s.set_tid_size != 0 || s.set_tid_at != Place::kNull) {
    std::string values;
    for (uint32_t v : s.set_tid) {
      absl::StrAppend(&values, values.empty() ? "" : ",",
                      static_cast<int32_t>(v));
    }
    b.Describe(absl::StrFormat("set_tid=%s[%s]/%d", PlaceName(s.set_tid_at),
                               values, s.set_tid_size));
  }
  if (s.cgroup_fd) b.Describe("cgroup=own");
  if (s.cgroup != 0) b.Describe(absl::StrFormat("cgroup=%d", s.cgroup));
  for (auto [offset, byte] : s.tail) {
    b.Describe(absl::StrFormat("byte%d=%#x", offset, byte));
  }
  if (s.pidns) b.Describe("in-pidns");
  return b.Finish(Sysno::kClone3, {addr, s.size, 0, 0, 0, 0});
}

constexpr uint64_t kClone3Sizes[] = {0,  1,  7,   8,    56,   63,   64,   65,
                                     71, 72, 79,  80,   81,   87,   88,   89,
                                     95, 96, 128, 4095, 4096, 4097, 8192, 8193};

// The nine flags whose every subset is a clone3 case.
constexpr uint64_t kClone3Core[] = {
    kCloneVm,    kCloneFs,     kCloneFiles, kCloneSighand,      kCloneThread,
    kCloneVfork, kCloneParent, kClonePidfd, kCloneClearSighand,
};

constexpr uint64_t kClone3PointerSets[] = {
    kClonePidfd,
    kCloneParentSettid,
    kClonePidfd | kCloneParentSettid,
    kCloneChildSettid | kCloneVm,
    kCloneChildCleartid | kCloneVm,
    kClonePidfd | kCloneParentSettid | kCloneChildSettid | kCloneVm,
};

// (stack, stack_size): clone3_stack_valid() [5.4]'s rules and the ends of
// user space for both ABIs.
constexpr std::pair<uint64_t, uint64_t> kStacks[] = {
    {0, 0},
    {mem::kStack, 0},
    {0, mem::kPage},
    {mem::kStack, mem::kPage},
    {mem::kStack, 0x10000},
    {kTaskSizeMax - 0x1000, 0x1000},
    {kTaskSizeMax - 0x2000, 0x1000},
    {kTaskSizeMax, 0x1000},
    {kTaskSizeMax - 1, 1},
    {kTaskSizeMax - 1, 2},
    {0xfffffffffffff000ull, 0x1000},
    {0xffffffff00000000ull, 0x1000},
    {1, ~0ull},
    {0xffffe000ull, 0x1000},
    {0xfffff000ull, 0x1000},
    {0x100000000ull, 0x1000},
};

// set_tid arrays (alloc_pid() [5.5]) asked for from a pid namespace's init
// (level 1), unless `pidns` is false. The host's caller may sit deeper than
// the model's (a container's pid namespace, Bazel's sandbox): every array
// gives the same answer at any depth. A value for a namespace the case did
// not create is 1 (taken in every namespace: EEXIST) or one alloc_pid()
// refuses outright (0, -1, >= PID_MAX_LIMIT: EINVAL), and an array longer
// than the model's levels has such a refused value just past them.
struct SetTidCase {
  std::vector<uint32_t> values;
  uint64_t size;
  Place at = Place::kOwn;
  bool pidns = true;
  uint64_t flags = 0;
};

const std::vector<SetTidCase>& SetTidCases() {
  static const auto* cases = new std::vector<SetTidCase>{
      {{}, 0},
      {{}, 1, Place::kNull},
      {{}, 1, Place::kHole},
      {{1}, 1},
      {{2}, 1},
      {{3}, 1},
      {{100}, 1},
      {{0}, 1},
      {{0xffffffff}, 1},
      {{32767}, 1},
      {{32768}, 1},
      {{4194304}, 1},
      {{0x7fffffff}, 1},
      {{2, 0}, 2},
      {{2, 0xffffffff}, 2},
      {{2, 4194304}, 2},
      {{2, 0, 0}, 3},
      {{2}, 32},
      {{2}, 33},
      {{1, 5}, 2, Place::kOwn, true, kCloneNewpid},
      {{1, 5, 0}, 3, Place::kOwn, true, kCloneNewpid},
      {{2, 5}, 2, Place::kOwn, true, kCloneNewpid},
      {{5}, 1, Place::kOwn, true, kCloneThread | kCloneSighand | kCloneVm},
      {{1}, 1, Place::kOwn, false},
      {{0}, 1, Place::kOwn, false},
      {{0, 1}, 2, Place::kOwn, false},
  };
  return *cases;
}

std::vector<Clone3Spec> Clone3Systematic(Abi abi) {
  std::vector<Clone3Spec> out;
  for (uint64_t size : kClone3Sizes) out.push_back({.size = size});
  const std::pair<uint64_t, uint64_t> tails[] = {
      {65, 64},     {72, 71},     {80, 79},     {88, 87},
      {89, 88},     {96, 95},     {4096, 4095}, {4096, 88},
      {4097, 4096}, {8192, 8191}, {8192, 4096}};
  for (auto [size, offset] : tails) {
    out.push_back({.size = size, .tail = {{offset, 1}}});
  }
  for (uint64_t size : {64ull, 88ull, 4096ull}) {
    for (Place p : {Place::kNull, Place::kHole, Place::kReadOnly}) {
      out.push_back({.size = size, .where = p});
    }
    out.push_back({.size = size, .where = Place::kShared});
    out.push_back({.size = size, .where = Place::kShared, .edge_offset = 8});
    out.push_back({.size = size, .where = Place::kShared, .edge_offset = 1});
  }
  for (uint64_t sig = 0; sig <= 70; ++sig) {
    if (SafeSignal(sig)) out.push_back({.exit_signal = sig});
  }
  for (uint64_t sig : {128ull, 255ull, (1ull << 32) | kSigchld, ~0ull}) {
    out.push_back({.exit_signal = sig});
  }
  for (int bit = 0; bit < 64; ++bit) {
    out.push_back({.flags = 1ull << bit});
  }
  for (uint64_t mask = 0; mask < (1u << std::size(kClone3Core)); ++mask) {
    out.push_back({.flags = Subset(kClone3Core, mask)});
  }
  for (auto [stack, size] : kStacks) {
    out.push_back({.stack = stack, .stack_size = size});
    out.push_back(
        {.flags = kCloneVm | kCloneVfork, .stack = stack, .stack_size = size});
  }
  struct Placement {
    Place pidfd, parent_tid, child_tid;
  };
  const Placement placements[] = {
      {Place::kOwn, Place::kOwn, Place::kOwn},
      {Place::kNull, Place::kOwn, Place::kOwn},
      {Place::kHole, Place::kOwn, Place::kOwn},
      {Place::kReadOnly, Place::kOwn, Place::kOwn},
      {Place::kShared, Place::kOwn, Place::kOwn},
      {Place::kOwn, Place::kHole, Place::kOwn},
      {Place::kOwn, Place::kReadOnly, Place::kOwn},
      {Place::kOwn, Place::kNull, Place::kOwn},
      {Place::kOwn, Place::kOwn, Place::kHole},
      {Place::kOwn, Place::kOwn, Place::kNull},
  };
  for (uint64_t flags : kClone3PointerSets) {
    for (const Placement& p : placements) {
      out.push_back({.flags = flags,
                     .pidfd = p.pidfd,
                     .parent_tid = p.parent_tid,
                     .child_tid = p.child_tid});
    }
  }
  for (const SetTidCase& t : SetTidCases()) {
    out.push_back({.flags = t.flags,
                   .set_tid = t.values,
                   .set_tid_size = t.size,
                   .set_tid_at = t.at,
                   .pidns = t.pidns});
  }
  const uint64_t kThread = kCloneThread | kCloneSighand | kCloneVm;
  out.push_back({.flags = kCloneIntoCgroup, .cgroup = 9999});
  out.push_back({.flags = kCloneIntoCgroup, .cgroup = 0x80000000});
  out.push_back({.flags = kCloneIntoCgroup, .cgroup = 0xffffffff});
  out.push_back({.flags = kCloneIntoCgroup, .cgroup = 0});
  out.push_back({.flags = kCloneIntoCgroup, .cgroup_fd = true});
  out.push_back({.size = 80, .flags = kCloneIntoCgroup, .cgroup_fd = true});
  out.push_back({.flags = kCloneIntoCgroup | kThread, .cgroup_fd = true});
  out.push_back({.flags = kCloneIntoCgroup | kCloneParent, .cgroup_fd = true});
  out.push_back({.flags = 0, .cgroup = 9999});
  out.push_back({.flags = kCloneClearSighand | kCloneSighand | kCloneVm});
  out.push_back({.flags = kCloneDetached});
  for (uint64_t flags : std::initializer_list<uint64_t>{
           0, kThread | kCloneSysvsem, kCloneVm | kCloneVfork}) {
    for (const TlsMode& mode : TlsModes(abi)) {
      out.push_back({.flags = flags | kCloneSettls, .tls = &mode});
    }
  }
  for (bool pidns : {false, true}) {
    for (uint64_t flags : kNamespaceSets) {
      out.push_back({.flags = flags, .pidns = pidns});
    }
    out.push_back({.flags = kCloneNewtime, .pidns = pidns});
    out.push_back({.flags = kCloneNewtime | kThread, .pidns = pidns});
    out.push_back({.flags = kCloneParent, .pidns = pidns});
  }
  return out;
}

Clone3Spec Clone3Random(SplitMix64& rng, Abi abi) {
  Clone3Spec s;
  switch (rng.Below(8)) {
    case 0:
      s.size = rng.Below(200);
      break;
    case 1:
      s.size = rng.Pick<uint64_t>(kClone3Sizes);
      break;
    case 2:
      s.size = rng.OneIn(4) ? rng.Below(9000) : 64 + 8 * rng.Below(4);
      break;
    default:
      s.size = 88;
  }
  if (rng.OneIn(16)) {
    s.where = rng.Pick<Place>(kAllPlaces);
    if (s.where == Place::kShared && s.size <= mem::kHole - mem::kArgs) {
      s.edge_offset = rng.OneIn(2) ? 0 : 1 + rng.Below(16);
    } else if (s.where == Place::kShared) {
      s.where = Place::kOwn;
    }
  }
  s.flags = RandomLegacyFlags(rng);
  if (rng.OneIn(8)) s.flags |= kCloneClearSighand;
  if (rng.OneIn(16)) s.flags |= kCloneIntoCgroup;
  if (rng.OneIn(16)) s.flags |= kCloneNewtime;
  if (rng.OneIn(16)) s.flags |= 1ull << rng.Below(64);
  s.exit_signal = RandomSignal(rng);
  if (rng.OneIn(32)) s.exit_signal = rng.Next();
  if (!SafeSignal(s.exit_signal)) s.exit_signal = kSigchld;
  s.pidfd = RandomPlace(rng);
  s.parent_tid = RandomPlace(rng);
  s.child_tid = RandomPlace(rng);
  if (rng.OneIn(4)) {
    const auto& stack = kStacks[rng.Below(std::size(kStacks))];
    s.stack = stack.first;
    s.stack_size = stack.second;
  }
  if (s.flags & kCloneSettls) s.tls = RandomTls(rng, abi);
  s.pidns = rng.OneIn(6);
  if (s.pidns && rng.OneIn(2)) {
    const SetTidCase& t = SetTidCases()[rng.Below(SetTidCases().size())];
    if (t.pidns) {
      // With the entry's flags: [2,5] asks for 5 in the caller's namespace
      // only with CLONE_NEWPID, never in the host's.
      s.flags |= t.flags;
      s.set_tid = t.values;
      s.set_tid_size = t.size;
      s.set_tid_at = t.at;
    }
  }
  if (s.flags & kCloneIntoCgroup) {
    switch (rng.Below(4)) {
      case 0:
        s.cgroup = rng.OneIn(2) ? 9999 : rng.Next();
        break;
      case 1:
        s.cgroup = 0;
        break;
      default:
        s.cgroup_fd = true;
    }
  }
  if (rng.OneIn(8) && s.size > 88) {
    s.tail.push_back({88 + rng.Below(s.size - 88), 1 + rng.Below(255)});
  }
  return s;
}

// --- fork and vfork ------------------------------------------------------

HostCase EncodeFork(Abi abi, bool vfork, bool pidns,
                    std::array<uint64_t, 6> junk) {
  CaseBuilder b(Family::kFork, abi);
  b.c().pidns = pidns;
  b.Describe(vfork ? "vfork" : "fork");
  if (junk != std::array<uint64_t, 6>{}) b.Describe("junk-args");
  if (pidns) b.Describe("in-pidns");
  // fork() and vfork() read no argument register: what is left there does
  // not matter.
  return b.Finish(vfork ? Sysno::kVfork : Sysno::kFork, junk);
}

// --- the systematic lists, built once ------------------------------------

template <typename Spec>
const std::vector<Spec>& Cached(std::vector<Spec> (*make)(Abi), Abi abi) {
  static std::array<std::vector<Spec>*, 3> lists{};
  auto*& list = lists[static_cast<int>(abi)];
  if (list == nullptr) list = new std::vector<Spec>(make(abi));
  return *list;
}

constexpr uint64_t kForkSystematic = 4;

}  // namespace

uint64_t SystematicCount(Family family, Abi abi) {
  switch (family) {
    case Family::kClone:
      return Cached(LegacySystematic, abi).size();
    case Family::kClone3:
      return Cached(Clone3Systematic, abi).size();
    case Family::kFork:
      return kForkSystematic;
  }
  return 0;
}

HostCase MakeCase(uint64_t seed, Family family, Abi abi, uint64_t index) {
  SplitMix64 rng(MixSeed(seed, static_cast<uint64_t>(family),
                         static_cast<uint64_t>(abi), index));
  const uint64_t systematic = SystematicCount(family, abi);
  HostCase c;
  switch (family) {
    case Family::kClone:
      c = EncodeLegacy(abi, index < systematic
                                ? Cached(LegacySystematic, abi)[index]
                                : LegacyRandom(rng, abi));
      break;
    case Family::kClone3:
      c = EncodeClone3(abi, index < systematic
                                ? Cached(Clone3Systematic, abi)[index]
                                : Clone3Random(rng, abi));
      break;
    case Family::kFork: {
      std::array<uint64_t, 6> junk{};
      if (index >= systematic) {
        for (uint64_t& a : junk) a = rng.OneIn(2) ? 0 : rng.Next();
      }
      c = EncodeFork(abi, index % 2 == 1, (index / 2) % 2 == 1, junk);
      break;
    }
  }
  c.index = index;
  return c;
}

std::vector<CorpusEntry> Corpus(const std::vector<Family>& families,
                                uint64_t total) {
  // Shares in percent, of the families that run.
  auto share = [](Family f) -> uint64_t {
    switch (f) {
      case Family::kClone:
        return 58;
      case Family::kClone3:
        return 40;
      case Family::kFork:
        return 2;
    }
    return 0;
  };
  uint64_t weight = 0;
  for (Family f : families) weight += share(f);
  std::vector<CorpusEntry> out;
  out.reserve(total);
  uint64_t given = 0;
  for (size_t i = 0; i < families.size(); ++i) {
    const uint64_t n = i + 1 == families.size()
                           ? total - given
                           : total * share(families[i]) / weight;
    for (uint64_t k = 0; k < n; ++k) out.push_back({families[i], k});
    given += n;
  }
  return out;
}

std::optional<uint64_t> Clone3Field(const HostCase& c, size_t offset) {
  if (c.family != Family::kClone3) return std::nullopt;
  for (const MemWrite& w : c.writes) {
    if (w.addr != c.args[0] || w.bytes.size() < offset + 8) continue;
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | w.bytes[offset + i];
    return v;
  }
  return std::nullopt;
}

std::optional<uint32_t> SetTid0(const HostCase& c) {
  for (const MemWrite& w : c.writes) {
    if (w.addr != mem::kSetTid || w.bytes.size() < 4) continue;
    return static_cast<uint32_t>(w.bytes[0]) | w.bytes[1] << 8 |
           w.bytes[2] << 16 | static_cast<uint32_t>(w.bytes[3]) << 24;
  }
  return std::nullopt;
}

// --- how a case is written for the executor and for explain ----------------

std::string RegisterLine(const HostCase& c) {
  std::string line = absl::StrFormat("%d", c.nr);
  for (uint64_t a : c.args) absl::StrAppend(&line, absl::StrFormat(" %#x", a));
  return line;
}

std::string ExecutorInput(const HostCase& c) {
  std::string out = absl::StrFormat("case %s %s%s\n", c.Id(), RegisterLine(c),
                                    c.pidns ? " pidns" : "");
  if (c.cgroup_fd) out += "cgroupfd\n";
  for (const MemWrite& w : c.writes) {
    std::string hex;
    for (uint8_t byte : w.bytes)
      absl::StrAppend(&hex, absl::Hex(byte, absl::kZeroPad2));
    absl::StrAppend(&out, absl::StrFormat("write %#x %s\n", w.addr, hex));
  }
  for (size_t i = 0; i < kObservedWords.size(); ++i) {
    absl::StrAppend(
        &out,
        absl::StrFormat("observe %#x 4%s\n", kObservedWords[i],
                        static_cast<int>(i) == c.pidfd_word ? " fd" : ""));
  }
  const char* reap = c.reap == Reap::kWait     ? "wait"
                     : c.reap == Reap::kThread ? "thread"
                                               : "sibling";
  absl::StrAppend(&out, "reap ", reap, "\nend\n");
  return out;
}

namespace {

// A write as scenario statements: u64 or u32 for each nonzero aligned
// chunk, u8 for the bytes around them.
void WriteStatements(const MemWrite& w, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < w.bytes.size()) {
    const uint64_t addr = w.addr + i;
    size_t size = 1;
    for (size_t chunk : {8, 4}) {
      if (addr % chunk == 0 && i + chunk <= w.bytes.size()) {
        size = chunk;
        break;
      }
    }
    uint64_t v = 0;
    for (size_t k = size; k-- > 0;) v = v << 8 | w.bytes[i + k];
    if (v != 0) {
      out->push_back(absl::StrFormat("write u%d %#x = %#x", 8 * size, addr, v));
    }
    i += size;
  }
}

}  // namespace

std::string ExplainCommand(const HostCase& c, std::string_view profile) {
  // `explain --syscall` maps 0x10000-0x1ffff rw first, as the case does.
  std::vector<std::string> setup;
  std::string actor;
  if (c.pidns) {
    setup.push_back("clone(flags=CLONE_NEWPID|SIGCHLD) -> ns");
    actor = "as ns: ";
  }
  setup.push_back(
      absl::StrFormat("%sprotect %#x %#x none", actor, mem::kHole, mem::kPage));
  if (c.cgroup_fd) setup.push_back(actor + "cgroup open /");
  std::vector<std::string> writes;
  for (const MemWrite& w : c.writes) WriteStatements(w, &writes);
  for (const std::string& w : writes) setup.push_back(actor + w);
  setup.push_back(absl::StrFormat("%sprotect %#x %#x r", actor, mem::kReadOnly,
                                  mem::kPage));
  const AbiInfo& info = AbiInfoFor(c.abi);
  std::string raw = absl::StrFormat(
      "%sraw %s=%d", actor, std::string(RegName(c.abi, info.nr_reg)), c.nr);
  for (size_t i = 0; i < c.args.size(); ++i) {
    absl::StrAppend(
        &raw, absl::StrFormat(" %s=%#x",
                              std::string(RegName(c.abi, info.arg_regs[i])),
                              c.args[i]));
  }
  setup.push_back(raw);
  std::string statements;
  for (const std::string& s : setup) {
    absl::StrAppend(&statements, statements.empty() ? "" : "; ", s);
  }
  return absl::StrFormat(
      "./forksim explain --profile=%s --abi=%s --syscall='%s'",
      std::string(profile), std::string(AbiName(c.abi)), statements);
}

}  // namespace forksim

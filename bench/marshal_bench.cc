// -----------------------------------------------------------------------------
// File: bench/marshal_bench.cc
// -----------------------------------------------------------------------------
//
// Argument marshalling: from a task's register file to the kernel's
// KernelCloneArgs, per path and ABI, next to the physical floor of loading
// the same bytes from a plain buffer. The model's rows run the kernel's own
// entries through Kernel::CloneArgsFromRegisters(): the decoding, the
// entry's checks and its reads, and nothing after.
//
//   marshal/ABI/legacy          DecodeSyscall() of clone, then the arguments
//                               in the ABI's order (LegacyCloneArgs())
//   marshal/ABI/clone6:N        DecodeSyscall() of clone6, its checks, and N
//                               get_user() reads (Clone6Args(); N = 0:
//                               CLONE_DETACHED, EINVAL before any read; 1:
//                               stack; 2: + child_tidptr; 3: + parent_tidptr;
//                               4: + tls, everything x86 reads)
//   marshal/ABI/clone6:fault_first / fault_last
//                               4 fields asked; the first (stack) / the last
//                               (tls) read faults: EFAULT
//   marshal/ABI/clone3:SIZE      clone3 on 6.12 (Clone3Args()): the size
//                               checks, copy_struct_from_user() of SIZE = 64,
//                               80, 88 bytes, or 4096 with a zero tail (4008
//                               bytes checked a word at a time), the argument
//                               checks and clone3_args_valid()
//   marshal/ABI/clone3:64_fault_first / clone3:64_fault_last
//                               the first / the last 8 bytes unmapped: EFAULT
//   marshal/ABI/clone3_5.3:4096 5.3's entry: a get_user() per byte of the
//                               4032-byte tail, then the 64-byte copy
//   floor/ABI/KEY               the same bytes loaded from a plain buffer
//
// Each marshal/ row reports uaccess_ops, uaccess_bytes and uaccess_faults per
// iteration (from UserMemory::stats(): deterministic) and names its floor in
// its label ("floor=clone6:4"), for the report.

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "model/abi/layout.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim::bench {
namespace {

// The flags that make clone6 read N fields (N = 1..4), and that legacy clone
// is given for the same intent.
constexpr uint64_t kFlagsForFields[] = {
    kCloneDetached | kSigchld,  // 0: rejected before any read
    kSigchld,                   // 1: stack
    kSigchld | kCloneChildSettid,
    kSigchld | kCloneChildSettid | kCloneParentSettid,
    kSigchld | kCloneChildSettid | kCloneParentSettid | kCloneSettls,
};
constexpr uint64_t kFourFields = kFlagsForFields[4];

// The profile of the clone3 rows: the model's copy_struct_from_user() path.
constexpr std::string_view kClone3Profile = "6.12";

// Where the structs live in the caller's memory.
constexpr uint64_t kClone6At = kBuf;
constexpr uint64_t kCloneArgsAt = kBuf + kPageSize;
// Values in them (any mapped addresses will do; nothing is dereferenced).
constexpr uint64_t kStack = kBuf + 8 * kPageSize;
constexpr uint64_t kChildTid = kBuf + 0x100;
constexpr uint64_t kParentTid = kBuf + 0x104;
constexpr uint64_t kTls = kBuf + 0x200;

RegisterFile Registers(Abi abi, Sysno sysno,
                       std::initializer_list<uint64_t> args) {
  RegisterFile regs(abi);
  const AbiInfo& info = AbiInfoFor(abi);
  regs.Set(info.nr_reg, FindSyscall(abi, sysno)->nr);
  int i = 0;
  for (uint64_t arg : args) regs.Set(info.arg_regs[i++], arg);
  return regs;
}

// Legacy clone's registers in the ABI's own argument order.
RegisterFile LegacyRegisters(Abi abi, uint64_t flags) {
  RegisterFile regs(abi);
  const AbiInfo& info = AbiInfoFor(abi);
  const SyscallSignature* sig = FindSyscall(abi, Sysno::kClone);
  regs.Set(info.nr_reg, sig->nr);
  for (size_t i = 0; i < sig->params.size(); ++i) {
    const std::string_view name = sig->params[i].name;
    uint64_t value = 0;
    if (name == "clone_flags") value = flags;
    if (name == "newsp") value = kStack;
    if (name == "parent_tidptr") value = kParentTid;
    if (name == "child_tidptr") value = kChildTid;
    if (name == "tls") value = kTls;
    regs.Set(info.arg_regs[i], value);
  }
  return regs;
}

// A process of the ABI with clone6_args and clone_args (88 bytes, and a
// zero tail to the end of its page) written into its memory: the same
// intent in both (the four fields x86 reads: the stack, both tids, tls).
struct Setup {
  explicit Setup(Abi abi, std::string_view profile = kProfile)
      : sim(abi, profile) {
    task = sim.NewProcess();
    if (task == nullptr) return;
    StructValue c6(LayoutFor(StructId::kClone6Args, abi));
    c6.Set("stack", kStack);
    c6.Set("stack_size", 0x4000);
    c6.Set("child_tidptr", kChildTid);
    c6.Set("parent_tidptr", kParentTid);
    c6.Set("tls", kTls);
    StructValue c3(LayoutFor(StructId::kCloneArgsVer2, abi));
    c3.Set("flags", kFourFields & ~kCsignal);
    c3.Set("child_tid", kChildTid);
    c3.Set("parent_tid", kParentTid);
    c3.Set("exit_signal", kSigchld);
    c3.Set("stack", kStack);
    c3.Set("stack_size", 0x4000);
    c3.Set("tls", kTls);
    ok = sim.kernel().WriteMemory(task, kClone6At, EncodeStruct(c6)).ok() &&
         sim.kernel().WriteMemory(task, kCloneArgsAt, EncodeStruct(c3)).ok();
  }
  ModelSim sim;
  Task* task = nullptr;
  bool ok = false;
};

// --- legacy clone ---

void BM_Legacy(benchmark::State& state, Abi abi) {
  Setup s(abi);
  if (!s.ok) return state.SkipWithError("set-up failed");
  const RegisterFile regs = LegacyRegisters(abi, kFourFields);
  if (!s.sim.kernel().CloneArgsFromRegisters(s.task, regs).ok()) {
    return state.SkipWithError("unexpected result from the legacy path");
  }
  UaccessDelta delta(*s.task->mm->memory);
  for (auto _ : state) {
    SysResult<KernelCloneArgs> args =
        s.sim.kernel().CloneArgsFromRegisters(s.task, regs);
    benchmark::DoNotOptimize(args);
  }
  delta.Report(state);
  state.SetLabel("floor=legacy");
}

// --- what would close the legacy-decode target: a sketch, not the model ---

// The same conversion as DecodeSyscall() (sim/syscall_entry.cc), with what
// depends only on the ABI and the syscall computed once: a table indexed by
// number, and per parameter a mask and a sign flag. The picks use indexes
// resolved once instead of names. Checked against DecodeSyscall() before
// timing.
class TableDecoder {
 public:
  struct Rule {
    uint64_t mask;  // what the wrapper keeps of the register
    bool sign32;    // an int: sign-extended from bit 31
    bool narrow;    // a 32-bit parameter (for DecodedArg::truncated)
  };
  struct Entry {
    const SyscallSignature* sig = nullptr;
    std::array<Rule, 6> rules{};
  };

  explicit TableDecoder(Abi abi) : abi_(abi), info_(&AbiInfoFor(abi)) {
    for (const SyscallSignature& sig : info_->syscalls) {
      if (sig.nr >= table_.size()) continue;
      Entry& e = table_[sig.nr];
      e.sig = &sig;
      for (size_t i = 0; i < sig.params.size(); ++i) {
        const ArgType t = sig.params[i].type;
        const bool narrow = t == ArgType::kInt || t == ArgType::kUInt ||
                            info_->kernel_long_bits == 32;
        const uint64_t word =
            info_->user_word_bytes == 4 ? 0xffffffffull : ~uint64_t{0};
        e.rules[i] = {narrow ? (word & 0xffffffffull) : word,
                      narrow && (t == ArgType::kInt || t == ArgType::kLong),
                      narrow};
      }
    }
  }

  // DecodeSyscall(), table-driven. False for an unknown number.
  bool Decode(const RegisterFile& regs, DecodedSyscall* out) const {
    std::array<uint64_t, 6> values;
    const Entry* e = Values(regs, &values);
    if (e == nullptr) return false;
    out->signature = e->sig;
    for (size_t i = 0; i < e->sig->params.size(); ++i) {
      const uint64_t reg = regs.Get(info_->arg_regs[i]);
      out->args[i] = {reg, values[i], e->rules[i].narrow && (reg >> 32) != 0};
    }
    return true;
  }

  // The converted values alone (what the syscall body uses; `truncated` is
  // for traces).
  const Entry* Values(const RegisterFile& regs,
                      std::array<uint64_t, 6>* values) const {
    const uint64_t nr = regs.Get(info_->nr_reg);
    if (nr >= table_.size() || table_[nr].sig == nullptr) return nullptr;
    const Entry& e = table_[nr];
    for (size_t i = 0; i < 6; ++i) {
      const Rule& r = e.rules[i];
      uint64_t v = regs.Get(info_->arg_regs[i]) & r.mask;
      if (r.sign32) v = static_cast<uint64_t>(int64_t{static_cast<int32_t>(v)});
      (*values)[i] = v;
    }
    return &e;
  }

  Abi abi() const { return abi_; }

 private:
  Abi abi_;
  const AbiInfo* info_;
  std::array<Entry, 512> table_{};
};

int ParamIndex(const SyscallSignature& sig, std::string_view name) {
  for (size_t i = 0; i < sig.params.size(); ++i) {
    if (sig.params[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void BM_LegacySketch(benchmark::State& state, Abi abi) {
  const TableDecoder decoder(abi);
  const SyscallSignature& sig = *FindSyscall(abi, Sysno::kClone);
  const int i_flags = ParamIndex(sig, "clone_flags");
  const int i_sp = ParamIndex(sig, "newsp");
  const int i_ptid = ParamIndex(sig, "parent_tidptr");
  const int i_ctid = ParamIndex(sig, "child_tidptr");
  const int i_tls = ParamIndex(sig, "tls");
  // The sketch must be DecodeSyscall(): the same values for registers with
  // garbage in every upper half.
  RegisterFile probe = LegacyRegisters(abi, kFourFields);
  for (int i = 0; i < 6; ++i) {
    const Reg reg = AbiInfoFor(abi).arg_regs[i];
    probe.Set(reg, probe.Get(reg) | 0xdead000080000000ull);
  }
  DecodedSyscall fast{};
  if (!decoder.Decode(probe, &fast)) {
    return state.SkipWithError("sketch: unknown syscall");
  }
  const DecodedSyscall slow = DecodeSyscall(probe).value();
  for (int i = 0; i < 6; ++i) {
    if (fast.args[i].value != slow.args[i].value ||
        fast.args[i].truncated != slow.args[i].truncated) {
      return state.SkipWithError("sketch disagrees with DecodeSyscall()");
    }
  }
  const RegisterFile regs = LegacyRegisters(abi, kFourFields);
  for (auto _ : state) {
    std::array<uint64_t, 6> v;
    if (decoder.Values(regs, &v) == nullptr) break;
    KernelCloneArgs args;
    args.flags = v[i_flags];
    args.stack = v[i_sp];
    args.parent_tid = v[i_ptid];
    args.child_tid = v[i_ctid];
    args.tls = v[i_tls];
    benchmark::DoNotOptimize(args);
  }
  state.counters["uaccess_ops"] = 0;
  state.counters["uaccess_bytes"] = 0;
  state.counters["uaccess_faults"] = 0;
  state.SetLabel("floor=legacy");
}

// --- clone6: SYSCALL_DEFINE6(clone6) up to _do_clone_common() ---

// The entry's result as a long: 0, or -errno.
int64_t Code(const SysResult<KernelCloneArgs>& r) {
  return r.ok() ? 0 : -ErrnoValue(r.error());
}

void BM_Clone6(benchmark::State& state, Abi abi, int fields, uint64_t uargs,
               int64_t expected, std::string floor) {
  Setup s(abi);
  if (!s.ok) return state.SkipWithError("set-up failed");
  const uint64_t flags = fields >= 0 ? kFlagsForFields[fields] : kFourFields;
  const RegisterFile regs =
      Registers(abi, Sysno::kClone6, {uargs, flags, 0, 0, 0, 0});
  Kernel& k = s.sim.kernel();
  if (Code(k.CloneArgsFromRegisters(s.task, regs)) != expected) {
    return state.SkipWithError("unexpected result from the clone6 path");
  }
  UaccessDelta delta(*s.task->mm->memory);
  for (auto _ : state) {
    SysResult<KernelCloneArgs> args = k.CloneArgsFromRegisters(s.task, regs);
    benchmark::DoNotOptimize(args);
  }
  delta.Report(state);
  state.SetLabel("floor=" + floor);
}

// --- clone3: SYSCALL_DEFINE2(clone3) up to kernel_clone() ---

// struct clone_args as the kernel copies it (for the floor and the sketch).
struct UserCloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
      tls, set_tid, set_tid_size, cgroup;
};
static_assert(sizeof(UserCloneArgs) == 88);

// The model's own clone3 entry on `profile`: copy_clone_args_from_user()
// (6.12: copy_struct_from_user(), whose zero check of a longer struct reads
// a word at a time; 5.3: access_ok(), then a get_user() per byte past 64),
// the checks and clone3_args_valid(), through CloneArgsFromRegisters().
void BM_Clone3(benchmark::State& state, Abi abi, std::string profile,
               uint64_t size, uint64_t uargs, int64_t expected,
               std::string floor) {
  Setup s(abi, profile);
  if (!s.ok) return state.SkipWithError("set-up failed");
  const RegisterFile regs = Registers(abi, Sysno::kClone3, {uargs, size});
  Kernel& k = s.sim.kernel();
  if (Code(k.CloneArgsFromRegisters(s.task, regs)) != expected) {
    return state.SkipWithError("unexpected result from the clone3 path");
  }
  UaccessDelta delta(*s.task->mm->memory);
  for (auto _ : state) {
    SysResult<KernelCloneArgs> args = k.CloneArgsFromRegisters(s.task, regs);
    benchmark::DoNotOptimize(args);
  }
  delta.Report(state);
  state.SetLabel("floor=" + floor);
}

// A uaccess over the same bytes with one page lookup per access, a one-entry
// cache of the last page found, and the field offsets resolved at compile
// time: what a faster UserMemory could cost. x86_64 rules (a 64-bit
// access_ok()); counts what it does like UserMemory::stats().
class SketchMemory {
 public:
  SketchMemory(const UserMemory& from, uint64_t start, uint64_t pages)
      : limit_(from.addr_limit()) {
    for (uint64_t i = 0; i < pages; ++i) {
      const uint64_t addr = start + i * kPageSize;
      auto bytes = from.Peek(addr, kPageSize);
      if (!bytes.ok()) continue;
      auto page = std::make_unique<Page>();
      std::memcpy(page->data.data(), bytes->data(), kPageSize);
      pages_[addr / kPageSize] = std::move(page);
    }
  }

  // get_user() of 8 bytes.
  bool GetU64(uint64_t addr, uint64_t* value) {
    *value = 0;
    ++stats_.ops;
    const Page* page = addr % kPageSize <= kPageSize - 8 && AccessOk(addr, 8)
                           ? Lookup(addr / kPageSize)
                           : nullptr;  // (straddling reads: not sketched)
    if (page == nullptr) {
      ++stats_.faults;
      return false;
    }
    std::memcpy(value, page->data.data() + addr % kPageSize, 8);
    stats_.bytes += 8;
    return true;
  }

  // copy_from_user() within one page (what a clone_args copy needs unless
  // it straddles a page). Returns the bytes not copied.
  size_t CopyFrom(uint8_t* dst, uint64_t addr, size_t n) {
    ++stats_.ops;
    const Page* page = addr % kPageSize <= kPageSize - n && AccessOk(addr, n)
                           ? Lookup(addr / kPageSize)
                           : nullptr;
    if (page == nullptr) {
      ++stats_.faults;
      std::memset(dst, 0, n);
      return n;
    }
    std::memcpy(dst, page->data.data() + addr % kPageSize, n);
    stats_.bytes += n;
    return 0;
  }

  const UaccessStats& stats() const { return stats_; }

 private:
  struct Page {
    std::array<uint8_t, kPageSize> data;
  };
  bool AccessOk(uint64_t addr, uint64_t size) const {
    const uint64_t end = addr + size;
    return end >= size && end <= limit_;
  }
  const Page* Lookup(uint64_t pn) {
    if (pn == last_pn_) return last_;
    auto it = pages_.find(pn);
    if (it == pages_.end()) return nullptr;
    last_pn_ = pn;
    last_ = it->second.get();
    return last_;
  }

  uint64_t limit_;
  std::map<uint64_t, std::unique_ptr<Page>> pages_;
  uint64_t last_pn_ = ~uint64_t{0};
  const Page* last_ = nullptr;
  UaccessStats stats_;
};

constexpr const StructLayout& kClone6Layout =
    LayoutFor(StructId::kClone6Args, Abi::kX86_64);
constexpr uint32_t kOffStack = FindField(kClone6Layout, "stack")->offset;
constexpr uint32_t kOffChild = FindField(kClone6Layout, "child_tidptr")->offset;
constexpr uint32_t kOffParent =
    FindField(kClone6Layout, "parent_tidptr")->offset;
constexpr uint32_t kOffTls = FindField(kClone6Layout, "tls")->offset;

void ReportSketch(benchmark::State& state, const UaccessStats& start,
                  const UaccessStats& end) {
  state.counters["uaccess_ops"] = PerIteration(end.ops - start.ops);
  state.counters["uaccess_bytes"] = PerIteration(end.bytes - start.bytes);
  state.counters["uaccess_faults"] = PerIteration(end.faults - start.faults);
}

void BM_Clone6Sketch(benchmark::State& state) {
  Setup s(Abi::kX86_64);
  if (!s.ok) return state.SkipWithError("set-up failed");
  SketchMemory mem(*s.task->mm->memory, kBuf, kBufPages);
  const TableDecoder decoder(Abi::kX86_64);
  const RegisterFile regs = Registers(Abi::kX86_64, Sysno::kClone6,
                                      {kClone6At, kFourFields, 0, 0, 0, 0});
  const UaccessStats start = mem.stats();
  for (auto _ : state) {
    std::array<uint64_t, 6> v;
    decoder.Values(regs, &v);
    const uint64_t uargs = v[0];
    const uint64_t flags = v[1];
    int64_t result = 0;
    KernelCloneArgs args;
    if (v[2] | v[3] | v[4] | v[5] || (flags & kCloneDetached)) {
      result = -ErrnoValue(Errno::kEINVAL);
    } else {
      args.flags = flags;
      args.pidfd_in_args = true;
      bool ok = mem.GetU64(uargs + kOffStack, &args.stack);
      if (ok && (flags & (kCloneChildCleartid | kCloneChildSettid))) {
        ok = mem.GetU64(uargs + kOffChild, &args.child_tid);
      }
      if (ok && (flags & kCloneParentSettid)) {
        ok = mem.GetU64(uargs + kOffParent, &args.parent_tid);
      }
      if (ok && (flags & kCloneSettls)) {
        ok = mem.GetU64(uargs + kOffTls, &args.tls);
      }
      if (!ok) result = -ErrnoValue(Errno::kEFAULT);
    }
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(args);
  }
  ReportSketch(state, start, mem.stats());
  state.SetLabel("floor=clone6:4");
}

void BM_CopySketch(benchmark::State& state) {
  Setup s(Abi::kX86_64);
  if (!s.ok) return state.SkipWithError("set-up failed");
  SketchMemory mem(*s.task->mm->memory, kBuf, kBufPages);
  const TableDecoder decoder(Abi::kX86_64);
  const RegisterFile regs =
      Registers(Abi::kX86_64, Sysno::kClone3, {kCloneArgsAt, 64});
  const UaccessStats start = mem.stats();
  for (auto _ : state) {
    std::array<uint64_t, 6> v;
    decoder.Values(regs, &v);
    const uint64_t size = v[1];
    int64_t result = 0;
    KernelCloneArgs kargs;
    if (size != 64) {
      result = -ErrnoValue(Errno::kEINVAL);
    } else {
      UserCloneArgs args;
      if (mem.CopyFrom(reinterpret_cast<uint8_t*>(&args), v[0], 64) != 0) {
        result = -ErrnoValue(Errno::kEFAULT);
      }
      kargs = KernelCloneArgs{
          .flags = args.flags,
          .pidfd = args.pidfd,
          .child_tid = args.child_tid,
          .parent_tid = args.parent_tid,
          .exit_signal = static_cast<int>(args.exit_signal),
          .stack = args.stack,
          .stack_size = args.stack_size,
          .tls = args.tls,
          .set_tid_size = 0,
          .cgroup = 0,
      };
    }
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(kargs);
  }
  ReportSketch(state, start, mem.stats());
  state.SetLabel("floor=clone3:64");
}

// --- the physical floor ---

// The bytes of each path in plain host memory.
struct alignas(64) Plain {
  std::array<uint64_t, 8> regs{};    // the register file
  std::array<uint8_t, 128> bytes{};  // a clone6_args / clone_args
};

// What the floor loads: the values, and nothing else (the model's rows
// fill a whole KernelCloneArgs; that is part of their cost).
struct Loaded {
  uint64_t flags = 0, stack = 0, parent_tid = 0, child_tid = 0, tls = 0;
};

void BM_FloorLegacy(benchmark::State& state, Abi abi) {
  Plain plain;
  for (size_t i = 0; i < plain.regs.size(); ++i) plain.regs[i] = 0x1000 * i;
  const bool narrow = AbiInfoFor(abi).user_word_bytes == 4;
  for (auto _ : state) {
    // The buffer may have changed: its bytes are loaded again. (Not the
    // pointer: GCC's "+m,r" on a pointer miscompiles under UBSan.)
    benchmark::DoNotOptimize(plain);
    const Plain* p = &plain;
    Loaded args;
    if (narrow) {  // 32-bit registers: the low halves, zero-extended
      args.flags = static_cast<uint32_t>(p->regs[1]);
      args.stack = static_cast<uint32_t>(p->regs[2]);
      args.parent_tid = static_cast<uint32_t>(p->regs[3]);
      args.tls = static_cast<uint32_t>(p->regs[4]);
      args.child_tid = static_cast<uint32_t>(p->regs[5]);
    } else {
      args.flags = p->regs[1];
      args.stack = p->regs[2];
      args.parent_tid = p->regs[3];
      args.child_tid = p->regs[4];
      args.tls = p->regs[5];
    }
    benchmark::DoNotOptimize(args);
  }
}

void BM_FloorFields(benchmark::State& state, int fields) {
  Plain plain;
  for (size_t i = 0; i < plain.bytes.size(); ++i) plain.bytes[i] = i;
  for (auto _ : state) {
    // The buffer may have changed: its bytes are loaded again. (Not the
    // pointer: GCC's "+m,r" on a pointer miscompiles under UBSan.)
    benchmark::DoNotOptimize(plain);
    const Plain* p = &plain;
    Loaded args;
    args.flags = p->regs[1];
    auto load = [&](uint32_t offset, uint64_t* out) {
      std::memcpy(out, p->bytes.data() + offset, 8);
    };
    if (fields >= 1) load(24, &args.stack);
    if (fields >= 2) load(16, &args.child_tid);
    if (fields >= 3) load(8, &args.parent_tid);
    if (fields >= 4) load(40, &args.tls);
    benchmark::DoNotOptimize(args);
  }
}

// A 4096-byte struct: the 88 bytes copied, the other 4008 checked for zero.
void BM_FloorCopyZeroTail(benchmark::State& state) {
  std::vector<uint8_t> page(kPageSize, 0);
  for (size_t i = 0; i < 88; ++i) page[i] = i;
  for (auto _ : state) {
    benchmark::DoNotOptimize(page);
    const uint8_t* p = page.data();
    UserCloneArgs args;
    std::memcpy(&args, p, sizeof(args));
    bool zero = true;
    for (size_t i = sizeof(args); i < kPageSize; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      zero = zero && word == 0;
    }
    benchmark::DoNotOptimize(args);
    benchmark::DoNotOptimize(zero);
  }
}

// The size is a constant, as sizeof(struct clone_args) is in the kernel.
template <size_t kSize>
void BM_FloorCopy(benchmark::State& state) {
  Plain plain;
  for (size_t i = 0; i < plain.bytes.size(); ++i) plain.bytes[i] = i;
  for (auto _ : state) {
    // The buffer may have changed: its bytes are loaded again. (Not the
    // pointer: GCC's "+m,r" on a pointer miscompiles under UBSan.)
    benchmark::DoNotOptimize(plain);
    const Plain* p = &plain;
    UserCloneArgs args;
    std::memcpy(&args, p->bytes.data(), kSize);
    benchmark::DoNotOptimize(args);
  }
}

}  // namespace

void RegisterMarshalBenchmarks() {
  for (Abi abi : kAllAbis) {
    const std::string a(AbiName(abi));
    auto name = [&](std::string_view kind, std::string_view key) {
      return absl::StrFormat("%s/%s/%s", kind, a, key);
    };
    benchmark::RegisterBenchmark(name("marshal", "legacy").c_str(), BM_Legacy,
                                 abi);
    for (int n = 0; n <= 4; ++n) {
      const std::string key = absl::StrFormat("clone6:%d", n);
      benchmark::RegisterBenchmark(name("marshal", key).c_str(), BM_Clone6, abi,
                                   n, kClone6At, n == 0 ? -22 : 0, key);
    }
    benchmark::RegisterBenchmark(name("marshal", "clone6:fault_first").c_str(),
                                 BM_Clone6, abi, -1, kBufEnd, -14,
                                 std::string("clone6:1"));
    benchmark::RegisterBenchmark(name("marshal", "clone6:fault_last").c_str(),
                                 BM_Clone6, abi, -1, kBufEnd - 40, -14,
                                 std::string("clone6:4"));
    for (uint64_t size : {64, 80, 88, 4096}) {
      const std::string key = absl::StrFormat("clone3:%d", size);
      benchmark::RegisterBenchmark(name("marshal", key).c_str(), BM_Clone3, abi,
                                   std::string(kClone3Profile), size,
                                   kCloneArgsAt, 0, key);
    }
    benchmark::RegisterBenchmark(
        name("marshal", "clone3:64_fault_first").c_str(), BM_Clone3, abi,
        std::string(kClone3Profile), uint64_t{64}, kBufEnd, -14,
        std::string("clone3:64"));
    benchmark::RegisterBenchmark(
        name("marshal", "clone3:64_fault_last").c_str(), BM_Clone3, abi,
        std::string(kClone3Profile), uint64_t{64}, kBufEnd - 56, -14,
        std::string("clone3:64"));
    // 5.3's tail loop: a get_user() per byte past 64.
    benchmark::RegisterBenchmark(name("marshal", "clone3_5.3:4096").c_str(),
                                 BM_Clone3, abi, std::string("5.3"),
                                 uint64_t{4096}, kCloneArgsAt, 0,
                                 std::string("clone3:4096"));

    benchmark::RegisterBenchmark(name("sketch", "legacy").c_str(),
                                 BM_LegacySketch, abi);
    if (abi == Abi::kX86_64) {
      benchmark::RegisterBenchmark(name("sketch", "clone6:4").c_str(),
                                   BM_Clone6Sketch);
      benchmark::RegisterBenchmark(name("sketch", "clone3:64").c_str(),
                                   BM_CopySketch);
    }
    benchmark::RegisterBenchmark(name("floor", "legacy").c_str(),
                                 BM_FloorLegacy, abi);
    for (int n = 0; n <= 4; ++n) {
      benchmark::RegisterBenchmark(
          name("floor", absl::StrFormat("clone6:%d", n)).c_str(),
          BM_FloorFields, n);
    }
    benchmark::RegisterBenchmark(name("floor", "clone3:64").c_str(),
                                 BM_FloorCopy<64>);
    benchmark::RegisterBenchmark(name("floor", "clone3:80").c_str(),
                                 BM_FloorCopy<80>);
    benchmark::RegisterBenchmark(name("floor", "clone3:88").c_str(),
                                 BM_FloorCopy<88>);
    benchmark::RegisterBenchmark(name("floor", "clone3:4096").c_str(),
                                 BM_FloorCopyZeroTail);
  }
}

}  // namespace forksim::bench

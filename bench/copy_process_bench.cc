// -----------------------------------------------------------------------------
// File: bench/copy_process_bench.cc
// -----------------------------------------------------------------------------
//
// copy_process() end to end in the model, x86_64: profile 5.2-rc1+clone6 for
// the direct call, legacy clone and clone6; 6.12 for clone3.
//
// Kinds (the clone flags):
//   fork    SIGCHLD
//   thread  VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|
//           CHILD_CLEARTID
//   vfork   VFORK|VM|SIGCHLD
//   pidfd   PIDFD|SIGCHLD
//   newns   NEWNS|NEWUTS|NEWIPC|NEWPID|NEWNET|NEWCGROUP|NEWUSER|SIGCHLD
// Entries:
//   direct  Kernel::CopyProcess(): copy_process() alone, no syscall entry,
//           no _do_fork()
//   clone   the legacy syscall, registers set and Kernel::Syscall()
//   clone6  the RFC syscall: the struct read from the caller's memory
//   clone3  6.12's clone3: an 88-byte struct clone_args copied at once
//           (the pidfd in its own field, CLONE_VM without a stack: V5
//           wants both or neither), then 6.12's copy_process()
//
//   copy_process/KIND/ENTRY  the creating call alone (manual time, steady
//                            clock around the call; its ~20 ns is included)
//   cycle/KIND/ENTRY         the creating call, the child's exit(0) and the
//                            parent's wait4() (a thread exits and is
//                            autoreaped): the machine stays bounded
//
// uaccess counters are the caller's (its UserMemory) during the creating call.

#include <array>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "model/abi/layout.h"
#include "sim/kernel/clone_args.h"

namespace forksim::bench {
namespace {

constexpr uint64_t kThreadFlags =
    kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread |
    kCloneSysvsem | kCloneSettls | kCloneParentSettid | kCloneChildCleartid;
constexpr uint64_t kNewNamespaceFlags =
    kCloneNewns | kCloneNewuts | kCloneNewipc | kCloneNewpid | kCloneNewnet |
    kCloneNewcgroup | kCloneNewuser;

struct Kind {
  const char* name;
  uint64_t flags;
};
constexpr Kind kKinds[] = {
    {"fork", kSigchld},
    {"thread", kThreadFlags},
    {"vfork", kCloneVfork | kCloneVm | kSigchld},
    {"pidfd", kClonePidfd | kSigchld},
    {"newns", kNewNamespaceFlags | kSigchld},
};

enum class Entry { kDirect, kClone, kClone6, kClone3 };
constexpr std::array<std::pair<Entry, const char*>, 4> kEntries = {{
    {Entry::kDirect, "direct"},
    {Entry::kClone, "clone"},
    {Entry::kClone6, "clone6"},
    {Entry::kClone3, "clone3"},
}};

std::string_view ProfileFor(Entry entry) {
  return entry == Entry::kClone3 ? "6.12" : kProfile;
}

// The caller's memory: clone6_args at kUargs, clone_args at kClone3Args,
// the tid words, a TLS base, clone3's pidfd word.
constexpr uint64_t kUargs = kBuf;
constexpr uint64_t kClone3Args = kBuf + 0x400;
constexpr uint64_t kChildTid = kBuf + 0x100;
constexpr uint64_t kParentTid = kBuf + 0x104;
constexpr uint64_t kPidfd = kBuf + 0x108;
constexpr uint64_t kTls = kBuf + 0x200;  // an FS base on x86_64

struct Fixture {
  Fixture(uint64_t flags, Entry entry)
      : sim(Abi::kX86_64, ProfileFor(entry)), flags(flags), entry(entry) {
    parent = sim.NewProcess();
    if (parent == nullptr) return;
    StructValue c6(LayoutFor(StructId::kClone6Args, Abi::kX86_64));
    c6.Set("child_tidptr", kChildTid);
    c6.Set("parent_tidptr", kParentTid);
    c6.Set("tls", kTls);
    StructValue c3(LayoutFor(StructId::kCloneArgsVer2, Abi::kX86_64));
    c3.Set("flags", flags & ~kCsignal);
    c3.Set("exit_signal", flags & kCsignal);
    c3.Set("pidfd", kPidfd);
    c3.Set("child_tid", kChildTid);
    c3.Set("parent_tid", kParentTid);
    c3.Set("tls", kTls);
    if (!sim.kernel().WriteMemory(parent, kUargs, EncodeStruct(c6)).ok() ||
        !sim.kernel().WriteMemory(parent, kClone3Args, EncodeStruct(c3)).ok()) {
      return;
    }
    const AbiInfo& info = AbiInfoFor(Abi::kX86_64);
    regs = RegisterFile(Abi::kX86_64);
    if (entry == Entry::kClone) {
      // x86_64 order: flags, newsp, parent_tidptr, child_tidptr, tls.
      regs.Set(info.nr_reg, FindSyscall(Abi::kX86_64, Sysno::kClone)->nr);
      const uint64_t args[] = {flags, 0, kParentTid, kChildTid, kTls};
      for (int i = 0; i < 5; ++i) regs.Set(info.arg_regs[i], args[i]);
    } else if (entry == Entry::kClone6) {
      regs.Set(info.nr_reg, FindSyscall(Abi::kX86_64, Sysno::kClone6)->nr);
      const uint64_t args[] = {kUargs, flags, 0, 0, 0, 0};
      for (int i = 0; i < 6; ++i) regs.Set(info.arg_regs[i], args[i]);
    } else if (entry == Entry::kClone3) {
      regs.Set(info.nr_reg, FindSyscall(Abi::kX86_64, Sysno::kClone3)->nr);
      regs.Set(info.arg_regs[0], kClone3Args);
      regs.Set(info.arg_regs[1], 88);
    }
    ok = true;
  }

  // The creating call. Returns the child's pid (> 0), or -errno; `child` is
  // the new task.
  int64_t Create(Task** child) {
    int64_t result;
    bool blocked = false;
    if (entry == Entry::kDirect) {
      // What legacy clone hands to the common path.
      KernelCloneArgs args;
      args.flags = flags & ~kCsignal;
      args.exit_signal = static_cast<int>(flags & kCsignal);
      args.parent_tid = kParentTid;
      args.child_tid = kChildTid;
      args.tls = kTls;
      args.pidfd = kParentTid;
      args.pidfd_at_parent_tid = true;
      SysResult<Task*> p = sim.kernel().CopyProcess(parent, args);
      result = p.ok() ? p.value()->pid.value : -ErrnoValue(p.error());
    } else {
      sim.kernel().SetRegisters(parent, regs);
      const SyscallOutcome outcome = sim.kernel().Syscall(parent);
      blocked = outcome.blocked();
      result = outcome.returned() ? outcome.ReturnValue() : -1;
    }
    *child = (flags & kCloneThread) ? ModelSim::NewestThread(parent)
                                    : ModelSim::NewestChild(parent);
    if (blocked) result = *child != nullptr ? (*child)->pid.value : -1;
    return result;
  }

  // The parent's wait4() (not for a thread: it is autoreaped) and the
  // pidfd's close. False on a surprise.
  bool Reap(int64_t pid) {
    if (!(flags & kCloneThread)) {
      if (sim.Call(parent, Sysno::kWait4,
                   {static_cast<uint64_t>(pid), 0, 0, 0}) != pid) {
        return false;
      }
    }
    if (flags & kClonePidfd) {
      uint64_t fd = 0;
      const uint64_t at = entry == Entry::kClone6   ? kUargs
                          : entry == Entry::kClone3 ? kPidfd
                                                    : kParentTid;
      const auto bytes = parent->mm->memory->Peek(at, 4);
      if (!bytes.ok()) return false;
      for (int i = 0; i < 4; ++i) fd |= uint64_t{(*bytes)[i]} << (8 * i);
      if (sim.Call(parent, Sysno::kClose, {fd}) != 0) return false;
      // rc1's legacy entry reads a "reserved" 0 at parent_tidptr.
      static constexpr std::array<uint8_t, 4> kZero = {};
      if (!sim.kernel().WriteMemory(parent, kParentTid, kZero).ok()) {
        return false;
      }
    }
    return true;
  }

  ModelSim sim;
  uint64_t flags;
  Entry entry;
  Task* parent = nullptr;
  RegisterFile regs;
  bool ok = false;
};

std::string Describe(int64_t result) {
  return absl::StrFormat("the creating call returned %d", result);
}

// One cycle before timing: the call succeeds and the child can be reaped.
// (exit() never returns: Kernel::Invoke() reports kNoReturn for it.)
bool FirstCycle(Fixture& f) {
  Task* child = nullptr;
  const int64_t pid = f.Create(&child);
  if (pid <= 0 || child == nullptr) return false;
  (void)f.sim.kernel().Invoke(child, Sysno::kExit, {0});
  return f.Reap(pid);
}

void BM_CopyProcess(benchmark::State& state, uint64_t flags, Entry entry) {
  Fixture f(flags, entry);
  if (!f.ok) return state.SkipWithError("set-up failed");
  if (!FirstCycle(f)) return state.SkipWithError("first cycle failed");
  UaccessStats uaccess;
  for (auto _ : state) {
    Task* child = nullptr;
    const UaccessStats before = f.parent->mm->memory->stats();
    const int64_t t0 = NowNs();
    const int64_t pid = f.Create(&child);
    const int64_t t1 = NowNs();
    const UaccessStats& after = f.parent->mm->memory->stats();
    uaccess.ops += after.ops - before.ops;
    uaccess.bytes += after.bytes - before.bytes;
    uaccess.faults += after.faults - before.faults;
    state.SetIterationTime(static_cast<double>(t1 - t0) * 1e-9);
    if (pid <= 0 || child == nullptr) {
      state.SkipWithError(Describe(pid).c_str());
      break;
    }
    (void)f.sim.kernel().Invoke(child, Sysno::kExit, {0});
    if (!f.Reap(pid)) {
      state.SkipWithError("exit and reap failed");
      break;
    }
  }
  state.counters["uaccess_ops"] = PerIteration(uaccess.ops);
  state.counters["uaccess_bytes"] = PerIteration(uaccess.bytes);
  state.counters["uaccess_faults"] = PerIteration(uaccess.faults);
  if (const std::string bad = f.sim.CheckClean(); !bad.empty()) {
    state.SkipWithError(("invariants: " + bad).c_str());
  }
}

void BM_Cycle(benchmark::State& state, uint64_t flags, Entry entry) {
  Fixture f(flags, entry);
  if (!f.ok) return state.SkipWithError("set-up failed");
  if (!FirstCycle(f)) return state.SkipWithError("first cycle failed");
  for (auto _ : state) {
    Task* child = nullptr;
    const int64_t pid = f.Create(&child);
    if (pid <= 0 || child == nullptr) {
      state.SkipWithError(Describe(pid).c_str());
      break;
    }
    (void)f.sim.kernel().Invoke(child, Sysno::kExit, {0});
    if (!f.Reap(pid)) {
      state.SkipWithError("exit and reap failed");
      break;
    }
  }
  if (const std::string bad = f.sim.CheckClean(); !bad.empty()) {
    state.SkipWithError(("invariants: " + bad).c_str());
  }
}

// The steady-clock pair that the manual-time rows include.
void BM_ClockPair(benchmark::State& state) {
  for (auto _ : state) {
    const int64_t t0 = NowNs();
    const int64_t t1 = NowNs();
    benchmark::DoNotOptimize(t1 - t0);
  }
}

}  // namespace

void RegisterCopyProcessBenchmarks() {
  for (const Kind& kind : kKinds) {
    for (const auto& [entry, entry_name] : kEntries) {
      benchmark::RegisterBenchmark(
          absl::StrFormat("copy_process/%s/%s", kind.name, entry_name).c_str(),
          BM_CopyProcess, kind.flags, entry)
          ->UseManualTime();
    }
  }
  for (const Kind& kind : kKinds) {
    for (const auto& [entry, entry_name] : kEntries) {
      benchmark::RegisterBenchmark(
          absl::StrFormat("cycle/%s/%s", kind.name, entry_name).c_str(),
          BM_Cycle, kind.flags, entry);
    }
  }
  benchmark::RegisterBenchmark("floor/clock_pair", BM_ClockPair);
}

}  // namespace forksim::bench

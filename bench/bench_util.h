// -----------------------------------------------------------------------------
// File: bench/bench_util.h
// -----------------------------------------------------------------------------
//
// Shared set-up for the forksim benchmarks: a booted kernel with tracing off,
// processes with mapped user memory, the run-size options, uaccess counters
// and host memory figures (VmRSS / VmHWM).
//
// Every model benchmark drives the simulator through its public APIs
// (sim/kernel.h, sim/fork.h, model/uaccess/user_memory.h); nothing here
// changes the model.

#ifndef FORKSIM_BENCH_BENCH_UTIL_H_
#define FORKSIM_BENCH_BENCH_UTIL_H_

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "benchmark/benchmark.h"
#include "model/kernel/task.h"
#include "model/uaccess/user_memory.h"
#include "sim/kernel/kernel.h"

namespace forksim::bench {

// The profile every benchmark runs on: legacy clone and clone6 side by side
// in one kernel.
inline constexpr std::string_view kProfile = "5.2-rc1+clone6";

// Where NewProcess() maps its read-write pages, and how many.
inline constexpr uint64_t kBuf = 0x10000;
inline constexpr uint64_t kBufPages = 16;
inline constexpr uint64_t kBufEnd = kBuf + kBufPages * kPageSize;

// Run-size options, from the environment (set by `./forksim bench`):
//   FORKSIM_BENCH_FULL=1   the 1,000,000-task points and the pid-space fill
//   FORKSIM_BENCH_SMOKE=1  the smallest argument of every scaling benchmark
//                          (the smoke test)
//   FORKSIM_BENCH_NO_HOST=1  skip the real-kernel benchmarks
struct Options {
  bool full = false;
  bool smoke = false;
  bool no_host = false;
};
const Options& GetOptions();

// ModelSim
//
// A booted kernel of kProfile with tracing off.
class ModelSim {
 public:
  explicit ModelSim(Abi abi = Abi::kX86_64,
                    std::string_view profile = kProfile);

  Kernel& kernel() { return kernel_; }
  const Machine& machine() const { return kernel_.machine(); }
  Task* init() { return kernel_.machine().init; }

  // A process forked by `parent` (init by default), with kBufPages
  // read-write pages at kBuf. nullptr if the fork failed.
  Task* NewProcess(Task* parent = nullptr);

  // A syscall that must not block; returns its long result (or INT64_MIN if
  // it blocked or did not return).
  int64_t Call(Task* task, Sysno sysno, std::initializer_list<uint64_t> args);

  // A sysctl write, as root; false if the kernel refused it.
  bool Sysctl(std::string_view key, int64_t value);

  // The newest real child of `parent` / the newest thread of `leader`'s group,
  // in O(1) (Machine::FindTaskByTid is a scan of every task).
  static Task* NewestChild(Task* parent);
  static Task* NewestThread(Task* leader);

  // Empty if the invariant checker finds nothing; else the first violation.
  std::string CheckClean();

 private:
  Kernel kernel_;
};

// Steady-clock nanoseconds, for sub-phase counters (fork / exit / reap).
inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// UaccessDelta
//
// The uaccess counters of one UserMemory between construction and Report(),
// reported per iteration as ops, bytes and faults.
class UaccessDelta {
 public:
  explicit UaccessDelta(const UserMemory& memory)
      : memory_(memory), start_(memory.stats()) {}
  void Report(benchmark::State& state) const;

 private:
  const UserMemory& memory_;
  UaccessStats start_;
};

// An average-per-iteration counter.
inline benchmark::Counter PerIteration(double total) {
  return benchmark::Counter(total, benchmark::Counter::kAvgIterations);
}

// Host memory of this process, in bytes, from /proc/self/status; 0 if the
// field is missing.
uint64_t VmRssBytes();
uint64_t VmHwmBytes();
// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs).
// Returns false where that is not allowed.
bool ResetPeakRss();

// Registration of each suite (one per source file).
void RegisterMarshalBenchmarks();
void RegisterCopyProcessBenchmarks();
void RegisterScalingBenchmarks();
void RegisterHostKernelBenchmarks();
void RegisterHostcheckBenchmarks();

}  // namespace forksim::bench

#endif  // FORKSIM_BENCH_BENCH_UTIL_H_

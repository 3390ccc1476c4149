// -----------------------------------------------------------------------------
// File: bench/scaling_bench.cc
// -----------------------------------------------------------------------------
//
// How the model's fork cost grows with the state it copies or searches.
// Every row runs a fork-like cycle per iteration (legacy clone(SIGCHLD), the
// child's exit(0), the parent's wait4(pid)) and reports the phases as
// counters (fork_ns, exit_ns, reap_ns: steady clock, per iteration):
//
//   scaling/fds/N             the parent holds N more open files (fds 3 ..
//                             N + 2; fs.nr_open raised to 4 Mi); counters
//                             fd_words (open_fds words in use) and
//                             table_words (the table's size)
//   scaling/fds_shared/N      the same with one struct file in all N slots
//                             (as dup() leaves them): the refcount work
//                             stays in one cache line
//   scaling/pidns_depth/D     the parent is the init of a pid namespace at
//                             level D (1..32): the child gets D + 1 numbers
//   scaling/live_tasks/KIND/N N other live tasks (KIND process: children of a
//                             holder process; thread: threads of it), started
//                             once; counters bytes_per_task and peak_rss_mib
//                             (host VmHWM after building them, less the RSS
//                             before, divided by N)
//   scaling/pid_space_fill/P  one run: pid_max = P, threads of one holder made
//                             until the pid space is full (EAGAIN); manual
//                             time = the whole fill; counters tasks,
//                             ns_per_task, full_fork_ns (the failing fork),
//                             bytes_per_task, peak_rss_mib
//
// The 1,000,000-task points and the fill of pid_max 4,194,304 run only with
// FORKSIM_BENCH_FULL=1 (`./forksim bench --full`); FORKSIM_BENCH_SMOKE=1 keeps
// the smallest point of each.

#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

namespace forksim::bench {
namespace {

constexpr uint64_t kThreadFlags = kCloneVm | kCloneFs | kCloneFiles |
                                  kCloneSighand | kCloneThread | kCloneSysvsem;
constexpr int kPidMaxLimit = 4194304;

// A machine built for one row: a parent that forks, and what the row added.
struct Built {
  Built() : sim(std::make_unique<ModelSim>()) {}
  std::unique_ptr<ModelSim> sim;
  Task* parent = nullptr;
  double bytes_per_task = 0;
  double peak_rss_mib = 0;
};

// One fork-like cycle from `parent`, with its phases added to the sums.
struct Phases {
  int64_t fork = 0, exit = 0, reap = 0;
};
bool Cycle(ModelSim& sim, Task* parent, Phases* sum) {
  const int64_t t0 = NowNs();
  const int64_t pid = sim.Call(parent, Sysno::kClone, {kSigchld, 0, 0, 0, 0});
  const int64_t t1 = NowNs();
  if (pid <= 0) return false;
  Task* child = ModelSim::NewestChild(parent);
  (void)sim.kernel().Invoke(child, Sysno::kExit, {0});
  const int64_t t2 = NowNs();
  const int64_t reaped =
      sim.Call(parent, Sysno::kWait4, {static_cast<uint64_t>(pid), 0, 0, 0});
  const int64_t t3 = NowNs();
  sum->fork += t1 - t0;
  sum->exit += t2 - t1;
  sum->reap += t3 - t2;
  return reaped == pid;
}

void RunCycles(benchmark::State& state, ModelSim& sim, Task* parent) {
  Phases sum;
  for (auto _ : state) {
    if (!Cycle(sim, parent, &sum)) {
      state.SkipWithError("fork, exit or wait4 failed");
      break;
    }
  }
  state.counters["fork_ns"] = PerIteration(sum.fork);
  state.counters["exit_ns"] = PerIteration(sum.exit);
  state.counters["reap_ns"] = PerIteration(sum.reap);
}

// Google Benchmark calls a function several times while it sizes the
// iteration count: the machine of the last argument is kept between calls.
template <typename Key>
struct Cache {
  Key key{};
  std::unique_ptr<Built> machine;
  Built* Get(const Key& k) {
    if (machine != nullptr && key == k) return machine.get();
    machine.reset();
    malloc_trim(0);
    return nullptr;
  }
  Built* Put(const Key& k, std::unique_ptr<Built> m) {
    key = k;
    machine = std::move(m);
    return machine.get();
  }
};

// --- open fds ---

// `shared`: one struct file in every new slot (as dup() would leave it), so
// that the per-fd refcount work stays in one cache line.
std::unique_ptr<Built> BuildFds(int64_t n, bool shared, std::string* error) {
  auto m = std::make_unique<Built>();
  constexpr int64_t kNrOpen = 4 * 1048576;
  if (!m->sim->Sysctl("fs.nr_open", kNrOpen)) {
    *error = "raising fs.nr_open failed";
    return nullptr;
  }
  m->parent = m->sim->NewProcess();
  Kernel& k = m->sim->kernel();
  if (m->parent == nullptr ||
      !k.SetRlimit(m->parent, kRlimitNofile, kNrOpen, kNrOpen).ok()) {
    *error = "raising RLIMIT_NOFILE failed";
    return nullptr;
  }
  int first = -1;  // the file every slot shares, when shared
  for (int64_t i = 0; i < n; ++i) {
    const SysResult<int> fd = shared && first >= 0
                                  ? k.DupFile(m->parent, first)
                                  : k.OpenFile(m->parent, "/dev/null", false);
    if (!fd.ok()) {
      *error = absl::StrFormat("open or dup failed after %d fds: %s", i,
                               ErrnoName(fd.error()));
      return nullptr;
    }
    if (first < 0) first = fd.value();
  }
  return m;
}

void BM_Fds(benchmark::State& state, bool shared) {
  static Cache<std::pair<bool, int64_t>> cache;
  const int64_t n = state.range(0);
  const std::pair<bool, int64_t> key(shared, n);
  Built* m = cache.Get(key);
  if (m == nullptr) {
    std::string error;
    std::unique_ptr<Built> built = BuildFds(n, shared, &error);
    if (built == nullptr) return state.SkipWithError(error.c_str());
    m = cache.Put(key, std::move(built));
  }
  RunCycles(state, *m->sim, m->parent);
  // Words of open_fds that hold open fds (all of them are, from 0), and the
  // table's size in words (alloc_fdtable() rounds up to a power of two).
  const int64_t open = n + 3;
  state.counters["open_fds"] = static_cast<double>(open);
  state.counters["fd_words"] = static_cast<double>((open + 63) / 64);
  state.counters["table_words"] =
      static_cast<double>(m->parent->files->open_fds.words());
}

// --- pid namespace depth ---

std::unique_ptr<Built> BuildDepth(int64_t depth, std::string* error) {
  auto m = std::make_unique<Built>();
  Task* t = m->sim->NewProcess();
  for (int64_t level = 1; level <= depth && t != nullptr; ++level) {
    const int64_t pid =
        m->sim->Call(t, Sysno::kClone, {kCloneNewpid | kSigchld, 0, 0, 0, 0});
    if (pid <= 0) {
      *error =
          absl::StrFormat("CLONE_NEWPID at level %d returned %d", level, pid);
      return nullptr;
    }
    t = ModelSim::NewestChild(t);
  }
  m->parent = t;
  return m;
}

void BM_PidnsDepth(benchmark::State& state) {
  static Cache<int64_t> cache;
  const int64_t depth = state.range(0);
  Built* m = cache.Get(depth);
  if (m == nullptr) {
    std::string error;
    std::unique_ptr<Built> built = BuildDepth(depth, &error);
    if (built == nullptr) return state.SkipWithError(error.c_str());
    m = cache.Put(depth, std::move(built));
  }
  RunCycles(state, *m->sim, m->parent);
  state.counters["pid_levels"] = static_cast<double>(depth + 1);
}

// --- live tasks ---

// Makes `n` tasks of `holder` (threads, or child processes). Returns how
// many were made before a failure; `last` is the last result.
int64_t Spawn(ModelSim& sim, Task* holder, bool threads, int64_t n,
              int64_t* last) {
  const uint64_t flags = threads ? kThreadFlags : kSigchld;
  const AbiInfo& info = AbiInfoFor(holder->abi);
  RegisterFile regs(holder->abi);
  regs.Set(info.nr_reg, FindSyscall(holder->abi, Sysno::kClone)->nr);
  regs.Set(info.arg_regs[0], flags);
  int64_t made = 0;
  *last = 0;
  for (; made < n; ++made) {
    sim.kernel().SetRegisters(holder, regs);
    const SyscallOutcome outcome = sim.kernel().Syscall(holder);
    *last = outcome.returned() ? outcome.ReturnValue() : INT64_MIN;
    if (*last <= 0) break;
  }
  return made;
}

std::unique_ptr<Built> BuildLive(bool threads, int64_t n, std::string* error) {
  ResetPeakRss();
  const uint64_t rss_before = VmRssBytes();
  auto m = std::make_unique<Built>();
  if (!m->sim->Sysctl("kernel.pid_max", kPidMaxLimit) ||
      !m->sim->Sysctl("kernel.threads-max", kMaxThreads)) {
    *error = "raising pid_max / threads-max failed";
    return nullptr;
  }
  // The holder has an mm but no mapped pages: its children copy an empty
  // address space.
  const int64_t holder_pid = m->sim->Call(m->sim->init(), Sysno::kFork, {});
  Task* holder = ModelSim::NewestChild(m->sim->init());
  if (holder_pid <= 0 || holder == nullptr) {
    *error = "holder fork failed";
    return nullptr;
  }
  int64_t last = 0;
  const int64_t made = Spawn(*m->sim, holder, threads, n, &last);
  if (made != n) {
    *error =
        absl::StrFormat("task %d of %d: clone returned %d", made + 1, n, last);
    return nullptr;
  }
  m->sim->kernel().Schedule();  // every live task has had its first run
  const uint64_t hwm = VmHwmBytes();
  m->bytes_per_task =
      hwm > rss_before ? static_cast<double>(hwm - rss_before) / n : 0;
  m->peak_rss_mib = static_cast<double>(hwm) / (1 << 20);
  m->parent = m->sim->NewProcess();
  if (m->parent == nullptr) {
    *error = "parent fork failed";
    return nullptr;
  }
  return m;
}

void BM_LiveTasks(benchmark::State& state, bool threads) {
  static Cache<std::pair<bool, int64_t>> cache;
  const int64_t n = state.range(0);
  const std::pair<bool, int64_t> key(threads, n);
  Built* m = cache.Get(key);
  if (m == nullptr) {
    std::string error;
    std::unique_ptr<Built> built = BuildLive(threads, n, &error);
    if (built == nullptr) return state.SkipWithError(error.c_str());
    m = cache.Put(key, std::move(built));
  }
  RunCycles(state, *m->sim, m->parent);
  state.counters["live_tasks"] = static_cast<double>(n);
  state.counters["bytes_per_task"] = m->bytes_per_task;
  state.counters["peak_rss_mib"] = m->peak_rss_mib;
}

// --- the whole pid space ---

void BM_PidSpaceFill(benchmark::State& state) {
  const int64_t pid_max = state.range(0);
  for (auto _ : state) {
    malloc_trim(0);
    ResetPeakRss();
    const uint64_t rss_before = VmRssBytes();
    auto sim = std::make_unique<ModelSim>();
    if (!sim->Sysctl("kernel.pid_max", pid_max) ||
        !sim->Sysctl("kernel.threads-max", kMaxThreads)) {
      state.SkipWithError("raising pid_max / threads-max failed");
      break;
    }
    const int64_t holder_pid = sim->Call(sim->init(), Sysno::kFork, {});
    Task* holder = ModelSim::NewestChild(sim->init());
    if (holder_pid <= 0 || holder == nullptr) {
      state.SkipWithError("holder fork failed");
      break;
    }
    const int64_t t0 = NowNs();
    int64_t last = 0;
    const int64_t made = Spawn(*sim, holder, /*threads=*/true, pid_max, &last);
    const int64_t t1 = NowNs();
    // The fork that failed last, once more: the search of a full idr.
    int64_t again = 0;
    Spawn(*sim, holder, true, 1, &again);
    const int64_t t2 = NowNs();
    state.SetIterationTime(static_cast<double>(t1 - t0) * 1e-9);
    const uint64_t hwm = VmHwmBytes();
    if (last != -ErrnoValue(Errno::kEAGAIN) || again != last) {
      state.SkipWithError(
          absl::StrFormat("the fill ended with %d, not EAGAIN", last).c_str());
      break;
    }
    state.counters["tasks"] = static_cast<double>(made);
    state.counters["ns_per_task"] = static_cast<double>(t1 - t0) / made;
    state.counters["full_fork_ns"] = static_cast<double>(t2 - t1);
    state.counters["bytes_per_task"] =
        hwm > rss_before ? static_cast<double>(hwm - rss_before) / made : 0;
    state.counters["peak_rss_mib"] = static_cast<double>(hwm) / (1 << 20);
    const int64_t t3 = NowNs();
    sim.reset();
    state.counters["teardown_ns"] = static_cast<double>(NowNs() - t3);
  }
}

}  // namespace

void RegisterScalingBenchmarks() {
  const Options& o = GetOptions();
  auto args = [&](std::vector<int64_t> normal, std::vector<int64_t> full) {
    if (o.smoke) return std::vector<int64_t>{normal.front()};
    if (o.full) normal.insert(normal.end(), full.begin(), full.end());
    return normal;
  };
  for (bool shared : {false, true}) {
    auto fds = benchmark::RegisterBenchmark(
        shared ? "scaling/fds_shared" : "scaling/fds", BM_Fds, shared);
    for (int64_t n : args({0, 64, 1024, 8192, 65536, 262144, 1000000}, {})) {
      fds->Arg(n);
    }
    fds->ArgName("n");
  }
  auto depth =
      benchmark::RegisterBenchmark("scaling/pidns_depth", BM_PidnsDepth);
  for (int64_t d : args({1, 2, 4, 8, 16, 24, 32}, {})) depth->Arg(d);
  depth->ArgName("d");
  for (bool threads : {false, true}) {
    auto live = benchmark::RegisterBenchmark(
        threads ? "scaling/live_tasks/thread" : "scaling/live_tasks/process",
        BM_LiveTasks, threads);
    for (int64_t n : args({1, 1000, 10000, 100000}, {1000000})) live->Arg(n);
    live->ArgName("n");
  }
  auto fill =
      benchmark::RegisterBenchmark("scaling/pid_space_fill", BM_PidSpaceFill);
  fill->Arg(o.smoke ? 1024 : o.full ? kPidMaxLimit : 32768);
  fill->ArgName("pid_max")->Iterations(1)->UseManualTime()->Unit(
      benchmark::kMillisecond);
}

}  // namespace forksim::bench

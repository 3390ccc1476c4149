// -----------------------------------------------------------------------------
// File: bench/host_kernel_bench.cc
// -----------------------------------------------------------------------------
//
// The real kernel of this host, beside the model, through syscall(2):
//
//   host/getppid        the syscall floor: entry, a trivial body, exit
//   host/clone_einval   clone(CLONE_SIGHAND) without CLONE_VM: copy_process()
//                       refuses it with EINVAL before making anything; the
//                       register path of legacy clone
//   host/clone3_einval  the same through clone3 with a 64-byte struct
//                       clone_args: one copy_struct_from_user() first
//   host/clone3_einval:88, :4096
//                       the same with an 88-byte struct, and with a 4096-byte
//                       one whose 4008-byte tail the kernel checks for zeros
//   host/clone3_fork_wait
//                       clone3({exit_signal=SIGCHLD}, 88), fork-like, and
//                       wait4(), as host/fork_wait
//   host/fork_wait      fork (SYS_fork) and wait4() of the child, which
//                       exit_group(0)s at once; this process's RSS when it
//                       runs is reported (counter rss_mib), as fork's cost
//                       grows with the page tables it copies
//
// A host that refuses a syscall (seccomp, an old kernel) gets the row skipped
// with a message; FORKSIM_BENCH_NO_HOST=1 skips them all.

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

namespace forksim::bench {
namespace {

// struct clone_args of include/uapi/linux/sched.h, CLONE_ARGS_SIZE_VER0.
struct HostCloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
      tls;
};
static_assert(sizeof(HostCloneArgs) == 64);

// A struct clone_args of up to a page: the fields, then zeros.
struct alignas(8) HostCloneArgsPage {
  HostCloneArgs head{};
  uint8_t rest[4096 - sizeof(HostCloneArgs)]{};
};

bool SkipHost(benchmark::State& state) {
  if (!GetOptions().no_host) return false;
  state.SkipWithError(
      "host kernel benchmarks disabled (FORKSIM_BENCH_NO_HOST)");
  return true;
}

// A clone that unexpectedly made a child: the child leaves at once and the
// parent reaps it. Returns a message for the skip.
std::string Unexpected(const char* what, long r, int err) {
  if (r == 0) syscall(SYS_exit_group, 0);
  if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, __WALL);
  return absl::StrFormat("host %s returned %d (errno %s), not EINVAL", what, r,
                         std::strerror(err));
}

void BM_HostGetppid(benchmark::State& state) {
  if (SkipHost(state)) return;
  for (auto _ : state) {
    long r = syscall(SYS_getppid);
    benchmark::DoNotOptimize(r);
  }
}

void BM_HostCloneEinval(benchmark::State& state) {
  if (SkipHost(state)) return;
  errno = 0;
  long r = syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0);
  if (r != -1 || errno != EINVAL) {
    return state.SkipWithError(Unexpected("clone", r, errno).c_str());
  }
  for (auto _ : state) {
    r = syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0);
    benchmark::DoNotOptimize(r);
  }
}

void BM_HostClone3Einval(benchmark::State& state) {
  if (SkipHost(state)) return;
  HostCloneArgs args = {};
  args.flags = CLONE_SIGHAND;
  errno = 0;
  long r = syscall(SYS_clone3, &args, sizeof(args));
  if (r != -1 || errno != EINVAL) {
    return state.SkipWithError(Unexpected("clone3", r, errno).c_str());
  }
  for (auto _ : state) {
    r = syscall(SYS_clone3, &args, sizeof(args));
    benchmark::DoNotOptimize(r);
  }
}

void BM_HostClone3EinvalSized(benchmark::State& state, size_t size) {
  if (SkipHost(state)) return;
  HostCloneArgsPage args;
  args.head.flags = CLONE_SIGHAND;
  errno = 0;
  long r = syscall(SYS_clone3, &args, size);
  if (r != -1 || errno != EINVAL) {
    return state.SkipWithError(Unexpected("clone3", r, errno).c_str());
  }
  for (auto _ : state) {
    r = syscall(SYS_clone3, &args, size);
    benchmark::DoNotOptimize(r);
  }
}

// Makes a child with `create` (its result: the pid, 0 in the child, or -1)
// and reaps it, per iteration; the child exit_group(0)s at once.
template <typename Create>
void ForkWaitLoop(benchmark::State& state, const char* what, Create create) {
  for (auto _ : state) {
    const long pid = create();
    if (pid == 0) syscall(SYS_exit_group, 0);
    if (pid < 0) {
      state.SkipWithError(
          absl::StrFormat("host %s failed: %s", what, std::strerror(errno))
              .c_str());
      break;
    }
    int status = 0;
    if (waitpid(static_cast<pid_t>(pid), &status, 0) != pid) {
      state.SkipWithError("host waitpid failed");
      break;
    }
  }
  state.counters["rss_mib"] = static_cast<double>(VmRssBytes()) / (1 << 20);
}

void BM_HostForkWait(benchmark::State& state) {
  if (SkipHost(state)) return;
  ForkWaitLoop(state, "fork", [] { return syscall(SYS_fork); });
}

void BM_HostClone3ForkWait(benchmark::State& state) {
  if (SkipHost(state)) return;
  HostCloneArgsPage args;
  args.head.exit_signal = SIGCHLD;
  ForkWaitLoop(state, "clone3",
               [&args] { return syscall(SYS_clone3, &args, size_t{88}); });
}

}  // namespace

void RegisterHostKernelBenchmarks() {
  benchmark::RegisterBenchmark("host/getppid", BM_HostGetppid);
  benchmark::RegisterBenchmark("host/clone_einval", BM_HostCloneEinval);
  benchmark::RegisterBenchmark("host/clone3_einval", BM_HostClone3Einval);
  benchmark::RegisterBenchmark("host/clone3_einval:88",
                               BM_HostClone3EinvalSized, size_t{88});
  benchmark::RegisterBenchmark("host/clone3_einval:4096",
                               BM_HostClone3EinvalSized, size_t{4096});
  benchmark::RegisterBenchmark("host/fork_wait", BM_HostForkWait);
  benchmark::RegisterBenchmark("host/clone3_fork_wait", BM_HostClone3ForkWait);
}

}  // namespace forksim::bench

// -----------------------------------------------------------------------------
// File: bench/main.cc
// -----------------------------------------------------------------------------
//
// forksim_bench: every suite in one binary, in an order that keeps the host
// measurements first (fork's cost grows with this process's RSS) and the
// scaling rows, which build the largest machines, last. Google Benchmark's
// flags work as usual (--benchmark_filter, --benchmark_format=json, ...).

#include <sys/utsname.h>

#include <fstream>
#include <string>

#include "bench/bench_util.h"

namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(colon + 2);
  }
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace forksim::bench;  // NOLINT: a main of this package
  RegisterHostKernelBenchmarks();
  RegisterMarshalBenchmarks();
  RegisterCopyProcessBenchmarks();
  RegisterHostcheckBenchmarks();
  RegisterScalingBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  utsname uts = {};
  uname(&uts);
  benchmark::AddCustomContext("forksim_profile", std::string(kProfile));
  benchmark::AddCustomContext("cpu_model", CpuModel());
  benchmark::AddCustomContext("host_kernel", uts.release);
  benchmark::AddCustomContext("forksim_mode", GetOptions().smoke  ? "smoke"
                                              : GetOptions().full ? "full"
                                                                  : "default");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// -----------------------------------------------------------------------------
// File: bench/hostcheck_bench.cc
// -----------------------------------------------------------------------------
//
// hostcheck's model side: how many corpus cases per second one process runs
// (each on a freshly booted kernel, as `forksim hostcheck` does), per ABI.
//
//   hostcheck/model/ABI   one case per iteration, cycling through the first
//                         2,000 cases of the default corpus (seed 1, every
//                         family, profile 6.12); items_per_second is cases
//                         per second (target: 10,000, docs/fidelity.md)

#include <vector>

#include "bench/bench_util.h"
#include "sim/hostcheck/case.h"
#include "sim/hostcheck/observation.h"

namespace forksim::bench {
namespace {

void BM_HostcheckModel(benchmark::State& state, Abi abi) {
  const KernelProfile& profile = **ProfileFromName("6.12");
  const std::vector<Family> all(kAllFamilies.begin(), kAllFamilies.end());
  std::vector<HostCase> cases;
  for (const CorpusEntry& e : Corpus(all, GetOptions().smoke ? 20 : 2000)) {
    cases.push_back(MakeCase(1, e.family, abi, e.index));
  }
  size_t next = 0;
  for (auto _ : state) {
    Observation o = RunOnModel(profile, cases[next]);
    benchmark::DoNotOptimize(o);
    next = (next + 1) % cases.size();
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void RegisterHostcheckBenchmarks() {
  for (Abi abi : {Abi::kX86_64, Abi::kIa32}) {
    benchmark::RegisterBenchmark(
        ("hostcheck/model/" + std::string(AbiName(abi))).c_str(),
        [abi](benchmark::State& state) { BM_HostcheckModel(state, abi); });
  }
}

}  // namespace forksim::bench

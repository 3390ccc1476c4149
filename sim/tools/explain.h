// -----------------------------------------------------------------------------
// File: sim/tools/explain.h
// -----------------------------------------------------------------------------
//
// `forksim explain` and `forksim graph`: what the kernel did for each syscall
// of a scenario, step by step, and a picture of who shares what.
//
// An explanation shows, for each syscall: the entry decoding (registers to
// arguments, with truncation and zero-extension called out), every check of
// the ladder with its outcome, every resource step with share-or-copy and the
// refcounts, the user memory read and written (address, bytes, field), the
// unwind labels run after a failure, and the result. Each line names the
// kernel function and the profile's version.

#ifndef FORKSIM_SIM_TOOLS_EXPLAIN_H_
#define FORKSIM_SIM_TOOLS_EXPLAIN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/kernel/kernel.h"
#include "sim/scenario/runner.h"

namespace forksim {

// The explanation of one run, as lines of text (no trailing newlines).
// `with_versions` appends " [PROFILE]" to each kernel citation; the diff of
// two profiles compares lines without it.
std::vector<std::string> ExplainText(const RunResult& run, bool with_versions);

// The same as one JSON object per syscall, one per line (JSON Lines).
std::vector<std::string> ExplainJson(const RunResult& run);

// A diff of two explanations: common lines start with "  ", lines only in
// `a` with "- ", lines only in `b` with "+ " (a longest common subsequence).
std::vector<std::string> DiffLines(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b);

// The machine as Graphviz DOT: tasks (pid per namespace level, tgid),
// parent and thread-group edges, and the shared structures (mm, files, fs,
// sighand, signal, nsproxy and each namespace, cred and its user namespace)
// as nodes with their refcounts. The idle task is left out; `names` labels
// tasks with the scenario's names.
std::string MachineDot(const Machine& m,
                       const std::map<int32_t, std::string>& names = {});

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_EXPLAIN_H_

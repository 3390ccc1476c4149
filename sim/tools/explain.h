// -----------------------------------------------------------------------------
// File: sim/tools/explain.h
// -----------------------------------------------------------------------------
//
// `forksim explain`: what the kernel did for each syscall of a scenario,
// step by step, formatted from the kernel's events.
//
// An explanation shows, for each syscall: the entry decoding (registers to
// arguments, with truncation and zero-extension called out), every check of
// the ladder with its outcome, every resource step with share-or-copy and the
// refcounts, the user memory read and written (address, bytes, field), the
// unwind labels run after a failure, and the result. Each line names the
// kernel function and the profile's version; the step ids (C1-C7a, S1-S42,
// U1-U21) are those of docs/copy-process.md.

#ifndef FORKSIM_SIM_TOOLS_EXPLAIN_H_
#define FORKSIM_SIM_TOOLS_EXPLAIN_H_

#include <string>
#include <vector>

#include "sim/kernel/event.h"
#include "sim/scenario/runner.h"
#include "sim/tools/json.h"

namespace forksim {

// The line explain's output opens with, after the run's own header: where
// its step ids are defined.
inline constexpr std::string_view kStepIdsReference =
    "# step ids (ladder C1-C7a, steps S1-S42, unwind U0-U21; entries L1, K1, "
    "A1-A11, V1-V5; cgroups G1-G8): docs/copy-process.md";

// The explanation of one run, as lines of text (no trailing newlines).
// `with_versions` appends " [PROFILE]" to each kernel citation; the diff of
// two profiles compares lines without it.
std::vector<std::string> ExplainText(const RunResult& run, bool with_versions);

// The same as one JSON object per syscall, one per line (JSON Lines).
std::vector<std::string> ExplainJson(const RunResult& run);

// WriteEventJson()
//
// One event as a JSON object, with only the fields its kind uses.
void WriteEventJson(JsonWriter& json, const Event& e);

// A diff of two explanations: common lines start with "  ", lines only in
// `a` with "- ", lines only in `b` with "+ " (a longest common subsequence).
// KeepDiffContext()
//
// DiffLines()'s output with only `context` unchanged lines around each
// change; each longer unchanged run becomes "  ... (N unchanged lines)".
std::vector<std::string> KeepDiffContext(const std::vector<std::string>& diff,
                                         size_t context);

std::vector<std::string> DiffLines(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b);

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_EXPLAIN_H_

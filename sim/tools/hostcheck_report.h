// -----------------------------------------------------------------------------
// File: sim/tools/hostcheck_report.h
// -----------------------------------------------------------------------------
//
// How `forksim hostcheck` prints a run (sim/hostcheck/hostcheck.h): a table
// of agreement per ABI and family, then each unexplained difference in full
// (the case, both observations, the step that decided in the model, the
// explain command), then the known differences met, each with a few of its
// cases. The JSON form has one line per case that did not simply agree and
// one per table row.

#ifndef FORKSIM_SIM_TOOLS_HOSTCHECK_REPORT_H_
#define FORKSIM_SIM_TOOLS_HOSTCHECK_REPORT_H_

#include <string>

#include "sim/hostcheck/hostcheck.h"

namespace forksim {

// The first line: host, profile (and how it was chosen), seed, size.
std::string HostcheckHeader(const HostcheckConfig& config, bool auto_profile);

std::string HostcheckText(const HostcheckConfig& config,
                          const HostcheckResult& result);

std::string HostcheckJson(const HostcheckConfig& config,
                          const HostcheckResult& result);

// The known differences as a Markdown table (docs/fidelity.md quotes it).
std::string KnownDifferencesTable();

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_HOSTCHECK_REPORT_H_

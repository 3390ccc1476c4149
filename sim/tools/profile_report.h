// -----------------------------------------------------------------------------
// File: sim/tools/profile_report.h
// -----------------------------------------------------------------------------
//
// `forksim profiles`: the kernel profiles as Markdown tables, made from the
// profile table itself (sim/kernel/profile.cc), so that the README and the
// docs quote the one matrix instead of keeping copies of it.

#ifndef FORKSIM_SIM_TOOLS_PROFILE_REPORT_H_
#define FORKSIM_SIM_TOOLS_PROFILE_REPORT_H_

#include <string>

namespace forksim {

// One row per profile: its name and what it is.
std::string ProfilesTable();

// One row per named behaviour, one column per profile: where they differ.
std::string BehavioursTable();

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_PROFILE_REPORT_H_

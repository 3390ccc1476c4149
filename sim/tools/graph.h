// -----------------------------------------------------------------------------
// File: sim/tools/graph.h
// -----------------------------------------------------------------------------
//
// `forksim graph`: the machine as Graphviz DOT, a picture of who shares what.

#ifndef FORKSIM_SIM_TOOLS_GRAPH_H_
#define FORKSIM_SIM_TOOLS_GRAPH_H_

#include <map>
#include <string>

#include "model/kernel/ids.h"
#include "model/kernel/machine.h"

namespace forksim {

// MachineDot()
//
// Tasks (pid per namespace level, tgid), parent and thread-group edges, and
// the shared structures (mm, files, fs, sighand, signal, nsproxy and each
// namespace, cred and its user namespace) as nodes with their refcounts. The
// idle task is left out; `names` labels tasks with the scenario's names.
std::string MachineDot(const Machine& m,
                       const std::map<Tid, std::string>& names = {});

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_GRAPH_H_

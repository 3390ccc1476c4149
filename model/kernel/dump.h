// -----------------------------------------------------------------------------
// File: model/kernel/dump.h
// -----------------------------------------------------------------------------
//
// The whole state of a machine as text, one object per line, in registry
// (creation) order: what a determinism check compares. Objects are named by
// their serials, never by address, so two runs of the same scenario give the
// same text byte for byte.

#ifndef FORKSIM_MODEL_KERNEL_DUMP_H_
#define FORKSIM_MODEL_KERNEL_DUMP_H_

#include <string>

#include "model/kernel/machine.h"

namespace forksim {

// DumpMachine()
//
// Sysctls and counters, then every task (ids, state, flags, links,
// registers, TLS, the structures it holds, pending signals), pid, namespace,
// cred, fd table (fd by fd), file and mm (mappings, and a digest of every
// written page).
std::string DumpMachine(const Machine& m);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_DUMP_H_

// -----------------------------------------------------------------------------
// File: sim/scenario/strace.h
// -----------------------------------------------------------------------------
//
// strace-style rendering of syscalls, in strace's conventions (style anchors
// §7): `clone(child_stack=NULL, flags=CLONE_VM|SIGCHLD, parent_tid=[N]) = N`,
// argument names per ABI, `-1 EINVAL (Invalid argument)`, the result at
// column 40 for short lines, and a clone6 line in the same spirit:
// `clone6({stack=NULL, ...} => {pidfd=[3]}, SIGCHLD, 0, 0, 0, 0) = N`.

#ifndef FORKSIM_SIM_SCENARIO_STRACE_H_
#define FORKSIM_SIM_SCENARIO_STRACE_H_

#include <cstdint>
#include <string>

#include "model/kernel/kernel.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

// The flags of clone/clone6/unshare as strace prints them: CLONE_* names
// joined with '|', then the exit signal's name (flags=SIGCHLD alone if only
// the signal is set, flags=0 if nothing is), then leftover bits in hex.
std::string FormatCloneFlags(uint64_t flags);

std::string SignalName(int sig);

// The call part, before the result: `name(args...)`. `memory` is the
// caller's mm (for structs and out-values), or nullptr; `exited` says whether
// out-values may be shown (they are read after the call).
std::string FormatSyscall(Abi abi, const DecodedSyscall& d, const Mm* memory,
                          bool exited);

// ` = N`, ` = -1 EINVAL (Invalid argument)`, ` = ?` for a call that does not
// return; padded so that '=' stands at column 40 when the call is short.
std::string FormatResult(const std::string& call, int64_t result);

}  // namespace forksim

#endif  // FORKSIM_SIM_SCENARIO_STRACE_H_

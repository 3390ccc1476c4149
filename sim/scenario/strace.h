// -----------------------------------------------------------------------------
// File: sim/scenario/strace.h
// -----------------------------------------------------------------------------
//
// strace-style rendering of syscalls, in strace's conventions (strace's
// src/clone.c): `clone(child_stack=NULL, flags=CLONE_VM|SIGCHLD,
// parent_tid=[N]) = N`,
// argument names per ABI, `-1 EINVAL (Invalid argument)`, the result at
// column 40 for short lines; clone3 as strace 6.1 prints it:
// `clone3({flags=CLONE_PIDFD, pidfd=0x10000, exit_signal=SIGCHLD,
// stack=NULL, stack_size=0} => {pidfd=[3]}, 88) = 4`; and a clone6 line in
// the same spirit: `clone6({stack=NULL, ...} => {pidfd=[3]}, SIGCHLD, 0, 0,
// 0, 0) = N`.

#ifndef FORKSIM_SIM_SCENARIO_STRACE_H_
#define FORKSIM_SIM_SCENARIO_STRACE_H_

#include <cstdint>
#include <string>

#include "model/kernel/task.h"
#include "sim/kernel/event.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

// The call part, before the result: `name(args...)`. `memory` is the
// caller's mm (for structs and out-values), or nullptr; `outcome` is what
// the call returned, or nullptr while it has not (out-values are read after
// the call, as strace reads them).
std::string FormatSyscall(Abi abi, const DecodedSyscall& d, const Mm* memory,
                          const SyscallOutcome* outcome);

// ` = N`, ` = -1 EINVAL (Invalid argument)`, ` = ?` for a call that does not
// return; padded so that '=' stands at column 40 when the call is short.
std::string FormatResult(const std::string& call,
                         const SyscallOutcome& outcome);

// "  | read  0x10018 8: 00 00 ... (clone6_args.stack, task 3, get_user)":
// one user memory access of a call (a kRead, kWrite or kFault event), as
// the trace prints it under the call's line.
std::string FormatAccess(const Event& e);

}  // namespace forksim

#endif  // FORKSIM_SIM_SCENARIO_STRACE_H_

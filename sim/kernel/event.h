// -----------------------------------------------------------------------------
// File: sim/kernel/event.h
// -----------------------------------------------------------------------------
//
// What the simulated kernel did, as structured records: the kernel records
// facts (a step id, the kernel function, the result, the objects touched,
// the bytes read) and the layers above format them (strace lines, `forksim
// explain`, JSON). No kernel path formats text for a trace, except the few
// free-form notes of kNote.
//
// Step ids (C1-C7a, S1-S42, U0-U21, and the entries' and cgroups' rungs) are
// defined in docs/copy-process.md.
// Events are recorded only while tracing is on (Kernel::set_tracing()).

#ifndef FORKSIM_SIM_KERNEL_EVENT_H_
#define FORKSIM_SIM_KERNEL_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/errno.h"
#include "model/kernel/ids.h"
#include "sim/kernel/outcome.h"
#include "sim/kernel/syscall_entry.h"

namespace forksim {

enum class EventKind : uint8_t {
  kSyscall,  // a syscall entered: nr, decoded
  kReturn,   // a syscall returned: outcome
  kBlocked,  // a syscall blocked: function, text (what it waits for)
  kResumed,  // a blocked syscall finished: outcome
  kCheck,    // a ladder rung: step, reason, error
  kStep,     // a resource step: step, label, error, and what it did
  kUnwind,   // an unwind label ran: step, label
  kRead,     // user memory read: access, field, addr, value (size), bytes
  kWrite,    // user memory written: the same
  kFault,    // a user memory access faulted: the same, no bytes
  kSignal,   // a signal was sent, dropped or delivered: value, target, how
  kExit,     // a task exited: value (the exit code)
  kReap,     // a task was released: target
  kNote,     // anything else worth showing: text
};
inline constexpr int kEventKindCount = 14;

// "syscall", "check", "step", ...: the name JSON uses.
std::string_view EventKindName(EventKind kind);

// What a share-or-copy step did with one of the caller's structures,
// recorded around the step (refcounts before and after).
struct ObjectChange {
  enum class How : uint8_t {
    kNone,    // the child has none
    kShared,  // the child holds the caller's, one reference more
    kCopied,  // the child got a new one
  };
  How how = How::kNone;
  std::string_view type;  // "files", "cred", "mm", ...
  uint64_t serial = 0;    // the object's registry serial: "files#4"
  int64_t refcount_before = 0;
  int64_t refcount_after = 0;
  // Where the reference is taken, when not at this step ("S40").
  std::string_view taken_at;
};

// How a signal event went (kernel/signal.c [5.2]).
enum class SignalHow : uint8_t {
  kQueuedShared,   // __send_signal(): on the group's shared_pending
  kIgnored,        // prepare_signal(): ignored, not queued
  kAlreadyQueued,  // legacy_queue(): a non-RT signal already pending
  kDelivered,      // do_signal(): taken on the way back to user mode
  kKillsGroup,     // complete_signal(): fatal, every thread exits
};

// A new task linked into the tree (copy_process() S40-S41).
struct LinkFacts {
  Tid task;
  Tid parent;
  Tid leader;  // the group leader when it is a thread, else the task
  int64_t nr_threads = 0;
  uint64_t total_forks = 0;
};

struct Event {
  EventKind kind = EventKind::kNote;
  Tid tid;                    // the task it happened in; 0 for none
  std::string_view function;  // the kernel function, cited as
                              // "kernel/fork.c:copy_process()"
  std::string_view step;      // a docs/copy-process.md id ("C1", "S17",
                              // "U4", "S40-S41") or ""
  std::string_view label;     // cited with the step: "signal_pending", an
                              // unwind label such as "bad_fork_free"
  std::string_view reason;    // kCheck: why the rung exists
  Errno error{};              // kCheck, kStep: the errno, Errno{} if it passed

  // kStep: what the step did, when it did something worth naming.
  std::optional<ObjectChange> object;  // share-or-copy steps
  std::vector<int32_t> pid_numbers;    // alloc_pid(): one per level, [0] global
  std::optional<LinkFacts> linked;     // S40-S41
  std::string_view outcome;            // a fixed phrase: "first run"
  Tid subject;                         // the task `outcome` is about

  // kSyscall
  uint64_t nr = 0;
  std::optional<DecodedSyscall> decoded;  // none for an unknown number
  // kReturn, kResumed
  std::optional<SyscallOutcome> result;

  // kRead, kWrite, kFault
  std::string access;  // "get_user", "copy_from_user", "get_user x24", ...
  std::string field;   // what was accessed: "clone6_args.stack"
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;  // what was read or written

  // kSignal: value is the signal; kExit: value is the exit code;
  // kRead/kWrite/kFault: value is the size.
  int64_t value = 0;
  Tid target;  // kSignal: who it was sent to; kReap: who was released
  SignalHow how = SignalHow::kQueuedShared;

  std::string text;  // kNote, kBlocked
};

// HexBytes()
//
// "0a 00 00 00": the bytes of an access, as traces and JSON print them; a
// run of 16 or more equal bytes is "(24 x 00)".
std::string HexBytes(const std::vector<uint8_t>& bytes);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_EVENT_H_

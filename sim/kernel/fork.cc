#include "sim/kernel/fork.h"

#include <array>
#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/abi/layout.h"
#include "model/kernel/pid.h"
#include "sim/kernel/copy_process.h"
#include "sim/kernel/core.h"
#include "sim/kernel/waits.h"

namespace forksim {
namespace {

// [5.3] legacy_clone_args_valid() (kernel/fork.c:2410-2418): the entries
// whose pidfd goes to parent_tidptr.
constexpr LadderRung kL1PidfdSettid = {
    "L1",
    "CLONE_PIDFD with CLONE_PARENT_SETTID: legacy clone reports both "
    "through parent_tidptr",
    Errno::kEINVAL};
// [6.12] kernel_clone() (kernel/fork.c:2763-2766), since 5.9.
constexpr LadderRung kK1SameAddress = {
    "K1",
    "CLONE_PIDFD with CLONE_PARENT_SETTID at one address: the pid would "
    "overwrite the pidfd",
    Errno::kEINVAL};

// ptrace_event_enabled() (include/linux/ptrace.h:140-143 [5.2]).
bool PtraceEventEnabled(const Task* task, int event) {
  return (task->ptrace & (1u << (kPtOptFlagShift + event))) != 0;
}

// _do_fork() step 1 (kernel/fork.c:2340-2350 [5.2]): which event to report
// to a tracer, if it asked for it.
int PtraceEventFor(const Task* current, const KernelCloneArgs& args) {
  if (args.flags & kCloneUntraced) return 0;
  int trace;
  if (args.flags & kCloneVfork) {
    trace = kPtraceEventVfork;
  } else if (args.exit_signal != kSigchld) {
    trace = kPtraceEventClone;
  } else {
    trace = kPtraceEventFork;
  }
  return PtraceEventEnabled(current, trace) ? trace : 0;
}

}  // namespace

SysStatus CheckRung(KernelCore& k, Task* current, std::string_view function,
                    const LadderRung& rung, bool fails) {
  if (k.tracing()) {
    Event e;
    e.kind = EventKind::kCheck;
    e.function = function;
    e.step = rung.id;
    e.reason = rung.reason;
    e.error = fails ? rung.error : Errno{};
    k.Record(current, std::move(e));
  }
  return fails ? SysStatus(rung.error) : SysOk();
}

SyscallOutcome KernelClone(KernelCore& k, Task* current,
                           KernelCloneArgs& args) {
  // Only a live task that is not exiting makes a syscall (the dispatcher
  // delivers fatal signals first).
  assert(current->state == TaskState::kRunnable);
  assert((current->flags & kPfExiting) == 0);
  assert(args.exit_signal >= 0 && args.exit_signal <= 0xff);
  if (k.profile().pidfd_parent_tid_check == PidfdParentTidCheck::kSameAddress &&
      (args.flags & kClonePidfd) && (args.flags & kCloneParentSettid)) {
    FORKSIM_TRY(CheckRung(k, current, "kernel/fork.c:kernel_clone()",
                          kK1SameAddress, args.pidfd == args.parent_tid));
  }
  const int trace = PtraceEventFor(current, args);
  FORKSIM_ASSIGN_OR_RETURN(Task * child, CopyProcess(k, current, args, trace));
  // The child's number as the caller's pid namespace sees it.
  const int64_t nr = PidVnr(child->thread_pid, current).value;
  if (args.flags & kCloneParentSettid) {
    // Into the parent's memory; a fault here is ignored.
    (void)k.PutUser(current, args.parent_tid, 4, static_cast<uint32_t>(nr),
                    "*parent_tidptr");
  }
  if (args.flags & kCloneVfork) child->vfork_pending = true;
  if (k.tracing()) {
    Event e;
    e.kind = EventKind::kStep;
    e.function = "kernel/sched/core.c:wake_up_new_task()";
    e.outcome = "runnable";
    e.subject = child->pid;
    k.Record(current, std::move(e));
  }
  if (trace != 0) {
    k.Note(current, "kernel/ptrace.c:ptrace_event_pid()",
           "PTRACE_EVENT %d for %d", trace, nr);
  }
  if (!(args.flags & kCloneVfork)) return nr;
  // wait_for_vfork_done(): until the child's mm_release() (exec or exit).
  k.Block(current, VforkWait{child->pid, nr, args});
  return SyscallOutcome::Blocked();
}

SyscallOutcome EntryEpilogue(KernelCore& k, Task* current,
                             const KernelCloneArgs& args,
                             const SyscallOutcome& result) {
  if (!args.pidfd_in_args || !(args.flags & kClonePidfd)) return result;
  // The RFC's SYSCALL_DEFINE6(clone6) after _do_clone_common(): the pidfd
  // field is written back whatever the result: 0 if the failure came before
  // the pidfd existed, a stale closed number if after; and a fault there
  // turns even a success into EFAULT (the child exists, its pid is lost to
  // the caller).
  const uint64_t field =
      args.clone6_uargs +
      FindField(LayoutFor(StructId::kClone6Args, current->abi), "pidfd")
          ->offset;
  if (!k.PutUser(current, field, 4, static_cast<uint32_t>(args.pidfd_nr),
                 "clone6_args.pidfd")
           .ok()) {
    return Errno::kEFAULT;
  }
  return result;
}

KernelCloneArgs LegacyCloneArgs(const KernelProfile& profile, Abi abi,
                                const DecodedSyscall& d) {
  // CONFIG_CLONE_BACKWARDS (i386, and the ia32 entry) swaps the last two.
  const bool backwards = AbiInfoFor(abi).clone_order == CloneOrder::kBackwards;
  // [6.12] lower_32_bits(clone_flags): clone3's flags above bit 31 are out
  // of legacy clone's reach ("fork: prevent accidental access to clone3
  // features", 5.7, Cc stable 5.3+; kernel/fork.c:2918-2930 [6.12]).
  const uint64_t clone_flags =
      profile.legacy_flags_lower_32 ? (d.arg(0) & 0xffffffffu) : d.arg(0);
  KernelCloneArgs args;
  args.flags = clone_flags & ~kCsignal;
  args.exit_signal = static_cast<int>(clone_flags & kCsignal);
  args.stack = d.arg(1);
  args.parent_tid = d.arg(2);
  args.child_tid = d.arg(backwards ? 4 : 3);
  args.tls = d.arg(backwards ? 3 : 4);
  args.pidfd = args.parent_tid;
  args.pidfd_at_parent_tid = true;
  return args;
}

SysResult<KernelCloneArgs> Clone6Args(KernelCore& k, Task* current,
                                      const DecodedSyscall& d) {
  const uint64_t uargs = d.arg(0);
  const uint64_t flags = d.arg(1);  // unsigned int flags1, widened to u64
  if (d.arg(2) || d.arg(3) || d.arg(4) || d.arg(5)) return Errno::kEINVAL;
  // "flags1 is full so we only need to verify that CLONE_DETACHED is not
  // passed": refused even without CLONE_PIDFD.
  if (flags & kCloneDetached) return Errno::kEINVAL;
  const StructLayout& layout = LayoutFor(StructId::kClone6Args, current->abi);
  auto field = [&](std::string_view name) {
    return uargs + FindField(layout, name)->offset;
  };
  KernelCloneArgs args;
  args.flags = flags & ~kCsignal;
  args.exit_signal = static_cast<int>(flags & kCsignal);
  args.pidfd_in_args = true;
  args.clone6_uargs = uargs;
  // The stack is always read, so a NULL uargs faults; the other fields only
  // when a flag asks for them; the first fault stops the reads. stack_size
  // is read only under CONFIG_CLONE_BACKWARDS3, never on x86.
  SysStatus read =
      k.GetUser(current, field("stack"), 8, &args.stack, "clone6_args.stack");
  if (read.ok() && (flags & (kCloneChildCleartid | kCloneChildSettid))) {
    read = k.GetUser(current, field("child_tidptr"), 8, &args.child_tid,
                     "clone6_args.child_tidptr");
  }
  if (read.ok() && (flags & kCloneParentSettid)) {
    read = k.GetUser(current, field("parent_tidptr"), 8, &args.parent_tid,
                     "clone6_args.parent_tidptr");
  }
  if (read.ok() && (flags & kCloneSettls)) {
    read = k.GetUser(current, field("tls"), 8, &args.tls, "clone6_args.tls");
  }
  if (!read.ok()) return Errno::kEFAULT;
  return args;
}

SyscallOutcome KernelThread(KernelCore& k, Task* current, uint64_t fn,
                            uint64_t arg, uint64_t flags) {
  const uint64_t clone_flags = flags | kCloneVm | kCloneUntraced;
  KernelCloneArgs args;
  args.flags = clone_flags & ~kCsignal;
  args.exit_signal = static_cast<int>(clone_flags & kCsignal);
  args.stack = fn;
  args.stack_size = arg;
  args.pidfd_at_parent_tid = true;  // _do_fork(..., parent_tidptr = NULL)
  args.kthread = true;              // [6.12] .kthread = 1
  return KernelClone(k, current, args);
}

// --- the syscall entries ---

// kernel/fork.c:SYSCALL_DEFINE0(fork) [5.2] (lines 2416-2424).
SyscallOutcome SysFork(KernelCore& k, Task* current, const DecodedSyscall&) {
  KernelCloneArgs args;
  args.exit_signal = kSigchld;
  args.pidfd_at_parent_tid = true;
  return KernelClone(k, current, args);
}

// kernel/fork.c:SYSCALL_DEFINE0(vfork) [5.2] (lines 2428-2432).
SyscallOutcome SysVfork(KernelCore& k, Task* current, const DecodedSyscall&) {
  KernelCloneArgs args;
  args.flags = kCloneVfork | kCloneVm;
  args.exit_signal = kSigchld;
  args.pidfd_at_parent_tid = true;
  return KernelClone(k, current, args);
}

SyscallOutcome SysClone(KernelCore& k, Task* current, const DecodedSyscall& d) {
  KernelCloneArgs args = LegacyCloneArgs(k.profile(), current->abi, d);
  if (k.profile().pidfd_parent_tid_check ==
      PidfdParentTidCheck::kLegacyEntries) {
    // [5.3] legacy_clone_args_valid() (kernel/fork.c:2410-2418), before
    // _do_fork(): both would use parent_tidptr.
    FORKSIM_TRY(CheckRung(
        k, current, "kernel/fork.c:legacy_clone_args_valid()", kL1PidfdSettid,
        (args.flags & kClonePidfd) && (args.flags & kCloneParentSettid)));
  }
  return KernelClone(k, current, args);
}

// The RFC's SYSCALL_DEFINE6(clone6): on the RFC profile only.
SyscallOutcome SysClone6(KernelCore& k, Task* current,
                         const DecodedSyscall& d) {
  FORKSIM_ASSIGN_OR_RETURN(KernelCloneArgs args, Clone6Args(k, current, d));
  const SyscallOutcome result = KernelClone(k, current, args);
  // A vfork finishes the entry when the wait is over.
  if (result.blocked()) return result;
  return EntryEpilogue(k, current, args, result);
}

std::span<const StepCitation> CopyProcessCitations() {
  static const std::vector<StepCitation>* const kCitations = [] {
    auto* out = new std::vector<StepCitation>;
    for (const LadderRung& r : {kC1, kC2, kC3, kC4, kC5, kC6, kC7, kC7Without,
                                kC7DetachedOnly, kC7aFault}) {
      out->push_back({r.id, kCopyProcess, ""});
    }
    for (const LadderRung& r : {kG1, kG2, kG3, kG4, kG5, kG6, kG7, kG8}) {
      out->push_back({r.id, kCssSetFork, ""});
    }
    for (const LadderRung& r : {kG1, kG2, kG3, kG4, kG5, kG6, kG7, kG8}) {
      out->push_back({r.id, kCssSetFork, ""});
    }
    out->push_back(
        {kL1PidfdSettid.id, "kernel/fork.c:legacy_clone_args_valid()", ""});
    out->push_back({kK1SameAddress.id, "kernel/fork.c:kernel_clone()", ""});
    for (const Step& s : {kS2,
                          kS2TaskSigpending,
                          kS3,
                          kS6,
                          kS6Ucounts,
                          kS8,
                          kS9,
                          kS10a,
                          kS11,
                          kS12,
                          kS13,
                          kS14,
                          kS15,
                          kS24On64,
                          kS24On32,
                          kS24CopyThread,
                          kS26,
                          kS27Fd,
                          kS27File,
                          kS27FdPrepare,
                          kS27PidfsFile,
                          kS32,
                          kS32FindCssSet,
                          kS32a,
                          kS37,
                          kS38,
                          kS39,
                          kS40,
                          kS42}) {
      out->push_back({s.id, s.function, s.label});
    }
    for (const CopyStep& c : kCopySteps) {
      out->push_back({c.step.id, c.step.function, c.step.label});
    }
    for (std::span<const LabelInfo> era : {kLabels5_2, kLabels6_12}) {
      for (const LabelInfo& l : era) {
        out->push_back({l.id, kCopyProcess, l.name});
      }
    }
    for (const StepCitation& c : Clone3Citations()) out->push_back(c);
    return out;
  }();
  return *kCitations;
}

}  // namespace forksim

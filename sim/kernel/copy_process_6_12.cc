// kernel/fork.c:copy_process() [6.12], lines 2118-2676, as one sequence of
// the shared steps (copy_process.h), in 6.12's order: copy_creds() before
// the NPROC check, the pidfd prepared by __pidfd_prepare(), cgroup_can_fork()
// failing to bad_fork_put_pidfd, the exit signal set under tasklist_lock,
// copy_seccomp() after the last failure and fd_install() after the lock.

#include "sim/kernel/copy_process.h"

namespace forksim {
namespace {

// kernel/fork.c:copy_process() [6.12], lines 2611-2675, in fall-through
// order. The ids follow [5.2]'s where the label is the same; U0 and U16a
// are new, U2 is gone, U18 is [5.2]'s label renamed.
constexpr LabelInfo kTable[] = {
    {Label::kCoreFree, "U0", "bad_fork_core_free"},
    {Label::kCancelCgroup, "U1", "bad_fork_cancel_cgroup"},
    {Label::kPutPidfd, "U3", "bad_fork_put_pidfd"},
    {Label::kFreePid, "U4", "bad_fork_free_pid"},
    {Label::kCleanupThread, "U5", "bad_fork_cleanup_thread"},
    {Label::kCleanupIo, "U6", "bad_fork_cleanup_io"},
    {Label::kCleanupNamespaces, "U7", "bad_fork_cleanup_namespaces"},
    {Label::kCleanupMm, "U8", "bad_fork_cleanup_mm"},
    {Label::kCleanupSignal, "U9", "bad_fork_cleanup_signal"},
    {Label::kCleanupSighand, "U10", "bad_fork_cleanup_sighand"},
    {Label::kCleanupFs, "U11", "bad_fork_cleanup_fs"},
    {Label::kCleanupFiles, "U12", "bad_fork_cleanup_files"},
    {Label::kCleanupSemundo, "U13", "bad_fork_cleanup_semundo"},
    {Label::kCleanupSecurity, "U14", "bad_fork_cleanup_security"},
    {Label::kCleanupAudit, "U15", "bad_fork_cleanup_audit"},
    {Label::kCleanupPerf, "U16", "bad_fork_cleanup_perf"},
    {Label::kSchedCancelFork, "U16a", "bad_fork_sched_cancel_fork"},
    {Label::kCleanupPolicy, "U17", "bad_fork_cleanup_policy"},
    {Label::kCleanupDelayacct, "U18", "bad_fork_cleanup_delayacct"},
    {Label::kCleanupCount, "U19", "bad_fork_cleanup_count"},
    {Label::kFree, "U20", "bad_fork_free"},
    {Label::kForkOut, "U21", "fork_out"},
};

}  // namespace

const std::span<const LabelInfo> kLabels6_12 = kTable;

SysResult<Task*> CopyProcessRun::Run6_12() {
  FORKSIM_TRY(Ladder());  // C1-C7 (C7: DETACHED only)
  Task* current = s_.current;
  const uint64_t f = s_.flags;

  // S1 (lines 2192-2198).
  if (!(f & kCloneThread)) ++current->signal->multiprocess;
  FORKSIM_TRY_OR_UNWIND(SignalPending(kS2TaskSigpending),
                        Label::kForkOut);                   // S2
  FORKSIM_TRY_OR_UNWIND(DupTaskStruct(), Label::kForkOut);  // S3
  SetChildTid();                                            // S4
  // S8 then S6: the child is counted on its ucounts before the check.
  FORKSIM_TRY_OR_UNWIND(ShareOrCopy(kCopyCreds), Label::kFree);  // S8
  FORKSIM_TRY_OR_UNWIND(CheckNprocUcounts(), Label::kCleanupCount);
  current->flags &= ~kPfNprocExceeded;                        // S7
  FORKSIM_TRY_OR_UNWIND(ThreadsMax(), Label::kCleanupCount);  // S9
  InitTask();                                                 // S10
  if (args_.kthread) {                                        // S10a
    FORKSIM_TRY_OR_UNWIND(FailurePoint(kS10a), Label::kCleanupDelayacct);
  }
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS11), Label::kCleanupDelayacct);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS12), Label::kCleanupPolicy);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS13), Label::kSchedCancelFork);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS14), Label::kCleanupPerf);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS15), Label::kCleanupAudit);
  for (const CopyStep& step : kCopySteps) {  // S16-S23
    FORKSIM_TRY_OR_UNWIND(ShareOrCopy(step), step.on_failure);
  }
  FORKSIM_TRY_OR_UNWIND(CopyThread(kS24CopyThread), Label::kCleanupIo);  // S24
  FORKSIM_TRY_OR_UNWIND(AllocChildPid(), Label::kCleanupThread);         // S26
  if (f & kClonePidfd) {                                                 // S27
    FORKSIM_TRY_OR_UNWIND(PreparePidfd(), Label::kFreePid);
    FORKSIM_TRY_OR_UNWIND(ReportPidfd(), Label::kPutPidfd);
  }
  // S28: sigaltstack reset for CLONE_VM without CLONE_VFORK (no state).
  SetIds();  // S29
  // S32 (line 2470): cgroup_can_fork() takes the threadgroup lock itself
  // now, and a failure goes to bad_fork_put_pidfd.
  FORKSIM_TRY_OR_UNWIND(CgroupCanFork(), Label::kPutPidfd);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS32a), Label::kCancelCgroup);  // S32a
  // S34-S36 (lines 2502-2526): tasklist_lock; the parent and the exit
  // signal (S35, in Link()); sched_core_fork(), siglock, rseq_fork().
  FORKSIM_TRY_OR_UNWIND(PidnsAdding(kS37), Label::kCoreFree);         // S37
  FORKSIM_TRY_OR_UNWIND(FatalSignalPending(kS38), Label::kCoreFree);  // S38
  // No more failure paths: copy_seccomp() (line 2546; no state), then the
  // links.
  Link();              // S35, S40-S41
  InstallPidfd(kS39);  // S39 (line 2596): after the tasklist_lock
  CgroupPostFork();    // S42
  return s_.p;
}

}  // namespace forksim

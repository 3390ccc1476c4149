// kernel/fork.c:copy_process() [5.2], lines 1742-2285, as one sequence of
// the shared steps (copy_process.h). [5.2-rc1] and [5.3] run the same
// sequence; where they differ, the step asks the profile (C7, C7a, S27).

#include "model/abi/abi.h"
#include "sim/kernel/copy_process.h"

namespace forksim {
namespace {

// kernel/fork.c:copy_process() [5.2], lines 2223-2284, in fall-through
// order.
constexpr LabelInfo kTable[] = {
    {Label::kCancelCgroup, "U1", "bad_fork_cancel_cgroup"},
    {Label::kCgroupThreadgroupChangeEnd, "U2",
     "bad_fork_cgroup_threadgroup_change_end"},
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
    {Label::kCleanupPolicy, "U17", "bad_fork_cleanup_policy"},
    {Label::kCleanupDelayacct, "U18", "bad_fork_cleanup_threadgroup_lock"},
    {Label::kCleanupCount, "U19", "bad_fork_cleanup_count"},
    {Label::kFree, "U20", "bad_fork_free"},
    {Label::kForkOut, "U21", "fork_out"},
};

}  // namespace

const std::span<const LabelInfo> kLabels5_2 = kTable;

SysResult<Task*> CopyProcessRun::Run5_2() {
  FORKSIM_TRY(Ladder());  // C1-C7a
  Task* current = s_.current;
  const uint64_t f = s_.flags;

  // S1: forks in progress must see group signals sent meanwhile.
  if (!(f & kCloneThread)) ++current->signal->multiprocess;
  FORKSIM_TRY_OR_UNWIND(SignalPending(kS2), Label::kForkOut);    // S2
  FORKSIM_TRY_OR_UNWIND(DupTaskStruct(), Label::kForkOut);       // S3
  SetChildTid();                                                 // S4
  FORKSIM_TRY_OR_UNWIND(CheckNproc(), Label::kFree);             // S6
  current->flags &= ~kPfNprocExceeded;                           // S7
  FORKSIM_TRY_OR_UNWIND(ShareOrCopy(kCopyCreds), Label::kFree);  // S8
  FORKSIM_TRY_OR_UNWIND(ThreadsMax(), Label::kCleanupCount);     // S9
  InitTask();                                                    // S10
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS11), Label::kCleanupDelayacct);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS12), Label::kCleanupPolicy);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS13), Label::kCleanupPolicy);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS14), Label::kCleanupPerf);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS15), Label::kCleanupAudit);
  for (const CopyStep& step : kCopySteps) {  // S16-S23
    FORKSIM_TRY_OR_UNWIND(ShareOrCopy(step), step.on_failure);
  }
  const bool x86_64_kernel = AbiInfoFor(current->abi).kernel_long_bits == 64;
  FORKSIM_TRY_OR_UNWIND(CopyThread(x86_64_kernel ? kS24On64 : kS24On32),
                        Label::kCleanupIo);                       // S24
  FORKSIM_TRY_OR_UNWIND(AllocChildPid(), Label::kCleanupThread);  // S26
  if (f & kClonePidfd) {                                          // S27
    FORKSIM_TRY_OR_UNWIND(CreatePidfd(), Label::kFreePid);
    FORKSIM_TRY_OR_UNWIND(ReportPidfd(), Label::kPutPidfd);
  }
  // S28: sigaltstack reset for CLONE_VM without CLONE_VFORK (no state).
  SetIds();  // S29
  SetExitSignal();
  // S31-S32: cgroup_threadgroup_change_begin(), cgroup_can_fork().
  FORKSIM_TRY_OR_UNWIND(CgroupCanFork(), Label::kCgroupThreadgroupChangeEnd);
  // S34-S36: tasklist_lock, the parent, siglock, copy_seccomp (no state).
  FORKSIM_TRY_OR_UNWIND(PidnsAdding(kS37), Label::kCancelCgroup);         // S37
  FORKSIM_TRY_OR_UNWIND(FatalSignalPending(kS38), Label::kCancelCgroup);  // S38
  InstallPidfd(kS39);  // S39: past the last failure point
  Link();              // S40-S41
  CgroupPostFork();    // S42
  return s_.p;
}

}  // namespace forksim

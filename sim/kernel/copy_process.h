// -----------------------------------------------------------------------------
// File: sim/kernel/copy_process.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// kernel/fork.c:copy_process(): the steps every kernel version shares, and
// one sequence of them per era, each in its own kernel's order with its own
// unwind labels (docs/copy-process.md numbers them):
//
//   copy_process_5_2.cc   [5.2] lines 1742-2285; also [5.2-rc1] and [5.3]
//   copy_process_6_12.cc  [6.12] lines 2118-2676
//
// The kernel went the same way: the function was reordered over the years,
// its steps stayed. A step here is one function of CopyProcessRun; a
// sequence is the list of calls with the label each failure goes to.

#ifndef FORKSIM_SIM_KERNEL_COPY_PROCESS_H_
#define FORKSIM_SIM_KERNEL_COPY_PROCESS_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "model/errno.h"
#include "model/kernel/cred.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/object.h"
#include "model/kernel/shared.h"
#include "model/kernel/task.h"
#include "sim/kernel/clone_args.h"
#include "sim/kernel/core.h"
#include "sim/kernel/fork.h"

namespace forksim {

inline constexpr std::string_view kCopyProcess = "kernel/fork.c:copy_process()";

// --- the unwind labels ---

// Every label either era has. Each era's table (kLabels5_2, kLabels6_12)
// lists its own in fall-through order: a failure jumps to one and runs it
// and every later one of that table.
enum class Label : uint8_t {
  kCoreFree,                    // [6.12] bad_fork_core_free
  kCancelCgroup,                // bad_fork_cancel_cgroup
  kCgroupThreadgroupChangeEnd,  // [5.2] only
  kPutPidfd,
  kFreePid,
  kCleanupThread,
  kCleanupIo,
  kCleanupNamespaces,
  kCleanupMm,
  kCleanupSignal,
  kCleanupSighand,
  kCleanupFs,
  kCleanupFiles,
  kCleanupSemundo,
  kCleanupSecurity,
  kCleanupAudit,
  kCleanupPerf,
  kSchedCancelFork,  // [6.12] only
  kCleanupPolicy,
  // delayacct_tsk_free(): [5.2] calls the label
  // bad_fork_cleanup_threadgroup_lock, [6.12] bad_fork_cleanup_delayacct.
  kCleanupDelayacct,
  kCleanupCount,
  kFree,
  kForkOut,
};

struct LabelInfo {
  Label label;
  std::string_view id;    // "U4"
  std::string_view name;  // "bad_fork_free_pid"
};

// --- the ladder and the steps ---

// A step: the kernel function it cites, a label within that function when
// the step is one line of it, and the errno of its failure.
struct Step {
  std::string_view id;
  std::string_view function;
  std::string_view label;
  Errno error;
};

// A share-or-copy step (S16-S23, and S8's copy_creds()): the structure it
// decides, where the caller's is, and the label that undoes the steps
// before it.
struct CopyStep {
  Step step;
  std::string_view type;  // "files": what explain calls the structure
  const KObject* (*object)(const Task*);
  SysStatus (*run)(Machine&, Task* current, Task* p, uint64_t flags);
  Label on_failure;
  // Set where a shared reference is taken later than the step.
  std::string_view taken_at = "";
};

// What copy_process() has made so far, for the unwind: its local variables.
struct ForkState {
  Task* current = nullptr;
  Task* p = nullptr;
  Pid* pid = nullptr;
  int pidfd = -1;
  File* pidfile = nullptr;  // reserved, not yet installed
  // [6.12] CLONE_INTO_CGROUP's target, with a reference from
  // cgroup_can_fork() to cgroup_post_fork() or cgroup_cancel_fork().
  Cgroup* target_cgroup = nullptr;
  uint64_t flags = 0;
};

// One run of copy_process(). Each era's sequence is a member function in
// its own file; the steps are shared.
class CopyProcessRun {
 public:
  CopyProcessRun(KernelCore& k, Task* current, KernelCloneArgs& args,
                 int trace);

  // [5.2] (also [5.2-rc1] and [5.3]): copy_process_5_2.cc.
  SysResult<Task*> Run5_2();
  // [6.12]: copy_process_6_12.cc.
  SysResult<Task*> Run6_12();

 private:
  // Check(): one rung of the ladder, recorded; its errno when it fails.
  SysStatus Check(const LadderRung& rung, bool fails) {
    return CheckRung(k_, s_.current, kCopyProcess, rung, fails);
  }
  // Record(): one step's outcome, recorded; returns it. `detail`, called
  // only when tracing, adds what the step did to the event.
  SysStatus Record(const Step& step, SysStatus status) {
    return Record(step, status, [](Event&) {});
  }
  template <typename Detail>
  SysStatus Record(const Step& step, SysStatus status, Detail detail) {
    if (!k_.tracing()) return status;
    Event event;
    event.kind = EventKind::kStep;
    event.function = step.function;
    event.step = step.id;
    event.label = step.label;
    event.error = status.error();
    detail(event);
    k_.Record(s_.current, std::move(event));
    return status;
  }
  // Done(): a step that cannot fail, recorded.
  template <typename Detail>
  void Done(const Step& step, Detail detail) {
    (void)Record(step, SysOk(), detail);
  }
  void Done(const Step& step) { (void)Record(step, SysOk()); }
  // FailurePoint(): a step that the model gives no state but that can fail;
  // fail_nth can make it fail with the step's errno.
  SysStatus FailurePoint(const Step& step) {
    return Record(step, m_.faults.Check(step.function, step.label, step.error));
  }
  // ShareOrCopy(): a share-or-copy step, with the refcounts around it.
  SysStatus ShareOrCopy(const CopyStep& step);

  // The steps, in [5.2]'s order; each cites its lines.
  SysStatus Ladder();
  SysStatus ReservedParentTidRead();
  SysStatus SignalPending(const Step& step);
  SysStatus DupTaskStruct();
  void SetChildTid();
  SysStatus CheckNproc();
  SysStatus CheckNprocUcounts();
  SysStatus ThreadsMax();
  void InitTask();
  SysStatus CopyThread(const Step& step);
  SysStatus AllocChildPid();
  SysStatus CreatePidfd();
  SysStatus PreparePidfd();
  SysStatus ReportPidfd();
  void SetIds();
  void SetExitSignal();
  SysStatus CgroupCanFork();
  SysStatus CgroupCssSetFork();
  SysStatus PidnsAdding(const Step& step);
  SysStatus FatalSignalPending(const Step& step);
  void InstallPidfd(const Step& step);
  void Link();
  void CgroupPostFork();

  // Fails to `label` of the running era's table: runs the unwind from there
  // and returns the errno.
  Errno Fail(Label label, Errno error);
  void Unwind(Label from);
  void RunLabel(Label label);

  KernelCore& k_;
  Machine& m_;
  const KernelProfile& profile_;
  KernelCloneArgs& args_;
  int trace_;
  ForkState s_;
  uint64_t known_flags_;  // the CLONE_* bits the profile's kernel defines
  std::span<const LabelInfo> labels_;  // the era's fall-through order
};

// Goes to `label` when `expr` fails: copy_process()'s
// `if (retval) goto label;`, inside a CopyProcessRun sequence.
#define FORKSIM_TRY_OR_UNWIND(expr, label)                 \
  do {                                                     \
    if (SysStatus forksim_s_ = (expr); !forksim_s_.ok()) { \
      return Fail(label, forksim_s_.error());              \
    }                                                      \
  } while (false)

// --- the tables ---

// The ladder (kernel/fork.c:copy_process() [5.2], lines 1762-1815; C7a is
// [5.2-rc1]'s read of *parent_tidptr, gone in [5.2]). C7 refuses less in
// later kernels: [5.3] moved PARENT_SETTID to the legacy entries, [6.9]
// allowed THREAD.
inline constexpr LadderRung kC1 = {
    "C1",
    "CLONE_NEWNS with CLONE_FS: no sharing the root across mount namespaces",
    Errno::kEINVAL};
inline constexpr LadderRung kC2 = {
    "C2",
    "CLONE_NEWUSER with CLONE_FS: no sharing the root across user namespaces",
    Errno::kEINVAL};
inline constexpr LadderRung kC3 = {
    "C3",
    "CLONE_THREAD without CLONE_SIGHAND: a thread group shares its signal "
    "handlers",
    Errno::kEINVAL};
inline constexpr LadderRung kC4 = {
    "C4", "CLONE_SIGHAND without CLONE_VM: handlers are addresses in one mm",
    Errno::kEINVAL};
inline constexpr LadderRung kC5 = {
    "C5",
    "CLONE_PARENT from a pid namespace's init: its siblings would have no "
    "reaper",
    Errno::kEINVAL};
inline constexpr LadderRung kC6 = {
    "C6",
    "CLONE_THREAD into another user or pid namespace: a thread group lives "
    "in one",
    Errno::kEINVAL};
inline constexpr LadderRung kC7 = {
    "C7",
    "CLONE_PIDFD with CLONE_DETACHED, CLONE_THREAD or (legacy) "
    "CLONE_PARENT_SETTID",
    Errno::kEINVAL};
inline constexpr LadderRung kC7Without = {
    "C7", "CLONE_PIDFD with CLONE_DETACHED or CLONE_THREAD", Errno::kEINVAL};
inline constexpr LadderRung kC7DetachedOnly = {
    "C7", "CLONE_PIDFD with CLONE_DETACHED (kept for later use)",
    Errno::kEINVAL};
// CLONE_INTO_CGROUP's checks in cgroup_can_fork() [6.12]
// (kernel/cgroup/cgroup.c:cgroup_css_set_fork(), lines 6472-6566), in order;
// nsdelegate's ENOENT and cgroup v1 directories are not modelled, and the
// ENODEV of a dead cgroup (line 6510) cannot happen: a removed one fails G3
// first, under the same cgroup_mutex.
inline constexpr std::string_view kCssSetFork =
    "kernel/cgroup/cgroup.c:cgroup_css_set_fork()";
inline constexpr LadderRung kG1 = {
    "G1", "clone_args.cgroup is not an open fd (fget_raw(): O_PATH is fine)",
    Errno::kEBADF};
inline constexpr LadderRung kG2 = {
    "G2", "the fd is not a directory of the cgroup2 hierarchy", Errno::kEBADF};
inline constexpr LadderRung kG3 = {
    "G3", "the cgroup was removed (css_tryget_online() fails)", Errno::kENOENT};
inline constexpr LadderRung kG4 = {
    "G4",
    "no write permission on the target's cgroup.procs (the caller's creds)",
    Errno::kEACCES};
inline constexpr LadderRung kG5 = {
    "G5",
    "no write permission on the common ancestor's cgroup.procs (a migration "
    "between the two)",
    Errno::kEACCES};
inline constexpr LadderRung kG6 = {
    "G6", "the target's domain is invalid (under a thread root)",
    Errno::kEOPNOTSUPP};
inline constexpr LadderRung kG7 = {
    "G7",
    "the target has controllers in subtree_control and cannot be a thread "
    "root: no internal processes",
    Errno::kEBUSY};
inline constexpr LadderRung kG8 = {
    "G8", "CLONE_THREAD into another thread domain", Errno::kEOPNOTSUPP};

inline constexpr LadderRung kC7aFault = {
    "C7a", "the reserved int at parent_tidptr cannot be read", Errno::kEFAULT};
inline constexpr LadderRung kC7aNonzero = {
    "C7a", "the reserved int at parent_tidptr is not 0", Errno::kEINVAL};

// Steps without state in the model are still failure points: fail_nth
// reaches each (docs/model.md). [5.2] names first, then what [6.12] calls
// differently.
inline constexpr Step kS2 = {"S2", kCopyProcess, "signal_pending",
                             Errno::kERESTARTNOINTR};
inline constexpr Step kS2TaskSigpending = {
    "S2", kCopyProcess, "task_sigpending", Errno::kERESTARTNOINTR};
inline constexpr Step kS3 = {"S3", "kernel/fork.c:dup_task_struct()", "",
                             Errno::kENOMEM};
inline constexpr Step kS6 = {"S6", kCopyProcess, "RLIMIT_NPROC",
                             Errno::kEAGAIN};
// [6.12]: on the ucounts copy_creds() has already counted the child in.
inline constexpr Step kS6Ucounts = {"S6", kCopyProcess, "is_rlimit_overlimit",
                                    Errno::kEAGAIN};
inline constexpr Step kS8 = {"S8", "kernel/cred.c:copy_creds()", "", Errno{}};
inline constexpr Step kS9 = {"S9", kCopyProcess, "threads-max", Errno::kEAGAIN};
// [6.12]: a kernel thread's struct kthread.
inline constexpr Step kS10a = {"S10a", "kernel/kthread.c:set_kthread_struct()",
                               "", Errno::kENOMEM};
inline constexpr Step kS11 = {"S11", "mm/mempolicy.c:mpol_dup()", "",
                              Errno::kENOMEM};
// sched_fork() refuses a SCHED_DEADLINE parent without reset-on-fork.
inline constexpr Step kS12 = {"S12", "kernel/sched/core.c:sched_fork()", "",
                              Errno::kEAGAIN};
inline constexpr Step kS13 = {
    "S13", "kernel/events/core.c:perf_event_init_task()", "", Errno::kENOMEM};
inline constexpr Step kS14 = {"S14", "kernel/auditsc.c:audit_alloc()", "",
                              Errno::kENOMEM};
inline constexpr Step kS15 = {
    "S15", "security/security.c:security_task_alloc()", "", Errno::kENOMEM};
inline constexpr Step kS24On64 = {
    "S24", "arch/x86/kernel/process_64.c:copy_thread_tls()", "", Errno{}};
inline constexpr Step kS24On32 = {
    "S24", "arch/x86/kernel/process_32.c:copy_thread_tls()", "", Errno{}};
inline constexpr Step kS24CopyThread = {
    "S24", "arch/x86/kernel/process.c:copy_thread()", "", Errno{}};
inline constexpr Step kS26 = {"S26", "kernel/pid.c:alloc_pid()", "", Errno{}};
inline constexpr Step kS27Fd = {"S27", "fs/file.c:__alloc_fd()",
                                "get_unused_fd_flags", Errno{}};
inline constexpr Step kS27File = {"S27",
                                  "fs/anon_inodes.c:anon_inode_getfile()",
                                  "anon_inode_getfile", Errno{}};
inline constexpr Step kS27FdPrepare = {"S27", "fs/file.c:alloc_fd()",
                                       "__pidfd_prepare", Errno{}};
inline constexpr Step kS27PidfsFile = {"S27", "fs/pidfs.c:pidfs_alloc_file()",
                                       "__pidfd_prepare", Errno{}};
// [6.12]: the new css_set for CLONE_INTO_CGROUP's target.
inline constexpr Step kS32FindCssSet = {
    "S32", "kernel/cgroup/cgroup.c:find_css_set()", "", Errno::kENOMEM};
// The pids controller says EAGAIN when pids.max would be exceeded.
inline constexpr Step kS32 = {"S32", "kernel/cgroup/cgroup.c:cgroup_can_fork()",
                              "", Errno::kEAGAIN};
// [6.12]: sched_cgroup_fork() fails only through sched_ext's scx_fork()
// (kernel/sched/core.c:4739-4768 [6.12]): the BPF scheduler's errno; the
// model uses ENOMEM.
inline constexpr Step kS32a = {
    "S32a", "kernel/sched/core.c:sched_cgroup_fork()", "", Errno::kENOMEM};
inline constexpr Step kS37 = {"S37", kCopyProcess, "PIDNS_ADDING",
                              Errno::kENOMEM};
inline constexpr Step kS38 = {"S38", kCopyProcess, "fatal_signal_pending",
                              Errno::kEINTR};
inline constexpr Step kS39 = {"S39", kCopyProcess, "fd_install", Errno{}};
inline constexpr Step kS40 = {"S40-S41", kCopyProcess, "link", Errno{}};
inline constexpr Step kS42 = {
    "S42", "kernel/cgroup/cgroup.c:cgroup_post_fork()", "", Errno{}};

// S16-S23, in order: the structures a child shares or copies.
inline constexpr CopyStep kCopySteps[] = {
    {{"S16", "ipc/sem.c:copy_semundo()", "", Errno{}},
     "sem_undo",
     [](const Task* t) -> const KObject* { return t->sysvsem; },
     CopySemundo,
     Label::kCleanupSecurity},
    {{"S17", "kernel/fork.c:copy_files()", "", Errno{}},
     "files",
     [](const Task* t) -> const KObject* { return t->files; },
     CopyFiles,
     Label::kCleanupSemundo},
    {{"S18", "kernel/fork.c:copy_fs()", "", Errno{}},
     "fs",
     [](const Task* t) -> const KObject* { return t->fs; },
     CopyFs,
     Label::kCleanupFiles},
    {{"S19", "kernel/fork.c:copy_sighand()", "", Errno{}},
     "sighand",
     [](const Task* t) -> const KObject* { return t->sighand; },
     CopySighand,
     Label::kCleanupFs},
    // A thread's reference on the signal_struct is taken when it is linked.
    {{"S20", "kernel/fork.c:copy_signal()", "", Errno{}},
     "signal",
     [](const Task* t) -> const KObject* { return t->signal; },
     CopySignal,
     Label::kCleanupSighand,
     "S40"},
    {{"S21", "kernel/fork.c:copy_mm()", "", Errno{}},
     "mm",
     [](const Task* t) -> const KObject* { return t->mm; },
     CopyMm,
     Label::kCleanupSignal},
    {{"S22", "kernel/nsproxy.c:copy_namespaces()", "", Errno{}},
     "nsproxy",
     [](const Task* t) -> const KObject* { return t->nsproxy; },
     [](Machine& m, Task* c, Task* p, uint64_t f) {
       return CopyNamespaces(m, c, p, f);
     },
     Label::kCleanupMm},
    {{"S23", "kernel/fork.c:copy_io()", "", Errno{}},
     "io_context",
     [](const Task* t) -> const KObject* { return t->io_context; },
     CopyIo,
     Label::kCleanupNamespaces},
};

// S8 (kernel/fork.c:1869 [5.2], :2238 [6.12]): copy_creds(), which also
// makes the CLONE_NEWUSER namespace. Both task->cred and task->real_cred
// hold a reference.
inline constexpr CopyStep kCopyCreds = {
    kS8, "cred", [](const Task* t) -> const KObject* { return t->cred; },
    [](Machine& m, Task*, Task* p, uint64_t f) { return CopyCreds(m, p, f); },
    Label::kFree};

// Each era's labels in fall-through order (copy_process_5_2.cc,
// copy_process_6_12.cc).
extern const std::span<const LabelInfo> kLabels5_2;
extern const std::span<const LabelInfo> kLabels6_12;

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_COPY_PROCESS_H_

#include "sim/kernel/fork.h"

#include <array>
#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/abi/layout.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"
#include "model/kernel/shared.h"
#include "sim/kernel/core.h"
#include "sim/kernel/open.h"
#include "sim/kernel/waits.h"
#include "sim/kernel/x86_process.h"

namespace forksim {
namespace {

constexpr std::string_view kCopyProcess = "kernel/fork.c:copy_process()";

// --- the unwind labels (U1-U21) ---

// kernel/fork.c:copy_process() [5.2], lines 2223-2284, in fall-through
// order: a failure jumps to one and runs it and every later one.
enum class Label : uint8_t {
  kCancelCgroup,
  kCgroupThreadgroupChangeEnd,
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
  kCleanupPolicy,
  kCleanupThreadgroupLock,
  kCleanupCount,
  kFree,
  kForkOut,
  kCount,
};

struct LabelInfo {
  Label label;
  std::string_view id;
  std::string_view name;
};

constexpr LabelInfo kLabels[] = {
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
    {Label::kCleanupThreadgroupLock, "U18",
     "bad_fork_cleanup_threadgroup_lock"},
    {Label::kCleanupCount, "U19", "bad_fork_cleanup_count"},
    {Label::kFree, "U20", "bad_fork_free"},
    {Label::kForkOut, "U21", "fork_out"},
};
static_assert(std::size(kLabels) == static_cast<size_t>(Label::kCount));

constexpr bool LabelsInOrder() {
  for (size_t i = 0; i < std::size(kLabels); ++i) {
    if (static_cast<size_t>(kLabels[i].label) != i) return false;
  }
  return true;
}
static_assert(LabelsInOrder(), "kLabels follows Label's fall-through order");

// --- the ladder (C1-C7a) and the steps (S1-S42) ---

// A rung of the pre-check ladder: it returns at once, with nothing to undo.
struct LadderRung {
  std::string_view id;
  std::string_view reason;  // why the kernel refuses, in one sentence
  Errno error;
};

// kernel/fork.c:copy_process() [5.2], lines 1762-1815; C7a is [5.2-rc1]'s
// read of *parent_tidptr, gone in [5.2].
constexpr LadderRung kC1 = {
    "C1",
    "CLONE_NEWNS with CLONE_FS: no sharing the root across "
    "mount namespaces",
    Errno::kEINVAL};
constexpr LadderRung kC2 = {"C2",
                            "CLONE_NEWUSER with CLONE_FS: no sharing the root "
                            "across user namespaces",
                            Errno::kEINVAL};
constexpr LadderRung kC3 = {
    "C3",
    "CLONE_THREAD without CLONE_SIGHAND: a thread group "
    "shares its signal handlers",
    Errno::kEINVAL};
constexpr LadderRung kC4 = {
    "C4", "CLONE_SIGHAND without CLONE_VM: handlers are addresses in one mm",
    Errno::kEINVAL};
constexpr LadderRung kC5 = {"C5",
                            "CLONE_PARENT from a pid namespace's init: its "
                            "siblings would have no reaper",
                            Errno::kEINVAL};
constexpr LadderRung kC6 = {
    "C6",
    "CLONE_THREAD into another user or pid namespace: a "
    "thread group lives in one",
    Errno::kEINVAL};
constexpr LadderRung kC7 = {"C7",
                            "CLONE_PIDFD with CLONE_DETACHED, CLONE_THREAD or "
                            "(legacy) CLONE_PARENT_SETTID",
                            Errno::kEINVAL};
constexpr LadderRung kC7aFault = {
    "C7a", "the reserved int at parent_tidptr cannot be read", Errno::kEFAULT};
constexpr LadderRung kC7aNonzero = {
    "C7a", "the reserved int at parent_tidptr is not 0", Errno::kEINVAL};

// A resource step: the kernel function it cites, a label within that
// function when the step is one line of it, and the errno of its failure.
struct Step {
  std::string_view id;
  std::string_view function;
  std::string_view label;
  Errno error;
};

// Steps without state in the model are still failure points: fail_nth
// reaches each (docs/model.md).
constexpr Step kS2 = {"S2", kCopyProcess, "signal_pending",
                      Errno::kERESTARTNOINTR};
constexpr Step kS3 = {"S3", "kernel/fork.c:dup_task_struct()", "",
                      Errno::kENOMEM};
constexpr Step kS6 = {"S6", kCopyProcess, "RLIMIT_NPROC", Errno::kEAGAIN};
constexpr Step kS8 = {"S8", "kernel/cred.c:copy_creds()", "", Errno{}};
constexpr Step kS9 = {"S9", kCopyProcess, "threads-max", Errno::kEAGAIN};
constexpr Step kS11 = {"S11", "mm/mempolicy.c:mpol_dup()", "", Errno::kENOMEM};
// sched_fork() refuses a SCHED_DEADLINE parent without reset-on-fork.
constexpr Step kS12 = {"S12", "kernel/sched/core.c:sched_fork()", "",
                       Errno::kEAGAIN};
constexpr Step kS13 = {"S13", "kernel/events/core.c:perf_event_init_task()", "",
                       Errno::kENOMEM};
constexpr Step kS14 = {"S14", "kernel/auditsc.c:audit_alloc()", "",
                       Errno::kENOMEM};
constexpr Step kS15 = {"S15", "security/security.c:security_task_alloc()", "",
                       Errno::kENOMEM};
constexpr Step kS24On64 = {
    "S24", "arch/x86/kernel/process_64.c:copy_thread_tls()", "", Errno{}};
constexpr Step kS24On32 = {
    "S24", "arch/x86/kernel/process_32.c:copy_thread_tls()", "", Errno{}};
constexpr Step kS26 = {"S26", "kernel/pid.c:alloc_pid()", "", Errno{}};
constexpr Step kS27Fd = {"S27", "fs/file.c:__alloc_fd()", "get_unused_fd_flags",
                         Errno{}};
constexpr Step kS27File = {"S27", "fs/anon_inodes.c:anon_inode_getfile()",
                           "anon_inode_getfile", Errno{}};
// The pids controller says EAGAIN when pids.max would be exceeded.
constexpr Step kS32 = {"S32", "kernel/cgroup/cgroup.c:cgroup_can_fork()", "",
                       Errno::kEAGAIN};
constexpr Step kS37 = {"S37", kCopyProcess, "PIDNS_ADDING", Errno::kENOMEM};
constexpr Step kS38 = {"S38", kCopyProcess, "fatal_signal_pending",
                       Errno::kEINTR};
constexpr Step kS39 = {"S39", kCopyProcess, "fd_install", Errno{}};
constexpr Step kS40 = {"S40-S41", kCopyProcess, "link", Errno{}};

// A share-or-copy step (S16-S23): the structure it decides, where the
// caller's is, and the label that undoes the steps before it.
struct CopyStep {
  Step step;
  std::string_view type;  // "files": what explain calls the structure
  const KObject* (*object)(const Task*);
  SysStatus (*run)(Machine&, Task* current, Task* p, uint64_t flags);
  Label on_failure;
  // Set where a shared reference is taken later than the step.
  std::string_view taken_at = "";
};

constexpr CopyStep kCopySteps[] = {
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

// S8 (kernel/fork.c:1869 [5.2]): copy_creds(), which also makes the
// CLONE_NEWUSER namespace. Both task->cred and task->real_cred hold a
// reference.
constexpr CopyStep kCopyCreds = {
    kS8, "cred", [](const Task* t) -> const KObject* { return t->cred; },
    [](Machine& m, Task*, Task* p, uint64_t f) { return CopyCreds(m, p, f); },
    Label::kFree};

// What copy_process() has made so far, for the unwind: its local variables.
struct ForkState {
  Task* current = nullptr;
  Task* p = nullptr;
  Pid* pid = nullptr;
  int pidfd = -1;
  File* pidfile = nullptr;  // [5.2]: created, not yet installed
  uint64_t flags = 0;
};

// Goes to `label` when `expr` fails: copy_process()'s
// `if (retval) goto label;`, inside CopyProcessRun::Run().
#define FORKSIM_TRY_OR_UNWIND(expr, label)                 \
  do {                                                     \
    if (SysStatus forksim_s_ = (expr); !forksim_s_.ok()) { \
      return Fail(label, forksim_s_.error());              \
    }                                                      \
  } while (false)

class CopyProcessRun {
 public:
  CopyProcessRun(KernelCore& k, Task* current, KernelCloneArgs& args, int trace)
      : k_(k),
        m_(k.machine()),
        profile_(k.profile()),
        args_(args),
        trace_(trace) {
    s_.current = current;
    s_.flags = args.flags;
  }

  SysResult<Task*> Run();

 private:
  // Check(): one rung of the ladder, recorded; its errno when it fails.
  SysStatus Check(const LadderRung& rung, bool fails);
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

  SysStatus Ladder();
  SysStatus ReservedParentTidRead();
  SysStatus SignalPending();
  SysStatus DupTaskStruct();
  SysStatus CheckNproc();
  SysStatus ThreadsMax();
  void InitTask();
  SysStatus AllocChildPid();
  SysStatus CreatePidfd();
  void SetIds();
  SysStatus PidnsAdding();
  SysStatus FatalSignalPending();
  void Link();

  // Fails to `label`: runs the unwind from there and returns the errno.
  Errno Fail(Label label, Errno error);
  void Unwind(Label from);

  KernelCore& k_;
  Machine& m_;
  const KernelProfile& profile_;
  KernelCloneArgs& args_;
  int trace_;
  ForkState s_;
};

SysStatus CopyProcessRun::Check(const LadderRung& rung, bool fails) {
  if (k_.tracing()) {
    Event e;
    e.kind = EventKind::kCheck;
    e.function = kCopyProcess;
    e.step = rung.id;
    e.reason = rung.reason;
    e.error = fails ? rung.error : Errno{};
    k_.Record(s_.current, std::move(e));
  }
  return fails ? SysStatus(rung.error) : SysOk();
}

SysStatus CopyProcessRun::ShareOrCopy(const CopyStep& step) {
  Task* current = s_.current;
  const KObject* before = step.object(current);
  const int64_t refs_before = before != nullptr ? before->refcount : 0;
  const SysStatus status = step.run(m_, current, s_.p, s_.flags);
  if (!k_.tracing() || !status.ok()) return Record(step.step, status);
  ObjectChange change;
  change.type = step.type;
  if (const KObject* mine = step.object(s_.p); mine == nullptr) {
    change.how = ObjectChange::How::kNone;
  } else if (mine == step.object(current)) {
    change.how = ObjectChange::How::kShared;
    change.serial = mine->serial;
    change.refcount_after = mine->refcount;
    // Made by the step for the caller (copy_semundo()'s undo list), then
    // shared: it had the caller's one reference before the child's.
    change.refcount_before = mine == before ? refs_before : mine->refcount - 1;
    change.taken_at = step.taken_at;
  } else {
    change.how = ObjectChange::How::kCopied;
    change.serial = mine->serial;
    change.refcount_after = mine->refcount;
  }
  return Record(step.step, status,
                [&change](Event& event) { event.object = change; });
}

SysStatus CopyProcessRun::Ladder() {
  const uint64_t f = s_.flags;
  Task* current = s_.current;
  FORKSIM_TRY(
      Check(kC1, (f & (kCloneNewns | kCloneFs)) == (kCloneNewns | kCloneFs)));
  FORKSIM_TRY(Check(
      kC2, (f & (kCloneNewuser | kCloneFs)) == (kCloneNewuser | kCloneFs)));
  FORKSIM_TRY(Check(kC3, (f & kCloneThread) && !(f & kCloneSighand)));
  FORKSIM_TRY(Check(kC4, (f & kCloneSighand) && !(f & kCloneVm)));
  FORKSIM_TRY(Check(
      kC5, (f & kCloneParent) && (current->signal->flags & kSignalUnkillable)));
  FORKSIM_TRY(Check(
      kC6, (f & kCloneThread) && ((f & (kCloneNewuser | kCloneNewpid)) ||
                                  TaskActivePidNs(current) !=
                                      current->nsproxy->pid_for_children)));
  if (!(f & kClonePidfd)) return SysOk();
  // C7. Where the pidfd goes where parent_tidptr points (legacy clone),
  // CLONE_PARENT_SETTID would overwrite it; the RFC's clone6 has its own
  // pidfd field, so its is_clone6 path allows it.
  const uint64_t refused = kCloneDetached | kCloneThread |
                           (args_.pidfd_at_parent_tid ? kCloneParentSettid : 0);
  FORKSIM_TRY(Check(kC7, (f & refused) != 0));
  if (profile_.reserved_parent_tid_read && args_.pidfd_at_parent_tid) {
    return ReservedParentTidRead();
  }
  return SysOk();
}

SysStatus CopyProcessRun::ReservedParentTidRead() {
  // C7a [5.2-rc1]: "Verify that parent_tidptr is sane so we can potentially
  // reuse it later": the int there must be readable and zero.
  uint64_t reserved = 0;
  if (!k_.GetUser(s_.current, args_.parent_tid, 4, &reserved,
                  "*parent_tidptr (reserved)")
           .ok()) {
    return Check(kC7aFault, true);
  }
  return Check(kC7aNonzero, reserved != 0);
}

SysStatus CopyProcessRun::SignalPending() {
  // S2 (kernel/fork.c:1831-1833 [5.2]): the fork restarts after the signal.
  SysStatus s = m_.faults.Check(kS2.function, kS2.label, kS2.error);
  Task* current = s_.current;
  if (s.ok() &&
      (!current->pending.empty() || !current->signal->shared_pending.empty())) {
    s = Errno::kERESTARTNOINTR;
  }
  return Record(kS2, s);
}

SysStatus CopyProcessRun::DupTaskStruct() {
  // S3: kernel/fork.c:dup_task_struct() [5.2] (lines 843-930): a
  // whole-struct copy of the parent; its pointers name the parent's
  // structures without references.
  FORKSIM_TRY(FailurePoint(kS3));
  Task* current = s_.current;
  Task* p = m_.tasks.Create();
  p->abi = current->abi;
  p->comm = current->comm;
  p->flags = current->flags;
  p->exit_signal = current->exit_signal;
  p->regs = current->regs;
  p->tls = current->tls;
  p->self_exec_id = current->self_exec_id;
  p->parent_exec_id = current->parent_exec_id;
  p->thread_pid = current->thread_pid;
  p->real_cred = current->real_cred;
  p->cred = current->cred;
  p->files = current->files;
  p->fs = current->fs;
  p->sighand = current->sighand;
  p->signal = current->signal;
  p->mm = current->mm;
  p->nsproxy = current->nsproxy;
  p->sysvsem = current->sysvsem;
  p->io_context = current->io_context;
  p->group_leader = current->group_leader;
  p->real_parent = current->real_parent;
  p->parent = current->parent;
  s_.p = p;
  return SysOk();
}

SysStatus CopyProcessRun::CheckNproc() {
  // S6 (kernel/fork.c:1860-1866 [5.2]): the parent's real uid's process
  // count against the soft RLIMIT_NPROC, unless root or privileged.
  const UserStruct* user = s_.p->real_cred->user;
  const bool over = static_cast<uint64_t>(user->processes) >=
                        s_.current->signal->rlim[kRlimitNproc].cur &&
                    user->uid != 0 &&
                    !Capable(m_, s_.current->cred, kCapSysResource) &&
                    !Capable(m_, s_.current->cred, kCapSysAdmin);
  return Record(kS6, over ? SysStatus(kS6.error) : SysOk());
}

SysStatus CopyProcessRun::ThreadsMax() {
  // S9 (kernel/fork.c:1878-1880 [5.2]).
  return Record(kS9, m_.nr_threads >= m_.sysctls.max_threads
                         ? SysStatus(kS9.error)
                         : SysOk());
}

void CopyProcessRun::InitTask() {
  // S10 (kernel/fork.c:1882-1922 [5.2]): bookkeeping of the new task.
  Task* p = s_.p;
  p->flags &= ~(kPfSuperpriv | kPfWqWorker | kPfIdle);
  p->flags |= kPfForknoexec;
  p->children.clear();
  p->threads.clear();
  p->vfork_pending = false;
  p->io_context = nullptr;
  p->pending.clear();
}

SysStatus CopyProcessRun::AllocChildPid() {
  // S26 (kernel/fork.c:2015-2021 [5.2]): the pid comes from the child's
  // nsproxy: with CLONE_NEWPID it is pid 1 of the new namespace.
  SysResult<Pid*> pid = AllocPid(m_, s_.p->nsproxy->pid_for_children);
  if (!pid.ok()) return Record(kS26, pid.error());
  s_.pid = pid.value();
  return Record(kS26, SysOk(), [this](Event& event) {
    for (const Upid& upid : s_.pid->numbers) {
      event.pid_numbers.push_back(upid.nr.value);
    }
  });
}

SysStatus CopyProcessRun::CreatePidfd() {
  // S27 (kernel/fork.c:2028-2047 [5.2]): a number, then the file, then the
  // report of the number; the pidfd lives in the caller's table.
  Task* current = s_.current;
  SysResult<int> fd = GetUnusedFdFlags(m_.fd_env(), *current->files,
                                       current->signal->rlim[kRlimitNofile].cur,
                                       kORdwr | kOCloexec);
  FORKSIM_TRY(Record(kS27Fd, fd.ok() ? SysOk() : SysStatus(fd.error())));
  SysResult<File*> file = AnonInodeGetfile(m_, current, "[pidfd]", s_.pid);
  if (!file.ok()) {
    (void)Record(kS27File, file.error());
    PutUnusedFd(*current->files, fd.value());
    return file.error();
  }
  Done(kS27File);
  s_.pidfd = fd.value();
  if (profile_.pidfd_creation == PidfdCreation::kInstallAtOnce) {
    // [5.2-rc1] pidfd_create() -> anon_inode_getfd(): visible at once.
    FdInstall(*current->files, s_.pidfd, file.value());
  } else {
    s_.pidfile = file.value();  // [5.2]: installed after the last failure
  }
  if (args_.pidfd_in_args) {
    args_.pidfd_nr = s_.pidfd;  // the RFC's clone6: args->pidfd = pidfd
    return SysOk();
  }
  return k_.PutUser(
      current, args_.pidfd, 4, static_cast<uint32_t>(s_.pidfd),
      args_.pidfd_at_parent_tid ? "*parent_tidptr (pidfd)" : "*args->pidfd");
}

void CopyProcessRun::SetIds() {
  // S29 (kernel/fork.c:2078-2090 [5.2]): ids and the exit signal; legacy
  // clone's exit signal is not validated.
  Task* current = s_.current;
  Task* p = s_.p;
  p->pid = Tid(s_.pid->numbers[0].nr.value);
  if (s_.flags & kCloneThread) {
    p->exit_signal = -1;
    p->group_leader = current->group_leader;
    p->tgid = current->tgid;
  } else {
    p->exit_signal = (s_.flags & kCloneParent)
                         ? current->group_leader->exit_signal
                         : args_.exit_signal;
    p->group_leader = p;
    p->tgid = Tgid(p->pid.value);
  }
}

SysStatus CopyProcessRun::PidnsAdding() {
  // S37 (kernel/fork.c:2150-2153 [5.2]): the namespace's init died meanwhile.
  const bool dead =
      (s_.pid->numbers.back().ns->pid_allocated & kPidnsAdding) == 0;
  return Record(kS37, dead ? SysStatus(kS37.error) : SysOk());
}

SysStatus CopyProcessRun::FatalSignalPending() {
  // S38 (kernel/fork.c:2156-2159 [5.2]).
  SysStatus s = m_.faults.Check(kS38.function, kS38.label, kS38.error);
  for (int sig : s_.current->pending) {
    if (sig == kSigkill) s = kS38.error;
  }
  return Record(kS38, s);
}

void CopyProcessRun::Link() {
  // S35 and S40 (kernel/fork.c:2129-2206 [5.2]).
  Task* current = s_.current;
  Task* p = s_.p;
  const uint64_t f = s_.flags;
  if (f & (kCloneParent | kCloneThread)) {
    p->real_parent = current->real_parent;
    p->parent_exec_id = current->parent_exec_id;
  } else {
    p->real_parent = current;
    p->parent_exec_id = current->self_exec_id;
  }
  // ptrace_init_task(): traced only if asked and the caller is traced.
  p->ptrace = 0;
  p->parent = p->real_parent;
  if (((f & kClonePtrace) || trace_ != 0) && current->ptrace != 0) {
    p->ptrace = current->ptrace;
    p->parent = current->parent;
  }
  p->thread_pid = s_.pid;
  if (IsThreadGroupLeader(*p)) {
    p->signal->pgrp = current->signal->pgrp;
    p->signal->session = current->signal->session;
    if (s_.pid->numbers.back().nr == VNr(1)) {
      // The first task of a new pid namespace is its reaper.
      s_.pid->numbers.back().ns->child_reaper = p;
      p->signal->flags |= kSignalUnkillable;
    }
    p->signal->has_child_subreaper =
        p->real_parent->signal->has_child_subreaper ||
        p->real_parent->signal->is_child_subreaper;
    p->real_parent->children.push_back(p);
    m_.task_list.push_back(p);
    AttachPid(p, s_.pid, kPidTypeTgid);
    AttachPid(p, p->signal->pgrp, kPidTypePgid);
    AttachPid(p, p->signal->session, kPidTypeSid);
  } else {
    ++current->signal->nr_threads;
    ++current->signal->live;
    Registry<SignalStruct>::Get(current->signal);  // sigcnt
    p->group_leader->threads.push_back(p);
  }
  AttachPid(p, s_.pid, kPidTypePid);
  ++m_.nr_threads;
  // S41 (kernel/fork.c:2207-2211 [5.2]).
  ++m_.total_forks;
  if (!(f & kCloneThread)) --current->signal->multiprocess;
}

Errno CopyProcessRun::Fail(Label label, Errno error) {
  // Only U21 runs before the task exists (S2, S3).
  assert(s_.p != nullptr || label == Label::kForkOut);
  // U5 and below free the pid; only U4's callers may have one.
  assert(s_.pid != nullptr || label > Label::kFreePid);
  Unwind(label);
  return error;
}

void CopyProcessRun::Unwind(Label from) {
  Task* p = s_.p;
  Task* current = s_.current;
  const uint64_t f = s_.flags;
  for (size_t i = static_cast<size_t>(from); i < std::size(kLabels); ++i) {
    const LabelInfo& info = kLabels[i];
    if (k_.tracing()) {
      Event e;
      e.kind = EventKind::kUnwind;
      e.function = kCopyProcess;
      e.step = info.id;
      e.label = info.name;
      k_.Record(current, std::move(e));
    }
    switch (info.label) {
      case Label::kCancelCgroup:  // unlock; cgroup_cancel_fork()
      case Label::kCgroupThreadgroupChangeEnd:
        break;
      case Label::kPutPidfd:
        if (!(f & kClonePidfd)) break;
        if (profile_.pidfd_creation == PidfdCreation::kInstallAtOnce) {
          // [5.2-rc1] ksys_close(pidfd): a real close of a visible fd.
          (void)CloseFd(m_.fd_env(), *current->files, s_.pidfd);
        } else {
          // [5.2] fput(pidfile) drops the pid; the number is given back.
          FPut(m_.fd_env(), s_.pidfile);
          PutUnusedFd(*current->files, s_.pidfd);
        }
        break;
      case Label::kFreePid:
        FreePid(m_, s_.pid);
        break;
      case Label::kCleanupThread:  // exit_thread(): the io bitmap
        break;
      case Label::kCleanupIo:
        ExitIoContext(m_, p);
        break;
      case Label::kCleanupNamespaces:
        ExitTaskNamespaces(m_, p);
        break;
      case Label::kCleanupMm:
        if (p->mm != nullptr) MmPut(m_, p->mm);
        p->mm = nullptr;
        break;
      case Label::kCleanupSignal:
        if (!(f & kCloneThread)) PutSignalStruct(m_, p->signal);
        p->signal = nullptr;
        break;
      case Label::kCleanupSighand:
        CleanupSighand(m_, p->sighand);
        p->sighand = nullptr;
        break;
      case Label::kCleanupFs:
        ExitFs(m_, p);
        break;
      case Label::kCleanupFiles:
        ExitFiles(m_, p);
        break;
      case Label::kCleanupSemundo:
        ExitSem(m_, p);
        break;
      case Label::kCleanupSecurity:         // security_task_free()
      case Label::kCleanupAudit:            // audit_free()
      case Label::kCleanupPerf:             // perf_event_free_task()
      case Label::kCleanupPolicy:           // lockdep_free_task(), mpol_put()
      case Label::kCleanupThreadgroupLock:  // delayacct_tsk_free()
        break;
      case Label::kCleanupCount:
        --p->cred->user->processes;
        ExitCreds(m_, p);
        break;
      case Label::kFree:
        // Nothing else of the child holds a reference now.
        Registry<Task>::Release(p);
        m_.tasks.Destroy(p);
        s_.p = p = nullptr;
        break;
      case Label::kForkOut:
        if (!(f & kCloneThread)) --current->signal->multiprocess;
        break;
      case Label::kCount:
        break;
    }
  }
}

SysResult<Task*> CopyProcessRun::Run() {
  FORKSIM_TRY(Ladder());
  Task* current = s_.current;
  const uint64_t f = s_.flags;

  // S1: forks in progress must see group signals sent meanwhile.
  if (!(f & kCloneThread)) ++current->signal->multiprocess;
  FORKSIM_TRY_OR_UNWIND(SignalPending(), Label::kForkOut);  // S2
  FORKSIM_TRY_OR_UNWIND(DupTaskStruct(), Label::kForkOut);  // S3
  Task* p = s_.p;
  // S4.
  p->set_child_tid = (f & kCloneChildSettid) ? args_.child_tid : 0;
  p->clear_child_tid = (f & kCloneChildCleartid) ? args_.child_tid : 0;
  FORKSIM_TRY_OR_UNWIND(CheckNproc(), Label::kFree);             // S6
  current->flags &= ~kPfNprocExceeded;                           // S7
  FORKSIM_TRY_OR_UNWIND(ShareOrCopy(kCopyCreds), Label::kFree);  // S8
  FORKSIM_TRY_OR_UNWIND(ThreadsMax(), Label::kCleanupCount);     // S9
  InitTask();                                                    // S10
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS11), Label::kCleanupThreadgroupLock);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS12), Label::kCleanupPolicy);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS13), Label::kCleanupPolicy);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS14), Label::kCleanupPerf);
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS15), Label::kCleanupAudit);
  for (const CopyStep& step : kCopySteps) {  // S16-S23
    FORKSIM_TRY_OR_UNWIND(ShareOrCopy(step), step.on_failure);
  }
  const bool x86_64_kernel = AbiInfoFor(current->abi).kernel_long_bits == 64;
  FORKSIM_TRY_OR_UNWIND(  // S24
      Record(x86_64_kernel ? kS24On64 : kS24On32,
             CopyThreadTls(k_, current, p, f, args_.stack, args_.stack_size,
                           args_.tls)),
      Label::kCleanupIo);
  FORKSIM_TRY_OR_UNWIND(AllocChildPid(), Label::kCleanupThread);  // S26
  if (f & kClonePidfd) {                                          // S27
    if (SysStatus s = CreatePidfd(); !s.ok()) {
      // A failure before the number was taken goes to bad_fork_free_pid;
      // the put_user() fault to bad_fork_put_pidfd.
      return Fail(s_.pidfd < 0 ? Label::kFreePid : Label::kPutPidfd, s.error());
    }
  }
  // S28: sigaltstack reset for CLONE_VM without CLONE_VFORK (no state).
  SetIds();  // S29
  // S31-S32: cgroup_threadgroup_change_begin(), cgroup_can_fork().
  FORKSIM_TRY_OR_UNWIND(FailurePoint(kS32), Label::kCgroupThreadgroupChangeEnd);
  // S34-S36: tasklist_lock, the parent, siglock, copy_seccomp (no state).
  FORKSIM_TRY_OR_UNWIND(PidnsAdding(), Label::kCancelCgroup);         // S37
  FORKSIM_TRY_OR_UNWIND(FatalSignalPending(), Label::kCancelCgroup);  // S38
  // S39 [5.2]: past the last failure point, the pidfd becomes visible.
  if (s_.pidfile != nullptr) {
    FdInstall(*current->files, s_.pidfd, s_.pidfile);
    Done(kS39);
  }
  Link();  // S40-S41
  Done(kS40, [this, p](Event& event) {
    event.linked = LinkFacts{p->pid, p->real_parent->pid, p->group_leader->pid,
                             m_.nr_threads, m_.total_forks};
  });
  return p;
}

#undef FORKSIM_TRY_OR_UNWIND

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

SysResult<Task*> CopyProcess(KernelCore& k, Task* current,
                             KernelCloneArgs& args, int trace) {
  return CopyProcessRun(k, current, args, trace).Run();
}

SyscallOutcome KernelClone(KernelCore& k, Task* current,
                           KernelCloneArgs& args) {
  // Only a live task that is not exiting makes a syscall (the dispatcher
  // delivers fatal signals first).
  assert(current->state == TaskState::kRunnable);
  assert((current->flags & kPfExiting) == 0);
  assert(args.exit_signal >= 0 && args.exit_signal <= 0xff);
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

KernelCloneArgs LegacyCloneArgs(Abi abi, const DecodedSyscall& d) {
  // CONFIG_CLONE_BACKWARDS (i386, and the ia32 entry) swaps the last two.
  const bool backwards = AbiInfoFor(abi).clone_order == CloneOrder::kBackwards;
  const uint64_t clone_flags = d.arg(0);
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
  KernelCloneArgs args = LegacyCloneArgs(current->abi, d);
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
    for (const LadderRung& r : {kC1, kC2, kC3, kC4, kC5, kC6, kC7, kC7aFault}) {
      out->push_back({r.id, kCopyProcess, ""});
    }
    for (const Step& s :
         {kS2,      kS3,  kS6,  kS8,      kS9,      kS11, kS12,
          kS13,     kS14, kS15, kS24On64, kS24On32, kS26, kS27Fd,
          kS27File, kS32, kS37, kS38,     kS39,     kS40}) {
      out->push_back({s.id, s.function, s.label});
    }
    for (const CopyStep& c : kCopySteps) {
      out->push_back({c.step.id, c.step.function, c.step.label});
    }
    for (const LabelInfo& l : kLabels) {
      out->push_back({l.id, kCopyProcess, l.name});
    }
    return out;
  }();
  return *kCitations;
}

}  // namespace forksim

#include "sim/kernel/fork.h"

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"
#include "model/kernel/shared.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/syscalls.h"

namespace forksim {
namespace {

constexpr char kCopyProcess[] = "kernel/fork.c:copy_process()";

// The unwind labels of copy_process() [5.2] (kernel-facts.md §3.3), in
// fall-through order: a failure jumps to one and runs it and every later one.
enum class Label : uint8_t {
  kCancelCgroup,                // U1
  kCgroupThreadgroupChangeEnd,  // U2
  kPutPidfd,                    // U3
  kFreePid,                     // U4
  kCleanupThread,               // U5
  kCleanupIo,                   // U6
  kCleanupNamespaces,           // U7
  kCleanupMm,                   // U8
  kCleanupSignal,               // U9
  kCleanupSighand,              // U10
  kCleanupFs,                   // U11
  kCleanupFiles,                // U12
  kCleanupSemundo,              // U13
  kCleanupSecurity,             // U14
  kCleanupAudit,                // U15
  kCleanupPerf,                 // U16
  kCleanupPolicy,               // U17
  kCleanupThreadgroupLock,      // U18
  kCleanupCount,                // U19
  kFree,                        // U20
  kForkOut,                     // U21
};

constexpr std::string_view kLabelNames[] = {
    "bad_fork_cancel_cgroup",
    "bad_fork_cgroup_threadgroup_change_end",
    "bad_fork_put_pidfd",
    "bad_fork_free_pid",
    "bad_fork_cleanup_thread",
    "bad_fork_cleanup_io",
    "bad_fork_cleanup_namespaces",
    "bad_fork_cleanup_mm",
    "bad_fork_cleanup_signal",
    "bad_fork_cleanup_sighand",
    "bad_fork_cleanup_fs",
    "bad_fork_cleanup_files",
    "bad_fork_cleanup_semundo",
    "bad_fork_cleanup_security",
    "bad_fork_cleanup_audit",
    "bad_fork_cleanup_perf",
    "bad_fork_cleanup_policy",
    "bad_fork_cleanup_threadgroup_lock",
    "bad_fork_cleanup_count",
    "bad_fork_free",
    "fork_out",
};

// What copy_process() has made so far, for the unwind.
struct ForkState {
  Task* current = nullptr;
  Task* p = nullptr;
  Pid* pid = nullptr;
  int pidfd = -1;
  File* pidfile = nullptr;  // [5.2]: created, not yet installed
  uint64_t flags = 0;
};

class CopyProcessRun {
 public:
  CopyProcessRun(Kernel& k, Task* current, CloneArgs& args, int trace)
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
  // One rung of the pre-check ladder: reports it and says whether it fails.
  bool Rung(std::string_view rung, bool fails, std::string_view why,
            Errno error = Errno::kEINVAL) {
    if (!k_.tracing()) return fails;
    k_.Emit(Event::Kind::kCheck, s_.current,
            absl::StrFormat("%s %s", kCopyProcess, rung), std::string(why),
            fails ? ErrnoValue(error) : 0);
    return fails;
  }
  SysStatus Ladder();
  SysStatus ReservedParentTidRead();

  // A step with no state in the model that can still fail.
  SysStatus Point(std::string_view step, std::string_view where, Errno error) {
    SysStatus status = m_.faults.Check(where, error);
    Step(step, where, status);
    return status;
  }
  void Step(std::string_view step, std::string_view where, SysStatus status,
            std::string_view detail = "") {
    if (!k_.tracing()) return;
    std::string text =
        status.ok() ? "ok" : std::string(ErrnoName(status.error()));
    if (status.ok() && !detail.empty()) text = std::string(detail);
    k_.Emit(Event::Kind::kStep, s_.current,
            absl::StrFormat("%s %s", where, step), std::move(text),
            status.ok() ? 0 : ErrnoValue(status.error()));
  }
  // What a share-or-copy step did, for explanations: "shared files#2
  // (refcount 1 -> 2)", "copied into files#5", or "none".
  template <typename T>
  std::string ShareOrCopy(std::string_view kind, const T* parents,
                          const T* childs) const {
    if (childs == nullptr) return "none";
    if (childs == parents) {
      return absl::StrFormat("shared %s#%d (refcount %d -> %d)", kind,
                             childs->serial, childs->refcount - 1,
                             childs->refcount);
    }
    return absl::StrFormat("copied into a new %s#%d", kind, childs->serial);
  }
  SysStatus Traced(std::string_view step, std::string_view where,
                   SysStatus status) {
    Step(step, where, status);
    return status;
  }

  // Fails to `label`: runs the unwind from there and returns the errno.
  Errno Fail(Label label, Errno error);
  void Unwind(Label from);

  SysStatus DupTaskStruct();
  SysStatus CheckNproc();
  SysStatus CreatePidfd();
  void Link();

  Kernel& k_;
  Machine& m_;
  const KernelProfile& profile_;
  CloneArgs& args_;
  int trace_;
  ForkState s_;
};

SysStatus CopyProcessRun::Ladder() {
  const uint64_t f = s_.flags;
  Task* current = s_.current;
  // C1-C6 (kernel/fork.c:1762-1802 [5.2]).
  if (Rung("C1", (f & (kCloneNewns | kCloneFs)) == (kCloneNewns | kCloneFs),
           "CLONE_NEWNS with CLONE_FS: no sharing the root across mount "
           "namespaces")) {
    return Errno::kEINVAL;
  }
  if (Rung("C2", (f & (kCloneNewuser | kCloneFs)) == (kCloneNewuser | kCloneFs),
           "CLONE_NEWUSER with CLONE_FS: no sharing the root across user "
           "namespaces")) {
    return Errno::kEINVAL;
  }
  if (Rung("C3", (f & kCloneThread) && !(f & kCloneSighand),
           "CLONE_THREAD without CLONE_SIGHAND: a thread group shares its "
           "signal handlers")) {
    return Errno::kEINVAL;
  }
  if (Rung(
          "C4", (f & kCloneSighand) && !(f & kCloneVm),
          "CLONE_SIGHAND without CLONE_VM: handlers are addresses in one mm")) {
    return Errno::kEINVAL;
  }
  if (Rung("C5",
           (f & kCloneParent) &&
               (current->signal->flags & kSignalUnkillable) != 0,
           "CLONE_PARENT from a pid namespace's init: its siblings would have "
           "no reaper")) {
    return Errno::kEINVAL;
  }
  if (Rung("C6",
           (f & kCloneThread) &&
               ((f & (kCloneNewuser | kCloneNewpid)) ||
                TaskActivePidNs(current) != current->nsproxy->pid_for_children),
           "CLONE_THREAD into another user or pid namespace: a thread group "
           "lives in one")) {
    return Errno::kEINVAL;
  }
  if (!(f & kClonePidfd)) return SysOk();
  // C7. The RFC splits it by is_clone6: both paths reject DETACHED and
  // THREAD; only the legacy path rejects PARENT_SETTID (its parent_tidptr
  // carries the pidfd) and reads the reserved int.
  const uint64_t rejected =
      profile_.has_clone6 && args_.is_clone6
          ? (kCloneDetached | kCloneThread)
          : (kCloneDetached | kCloneParentSettid | kCloneThread);
  if (Rung("C7", (f & rejected) != 0,
           "CLONE_PIDFD with CLONE_DETACHED, CLONE_THREAD or (legacy) "
           "CLONE_PARENT_SETTID")) {
    return Errno::kEINVAL;
  }
  if (profile_.reserved_parent_tid_read && !args_.is_clone6) {
    return ReservedParentTidRead();
  }
  return SysOk();
}

SysStatus CopyProcessRun::ReservedParentTidRead() {
  // C7a [5.2-rc1]: "Verify that parent_tidptr is sane so we can potentially
  // reuse it later": the int there must be readable and zero.
  uint64_t reserved = 0;
  if (!k_.GetUser(s_.current, args_.parent_tidptr, 4, &reserved,
                  "*parent_tidptr (reserved)")
           .ok()) {
    Rung("C7a", true, "the reserved int at parent_tidptr cannot be read",
         Errno::kEFAULT);
    return Errno::kEFAULT;
  }
  if (Rung("C7a", reserved != 0,
           "the reserved int at parent_tidptr is not 0")) {
    return Errno::kEINVAL;
  }
  return SysOk();
}

SysStatus CopyProcessRun::DupTaskStruct() {
  // kernel/fork.c:dup_task_struct() [5.2]: a whole-struct copy of the parent;
  // its pointers name the parent's structures without references.
  FORKSIM_TRY(Point("S3", "kernel/fork.c:dup_task_struct()", Errno::kENOMEM));
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
  return Traced("S6 RLIMIT_NPROC", kCopyProcess,
                over ? SysStatus(Errno::kEAGAIN) : SysOk());
}

SysStatus CopyProcessRun::CreatePidfd() {
  // S27 (kernel-facts.md §3.2, §3.4, §6.4).
  Task* current = s_.current;
  FdTableEnv& env = m_.fd_env();
  const uint64_t nofile = current->signal->rlim[kRlimitNofile].cur;
  // anon_inode_getfile() -> alloc_empty_file(): ENFILE past fs.file-max
  // without CAP_SYS_ADMIN, ENOMEM if the allocation fails
  // (fs/file_table.c:134-164 [5.2]).
  auto new_pidfile = [&]() -> SysResult<File*> {
    if (m_.files.size() >= m_.sysctls.file_max &&
        !Capable(m_, current->cred, kCapSysAdmin)) {
      return Errno::kENFILE;
    }
    FORKSIM_TRY(
        m_.faults.Check("fs/file_table.c:alloc_empty_file()", Errno::kENOMEM));
    File* file = m_.files.Create();
    file->kind = FileKind::kPidfd;
    file->name = "[pidfd]";
    file->f_flags = kORdwr;  // anon_inode_getfile keeps O_ACCMODE|O_NONBLOCK
    file->pid = s_.pid;
    GetPid(s_.pid);  // held by the file
    return file;
  };
  SysResult<int> fd =
      GetUnusedFdFlags(env, *current->files, nofile, kORdwr | kOCloexec);
  Step("S27 get_unused_fd_flags", "fs/file.c:__alloc_fd()",
       fd.ok() ? SysOk() : SysStatus(fd.error()));
  FORKSIM_TRY(fd);
  SysResult<File*> file = new_pidfile();
  Step("S27 anon_inode_getfile", "fs/anon_inodes.c:anon_inode_getfile()",
       file.ok() ? SysOk() : SysStatus(file.error()));
  if (!file.ok()) {
    PutUnusedFd(*current->files, fd.value());
    return file.error();
  }
  s_.pidfd = fd.value();
  if (profile_.pidfd_creation == PidfdCreation::kInstallAtOnce) {
    // [5.2-rc1] pidfd_create() -> anon_inode_getfd(): visible at once.
    FdInstall(*current->files, s_.pidfd, file.value());
  } else {
    s_.pidfile = file.value();  // [5.2]: installed after the last failure
  }
  if (profile_.has_clone6 && args_.is_clone6) {
    args_.pidfd = s_.pidfd;  // the RFC: returned through clone6_args
    return SysOk();
  }
  // The legacy entries report the number through parent_tidptr.
  return k_.PutUser(current, args_.parent_tidptr, 4,
                    static_cast<uint32_t>(s_.pidfd), "*parent_tidptr (pidfd)");
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
    if (s_.pid->numbers.back().nr == 1) {
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
}

Errno CopyProcessRun::Fail(Label label, Errno error) {
  Unwind(label);
  return error;
}

void CopyProcessRun::Unwind(Label from) {
  Task* p = s_.p;
  Task* current = s_.current;
  const uint64_t f = s_.flags;
  for (int i = static_cast<int>(from); i <= static_cast<int>(Label::kForkOut);
       ++i) {
    const Label label = static_cast<Label>(i);
    if (k_.tracing()) {
      k_.Emit(Event::Kind::kUnwind, current,
              absl::StrFormat("%s %s", kCopyProcess, kLabelNames[i]), "");
    }
    switch (label) {
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
    }
  }
}

SysResult<Task*> CopyProcessRun::Run() {
  FORKSIM_TRY(Ladder());
  Task* current = s_.current;
  const uint64_t f = s_.flags;

  // S1: forks in progress must see group signals sent meanwhile.
  if (!(f & kCloneThread)) ++current->signal->multiprocess;
  // S2: signal_pending(current): the fork restarts after the signal.
  {
    SysStatus s = m_.faults.Check("kernel/fork.c:copy_process() signal_pending",
                                  Errno::kERESTARTNOINTR);
    if (s.ok() && (!current->pending.empty() ||
                   !current->signal->shared_pending.empty())) {
      s = Errno::kERESTARTNOINTR;
    }
    Step("S2 signal_pending", kCopyProcess, s);
    if (!s.ok()) return Fail(Label::kForkOut, s.error());
  }
  if (SysStatus s = DupTaskStruct(); !s.ok()) {
    return Fail(Label::kForkOut, s.error());
  }
  Task* p = s_.p;
  // S4.
  p->set_child_tid = (f & kCloneChildSettid) ? args_.child_tidptr : 0;
  p->clear_child_tid = (f & kCloneChildCleartid) ? args_.child_tidptr : 0;
  if (SysStatus s = CheckNproc(); !s.ok()) return Fail(Label::kFree, s.error());
  current->flags &= ~kPfNprocExceeded;  // S7
  if (SysStatus s = CopyCreds(m_, p, f); !s.ok()) {
    Step("S8", "kernel/cred.c:copy_creds()", s);
    return Fail(Label::kFree, s.error());
  }
  if (k_.tracing()) {
    // Both task->cred and task->real_cred take a reference.
    Step("S8", "kernel/cred.c:copy_creds()", SysOk(),
         p->cred == current->cred
             ? absl::StrFormat("shared cred#%d (refcount %d -> %d)",
                               p->cred->serial, p->cred->refcount - 2,
                               p->cred->refcount)
             : absl::StrFormat("copied into a new cred#%d", p->cred->serial));
  }
  // S9: threads-max.
  if (SysStatus s = Traced("S9 threads-max", kCopyProcess,
                           m_.nr_threads >= m_.sysctls.max_threads
                               ? SysStatus(Errno::kEAGAIN)
                               : SysOk());
      !s.ok()) {
    return Fail(Label::kCleanupCount, s.error());
  }
  // S10: bookkeeping of the new task.
  p->flags &= ~(kPfSuperpriv | kPfWqWorker | kPfIdle);
  p->flags |= kPfForknoexec;
  p->children.clear();
  p->threads.clear();
  p->vfork_pending = false;
  p->io_context = nullptr;
  p->pending.clear();

  // S11-S15: steps without state in the model, still failure points.
  if (SysStatus s = Point("S11", "mm/mempolicy.c:mpol_dup()", Errno::kENOMEM);
      !s.ok()) {
    return Fail(Label::kCleanupThreadgroupLock, s.error());
  }
  // sched_fork() refuses a SCHED_DEADLINE parent without reset-on-fork.
  if (SysStatus s =
          Point("S12", "kernel/sched/core.c:sched_fork()", Errno::kEAGAIN);
      !s.ok()) {
    return Fail(Label::kCleanupPolicy, s.error());
  }
  if (SysStatus s = Point("S13", "kernel/events/core.c:perf_event_init_task()",
                          Errno::kENOMEM);
      !s.ok()) {
    return Fail(Label::kCleanupPolicy, s.error());
  }
  if (SysStatus s =
          Point("S14", "kernel/auditsc.c:audit_alloc()", Errno::kENOMEM);
      !s.ok()) {
    return Fail(Label::kCleanupPerf, s.error());
  }
  if (SysStatus s = Point("S15", "security/security.c:security_task_alloc()",
                          Errno::kENOMEM);
      !s.ok()) {
    return Fail(Label::kCleanupAudit, s.error());
  }

  // S16-S24: share or copy, each failing to the label that undoes the
  // steps before it.
  struct CopyStep {
    std::string_view name;
    std::string_view where;
    SysStatus (*run)(Machine&, Task*, Task*, uint64_t);
    Label on_failure;
    // What the step shares or copies, for the explanation.
    std::string (*describe)(const CopyProcessRun&, const Task*, const Task*);
  };
  static constexpr CopyStep kCopySteps[] = {
      {"S16", "ipc/sem.c:copy_semundo()", CopySemundo, Label::kCleanupSecurity,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("sem_undo", c->sysvsem, p->sysvsem);
       }},
      {"S17", "kernel/fork.c:copy_files()", CopyFiles, Label::kCleanupSemundo,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("files", c->files, p->files);
       }},
      {"S18", "kernel/fork.c:copy_fs()", CopyFs, Label::kCleanupFiles,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("fs", c->fs, p->fs);
       }},
      {"S19", "kernel/fork.c:copy_sighand()", CopySighand, Label::kCleanupFs,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("sighand", c->sighand, p->sighand);
       }},
      {"S20", "kernel/fork.c:copy_signal()", CopySignal, Label::kCleanupSighand,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         // A thread's reference is taken when it is linked (S40).
         return c->signal == p->signal
                    ? absl::StrFormat("shared signal#%d (taken at S40)",
                                      p->signal->serial)
                    : r.ShareOrCopy("signal", c->signal, p->signal);
       }},
      {"S21", "kernel/fork.c:copy_mm()", CopyMm, Label::kCleanupSignal,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("mm", c->mm, p->mm);
       }},
      {"S22", "kernel/nsproxy.c:copy_namespaces()",
       [](Machine& m, Task* c, Task* p, uint64_t f) {
         return CopyNamespaces(m, c, p, f);
       },
       Label::kCleanupMm,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("nsproxy", c->nsproxy, p->nsproxy);
       }},
      {"S23", "kernel/fork.c:copy_io()", CopyIo, Label::kCleanupNamespaces,
       [](const CopyProcessRun& r, const Task* c, const Task* p) {
         return r.ShareOrCopy("io_context", c->io_context, p->io_context);
       }},
  };
  for (const CopyStep& step : kCopySteps) {
    const SysStatus s = step.run(m_, current, p, f);
    Step(step.name, step.where, s,
         s.ok() && k_.tracing() ? step.describe(*this, current, p) : "");
    if (!s.ok()) return Fail(step.on_failure, s.error());
  }
  if (SysStatus s = Traced("S24", "arch/x86/kernel/process.c:copy_thread_tls()",
                           CopyThreadTls(k_, current, p, f, args_.stack,
                                         args_.stack_size, args_.tls));
      !s.ok()) {
    return Fail(Label::kCleanupIo, s.error());
  }

  // S26: the pid comes from the child's nsproxy: with CLONE_NEWPID it is
  // pid 1 of the new namespace.
  SysResult<Pid*> pid = AllocPid(m_, p->nsproxy->pid_for_children);
  std::string numbers;
  if (pid.ok() && k_.tracing()) {
    for (const Upid& upid : pid.value()->numbers) {
      absl::StrAppendFormat(&numbers, "%s%d", numbers.empty() ? "" : "/",
                            upid.nr);
    }
    numbers = "pid " + numbers + " (one number per namespace level)";
  }
  Step("S26", "kernel/pid.c:alloc_pid()",
       pid.ok() ? SysOk() : SysStatus(pid.error()), numbers);
  if (!pid.ok()) return Fail(Label::kCleanupThread, pid.error());
  s_.pid = pid.value();

  if (f & kClonePidfd) {
    if (SysStatus s = CreatePidfd(); !s.ok()) {
      // A failure before the number was taken goes to bad_fork_free_pid;
      // the put_user() fault to bad_fork_put_pidfd.
      return Fail(s_.pidfd < 0 ? Label::kFreePid : Label::kPutPidfd, s.error());
    }
  }

  // S28: sigaltstack reset for CLONE_VM without CLONE_VFORK (no state).
  // S29: ids and the exit signal; legacy clone's CSIGNAL is not validated.
  p->pid = Tid(s_.pid->numbers[0].nr);
  if (f & kCloneThread) {
    p->exit_signal = -1;
    p->group_leader = current->group_leader;
    p->tgid = current->tgid;
  } else {
    p->exit_signal = (f & kCloneParent) ? current->group_leader->exit_signal
                                        : static_cast<int>(f & kCsignal);
    p->group_leader = p;
    p->tgid = Tgid(p->pid.value);
  }
  // S31-S32: cgroup_can_fork() (the pids controller says EAGAIN).
  if (SysStatus s = Point("S32", "kernel/cgroup/cgroup.c:cgroup_can_fork()",
                          Errno::kEAGAIN);
      !s.ok()) {
    return Fail(Label::kCgroupThreadgroupChangeEnd, s.error());
  }
  // S37: the namespace's init died meanwhile.
  if (SysStatus s =
          Traced("S37 PIDNS_ADDING", kCopyProcess,
                 (s_.pid->numbers.back().ns->pid_allocated & kPidnsAdding) == 0
                     ? SysStatus(Errno::kENOMEM)
                     : SysOk());
      !s.ok()) {
    return Fail(Label::kCancelCgroup, s.error());
  }
  // S38: fatal_signal_pending(current).
  {
    SysStatus s = m_.faults.Check(
        "kernel/fork.c:copy_process() fatal_signal_pending", Errno::kEINTR);
    for (int sig : current->pending) {
      if (sig == kSigkill) s = Errno::kEINTR;
    }
    Step("S38 fatal_signal_pending", kCopyProcess, s);
    if (!s.ok()) return Fail(Label::kCancelCgroup, s.error());
  }
  // S39 [5.2]: past the last failure point, the pidfd becomes visible.
  if (s_.pidfile != nullptr) {
    FdInstall(*current->files, s_.pidfd, s_.pidfile);
    Step("S39 fd_install", kCopyProcess, SysOk());
  }
  Link();
  // S41.
  ++m_.total_forks;
  if (!(f & kCloneThread)) --current->signal->multiprocess;
  if (k_.tracing()) {
    Step("S40-S41 link", kCopyProcess, SysOk(),
         absl::StrFormat("task %d linked: child of %d%s; nr_threads %d, "
                         "total_forks %d",
                         p->pid.value, p->real_parent->pid.value,
                         IsThreadGroupLeader(*p)
                             ? ""
                             : absl::StrFormat(", thread of %d",
                                               p->group_leader->pid.value),
                         m_.nr_threads, m_.total_forks));
  }
  return p;
}

// --- copy_thread_tls ---

// LDT_empty() / LDT_zero() (arch/x86/include/asm/desc.h:338-359 [5.2]).
struct UserDesc {
  uint32_t entry_number, base_addr, limit;
  uint32_t seg_32bit, contents, read_exec_only, limit_in_pages, seg_not_present,
      useable;
};

bool LdtEmpty(const UserDesc& d) {
  return d.base_addr == 0 && d.limit == 0 && d.contents == 0 &&
         d.read_exec_only == 1 && d.seg_32bit == 0 && d.limit_in_pages == 0 &&
         d.seg_not_present == 1 && d.useable == 0;
}

bool LdtZero(const UserDesc& d) {
  return d.base_addr == 0 && d.limit == 0 && d.contents == 0 &&
         d.read_exec_only == 0 && d.seg_32bit == 0 && d.limit_in_pages == 0 &&
         d.seg_not_present == 0 && d.useable == 0;
}

// arch/x86/kernel/tls.c:tls_desc_okay() [5.2].
bool TlsDescOkay(const UserDesc& d) {
  if (LdtEmpty(d) || LdtZero(d)) return true;
  if (d.seg_32bit == 0) return false;        // 16-bit segments need espfix
  if (d.contents > 1) return false;          // data segments only
  if (d.seg_not_present != 0) return false;  // no non-present DPL 3 segments
  return true;
}

// arch/x86/include/asm/desc.h:fill_ldt() [5.2]: the 8-byte GDT descriptor.
uint64_t FillLdt(const UserDesc& d) {
  const uint64_t type = ((d.read_exec_only ^ 1) << 1) | (d.contents << 2) | 1;
  uint64_t desc = d.limit & 0xffff;
  desc |= uint64_t{d.base_addr & 0xffff} << 16;
  desc |= uint64_t{(d.base_addr >> 16) & 0xff} << 32;
  desc |= type << 40;
  desc |= uint64_t{1} << 44;                           // s
  desc |= uint64_t{3} << 45;                           // dpl
  desc |= uint64_t{d.seg_not_present ^ 1} << 47;       // p
  desc |= uint64_t{(d.limit >> 16) & 0xf} << 48;       // limit1
  desc |= uint64_t{d.useable & 1} << 52;               // avl
  desc |= uint64_t{d.seg_32bit & 1} << 54;             // d (l stays 0)
  desc |= uint64_t{d.limit_in_pages & 1} << 55;        // g
  desc |= uint64_t{(d.base_addr >> 24) & 0xff} << 56;  // base2
  return desc;
}

// arch/x86/kernel/tls.c:do_set_thread_area(p, -1, u_info, can_allocate = 0)
// [5.2]: the struct is read from the caller's memory.
SysStatus DoSetThreadArea(Kernel& k, Task* current, Task* p, uint64_t u_info) {
  const StructLayout& layout = LayoutFor(StructId::kUserDesc, current->abi);
  std::vector<uint8_t> bytes(layout.size);
  if (k.CopyFromUser(current, bytes, u_info, "struct user_desc") != 0) {
    return Errno::kEFAULT;
  }
  const StructValue v = DecodeStruct(layout, bytes);
  UserDesc d;
  d.entry_number = static_cast<uint32_t>(*v.Get("entry_number"));
  d.base_addr = static_cast<uint32_t>(*v.Get("base_addr"));
  d.limit = static_cast<uint32_t>(*v.Get("limit"));
  d.seg_32bit = static_cast<uint32_t>(*v.Get("seg_32bit"));
  d.contents = static_cast<uint32_t>(*v.Get("contents"));
  d.read_exec_only = static_cast<uint32_t>(*v.Get("read_exec_only"));
  d.limit_in_pages = static_cast<uint32_t>(*v.Get("limit_in_pages"));
  d.seg_not_present = static_cast<uint32_t>(*v.Get("seg_not_present"));
  d.useable = static_cast<uint32_t>(*v.Get("useable"));
  if (!TlsDescOkay(d)) return Errno::kEINVAL;
  // idx = entry_number; -1 would ask for a free slot, but clone passes
  // can_allocate = 0, so -1 fails the range check like any other.
  const int64_t idx = static_cast<int32_t>(d.entry_number);
  const AbiInfo& info = AbiInfoFor(current->abi);
  if (idx < info.gdt_tls_min || idx > info.gdt_tls_max) return Errno::kEINVAL;
  p->tls.gdt[idx - info.gdt_tls_min] =
      (LdtEmpty(d) || LdtZero(d)) ? 0 : FillLdt(d);
  if (info.kernel_long_bits == 64) {
    // For a task other than current, a selector already pointing at the
    // slot gets its base now (tls.c:179-185).
    const uint16_t selector = static_cast<uint16_t>((idx << 3) | 3);
    if (p->tls.fsindex == selector) p->tls.fsbase = d.base_addr;
    if (p->tls.gsindex == selector) p->tls.gsbase = d.base_addr;
  }
  return SysOk();
}

}  // namespace

// copy_thread_tls() [5.2]: arch/x86/kernel/process_64.c:384-457 and
// process_32.c:121-187 (kernel-facts.md §4).
SysStatus CopyThreadTls(Kernel& k, Task* current, Task* p, uint64_t flags,
                        uint64_t sp, uint64_t arg, uint64_t tls) {
  const bool x86_64_kernel = AbiInfoFor(current->abi).kernel_long_bits == 64;
  if (x86_64_kernel) {
    // The live selectors are recorded; a nonzero selector means the base
    // comes from the descriptor, so the saved base is zeroed.
    p->tls.gsbase = p->tls.gsindex != 0 ? 0 : current->tls.gsbase;
    p->tls.fsbase = p->tls.fsindex != 0 ? 0 : current->tls.fsbase;
  }
  if (p->flags & kPfKthread) {
    // A kernel thread: the function and its argument in callee-saved
    // registers of the fork frame.
    p->regs = RegisterFile(p->abi);
    p->regs.Set(Reg::kBx, sp);
    p->regs.Set(x86_64_kernel ? Reg::kR12 : Reg::kDi, arg);
    return SysOk();
  }
  // The child's registers are the parent's, but fork returns 0 in it and it
  // runs on the new stack if one was given.
  p->regs = current->regs;
  p->regs.Set(Reg::kAx, 0);
  if (sp != 0) p->regs.Set(Reg::kSp, sp);
  if (!(flags & kCloneSettls)) return SysOk();
  if (AbiInfoFor(current->abi).tls_kind == TlsKind::kUserDesc) {
    // in_ia32_syscall() on x86-64, always on i386.
    return DoSetThreadArea(k, current, p, tls);
  }
  // do_arch_prctl_64(p, ARCH_SET_FS, tls) (process_64.c:746-774).
  if (tls >= AbiInfoFor(current->abi).user_addr_limit) return Errno::kEPERM;
  p->tls.fsindex = 0;
  p->tls.fsbase = tls;
  return SysOk();
}

SysResult<Task*> CopyProcess(Kernel& k, Task* current, CloneArgs& args,
                             int trace) {
  return CopyProcessRun(k, current, args, trace).Run();
}

namespace {

// ptrace_event_enabled() (include/linux/ptrace.h:140-143 [5.2]).
bool PtraceEventEnabled(const Task* task, int event) {
  return (task->ptrace & (1u << (kPtOptFlagShift + event))) != 0;
}

// The result of _do_fork() once it is final, with what the entry does after
// it (clone6 writes the pidfd back).
using Finish = std::function<int64_t(int64_t)>;

int64_t DoForkThen(Kernel& k, Task* current, CloneArgs& args, Finish finish) {
  const uint64_t flags = args.flags;
  // _do_fork() step 1 (kernel/fork.c:2340-2350 [5.2]).
  int trace = 0;
  if (!(flags & kCloneUntraced)) {
    if (flags & kCloneVfork) {
      trace = kPtraceEventVfork;
    } else if ((flags & kCsignal) != kSigchld) {
      trace = kPtraceEventClone;
    } else {
      trace = kPtraceEventFork;
    }
    if (!PtraceEventEnabled(current, trace)) trace = 0;
  }
  SysResult<Task*> p = CopyProcess(k, current, args, trace);
  if (!p.ok()) return finish(SyscallError(p.error()));
  Task* child = p.value();
  // The child's number as the caller's pid namespace sees it.
  const int32_t nr = PidVnr(child->thread_pid, current).value;
  if (flags & kCloneParentSettid) {
    // Into the parent's memory; a fault here is ignored.
    (void)k.PutUser(current, args.parent_tidptr, 4, static_cast<uint32_t>(nr),
                    "*parent_tidptr");
  }
  if (flags & kCloneVfork) child->vfork_pending = true;
  if (k.tracing()) {
    k.Emit(Event::Kind::kStep, current,
           "kernel/sched/core.c:wake_up_new_task()",
           absl::StrFormat("task %d runnable", child->pid.value));
  }
  if (trace != 0 && k.tracing()) {
    k.Emit(Event::Kind::kNote, current, "kernel/ptrace.c:ptrace_event_pid()",
           absl::StrFormat("PTRACE_EVENT %d for %d", trace, nr));
  }
  if (!(flags & kCloneVfork)) return finish(nr);
  // wait_for_vfork_done(): until the child's mm_release() (exec or exit).
  const Tid child_tid = child->pid;
  k.Block(current, k.current_sysno(),
          [&k, child_tid, nr, finish]() -> std::optional<int64_t> {
            const Task* c = k.machine().FindTaskByTid(child_tid);
            if (c != nullptr && c->vfork_pending) return std::nullopt;
            return finish(nr);
          });
  return 0;
}

}  // namespace

int64_t DoFork(Kernel& k, Task* current, CloneArgs& args) {
  return DoForkThen(k, current, args, [](int64_t result) { return result; });
}

int64_t KernelThread(Kernel& k, Task* current, uint64_t fn, uint64_t arg,
                     uint64_t flags) {
  // kernel/fork.c:kernel_thread() [5.2].
  CloneArgs args;
  args.flags = flags | kCloneVm | kCloneUntraced;
  args.stack = fn;
  args.stack_size = arg;
  return DoFork(k, current, args);
}

// --- the syscall entries ---

int64_t SysFork(Kernel& k, Task* current, const DecodedSyscall&) {
  // kernel/fork.c:2416-2424 [5.2].
  CloneArgs args;
  args.flags = kSigchld;
  return DoFork(k, current, args);
}

int64_t SysVfork(Kernel& k, Task* current, const DecodedSyscall&) {
  // kernel/fork.c:2428-2432 [5.2].
  CloneArgs args;
  args.flags = kCloneVfork | kCloneVm | kSigchld;
  return DoFork(k, current, args);
}

namespace {

// The decoded argument named `name` (the ABI's order is in the signature).
uint64_t Arg(const DecodedSyscall& d, std::string_view name) {
  for (size_t i = 0; i < d.signature->params.size(); ++i) {
    if (d.signature->params[i].name == name) return d.arg(static_cast<int>(i));
  }
  return 0;
}

}  // namespace

int64_t SysClone(Kernel& k, Task* current, const DecodedSyscall& d) {
  // kernel/fork.c:2452-2461 and arch/x86/ia32/sys_ia32.c:233-242 [5.2]. The
  // flags are the whole unsigned long: on x86-64 bits 32-63 reach
  // copy_process() and are never tested (kernel-facts.md §0.3).
  CloneArgs args;
  args.flags = Arg(d, "clone_flags");
  args.stack = Arg(d, "newsp");
  args.parent_tidptr = Arg(d, "parent_tidptr");
  args.child_tidptr = Arg(d, "child_tidptr");
  args.tls = Arg(d, "tls");
  return DoFork(k, current, args);
}

int64_t Clone6ReadArgs(Kernel& k, Task* current, const DecodedSyscall& d,
                       CloneArgs* args, bool backwards3) {
  // SYSCALL_DEFINE6(clone6, ...) from the RFC (kernel-facts.md §10 steps
  // 1-9).
  const uint64_t uargs = d.arg(0);
  const uint64_t flags = d.arg(1);  // unsigned int, widened to u64
  if (d.arg(2) || d.arg(3) || d.arg(4) || d.arg(5)) {
    return SyscallError(Errno::kEINVAL);
  }
  // "flags1 is full so we only need to verify that CLONE_DETACHED is not
  // passed": rejected even without CLONE_PIDFD.
  if (flags & kCloneDetached) return SyscallError(Errno::kEINVAL);
  const StructLayout& layout = LayoutFor(StructId::kClone6Args, current->abi);
  auto field = [&](std::string_view name) {
    return uargs + FindField(layout, name)->offset;
  };
  args->flags = flags;
  args->is_clone6 = true;
  // The stack is always read, so a NULL uargs faults; the other fields only
  // when a flag asks for them; the first fault stops the reads. stack_size
  // is read only under CONFIG_CLONE_BACKWARDS3, never on x86.
  SysStatus result =
      k.GetUser(current, field("stack"), 8, &args->stack, "clone6_args.stack");
  if (result.ok() && backwards3) {
    result = k.GetUser(current, field("stack_size"), 8, &args->stack_size,
                       "clone6_args.stack_size");
  }
  if (result.ok() && (flags & (kCloneChildCleartid | kCloneChildSettid))) {
    result = k.GetUser(current, field("child_tidptr"), 8, &args->child_tidptr,
                       "clone6_args.child_tidptr");
  }
  if (result.ok() && (flags & kCloneParentSettid)) {
    result = k.GetUser(current, field("parent_tidptr"), 8, &args->parent_tidptr,
                       "clone6_args.parent_tidptr");
  }
  if (result.ok() && (flags & kCloneSettls)) {
    result = k.GetUser(current, field("tls"), 8, &args->tls, "clone6_args.tls");
  }
  return result.ok() ? 0 : SyscallError(Errno::kEFAULT);
}

int64_t SysClone6(Kernel& k, Task* current, const DecodedSyscall& d) {
  // Shared with the finishing step, which may run after a vfork wait.
  auto args = std::make_shared<CloneArgs>();
  if (const int64_t error = Clone6ReadArgs(k, current, d, args.get(),
                                           /*backwards3=*/false);
      error != 0) {
    return error;
  }
  // After the common path, with CLONE_PIDFD, the pidfd field is written back
  // whatever the result: 0 if the failure came before the pidfd existed, a
  // stale closed number if after; and a fault there turns even a success
  // into EFAULT (the child exists, its pid is lost to the caller).
  const uint64_t flags = args->flags;
  const uint64_t pidfd_addr =
      d.arg(0) +
      FindField(LayoutFor(StructId::kClone6Args, current->abi), "pidfd")
          ->offset;
  return DoForkThen(
      k, current, *args,
      [&k, current, flags, pidfd_addr, args](int64_t nr) -> int64_t {
        if ((flags & kClonePidfd) &&
            !k.PutUser(current, pidfd_addr, 4,
                       static_cast<uint32_t>(args->pidfd), "clone6_args.pidfd")
                 .ok()) {
          return SyscallError(Errno::kEFAULT);
        }
        return nr;
      });
}

}  // namespace forksim

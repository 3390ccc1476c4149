// kernel/fork.c:copy_process(): the steps both eras share, and the unwind.
// The sequences that call them are copy_process_5_2.cc and
// copy_process_6_12.cc; docs/copy-process.md numbers every step.

#include "sim/kernel/copy_process.h"

#include <cassert>
#include <utility>

#include "model/abi/abi.h"
#include "model/kernel/cgroup.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/pid.h"
#include "sim/kernel/open.h"
#include "sim/kernel/x86_process.h"

namespace forksim {
namespace {

// RLIMIT_NPROC does not bind INIT_USER, nor a caller with CAP_SYS_RESOURCE
// or CAP_SYS_ADMIN (capable(): over the initial user namespace).
bool NprocExempt(Machine& m, const Task* current, const UserStruct* user) {
  return user->uid == 0 || Capable(m, current->cred, kCapSysResource) ||
         Capable(m, current->cred, kCapSysAdmin);
}

size_t IndexOf(std::span<const LabelInfo> labels, Label label) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].label == label) return i;
  }
  assert(false && "a label of another era");
  return labels.size();
}

}  // namespace

CopyProcessRun::CopyProcessRun(KernelCore& k, Task* current,
                               KernelCloneArgs& args, int trace)
    : k_(k),
      m_(k.machine()),
      profile_(k.profile()),
      args_(args),
      trace_(trace),
      labels_(profile_.sequence == CopyProcessSequence::k6_12 ? kLabels6_12
                                                              : kLabels5_2) {
  s_.current = current;
  s_.flags = args.flags;
  // Bits above 31 reach copy_process() on x86-64 whatever the kernel; the
  // structures' code tests only those its kernel defines.
  known_flags_ = 0xffffffffull |
                 (profile_.clear_sighand ? kCloneClearSighand : 0) |
                 (profile_.clone3_into_cgroup ? kCloneIntoCgroup : 0);
}

SysStatus CopyProcessRun::ShareOrCopy(const CopyStep& step) {
  Task* current = s_.current;
  const KObject* before = step.object(current);
  const int64_t refs_before = before != nullptr ? before->refcount : 0;
  const SysStatus status = step.run(m_, current, s_.p, s_.flags & known_flags_);
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
  // C7. Where the pidfd goes where parent_tidptr points (legacy clone of
  // [5.2]), CLONE_PARENT_SETTID would overwrite it; the RFC's clone6 has
  // its own pidfd field, so its is_clone6 path allows it. [5.3] checks that
  // in the legacy entries instead, and [6.9] allows a thread's pidfd.
  const bool parent_settid_here =
      profile_.pidfd_parent_tid_check == PidfdParentTidCheck::kCopyProcess &&
      args_.pidfd_at_parent_tid;
  if (profile_.pidfd_thread) {
    FORKSIM_TRY(Check(kC7DetachedOnly, (f & kCloneDetached) != 0));
  } else if (parent_settid_here) {
    FORKSIM_TRY(Check(
        kC7, (f & (kCloneDetached | kCloneThread | kCloneParentSettid)) != 0));
  } else {
    FORKSIM_TRY(Check(kC7Without, (f & (kCloneDetached | kCloneThread)) != 0));
  }
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

SysStatus CopyProcessRun::SignalPending(const Step& step) {
  // S2 (kernel/fork.c:1831-1833 [5.2], :2199-2201 [6.12]): the fork
  // restarts after the signal.
  SysStatus s = m_.faults.Check(step.function, step.label, step.error);
  Task* current = s_.current;
  if (s.ok() &&
      (!current->pending.empty() || !current->signal->shared_pending.empty())) {
    s = Errno::kERESTARTNOINTR;
  }
  return Record(step, s);
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

void CopyProcessRun::SetChildTid() {
  // S4 (kernel/fork.c:1846, 1850 [5.2]).
  const uint64_t f = s_.flags;
  s_.p->set_child_tid = (f & kCloneChildSettid) ? args_.child_tid : 0;
  s_.p->clear_child_tid = (f & kCloneChildCleartid) ? args_.child_tid : 0;
}

SysStatus CopyProcessRun::CheckNproc() {
  // S6 (kernel/fork.c:1860-1866 [5.2]): before copy_creds(), the parent's
  // real uid's process count against the soft RLIMIT_NPROC.
  const UserStruct* user = s_.p->real_cred->user;
  const bool over = static_cast<uint64_t>(user->processes) >=
                        s_.current->signal->rlim[kRlimitNproc].cur &&
                    !NprocExempt(m_, s_.current, user);
  return Record(kS6, over ? SysStatus(kS6.error) : SysOk());
}

SysStatus CopyProcessRun::CheckNprocUcounts() {
  // S6 (kernel/fork.c:2242-2247 [6.12]): after copy_creds(), which counted
  // the child in (inc_rlimit_ucounts()), so the count may equal the limit
  // but not pass it: the same bound as [5.2]'s, one step later.
  const UserStruct* user = s_.p->real_cred->user;
  const bool over = static_cast<uint64_t>(user->processes) >
                        s_.current->signal->rlim[kRlimitNproc].cur &&
                    !NprocExempt(m_, s_.current, user);
  return Record(kS6Ucounts, over ? SysStatus(kS6Ucounts.error) : SysOk());
}

SysStatus CopyProcessRun::ThreadsMax() {
  // S9 (kernel/fork.c:1878-1880 [5.2], :2254-2256 [6.12]).
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

SysStatus CopyProcessRun::CopyThread(const Step& step) {
  // S24: the child's registers and TLS (sim/kernel/x86_process.h).
  return Record(step, CopyThreadTls(k_, s_.current, s_.p, s_.flags, args_.stack,
                                    args_.stack_size, args_.tls));
}

SysStatus CopyProcessRun::AllocChildPid() {
  // S26 (kernel/fork.c:2015-2021 [5.2], :2389-2396 [6.12]): the pid comes
  // from the child's nsproxy: with CLONE_NEWPID it is pid 1 of the new
  // namespace. [6.12] passes clone3's set_tid, checked against the caller's
  // creds, and mounts no proc here.
  const AllocPidRequest request = {
      .set_tid =
          std::span<const int32_t>(args_.set_tid.data(), args_.set_tid_size),
      .cred = s_.current->cred,
      .prepare_proc = profile_.sequence == CopyProcessSequence::k5_2,
  };
  SysResult<Pid*> pid = AllocPid(m_, s_.p->nsproxy->pid_for_children, request);
  if (!pid.ok()) return Record(kS26, pid.error());
  s_.pid = pid.value();
  return Record(kS26, SysOk(), [this](Event& event) {
    for (const Upid& upid : s_.pid->numbers) {
      event.pid_numbers.push_back(upid.nr.value);
    }
  });
}

SysStatus CopyProcessRun::CreatePidfd() {
  // S27 (kernel/fork.c:2028-2044 [5.2]): a number, then the file; the
  // pidfd lives in the caller's table.
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
  return SysOk();
}

SysStatus CopyProcessRun::PreparePidfd() {
  // S27 (kernel/fork.c:__pidfd_prepare() [6.12], lines 2004-2025, called at
  // :2408): a number reserved with O_CLOEXEC, then a pidfs file; a thread's
  // pidfd carries PIDFD_THREAD in f_flags.
  Task* current = s_.current;
  SysResult<int> fd =
      GetUnusedFdFlags(m_.fd_env(), *current->files,
                       current->signal->rlim[kRlimitNofile].cur, kOCloexec);
  FORKSIM_TRY(Record(kS27FdPrepare, fd.ok() ? SysOk() : SysStatus(fd.error())));
  SysResult<File*> file = AnonInodeGetfile(m_, current, "[pidfd]", s_.pid);
  if (!file.ok()) {
    (void)Record(kS27PidfsFile, file.error());
    PutUnusedFd(*current->files, fd.value());
    return file.error();
  }
  if (s_.flags & kCloneThread) file.value()->f_flags |= kPidfdThread;
  Done(kS27PidfsFile);
  s_.pidfd = fd.value();
  s_.pidfile = file.value();
  return SysOk();
}

SysStatus CopyProcessRun::ReportPidfd() {
  // S27, the report (kernel/fork.c:2045-2047 [5.2], :2413-2415 [6.12]):
  // put_user() of the number into the caller's memory, before anything
  // later can fail; the RFC's clone6 keeps it for its entry instead.
  if (args_.pidfd_in_args) {
    args_.pidfd_nr = s_.pidfd;  // the RFC's clone6: args->pidfd = pidfd
    return SysOk();
  }
  return k_.PutUser(
      s_.current, args_.pidfd, 4, static_cast<uint32_t>(s_.pidfd),
      args_.pidfd_at_parent_tid ? "*parent_tidptr (pidfd)" : "*args->pidfd");
}

void CopyProcessRun::SetIds() {
  // S29 (kernel/fork.c:2078-2090 [5.2], :2441-2448 [6.12]).
  Task* current = s_.current;
  Task* p = s_.p;
  p->pid = Tid(s_.pid->numbers[0].nr.value);
  if (s_.flags & kCloneThread) {
    p->group_leader = current->group_leader;
    p->tgid = current->tgid;
  } else {
    p->group_leader = p;
    p->tgid = Tgid(p->pid.value);
  }
}

void CopyProcessRun::SetExitSignal() {
  // [5.2] with the ids (S29, lines 2081-2086); [6.12] under tasklist_lock
  // (S35, lines 2504-2514). Legacy clone's exit signal is not validated.
  Task* p = s_.p;
  if (s_.flags & kCloneThread) {
    p->exit_signal = -1;
  } else if (s_.flags & kCloneParent) {
    p->exit_signal = s_.current->group_leader->exit_signal;
  } else {
    p->exit_signal = args_.exit_signal;
  }
}

SysStatus CopyProcessRun::CgroupCanFork() {
  // S32: kernel/cgroup/cgroup.c:cgroup_can_fork(): the css_set the child
  // will join ([6.12]: CLONE_INTO_CGROUP's target), then the controllers'
  // can_fork() (the pids controller: a failure point).
  if ((s_.flags & known_flags_) & kCloneIntoCgroup) {
    FORKSIM_TRY(CgroupCssSetFork());
  }
  if (SysStatus s = FailurePoint(kS32); !s.ok()) {
    // cgroup_css_set_put_fork(): the target's reference goes.
    if (s_.target_cgroup != nullptr) PutCgroup(m_, s_.target_cgroup);
    s_.target_cgroup = nullptr;
    return s;
  }
  return SysOk();
}

SysStatus CopyProcessRun::CgroupCssSetFork() {
  // kernel/cgroup/cgroup.c:cgroup_css_set_fork() [6.12], lines 6472-6566,
  // in order; a failure leaves nothing to undo.
  Task* current = s_.current;
  auto rung = [&](const LadderRung& r, bool fails) {
    return CheckRung(k_, current, kCssSetFork, r, fails);
  };
  const File* file = FdLookup(*current->files, args_.cgroup);
  FORKSIM_TRY(rung(kG1, file == nullptr));
  FORKSIM_TRY(rung(kG2, file->kind != FileKind::kCgroupDir));
  Cgroup* dst = file->cgroup;
  FORKSIM_TRY(rung(kG3, !dst->online));
  const Cgroup* src = current->cgroup;
  FORKSIM_TRY(rung(kG4, !CgroupMayWrite(m_, dst, current->cred)));
  FORKSIM_TRY(rung(
      kG5, !CgroupMayWrite(m_, CgroupCommonAncestor(src, dst), current->cred)));
  FORKSIM_TRY(rung(kG6, !CgroupIsValidDomain(CgroupDomain(dst))));
  FORKSIM_TRY(rung(kG7, !CgroupCanBeThreadRoot(dst) && !dst->threaded &&
                            !dst->subtree_control.empty()));
  FORKSIM_TRY(rung(kG8, (s_.flags & kCloneThread) &&
                            CgroupDomain(src) != CgroupDomain(dst)));
  FORKSIM_TRY(FailurePoint(kS32FindCssSet));
  GetCgroup(dst);
  s_.target_cgroup = dst;
  return SysOk();
}

SysStatus CopyProcessRun::PidnsAdding(const Step& step) {
  // S37 (kernel/fork.c:2150-2153 [5.2], :2528-2532 [6.12]): the
  // namespace's init died meanwhile.
  const bool dead =
      (s_.pid->numbers.back().ns->pid_allocated & kPidnsAdding) == 0;
  return Record(step, dead ? SysStatus(step.error) : SysOk());
}

SysStatus CopyProcessRun::FatalSignalPending(const Step& step) {
  // S38 (kernel/fork.c:2156-2159 [5.2], :2534-2538 [6.12]).
  SysStatus s = m_.faults.Check(step.function, step.label, step.error);
  for (int sig : s_.current->pending) {
    if (sig == kSigkill) s = step.error;
  }
  return Record(step, s);
}

void CopyProcessRun::InstallPidfd(const Step& step) {
  // S39: past the last failure point, the reserved pidfd becomes visible.
  if (s_.pidfile == nullptr) return;
  FdInstall(*s_.current->files, s_.pidfd, s_.pidfile);
  Done(step);
}

void CopyProcessRun::Link() {
  // S35 and S40 (kernel/fork.c:2129-2206 [5.2], :2504-2590 [6.12]).
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
  if (profile_.sequence == CopyProcessSequence::k6_12) SetExitSignal();
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
  Done(kS40, [this, p](Event& event) {
    event.linked = LinkFacts{p->pid, p->real_parent->pid, p->group_leader->pid,
                             m_.nr_threads, m_.total_forks};
  });
}

void CopyProcessRun::CgroupPostFork() {
  // S42: kernel/cgroup/cgroup.c:cgroup_post_fork(): the child joins its
  // css_set: CLONE_INTO_CGROUP's target (its reference passes to the
  // child), or the caller's cgroup.
  Task* p = s_.p;
  if (s_.target_cgroup != nullptr) {
    p->cgroup = s_.target_cgroup;
    s_.target_cgroup = nullptr;
  } else {
    p->cgroup = s_.current->cgroup;
    GetCgroup(p->cgroup);
  }
  ++p->cgroup->nr_tasks;
  if (s_.flags & kCloneIntoCgroup & known_flags_) {
    Done(kS42, [p](Event& event) { event.text = p->cgroup->path; });
  }
}

Errno CopyProcessRun::Fail(Label label, Errno error) {
  // Only fork_out runs before the task exists (S2, S3).
  assert(s_.p != nullptr || label == Label::kForkOut);
  // The labels below bad_fork_free_pid come before alloc_pid().
  assert(s_.pid != nullptr ||
         IndexOf(labels_, label) > IndexOf(labels_, Label::kFreePid));
  Unwind(label);
  return error;
}

void CopyProcessRun::Unwind(Label from) {
  for (size_t i = IndexOf(labels_, from); i < labels_.size(); ++i) {
    const LabelInfo& info = labels_[i];
    if (k_.tracing()) {
      Event e;
      e.kind = EventKind::kUnwind;
      e.function = kCopyProcess;
      e.step = info.id;
      e.label = info.name;
      k_.Record(s_.current, std::move(e));
    }
    RunLabel(info.label);
  }
}

void CopyProcessRun::RunLabel(Label label) {
  Task* p = s_.p;
  Task* current = s_.current;
  const uint64_t f = s_.flags;
  switch (label) {
    case Label::kCoreFree:  // sched_core_free(), unlock both locks
    case Label::kCgroupThreadgroupChangeEnd:
      break;
    case Label::kCancelCgroup:  // unlock [5.2]; cgroup_cancel_fork()
      if (s_.target_cgroup != nullptr) PutCgroup(m_, s_.target_cgroup);
      s_.target_cgroup = nullptr;
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
    case Label::kCleanupSecurity:   // security_task_free()
    case Label::kCleanupAudit:      // audit_free()
    case Label::kCleanupPerf:       // perf_event_free_task()
    case Label::kSchedCancelFork:   // sched_cancel_fork()
    case Label::kCleanupPolicy:     // lockdep_free_task(), mpol_put()
    case Label::kCleanupDelayacct:  // delayacct_tsk_free()
      break;
    case Label::kCleanupCount:
      // [5.2] processes--, [6.12] dec_rlimit_ucounts(); exit_creds().
      --p->cred->user->processes;
      ExitCreds(m_, p);
      break;
    case Label::kFree:
      // Nothing else of the child holds a reference now.
      Registry<Task>::Release(p);
      m_.tasks.Destroy(p);
      s_.p = nullptr;
      break;
    case Label::kForkOut:
      if (!(f & kCloneThread)) --current->signal->multiprocess;
      break;
  }
}

SysResult<Task*> CopyProcess(KernelCore& k, Task* current,
                             KernelCloneArgs& args, int trace) {
  CopyProcessRun run(k, current, args, trace);
  switch (k.profile().sequence) {
    case CopyProcessSequence::k5_2:
      return run.Run5_2();
    case CopyProcessSequence::k6_12:
      return run.Run6_12();
  }
  return Errno::kEINVAL;
}

}  // namespace forksim

// fs/exec.c [5.2] reduced to what execve() does to the task: no file is
// opened and no binary loaded (the filename, argv and envp are not read),
// and the new mm is empty.

#include <algorithm>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/nsproxy.h"
#include "model/kernel/pid.h"
#include "model/kernel/shared.h"
#include "sim/kernel/core.h"
#include "sim/kernel/exit.h"
#include "sim/kernel/signal.h"
#include "sim/kernel/syscalls.h"
#include "sim/kernel/vfork.h"

namespace forksim {
namespace {

void Replace(std::vector<Task*>& list, Task* from, Task* to) {
  std::replace(list.begin(), list.end(), from, to);
}

// fs/exec.c:de_thread() [5.2] after the other threads have gone: a thread
// that execs takes over the leader's pid, and the old leader is released.
void TakeOverLeader(KernelCore& k, Task* tsk) {
  Machine& m = k.machine();
  Task* leader = tsk->group_leader;
  leader->state = TaskState::kDead;
  Pid* old_pid = tsk->thread_pid;
  Pid* leader_pid = leader->thread_pid;
  k.Note(tsk, "fs/exec.c:de_thread()", "takes over the leader's pid %d",
         leader->pid.value);
  // change_pid(tsk, PIDTYPE_PID, task_pid(leader)).
  tsk->pid = leader->pid;
  DetachPid(m, tsk, old_pid, kPidTypePid);
  tsk->thread_pid = leader_pid;
  AttachPid(tsk, leader_pid, kPidTypePid);
  // transfer_pid() for TGID, PGID and SID.
  Replace(leader_pid->tasks[kPidTypeTgid], leader, tsk);
  Replace(tsk->signal->pgrp->tasks[kPidTypePgid], leader, tsk);
  Replace(tsk->signal->session->tasks[kPidTypeSid], leader, tsk);
  // list_replace_rcu(tasks), list_replace_init(sibling).
  Replace(m.task_list, leader, tsk);
  Replace(leader->real_parent->children, leader, tsk);
  tsk->real_parent = leader->real_parent;
  tsk->parent = leader->parent;
  tsk->group_leader = tsk;
  leader->group_leader = tsk;
  tsk->threads = {leader};
  leader->threads.clear();
  tsk->exit_signal = kSigchld;
  leader->exit_signal = -1;
  ReleaseTask(k, leader);
}

// fs/exec.c:de_thread() [5.2].
SysStatus DeThread(KernelCore& k, Task* tsk) {
  if (!ThreadGroupEmpty(tsk->group_leader)) {
    // Another group action (exit_group, a fatal signal) is in progress.
    if (tsk->signal->group_exit) return Errno::kEAGAIN;
    k.Note(tsk, "fs/exec.c:de_thread()", "kills the other threads");
    ZapOtherThreads(k, tsk, tsk->signal->group_exit_code);
    if (!IsThreadGroupLeader(*tsk)) TakeOverLeader(k, tsk);
  }
  tsk->exit_signal = kSigchld;  // "we have changed execution domain"
  Sighand* old = tsk->sighand;
  if (old->refcount != 1) {
    // Shared with a CLONE_SIGHAND process that is not a thread: a copy.
    FORKSIM_TRY(k.machine().faults.Check(
        "fs/exec.c:de_thread() kmem_cache_alloc", Errno::kENOMEM));
    Sighand* copy = k.machine().sighands.Create();
    copy->action = old->action;
    tsk->sighand = copy;
    CleanupSighand(k.machine(), old);
  }
  return SysOk();
}

// fs/exec.c:do_close_on_exec() [5.2]: each nonzero close_on_exec word is
// cleared, and every fd of it with a file installed is closed.
void DoCloseOnExec(Machine& m, FilesStruct& files) {
  const uint32_t bits = files.close_on_exec.bits_per_word();
  for (size_t i = 0; i < files.close_on_exec.words(); ++i) {
    uint64_t set = files.close_on_exec.word(i);
    if (set == 0) continue;
    files.close_on_exec.set_word(i, 0);
    for (uint32_t fd = static_cast<uint32_t>(i) * bits; set != 0;
         ++fd, set >>= 1) {
      if ((set & 1) == 0 || FdLookup(files, static_cast<int>(fd)) == nullptr) {
        continue;
      }
      (void)CloseFd(m.fd_env(), files, static_cast<int>(fd));
    }
  }
}

}  // namespace

// fs/exec.c:__do_execve_file() [5.2].
SyscallOutcome SysExecve(KernelCore& k, Task* current,
                         const DecodedSyscall& /*d*/) {
  Machine& m = k.machine();
  // The RLIMIT_NPROC recheck moved here from set*uid().
  if ((current->flags & kPfNprocExceeded) &&
      static_cast<uint64_t>(current->cred->user->processes) >
          current->signal->rlim[kRlimitNproc].cur) {
    return Errno::kEAGAIN;
  }
  current->flags &= ~kPfNprocExceeded;
  // unshare_files(): a shared fd table is copied first, and put back if the
  // exec fails before the point of no return (reset_files_struct()).
  FilesStruct* displaced = nullptr;
  if (current->files != nullptr && current->files->refcount > 1) {
    FORKSIM_ASSIGN_OR_RETURN(FilesStruct * copy,
                             DupFd(m.fd_env(), *current->files));
    displaced = current->files;
    current->files = copy;
  }
  absl::Cleanup restore_files = [&] {
    if (displaced == nullptr) return;
    PutFilesStruct(m.fd_env(), current->files);
    current->files = displaced;
  };
  // bprm_mm_init(): the new, empty mm.
  FORKSIM_TRY(
      m.faults.Check("fs/exec.c:bprm_mm_init() mm_alloc", Errno::kENOMEM));
  Mm* new_mm = NewMm(m);
  // flush_old_exec(): the point of no return is after de_thread().
  if (SysStatus s = DeThread(k, current); !s.ok()) {
    MmPut(m, new_mm);
    return s.error();
  }
  std::move(restore_files).Cancel();
  // exec_mmap(): the old mm is released (CLEARTID, the vfork parent).
  Mm* old_mm = current->mm;
  MmRelease(k, current, old_mm);
  current->mm = new_mm;
  if (old_mm != nullptr) MmPut(m, old_mm);
  // [6.12] exec_task_namespaces() (fs/exec.c:1286): into the time namespace
  // for children. Its only failure, the nsproxy allocation, would be past
  // the point of no return, where the kernel kills the task with SIGSEGV;
  // the model leaves the task where it was.
  (void)ExecTaskNamespaces(m, current);
  current->flags &= ~(kPfForknoexec | kPfKthread);
  if (current->files != nullptr) DoCloseOnExec(m, *current->files);
  // setup_new_exec().
  ++current->self_exec_id;
  FlushSignalHandlers(current->sighand);
  if (displaced != nullptr) PutFilesStruct(m.fd_env(), displaced);
  k.Note(current, "fs/exec.c:__do_execve_file()",
         "exec'd: new mm, self_exec_id %d", current->self_exec_id);
  return int64_t{0};
}

}  // namespace forksim

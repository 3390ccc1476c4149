#include "model/kernel/shared.h"

#include "model/kernel/machine.h"

namespace forksim {

SysStatus CopySemundo(Machine& m, Task* current, Task* p, uint64_t flags) {
  // ipc/sem.c:copy_semundo() [5.2].
  if ((flags & kCloneSysvsem) == 0) {
    p->sysvsem = nullptr;
    return SysOk();
  }
  if (current->sysvsem == nullptr) {
    // get_undo_list(): the caller's list is created on first use.
    FORKSIM_TRY(
        m.faults.Check("ipc/sem.c:get_undo_list() kzalloc", Errno::kENOMEM));
    current->sysvsem = m.sem_undo_lists.Create();
  }
  Registry<SemUndoList>::Get(current->sysvsem);
  p->sysvsem = current->sysvsem;
  return SysOk();
}

SysStatus CopyFiles(Machine& m, Task* current, Task* p, uint64_t flags) {
  // kernel/fork.c:copy_files() [5.2].
  FilesStruct* old = current->files;
  if (old == nullptr) return SysOk();
  if (flags & kCloneFiles) {
    Registry<FilesStruct>::Get(old);
    return SysOk();
  }
  SysResult<FilesStruct*> copy = DupFd(m.fd_env(), *old);
  FORKSIM_TRY(copy);
  p->files = copy.value();
  return SysOk();
}

SysStatus CopyFs(Machine& m, Task* current, Task* p, uint64_t flags) {
  // kernel/fork.c:copy_fs() [5.2].
  FsStruct* fs = current->fs;
  if (flags & kCloneFs) {
    // An exec in progress in a task sharing this fs_struct: a new sharer
    // would break its unsafe-exec check.
    if (fs->in_exec) return Errno::kEAGAIN;
    Registry<FsStruct>::Get(fs);
    return SysOk();
  }
  FORKSIM_TRY(m.faults.Check("fs/fs_struct.c:copy_fs_struct() kmem_cache_alloc",
                             Errno::kENOMEM));
  FsStruct* copy = m.fs_structs.Create();
  copy->root = fs->root;
  copy->pwd = fs->pwd;
  copy->umask = fs->umask;
  p->fs = copy;
  return SysOk();
}

SysStatus CopySighand(Machine& m, Task* current, Task* p, uint64_t flags) {
  // kernel/fork.c:copy_sighand() [5.2].
  if (flags & kCloneSighand) {
    Registry<Sighand>::Get(current->sighand);
    return SysOk();
  }
  if (SysStatus s = m.faults.Check(
          "kernel/fork.c:copy_sighand() kmem_cache_alloc", Errno::kENOMEM);
      !s.ok()) {
    p->sighand = nullptr;  // rcu_assign_pointer(tsk->sighand, NULL)
    return s;
  }
  Sighand* sighand = m.sighands.Create();
  sighand->action = current->sighand->action;
  // "Reset all signal handler not set to SIG_IGN to SIG_DFL." [6.12]
  if (flags & kCloneClearSighand) FlushSignalHandlers(sighand);
  p->sighand = sighand;
  return SysOk();
}

void FlushSignalHandlers(Sighand* sighand) {
  for (SigAction& action : sighand->action) {
    if (action.handler != kSigIgn) action.handler = kSigDfl;
    action.flags = 0;
    action.mask = 0;
  }
}

SysStatus CopySignal(Machine& m, Task* current, Task* p, uint64_t flags) {
  // kernel/fork.c:copy_signal() [5.2].
  if (flags & kCloneThread) return SysOk();
  if (SysStatus s = m.faults.Check(
          "kernel/fork.c:copy_signal() kmem_cache_zalloc", Errno::kENOMEM);
      !s.ok()) {
    p->signal = nullptr;
    return s;
  }
  SignalStruct* signal = m.signals.Create();
  signal->nr_threads = 1;
  signal->live = 1;
  signal->rlim =
      current->signal->rlim;  // under task_lock(current->group_leader)
  p->signal = signal;
  return SysOk();
}

Mm* NewMm(Machine& m) {
  Mm* mm = m.mms.Create();
  mm->memory = std::make_unique<UserMemory>(m.abi_info().user_addr_limit,
                                            m.abi_info().kernel_long_bits);
  return mm;
}

SysStatus CopyMm(Machine& m, Task* current, Task* p, uint64_t flags) {
  // kernel/fork.c:copy_mm() [5.2].
  p->mm = nullptr;
  Mm* old = current->mm;
  if (old == nullptr) return SysOk();  // a kernel thread has no mm to copy
  if (flags & kCloneVm) {
    Registry<Mm>::Get(old);  // mmget()
    p->mm = old;
    return SysOk();
  }
  // dup_mm(): allocate_mm, mm_init (pgd), dup_mmap. Whatever fails inside,
  // including an EINTR from dup_mmap, copy_mm reports ENOMEM.
  for (const char* point :
       {"kernel/fork.c:dup_mm() allocate_mm",
        "kernel/fork.c:mm_init() mm_alloc_pgd", "kernel/fork.c:dup_mmap()"}) {
    FORKSIM_TRY(m.faults.Check(point, Errno::kENOMEM));
  }
  Mm* mm = m.mms.Create();
  mm->memory = old->memory->Fork();
  p->mm = mm;
  return SysOk();
}

SysStatus CopyIo(Machine& m, Task* current, Task* p, uint64_t flags) {
  // kernel/fork.c:copy_io() [5.2]. p->io_context was cleared at S10.
  IoContext* ioc = current->io_context;
  if (ioc == nullptr) return SysOk();
  if (flags & kCloneIo) {
    Registry<IoContext>::Get(ioc);  // ioc_task_link()
    p->io_context = ioc;
    return SysOk();
  }
  // ioprio_valid(): a class other than IOPRIO_CLASS_NONE (bits 13-15).
  if ((ioc->ioprio >> 13) == 0) return SysOk();
  FORKSIM_TRY(m.faults.Check("block/blk-ioc.c:create_task_io_context()",
                             Errno::kENOMEM));
  IoContext* copy = m.io_contexts.Create();
  copy->ioprio = ioc->ioprio;
  p->io_context = copy;
  return SysOk();
}

void ExitSem(Machine& m, Task* task) {
  SemUndoList* list = task->sysvsem;
  task->sysvsem = nullptr;
  if (list != nullptr) m.sem_undo_lists.PutAndDestroy(list);
}

void ExitFiles(Machine& m, Task* task) {
  FilesStruct* files = task->files;
  task->files = nullptr;
  if (files != nullptr) PutFilesStruct(m.fd_env(), files);
}

void ExitFs(Machine& m, Task* task) {
  FsStruct* fs = task->fs;
  task->fs = nullptr;
  if (fs != nullptr) m.fs_structs.PutAndDestroy(fs);
}

void CleanupSighand(Machine& m, Sighand* sighand) {
  if (sighand != nullptr) m.sighands.PutAndDestroy(sighand);
}

void PutSignalStruct(Machine& m, SignalStruct* signal) {
  if (signal != nullptr) m.signals.PutAndDestroy(signal);
}

void MmPut(Machine& m, Mm* mm) {
  if (mm != nullptr) m.mms.PutAndDestroy(mm);
}

void ExitIoContext(Machine& m, Task* task) {
  IoContext* ioc = task->io_context;
  task->io_context = nullptr;
  if (ioc != nullptr) m.io_contexts.PutAndDestroy(ioc);
}

}  // namespace forksim

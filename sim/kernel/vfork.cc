#include "sim/kernel/vfork.h"

#include "sim/kernel/core.h"
#include "sim/kernel/fork.h"
#include "sim/kernel/waits.h"

namespace forksim {

void MmRelease(KernelCore& k, Task* task, Mm* mm) {
  if (task->clear_child_tid != 0) {
    // Only when someone else still uses the mm (a thread, a CLONE_VM
    // child, a vfork parent). No core dumps are modelled.
    if (mm != nullptr && mm->refcount > 1) {
      // put_user(0, tsk->clear_child_tid): the error is not checked.
      (void)k.PutUser(task, task->clear_child_tid, 4, 0, "*clear_child_tid");
      k.Note(task, "kernel/fork.c:mm_release()", "futex wake 0x%x",
             task->clear_child_tid);
    }
    task->clear_child_tid = 0;
  }
  if (task->vfork_pending) {
    // kernel/fork.c:complete_vfork_done() [5.2] (lines 1223-1234).
    task->vfork_pending = false;
    k.Note(task, "kernel/fork.c:complete_vfork_done()",
           "the vfork parent may return");
  }
}

std::optional<SyscallOutcome> PollWait(KernelCore& k, Task* task,
                                       const VforkWait& wait) {
  // kernel/fork.c:wait_for_vfork_done() [5.2] (lines 1236-1255): over when
  // the child has released its mm, or is gone.
  const Task* child = k.machine().FindTaskByTid(wait.child);
  if (child != nullptr && child->vfork_pending) return std::nullopt;
  return EntryEpilogue(k, task, wait.args, wait.nr);
}

}  // namespace forksim

// The deterministic scheduler (docs/lifecycle.md): after a fork the parent
// keeps running (sysctl_sched_child_runs_first = 0); new tasks run their
// first slice, kernel/sched/core.c:schedule_tail() [5.2], in creation order
// when the caller blocks, before a task's own first syscall, and when a
// scenario asks for it.

#include "model/kernel/pid.h"
#include "sim/kernel/core.h"

namespace forksim {

void KernelCore::Schedule() {
  // Creation order: the registry iterates by serial. Every task older than
  // the last one seen here has had its first slice (or never will: it was
  // killed first), so only the newer ones are looked at.
  std::vector<Task*> fresh;
  machine_->tasks.ForEachFrom(scheduled_up_to_ + 1, [&](Task* task) {
    if (!task->started && task->state == TaskState::kRunnable) {
      fresh.push_back(task);
    }
  });
  scheduled_up_to_ = machine_->tasks.last_serial();
  for (Task* task : fresh) FirstRun(task);
}

void KernelCore::FirstRun(Task* task) {
  // kernel/sched/core.c:schedule_tail() [5.2] (lines 2768-2769).
  task->started = true;
  if (tracing_) {
    Event e;
    e.kind = EventKind::kStep;
    e.function = "kernel/sched/core.c:schedule_tail()";
    e.outcome = "first run";
    Record(task, std::move(e));
  }
  if (task->set_child_tid != 0) {
    // CLONE_CHILD_SETTID: the child writes its own tid, as its own pid
    // namespace sees it, into its own memory; errors are ignored.
    const VNr tid = TaskPidVnr(task, task);
    (void)PutUser(task, task->set_child_tid, 4,
                  static_cast<uint32_t>(tid.value), "*child_tidptr");
  }
}

}  // namespace forksim

// -----------------------------------------------------------------------------
// File: sim/kernel/pid_namespace.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// The end of a pid namespace, kernel/pid_namespace.c [5.2].

#ifndef FORKSIM_SIM_KERNEL_PID_NAMESPACE_H_
#define FORKSIM_SIM_KERNEL_PID_NAMESPACE_H_

#include "model/kernel/task.h"

namespace forksim {

class KernelCore;

// ZapPidNsProcesses()
//
// kernel/pid_namespace.c:zap_pid_ns_processes() [5.2], run to completion
// when the namespace's init exits: no more pids are allocated in it, every
// other task in it is killed, and the zombies are reaped.
void ZapPidNsProcesses(KernelCore& k, Task* father, PidNamespace* ns);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_PID_NAMESPACE_H_

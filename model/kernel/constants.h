// -----------------------------------------------------------------------------
// File: model/kernel/constants.h
// -----------------------------------------------------------------------------
//
// Kernel constants the model uses, each group with its source.

#ifndef FORKSIM_MODEL_KERNEL_CONSTANTS_H_
#define FORKSIM_MODEL_KERNEL_CONSTANTS_H_

#include <cstdint>

namespace forksim {

// include/uapi/linux/sched.h:8-32 [5.2]; bits 32-33 are clone3-only [6.12].
inline constexpr uint64_t kCsignal = 0x000000ff;
inline constexpr uint64_t kCloneNewtime = 0x00000080;
inline constexpr uint64_t kCloneVm = 0x00000100;
inline constexpr uint64_t kCloneFs = 0x00000200;
inline constexpr uint64_t kCloneFiles = 0x00000400;
inline constexpr uint64_t kCloneSighand = 0x00000800;
inline constexpr uint64_t kClonePidfd = 0x00001000;
inline constexpr uint64_t kClonePtrace = 0x00002000;
inline constexpr uint64_t kCloneVfork = 0x00004000;
inline constexpr uint64_t kCloneParent = 0x00008000;
inline constexpr uint64_t kCloneThread = 0x00010000;
inline constexpr uint64_t kCloneNewns = 0x00020000;
inline constexpr uint64_t kCloneSysvsem = 0x00040000;
inline constexpr uint64_t kCloneSettls = 0x00080000;
inline constexpr uint64_t kCloneParentSettid = 0x00100000;
inline constexpr uint64_t kCloneChildCleartid = 0x00200000;
inline constexpr uint64_t kCloneDetached = 0x00400000;
inline constexpr uint64_t kCloneUntraced = 0x00800000;
inline constexpr uint64_t kCloneChildSettid = 0x01000000;
inline constexpr uint64_t kCloneNewcgroup = 0x02000000;
inline constexpr uint64_t kCloneNewuts = 0x04000000;
inline constexpr uint64_t kCloneNewipc = 0x08000000;
inline constexpr uint64_t kCloneNewuser = 0x10000000;
inline constexpr uint64_t kCloneNewpid = 0x20000000;
inline constexpr uint64_t kCloneNewnet = 0x40000000;
inline constexpr uint64_t kCloneIo = 0x80000000;
inline constexpr uint64_t kCloneClearSighand = 0x100000000;
inline constexpr uint64_t kCloneIntoCgroup = 0x200000000;

// Signals (arch/x86/include/uapi/asm/signal.h [5.2]). Real-time signals run
// from SIGRTMIN (32) to _NSIG (64); valid_signal(s) is s <= 64.
inline constexpr int kSighup = 1;
inline constexpr int kSigint = 2;
inline constexpr int kSigquit = 3;
inline constexpr int kSigill = 4;
inline constexpr int kSigtrap = 5;
inline constexpr int kSigabrt = 6;
inline constexpr int kSigbus = 7;
inline constexpr int kSigfpe = 8;
inline constexpr int kSigkill = 9;
inline constexpr int kSigusr1 = 10;
inline constexpr int kSigsegv = 11;
inline constexpr int kSigusr2 = 12;
inline constexpr int kSigpipe = 13;
inline constexpr int kSigalrm = 14;
inline constexpr int kSigterm = 15;
inline constexpr int kSigstkflt = 16;
inline constexpr int kSigchld = 17;
inline constexpr int kSigcont = 18;
inline constexpr int kSigstop = 19;
inline constexpr int kSigtstp = 20;
inline constexpr int kSigttin = 21;
inline constexpr int kSigttou = 22;
inline constexpr int kSigurg = 23;
inline constexpr int kSigxcpu = 24;
inline constexpr int kSigxfsz = 25;
inline constexpr int kSigvtalrm = 26;
inline constexpr int kSigprof = 27;
inline constexpr int kSigwinch = 28;
inline constexpr int kSigio = 29;
inline constexpr int kSigpwr = 30;
inline constexpr int kSigsys = 31;
inline constexpr int kSigrtmin = 32;
inline constexpr int kNsig = 64;  // _NSIG

// wait4() and waitid() options (include/uapi/linux/wait.h [5.2]).
inline constexpr uint32_t kWnohang = 0x00000001;
inline constexpr uint32_t kWuntraced = 0x00000002;  // also WSTOPPED
inline constexpr uint32_t kWstopped = kWuntraced;
inline constexpr uint32_t kWexited = 0x00000004;
inline constexpr uint32_t kWcontinued = 0x00000008;
inline constexpr uint32_t kWnowait = 0x01000000;
inline constexpr uint32_t kWnothread = 0x20000000;
inline constexpr uint32_t kWall = 0x40000000;
inline constexpr uint32_t kWclone = 0x80000000;

// waitid() idtypes (include/uapi/linux/wait.h [5.2]; P_PIDFD is [5.3]).
inline constexpr int kPAll = 0;
inline constexpr int kPPid = 1;
inline constexpr int kPPgid = 2;

// SIGCHLD si_code values (include/uapi/asm-generic/siginfo.h [5.2]).
inline constexpr int kCldExited = 1;
inline constexpr int kCldKilled = 2;
inline constexpr int kCldDumped = 3;

// task->flags (include/linux/sched.h [5.2]).
inline constexpr uint32_t kPfIdle = 0x00000002;
inline constexpr uint32_t kPfExiting = 0x00000004;
inline constexpr uint32_t kPfForknoexec = 0x00000040;
inline constexpr uint32_t kPfSuperpriv = 0x00000100;
inline constexpr uint32_t kPfNprocExceeded = 0x00001000;
inline constexpr uint32_t kPfWqWorker = 0x00000020;
inline constexpr uint32_t kPfKthread = 0x00200000;

// signal->flags (include/linux/sched/signal.h:252 [5.2]).
inline constexpr uint32_t kSignalUnkillable = 0x00000040;

// Capabilities (include/uapi/linux/capability.h [5.2]; CAP_LAST_CAP is 37
// there, CAP_AUDIT_READ; [6.12] adds CAP_PERFMON, CAP_BPF and
// CAP_CHECKPOINT_RESTORE, and CAP_LAST_CAP is 40). A machine's full set is
// CapFullSet() of its kernel's CAP_LAST_CAP.
inline constexpr int kCapDacOverride = 1;
inline constexpr int kCapSysAdmin = 21;
inline constexpr int kCapSysResource = 24;
inline constexpr int kCapLastCap = 37;
inline constexpr int kCapCheckpointRestore = 40;  // [5.9]
inline constexpr uint64_t CapFullSet(int last_cap) {
  return (uint64_t{1} << (last_cap + 1)) - 1;
}
inline constexpr uint64_t kCapFullSet = CapFullSet(kCapLastCap);

// Resource limits (include/uapi/asm-generic/resource.h).
inline constexpr int kRlimitNproc = 6;
inline constexpr int kRlimitNofile = 7;
inline constexpr int kRlimitSigpending = 11;
inline constexpr int kRlimNlimits = 16;
inline constexpr uint64_t kRlimInfinity = ~uint64_t{0};

// pid allocation (kernel/pid.c:60 [5.2], include/linux/pid_namespace.h:52).
inline constexpr int kReservedPids = 300;
inline constexpr int kPidMaxDefault = 0x8000;
inline constexpr uint32_t kPidnsAdding = 1u << 31;
inline constexpr int kMaxPidNsLevel = 32;

// kernel/fork.c:113,118 [5.2].
inline constexpr int kMinThreads = 20;
inline constexpr int kMaxThreads = 0x3fffffff;  // FUTEX_TID_MASK

// fs/file.c:22-27 [5.2].
inline constexpr uint32_t kSysctlNrOpenDefault = 1024 * 1024;

// ptrace options (include/uapi/linux/ptrace.h:80-96 [5.2]).
inline constexpr int kPtraceEventFork = 1;
inline constexpr int kPtraceEventVfork = 2;
inline constexpr int kPtraceEventClone = 3;
inline constexpr int kPtraceEventVforkDone = 5;
inline constexpr uint32_t kPtraceOptTraceFork = 1u << kPtraceEventFork;
inline constexpr uint32_t kPtraceOptTraceVfork = 1u << kPtraceEventVfork;
inline constexpr uint32_t kPtraceOptTraceClone = 1u << kPtraceEventClone;
inline constexpr uint32_t kPtraceOptTraceVforkDone = 1u
                                                     << kPtraceEventVforkDone;
// task->ptrace: PT_PTRACED, and the options shifted by PT_OPT_FLAG_SHIFT 3.
inline constexpr uint32_t kPtPtraced = 0x00000001;
inline constexpr int kPtOptFlagShift = 3;

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_CONSTANTS_H_

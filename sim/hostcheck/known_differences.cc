// The known differences between kernel versions that hostcheck meets
// (sim/hostcheck/hostcheck.h), each with the kernel lines of both sides.
// An entry matches on the step that decided in the older model (a rung id
// of docs/copy-process.md) and on the profile's behaviour fields, never on
// a profile's name; docs/fidelity.md prints the same table.

#include "model/errno.h"
#include "model/kernel/constants.h"
#include "sim/hostcheck/hostcheck.h"

namespace forksim {

namespace {

using hostcheck_memory::kTaskSizeMax;

uint64_t CaseFlags(const HostCase& c) {
  if (c.family == Family::kClone3) return Clone3Field(c, 0).value_or(0);
  return c.args[0];
}

bool Failed(const Observation& o, Errno e) { return o.ret == -ErrnoValue(e); }

bool Clone3Absent(const DifferenceContext& ctx) {
  return ctx.c.family == Family::kClone3 &&
         ctx.older.clone3 == Clone3Copy::kNone &&
         Failed(ctx.old_seen, Errno::kENOSYS);
}

bool ReservedParentTid(const DifferenceContext& ctx) {
  return ctx.older.reserved_parent_tid_read && ctx.old_decider == "C7a";
}

bool PidfdThread(const DifferenceContext& ctx) {
  const uint64_t both = kClonePidfd | kCloneThread;
  return !ctx.older.pidfd_thread && ctx.old_decider == "C7" &&
         (CaseFlags(ctx.c) & both) == both;
}

bool Clone3Args64(const DifferenceContext& ctx) {
  return ctx.older.clone_args_size < 88 && ctx.old_decider == "A4";
}

bool Clone3NewFlags(const DifferenceContext& ctx) {
  const uint64_t flags = CaseFlags(ctx.c);
  return ctx.old_decider == "V1" &&
         (((flags & kCloneClearSighand) && !ctx.older.clear_sighand) ||
          ((flags & kCloneIntoCgroup) && !ctx.older.clone3_into_cgroup));
}

bool Clone3Newtime(const DifferenceContext& ctx) {
  return ctx.old_decider == "V2" && (CaseFlags(ctx.c) & kCloneNewtime) &&
         !ctx.older.time_namespaces;
}

bool Clone3PidfdIsParentTid(const DifferenceContext& ctx) {
  return ctx.c.family == Family::kClone3 &&
         ctx.older.pidfd_parent_tid_check !=
             PidfdParentTidCheck::kSameAddress &&
         ctx.new_decider == "K1";
}

bool Clone3StackCheck(const DifferenceContext& ctx) {
  return !ctx.older.clone3_stack_check && ctx.new_decider == "V5";
}

bool AccessOkOffByOne(const DifferenceContext& ctx) {
  const std::optional<uint64_t> stack = Clone3Field(ctx.c, 40);
  const std::optional<uint64_t> size = Clone3Field(ctx.c, 48);
  const bool fixed = ctx.newer >= KernelVersion{6, 13, 0} ||
                     (ctx.newer >= KernelVersion{6, 12, 2} &&
                      ctx.newer < KernelVersion{6, 13, 0});
  return ctx.older.access_ok_user_ptr_max && fixed && ctx.old_decider == "V5" &&
         stack && size && *stack + *size == kTaskSizeMax;
}

bool PidMaxPerNamespace(const DifferenceContext& ctx) {
  const std::optional<uint32_t> tid = SetTid0(ctx.c);
  return ctx.newer >= KernelVersion{6, 14, 0} && ctx.c.pidns &&
         ctx.old_decider == "S26" && Failed(ctx.old_seen, Errno::kEINVAL) &&
         tid && *tid >= static_cast<uint32_t>(kPidMaxDefault) &&
         *tid < 0x80000000u;
}

constexpr KnownDifference kKnownDifferences[] = {
    {"clone3-absent", "clone3 does not exist before 5.3: syscall 435 is ENOSYS",
     "arch/x86/entry/syscalls/syscall_64.tbl [5.2] ends at 433 (fspick); "
     "syscall_32.tbl likewise",
     "syscall_64.tbl:359 and syscall_32.tbl:442 [5.3] add 435 clone3 "
     "(7f192e3cd316, 5.3)",
     Clone3Absent},
    {"reserved-parent-tid",
     "5.2-rc1 reads the int at parent_tidptr with CLONE_PIDFD and wants 0 "
     "(the executor's words start as 0xdeadbeef)",
     "kernel/fork.c:copy_process() [5.2-rc1], after the CLONE_PIDFD checks: "
     "get_user() of *parent_tidptr, EFAULT, then EINVAL if nonzero (C7a)",
     "removed before 5.2 by 9014143bab2f (\"fork: don't check parent_tidptr "
     "with CLONE_PIDFD\")",
     ReservedParentTid},
    {"pidfd-thread",
     "CLONE_PIDFD with CLONE_THREAD is refused until 6.9, then makes a "
     "PIDFD_THREAD pidfd",
     "kernel/fork.c:copy_process() lines 1804-1815 [5.2], 1827-1835 [5.3]: "
     "CLONE_PIDFD with CLONE_DETACHED or CLONE_THREAD is EINVAL (C7)",
     "kernel/fork.c:copy_process() lines 2176-2183 [6.12]: only "
     "CLONE_DETACHED is refused (64bef697d33b, 6.9)",
     PidfdThread},
    {"clone-args-64",
     "5.3's struct clone_args has 64 bytes: set_tid, set_tid_size and cgroup "
     "(bytes 64-87) are an unknown tail that must be zero",
     "kernel/fork.c:copy_clone_args_from_user() lines 2546-2562 [5.3]: each "
     "byte past 64 read with get_user(), nonzero is E2BIG (A4)",
     "include/uapi/linux/sched.h [6.12]: 88 bytes with set_tid (5.5, "
     "fef0d8e4c7a1) and cgroup (5.7, ef2c41cf38a7); the tail starts at 88",
     Clone3Args64},
    {"clone3-new-flags",
     "CLONE_CLEAR_SIGHAND (bit 32) and CLONE_INTO_CGROUP (bit 33) are unknown "
     "flags before 5.5 and 5.7",
     "kernel/fork.c:clone3_args_valid() lines 2595-2596 [5.3]: flags outside "
     "CLONE_LEGACY_FLAGS are EINVAL (V1)",
     "kernel/fork.c:clone3_args_valid() lines 3033-3035 [6.12] also allow "
     "CLONE_CLEAR_SIGHAND (b612e5df4587, 5.5) and CLONE_INTO_CGROUP "
     "(ef2c41cf38a7, 5.7)",
     Clone3NewFlags},
    {"clone3-newtime",
     "CLONE_NEWTIME (0x80, a CSIGNAL bit) in clone3's flags is refused before "
     "6.3",
     "kernel/fork.c:clone3_args_valid() lines 2602-2603 [5.3]: "
     "CLONE_DETACHED or any CSIGNAL bit is EINVAL (V2)",
     "kernel/fork.c:clone3_args_valid() lines 3041-3042 [6.12]: CSIGNAL "
     "except CLONE_NEWTIME (\"fork: allow CLONE_NEWTIME in clone3 flags\", "
     "6.3)",
     Clone3Newtime},
    {"clone3-pidfd-is-parent-tid",
     "5.3's clone3 lets CLONE_PIDFD and CLONE_PARENT_SETTID point at one "
     "int (the pid overwrites the pidfd); 5.9 refuses it",
     "kernel/fork.c [5.3]: legacy_clone_args_valid() (lines 2410-2418, L1) "
     "guards legacy clone only; clone3 writes both, the pid last",
     "kernel/fork.c:kernel_clone() lines 2763-2766 [6.12]: EINVAL when "
     "args->pidfd == args->parent_tid (K1; \"fork: fold "
     "legacy_clone_args_valid() into _do_fork()\", 5.9)",
     Clone3PidfdIsParentTid},
    {"clone3-stack-check",
     "5.3.0 passes clone3's stack and stack_size through unchecked; 5.4 "
     "refuses one without the other and a range outside user space",
     "kernel/fork.c:copy_clone_args_from_user() [5.3]: .stack and "
     ".stack_size copied as given, no check",
     "kernel/fork.c:clone3_stack_valid() lines 3010-3028 [6.12] (V5; "
     "fa729c4df558, 5.4 and 5.3.11)",
     Clone3StackCheck},
    {"access-ok-off-by-one",
     "v6.12.0's access_ok() refuses a range ending exactly at TASK_SIZE_MAX; "
     "6.12.2 and 6.13 accept it again",
     "arch/x86/include/asm/uaccess_64.h:98-107 and "
     "arch/x86/kernel/cpu/common.c:2395 [6.12]: ptr + size <= USER_PTR_MAX = "
     "TASK_SIZE_MAX - 1 (86e6b1547b3d, 6.12-rc5); clone3_stack_valid()'s "
     "access_ok() fails (V5)",
     "573f45a9f9a4 (\"x86: fix off-by-one in access_ok()\", 6.13, 6.12.2): "
     "ptr + size <= TASK_SIZE_MAX, as [5.2] had it",
     AccessOkOffByOne},
    {"pid-max-per-pidns",
     "since 6.14 each pid namespace has its own pid_max, and a new one starts "
     "at PID_MAX_LIMIT: set_tid may ask for pids above the initial "
     "namespace's 32768",
     "kernel/pid.c:alloc_pid() lines 200-202 [6.12]: a set_tid value >= the "
     "global pid_max (line 63) is EINVAL (S26)",
     "kernel/pid.c:alloc_pid() lines 193, 198-200 [6.14]: checked against "
     "the namespace's own pid_max, which create_pid_namespace() sets to "
     "PID_MAX_LIMIT (kernel/pid_namespace.c:110; 7863dcc72d0f and "
     "d385c8bceb14, 6.14)",
     PidMaxPerNamespace},
};

}  // namespace

std::span<const KnownDifference> KnownDifferences() {
  return kKnownDifferences;
}

}  // namespace forksim

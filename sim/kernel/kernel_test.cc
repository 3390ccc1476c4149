// The host API (sim/kernel/kernel.h), as the scenario engine, the tools and
// the benchmarks see the kernel: only public headers here. Each set-up call
// must do what the kernel function it is built on does, fail with that
// function's errno, and never count towards fail_nth.

#include "sim/kernel/kernel.h"

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/abi/layout.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/invariants.h"
#include "model/kernel/pid.h"

namespace forksim {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const KernelProfile& Profile(bool clone6) {
  for (const KernelProfile& p : AllProfiles()) {
    if (p.has_clone6 == clone6) return p;
  }
  return AllProfiles().front();
}

struct Host {
  explicit Host(Abi abi = Abi::kX86_64, bool clone6 = false)
      : k(Profile(clone6), MachineConfig{.abi = abi}) {}

  Task* Process() {
    SysResult<Task*> p = k.NewProcess();
    EXPECT_TRUE(p.ok());
    return p.ok() ? p.value() : nullptr;
  }
  std::vector<std::string> Violations() const {
    std::vector<std::string> out;
    for (const Violation& v : CheckInvariants(k.machine())) {
      out.push_back(v.ToString());
    }
    return out;
  }

  Kernel k;
};

TEST(HostTest, NewProcessIsAnOrdinaryChildOfInitThatHasRun) {
  Host h;
  Task* p = h.Process();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pid.value, 3);  // after init (1) and kthreadd (2)
  EXPECT_EQ(p->real_parent, h.k.machine().init);
  EXPECT_TRUE(p->started);
  EXPECT_EQ(p->signal->flags & kSignalUnkillable, 0u);
  EXPECT_THAT(h.Violations(), IsEmpty());
}

TEST(HostTest, SetCredsMovesTheProcessCountToTheNewUser) {
  // commit_creds(): the process is counted for its new real user only.
  Host h;
  Task* p = h.Process();
  const int64_t root_before = p->real_cred->user->processes;
  ASSERT_TRUE(h.k.SetCreds(p, CredChange{.uid = 1000, .caps = 0}).ok());
  EXPECT_EQ(p->cred, p->real_cred);
  EXPECT_EQ(p->cred->uid, 1000u);
  EXPECT_EQ(p->cred->euid, 1000u);
  EXPECT_EQ(p->cred->caps.effective, 0u);
  EXPECT_EQ(p->real_cred->user->processes, 1);
  EXPECT_EQ(h.k.machine().init->real_cred->user->processes, root_before - 1);
  EXPECT_THAT(h.Violations(), IsEmpty());
}

TEST(HostTest, OpenFileTakesTheLowestFdUpToRlimitNofile) {
  Host h;
  Task* p = h.Process();
  const SysResult<int> fd = h.k.OpenFile(p, "/dev/null", /*cloexec=*/true);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(fd.value(), 3);  // 0-2 are the console's
  EXPECT_TRUE(FdIsCloexec(*p->files, 3));
  EXPECT_EQ(FdLookup(*p->files, 3)->name, "/dev/null");
  // dup(): the same file in the next fd, one more reference.
  const SysResult<int> dup = h.k.DupFile(p, 3);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup.value(), 4);
  EXPECT_EQ(FdLookup(*p->files, 4), FdLookup(*p->files, 3));
  EXPECT_EQ(FdLookup(*p->files, 3)->refcount, 2);
  EXPECT_FALSE(FdIsCloexec(*p->files, 4));
  EXPECT_EQ(h.k.DupFile(p, 9).error(), Errno::kEBADF);
  // RLIMIT_NOFILE of 5: fds 0-4 are open, the next is EMFILE.
  ASSERT_TRUE(h.k.SetRlimit(p, kRlimitNofile, 5, std::nullopt).ok());
  EXPECT_EQ(h.k.OpenFile(p, "/dev/zero", false).error(), Errno::kEMFILE);
  EXPECT_THAT(h.Violations(), IsEmpty());
}

TEST(HostTest, SetRlimitFollowsDoPrlimit) {
  Host h;
  Task* p = h.Process();
  EXPECT_EQ(h.k.SetRlimit(p, kRlimitNproc, 10, 5).error(), Errno::kEINVAL);
  EXPECT_EQ(h.k.SetRlimit(p, kRlimitNofile, 1, uint64_t{1} << 40).error(),
            Errno::kEPERM);  // above fs.nr_open
  ASSERT_TRUE(h.k.SetRlimit(p, kRlimitNproc, 5, std::nullopt).ok());
  EXPECT_EQ(p->signal->rlim[kRlimitNproc].cur, 5u);
}

TEST(HostTest, SetSigactionFollowsDoSigaction) {
  Host h;
  Task* p = h.Process();
  EXPECT_EQ(h.k.SetSigaction(p, kSigkill, SigAction{kSigIgn, 0, 0}).error(),
            Errno::kEINVAL);
  EXPECT_EQ(h.k.SetSigaction(p, 65, SigAction{}).error(), Errno::kEINVAL);
  // Ignoring a pending signal discards it.
  p->signal->shared_pending.push_back(kSigusr1);
  ASSERT_TRUE(h.k.SetSigaction(p, kSigusr1, SigAction{kSigIgn, 0, 0}).ok());
  EXPECT_THAT(p->signal->shared_pending, IsEmpty());
  EXPECT_EQ(p->sighand->action[kSigusr1 - 1].handler, kSigIgn);
}

TEST(HostTest, WriteSysctlChecksItsRangesAndKnowsItsKeys) {
  Host h;
  Task* p = h.Process();
  EXPECT_EQ(h.k.WriteSysctl(p, "kernel.no_such_thing", 1).error(),
            Errno::kENOENT);
  EXPECT_EQ(h.k.WriteSysctl(p, "kernel.pid_max", 10).error(), Errno::kEINVAL);
  EXPECT_EQ(h.k.WriteSysctl(p, "kernel.threads-max", 19).error(),
            Errno::kEINVAL);  // below MIN_THREADS
  // ns_last_pid is the writer's namespace's: the next fork gets 500.
  ASSERT_TRUE(h.k.WriteSysctl(p, "kernel.ns_last_pid", 499).ok());
  EXPECT_EQ(h.k.Invoke(p, Sysno::kFork, {}), SyscallOutcome(int64_t{500}));
}

TEST(HostTest, SetUpNeverCountsTowardsFailNth) {
  // The second failure point of a fork is dup_task_struct() (S3). Set-up
  // in between must not move the count: the fork still fails there.
  Host h;
  Task* p = h.Process();
  h.k.FailNth(2);
  ASSERT_TRUE(h.k.OpenFile(p, "/dev/null", false).ok());
  ASSERT_TRUE(h.k.SetCreds(p, CredChange{.gid = 7}).ok());
  ASSERT_TRUE(h.k.NewProcess().ok());
  EXPECT_EQ(h.k.Invoke(p, Sysno::kFork, {}), SyscallOutcome(Errno::kENOMEM));
  EXPECT_EQ(h.k.InjectedFault(), "kernel/fork.c:dup_task_struct()");
  EXPECT_THAT(h.Violations(), IsEmpty());
}

TEST(HostTest, UnknownAndUnwiredSyscallsAreEnosysInTheReturnRegister) {
  for (Abi abi : kAllAbis) {
    Host h(abi);
    Task* p = h.Process();
    // 436 is clone6 only where the RFC is applied.
    EXPECT_EQ(h.k.Invoke(p, Sysno::kClone6, {0, kSigchld, 0, 0, 0, 0}),
              SyscallOutcome(Errno::kENOSYS))
        << AbiName(abi);
    h.k.SetRegister(p, AbiInfoFor(abi).nr_reg, 4000);
    EXPECT_EQ(h.k.Syscall(p), SyscallOutcome(Errno::kENOSYS));
    const uint64_t ax = p->regs.Get(AbiInfoFor(abi).ret_reg);
    EXPECT_EQ(ax, abi == Abi::kX86_64 ? 0xffffffffffffffdaull : 0xffffffdaull);
  }
}

TEST(HostTest, CloneArgsFromRegistersRunsTheEntryAlone) {
  // ia32 puts tls before child_tidptr (CONFIG_CLONE_BACKWARDS order).
  Host h(Abi::kIa32);
  Task* p = h.Process();
  RegisterFile regs(Abi::kIa32);
  const AbiInfo& info = AbiInfoFor(Abi::kIa32);
  regs.Set(info.nr_reg, 120);
  const uint64_t args[] = {kClonePidfd | kSigchld, 0x8000, 0x1000, 0x2000,
                           0x3000};
  for (int i = 0; i < 5; ++i) regs.Set(info.arg_regs[i], args[i]);
  const size_t tasks = h.k.machine().tasks.size();
  SysResult<KernelCloneArgs> a = h.k.CloneArgsFromRegisters(p, regs);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().flags, kClonePidfd);
  EXPECT_EQ(a.value().exit_signal, kSigchld);
  EXPECT_EQ(a.value().stack, 0x8000u);
  EXPECT_EQ(a.value().parent_tid, 0x1000u);
  EXPECT_EQ(a.value().tls, 0x2000u);
  EXPECT_EQ(a.value().child_tid, 0x3000u);
  EXPECT_EQ(a.value().pidfd, 0x1000u);           // legacy: the pidfd goes there
  EXPECT_EQ(h.k.machine().tasks.size(), tasks);  // nothing was created
}

TEST(HostTest, Clone6ArgsAreReadFromTheCallersMemory) {
  Host h(Abi::kX86_64, /*clone6=*/true);
  Task* p = h.Process();
  ASSERT_TRUE(h.k.MapMemory(p, 0x10000, 0x1000, kProtReadWrite).ok());
  StructValue v(LayoutFor(StructId::kClone6Args, Abi::kX86_64));
  ASSERT_TRUE(v.Set("stack", 0x7000));
  ASSERT_TRUE(v.Set("tls", 0x5000));
  ASSERT_TRUE(h.k.WriteMemory(p, 0x10000, EncodeStruct(v)).ok());
  RegisterFile regs(Abi::kX86_64);
  regs.Set(Reg::kAx, 436);
  regs.Set(Reg::kDi, 0x10000);
  regs.Set(Reg::kSi, kCloneSettls | kSigchld);
  SysResult<KernelCloneArgs> a = h.k.CloneArgsFromRegisters(p, regs);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().stack, 0x7000u);
  EXPECT_EQ(a.value().tls, 0x5000u);
  EXPECT_TRUE(a.value().pidfd_in_args);
  regs.Set(Reg::kDi, 0);  // the stack is always read: NULL faults
  EXPECT_EQ(h.k.CloneArgsFromRegisters(p, regs).error(), Errno::kEFAULT);
}

TEST(HostTest, ABlockedCallSaysWhatItWaitsFor) {
  Host h;
  Task* p = h.Process();
  EXPECT_TRUE(h.k.Invoke(p, Sysno::kVfork, {}).blocked());
  EXPECT_TRUE(h.k.IsBlocked(p));
  Task* child = p->children.back();
  EXPECT_THAT(h.k.BlockedIn(p).value_or(""),
              HasSubstr("kernel/fork.c:wait_for_vfork_done(): until task " +
                        std::to_string(child->pid.value)));
  std::vector<Sysno> resumed;
  h.k.set_resume_callback([&](Task*, Sysno sysno, const SyscallOutcome&) {
    resumed.push_back(sysno);
  });
  EXPECT_TRUE(h.k.Invoke(child, Sysno::kExit, {0}).exited());
  EXPECT_THAT(resumed, ::testing::ElementsAre(Sysno::kVfork));
  EXPECT_FALSE(h.k.BlockedIn(p).has_value());
}

}  // namespace
}  // namespace forksim

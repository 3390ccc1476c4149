// copy_process() and _do_fork() for [5.2-rc1], the clone6 RFC and [5.2], on
// all three ABIs. Each test names the step (docs/copy-process.md) or the
// kernel function it checks.

#include "sim/kernel/fork.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/abi/layout.h"
#include "model/kernel/cgroup.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/invariants.h"
#include "model/kernel/pid.h"
#include "sim/kernel/open.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

using ::testing::IsEmpty;

// Writes a clone6_args at `addr` with the given fields.
void PutClone6Args(
    Sim& /*s*/, Task* t, uint64_t addr,
    std::initializer_list<std::pair<std::string_view, uint64_t>> fields) {
  StructValue v(LayoutFor(StructId::kClone6Args, t->abi));
  for (const auto& [name, value] : fields) ASSERT_TRUE(v.Set(name, value));
  ASSERT_TRUE(t->mm->memory->Poke(addr, EncodeStruct(v)).ok());
}

// --- the ladder (C1-C7a), one rung at a time, on every profile ---

TEST(LadderTest, EachRungIsEinvalOnEveryProfileAndAbi) {
  struct Rung {
    std::string_view name;
    uint64_t flags;
    bool (*applies)(const KernelProfile&) = [](const KernelProfile&) {
      return true;
    };
  };
  const Rung rungs[] = {
      {"C1 NEWNS|FS", kCloneNewns | kCloneFs | kSigchld},
      {"C2 NEWUSER|FS", kCloneNewuser | kCloneFs | kSigchld},
      {"C3 THREAD without SIGHAND", kCloneThread | kCloneVm},
      {"C4 SIGHAND without VM", kCloneSighand},
      {"C6 THREAD|NEWPID",
       kCloneThread | kCloneSighand | kCloneVm | kCloneNewpid},
      {"C6 THREAD|NEWUSER",
       kCloneThread | kCloneSighand | kCloneVm | kCloneNewuser},
      {"C7 PIDFD|DETACHED", kClonePidfd | kCloneDetached | kSigchld},
      {"C7 PIDFD|PARENT_SETTID", kClonePidfd | kCloneParentSettid | kSigchld},
      // [6.9] allows a thread's pidfd (PIDFD_THREAD).
      {"C7 PIDFD|THREAD", kClonePidfd | kCloneThread | kCloneSighand | kCloneVm,
       [](const KernelProfile& p) { return !p.pidfd_thread; }},
  };
  for (const KernelProfile& profile : AllProfiles()) {
    for (Abi abi : kAllAbis) {
      Sim s(profile, abi);
      Task* p = s.NewProcess();
      for (const Rung& rung : rungs) {
        if (!rung.applies(profile)) continue;
        EXPECT_THAT(Clone(s, p, rung.flags, 0, kBuf),
                    ReturnsErrno(Errno::kEINVAL))
            << rung.name << " on " << profile.name << "/" << AbiName(abi);
      }
      s.ExpectClean();
    }
  }
}

TEST(LadderTest, C5CloneParentFromAPidNamespaceInit) {
  Sim s;
  EXPECT_THAT(Clone(s, s.init(), kCloneParent | kSigchld),
              ReturnsErrno(Errno::kEINVAL));
  // A new pid 1 gets SIGNAL_UNKILLABLE, and then C5 applies to it too.
  Task* p = s.NewProcess();
  const int64_t pid = Clone(s, p, kCloneNewpid | kSigchld).value();
  ASSERT_GT(pid, 0);
  Task* ns_init = s.TaskByTid(pid);
  EXPECT_EQ(TaskPidVnr(ns_init, ns_init).value, 1);
  EXPECT_TRUE(ns_init->signal->flags & kSignalUnkillable);
  EXPECT_THAT(
      s.Call(ns_init, Sysno::kClone, {kCloneParent | kSigchld, 0, 0, 0, 0}),
      ReturnsErrno(Errno::kEINVAL));
  s.ExpectClean();
}

TEST(LadderTest, LaterRungsDoNotHideEarlierOnes) {
  // C1 and C7 both apply: the errno is EINVAL either way, but on rc1 C7a
  // (EFAULT with a NULL parent_tidptr) would come after C7 and never runs.
  Sim s(FirstProfileWhere(ReadsReservedParentTid));
  Task* p = s.NewProcess();
  EXPECT_THAT(
      Clone(s, p, kCloneNewns | kCloneFs | kClonePidfd | kSigchld, 0, 0),
      ReturnsErrno(Errno::kEINVAL));
  EXPECT_THAT(Clone(s, p, kClonePidfd | kCloneDetached | kSigchld, 0, 0),
              ReturnsErrno(Errno::kEINVAL));
}

TEST(LadderTest, C7aReservedReadOnlyOnRc1LegacyPaths) {
  // C7a: rc1 reads *parent_tidptr (b3e583825266 "clone: add CLONE_PIDFD");
  // 9014143bab2f removed the read for 5.2.
  for (const KernelProfile* profile : ProfilesWhere(ReadsReservedParentTid)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    EXPECT_THAT(Clone(s, p, kClonePidfd | kSigchld, 0, 0),
                ReturnsErrno(Errno::kEFAULT))
        << profile->name;
    s.Write(p, kBuf, 4, 7);
    EXPECT_THAT(Clone(s, p, kClonePidfd | kSigchld, 0, kBuf),
                ReturnsErrno(Errno::kEINVAL))
        << profile->name;
    s.Write(p, kBuf, 4, 0);
    const int64_t pid = Clone(s, p, kClonePidfd | kSigchld, 0, kBuf).value();
    EXPECT_GT(pid, 0) << profile->name;
    EXPECT_EQ(s.Read(p, kBuf, 4), 3u)
        << profile->name;  // the pidfd: lowest free fd
    s.ExpectClean();
  }
  // 5.2: no reserved read; a nonzero int there is simply overwritten.
  Sim s(FirstProfileWhere(SkipsReservedParentTid));
  Task* p = s.NewProcess();
  s.Write(p, kBuf, 4, 7);
  EXPECT_GT(Clone(s, p, kClonePidfd | kSigchld, 0, kBuf).value(), 0);
  EXPECT_EQ(s.Read(p, kBuf, 4), 3u);
  // And a NULL parent_tidptr faults only at the put_user, after alloc_pid.
  EXPECT_THAT(Clone(s, p, kClonePidfd | kSigchld, 0, 0),
              ReturnsErrno(Errno::kEFAULT));
  s.ExpectClean();
}

// --- S6, S9: process limits ---

TEST(LimitsTest, RlimitNprocForAnUnprivilegedUser) {
  // The same bound on every profile: [5.2] refuses processes >= limit before
  // copy_creds(); [6.12] counts the child first and refuses count > limit.
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    s.MakeUnprivileged(p, 1000);
    p->signal->rlim[kRlimitNproc].cur = 2;
    EXPECT_GT(s.Call(p, Sysno::kFork, {}).value(), 0);  // uid 1000 had 1
    EXPECT_THAT(s.Call(p, Sysno::kFork, {}),
                ReturnsErrno(Errno::kEAGAIN))  // now 2, and a third is over
        << profile.name;
    s.ExpectClean();
  }
}

// The step and unwind ids of the last call, in order: "S8", "U19", ...
std::vector<std::string> StepIds(Sim& s) {
  std::vector<std::string> out;
  for (const Event& e : s.kernel().events()) {
    if (e.kind == EventKind::kStep || e.kind == EventKind::kUnwind) {
      if (!e.step.empty()) out.push_back(std::string(e.step));
    }
  }
  return out;
}

TEST(SequenceTest, CopyCredsBeforeTheNprocCheckOn612) {
  // Over RLIMIT_NPROC and with a CLONE_NEWUSER that copy_creds() refuses
  // (user.max_user_namespaces 0: ENOSPC): [5.2] checks NPROC first (EAGAIN),
  // [6.12] runs copy_creds() first (ENOSPC).
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    s.MakeUnprivileged(p, 1000);
    p->signal->rlim[kRlimitNproc].cur = 1;
    ASSERT_TRUE(s.machine().SetUcountMax(kUcountUserNamespaces, 0).ok());
    const bool creds_first = profile.sequence == CopyProcessSequence::k6_12;
    EXPECT_THAT(Clone(s, p, kCloneNewuser | kSigchld),
                ReturnsErrno(creds_first ? Errno::kENOSPC : Errno::kEAGAIN))
        << profile.name;
    // And a plain fork over the limit unwinds differently: [6.12] has
    // counted the child already and gives the count back (U19).
    s.kernel().ClearEvents();
    EXPECT_THAT(Clone(s, p, kSigchld), ReturnsErrno(Errno::kEAGAIN));
    const std::vector<std::string> ids = StepIds(s);
    if (creds_first) {
      EXPECT_THAT(ids, testing::IsSupersetOf({"S8", "S6", "U19", "U20"}));
    } else {
      EXPECT_THAT(ids, testing::Not(testing::Contains("S8")));
      EXPECT_THAT(ids, testing::Not(testing::Contains("U19")));
    }
    s.ExpectClean();
  }
}

TEST(SequenceTest, ACgroupFailureAfterAPidfd) {
  // cgroup_can_fork() (S32) fails: [5.2] goes to
  // bad_fork_cgroup_threadgroup_change_end (U2), [6.12] straight to
  // bad_fork_put_pidfd (U3); both give the reserved number back, and the
  // caller's memory still holds it.
  for (const KernelProfile& profile : AllProfiles()) {
    if (profile.pidfd_creation != PidfdCreation::kReserveThenInstall) continue;
    bool reached = false;
    for (uint32_t n = 1; n < 200 && !reached; ++n) {
      Sim s(profile);
      Task* p = s.NewProcess();
      s.kernel().ClearEvents();
      s.machine().faults.FailNth(n);
      const SyscallOutcome r = Clone(s, p, kClonePidfd | kSigchld, 0, kBuf);
      if (s.machine().faults.injected() !=
          "kernel/cgroup/cgroup.c:cgroup_can_fork()") {
        continue;
      }
      reached = true;
      EXPECT_THAT(r, ReturnsErrno(Errno::kEAGAIN));
      EXPECT_EQ(s.Read(p, kBuf, 4), 3u);
      EXPECT_EQ(FdLookup(*p->files, 3), nullptr);
      const std::vector<std::string> ids = StepIds(s);
      const auto first_unwind =
          std::find_if(ids.begin(), ids.end(),
                       [](const std::string& id) { return id[0] == 'U'; });
      ASSERT_NE(first_unwind, ids.end());
      EXPECT_EQ(*first_unwind,
                profile.sequence == CopyProcessSequence::k6_12 ? "U3" : "U2")
          << profile.name;
      s.ExpectClean();
    }
    EXPECT_TRUE(reached) << profile.name;
  }
}

TEST(SequenceTest, ThePidfdIsInstalledAfterTheLinksOn612) {
  for (const KernelProfile& profile : AllProfiles()) {
    if (profile.pidfd_creation != PidfdCreation::kReserveThenInstall) continue;
    Sim s(profile);
    Task* p = s.NewProcess();
    s.kernel().ClearEvents();
    ASSERT_GT(Clone(s, p, kClonePidfd | kSigchld, 0, kBuf).value(), 0);
    const std::vector<std::string> ids = StepIds(s);
    const auto install = std::find(ids.begin(), ids.end(), "S39");
    const auto link = std::find(ids.begin(), ids.end(), "S40-S41");
    ASSERT_NE(install, ids.end());
    ASSERT_NE(link, ids.end());
    EXPECT_EQ(install > link, profile.sequence == CopyProcessSequence::k6_12)
        << profile.name;
  }
}

TEST(LimitsTest, RootIsNotLimitedByRlimitNproc) {
  Sim s;
  Task* p = s.NewProcess();
  p->signal->rlim[kRlimitNproc].cur = 1;
  EXPECT_GT(s.Call(p, Sysno::kFork, {}).value(), 0);
  s.ExpectClean();
}

TEST(LimitsTest, ThreadsMax) {
  Sim s;
  Task* p = s.NewProcess();
  ASSERT_TRUE(s.machine().SetThreadsMax(20).ok());
  s.machine().sysctls.max_threads =
      4;  // below the sysctl's minimum, for a short test
  EXPECT_GT(s.Call(p, Sysno::kFork, {}).value(), 0);  // the 4th task
  EXPECT_THAT(s.Call(p, Sysno::kFork, {}), ReturnsErrno(Errno::kEAGAIN));
  s.ExpectClean();
}

// --- S16-S23, S29, S35: what each flag shares ---

TEST(SharingTest, ForkCopiesEverything) {
  Sim s;
  Task* p = s.NewProcess();
  Task* c = s.TaskByTid(s.Call(p, Sysno::kFork, {}));
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->mm, p->mm);
  EXPECT_NE(c->files, p->files);
  EXPECT_NE(c->fs, p->fs);
  EXPECT_NE(c->sighand, p->sighand);
  EXPECT_NE(c->signal, p->signal);
  EXPECT_NE(c->cred, p->cred);
  EXPECT_EQ(c->nsproxy, p->nsproxy);  // no namespace flag: shared
  EXPECT_EQ(c->real_parent, p);
  EXPECT_EQ(c->exit_signal, kSigchld);
  EXPECT_EQ(c->tgid.value, c->pid.value);
  EXPECT_EQ(c->regs.Get(Reg::kAx), 0u);  // fork returns 0 in the child
  EXPECT_TRUE(c->flags & kPfForknoexec);
  s.ExpectClean();
}

TEST(SharingTest, ThreadFlagsShareAndJoinTheGroup) {
  Sim s;
  Task* p = s.NewProcess();
  const uint64_t flags = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand |
                         kCloneThread | kCloneSysvsem | kCloneIo;
  Task* t = s.TaskByTid(Clone(s, p, flags, 0x20000));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->mm, p->mm);
  EXPECT_EQ(t->files, p->files);
  EXPECT_EQ(t->fs, p->fs);
  EXPECT_EQ(t->sighand, p->sighand);
  EXPECT_EQ(t->signal, p->signal);
  EXPECT_EQ(t->cred, p->cred);
  EXPECT_EQ(t->sysvsem, p->sysvsem);
  EXPECT_EQ(p->sysvsem->refcount, 2);
  EXPECT_EQ(p->signal->nr_threads, 2);
  EXPECT_EQ(p->signal->live, 2);
  EXPECT_EQ(t->tgid, p->tgid);
  EXPECT_EQ(t->group_leader, p);
  EXPECT_EQ(t->exit_signal, -1);
  EXPECT_EQ(t->real_parent,
            p->real_parent);  // a thread's parent is the group's
  EXPECT_EQ(t->regs.Get(Reg::kSp), 0x20000u);
  EXPECT_EQ(s.Call(t, Sysno::kGetpid, {}), p->pid.value);
  EXPECT_EQ(s.Call(t, Sysno::kGettid, {}), t->pid.value);
  s.ExpectClean();
}

TEST(SharingTest, CloneParentTakesTheGrandparentAndItsLeadersExitSignal) {
  Sim s;
  Task* p = s.NewProcess();
  // p's own exit signal is SIGCHLD; the requested 0x22 is ignored.
  Task* c = s.TaskByTid(Clone(s, p, kCloneParent | 0x22));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->real_parent, s.init());
  EXPECT_EQ(c->exit_signal, kSigchld);
  EXPECT_EQ(s.Call(c, Sysno::kGetppid, {}), 1);
  s.ExpectClean();
}

TEST(SharingTest, ExitSignalIsNotValidated) {
  // S29 (kernel/fork.c:copy_process() [5.2], lines 2078-2090): legacy
  // clone takes any exit signal 0..255.
  Sim s;
  Task* p = s.NewProcess();
  Task* c = s.TaskByTid(Clone(s, p, 0xff));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->exit_signal, 255);
  s.ExpectClean();
}

TEST(SharingTest, NewpidChildIsPidOneInsideAndGlobalOutside) {
  Sim s;
  Task* p = s.NewProcess();
  const int64_t pid = Clone(s, p, kCloneNewpid | kSigchld).value();
  Task* c = s.TaskByTid(pid);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(pid, c->pid.value);  // the parent sees the global number
  EXPECT_EQ(s.Call(c, Sysno::kGetpid, {}), 1);
  EXPECT_EQ(s.Call(c, Sysno::kGetppid, {}), 0);  // its parent is invisible
  EXPECT_EQ(TaskActivePidNs(c)->child_reaper, c);
  s.ExpectClean();
}

// --- the entries: argument order and upper bits per ABI ---

TEST(EntryTest, ChildTidAndTlsAreSwappedOn32BitAbis) {
  for (Abi abi : kAllAbis) {
    Sim s(abi);
    Task* p = s.NewProcess();
    // CLONE_CHILD_SETTID without CLONE_SETTLS: only child_tidptr is used, so
    // the register it comes from tells the order.
    const int64_t pid = Clone(s, p, kCloneChildSettid | kSigchld, 0, 0,
                              /*ctid=*/kBuf + 64, /*tls=*/kBuf + 128)
                            .value();
    Task* c = s.TaskByTid(pid);
    ASSERT_NE(c, nullptr) << AbiName(abi);
    EXPECT_EQ(c->set_child_tid, kBuf + 64) << AbiName(abi);
    s.kernel().Schedule();  // the child's first run writes its tid
    EXPECT_EQ(s.Read(c, kBuf + 64, 4), static_cast<uint64_t>(pid));
    EXPECT_EQ(s.Read(p, kBuf + 64, 4), 0u);  // its own copy of memory
    s.ExpectClean();
  }
}

TEST(EntryTest, LegacyFlagsUpperBitsReachCopyProcessAndAreIgnored) {
  // 5.2 on x86-64: clone_flags is an unsigned long and nothing tests bits
  // 32-63 (5.3-5.6 passed them on; 5.7's fix masks them).
  Sim s;
  Task* p = s.NewProcess();
  Task* c = s.TaskByTid(Clone(s, p, 0xffffffff00000000ull | kSigchld));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->exit_signal, kSigchld);
  s.ExpectClean();
}

TEST(EntryTest, Clone6DropsTheUpperHalfOfItsFlagRegisters) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  PutClone6Args(s, p, kBuf, {});
  // flags1 = rsi: the upper half is garbage, the lower half SIGCHLD; flags2
  // carries garbage only above bit 31, so it reads as 0.
  const int64_t pid = s.Call(p, Sysno::kClone6,
                             {kBuf, 0xdeadbeef00000000ull | kSigchld,
                              0xffffffff00000000ull, 0, 0, 0})
                          .value();
  Task* c = s.TaskByTid(pid);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->exit_signal, kSigchld);
  s.ExpectClean();
}

// --- the clone6 RFC's quirks (its SYSCALL_DEFINE6(clone6)) ---

TEST(Clone6Test, OnlyTheRfcProfileHasSyscall436) {
  for (const KernelProfile* profile : ProfilesWhere(LacksClone6)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      EXPECT_THAT(s.Call(p, Sysno::kClone6, {kBuf, kSigchld, 0, 0, 0, 0}),
                  ReturnsErrno(Errno::kENOSYS))
          << profile->name << "/" << AbiName(abi);
    }
  }
}

TEST(Clone6Test, Flags2To5MustBeZero) {
  for (Abi abi : kAllAbis) {
    Sim s(FirstProfileWhere(HasClone6), abi);
    Task* p = s.NewProcess();
    for (int i = 2; i <= 5; ++i) {
      std::vector<uint64_t> regs = {kBuf, kSigchld, 0, 0, 0, 0};
      regs[i] = 1;
      const AbiInfo& info = AbiInfoFor(abi);
      p->regs.Set(info.nr_reg, 436);
      for (int r = 0; r < 6; ++r) p->regs.Set(info.arg_regs[r], regs[r]);
      EXPECT_THAT(s.kernel().Syscall(p), ReturnsErrno(Errno::kEINVAL))
          << "flags" << i;
    }
  }
}

TEST(Clone6Test, DetachedIsEinvalEvenWithoutPidfd) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  PutClone6Args(s, p, kBuf, {});
  EXPECT_THAT(
      s.Call(p, Sysno::kClone6, {kBuf, kCloneDetached | kSigchld, 0, 0, 0, 0}),
      ReturnsErrno(Errno::kEINVAL));
  // Legacy clone ignores CLONE_DETACHED without CLONE_PIDFD.
  EXPECT_GT(Clone(s, p, kCloneDetached | kSigchld).value(), 0);
  s.ExpectClean();
}

TEST(Clone6Test, TheStackIsAlwaysReadSoNullFaults) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  EXPECT_THAT(s.Call(p, Sysno::kClone6, {0, kSigchld, 0, 0, 0, 0}),
              ReturnsErrno(Errno::kEFAULT));
  s.ExpectClean();
}

TEST(Clone6Test, FieldsAreReadOnlyWhenTheirFlagsAskAndTheFirstFaultStops) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  // The struct's last 24 bytes (stack_size at +32, tls at +40) lie on an
  // unmapped page; stack (+24) and everything before it are mapped.
  const uint64_t end = kBuf + kBufPages * kPageSize;
  const uint64_t uargs = end - 32;
  std::vector<uint8_t> head(32, 0);
  ASSERT_TRUE(p->mm->memory->Poke(uargs, head).ok());
  // Without CLONE_SETTLS, tls is never read: the call succeeds.
  EXPECT_GT(s.Call(p, Sysno::kClone6, {uargs, kSigchld, 0, 0, 0, 0}).value(),
            0);
  // With CLONE_SETTLS the tls read faults: EFAULT, and no task was made.
  const size_t tasks = s.machine().tasks.size();
  EXPECT_THAT(
      s.Call(p, Sysno::kClone6, {uargs, kCloneSettls | kSigchld, 0, 0, 0, 0}),
      ReturnsErrno(Errno::kEFAULT));
  EXPECT_EQ(s.machine().tasks.size(), tasks);
  // stack_size is never read on x86 (CONFIG_CLONE_BACKWARDS3 only): no
  // trace of a read of it.
  int stack_reads = 0;
  for (const Event& e : s.kernel().events()) {
    EXPECT_NE(e.field, "clone6_args.stack_size");
    if (e.kind == EventKind::kRead && e.field == "clone6_args.stack") {
      ++stack_reads;
    }
  }
  EXPECT_EQ(stack_reads, 2);  // one per call
  s.ExpectClean();
}

TEST(Clone6Test, ThePidfdIsWrittenBackEvenOnFailure) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  PutClone6Args(s, p, kBuf, {{"pidfd", 77}});
  // A failure before the pidfd exists writes 0, the value clone6 started
  // with: threads-max fails at S9, long before S27.
  s.machine().sysctls.max_threads = 1;
  EXPECT_THAT(
      s.Call(p, Sysno::kClone6, {kBuf, kClonePidfd | kSigchld, 0, 0, 0, 0}),
      ReturnsErrno(Errno::kEAGAIN));
  EXPECT_EQ(s.Read(p, kBuf, 4), 0u);
  s.machine().sysctls.max_threads = 16384;
  s.ExpectClean();
}

TEST(Clone6Test, AStaleClosedPidfdNumberIsWrittenAfterALateFailure) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  PutClone6Args(s, p, kBuf, {});
  // cgroup_can_fork() (S32) fails after the pidfd was created and installed
  // (rc1 installs at once); the unwind closes it; clone6 writes the number.
  // Walk the failure points until the sweep reaches that one.
  bool reached = false;
  for (uint32_t n = 1; n < 200 && !reached; ++n) {
    Sim fresh(FirstProfileWhere(HasClone6));
    Task* q = fresh.NewProcess();
    PutClone6Args(fresh, q, kBuf, {});
    fresh.machine().faults.FailNth(n);
    const SyscallOutcome r = fresh.Call(
        q, Sysno::kClone6, {kBuf, kClonePidfd | kSigchld, 0, 0, 0, 0});
    if (fresh.machine().faults.injected() !=
        "kernel/cgroup/cgroup.c:cgroup_can_fork()") {
      continue;
    }
    reached = true;
    EXPECT_THAT(r, ReturnsErrno(Errno::kEAGAIN));
    EXPECT_EQ(fresh.Read(q, kBuf, 4), 3u);       // the stale number
    EXPECT_EQ(FdLookup(*q->files, 3), nullptr);  // closed again
    fresh.ExpectClean();
  }
  EXPECT_TRUE(reached);
  (void)p;
}

TEST(Clone6Test, APidfdWriteFaultIsEfaultThoughTheChildExists) {
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  PutClone6Args(s, p, kBuf, {});
  ASSERT_TRUE(p->mm->memory->Protect(kBuf, kPageSize, kProtRead).ok());
  const size_t tasks = s.machine().tasks.size();
  EXPECT_THAT(
      s.Call(p, Sysno::kClone6, {kBuf, kClonePidfd | kSigchld, 0, 0, 0, 0}),
      ReturnsErrno(Errno::kEFAULT));
  EXPECT_EQ(s.machine().tasks.size(), tasks + 1);  // the child runs
  File* pidfd = FdLookup(*p->files, 3);            // and its pidfd stays open
  ASSERT_NE(pidfd, nullptr);
  EXPECT_EQ(pidfd->kind, FileKind::kPidfd);
  s.ExpectClean();
}

TEST(Clone6Test, PidfdWithParentSettidIsAllowedAndBothAreWritten) {
  // The RFC moved the pidfd out of parent_tidptr, so clone6 allows both.
  Sim s(FirstProfileWhere(HasClone6));
  Task* p = s.NewProcess();
  PutClone6Args(s, p, kBuf, {{"parent_tidptr", kBuf + 256}});
  const int64_t pid =
      s.Call(p, Sysno::kClone6,
             {kBuf, kClonePidfd | kCloneParentSettid | kSigchld, 0, 0, 0, 0})
          .value();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(s.Read(p, kBuf, 4), 3u);  // clone6_args.pidfd
  EXPECT_EQ(s.Read(p, kBuf + 256, 4), static_cast<uint64_t>(pid));
  // And the legacy entry still refuses the combination (C7, legacy only).
  EXPECT_THAT(Clone(s, p, kClonePidfd | kCloneParentSettid | kSigchld, 0, kBuf),
              ReturnsErrno(Errno::kEINVAL));
  s.ExpectClean();
}

// --- S27: the pidfd (fs/file.c, fs/anon_inodes.c [5.2]) ---

TEST(PidfdTest, LowestFreeFdCloexecInTheParentsTable) {
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    ASSERT_EQ(s.Call(p, Sysno::kClose, {1}), 0);
    s.Write(p, kBuf, 4, 0);
    const int64_t pid = Clone(s, p, kClonePidfd | kSigchld, 0, kBuf).value();
    ASSERT_GT(pid, 0) << profile.name;
    EXPECT_EQ(s.Read(p, kBuf, 4), 1u) << profile.name;  // fd 1 was free
    File* file = FdLookup(*p->files, 1);
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(file->kind, FileKind::kPidfd);
    EXPECT_EQ(file->pid, s.TaskByTid(pid)->thread_pid);
    EXPECT_TRUE(FdIsCloexec(*p->files, 1));
    // The child's own table was copied before: it has no pidfd.
    EXPECT_EQ(FdLookup(*s.TaskByTid(pid)->files, 1), nullptr);
    s.ExpectClean();
  }
}

TEST(PidfdTest, EmfileAtRlimitNofile) {
  Sim s;
  Task* p = s.NewProcess();
  p->signal->rlim[kRlimitNofile].cur = 3;  // fds 0, 1, 2 are taken
  EXPECT_THAT(Clone(s, p, kClonePidfd | kSigchld, 0, kBuf),
              ReturnsErrno(Errno::kEMFILE));
  s.ExpectClean();
}

// --- _do_fork()'s PARENT_SETTID, schedule_tail()'s CHILD_SETTID ---

TEST(TidWritesTest, ParentSettidGoesToTheParentAndItsFaultIsIgnored) {
  Sim s;
  Task* p = s.NewProcess();
  const int64_t pid =
      Clone(s, p, kCloneParentSettid | kSigchld, 0, kBuf + 8).value();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(s.Read(p, kBuf + 8, 4), static_cast<uint64_t>(pid));
  // An unmapped parent_tidptr: the fork still succeeds.
  EXPECT_GT(Clone(s, p, kCloneParentSettid | kSigchld, 0, 0x7000).value(), 0);
  s.ExpectClean();
}

TEST(TidWritesTest, ChildSettidWithCloneVmLandsInTheSharedMemory) {
  Sim s;
  Task* p = s.NewProcess();
  const int64_t pid = Clone(s, p, kCloneVm | kCloneChildSettid | kSigchld,
                            kBuf + 4096, 0, kBuf + 16)
                          .value();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(s.Read(p, kBuf + 16, 4), 0u);  // not before the child runs
  s.kernel().Schedule();
  EXPECT_EQ(s.Read(p, kBuf + 16, 4), static_cast<uint64_t>(pid));
  s.ExpectClean();
}

// --- U1-U21: fault injection at every failure point leaks nothing ---

struct SweepCase {
  std::string_view name;
  uint64_t flags;
};

TEST(FaultSweepTest, EveryFailurePointUnwindsCleanly) {
  const SweepCase cases[] = {
      {"fork", kSigchld},
      {"thread", kCloneVm | kCloneFs | kCloneFiles | kCloneSighand |
                     kCloneThread | kCloneSysvsem | kCloneParentSettid |
                     kCloneChildCleartid},
      {"vm", kCloneVm | kSigchld},
      {"pidfd", kClonePidfd | kSigchld},
      {"namespaces", kCloneNewns | kCloneNewuts | kCloneNewipc | kCloneNewpid |
                         kCloneNewnet | kCloneNewcgroup | kSigchld},
      {"newuser", kCloneNewuser | kCloneNewnet | kSigchld},
  };
  for (const KernelProfile& profile : AllProfiles()) {
    for (Abi abi : kAllAbis) {
      for (const SweepCase& c : cases) {
        int failures = 0;
        for (uint32_t n = 1;; ++n) {
          Sim s(profile, abi);
          Task* p = s.NewProcess();
          s.Write(p, kBuf, 4, 0);
          const size_t tasks = s.machine().tasks.size();
          const size_t files = s.machine().files.size();
          const size_t pids = s.machine().pids.size();
          s.machine().faults.FailNth(n);
          const SyscallOutcome out = Clone(s, p, c.flags, 0, kBuf, kBuf + 64);
          const int64_t r = out.ReturnValue();
          const std::string point = s.machine().faults.injected();
          s.machine().faults.FailNth(0);
          const std::string where = std::string(profile.name) + "/" +
                                    std::string(AbiName(abi)) + "/" +
                                    std::string(c.name) + " fail_nth " +
                                    std::to_string(n) + " at " + point;
          for (const Violation& v : CheckInvariants(s.machine())) {
            ADD_FAILURE() << where << ": " << v.ToString();
          }
          if (point.empty()) {  // the n-th point was never reached: success
            EXPECT_GT(r, 0) << where;
            break;
          }
          if (r > 0) continue;  // a failure that was restarted (S2)
          ++failures;
          EXPECT_LT(r, 0) << where;
          EXPECT_EQ(s.machine().tasks.size(), tasks) << where;
          EXPECT_EQ(s.machine().files.size(), files) << where;
          EXPECT_EQ(s.machine().pids.size(), pids) << where;
          if (c.flags & kClonePidfd) {
            // What the kernel leaves at parent_tidptr: the fd number if the
            // failure came after S27(d), else what was there (0).
            const uint64_t at_ptid = s.Read(p, kBuf, 4);
            EXPECT_TRUE(at_ptid == 0 || at_ptid == 3) << where;
            EXPECT_EQ(FdLookup(*p->files, 3), nullptr) << where;
          }
          ASSERT_LT(n, 200u) << where;
        }
        EXPECT_GT(failures, 10)
            << profile.name << "/" << AbiName(abi) << "/" << c.name;
      }
    }
  }
}

TEST(FaultSweepTest, Clone3EveryFailurePointUnwindsCleanly) {
  // clone3 on the profiles that have it: the struct in the caller's memory,
  // each case's fields, and fail_nth at every point of the entry and of
  // copy_process() in the profile's order.
  struct Clone3Case {
    std::string_view name;
    uint64_t flags;
    bool set_tid;  // set_tid = {1, 900}: a new namespace's init at 900
  };
  const uint64_t thread =
      kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread;
  const Clone3Case cases[] = {
      {"fork+pidfd", kClonePidfd | kCloneParentSettid, false},
      {"thread+pidfd", thread | kClonePidfd | kCloneChildCleartid, false},
      {"vm", kCloneVm, false},
      {"newpid+set_tid", kCloneNewpid | kCloneNewns | kCloneNewnet, true},
      {"clear_sighand+newtime", kCloneClearSighand | kCloneNewtime, false},
      {"into_cgroup+pidfd", kCloneIntoCgroup | kClonePidfd, false},
  };
  constexpr uint64_t kArgsAt = kBuf + 0x1000;
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      for (const Clone3Case& c : cases) {
        // The 5.3 struct knows none of the later flags and fields.
        const uint64_t known =
            profile->clone3_into_cgroup ? ~0ull : 0xffffff7full;
        if ((c.flags & ~known) || (c.set_tid && !profile->clone3_set_tid) ||
            ((c.flags & kCloneThread) && (c.flags & kClonePidfd) &&
             !profile->pidfd_thread)) {
          continue;
        }
        int failures = 0;
        for (uint32_t n = 1;; ++n) {
          Sim s(*profile, abi);
          Task* p = s.NewProcess();
          const bool vm = (c.flags & kCloneVm) != 0;
          s.Write(p, kBuf + 0x100, 4, 1);
          s.Write(p, kBuf + 0x104, 4, 900);
          uint64_t cgroup_fd = 0;
          if (c.flags & kCloneIntoCgroup) {
            ASSERT_TRUE(CgroupMkdir(s.machine(), "/b").ok());
            cgroup_fd = OpenCgroupDir(s.machine(), p,
                                      CgroupLookup(s.machine(), "/b"), false)
                            .value();
          }
          PutCloneArgs(
              p, kArgsAt,
              {{"flags", c.flags},
               {"pidfd", kBuf},
               {"parent_tid", kBuf + 4},
               {"child_tid", kBuf + 8},
               {"exit_signal", (c.flags & kCloneThread) ? 0 : kSigchld},
               {"stack", vm && profile->clone3_stack_check ? kStack : 0},
               {"stack_size", vm && profile->clone3_stack_check ? 0x1000 : 0},
               {"set_tid", c.set_tid ? kBuf + 0x100 : 0},
               {"set_tid_size", c.set_tid ? 2u : 0u},
               {"cgroup", cgroup_fd}});
          const size_t tasks = s.machine().tasks.size();
          const size_t files = s.machine().files.size();
          const size_t pids = s.machine().pids.size();
          s.machine().faults.FailNth(n);
          const int64_t r =
              s.Invoke(p, Sysno::kClone3, {kArgsAt, 88}).ReturnValue();
          const std::string point = s.machine().faults.injected();
          s.machine().faults.FailNth(0);
          const std::string where = std::string(profile->name) + "/" +
                                    std::string(AbiName(abi)) + "/" +
                                    std::string(c.name) + " fail_nth " +
                                    std::to_string(n) + " at " + point;
          for (const Violation& v : CheckInvariants(s.machine())) {
            ADD_FAILURE() << where << ": " << v.ToString();
          }
          if (point.empty()) {
            EXPECT_GT(r, 0) << where;
            if (c.set_tid) {
              EXPECT_EQ(r, 900) << where;
            }
            break;
          }
          if (r > 0) continue;
          ++failures;
          EXPECT_LT(r, 0) << where;
          EXPECT_EQ(s.machine().tasks.size(), tasks) << where;
          EXPECT_EQ(s.machine().files.size(), files) << where;
          EXPECT_EQ(s.machine().pids.size(), pids) << where;
          if (c.flags & kClonePidfd) {
            // The pidfd's number: the lowest free one.
            const int pidfd = (c.flags & kCloneIntoCgroup) ? 4 : 3;
            EXPECT_EQ(FdLookup(*p->files, pidfd), nullptr) << where;
          }
          ASSERT_LT(n, 200u) << where;
        }
        EXPECT_GT(failures, 10)
            << profile->name << "/" << AbiName(abi) << "/" << c.name;
      }
    }
  }
}

}  // namespace
}  // namespace forksim

namespace forksim {
namespace {

// --- which ptrace event _do_fork() reports (lines 2340-2350 [5.2]) ---

TEST(PtraceTest, TheEventFollowsTheFlagsAndTheTracersOptions) {
  Sim s;
  Task* p = s.NewProcess();
  // Traced with PTRACE_O_TRACEFORK only.
  p->ptrace = kPtPtraced | (kPtraceOptTraceFork << kPtOptFlagShift);
  // fork: PTRACE_EVENT_FORK is enabled, so the child is traced too.
  Task* forked = s.TaskByTid(s.Call(p, Sysno::kFork, {}));
  ASSERT_NE(forked, nullptr);
  EXPECT_EQ(forked->ptrace, p->ptrace);
  // An exit signal other than SIGCHLD makes it PTRACE_EVENT_CLONE, which is
  // not enabled: the child is not traced.
  Task* cloned = s.TaskByTid(Clone(s, p, 0));
  ASSERT_NE(cloned, nullptr);
  EXPECT_EQ(cloned->ptrace, 0u);
  // vfork's event is PTRACE_EVENT_VFORK, not enabled either; CLONE_UNTRACED
  // disables the event whatever the options; CLONE_PTRACE asks regardless.
  Task* untraced = s.TaskByTid(Clone(s, p, kCloneUntraced | kSigchld));
  ASSERT_NE(untraced, nullptr);
  EXPECT_EQ(untraced->ptrace, 0u);
  Task* asked = s.TaskByTid(Clone(s, p, kClonePtrace | kCloneUntraced));
  ASSERT_NE(asked, nullptr);
  EXPECT_EQ(asked->ptrace, p->ptrace);
  s.ExpectClean();
}

}  // namespace
}  // namespace forksim

// clone3's entry on the profiles that have it ([5.3] and [6.12]), on all
// three ABIs: the copy of struct clone_args (A1-A11), its validation
// (V1-V5) and what reaches kernel_clone(); and the PIDFD/PARENT_SETTID
// rules of each era (L1, K1). Each test names the rung or the kernel
// function it checks (docs/copy-process.md).

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/abi/layout.h"
#include "model/kernel/cgroup.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/pid.h"
#include "sim/kernel/fork.h"
#include "sim/kernel/open.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

constexpr uint64_t kArgs = kBuf + 0x1000;  // struct clone_args
constexpr uint64_t kOut = kBuf + 0x2000;   // ints the kernel writes

SyscallOutcome Clone3(Sim& s, Task* t, uint64_t size, uint64_t at = kArgs) {
  return s.Invoke(t, Sysno::kClone3, {at, size});
}

// The entry's copy and checks alone, nothing created.
SysResult<KernelCloneArgs> Clone3ArgsOnly(Sim& s, Task* t, uint64_t size) {
  RegisterFile regs(t->abi);
  const AbiInfo& info = AbiInfoFor(t->abi);
  regs.Set(info.nr_reg, FindSyscall(t->abi, Sysno::kClone3)->nr);
  regs.Set(info.arg_regs[0], kArgs);
  regs.Set(info.arg_regs[1], size);
  return Clone3Args(s.kernel(), t, DecodeSyscall(regs).value());
}

// The check events of the last call, as "A2:EINVAL" or "A1:ok".
std::vector<std::string> Checks(Sim& s) {
  std::vector<std::string> out;
  for (const Event& e : s.kernel().events()) {
    if (e.kind != EventKind::kCheck) continue;
    out.push_back(
        std::string(e.step) + ":" +
        (e.error == Errno{} ? "ok" : std::string(ErrnoName(e.error))));
  }
  return out;
}

// --- which profiles have it ---

TEST(Clone3Test, EnosysWhereTheProfileHasNoClone3) {
  for (const KernelProfile* profile : ProfilesWhere(LacksClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      PutCloneArgs(p, kArgs, {{"exit_signal", kSigchld}});
      EXPECT_THAT(Clone3(s, p, 64), ReturnsErrno(Errno::kENOSYS))
          << profile->name << "/" << AbiName(abi);
    }
  }
}

TEST(Clone3Test, AForkLikeCallReturnsTheChild) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      PutCloneArgs(p, kArgs, {{"exit_signal", kSigchld}});
      const SyscallOutcome pid = Clone3(s, p, 64);
      ASSERT_GT(pid.value(), 0) << profile->name << "/" << AbiName(abi);
      Task* child = s.TaskByTid(pid);
      EXPECT_EQ(child->real_parent, p);
      EXPECT_EQ(child->exit_signal, kSigchld);
      s.ExpectClean();
    }
  }
}

// --- A1-A5: the size and the bytes past the kernel's struct ---

TEST(Clone3Test, SizeBoundaries) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      PutCloneArgs(p, kArgs, {{"exit_signal", kSigchld}});
      const std::string where =
          std::string(profile->name) + "/" + std::string(AbiName(abi));
      EXPECT_THAT(Clone3(s, p, 0), ReturnsErrno(Errno::kEINVAL)) << where;
      EXPECT_THAT(Clone3(s, p, 63), ReturnsErrno(Errno::kEINVAL)) << where;
      EXPECT_GT(Clone3(s, p, 64).value(), 0) << where;
      EXPECT_GT(Clone3(s, p, 80).value(), 0) << where;
      EXPECT_GT(Clone3(s, p, 88).value(), 0) << where;
      EXPECT_GT(Clone3(s, p, 4096).value(), 0) << where;  // a zero tail
      // A1 comes before anything is read: even a NULL struct is E2BIG.
      EXPECT_THAT(Clone3(s, p, 4097), ReturnsErrno(Errno::kE2BIG)) << where;
      EXPECT_THAT(Clone3(s, p, 4097, 0), ReturnsErrno(Errno::kE2BIG)) << where;
      EXPECT_THAT(Clone3(s, p, 64, 0), ReturnsErrno(Errno::kEFAULT)) << where;
      s.ExpectClean();
    }
  }
}

TEST(Clone3Test, ANonzeroByteTheKernelDoesNotKnowIsE2big) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    PutCloneArgs(p, kArgs, {{"exit_signal", kSigchld}});
    const uint64_t ksize = profile->clone_args_size;
    // The first byte the kernel does not know, and the last of a page.
    s.Write(p, kArgs + ksize, 1, 1);
    EXPECT_THAT(Clone3(s, p, ksize + 1), ReturnsErrno(Errno::kE2BIG))
        << profile->name;
    EXPECT_GT(Clone3(s, p, ksize).value(), 0) << profile->name;
    s.Write(p, kArgs + ksize, 1, 0);
    s.Write(p, kArgs + 4095, 1, 0x80);
    EXPECT_THAT(Clone3(s, p, 4096), ReturnsErrno(Errno::kE2BIG));
    EXPECT_GT(Clone3(s, p, 4095).value(), 0) << profile->name;
    s.ExpectClean();
  }
}

TEST(Clone3Test, On53TheFieldsOf55And57AreUnknownBytes) {
  // 5.3's struct ends at tls: a set_tid_size of 1 is a nonzero byte past it.
  for (const KernelProfile* profile :
       ProfilesWhere(ReadsClone3TailByteByByte)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    PutCloneArgs(p, kArgs, {{"exit_signal", kSigchld}, {"set_tid_size", 1}});
    EXPECT_THAT(Clone3(s, p, 80), ReturnsErrno(Errno::kE2BIG));
    EXPECT_THAT(Checks(s), testing::Contains("A4:E2BIG"));
  }
}

TEST(Clone3Test, TheTailIsReadInOrderSoTheFirstOfFaultAndNonzeroDecides) {
  // The struct ends a page before an unmapped one: a nonzero byte before
  // the hole is E2BIG; a hole before any nonzero byte is EFAULT.
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      const uint64_t at = kBuf + kBufPages * kPageSize - 128;  // 128 mapped
      PutCloneArgs(p, at, {{"exit_signal", kSigchld}});
      const std::string where =
          std::string(profile->name) + "/" + std::string(AbiName(abi));
      EXPECT_THAT(Clone3(s, p, 256, at), ReturnsErrno(Errno::kEFAULT)) << where;
      s.Write(p, at + 120, 1, 7);
      EXPECT_THAT(Clone3(s, p, 256, at), ReturnsErrno(Errno::kE2BIG)) << where;
      s.ExpectClean();
    }
  }
}

TEST(Clone3Test, The53TailIsOneGetUserPerByteAnd612ReadsWords) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      PutCloneArgs(p, kArgs, {{"exit_signal", kSigchld}});
      UserMemory& memory = *p->mm->memory;
      memory.ResetStats();
      ASSERT_TRUE(Clone3ArgsOnly(s, p, 4096).ok());
      const uint64_t tail = 4096 - profile->clone_args_size;
      const uint64_t word = AbiInfoFor(abi).kernel_long_bits / 8;
      // 5.3: a get_user() per byte, then one copy; 6.12: a word at a time.
      const uint64_t expected = profile->clone3 == Clone3Copy::kTailByteByByte
                                    ? tail + 1
                                    : tail / word + 1;
      EXPECT_EQ(memory.stats().ops, expected)
          << profile->name << "/" << AbiName(abi);
    }
  }
}

TEST(Clone3Test, The53EntryChecksTheWholeRangeFirst) {
  // A3 [5.3]: access_ok(uargs, size) before a byte is read; 6.12 has no A3
  // and faults in the copy instead (A5): both EFAULT, the ladder differs.
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    const uint64_t near_top = AbiInfoFor(Abi::kX86_64).user_addr_limit - 64;
    EXPECT_THAT(Clone3(s, p, 128, near_top), ReturnsErrno(Errno::kEFAULT));
    const std::vector<std::string> checks = Checks(s);
    if (profile->clone3 == Clone3Copy::kTailByteByByte) {
      EXPECT_THAT(checks, testing::Contains("A3:EFAULT"));
    } else {
      EXPECT_THAT(checks, testing::Contains("A4:EFAULT"));
    }
  }
}

// --- A6-A11 [6.12]: set_tid and cgroup ---

TEST(Clone3Test, SetTidAndCgroupChecksInOrder) {
  for (const KernelProfile* profile : ProfilesWhere(CopiesClone3Struct)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      auto call =
          [&](std::initializer_list<std::pair<std::string_view, uint64_t>>
                  fields,
              uint64_t size = 88) {
            PutCloneArgs(p, kArgs, fields);
            return Clone3(s, p, size);
          };
      EXPECT_THAT(call({{"set_tid", kOut}, {"set_tid_size", 33}}),
                  ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(Checks(s).back(), "A6:EINVAL");
      EXPECT_THAT(call({{"set_tid_size", 1}}), ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(Checks(s).back(), "A7:EINVAL");
      EXPECT_THAT(call({{"set_tid", kOut}}), ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(Checks(s).back(), "A8:EINVAL");
      // exit_signal (A9) is checked before the array is copied (A11): an
      // unreadable array with a bad signal is EINVAL, not EFAULT.
      EXPECT_THAT(call({{"set_tid", kUnmapped},
                        {"set_tid_size", 1},
                        {"exit_signal", 65}}),
                  ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(Checks(s).back(), "A9:EINVAL");
      EXPECT_THAT(call({{"set_tid", kUnmapped}, {"set_tid_size", 1}}),
                  ReturnsErrno(Errno::kEFAULT));
      EXPECT_EQ(Checks(s).back(), "A11:EFAULT");
      EXPECT_THAT(
          call({{"flags", kCloneIntoCgroup}, {"cgroup", 0x80000000ull}}),
          ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(Checks(s).back(), "A10:EINVAL");
      EXPECT_THAT(call({{"flags", kCloneIntoCgroup}}, 80),
                  ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(Checks(s).back(), "A10:EINVAL");
      // Without the flag the field is not looked at.
      EXPECT_GT(
          call({{"cgroup", 0x80000000ull}, {"exit_signal", kSigchld}}).value(),
          0);
      // The copy comes before the checks of clone3_args_valid(): bad flags
      // with an unreadable array are EFAULT.
      EXPECT_THAT(call({{"flags", 1ull << 34},
                        {"set_tid", kUnmapped},
                        {"set_tid_size", 1}}),
                  ReturnsErrno(Errno::kEFAULT));
      s.ExpectClean();
    }
  }
}

TEST(Clone3Test, ExitSignalIsValidated) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    for (uint64_t sig : {65ull, 0x111ull, 0x100000011ull}) {
      PutCloneArgs(p, kArgs, {{"exit_signal", sig}});
      EXPECT_THAT(Clone3(s, p, 64), ReturnsErrno(Errno::kEINVAL)) << sig;
    }
    for (uint64_t sig : {0ull, 1ull, 64ull}) {
      PutCloneArgs(p, kArgs, {{"exit_signal", sig}});
      const SyscallOutcome pid = Clone3(s, p, 64);
      ASSERT_GT(pid.value(), 0) << sig;
      EXPECT_EQ(s.TaskByTid(pid)->exit_signal, static_cast<int>(sig));
    }
  }
}

// --- V1-V5: clone3_args_valid() ---

TEST(Clone3Test, ArgsValidRungs) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      const std::string where =
          std::string(profile->name) + "/" + std::string(AbiName(abi));
      auto call = [&](uint64_t flags, uint64_t exit_signal = 0) {
        PutCloneArgs(p, kArgs,
                     {{"flags", flags}, {"exit_signal", exit_signal}});
        return Clone3(s, p, 64);
      };
      const uint64_t thread = kCloneThread | kCloneSighand | kCloneVm;
      EXPECT_THAT(call(1ull << 34), ReturnsErrno(Errno::kEINVAL)) << where;
      EXPECT_EQ(Checks(s).back(), "V1:EINVAL") << where;
      EXPECT_THAT(call(kCloneDetached), ReturnsErrno(Errno::kEINVAL)) << where;
      EXPECT_EQ(Checks(s).back(), "V2:EINVAL") << where;
      EXPECT_THAT(call(kSigchld), ReturnsErrno(Errno::kEINVAL)) << where;
      EXPECT_EQ(Checks(s).back(), "V2:EINVAL") << where;
      EXPECT_THAT(call(thread, kSigchld), ReturnsErrno(Errno::kEINVAL))
          << where;
      EXPECT_EQ(Checks(s).back(), "V4:EINVAL") << where;
      EXPECT_THAT(call(kCloneParent, kSigchld), ReturnsErrno(Errno::kEINVAL))
          << where;
      // CLONE_CLEAR_SIGHAND: unknown to 5.3 (V1), refused with SIGHAND on
      // 6.12 (V3).
      EXPECT_THAT(call(kCloneClearSighand | thread),
                  ReturnsErrno(Errno::kEINVAL))
          << where;
      EXPECT_EQ(Checks(s).back(),
                profile->clear_sighand ? "V3:EINVAL" : "V1:EINVAL")
          << where;
      // CLONE_NEWTIME is a CSIGNAL bit: V2 on 5.3; allowed on 6.12 (as root).
      if (profile->time_namespaces) {
        EXPECT_GT(call(kCloneNewtime, kSigchld).value(), 0) << where;
      } else {
        EXPECT_THAT(call(kCloneNewtime, kSigchld), ReturnsErrno(Errno::kEINVAL))
            << where;
      }
      EXPECT_GT(call(thread).value(), 0) << where;
      s.ExpectClean();
    }
  }
}

TEST(Clone3Test, TheStackRule) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      const std::string where =
          std::string(profile->name) + "/" + std::string(AbiName(abi));
      auto call = [&](uint64_t stack, uint64_t size) {
        PutCloneArgs(p, kArgs,
                     {{"stack", stack},
                      {"stack_size", size},
                      {"exit_signal", kSigchld}});
        return Clone3(s, p, 64);
      };
      if (!profile->clone3_stack_check) {
        // 5.3.0: the stack is the new sp as given; stack_size is unused.
        const SyscallOutcome pid = call(kStack, 0);
        ASSERT_GT(pid.value(), 0) << where;
        EXPECT_EQ(s.TaskByTid(pid)->regs.Get(Reg::kSp), kStack) << where;
        EXPECT_GT(call(0, 0x1000).value(), 0) << where;
        continue;
      }
      EXPECT_THAT(call(kStack, 0), ReturnsErrno(Errno::kEINVAL)) << where;
      EXPECT_EQ(Checks(s).back(), "V5:EINVAL") << where;
      EXPECT_THAT(call(0, 0x1000), ReturnsErrno(Errno::kEINVAL)) << where;
      const SyscallOutcome pid = call(kStack, 0x1000);
      ASSERT_GT(pid.value(), 0) << where;
      // stack += stack_size: the child starts at the top.
      EXPECT_EQ(s.TaskByTid(pid)->regs.Get(Reg::kSp), kStack + 0x1000) << where;
      // A range past the user address limit.
      const uint64_t limit = AbiInfoFor(abi).user_addr_limit;
      EXPECT_THAT(call(limit - 0x1000, 0x1001), ReturnsErrno(Errno::kEINVAL))
          << where;
      s.ExpectClean();
    }
  }
}

TEST(Clone3Test, On612AStackEndingAtTaskSizeMaxIsOnePastUserPtrMax) {
  // v6.12.0's USER_PTR_MAX is TASK_SIZE_MAX - 1 (fixed by 573f45a9f9a4,
  // v6.13 and 6.12.2): a 64-bit kernel refuses a stack ending at
  // TASK_SIZE_MAX; a 32-bit kernel's access_ok() allows it.
  for (const KernelProfile* profile : ProfilesWhere(CopiesClone3Struct)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      const uint64_t limit = AbiInfoFor(abi).user_addr_limit;
      PutCloneArgs(p, kArgs,
                   {{"stack", limit - 0x2000},
                    {"stack_size", 0x2000},
                    {"exit_signal", kSigchld}});
      const SyscallOutcome at_limit = Clone3(s, p, 64);
      PutCloneArgs(p, kArgs,
                   {{"stack", limit - 0x2000},
                    {"stack_size", 0x1fff},
                    {"exit_signal", kSigchld}});
      const SyscallOutcome below = Clone3(s, p, 64);
      EXPECT_GT(below.value(), 0) << AbiName(abi);
      if (AbiInfoFor(abi).kernel_long_bits == 64) {
        EXPECT_THAT(at_limit, ReturnsErrno(Errno::kEINVAL)) << AbiName(abi);
      } else {
        EXPECT_GT(at_limit.value(), 0) << AbiName(abi);
      }
    }
  }
}

TEST(Clone3Test, A32BitKernelKeepsTheLowHalfOfEachPointer) {
  // u64_to_user_ptr() on i386: the upper half of pidfd is dropped, so the
  // number lands at the low address; a 64-bit kernel sees an address past
  // the user range and the put_user() faults (EFAULT from S27).
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      PutCloneArgs(p, kArgs,
                   {{"flags", kClonePidfd},
                    {"pidfd", (1ull << 32) | kOut},
                    {"exit_signal", kSigchld}});
      s.Write(p, kOut, 4, 0xffffffff);
      const SyscallOutcome r = Clone3(s, p, 64);
      if (AbiInfoFor(abi).kernel_long_bits == 32) {
        ASSERT_GT(r.value(), 0) << profile->name;
        EXPECT_EQ(s.Read(p, kOut, 4), 3u) << profile->name;
      } else {
        EXPECT_THAT(r, ReturnsErrno(Errno::kEFAULT))
            << profile->name << "/" << AbiName(abi);
        EXPECT_EQ(s.Read(p, kOut, 4), 0xffffffffu);
      }
      s.ExpectClean();
    }
  }
}

// --- CLONE_PIDFD with CLONE_PARENT_SETTID: L1 [5.3], K1 [6.12] ---

TEST(PidfdParentTidTest, LegacyCloneRefusesBothOnEveryProfile) {
  // C7 [5.2], L1 [5.3], K1 [6.12]: legacy clone has one address for both.
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    EXPECT_THAT(
        Clone(s, p, kClonePidfd | kCloneParentSettid | kSigchld, 0, kOut),
        ReturnsErrno(Errno::kEINVAL))
        << profile.name;
    const std::string rung = Checks(s).back();
    switch (profile.pidfd_parent_tid_check) {
      case PidfdParentTidCheck::kCopyProcess:
        EXPECT_EQ(rung, "C7:EINVAL") << profile.name;
        break;
      case PidfdParentTidCheck::kLegacyEntries:
        EXPECT_EQ(rung, "L1:EINVAL") << profile.name;
        break;
      case PidfdParentTidCheck::kSameAddress:
        EXPECT_EQ(rung, "K1:EINVAL") << profile.name;
        break;
    }
  }
}

TEST(PidfdParentTidTest, Clone3AtOneAddress) {
  // 5.3: no check; the pidfd number is written (S27), then the pid over it
  // (_do_fork()'s PARENT_SETTID). 6.12: K1 refuses one address.
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    PutCloneArgs(p, kArgs,
                 {{"flags", kClonePidfd | kCloneParentSettid},
                  {"pidfd", kOut},
                  {"parent_tid", kOut},
                  {"exit_signal", kSigchld}});
    const SyscallOutcome r = Clone3(s, p, 64);
    if (profile->pidfd_parent_tid_check == PidfdParentTidCheck::kSameAddress) {
      EXPECT_THAT(r, ReturnsErrno(Errno::kEINVAL));
      EXPECT_EQ(FdLookup(*p->files, 3), nullptr);
      continue;
    }
    ASSERT_GT(r.value(), 0);
    EXPECT_EQ(s.Read(p, kOut, 4), static_cast<uint64_t>(r.value()));
    std::vector<uint64_t> writes;
    for (const Event& e : s.kernel().events()) {
      if (e.kind == EventKind::kWrite && e.addr == kOut) {
        writes.push_back(LoadLittleEndian(e.bytes.data(), 4));
      }
    }
    EXPECT_THAT(writes, testing::ElementsAre(3u, r.value()));
    ASSERT_NE(FdLookup(*p->files, 3), nullptr);  // the pidfd lives on
    s.ExpectClean();
  }
}

TEST(PidfdParentTidTest, Clone3AtTwoAddressesWritesBoth) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    PutCloneArgs(p, kArgs,
                 {{"flags", kClonePidfd | kCloneParentSettid},
                  {"pidfd", kOut},
                  {"parent_tid", kOut + 4},
                  {"exit_signal", kSigchld}});
    const SyscallOutcome r = Clone3(s, p, 64);
    ASSERT_GT(r.value(), 0) << profile->name;
    EXPECT_EQ(s.Read(p, kOut, 4), 3u);
    EXPECT_EQ(s.Read(p, kOut + 4, 4), static_cast<uint64_t>(r.value()));
    s.ExpectClean();
  }
}

// --- CLONE_PIDFD with CLONE_THREAD [6.9] ---

TEST(PidfdThreadTest, AThreadsPidfdCarriesPidfdThread) {
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    const SyscallOutcome r = Clone(
        s, p, kClonePidfd | kCloneThread | kCloneSighand | kCloneVm, 0, kOut);
    if (!profile.pidfd_thread) {
      EXPECT_THAT(r, ReturnsErrno(Errno::kEINVAL)) << profile.name;
      continue;
    }
    ASSERT_GT(r.value(), 0) << profile.name;
    File* pidfd = FdLookup(*p->files, 3);
    ASSERT_NE(pidfd, nullptr);
    EXPECT_EQ(pidfd->f_flags, kORdwr | kPidfdThread);
    EXPECT_EQ(s.Read(p, kOut, 4), 3u);
    // A process's pidfd has no PIDFD_THREAD.
    const SyscallOutcome q = Clone(s, p, kClonePidfd | kSigchld, 0, kOut);
    ASSERT_GT(q.value(), 0);
    EXPECT_EQ(FdLookup(*p->files, 4)->f_flags, kORdwr);
    s.ExpectClean();
  }
}

// --- legacy clone's flags above bit 31 ---

TEST(LegacyFlagsTest, Lower32BitsWhereTheProfileCutsThem) {
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    RegisterFile regs = p->regs;
    const AbiInfo& info = AbiInfoFor(Abi::kX86_64);
    regs.Set(info.nr_reg, 56);
    regs.Set(info.arg_regs[0], kCloneClearSighand | kSigchld);
    const DecodedSyscall d = DecodeSyscall(regs).value();
    const KernelCloneArgs args = LegacyCloneArgs(profile, Abi::kX86_64, d);
    EXPECT_EQ(args.flags,
              profile.legacy_flags_lower_32 ? 0 : kCloneClearSighand)
        << profile.name;
    EXPECT_EQ(args.exit_signal, kSigchld);
  }
}

// --- set_tid in alloc_pid() [6.12] (S26) ---

bool HasSetTid(const KernelProfile& p) { return p.clone3_set_tid; }

// clone3 with `flags` and set_tid[] = `tids`.
SyscallOutcome CloneWithSetTid(Sim& s, Task* t, uint64_t flags,
                               std::initializer_list<int32_t> tids) {
  uint64_t at = kOut + 0x100;
  for (int32_t tid : tids) {
    s.Write(t, at, 4, static_cast<uint32_t>(tid));
    at += 4;
  }
  PutCloneArgs(t, kArgs,
               {{"flags", flags},
                {"exit_signal", kSigchld},
                {"set_tid", tids.size() ? kOut + 0x100 : 0},
                {"set_tid_size", tids.size()}});
  return Clone3(s, t, 88);
}

TEST(SetTidTest, ChoosesTheNumberInTheCallersNamespace) {
  for (const KernelProfile* profile : ProfilesWhere(HasSetTid)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();  // pid 3
      const SyscallOutcome pid = CloneWithSetTid(s, p, 0, {1000});
      ASSERT_EQ(pid.value(), 1000) << AbiName(abi);
      EXPECT_EQ(s.TaskByTid(pid)->real_parent, p);
      // idr_alloc(), not idr_alloc_cyclic(): the cursor did not move.
      EXPECT_EQ(Clone(s, p, kSigchld).value(), 4);
      EXPECT_THAT(CloneWithSetTid(s, p, 0, {1000}),
                  ReturnsErrno(Errno::kEEXIST));
      EXPECT_THAT(CloneWithSetTid(s, p, 0, {3}), ReturnsErrno(Errno::kEEXIST));
      s.ExpectClean();
    }
  }
}

TEST(SetTidTest, EachLevelsErrno) {
  for (const KernelProfile* profile : ProfilesWhere(HasSetTid)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    const int pid_max = s.machine().sysctls.pid_max;
    // More numbers than levels: before anything is allocated.
    EXPECT_THAT(CloneWithSetTid(s, p, 0, {1000, 1001}),
                ReturnsErrno(Errno::kEINVAL));
    EXPECT_THAT(CloneWithSetTid(s, p, 0, {0}), ReturnsErrno(Errno::kEINVAL));
    EXPECT_THAT(CloneWithSetTid(s, p, 0, {-1}), ReturnsErrno(Errno::kEINVAL));
    EXPECT_THAT(CloneWithSetTid(s, p, 0, {pid_max}),
                ReturnsErrno(Errno::kEINVAL));
    EXPECT_EQ(CloneWithSetTid(s, p, 0, {pid_max - 1}).value(), pid_max - 1);
    // A new pid namespace has no init yet: only 1 is allowed there.
    EXPECT_THAT(CloneWithSetTid(s, p, kCloneNewpid, {5}),
                ReturnsErrno(Errno::kEINVAL));
    const SyscallOutcome init = CloneWithSetTid(s, p, kCloneNewpid, {1, 2000});
    ASSERT_EQ(init.value(), 2000);
    Task* ns_init = s.TaskByTid(init);
    EXPECT_EQ(TaskPidVnr(ns_init, ns_init).value, 1);
    s.ExpectClean();
  }
}

TEST(SetTidTest, NeedsCapSysAdminOrCheckpointRestoreOverEachLevel) {
  for (const KernelProfile* profile : ProfilesWhere(HasSetTid)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    s.MakeUnprivileged(p, 1000);
    EXPECT_THAT(CloneWithSetTid(s, p, 0, {1000}), ReturnsErrno(Errno::kEPERM));
    // CAP_CHECKPOINT_RESTORE alone is enough.
    Task* q = s.NewProcess();
    s.MakeUnprivileged(q, 1001);
    Cred* cred = PrepareCreds(s.machine(), q->cred).value();
    cred->caps.effective = uint64_t{1} << kCapCheckpointRestore;
    CommitCreds(s.machine(), q, cred);
    EXPECT_EQ(CloneWithSetTid(s, q, 0, {1500}).value(), 1500);
    // In its own user namespace the caller owns the new pid namespace's
    // level, not the initial one: {1} works, {1, N} is EPERM at level 0.
    EXPECT_GT(CloneWithSetTid(s, p, kCloneNewuser | kCloneNewpid, {1}).value(),
              0);
    EXPECT_THAT(CloneWithSetTid(s, p, kCloneNewuser | kCloneNewpid, {1, 3000}),
                ReturnsErrno(Errno::kEPERM));
    s.ExpectClean();
  }
}

TEST(SetTidTest, AFailedFirstProcessLeavesTheNamespaceReadyForPid1) {
  // The inner level's 1 is taken, the outer one is in use: EEXIST, the 1 is
  // given back, and the cursor of a namespace that never had a process is
  // reset (alloc_pid()'s out_free).
  for (const KernelProfile* profile : ProfilesWhere(HasSetTid)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    EXPECT_THAT(CloneWithSetTid(s, p, kCloneNewpid, {1, 3}),
                ReturnsErrno(Errno::kEEXIST));
    s.ExpectClean();
  }
}

TEST(SetTidTest, AnInitMadeWithSetTidLeavesTheCursorAtZero) {
  for (const KernelProfile* profile : ProfilesWhere(HasSetTid)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    const SyscallOutcome r = CloneWithSetTid(s, p, kCloneNewpid, {1});
    ASSERT_GT(r.value(), 0);
    Task* ns_init = s.TaskByTid(r);
    PidNamespace* ns = TaskActivePidNs(ns_init);
    EXPECT_EQ(NsLastPid(ns), -1);  // /proc/sys/kernel/ns_last_pid reads -1
    // The next fork there is 2: 1 is taken, the cyclic search starts at 1.
    const SyscallOutcome second = Clone(s, ns_init, kSigchld);
    EXPECT_EQ(second.value(), 2);
    s.ExpectClean();
  }
}

// --- CLONE_CLEAR_SIGHAND [6.12] (S19) ---

TEST(ClearSighandTest, HandlersBecomeDefaultIgnoredStayIgnored) {
  for (const KernelProfile* profile : ProfilesWhere(HasClone3)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    SetHandler(p, kSigusr1, kHandler, 0x04000000 /* SA_RESTORER */);
    SetHandler(p, kSigusr2, kSigIgn, 0x10000000 /* SA_RESTART */);
    SetHandler(p, kSigchld, kSigDfl, 1 /* SA_NOCLDSTOP */);
    PutCloneArgs(p, kArgs,
                 {{"flags", kCloneClearSighand}, {"exit_signal", kSigchld}});
    const SyscallOutcome r = Clone3(s, p, 64);
    if (!profile->clear_sighand) {
      EXPECT_THAT(r, ReturnsErrno(Errno::kEINVAL));  // V1: unknown
      continue;
    }
    ASSERT_GT(r.value(), 0);
    const Sighand* child = s.TaskByTid(r)->sighand;
    EXPECT_EQ(child->action[kSigusr1 - 1].handler, kSigDfl);
    EXPECT_EQ(child->action[kSigusr2 - 1].handler, kSigIgn);
    for (const SigAction& action : child->action) {
      EXPECT_EQ(action.flags, 0u);
      EXPECT_EQ(action.mask, 0u);
    }
    // The parent's are its own, untouched.
    EXPECT_EQ(p->sighand->action[kSigusr1 - 1].handler, kHandler);
    EXPECT_EQ(p->sighand->action[kSigchld - 1].flags, 1u);
    s.ExpectClean();
  }
}

TEST(ClearSighandTest, LegacyCloneCannotReachIt) {
  // Bit 32 of legacy clone's flags: cut by lower_32_bits() on 6.12, and
  // unknown to 5.2 and 5.3, whose copy_sighand() never tests it.
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    SetHandler(p, kSigusr1, kHandler);
    const SyscallOutcome r = Clone(s, p, kCloneClearSighand | kSigchld);
    ASSERT_GT(r.value(), 0) << profile.name;
    EXPECT_EQ(s.TaskByTid(r)->sighand->action[kSigusr1 - 1].handler, kHandler)
        << profile.name;
  }
}

// --- CLONE_NEWTIME [6.12] (S22) ---

bool HasTimeNamespaces(const KernelProfile& p) { return p.time_namespaces; }

SyscallOutcome Clone3Flags(Sim& s, Task* t, uint64_t flags,
                           uint64_t exit_signal = kSigchld) {
  PutCloneArgs(t, kArgs,
               {{"flags", flags},
                {"exit_signal", exit_signal},
                {"stack", (flags & kCloneVm) ? kStack : 0},
                {"stack_size", (flags & kCloneVm) ? 0x1000 : 0}});
  return Clone3(s, t, 64);
}

TEST(TimeNamespaceTest, OnlyKernelsWithThemHaveThem) {
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    EXPECT_EQ(s.init()->nsproxy->time != nullptr, profile.time_namespaces)
        << profile.name;
  }
}

TEST(TimeNamespaceTest, AChildWithoutCloneVmEntersTheNewOne) {
  for (const KernelProfile* profile : ProfilesWhere(HasTimeNamespaces)) {
    for (Abi abi : kAllAbis) {
      Sim s(*profile, abi);
      Task* p = s.NewProcess();
      const SyscallOutcome r = Clone3Flags(s, p, kCloneNewtime);
      ASSERT_GT(r.value(), 0) << AbiName(abi);
      const NsProxy* child = s.TaskByTid(r)->nsproxy;
      EXPECT_NE(child->time, p->nsproxy->time);
      EXPECT_EQ(child->time, child->time_for_children);
      EXPECT_EQ(child->mnt, p->nsproxy->mnt);  // only the time namespace
      s.ExpectClean();
    }
  }
}

TEST(TimeNamespaceTest, WithCloneVmTheChildStaysUntilExec) {
  for (const KernelProfile* profile : ProfilesWhere(HasTimeNamespaces)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    const SyscallOutcome r = Clone3Flags(s, p, kCloneNewtime | kCloneVm);
    ASSERT_GT(r.value(), 0);
    Task* child = s.TaskByTid(r);
    EXPECT_EQ(child->nsproxy->time, p->nsproxy->time);
    EXPECT_NE(child->nsproxy->time_for_children, p->nsproxy->time);
    const Namespace* for_children = child->nsproxy->time_for_children;
    // A fork of a task whose children's namespace differs from its own gets
    // its own nsproxy, without a new-namespace flag and without the
    // CAP_SYS_ADMIN check, and enters that namespace.
    s.MakeUnprivileged(child, 1000);
    const SyscallOutcome g = Clone(s, child, kSigchld);
    ASSERT_GT(g.value(), 0);
    const NsProxy* grandchild = s.TaskByTid(g)->nsproxy;
    EXPECT_NE(grandchild, child->nsproxy);
    EXPECT_EQ(grandchild->time, for_children);
    // exec_task_namespaces(): the exec enters it too.
    EXPECT_EQ(s.Call(child, Sysno::kExecve, {0, 0, 0}).value(), 0);
    EXPECT_EQ(child->nsproxy->time, for_children);
    s.ExpectClean();
  }
}

TEST(TimeNamespaceTest, ErrnosOfCopyNamespaces) {
  for (const KernelProfile* profile : ProfilesWhere(HasTimeNamespaces)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    s.MakeUnprivileged(p, 1000);
    EXPECT_THAT(Clone3Flags(s, p, kCloneNewtime), ReturnsErrno(Errno::kEPERM));
    Task* q = s.NewProcess();
    ASSERT_TRUE(s.machine().SetUcountMax(kUcountTimeNamespaces, 0).ok());
    EXPECT_THAT(Clone3Flags(s, q, kCloneNewtime), ReturnsErrno(Errno::kENOSPC));
    s.ExpectClean();
  }
}

TEST(TimeNamespaceTest, LegacyCloneCannotAskForOne) {
  // 0x80 in legacy clone's flags is the exit signal, 128, unvalidated.
  for (const KernelProfile* profile : ProfilesWhere(HasTimeNamespaces)) {
    Sim s(*profile);
    Task* p = s.NewProcess();
    const SyscallOutcome r = Clone(s, p, kCloneNewtime);
    ASSERT_GT(r.value(), 0);
    Task* child = s.TaskByTid(r);
    EXPECT_EQ(child->exit_signal, 128);
    EXPECT_EQ(child->nsproxy, p->nsproxy);
  }
}

// --- CLONE_INTO_CGROUP [6.12] (S32: G1-G8, S42) ---

bool HasIntoCgroup(const KernelProfile& p) { return p.clone3_into_cgroup; }

class IntoCgroupTest : public testing::Test {
 protected:
  // The caller p in /a; /b beside it.
  void SetUp() override {
    ASSERT_TRUE(CgroupMkdir(s_.machine(), "/a").ok());
    ASSERT_TRUE(CgroupMkdir(s_.machine(), "/b").ok());
    p_ = s_.NewProcess();
    CgroupAttach(s_.machine(), p_, CgroupLookup(s_.machine(), "/a"));
  }
  int Open(std::string_view path, bool o_path = false) {
    return OpenCgroupDir(s_.machine(), p_, CgroupLookup(s_.machine(), path),
                         o_path)
        .value();
  }
  SyscallOutcome Into(int fd, uint64_t flags = 0) {
    PutCloneArgs(p_, kArgs,
                 {{"flags", flags | kCloneIntoCgroup},
                  {"pidfd", kOut},
                  {"exit_signal", (flags & kCloneThread) ? 0 : kSigchld},
                  {"cgroup", static_cast<uint64_t>(fd)}});
    return Clone3(s_, p_, 88);
  }
  std::string LastCheck() { return Checks(s_).back(); }

  Sim s_{FirstProfileWhere(HasIntoCgroup)};
  Task* p_ = nullptr;
};

TEST_F(IntoCgroupTest, TheChildStartsInTheTargetTheParentStays) {
  const int fd = Open("/b");
  const SyscallOutcome r = Into(fd);
  ASSERT_GT(r.value(), 0);
  EXPECT_EQ(s_.TaskByTid(r)->cgroup->path, "/b");
  EXPECT_EQ(p_->cgroup->path, "/a");
  // Without the flag, the caller's cgroup.
  const SyscallOutcome plain = Clone(s_, p_, kSigchld);
  EXPECT_EQ(s_.TaskByTid(plain)->cgroup->path, "/a");
  // An O_PATH fd will do (fget_raw()).
  EXPECT_GT(Into(Open("/b", /*o_path=*/true)).value(), 0);
  s_.ExpectClean();
}

TEST_F(IntoCgroupTest, TheFdMustBeAnOpenCgroupDirectory) {
  EXPECT_THAT(Into(99), ReturnsErrno(Errno::kEBADF));
  EXPECT_EQ(LastCheck(), "G1:EBADF");
  const int regular =
      OpenFile(s_.machine(), p_, "/etc/hostname", false).value();
  EXPECT_THAT(Into(regular), ReturnsErrno(Errno::kEBADF));
  EXPECT_EQ(LastCheck(), "G2:EBADF");
  // A removed cgroup: ENOENT, also once one of that name exists again.
  const int fd = Open("/b");
  ASSERT_TRUE(CgroupRmdir(s_.machine(), "/b").ok());
  EXPECT_THAT(Into(fd), ReturnsErrno(Errno::kENOENT));
  EXPECT_EQ(LastCheck(), "G3:ENOENT");
  ASSERT_TRUE(CgroupMkdir(s_.machine(), "/b").ok());
  EXPECT_THAT(Into(fd), ReturnsErrno(Errno::kENOENT));
  s_.ExpectClean();
}

TEST_F(IntoCgroupTest, AFailureComesAfterThePidfdWasWrittenAndGivesItBack) {
  // S27 before S32: the number is in the caller's memory, the fd is free.
  s_.Write(p_, kOut, 4, 0xffffffff);
  EXPECT_THAT(Into(99, kClonePidfd), ReturnsErrno(Errno::kEBADF));
  EXPECT_EQ(s_.Read(p_, kOut, 4), 3u);
  EXPECT_EQ(FdLookup(*p_->files, 3), nullptr);
  // A bad pidfd pointer fails first: EFAULT.
  PutCloneArgs(p_, kArgs,
               {{"flags", kClonePidfd | kCloneIntoCgroup},
                {"pidfd", kUnmapped},
                {"exit_signal", kSigchld},
                {"cgroup", 99}});
  EXPECT_THAT(Clone3(s_, p_, 88), ReturnsErrno(Errno::kEFAULT));
  s_.ExpectClean();
}

TEST_F(IntoCgroupTest, PermissionOnTheTargetAndTheCommonAncestor) {
  const int fd = Open("/b");
  s_.MakeUnprivileged(p_, 1000);
  EXPECT_THAT(Into(fd), ReturnsErrno(Errno::kEACCES));
  EXPECT_EQ(LastCheck(), "G4:EACCES");
  // The target delegated, but the common ancestor (/) is not writable.
  ASSERT_TRUE(CgroupMkdir(s_.machine(), "/d").ok());
  ASSERT_TRUE(CgroupMkdir(s_.machine(), "/d/x").ok());
  ASSERT_TRUE(CgroupMkdir(s_.machine(), "/d/y").ok());
  CgroupLookup(s_.machine(), "/b")->procs_uid = 1000;
  EXPECT_THAT(Into(fd), ReturnsErrno(Errno::kEACCES));
  EXPECT_EQ(LastCheck(), "G5:EACCES");
  // Inside a delegated subtree both are writable.
  CgroupAttach(s_.machine(), p_, CgroupLookup(s_.machine(), "/d/x"));
  CgroupLookup(s_.machine(), "/d")->procs_uid = 1000;
  CgroupLookup(s_.machine(), "/d/y")->procs_uid = 1000;
  EXPECT_GT(Into(Open("/d/y")).value(), 0);
  // Even the caller's own cgroup needs write permission.
  EXPECT_THAT(Into(Open("/d/x")), ReturnsErrno(Errno::kEACCES));
  s_.ExpectClean();
}

TEST_F(IntoCgroupTest, NoInternalProcessesAndThreadDomains) {
  Machine& m = s_.machine();
  // /b with a domain controller on: EBUSY; the root is exempt.
  CgroupLookup(m, "/")->subtree_control = {"hugetlb"};
  CgroupLookup(m, "/b")->subtree_control = {"hugetlb"};
  EXPECT_THAT(Into(Open("/b")), ReturnsErrno(Errno::kEBUSY));
  EXPECT_EQ(LastCheck(), "G7:EBUSY");
  EXPECT_GT(Into(Open("/")).value(), 0);
  // Only threaded controllers: /b may become a thread root.
  CgroupLookup(m, "/b")->subtree_control = {"pids"};
  EXPECT_GT(Into(Open("/b")).value(), 0);
  // /a/t threaded makes /a a thread root and /a/d a domain under it:
  // invalid for a process and a thread alike.
  ASSERT_TRUE(CgroupMkdir(m, "/a/t").ok());
  ASSERT_TRUE(CgroupMkdir(m, "/a/d").ok());
  CgroupLookup(m, "/a/t")->threaded = true;
  EXPECT_THAT(Into(Open("/a/d")), ReturnsErrno(Errno::kEOPNOTSUPP));
  EXPECT_EQ(LastCheck(), "G6:EOPNOTSUPP");
  // A thread may go into a threaded cgroup of its own domain, not into
  // another domain.
  const uint64_t thread = kCloneVm | kCloneSighand | kCloneThread;
  EXPECT_GT(Into(Open("/a/t"), thread).value(), 0);
  EXPECT_THAT(Into(Open("/b"), thread), ReturnsErrno(Errno::kEOPNOTSUPP));
  EXPECT_EQ(LastCheck(), "G8:EOPNOTSUPP");
  // A process may go into a threaded cgroup from anywhere.
  EXPECT_GT(Into(Open("/a/t")).value(), 0);
  s_.ExpectClean();
}

TEST_F(IntoCgroupTest, AChildKeepsItsCgroupUntilReaped) {
  const SyscallOutcome r = Into(Open("/b"));
  ASSERT_GT(r.value(), 0);
  Task* child = s_.TaskByTid(r);
  EXPECT_FALSE(CgroupRmdir(s_.machine(), "/b").ok());  // populated: EBUSY
  Exit(s_, child, 0);
  // A zombie no longer populates it, but still holds its reference.
  EXPECT_TRUE(CgroupRmdir(s_.machine(), "/b").ok());
  s_.ExpectClean();
  EXPECT_GT(Wait4(s_, p_, -1, 0, 0).value(), 0);
  s_.ExpectClean();
}

TEST(IntoCgroupProfileTest, OnlyClone3OnKernelsThatHaveIt) {
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    const int fd =
        OpenCgroupDir(s.machine(), p, s.machine().cgroup_root, false).value();
    if (profile.clone3 != Clone3Copy::kNone) {
      PutCloneArgs(p, kArgs,
                   {{"flags", kCloneIntoCgroup},
                    {"exit_signal", kSigchld},
                    {"cgroup", static_cast<uint64_t>(fd)}});
      const SyscallOutcome r = Clone3(s, p, 88);
      if (profile.clone3_into_cgroup) {
        EXPECT_GT(r.value(), 0);
      } else {
        // 5.3: the cgroup field is an unknown nonzero byte (A4), and the
        // flag an unknown bit (V1).
        EXPECT_THAT(r, ReturnsErrno(Errno::kE2BIG)) << profile.name;
        EXPECT_THAT(Clone3(s, p, 64), ReturnsErrno(Errno::kEINVAL))
            << profile.name;
      }
    }
    // Legacy clone cannot reach bit 33 (cut, or unknown and untested).
    EXPECT_GT(Clone(s, p, kCloneIntoCgroup | kSigchld).value(), 0)
        << profile.name;
    s.ExpectClean();
  }
}

}  // namespace
}  // namespace forksim

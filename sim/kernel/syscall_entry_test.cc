// Register decoding per ABI (arch/x86/include/asm/syscall_wrapper.h [5.2]),
// return-value encoding and ENOSYS.

#include "sim/kernel/syscall_entry.h"

#include "gtest/gtest.h"

namespace forksim {
namespace {

RegisterFile Regs(Abi abi, uint64_t nr, std::initializer_list<uint64_t> args) {
  RegisterFile regs(abi);
  const AbiInfo& info = AbiInfoFor(abi);
  regs.Set(info.nr_reg, nr);
  int i = 0;
  for (uint64_t arg : args) regs.Set(info.arg_regs[i++], arg);
  return regs;
}

TEST(DecodeTest, X86_64UnsignedIntKeepsTheLow32Bits) {
  // clone6's flags1 is unsigned int: rsi = 0xffffffff00001000 reaches the
  // kernel as 0x1000 (__se_sys cast).
  SysResult<DecodedSyscall> d =
      DecodeSyscall(Regs(Abi::kX86_64, 436, {0x10000, 0xffffffff00001000}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().signature->name, "clone6");
  EXPECT_EQ(d.value().arg(1), 0x1000u);
  EXPECT_TRUE(d.value().args[1].truncated);
  EXPECT_FALSE(d.value().args[0].truncated);
}

TEST(DecodeTest, X86_64UnsignedLongKeepsAll64Bits) {
  // Legacy clone's flags are unsigned long: the upper half arrives
  // (kernel/fork.c:SYSCALL_DEFINE5(clone) [5.2]).
  SysResult<DecodedSyscall> d =
      DecodeSyscall(Regs(Abi::kX86_64, 56, {0xffffffff00000011}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().signature->name, "clone");
  EXPECT_EQ(d.value().arg(0), 0xffffffff00000011u);
  EXPECT_FALSE(d.value().args[0].truncated);
}

TEST(DecodeTest, X86_64IntIsReadSigned) {
  // wait4(-1, ...): edi = 0xffffffff is int -1, even with garbage above it.
  SysResult<DecodedSyscall> d =
      DecodeSyscall(Regs(Abi::kX86_64, 61, {0x12345678ffffffff}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(static_cast<int64_t>(d.value().arg(0)), -1);
  EXPECT_TRUE(d.value().args[0].truncated);
}

TEST(DecodeTest, Ia32ZeroExtendsEveryRegister) {
  // ia32 clone (CLONE_BACKWARDS): ebx flags, ecx newsp, edx ptid, esi tls,
  // edi ctid; unsigned long parameters are the zero-extended 32-bit values.
  SysResult<DecodedSyscall> d = DecodeSyscall(
      Regs(Abi::kIa32, 120, {0x80000011, 0xfffff000, 0x1000, 0x2000, 0x3000}));
  ASSERT_TRUE(d.ok());
  const DecodedSyscall& s = d.value();
  EXPECT_EQ(s.signature->entry, "__ia32_compat_sys_x86_clone");
  EXPECT_EQ(s.arg(0), 0x80000011u);  // not sign-extended
  EXPECT_EQ(s.arg(1), 0xfffff000u);
  EXPECT_EQ(s.signature->params[3].name, "tls");
  EXPECT_EQ(s.arg(3), 0x2000u);
  EXPECT_EQ(s.signature->params[4].name, "child_tidptr");
  EXPECT_EQ(s.arg(4), 0x3000u);
}

TEST(DecodeTest, Ia32RegistersHaveNoUpperHalf) {
  RegisterFile regs(Abi::kIa32);
  regs.Set(Reg::kBx, 0xdeadbeef00000001);
  EXPECT_EQ(regs.Get(Reg::kBx), 1u);
}

TEST(DecodeTest, I386IntIsSignedLongIs32Bits) {
  SysResult<DecodedSyscall> d =
      DecodeSyscall(Regs(Abi::kI386, 114, {0xffffffff, 0, 0xfffffffe}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().signature->name, "wait4");
  EXPECT_EQ(static_cast<int64_t>(d.value().arg(0)), -1);
  EXPECT_EQ(static_cast<int64_t>(d.value().arg(2)), -2);
  SysResult<DecodedSyscall> clone =
      DecodeSyscall(Regs(Abi::kI386, 120, {0xffffffff}));
  ASSERT_TRUE(clone.ok());
  EXPECT_EQ(clone.value().arg(0), 0xffffffffu);  // unsigned long, 32 bits
}

TEST(DecodeTest, CloneArgumentOrderPerAbi) {
  // x86-64: flags, newsp, parent_tidptr, child_tidptr, tls.
  const SyscallSignature* x = FindSyscall(Abi::kX86_64, Sysno::kClone);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->params[3].name, "child_tidptr");
  EXPECT_EQ(x->params[4].name, "tls");
  // i386 and ia32: CLONE_BACKWARDS, tls before child_tidptr.
  for (Abi abi : {Abi::kIa32, Abi::kI386}) {
    const SyscallSignature* s = FindSyscall(abi, Sysno::kClone);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->nr, 120u);
    EXPECT_EQ(s->params[3].name, "tls");
    EXPECT_EQ(s->params[4].name, "child_tidptr");
  }
}

TEST(DecodeTest, UnknownNumberIsEnosys) {
  EXPECT_EQ(DecodeSyscall(Regs(Abi::kX86_64, 999, {})).error(), Errno::kENOSYS);
  EXPECT_EQ(DecodeSyscall(Regs(Abi::kIa32, 56, {})).error(), Errno::kENOSYS);
  // x86-64 compares the whole rax: a number with upper bits set is unknown.
  EXPECT_EQ(DecodeSyscall(Regs(Abi::kX86_64, (1ull << 32) | 57, {})).error(),
            Errno::kENOSYS);
}

TEST(EncodeReturnTest, NegativeErrnoIsBitExactPerAbi) {
  RegisterFile x86_64(Abi::kX86_64);
  EncodeReturn(Errno::kEINVAL, x86_64);
  EXPECT_EQ(x86_64.Get(Reg::kAx), 0xffffffffffffffeau);
  for (Abi abi : {Abi::kIa32, Abi::kI386}) {
    RegisterFile regs(abi);
    EncodeReturn(Errno::kEINVAL, regs);
    EXPECT_EQ(regs.Get(Reg::kAx), 0xffffffeau) << AbiName(abi);
    EncodeReturn(Errno::kENOSYS, regs);
    EXPECT_EQ(regs.Get(Reg::kAx), 0xffffffdau) << AbiName(abi);
  }
  EncodeReturn(int64_t{4242}, x86_64);
  EXPECT_EQ(x86_64.Get(Reg::kAx), 4242u);
}

TEST(SyscallOutcomeTest, StatesAndText) {
  EXPECT_EQ(SyscallOutcome(int64_t{5}).ReturnValue(), 5);
  EXPECT_EQ(SyscallOutcome(Errno::kEFAULT).ReturnValue(), -14);
  EXPECT_EQ(ResultText(Errno::kEINVAL), "-1 EINVAL (Invalid argument)");
  EXPECT_EQ(ResultText(int64_t{7}), "7");
  EXPECT_EQ(ResultText(SyscallOutcome::Exited()), "?");
  EXPECT_TRUE(SyscallOutcome::Blocked().blocked());
  EXPECT_TRUE(SyscallOutcome::Blocked().ok());
  EXPECT_EQ(OutcomeFromReturnValue(-22), SyscallOutcome(Errno::kEINVAL));
  EXPECT_EQ(OutcomeFromReturnValue(-4096).value(), -4096);
}

TEST(ErrnoTest, NamesAndValuesStayDistinct) {
  EXPECT_EQ(ErrnoValue(Errno::kEINVAL), 22);
  EXPECT_EQ(ErrnoValue(Errno::kE2BIG), 7);
  EXPECT_EQ(ErrnoValue(Errno::kEFAULT), 14);
  EXPECT_EQ(ErrnoName(Errno::kE2BIG), "E2BIG");
  EXPECT_EQ(ErrnoMessage(Errno::kEFAULT), "Bad address");
  Errno e;
  ASSERT_TRUE(ErrnoFromName("EMFILE", &e));
  EXPECT_EQ(e, Errno::kEMFILE);
  EXPECT_FALSE(ErrnoFromName("EWHAT", &e));
}

}  // namespace
}  // namespace forksim

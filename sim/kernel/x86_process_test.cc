// copy_thread_tls() per ABI: arch/x86/kernel/process_64.c and process_32.c
// [5.2] for the child's registers and CLONE_SETTLS, and
// arch/x86/kernel/tls.c:do_set_thread_area() [5.2] for a struct user_desc
// (sim/kernel/x86_process.cc, x86_tls.cc).

#include <cstdint>

#include "gtest/gtest.h"
#include "model/abi/layout.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

TEST(TlsTest, X86_64FsBase) {
  Sim s;
  Task* p = s.NewProcess();
  Task* c = s.TaskByTid(
      Clone(s, p, kCloneSettls | kSigchld, 0, 0, 0, 0x7f0000001000));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tls.fsbase, 0x7f0000001000u);
  EXPECT_EQ(c->tls.fsindex, 0u);
  // TASK_SIZE_MAX and above: EPERM.
  EXPECT_THAT(Clone(s, p, kCloneSettls | kSigchld, 0, 0, 0, 0x7ffffffff000),
              ReturnsErrno(Errno::kEPERM));
  s.ExpectClean();
}

TEST(TlsTest, SavedBasesWithASelector) {
  // A caller whose fs and gs selectors are nonzero: [5.2]'s
  // copy_thread_tls() zeroes the child's saved bases (the descriptor
  // decides); [6.12]'s copy_thread() keeps them as current_save_fsgs()
  // left them. (A white-box set-up: the model has no arch_prctl.)
  for (const KernelProfile& profile : AllProfiles()) {
    Sim s(profile);
    Task* p = s.NewProcess();
    p->tls.fsindex = 0x63;
    p->tls.fsbase = 0x7f0000002000;
    p->tls.gsindex = 0x6b;
    p->tls.gsbase = 0x7f0000003000;
    Task* c = s.TaskByTid(Clone(s, p, kSigchld));
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->tls.fsindex, 0x63u);
    EXPECT_EQ(c->tls.gsindex, 0x6bu);
    if (profile.copy_thread_keeps_fsgs_bases) {
      EXPECT_EQ(c->tls.fsbase, 0x7f0000002000u) << profile.name;
      EXPECT_EQ(c->tls.gsbase, 0x7f0000003000u) << profile.name;
    } else {
      EXPECT_EQ(c->tls.fsbase, 0u) << profile.name;
      EXPECT_EQ(c->tls.gsbase, 0u) << profile.name;
    }
  }
}

TEST(TlsTest, UserDescOn32BitAbis) {
  for (Abi abi : {Abi::kIa32, Abi::kI386}) {
    Sim s(abi);
    Task* p = s.NewProcess();
    const AbiInfo& info = AbiInfoFor(abi);
    auto put_desc = [&](uint32_t entry, uint32_t seg_32bit, uint32_t contents) {
      StructValue v(LayoutFor(StructId::kUserDesc, abi));
      v.Set("entry_number", entry);
      v.Set("base_addr", 0xf7d8db40);
      v.Set("limit", 0xfffff);
      v.Set("seg_32bit", seg_32bit);
      v.Set("contents", contents);
      v.Set("limit_in_pages", 1);
      v.Set("useable", 1);
      ASSERT_TRUE(p->mm->memory->Poke(kBuf, EncodeStruct(v)).ok());
    };
    const uint64_t flags = kCloneSettls | kSigchld;
    // An unmapped user_desc: EFAULT.
    EXPECT_THAT(Clone(s, p, flags, 0, 0, 0, 0x7000),
                ReturnsErrno(Errno::kEFAULT))
        << AbiName(abi);
    // entry_number -1 asks for a free slot, which clone cannot allocate.
    put_desc(0xffffffff, 1, 0);
    EXPECT_THAT(Clone(s, p, flags, 0, 0, 0, kBuf), ReturnsErrno(Errno::kEINVAL))
        << AbiName(abi);
    put_desc(info.gdt_tls_max + 1, 1, 0);
    EXPECT_THAT(Clone(s, p, flags, 0, 0, 0, kBuf), ReturnsErrno(Errno::kEINVAL))
        << AbiName(abi);
    // A 16-bit segment (seg_32bit = 0) is refused by tls_desc_okay().
    put_desc(info.gdt_tls_min, 0, 0);
    EXPECT_THAT(Clone(s, p, flags, 0, 0, 0, kBuf), ReturnsErrno(Errno::kEINVAL))
        << AbiName(abi);
    // A code segment (contents 2) too.
    put_desc(info.gdt_tls_min, 1, 2);
    EXPECT_THAT(Clone(s, p, flags, 0, 0, 0, kBuf), ReturnsErrno(Errno::kEINVAL))
        << AbiName(abi);
    put_desc(info.gdt_tls_min + 1, 1, 0);
    Task* c = s.TaskByTid(Clone(s, p, flags, 0, 0, 0, kBuf));
    ASSERT_NE(c, nullptr) << AbiName(abi);
    // fill_ldt(): limit 0xfffff, base 0xf7d8db40, type 0x3 (data, writable,
    // accessed), s, dpl 3, present, avl, d, g.
    EXPECT_EQ(c->tls.gdt[1], 0xf7dff3d8db40ffffull) << AbiName(abi);
    EXPECT_EQ(c->tls.gdt[0], 0u);
    s.ExpectClean();
  }
}

}  // namespace
}  // namespace forksim

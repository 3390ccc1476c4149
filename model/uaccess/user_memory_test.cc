// The uaccess rules of model/uaccess/user_memory.h: access_ok, faults on
// NULL, unmapped, read-only, straddling and wrapped ranges, partial copies.
// Facts: arch/x86/include/asm/uaccess.h:43-95, arch/x86/lib/getuser.S,
// lib/usercopy.c:7-18 [5.2].

#include "model/uaccess/user_memory.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/abi/abi.h"

namespace forksim {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;

UserMemory ForAbi(Abi abi) {
  const AbiInfo& info = AbiInfoFor(abi);
  return UserMemory(info.user_addr_limit, info.kernel_long_bits);
}

constexpr uint64_t kBuf = 0x10000;

TEST(UserMemoryTest, GetAndPutUserRoundTripLittleEndian) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, kPageSize, kProtReadWrite).ok());
  for (uint32_t size : {1u, 2u, 4u, 8u}) {
    ASSERT_TRUE(mem.PutUser(kBuf + 64, size, 0x1122334455667788).ok());
    uint64_t value = 0;
    ASSERT_TRUE(mem.GetUser(kBuf + 64, size, &value).ok());
    const uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    EXPECT_EQ(value, 0x1122334455667788 & mask) << size;
  }
  auto bytes = mem.Peek(kBuf + 64, 8);
  ASSERT_TRUE(bytes.ok());
  EXPECT_THAT(*bytes,
              ElementsAre(0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11));
}

TEST(UserMemoryTest, NullFaults) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  uint64_t value = 7;
  EXPECT_EQ(mem.GetUser(0, 4, &value).error(), Errno::kEFAULT);
  EXPECT_EQ(value, 0u);  // a failed get_user zeroes its destination
  EXPECT_EQ(mem.PutUser(0, 4, 1).error(), Errno::kEFAULT);
  EXPECT_FALSE(mem.Map(0, kPageSize, kProtReadWrite).ok());
}

TEST(UserMemoryTest, UnmappedFaults) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, kPageSize, kProtReadWrite).ok());
  uint64_t value;
  EXPECT_EQ(mem.GetUser(kBuf + kPageSize, 4, &value).error(), Errno::kEFAULT);
  EXPECT_EQ(mem.PutUser(kBuf - 4, 4, 1).error(), Errno::kEFAULT);
}

TEST(UserMemoryTest, ReadOnlyPageFaultsOnWriteOnly) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, kPageSize, kProtRead).ok());
  uint64_t value;
  EXPECT_TRUE(mem.GetUser(kBuf, 4, &value).ok());
  EXPECT_EQ(mem.PutUser(kBuf, 4, 1).error(), Errno::kEFAULT);
  std::vector<uint8_t> src(16, 0xaa);
  EXPECT_EQ(mem.CopyToUser(kBuf, src), 16u);
  auto bytes = mem.Peek(kBuf, 16);
  ASSERT_TRUE(bytes.ok());
  EXPECT_THAT(*bytes, Each(0));  // nothing was written
}

TEST(UserMemoryTest, StraddlingGetAndPutUserAreAllOrNothing) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, kPageSize, kProtReadWrite).ok());
  // The 8 bytes at the end of the page run 4 bytes into an unmapped page: one
  // instruction, one fault, nothing written.
  EXPECT_EQ(mem.PutUser(kBuf + kPageSize - 4, 8, ~0ull).error(),
            Errno::kEFAULT);
  auto bytes = mem.Peek(kBuf + kPageSize - 4, 4);
  ASSERT_TRUE(bytes.ok());
  EXPECT_THAT(*bytes, Each(0));
}

TEST(UserMemoryTest, StraddlingCopyCopiesTheMappedPart) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, kPageSize, kProtReadWrite).ok());
  std::vector<uint8_t> pattern(16);
  for (int i = 0; i < 16; ++i) pattern[i] = static_cast<uint8_t>(i + 1);
  ASSERT_TRUE(
      mem.Poke(kBuf + kPageSize - 6, std::vector<uint8_t>(6, 0x5a)).ok());
  // copy_from_user of 16 bytes, 6 mapped: 10 not copied, tail zeroed.
  std::vector<uint8_t> dst(16, 0xee);
  EXPECT_EQ(mem.CopyFromUser(dst, kBuf + kPageSize - 6), 10u);
  EXPECT_THAT(std::vector<uint8_t>(dst.begin(), dst.begin() + 6), Each(0x5a));
  EXPECT_THAT(std::vector<uint8_t>(dst.begin() + 6, dst.end()), Each(0));
  // copy_to_user: the mapped 6 bytes are written, 10 reported not copied.
  EXPECT_EQ(mem.CopyToUser(kBuf + kPageSize - 6, pattern), 10u);
  auto bytes = mem.Peek(kBuf + kPageSize - 6, 6);
  ASSERT_TRUE(bytes.ok());
  EXPECT_THAT(*bytes, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(UserMemoryTest, AccessOkLimitPerAbi) {
  // x86-64 and ia32 (USER_DS = TASK_SIZE_MAX on an x86-64 kernel): a range may
  // end exactly at 0x7ffffffff000.
  for (Abi abi : {Abi::kX86_64, Abi::kIa32}) {
    UserMemory mem = ForAbi(abi);
    EXPECT_TRUE(mem.AccessOk(0x7ffffffff000 - 8, 8)) << AbiName(abi);
    EXPECT_FALSE(mem.AccessOk(0x7ffffffff000 - 7, 8)) << AbiName(abi);
    EXPECT_TRUE(mem.AccessOk(0xfffffffc, 8))
        << AbiName(abi);  // crosses 4G: fine
  }
  // i386: PAGE_OFFSET 0xC0000000.
  UserMemory i386 = ForAbi(Abi::kI386);
  EXPECT_TRUE(i386.AccessOk(0xC0000000 - 4, 4));
  EXPECT_FALSE(i386.AccessOk(0xC0000000 - 3, 4));
  EXPECT_FALSE(i386.AccessOk(0xC0000000, 1));
  EXPECT_TRUE(i386.AccessOk(0xC0000000, 0));  // size 0 at the limit passes
}

TEST(UserMemoryTest, AboveTheLimitFaultsEvenIfItCouldBeMapped) {
  UserMemory mem = ForAbi(Abi::kI386);
  EXPECT_FALSE(mem.Map(0xC0000000, kPageSize, kProtReadWrite).ok());
  uint64_t value;
  EXPECT_EQ(mem.GetUser(0xC0000000, 4, &value).error(), Errno::kEFAULT);
  std::vector<uint8_t> dst(8, 0xee);
  EXPECT_EQ(mem.CopyFromUser(dst, 0xBFFFFFFC), 8u);  // access_ok fails whole
  EXPECT_THAT(dst, Each(0));
}

TEST(UserMemoryTest, WrappedRangesFail) {
  UserMemory x86_64 = ForAbi(Abi::kX86_64);
  EXPECT_FALSE(x86_64.AccessOk(0xfffffffffffffff0, 0x20));
  // On a 32-bit kernel the sum wraps at 2^32.
  UserMemory i386 = ForAbi(Abi::kI386);
  EXPECT_FALSE(i386.AccessOk(0xfffffff0, 0x20));
  uint64_t value;
  EXPECT_EQ(i386.GetUser(0xfffffffc, 8, &value).error(), Errno::kEFAULT);
}

TEST(UserMemoryTest, CountsOperationsBytesAndFaults) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, kPageSize, kProtReadWrite).ok());
  uint64_t value;
  ASSERT_TRUE(mem.GetUser(kBuf, 8, &value).ok());
  ASSERT_TRUE(mem.PutUser(kBuf, 4, 1).ok());
  EXPECT_FALSE(mem.GetUser(0, 4, &value).ok());
  std::vector<uint8_t> dst(16);
  EXPECT_EQ(mem.CopyFromUser(dst, kBuf + kPageSize - 8), 8u);
  EXPECT_EQ(mem.stats(),
            (UaccessStats{.ops = 4, .bytes = 8 + 4 + 8, .faults = 2}));
  mem.ResetStats();
  EXPECT_EQ(mem.stats(), UaccessStats{});
}

TEST(UserMemoryTest, ForkIsCopyOnWrite) {
  UserMemory parent = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(parent.Map(kBuf, 2 * kPageSize, kProtReadWrite).ok());
  ASSERT_TRUE(parent.PutUser(kBuf, 4, 1111).ok());
  std::unique_ptr<UserMemory> child = parent.Fork();
  ASSERT_TRUE(child->PutUser(kBuf, 4, 2222).ok());
  uint64_t in_parent, in_child;
  ASSERT_TRUE(parent.GetUser(kBuf, 4, &in_parent).ok());
  ASSERT_TRUE(child->GetUser(kBuf, 4, &in_child).ok());
  EXPECT_EQ(in_parent, 1111u);
  EXPECT_EQ(in_child, 2222u);
  EXPECT_EQ(child->Mappings().size(), 1u);
  EXPECT_EQ(child->Mappings()[0].end, kBuf + 2 * kPageSize);
}

TEST(UserMemoryTest, ProtectAndUnmap) {
  UserMemory mem = ForAbi(Abi::kX86_64);
  ASSERT_TRUE(mem.Map(kBuf, 2 * kPageSize, kProtReadWrite).ok());
  EXPECT_FALSE(
      mem.Map(kBuf + kPageSize, kPageSize, kProtRead).ok());  // overlap
  ASSERT_TRUE(mem.Protect(kBuf + kPageSize, kPageSize, kProtRead).ok());
  EXPECT_EQ(mem.PutUser(kBuf + kPageSize, 4, 1).error(), Errno::kEFAULT);
  ASSERT_TRUE(mem.Unmap(kBuf, kPageSize).ok());
  EXPECT_FALSE(mem.IsMapped(kBuf));
  EXPECT_TRUE(mem.IsMapped(kBuf + kPageSize));
}

}  // namespace
}  // namespace forksim

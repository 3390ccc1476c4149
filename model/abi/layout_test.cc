// Layout tables against the compiler (x86-64, by static_assert on mirror
// structs declared as the uapi headers declare them), and encode/decode.
// The 32-bit layouts are checked by layout_probe_test with g++ -m32.

#include "model/abi/layout.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;

typedef uint64_t aligned_u64 __attribute__((aligned(8)));

// include/uapi/linux/sched.h in the clone6 RFC.
struct Clone6ArgsMirror {
  int32_t pidfd;
  aligned_u64 parent_tidptr;
  aligned_u64 child_tidptr;
  aligned_u64 stack;
  aligned_u64 stack_size;
  aligned_u64 tls;
};

struct CloneArgsMirror {
  aligned_u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack,
      stack_size, tls, set_tid, set_tid_size, cgroup;
};

struct UserDescMirror {
  unsigned int entry_number;
  unsigned int base_addr;
  unsigned int limit;
  unsigned int seg_32bit : 1;
  unsigned int contents : 2;
  unsigned int read_exec_only : 1;
  unsigned int limit_in_pages : 1;
  unsigned int seg_not_present : 1;
  unsigned int useable : 1;
  unsigned int lm : 1;
};

constexpr const StructLayout& kClone6 =
    LayoutFor(StructId::kClone6Args, Abi::kX86_64);
constexpr const StructLayout& kCloneArgs =
    LayoutFor(StructId::kCloneArgsVer2, Abi::kX86_64);
constexpr const StructLayout& kUserDesc =
    LayoutFor(StructId::kUserDesc, Abi::kX86_64);

#define FORKSIM_CHECK_FIELD(layout, mirror, field)                             \
  static_assert(FindField(layout, #field)->offset == offsetof(mirror, field)); \
  static_assert(FindField(layout, #field)->size == sizeof(mirror::field))

static_assert(kClone6.size == sizeof(Clone6ArgsMirror));
static_assert(kClone6.align == alignof(Clone6ArgsMirror));
FORKSIM_CHECK_FIELD(kClone6, Clone6ArgsMirror, pidfd);
FORKSIM_CHECK_FIELD(kClone6, Clone6ArgsMirror, parent_tidptr);
FORKSIM_CHECK_FIELD(kClone6, Clone6ArgsMirror, child_tidptr);
FORKSIM_CHECK_FIELD(kClone6, Clone6ArgsMirror, stack);
FORKSIM_CHECK_FIELD(kClone6, Clone6ArgsMirror, stack_size);
FORKSIM_CHECK_FIELD(kClone6, Clone6ArgsMirror, tls);

static_assert(kCloneArgs.size == sizeof(CloneArgsMirror));
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, flags);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, pidfd);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, child_tid);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, parent_tid);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, exit_signal);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, stack);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, stack_size);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, tls);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, set_tid);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, set_tid_size);
FORKSIM_CHECK_FIELD(kCloneArgs, CloneArgsMirror, cgroup);
// The versions end where kernel/fork.c [6.12] asserts they end (the
// BUILD_BUG_ONs before kernel/fork.c:copy_clone_args_from_user(), lines
// 2941-2947).
static_assert(LayoutFor(StructId::kCloneArgsVer0, Abi::kX86_64).size ==
              offsetof(CloneArgsMirror, tls) + 8);
static_assert(LayoutFor(StructId::kCloneArgsVer1, Abi::kX86_64).size ==
              offsetof(CloneArgsMirror, set_tid_size) + 8);

static_assert(kUserDesc.size == sizeof(UserDescMirror));
FORKSIM_CHECK_FIELD(kUserDesc, UserDescMirror, entry_number);
FORKSIM_CHECK_FIELD(kUserDesc, UserDescMirror, base_addr);
FORKSIM_CHECK_FIELD(kUserDesc, UserDescMirror, limit);

// The 32-bit numbers the issue states for the clone6 RFC's struct clone6_args
// and its plain-__u64 counterpart; the -m32 probe checks them against the
// compiler.
static_assert(LayoutFor(StructId::kClone6Args, Abi::kIa32).size == 48);
static_assert(LayoutFor(StructId::kClone6ArgsNaive, Abi::kIa32).size == 44);
static_assert(FindField(LayoutFor(StructId::kClone6ArgsNaive, Abi::kI386),
                        "parent_tidptr")
                  ->offset == 4);
static_assert(LayoutFor(StructId::kClone6ArgsNaive, Abi::kX86_64).size == 48);

TEST(LayoutTest, UserDescBitfieldsMatchTheCompiler) {
  // struct user_desc (arch/x86/include/uapi/asm/ldt.h [5.2], lines 21-41):
  // masks 0x1/0x6/0x8/0x10/0x20/0x40/0x80 in the word at +12.
  const FieldLayout* word = FindField(kUserDesc, "flags");
  ASSERT_NE(word, nullptr);
  EXPECT_EQ(word->offset, 12u);
  for (const BitFieldLayout& bit : word->bits) {
    UserDescMirror mirror{};
    StructValue value(kUserDesc);
    const uint64_t all_ones = (uint64_t{1} << bit.width) - 1;
    ASSERT_TRUE(value.Set(bit.name, all_ones));
    if (bit.name == "seg_32bit") mirror.seg_32bit = 1;
    if (bit.name == "contents") mirror.contents = 3;
    if (bit.name == "read_exec_only") mirror.read_exec_only = 1;
    if (bit.name == "limit_in_pages") mirror.limit_in_pages = 1;
    if (bit.name == "seg_not_present") mirror.seg_not_present = 1;
    if (bit.name == "useable") mirror.useable = 1;
    if (bit.name == "lm") mirror.lm = 1;
    const std::vector<uint8_t> bytes = EncodeStruct(value);
    uint8_t expected[sizeof(UserDescMirror)];
    std::memcpy(expected, &mirror, sizeof mirror);
    EXPECT_EQ(std::vector<uint8_t>(expected, expected + sizeof expected), bytes)
        << bit.name;
  }
}

TEST(LayoutTest, UserDescHasNoLmBitOn32BitAbis) {
  for (Abi abi : {Abi::kIa32, Abi::kI386}) {
    StructValue value(LayoutFor(StructId::kUserDesc, abi));
    EXPECT_FALSE(value.Set("lm", 1)) << AbiName(abi);
    EXPECT_TRUE(value.Set("useable", 1)) << AbiName(abi);
  }
}

TEST(LayoutTest, Clone6ArgsEncodesLittleEndianWithZeroPadding) {
  StructValue value(kClone6);
  ASSERT_TRUE(value.Set("pidfd", static_cast<uint64_t>(-1)));
  ASSERT_TRUE(value.Set("parent_tidptr", 0x1122334455667788));
  const std::vector<uint8_t> bytes = EncodeStruct(value);
  ASSERT_EQ(bytes.size(), 48u);
  EXPECT_THAT(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 16),
              ElementsAre(0xff, 0xff, 0xff, 0xff,  // pidfd = -1
                          0, 0, 0, 0,              // the hole stays zero
                          0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11));
  const StructValue back = DecodeStruct(kClone6, bytes);
  // A signed __s32 decodes sign-extended.
  EXPECT_EQ(back.Get("pidfd"), static_cast<uint64_t>(int64_t{-1}));
  EXPECT_EQ(back.Get("parent_tidptr"), 0x1122334455667788u);
  EXPECT_EQ(back.Get("tls"), 0u);
}

TEST(LayoutTest, NaiveClone6ArgsMovesFieldsOn32BitAbis) {
  // The same value written with the naive 32-bit layout lands 4 bytes lower:
  // a 64-bit kernel reading it with the __aligned_u64 layout would see a
  // different parent_tidptr. This is why the RFC used __aligned_u64.
  StructValue naive(LayoutFor(StructId::kClone6ArgsNaive, Abi::kIa32));
  ASSERT_TRUE(naive.Set("parent_tidptr", 0xabcd1000));
  const std::vector<uint8_t> bytes = EncodeStruct(naive);
  ASSERT_EQ(bytes.size(), 44u);
  std::vector<uint8_t> padded = bytes;
  padded.resize(48, 0);
  const StructValue as_kernel_sees_it = DecodeStruct(kClone6, padded);
  EXPECT_EQ(as_kernel_sees_it.Get("parent_tidptr"), 0u);
  EXPECT_EQ(as_kernel_sees_it.Get("pidfd"), 0u);
}

TEST(LayoutTest, StructNames) {
  EXPECT_EQ(StructFromName("clone_args"), StructId::kCloneArgsVer2);
  EXPECT_EQ(StructFromName("clone_args_ver0"), StructId::kCloneArgsVer0);
  EXPECT_EQ(StructFromName("user_desc"), StructId::kUserDesc);
  EXPECT_EQ(StructFromName("nope"), std::nullopt);
  EXPECT_EQ(LayoutFor(StructId::kCloneArgsVer0, Abi::kI386).size, 64u);
  EXPECT_EQ(LayoutFor(StructId::kCloneArgsVer1, Abi::kI386).size, 80u);
}

TEST(LayoutTest, LittleEndianHelpers) {
  uint8_t buf[8] = {};
  StoreLittleEndian(buf, 4, 0xdeadbeefcafef00d);
  EXPECT_THAT(buf, ElementsAre(0x0d, 0xf0, 0xfe, 0xca, 0, 0, 0, 0));
  EXPECT_EQ(LoadLittleEndian(buf, 2), 0xf00du);
  EXPECT_EQ(SignExtend(0xfffffffe, 4), static_cast<uint64_t>(-2));
  EXPECT_EQ(SignExtend(0x7ffffffe, 4), 0x7ffffffeu);
}

}  // namespace
}  // namespace forksim

// `forksim layout`'s report: holes and padding as pahole reports them.

#include "sim/tools/layout_report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forksim {
namespace {

using ::testing::HasSubstr;

TEST(LayoutReportTest, Clone6ArgsHasOneFourByteHole) {
  const std::vector<LayoutGap> gaps =
      FindGaps(LayoutFor(StructId::kClone6Args, Abi::kIa32));
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].kind, LayoutGap::kHole);
  EXPECT_EQ(gaps[0].offset, 4u);
  EXPECT_EQ(gaps[0].size, 4u);
  const std::string text =
      LayoutText(LayoutFor(StructId::kClone6Args, Abi::kIa32), Abi::kIa32);
  EXPECT_THAT(text, HasSubstr("XXX 4 bytes hole"));
  EXPECT_THAT(text, HasSubstr("size: 48, cachelines: 1, members: 6"));
  EXPECT_THAT(text, HasSubstr("sum members: 44, holes: 1, sum holes: 4"));
}

TEST(LayoutReportTest, NaiveClone6ArgsHasNoHoleOn32Bit) {
  EXPECT_TRUE(
      FindGaps(LayoutFor(StructId::kClone6ArgsNaive, Abi::kI386)).empty());
  EXPECT_THAT(
      LayoutText(LayoutFor(StructId::kClone6ArgsNaive, Abi::kI386), Abi::kI386),
      HasSubstr("size: 44"));
}

TEST(LayoutReportTest, UserDescBitHoleDependsOnLm) {
  // 8 bits used on x86-64 (lm), 7 on the 32-bit ABIs.
  auto bit_hole = [](Abi abi) {
    for (const LayoutGap& gap : FindGaps(LayoutFor(StructId::kUserDesc, abi))) {
      if (gap.kind == LayoutGap::kBitHole) return gap.size;
    }
    return 0u;
  };
  EXPECT_EQ(bit_hole(Abi::kX86_64), 24u);
  EXPECT_EQ(bit_hole(Abi::kIa32), 25u);
}

TEST(LayoutReportTest, JsonNamesEveryField) {
  const std::string json =
      LayoutJson(LayoutFor(StructId::kClone6Args, Abi::kX86_64), Abi::kX86_64);
  EXPECT_THAT(json, HasSubstr(R"("struct":"clone6_args")"));
  EXPECT_THAT(
      json,
      HasSubstr(
          R"({"name":"parent_tidptr","type":"__aligned_u64","offset":8,"size":8,"signed":false})"));
  EXPECT_THAT(json,
              HasSubstr(R"("gaps":[{"kind":"hole","offset":4,"size":4}])"));
}

}  // namespace
}  // namespace forksim

// docs/copy-process.md defines the step ids that copy_process() records:
// every id the code uses has a row there naming the same kernel function
// (and, for a step that is one line of a function, its label).

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/kernel/fork.h"

namespace forksim {
namespace {

std::vector<std::string> Rows() {
  std::ifstream in("docs/copy-process.md");
  EXPECT_TRUE(in.good()) << "docs/copy-process.md is not in the test's data";
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("| ")) rows.push_back(line);
  }
  return rows;
}

const std::string* RowFor(const std::vector<std::string>& rows,
                          std::string_view id) {
  const std::string start = "| " + std::string(id) + " |";
  for (const std::string& row : rows) {
    if (row.starts_with(start)) return &row;
  }
  return nullptr;
}

TEST(CopyProcessDocTest, EveryRecordedIdHasARowWithItsFunction) {
  const std::vector<std::string> rows = Rows();
  ASSERT_FALSE(CopyProcessCitations().empty());
  for (const StepCitation& c : CopyProcessCitations()) {
    const std::string* row = RowFor(rows, c.id);
    ASSERT_NE(row, nullptr) << c.id << " has no row";
    EXPECT_NE(row->find("`" + std::string(c.function) + "`"), std::string::npos)
        << c.id << "'s row does not name " << c.function << ": " << *row;
    if (!c.label.empty()) {
      EXPECT_NE(row->find(std::string(c.label)), std::string::npos)
          << c.id << "'s row does not name " << c.label;
    }
  }
}

TEST(CopyProcessDocTest, TheLadderAndTheUnwindAreComplete) {
  const std::vector<std::string> rows = Rows();
  for (const char* id : {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C7a"}) {
    EXPECT_NE(RowFor(rows, id), nullptr) << id;
  }
  for (int u = 1; u <= 21; ++u) {
    EXPECT_NE(RowFor(rows, "U" + std::to_string(u)), nullptr) << "U" << u;
  }
  for (int s = 1; s <= 42; ++s) {
    if (s == 40 || s == 41) continue;  // one row, S40-S41
    EXPECT_NE(RowFor(rows, "S" + std::to_string(s)), nullptr) << "S" << s;
  }
}

}  // namespace
}  // namespace forksim

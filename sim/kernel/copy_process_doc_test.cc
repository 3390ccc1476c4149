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

// An id may have a row per era (5.2's and 6.12's tables): one of them must
// name the function and the label.
bool SomeRowCites(const std::vector<std::string>& rows, const StepCitation& c) {
  const std::string start = "| " + std::string(c.id) + " |";
  for (const std::string& row : rows) {
    if (row.starts_with(start) &&
        row.find("`" + std::string(c.function) + "`") != std::string::npos &&
        row.find(std::string(c.label)) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(CopyProcessDocTest, EveryRecordedIdHasARowWithItsFunction) {
  const std::vector<std::string> rows = Rows();
  ASSERT_FALSE(CopyProcessCitations().empty());
  for (const StepCitation& c : CopyProcessCitations()) {
    ASSERT_NE(RowFor(rows, c.id), nullptr) << c.id << " has no row";
    EXPECT_TRUE(SomeRowCites(rows, c))
        << "no row of " << c.id << " names " << c.function << " " << c.label;
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
  for (const char* id :
       {"G1",   "G2",   "G3", "G4",  "G5",  "G6", "G7", "G8", "U0", "U16a",
        "S10a", "S32a", "L1", "K1",  "A1",  "A2", "A3", "A4", "A5", "A6",
        "A7",   "A8",   "A9", "A10", "A11", "V1", "V2", "V3", "V4", "V5"}) {
    EXPECT_NE(RowFor(rows, id), nullptr) << id;
  }
  for (int s = 1; s <= 42; ++s) {
    if (s == 40 || s == 41) continue;  // one row, S40-S41
    EXPECT_NE(RowFor(rows, "S" + std::to_string(s)), nullptr) << "S" << s;
  }
}

}  // namespace
}  // namespace forksim

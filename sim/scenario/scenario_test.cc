// The scenario parser: statements, expressions, filters and error messages.
// The bad-input corpus (scenarios/bad/) checks messages end to end.

#include "sim/scenario/scenario.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forksim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Scenario Parse(const std::string& text, std::vector<std::string>* errors) {
  return ParseScenario("t.scn", text, errors);
}

TEST(ScenarioParseTest, HeaderFiltersActorsAndComments) {
  std::vector<std::string> errors;
  Scenario s = Parse(
      "# a comment\n"
      "scenario \"a # not a comment\"\n"
      "profiles 5.2-rc1 5.2\n"
      "abis ia32\n"
      "[5.2 i386] as child: getpid() = 1   # trailing comment\n",
      &errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(s.title, "a # not a comment");
  EXPECT_THAT(s.profiles, ElementsAre("5.2-rc1", "5.2"));
  EXPECT_THAT(s.abis, ElementsAre("ia32"));
  ASSERT_EQ(s.statements.size(), 4u);
  const Statement& st = s.statements[3];
  EXPECT_EQ(st.kind, Statement::Kind::kSyscall);
  EXPECT_THAT(st.only, ElementsAre("5.2", "i386"));
  EXPECT_EQ(st.actor, "child");
  EXPECT_EQ(st.line, 5);
  EXPECT_EQ(st.source, "[5.2 i386] as child: getpid() = 1");
}

TEST(ScenarioParseTest, SyscallArgumentsResultAndBinding) {
  std::vector<std::string> errors;
  Scenario s = Parse(
      "clone(CLONE_VM|SIGCHLD, buf+0x1000, parent_tid=buf-8, tls=0) = -1 "
      "EINVAL\n"
      "fork() = 4 -> child\n"
      "vfork() = blocked\n"
      "raw rax=436 rdi=0xffffffff00000000 = ?\n",
      &errors);
  ASSERT_THAT(errors, IsEmpty());
  const Statement& clone = s.statements[0];
  ASSERT_EQ(clone.args.size(), 2u);
  ASSERT_EQ(clone.args[0].terms.size(), 2u);
  EXPECT_EQ(clone.args[0].terms[1].op, '|');
  EXPECT_EQ(clone.args[1].terms[1].number, 0x1000u);
  ASSERT_EQ(clone.fields.size(), 2u);
  EXPECT_EQ(clone.fields[0].name, "parent_tid");
  EXPECT_EQ(clone.fields[0].value.terms[1].op, '-');
  EXPECT_EQ(clone.result.kind, ResultSpec::kErrno);
  EXPECT_EQ(clone.result.errno_name, "EINVAL");
  EXPECT_EQ(s.statements[1].bind, "child");
  EXPECT_EQ(s.statements[2].result.kind, ResultSpec::kBlocked);
  const Statement& raw = s.statements[3];
  EXPECT_EQ(raw.kind, Statement::Kind::kRaw);
  EXPECT_EQ(raw.fields[1].value.terms[0].number, 0xffffffff00000000u);
  EXPECT_EQ(raw.result.kind, ResultSpec::kAny);
}

TEST(ScenarioParseTest, StructLiteralsAndExpectations) {
  std::vector<std::string> errors;
  Scenario s = Parse(
      "write clone6_args buf = {parent_tidptr=buf+0x100, tls=0}\n"
      "expect clone6_args buf == {pidfd=3}\n"
      "expect u32 buf+0x100 == -1\n"
      "expect fd 3 pidfd(child) cloexec\n"
      "expect task child parent=p pid@1=1 state=zombie\n"
      "expect child shares mm,files with p\n"
      "expect signal SIGCHLD not pending for p\n",
      &errors);
  ASSERT_THAT(errors, IsEmpty());
  EXPECT_TRUE(s.statements[0].struct_literal);
  EXPECT_EQ(s.statements[0].fields.size(), 2u);
  EXPECT_EQ(s.statements[1].kind, Statement::Kind::kExpectMemory);
  EXPECT_EQ(s.statements[2].args[1].terms[0].number, ~uint64_t{0});
  EXPECT_EQ(s.statements[3].text, "child");
  EXPECT_EQ(s.statements[4].fields[1].name, "pid@1");
  EXPECT_THAT(s.statements[5].words, ElementsAre("mm", "files"));
  EXPECT_THAT(s.statements[6].words, ElementsAre("not"));
}

TEST(ScenarioParseTest, EveryErrorOfAFileIsReported) {
  std::vector<std::string> errors;
  Parse("fork() =\nbogus\nclone(flags=)\n", &errors);
  EXPECT_THAT(
      errors,
      ElementsAre("t.scn:1:9: found the end of the line, expected a result: a "
                  "value, '-1 ERRNO', '?' or 'blocked'",
                  ::testing::StartsWith(
                      "t.scn:2:1: found 'bogus', expected a statement"),
                  "t.scn:3:13: found ')', expected a value"));
}

}  // namespace
}  // namespace forksim

// close(): fs/open.c [5.2] (sim/kernel/open.cc).
// Expected values follow from the kernel's rules, and tests end with the
// invariant checker.

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/kernel/test_util.h"

namespace forksim {
namespace {

TEST(CloseTest, ClosesOnceThenEbadf) {
  Sim s;
  Task* p = s.NewProcess();
  EXPECT_EQ(s.Call(p, Sysno::kClose, {0}), 0);
  EXPECT_THAT(s.Call(p, Sysno::kClose, {0}), ReturnsErrno(Errno::kEBADF));
  EXPECT_THAT(s.Call(p, Sysno::kClose, {5}),
              ReturnsErrno(Errno::kEBADF));  // free
  EXPECT_THAT(s.Call(p, Sysno::kClose, {1000}),
              ReturnsErrno(Errno::kEBADF));  // past max_fds
  EXPECT_THAT(s.Call(p, Sysno::kClose, {0xffffffff}),
              ReturnsErrno(Errno::kEBADF));
  s.ExpectClean();
}

}  // namespace
}  // namespace forksim

// The fd-table rules of model/kernel/fdtable.h against fs/file.c [5.2]:
// alloc_fdtable(), count_open_files(), dup_fd(), __alloc_fd(), expand_files()
// and put_unused_fd(), with NR_OPEN_DEFAULT (include/linux/fdtable.h) and
// sysctl_nr_open (fs/file.c). Every expected value below is derived in a
// comment from those rules, not read back from the code.

#include "model/kernel/fdtable.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forksim {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A soft RLIMIT_NOFILE well above every table in these tests.
constexpr uint64_t kRlimit = 4096;

class FdTableTest : public ::testing::Test {
 protected:
  FdTableEnv MakeEnv(uint32_t bits_per_long, uint32_t pointer_bytes) {
    return FdTableEnv{
        .files = &files_,
        .tables = &tables_,
        .faults = &faults_,
        .bits_per_long = bits_per_long,
        .pointer_bytes = pointer_bytes,
        .sysctl_nr_open = 1048576,
        .release_file = [this](File* file) { released_.push_back(file->name); },
    };
  }
  void UseI386() { env_ = MakeEnv(32, 4); }

  File* NewFile(const std::string& name) {
    File* file = files_.Create();
    file->name = name;
    file->f_flags = kORdwr;
    return file;
  }

  // open(): get_unused_fd_flags() and fd_install() of a new file "fN".
  int Open(FilesStruct& table, uint32_t flags = 0) {
    SysResult<int> fd = GetUnusedFdFlags(env_, table, kRlimit, flags);
    if (!fd.ok()) {
      ADD_FAILURE() << "open failed: " << ErrnoName(fd.error());
      return -1;
    }
    FdInstall(table, fd.value(), NewFile("f" + std::to_string(fd.value())));
    return fd.value();
  }

  // A new table with fds 0..n-1 open.
  FilesStruct* TableWithFds(uint32_t n) {
    FilesStruct* table = NewFilesStruct(env_);
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(Open(*table), int(i));
    return table;
  }

  // F_DUPFD-style: a file at the lowest free fd >= start.
  int OpenAt(FilesStruct& table, uint32_t start) {
    SysResult<int> fd = AllocFd(env_, table, start, kRlimit, false);
    if (!fd.ok()) {
      ADD_FAILURE() << "alloc failed: " << ErrnoName(fd.error());
      return -1;
    }
    FdInstall(table, fd.value(), NewFile("f" + std::to_string(fd.value())));
    return fd.value();
  }

  // Every test frees what it made: refcounts must reach zero exactly.
  void TearDown() override {
    EXPECT_EQ(files_.size(), 0u) << "files left behind";
    EXPECT_EQ(tables_.size(), 0u) << "tables left behind";
  }

  Registry<File> files_;
  Registry<FilesStruct> tables_;
  FaultInjector faults_;
  std::vector<std::string> released_;  // names, in release order
  FdTableEnv env_ = MakeEnv(64, 8);
};

// ----------------------------------------------------------------------------
// fs/file.c:alloc_fdtable() [5.2] sizing: k = nr / (1024 / sizeof(ptr)),
// size = roundup_pow_of_two(k + 1) * (1024 / sizeof(ptr)), capped at
// ((sysctl_nr_open - 1) | (BITS_PER_LONG - 1)) + 1.
// ----------------------------------------------------------------------------

// alloc_fdtable(): 64-bit pointers, steps of 128.
TEST_F(FdTableTest, AllocFdtableSize64Bit) {
  EXPECT_EQ(AllocFdtableSize(env_, 0), 128u);     // k 0 -> 1 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 127), 128u);   // k 0 -> 1 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 128), 256u);   // k 1 -> 2 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 255), 256u);   // k 1 -> 2 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 256), 512u);   // k 2 -> 4 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 383), 512u);   // k 2 -> 4 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 384), 512u);   // k 3 -> 4 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 511), 512u);   // k 3 -> 4 * 128
  EXPECT_EQ(AllocFdtableSize(env_, 512), 1024u);  // k 4 -> 8 * 128
}

// alloc_fdtable(): 32-bit pointers (i386), steps of 1024 / 4 = 256.
TEST_F(FdTableTest, AllocFdtableSize32BitPointers) {
  UseI386();
  EXPECT_EQ(AllocFdtableSize(env_, 0), 256u);      // k 0 -> 1 * 256
  EXPECT_EQ(AllocFdtableSize(env_, 255), 256u);    // k 0 -> 1 * 256
  EXPECT_EQ(AllocFdtableSize(env_, 256), 512u);    // k 1 -> 2 * 256
  EXPECT_EQ(AllocFdtableSize(env_, 511), 512u);    // k 1 -> 2 * 256
  EXPECT_EQ(AllocFdtableSize(env_, 512), 1024u);   // k 2 -> 4 * 256
  EXPECT_EQ(AllocFdtableSize(env_, 1023), 1024u);  // k 3 -> 4 * 256
  EXPECT_EQ(AllocFdtableSize(env_, 1024), 2048u);  // k 4 -> 8 * 256
}

// alloc_fdtable(): the sysctl_nr_open cap, rounded up to BITS_PER_LONG.
TEST_F(FdTableTest, AllocFdtableSizeCappedBySysctlNrOpen) {
  // Default 1048576: 1048575 -> k 8191 -> 8192 * 128 = 1048576, not above.
  EXPECT_EQ(AllocFdtableSize(env_, 1048575), 1048576u);
  // 1048576 -> k 8192 -> 16384 * 128 = 2097152 > cap -> (1048575 | 63) + 1.
  EXPECT_EQ(AllocFdtableSize(env_, 1048576), 1048576u);

  env_.sysctl_nr_open = 300;  // 299 -> 512 > 300 -> (299 | 63) + 1 = 320
  EXPECT_EQ(AllocFdtableSize(env_, 299), 320u);
  env_.sysctl_nr_open = 200;  // 150 -> 256 > 200 -> (199 | 63) + 1 = 256
  EXPECT_EQ(AllocFdtableSize(env_, 150), 256u);
  env_.sysctl_nr_open = 128;  // 128 -> 256 > 128 -> (127 | 63) + 1 = 128 <= nr
  EXPECT_EQ(AllocFdtableSize(env_, 128), 128u);

  UseI386();
  env_.sysctl_nr_open = 200;  // 150 -> 256 > 200 -> (199 | 31) + 1 = 224
  EXPECT_EQ(AllocFdtableSize(env_, 150), 224u);
  env_.sysctl_nr_open = 300;  // 299 -> 512 > 300 -> (299 | 31) + 1 = 320
  EXPECT_EQ(AllocFdtableSize(env_, 299), 320u);
}

// ----------------------------------------------------------------------------
// fs/file.c:count_open_files() and dup_fd() [5.2] sizing: open_files =
// (k + 1) * BITS_PER_LONG for the highest nonzero open_fds word k
// (BITS_PER_LONG if none); the child starts with NR_OPEN_DEFAULT =
// BITS_PER_LONG fds and, while open_files is bigger, takes
// alloc_fdtable(open_files - 1).
// ----------------------------------------------------------------------------

// count_open_files().
TEST_F(FdTableTest, CountOpenFilesByWordsFromTheTop) {
  FilesStruct* table = NewFilesStruct(env_);
  EXPECT_EQ(CountOpenFiles(env_, *table), 64u);  // nothing open: the floor
  EXPECT_EQ(Open(*table), 0);
  EXPECT_EQ(CountOpenFiles(env_, *table), 64u);   // word 0
  EXPECT_EQ(OpenAt(*table, 200), 200);            // grows to 256 fds
  EXPECT_EQ(CountOpenFiles(env_, *table), 256u);  // word 3 -> 4 * 64
  ASSERT_TRUE(CloseFd(env_, *table, 200).ok());   // top words now empty
  EXPECT_EQ(CountOpenFiles(env_, *table), 64u);
  PutFilesStruct(env_, table);

  UseI386();
  table = NewFilesStruct(env_);
  EXPECT_EQ(CountOpenFiles(env_, *table), 32u);
  EXPECT_EQ(OpenAt(*table, 200), 200);
  EXPECT_EQ(CountOpenFiles(env_, *table), 224u);  // word 6 -> 7 * 32
  PutFilesStruct(env_, table);
}

struct SizeCase {
  uint32_t open_fds;   // fds 0..open_fds-1 open in the parent
  uint32_t child_max;  // the child's max_fds per dup_fd()
};

// dup_fd() on x86-64 (BITS_PER_LONG 64, 8-byte pointers):
//   N <= 64:  open_files 64, not above NR_OPEN_DEFAULT 64      -> 64
//   65..128:  open_files 128 -> alloc_fdtable(127): k 0 -> 1    -> 128
//   129..192: open_files 192 -> alloc_fdtable(191): k 1 -> 2    -> 256
//   193..256: open_files 256 -> alloc_fdtable(255): k 1 -> 2    -> 256
//   257:      open_files 320 -> alloc_fdtable(319): k 2 -> 4    -> 512
TEST_F(FdTableTest, DupFdSizesX8664) {
  const SizeCase cases[] = {{63, 64},   {64, 64},   {65, 128},
                            {127, 128}, {128, 128}, {129, 256},
                            {255, 256}, {256, 256}, {257, 512}};
  for (const SizeCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "N = " << c.open_fds);
    FilesStruct* parent = TableWithFds(c.open_fds);
    SysResult<FilesStruct*> child = DupFd(env_, *parent);
    ASSERT_TRUE(child.ok());
    EXPECT_EQ(child.value()->max_fds, c.child_max);
    for (uint32_t fd = 0; fd < c.open_fds; ++fd) {
      EXPECT_EQ(FdLookup(*child.value(), fd), FdLookup(*parent, fd));
    }
    EXPECT_THAT(CheckFdTable(env_, *child.value()), IsEmpty());
    PutFilesStruct(env_, child.value());
    PutFilesStruct(env_, parent);
    EXPECT_EQ(released_.size(), c.open_fds);
    released_.clear();
  }
}

// dup_fd() on i386 (BITS_PER_LONG 32, 4-byte pointers, steps of 256):
//   N <= 32:  open_files 32, not above NR_OPEN_DEFAULT 32      -> 32
//   33..256:  open_files 64..256 -> alloc_fdtable(63..255): k 0 -> 256
//   257:      open_files 288 -> alloc_fdtable(287): k 1 -> 2    -> 512
TEST_F(FdTableTest, DupFdSizesI386) {
  UseI386();
  const SizeCase cases[] = {{31, 32},   {32, 32},   {33, 256},  {63, 256},
                            {64, 256},  {65, 256},  {127, 256}, {128, 256},
                            {129, 256}, {255, 256}, {256, 256}, {257, 512}};
  for (const SizeCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "N = " << c.open_fds);
    FilesStruct* parent = TableWithFds(c.open_fds);
    SysResult<FilesStruct*> child = DupFd(env_, *parent);
    ASSERT_TRUE(child.ok());
    EXPECT_EQ(child.value()->max_fds, c.child_max);
    EXPECT_THAT(CheckFdTable(env_, *child.value()), IsEmpty());
    PutFilesStruct(env_, child.value());
    PutFilesStruct(env_, parent);
    released_.clear();
  }
}

// dup_fd() and __alloc_fd(): only fd 200 open. The parent grows once, to
// alloc_fdtable(200) = 256 (k 1 -> 2 * 128), and its next_fd stays 0 because
// start 200 > next_fd. The child sizes by the top word: word 3 -> 256 ->
// alloc_fdtable(255) = 256. The fds below 200 stay free in both.
TEST_F(FdTableTest, DupFdSparseTable) {
  FilesStruct* parent = NewFilesStruct(env_);
  EXPECT_EQ(OpenAt(*parent, 200), 200);
  EXPECT_EQ(parent->max_fds, 256u);
  EXPECT_EQ(parent->next_fd, 0u);
  SysResult<FilesStruct*> child = DupFd(env_, *parent);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child.value()->max_fds, 256u);
  EXPECT_EQ(FdLookup(*child.value(), 200), FdLookup(*parent, 200));
  EXPECT_EQ(FdLookup(*parent, 200)->refcount, 2);
  EXPECT_EQ(Open(*child.value()), 0);
  EXPECT_THAT(CheckFdTable(env_, *child.value()), IsEmpty());
  PutFilesStruct(env_, child.value());
  PutFilesStruct(env_, parent);
}

// dup_fd() on i386: fd 200 is in word 6 -> open_files 224 ->
// alloc_fdtable(223) = 256; fd 40 alone is in word 1 -> 64 > 32 ->
// alloc_fdtable(63) = 256.
TEST_F(FdTableTest, DupFdSparseTableI386) {
  UseI386();
  for (uint32_t fd : {200u, 40u}) {
    SCOPED_TRACE(fd);
    FilesStruct* parent = NewFilesStruct(env_);
    EXPECT_EQ(OpenAt(*parent, fd), int(fd));
    SysResult<FilesStruct*> child = DupFd(env_, *parent);
    ASSERT_TRUE(child.ok());
    EXPECT_EQ(child.value()->max_fds, 256u);
    PutFilesStruct(env_, child.value());
    PutFilesStruct(env_, parent);
  }
}

// dup_fd(): next_fd is not inherited (the new files_struct starts at 0),
// every file gains a reference (get_file()), close_on_exec is copied
// (copy_fd_bitmaps()).
TEST_F(FdTableTest, DupFdResetsNextFdTakesRefsCopiesCloexec) {
  FilesStruct* parent = NewFilesStruct(env_);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Open(*parent, i % 2 == 1 ? kOCloexec : 0), i);
  }
  EXPECT_EQ(parent->next_fd, 5u);
  SysResult<FilesStruct*> result = DupFd(env_, *parent);
  ASSERT_TRUE(result.ok());
  FilesStruct* child = result.value();
  EXPECT_EQ(child->refcount, 1);
  EXPECT_EQ(child->next_fd, 0u);
  EXPECT_EQ(parent->refcount, 1);
  for (int fd = 0; fd < 5; ++fd) {
    EXPECT_EQ(FdLookup(*child, fd), FdLookup(*parent, fd));
    EXPECT_EQ(FdLookup(*child, fd)->refcount, 2);
    EXPECT_EQ(FdIsCloexec(*child, fd), fd % 2 == 1) << fd;
  }
  // From next_fd 0 the lowest free fd is still 5.
  EXPECT_EQ(Open(*child), 5);
  EXPECT_EQ(child->next_fd, 6u);
  EXPECT_EQ(FdLookup(*parent, 5), nullptr);
  PutFilesStruct(env_, child);
  EXPECT_EQ(FdLookup(*parent, 0)->refcount, 1);
  EXPECT_THAT(released_, ElementsAre("f5"));  // only the child's own file
  PutFilesStruct(env_, parent);
}

// dup_fd()'s slot loop: an fd that is open but empty (reserved by an open()
// still in progress) is cleared in the copy with __clear_open_fd(), which
// also clears its full_fds_bits bit. copy_fd_bitmaps() copied its
// close_on_exec bit, and nothing clears that: the stale bit stays, as in 5.2.
TEST_F(FdTableTest, DupFdDropsReservedFds) {
  FilesStruct* parent = NewFilesStruct(env_);
  for (int i = 0; i < 64; ++i) {
    if (i == 10) {
      EXPECT_EQ(GetUnusedFdFlags(env_, *parent, kRlimit, kOCloexec).value(),
                10);
    } else {
      EXPECT_EQ(Open(*parent), i);
    }
  }
  EXPECT_TRUE(parent->full_fds_bits.Test(0));
  SysResult<FilesStruct*> result = DupFd(env_, *parent);
  ASSERT_TRUE(result.ok());
  FilesStruct* child = result.value();
  EXPECT_TRUE(parent->open_fds.Test(10));
  EXPECT_FALSE(child->open_fds.Test(10));
  EXPECT_FALSE(child->full_fds_bits.Test(0));
  EXPECT_TRUE(child->close_on_exec.Test(10));
  EXPECT_THAT(CheckFdTable(env_, *child), IsEmpty());
  // The child can use fd 10; without O_CLOEXEC the stale bit is cleared.
  EXPECT_EQ(Open(*child), 10);
  EXPECT_FALSE(FdIsCloexec(*child, 10));
  EXPECT_TRUE(child->full_fds_bits.Test(0));
  PutUnusedFd(*parent, 10);
  PutFilesStruct(env_, child);
  PutFilesStruct(env_, parent);
}

// dup_fd(): EMFILE when alloc_fdtable() is capped below open_files, here
// because fs.nr_open was lowered after the parent grew to 256 fds:
// alloc_fdtable(255) -> 256 > 128 -> (127 | 63) + 1 = 128 < 256.
TEST_F(FdTableTest, DupFdEmfileWhenSysctlNrOpenLowered) {
  FilesStruct* parent = NewFilesStruct(env_);
  EXPECT_EQ(OpenAt(*parent, 200), 200);
  env_.sysctl_nr_open = 128;
  SysResult<FilesStruct*> child = DupFd(env_, *parent);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error(), Errno::kEMFILE);
  EXPECT_EQ(tables_.size(), 1u);
  EXPECT_EQ(FdLookup(*parent, 200)->refcount, 1);
  PutFilesStruct(env_, parent);
}

// dup_fd() under fault injection. Fds 0..100 need open_files 128, so it
// reaches two allocation points: the files_struct, then alloc_fdtable(127).
TEST_F(FdTableTest, DupFdFaultInjection) {
  FilesStruct* parent = TableWithFds(101);
  const uint64_t tables_before = tables_.size();
  const struct {
    uint32_t nth;
    const char* point;
  } faults[] = {{1, "fs/file.c:dup_fd() kmem_cache_alloc"},
                {2, "fs/file.c:alloc_fdtable()"}};
  for (const auto& f : faults) {
    SCOPED_TRACE(f.point);
    faults_.FailNth(f.nth);
    SysResult<FilesStruct*> child = DupFd(env_, *parent);
    ASSERT_FALSE(child.ok());
    EXPECT_EQ(child.error(), Errno::kENOMEM);
    EXPECT_EQ(faults_.injected(), f.point);
    EXPECT_EQ(tables_.size(), tables_before);
    EXPECT_EQ(parent->refcount, 1);
    for (int fd = 0; fd <= 100; ++fd) {
      EXPECT_EQ(FdLookup(*parent, fd)->refcount, 1) << fd;
    }
  }
  // There is no third point: the third one armed is never reached.
  faults_.FailNth(3);
  SysResult<FilesStruct*> child = DupFd(env_, *parent);
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(faults_.armed());
  faults_.FailNth(0);
  PutFilesStruct(env_, child.value());
  PutFilesStruct(env_, parent);
}

// dup_fd(): a table that fits NR_OPEN_DEFAULT has a single point.
TEST_F(FdTableTest, DupFdSmallTableHasOneFaultPoint) {
  FilesStruct* parent = TableWithFds(64);
  faults_.FailNth(2);
  SysResult<FilesStruct*> child = DupFd(env_, *parent);
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(faults_.armed());
  faults_.FailNth(0);
  PutFilesStruct(env_, child.value());
  PutFilesStruct(env_, parent);
}

// ----------------------------------------------------------------------------
// fs/file.c:__alloc_fd(), expand_files(), put_unused_fd() and __close_fd()
// [5.2].
// ----------------------------------------------------------------------------

// __alloc_fd() and put_unused_fd(): closing 2 sets next_fd to 2;
// closing 4 leaves it. Then: 2 (next_fd 3), 4 (lowest free >= 3), 6.
TEST_F(FdTableTest, LowestFreeAfterCloses) {
  FilesStruct* table = TableWithFds(6);
  ASSERT_TRUE(CloseFd(env_, *table, 2).ok());
  EXPECT_EQ(table->next_fd, 2u);
  ASSERT_TRUE(CloseFd(env_, *table, 4).ok());
  EXPECT_EQ(table->next_fd, 2u);
  EXPECT_EQ(Open(*table), 2);
  EXPECT_EQ(table->next_fd, 3u);
  EXPECT_EQ(Open(*table), 4);
  EXPECT_EQ(table->next_fd, 5u);
  EXPECT_EQ(Open(*table), 6);
  EXPECT_EQ(table->next_fd, 7u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);
}

// __alloc_fd(): next_fd moves only when start <= next_fd.
TEST_F(FdTableTest, NextFdAdvancesOnlyFromItself) {
  FilesStruct* table = TableWithFds(3);
  EXPECT_EQ(OpenAt(*table, 10), 10);  // start 10 > next_fd 3
  EXPECT_EQ(table->next_fd, 3u);
  EXPECT_EQ(Open(*table), 3);
  EXPECT_EQ(table->next_fd, 4u);
  EXPECT_EQ(OpenAt(*table, 2), 4);  // max(2, next_fd 4) = 4
  EXPECT_EQ(table->next_fd, 5u);
  ASSERT_TRUE(CloseFd(env_, *table, 10).ok());  // 10 > next_fd: unchanged
  EXPECT_EQ(table->next_fd, 5u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);
}

// __alloc_fd(): EMFILE once the fd would reach end = RLIMIT_NOFILE, checked
// before expand_files(), so the table does not grow for it.
TEST_F(FdTableTest, EmfileAtRlimitNofile) {
  FilesStruct* table = NewFilesStruct(env_);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(GetUnusedFdFlags(env_, *table, 3, 0).value(), i);
  }
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, 3, 0).error(), Errno::kEMFILE);
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, 0, 0).error(), Errno::kEMFILE);
  for (int i = 3; i < 64; ++i) {
    EXPECT_EQ(GetUnusedFdFlags(env_, *table, 64, 0).value(), i);
  }
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, 64, 0).error(), Errno::kEMFILE);
  EXPECT_EQ(table->max_fds, 64u);
  // With RLIMIT_NOFILE 65, fd 64 is allowed and the table grows.
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, 65, 0).value(), 64);
  EXPECT_EQ(table->max_fds, 128u);
  // __alloc_fd()'s end is an unsigned int: an rlimit of 2^32 becomes 0.
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, uint64_t{1} << 32, 0).error(),
            Errno::kEMFILE);
  for (int i = 0; i <= 64; ++i) PutUnusedFd(*table, i);
  EXPECT_EQ(table->next_fd, 0u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);
}

// expand_files() refuses fds >= sysctl_nr_open, but only when it has to
// grow. With fs.nr_open 100, growing at fd 64 takes
// alloc_fdtable(64) = 128 > 100 -> (99 | 63) + 1 = 128, so fds 100..127 are
// still handed out and fd 128 fails.
TEST_F(FdTableTest, EmfileFromSysctlNrOpen) {
  env_.sysctl_nr_open = 100;
  FilesStruct* table = TableWithFds(128);
  EXPECT_EQ(table->max_fds, 128u);
  SysResult<int> fd = GetUnusedFdFlags(env_, *table, kRlimit, 0);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error(), Errno::kEMFILE);
  EXPECT_EQ(table->max_fds, 128u);
  EXPECT_EQ(table->next_fd, 128u);
  PutFilesStruct(env_, table);

  env_.sysctl_nr_open = 64;  // the minimum: the embedded table is all there is
  table = TableWithFds(64);
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, kRlimit, 0).error(), Errno::kEMFILE);
  EXPECT_EQ(table->max_fds, 64u);
  PutFilesStruct(env_, table);
}

// expand_fdtable() to alloc_fdtable(fd) keeps files, bitmaps and
// next_fd. x86-64: fd 64 -> 128, fd 128 -> 256; a first fd 1000 ->
// alloc_fdtable(1000): k 7 -> 8 * 128 = 1024.
TEST_F(FdTableTest, ExpandFilesGrowth) {
  FilesStruct* table = NewFilesStruct(env_);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(Open(*table, i % 3 == 0 ? kOCloexec : 0), i);
  }
  EXPECT_EQ(table->max_fds, 64u);
  File* file7 = FdLookup(*table, 7);
  EXPECT_EQ(Open(*table), 64);
  EXPECT_EQ(table->max_fds, 128u);
  EXPECT_EQ(FdLookup(*table, 7), file7);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(FdIsCloexec(*table, i), i % 3 == 0);
  EXPECT_TRUE(table->full_fds_bits.Test(0));
  EXPECT_EQ(table->next_fd, 65u);
  for (int i = 65; i < 128; ++i) EXPECT_EQ(Open(*table), i);
  EXPECT_EQ(table->max_fds, 128u);
  EXPECT_EQ(Open(*table), 128);
  EXPECT_EQ(table->max_fds, 256u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);

  table = NewFilesStruct(env_);
  EXPECT_EQ(OpenAt(*table, 1000), 1000);
  EXPECT_EQ(table->max_fds, 1024u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);
}

// expand_fdtable() on i386: fd 32 -> alloc_fdtable(32) = 256 (k 0 with
// steps of 256); fd 256 -> alloc_fdtable(256) = 512.
TEST_F(FdTableTest, ExpandFilesGrowthI386) {
  UseI386();
  FilesStruct* table = TableWithFds(32);
  EXPECT_EQ(table->max_fds, 32u);
  EXPECT_EQ(Open(*table), 32);
  EXPECT_EQ(table->max_fds, 256u);
  for (int i = 33; i < 256; ++i) EXPECT_EQ(Open(*table), i);
  EXPECT_EQ(table->max_fds, 256u);
  EXPECT_EQ(Open(*table), 256);
  EXPECT_EQ(table->max_fds, 512u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);
}

// ENOMEM from alloc_fdtable() in expand_fdtable() leaves the
// table as it was.
TEST_F(FdTableTest, ExpandFilesFaultLeavesTableUnchanged) {
  FilesStruct* table = TableWithFds(64);
  faults_.FailNth(1);
  SysResult<int> fd = GetUnusedFdFlags(env_, *table, kRlimit, 0);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error(), Errno::kENOMEM);
  EXPECT_EQ(faults_.injected(), "fs/file.c:alloc_fdtable()");
  EXPECT_EQ(table->max_fds, 64u);
  EXPECT_EQ(table->next_fd, 64u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  EXPECT_EQ(Open(*table), 64);  // disarmed now: it works
  PutFilesStruct(env_, table);
}

// put_unused_fd(): clears the open bit and its full_fds_bits bit, and
// next_fd = min(next_fd, fd).
TEST_F(FdTableTest, PutUnusedFd) {
  FilesStruct* table = NewFilesStruct(env_);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(GetUnusedFdFlags(env_, *table, kRlimit, 0).value(), i);
  }
  EXPECT_TRUE(table->full_fds_bits.Test(0));
  PutUnusedFd(*table, 40);
  EXPECT_FALSE(table->open_fds.Test(40));
  EXPECT_FALSE(table->full_fds_bits.Test(0));
  EXPECT_EQ(table->next_fd, 40u);
  PutUnusedFd(*table, 50);
  EXPECT_EQ(table->next_fd, 40u);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  for (int i = 0; i < 64; ++i) {
    if (i != 40 && i != 50) PutUnusedFd(*table, i);
  }
  PutFilesStruct(env_, table);
}

// fs/file.c:__close_fd() [5.2]: EBADF for an fd out of range (a negative
// int is a huge unsigned), an empty slot, or a reserved one.
TEST_F(FdTableTest, CloseFdEbadf) {
  FilesStruct* table = TableWithFds(2);
  const int reserved = GetUnusedFdFlags(env_, *table, kRlimit, 0).value();
  EXPECT_EQ(CloseFd(env_, *table, -1).error(), Errno::kEBADF);
  EXPECT_EQ(CloseFd(env_, *table, 64).error(), Errno::kEBADF);
  EXPECT_EQ(CloseFd(env_, *table, 5).error(), Errno::kEBADF);
  EXPECT_EQ(CloseFd(env_, *table, reserved).error(), Errno::kEBADF);
  EXPECT_TRUE(table->open_fds.Test(reserved));
  EXPECT_EQ(FdLookup(*table, -1), nullptr);
  EXPECT_EQ(FdLookup(*table, 64), nullptr);
  ASSERT_TRUE(CloseFd(env_, *table, 1).ok());
  EXPECT_THAT(released_, ElementsAre("f1"));
  EXPECT_EQ(CloseFd(env_, *table, 1).error(), Errno::kEBADF);
  PutUnusedFd(*table, reserved);
  PutFilesStruct(env_, table);
}

// __close_fd() drops one reference; the file is released only with the
// last, e.g. when a child table still holds it.
TEST_F(FdTableTest, CloseFdReleasesOnLastReference) {
  FilesStruct* parent = TableWithFds(1);
  File* file = FdLookup(*parent, 0);
  file->kind = FileKind::kPidfd;
  file->name = "[pidfd]";
  SysResult<FilesStruct*> child = DupFd(env_, *parent);
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(CloseFd(env_, *parent, 0).ok());
  EXPECT_THAT(released_, IsEmpty());
  EXPECT_EQ(file->refcount, 1);
  ASSERT_TRUE(CloseFd(env_, *child.value(), 0).ok());
  EXPECT_THAT(released_, ElementsAre("[pidfd]"));
  PutFilesStruct(env_, child.value());
  PutFilesStruct(env_, parent);
}

// put_unused_fd() (and so close) leaves close_on_exec alone, so a
// closed fd may keep its bit; __alloc_fd() sets or clears it on reuse. This
// is legal and CheckFdTable() does not report it.
TEST_F(FdTableTest, StaleCloseOnExecBitIsLegal) {
  FilesStruct* table = NewFilesStruct(env_);
  EXPECT_EQ(Open(*table, kOCloexec), 0);
  ASSERT_TRUE(CloseFd(env_, *table, 0).ok());
  EXPECT_TRUE(table->close_on_exec.Test(0));
  EXPECT_FALSE(table->open_fds.Test(0));
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  EXPECT_EQ(Open(*table), 0);
  EXPECT_FALSE(FdIsCloexec(*table, 0));
  PutFilesStruct(env_, table);
}

// ----------------------------------------------------------------------------
// kernel/fork.c:copy_files() [5.2] with CLONE_FILES: the table is shared by
// count.
// ----------------------------------------------------------------------------

// fs/file.c:put_files_struct() [5.2]: the last put closes every file, in fd
// order, and the release hook sees each file before it is freed.
TEST_F(FdTableTest, SharedTableClosedByLastPut) {
  FilesStruct* table = NewFilesStruct(env_);
  // Files made in the order a, b, c but installed as c, b, a.
  File* a = NewFile("a");
  File* b = NewFile("b");
  File* c = NewFile("c");
  for (File* file : {c, b, a}) {
    FdInstall(*table, GetUnusedFdFlags(env_, *table, kRlimit, 0).value(), file);
  }
  Registry<FilesStruct>::Get(table);  // CLONE_FILES: count++
  EXPECT_EQ(table->refcount, 2);
  PutFilesStruct(env_, table);  // one sharer exits
  EXPECT_EQ(table->refcount, 1);
  EXPECT_THAT(released_, IsEmpty());
  EXPECT_EQ(files_.size(), 3u);
  // A reserved fd holds no file and is skipped.
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, kRlimit, 0).value(), 3);
  PutFilesStruct(env_, table);
  EXPECT_THAT(released_, ElementsAre("c", "b", "a"));
}

// ----------------------------------------------------------------------------
// CheckFdTable(): each rule broken on purpose, one test per rule.
// ----------------------------------------------------------------------------

// Tables built only by the kernel operations are healthy.
TEST_F(FdTableTest, CheckFdTableHealthy) {
  FilesStruct* table = NewFilesStruct(env_);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  for (int i = 0; i < 130; ++i) Open(*table, i % 2 ? kOCloexec : 0);
  ASSERT_TRUE(CloseFd(env_, *table, 7).ok());
  EXPECT_EQ(GetUnusedFdFlags(env_, *table, kRlimit, 0).value(), 7);
  EXPECT_EQ(OpenAt(*table, 500), 500);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  SysResult<FilesStruct*> child = DupFd(env_, *table);
  ASSERT_TRUE(child.ok());
  EXPECT_THAT(CheckFdTable(env_, *child.value()), IsEmpty());
  PutFilesStruct(env_, child.value());
  PutUnusedFd(*table, 7);
  PutFilesStruct(env_, table);

  UseI386();
  table = TableWithFds(40);
  EXPECT_THAT(CheckFdTable(env_, *table), IsEmpty());
  PutFilesStruct(env_, table);
}

// Rule [installed => open].
TEST_F(FdTableTest, CheckFdTableInstalledFileMustBeOpen) {
  FilesStruct* table = TableWithFds(3);
  EXPECT_EQ(OpenAt(*table, 5), 5);  // next_fd stays 3
  table->open_fds.Clear(5);
  EXPECT_THAT(
      CheckFdTable(env_, *table),
      ElementsAre(AllOf(HasSubstr("fd 5:"), HasSubstr("[installed => open]"))));
  table->open_fds.Set(5);
  PutFilesStruct(env_, table);
}

// Rule [full_fds_bits <=> full], both ways.
TEST_F(FdTableTest, CheckFdTableFullFdsBitsMatchFullWords) {
  FilesStruct* table = TableWithFds(65);  // word 0 full, 128 fds
  table->full_fds_bits.Set(1);            // word 1 is not full
  EXPECT_THAT(CheckFdTable(env_, *table),
              ElementsAre(AllOf(HasSubstr("word 1:"), HasSubstr("bit set"),
                                HasSubstr("[full_fds_bits <=> full]"))));
  table->full_fds_bits.Clear(1);
  table->full_fds_bits.Clear(0);  // word 0 is full
  EXPECT_THAT(CheckFdTable(env_, *table),
              ElementsAre(AllOf(HasSubstr("word 0:"), HasSubstr("bit clear"),
                                HasSubstr("[full_fds_bits <=> full]"))));
  table->full_fds_bits.Set(0);
  PutFilesStruct(env_, table);
}

// Rule [below next_fd => open].
TEST_F(FdTableTest, CheckFdTableBelowNextFdMustBeOpen) {
  FilesStruct* table = TableWithFds(6);
  table->next_fd = 8;
  EXPECT_THAT(
      CheckFdTable(env_, *table),
      ElementsAre(
          AllOf(HasSubstr("fd 6:"), HasSubstr("[below next_fd => open]")),
          AllOf(HasSubstr("fd 7:"), HasSubstr("[below next_fd => open]"))));
  table->next_fd = 6;
  PutFilesStruct(env_, table);
}

// Rule [sized by max_fds], one broken size at a time.
TEST_F(FdTableTest, CheckFdTableSizedByMaxFds) {
  const std::string rule = "[sized by max_fds]";
  FilesStruct* table = NewFilesStruct(env_);
  table->fd.resize(63);
  EXPECT_THAT(CheckFdTable(env_, *table),
              ElementsAre(AllOf(HasSubstr("63 slots"), HasSubstr(rule))));
  table->fd.resize(64);
  table->open_fds.Resize(128);
  EXPECT_THAT(
      CheckFdTable(env_, *table),
      ElementsAre(AllOf(HasSubstr("open_fds: 128 bits"), HasSubstr(rule))));
  table->open_fds.Resize(64);
  table->close_on_exec.Reset(32, 64);
  EXPECT_THAT(CheckFdTable(env_, *table),
              ElementsAre(AllOf(HasSubstr("close_on_exec: 32-bit words"),
                                HasSubstr(rule))));
  table->close_on_exec.Reset(64, 64);
  table->full_fds_bits.Resize(2);
  EXPECT_THAT(
      CheckFdTable(env_, *table),
      ElementsAre(AllOf(HasSubstr("full_fds_bits: 2 bits"), HasSubstr(rule))));
  table->full_fds_bits.Resize(1);
  // 96 fds, everything sized to match, but not a multiple of 64.
  table->max_fds = 96;
  table->fd.resize(96);
  table->open_fds.Resize(96);
  table->close_on_exec.Resize(96);
  EXPECT_THAT(CheckFdTable(env_, *table),
              ElementsAre(AllOf(HasSubstr("max_fds 96:"), HasSubstr(rule))));
  PutFilesStruct(env_, table);
}

// Rule [no slot beyond max_fds].
TEST_F(FdTableTest, CheckFdTableNoSlotBeyondMaxFds) {
  FilesStruct* table = TableWithFds(64);
  File* stray = NewFile("stray");
  table->fd.push_back(stray);
  EXPECT_THAT(
      CheckFdTable(env_, *table),
      ElementsAre(AllOf(HasSubstr("fd 64:"), HasSubstr("holding a file"),
                        HasSubstr("[no slot beyond max_fds]"))));
  table->fd.pop_back();
  FPut(env_, stray);
  PutFilesStruct(env_, table);
}

// FdBitmap keeps the kernel's word layout: 32-bit words hold 32 bits.
TEST_F(FdTableTest, FdBitmapWords) {
  FdBitmap bits(32, 96);
  EXPECT_EQ(bits.words(), 3u);
  bits.Set(33);
  bits.Set(95);
  EXPECT_EQ(bits.word(0), 0u);
  EXPECT_EQ(bits.word(1), 0x2u);
  EXPECT_EQ(bits.word(2), 0x80000000u);
  for (uint32_t i = 32; i < 64; ++i) bits.Set(i);
  EXPECT_TRUE(bits.WordFull(1));
  EXPECT_EQ(bits.FindNextZero(96, 32), 64u);
  EXPECT_EQ(bits.FindNextZero(60, 32), 60u);  // none below the limit
  bits.Resize(40);
  EXPECT_EQ(bits.word(1), 0xffu);  // bits at or beyond size() are dropped
  EXPECT_FALSE(bits.Test(95));
}

}  // namespace
}  // namespace forksim

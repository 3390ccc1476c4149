// -----------------------------------------------------------------------------
// File: model/kernel/fdtable.h
// -----------------------------------------------------------------------------
//
// Open file tables: struct file, struct files_struct with its current struct
// fdtable, and the fs/file.c [5.2] operations that fork and the pidfd need:
// dup_fd() (copy_files without CLONE_FILES), fd allocation with table growth,
// put_unused_fd(), fd_install(), __close_fd() and put_files_struct().
//
// Sources: fs/file.c:dup_fd(), alloc_fdtable(), __alloc_fd(), expand_files(),
// put_unused_fd() [5.2]; NR_OPEN_DEFAULT (include/linux/fdtable.h [5.2],
// line 24) and sysctl_nr_open (fs/file.c [5.2], lines 22-27).
//
// The model keeps the kernel's bitmaps word for word, with BITS_PER_LONG-bit
// words (64 on x86-64 kernels, 32 on i386), so that the sizes dup_fd() picks
// and the fds __alloc_fd() hands out are those of the real kernel. One
// consequence worth knowing: __put_unused_fd() (and so close) clears the
// open_fds bit but leaves the close_on_exec bit as it was, and dup_fd() copies
// close_on_exec words whole. A close_on_exec bit on a closed fd is therefore
// legal and kept here; it is never read, because every allocation sets or
// clears the bit again.
//
// Fault points (FaultInjector::Check), in kernel order:
//   "fs/file.c:dup_fd() kmem_cache_alloc"  ENOMEM  the new files_struct
//   "fs/file.c:alloc_fdtable()"            ENOMEM  a bigger fdtable, from
//                                                  dup_fd() or expand_fdtable()
// alloc_fdtable()'s three allocations (the fdtable, the fd array, the bitmaps)
// are one point: any of them failing has the same effect, NULL and -ENOMEM.

#ifndef FORKSIM_MODEL_KERNEL_FDTABLE_H_
#define FORKSIM_MODEL_KERNEL_FDTABLE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/errno.h"
#include "model/kernel/fault.h"
#include "model/kernel/object.h"

namespace forksim {

struct Pid;  // model/kernel/pid.h; only pointers here.

// x86 open flags (include/uapi/asm-generic/fcntl.h [5.2]).
inline constexpr uint32_t kORdonly = 0;
inline constexpr uint32_t kOWronly = 01;
inline constexpr uint32_t kORdwr = 02;
inline constexpr uint32_t kOExcl = 0200;
inline constexpr uint32_t kONonblock = 04000;
inline constexpr uint32_t kODirectory = 0200000;
inline constexpr uint32_t kOCloexec = 02000000;
inline constexpr uint32_t kOPath = 010000000;
// A pidfd for one thread rather than its thread group: O_EXCL in f_flags
// (include/uapi/linux/pidfd.h:13 [6.12]).
inline constexpr uint32_t kPidfdThread = kOExcl;

enum class FileKind : uint8_t {
  kRegular,
  kPipeRead,
  kPipeWrite,
  kPidfd,
  kCgroupDir,  // a cgroup v2 directory (CLONE_INTO_CGROUP's fd)
};

struct Cgroup;

// File
//
// struct file (include/linux/fs.h [5.2]). f_count is KObject::refcount.
struct File : KObject {
  FileKind kind = FileKind::kRegular;
  std::string name;  // "[pidfd]", "pipe:[1]", "/dev/null", ...
  uint32_t f_flags = 0;
  // For a pidfd: the struct pid. The file holds a reference; the machine drops
  // it in FdTableEnv::release_file, as pidfd_release() does.
  Pid* pid = nullptr;
  // For a cgroup directory: the cgroup, with a reference (dropped the same
  // way); O_PATH files count too (fget_raw() accepts them).
  Cgroup* cgroup = nullptr;
};

// FdBitmap
//
// A bitmap stored as the kernel stores it: an array of BITS_PER_LONG-bit words
// (`bits_per_word` is 32 or 64). Each word is kept in a uint64_t; on 32-bit
// the upper half is always zero. Bits at or beyond size() are always zero.
class FdBitmap {
 public:
  explicit FdBitmap(uint32_t bits_per_word = 64, uint32_t nbits = 0);

  // Reset()
  //
  // A zeroed bitmap of `nbits` bits in `bits_per_word`-bit words.
  void Reset(uint32_t bits_per_word, uint32_t nbits);

  // Resize()
  //
  // Keeps the first min(size(), nbits) bits and zeroes the rest.
  void Resize(uint32_t nbits);

  uint32_t bits_per_word() const { return bits_per_word_; }
  // log2(bits_per_word): words are 32 or 64 bits, so an index splits by
  // shift and mask rather than by division.
  uint32_t word_shift() const { return bits_per_word_ == 64 ? 6 : 5; }
  uint32_t size() const { return nbits_; }  // in bits
  size_t words() const { return words_.size(); }

  // word()
  //
  // Word k as the kernel's unsigned long; 0 for k >= words().
  uint64_t word(size_t k) const { return k < words_.size() ? words_[k] : 0; }

  // set_word()
  //
  // Overwrites word k (k < words()), as the kernel's memcpy of whole longs.
  // Bits at or beyond size() are dropped.
  void set_word(size_t k, uint64_t value);

  // WordFull()
  //
  // True if every bit of word k is set (the kernel's `!~word`).
  bool WordFull(size_t k) const { return word(k) == word_mask(); }

  // Test() is false for i >= size(); Set() and Clear() need i < size().
  bool Test(uint32_t i) const;
  void Set(uint32_t i);
  void Clear(uint32_t i);

  // FindNextZero()
  //
  // find_next_zero_bit(): the first clear bit in [start, limit), or `limit`
  // if there is none.
  uint32_t FindNextZero(uint32_t limit, uint32_t start) const;

 private:
  uint64_t word_mask() const {
    return bits_per_word_ == 64 ? ~uint64_t{0}
                                : (uint64_t{1} << bits_per_word_) - 1;
  }
  void MaskTail();

  uint32_t bits_per_word_;
  uint32_t nbits_ = 0;
  std::vector<uint64_t> words_;
};

// FilesStruct
//
// struct files_struct with its current struct fdtable
// (include/linux/fdtable.h:24-67 [5.2]). The embedded table of NR_OPEN_DEFAULT
// fds and a kmalloc'ed one differ only in max_fds here. count is
// KObject::refcount.
//
// Sizes: fd has max_fds slots; open_fds and close_on_exec have max_fds bits;
// full_fds_bits has max_fds / BITS_PER_LONG bits, bit k set iff open_fds word
// k is all ones. An open bit with a NULL slot is a reserved fd (allocated by
// get_unused_fd_flags, not yet installed).
struct FilesStruct : KObject {
  uint32_t max_fds = 0;
  std::vector<File*> fd;
  FdBitmap open_fds, close_on_exec, full_fds_bits;
  uint32_t next_fd = 0;  // allocation starts here; every fd below is open
};

// FdTableEnv
//
// What fd-table code needs from the machine.
struct FdTableEnv {
  Registry<File>* files;
  Registry<FilesStruct>* tables;
  FaultInjector* faults;
  // The kernel's BITS_PER_LONG; NR_OPEN_DEFAULT is the same number
  // (include/linux/fdtable.h:24 [5.2]).
  uint32_t bits_per_long = 64;
  uint32_t pointer_bytes = 8;         // sizeof(struct file *): 8 x86-64, 4 i386
  uint32_t sysctl_nr_open = 1048576;  // fs.nr_open; at least BITS_PER_LONG
  // Called when a File's last reference is dropped, before Destroy (may be
  // empty): the file's ->release(), e.g. pidfd_release() putting the pid.
  std::function<void(File*)> release_file;
};

// NewFilesStruct()
//
// init_files: an empty table of NR_OPEN_DEFAULT fds, refcount 1.
FilesStruct* NewFilesStruct(FdTableEnv& env);

// AllocFdtableSize()
//
// The max_fds alloc_fdtable(nr) picks: nr rounded up to a power-of-two number
// of 1024-byte fd arrays, then capped to sysctl_nr_open rounded up to
// BITS_PER_LONG. The result can be <= nr when capped; callers check.
uint32_t AllocFdtableSize(const FdTableEnv& env, uint32_t nr);

// CountOpenFiles()
//
// count_open_files(): (k+1) * BITS_PER_LONG for the highest nonzero open_fds
// word k, and BITS_PER_LONG if there is none.
uint32_t CountOpenFiles(const FdTableEnv& env, const FilesStruct& files);

// DupFd()
//
// dup_fd(): a copy of `old` with refcount 1 and next_fd 0. Every installed file
// gains a reference; reserved fds are not open in the copy. ENOMEM at either
// fault point; EMFILE if sysctl_nr_open no longer allows a table big enough.
// On failure nothing is left behind.
SysResult<FilesStruct*> DupFd(FdTableEnv& env, FilesStruct& old);

// AllocFd()
//
// __alloc_fd(files, start, end, flags): the lowest free fd >= max(start,
// next_fd), growing the table if needed; marks it open (a reserved fd) and
// sets or clears close_on_exec. EMFILE if the fd would be >= end or >=
// sysctl_nr_open; ENOMEM if growing fails. `end` is truncated to 32 bits, as
// the kernel's `unsigned end` parameter truncates rlimit().
SysResult<int> AllocFd(FdTableEnv& env, FilesStruct& files, uint32_t start,
                       uint64_t end, bool cloexec);

// GetUnusedFdFlags()
//
// get_unused_fd_flags(flags): AllocFd(files, 0, RLIMIT_NOFILE, O_CLOEXEC in
// flags).
SysResult<int> GetUnusedFdFlags(FdTableEnv& env, FilesStruct& files,
                                uint64_t rlimit_nofile, uint32_t flags);

// PutUnusedFd()
//
// put_unused_fd(): frees a reserved fd (open bit, NULL slot).
void PutUnusedFd(FilesStruct& files, int fd);

// FdInstall()
//
// fd_install(): puts `file` in the reserved slot `fd`; the table takes over
// the caller's reference.
void FdInstall(FilesStruct& files, int fd, File* file);

// CloseFd()
//
// __close_fd(): EBADF if fd is out of range or has no file installed (a
// reserved fd included); otherwise empties the slot, frees the fd and drops
// the table's reference to the file.
SysStatus CloseFd(FdTableEnv& env, FilesStruct& files, int fd);

// GetFile() / FPut()
//
// get_file() and fput(). At zero FPut() calls env.release_file and then
// destroys the File.
void GetFile(File* file);
void FPut(FdTableEnv& env, File* file);

// PutFilesStruct()
//
// put_files_struct(): drops a reference; at zero closes every installed file
// in fd order and destroys the table.
void PutFilesStruct(FdTableEnv& env, FilesStruct* files);

// FdLookup()
//
// The file installed at fd, or nullptr (out of range, free or reserved).
File* FdLookup(const FilesStruct& files, int fd);

// FdIsCloexec()
//
// close_on_exec(fd, fdt): the close_on_exec bit. Meaningful only for an open
// fd; a closed fd may keep a stale bit (see the top of this file).
bool FdIsCloexec(const FilesStruct& files, int fd);

// CheckFdTable()
//
// The table's invariants, one line per violation naming the fd or word and
// ending with the rule in brackets; empty if the table is healthy:
//   [installed => open]         a slot holding a file has its open_fds bit
//   [full_fds_bits <=> full]    full_fds_bits bit k iff open_fds word k is ~0
//   [below next_fd => open]     every fd below next_fd is open
//   [sized by max_fds]          max_fds is a nonzero multiple of
//                               BITS_PER_LONG; fd, open_fds and close_on_exec
//                               have max_fds entries, full_fds_bits
//                               max_fds / BITS_PER_LONG; words are
//                               BITS_PER_LONG bits
//   [no slot beyond max_fds]    the fd array is not longer than max_fds
// close_on_exec bits on fds that are not open are not reported: 5.2 leaves
// them behind on close and copies them in dup_fd().
std::vector<std::string> CheckFdTable(const FdTableEnv& env,
                                      const FilesStruct& files);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_FDTABLE_H_

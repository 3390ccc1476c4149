#include "model/kernel/fdtable.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <utility>

#include "absl/strings/str_format.h"

namespace forksim {

// ---------------------------------------------------------------------------
// FdBitmap: the kernel's unsigned long bitmaps (include/linux/bitmap.h [5.2]).
// ---------------------------------------------------------------------------

FdBitmap::FdBitmap(uint32_t bits_per_word, uint32_t nbits)
    : bits_per_word_(bits_per_word) {
  Reset(bits_per_word, nbits);
}

void FdBitmap::Reset(uint32_t bits_per_word, uint32_t nbits) {
  assert(bits_per_word == 32 || bits_per_word == 64);
  bits_per_word_ = bits_per_word;
  nbits_ = nbits;
  words_.assign((uint64_t{nbits} + bits_per_word - 1) / bits_per_word, 0);
}

void FdBitmap::Resize(uint32_t nbits) {
  nbits_ = nbits;
  words_.resize((uint64_t{nbits} + bits_per_word_ - 1) / bits_per_word_, 0);
  MaskTail();
}

void FdBitmap::set_word(size_t k, uint64_t value) {
  assert(k < words_.size());
  words_[k] = value & word_mask();
  MaskTail();
}

// Keeps the "no bits at or beyond size()" promise when the last word is only
// partly inside the bitmap (full_fds_bits of a small table).
void FdBitmap::MaskTail() {
  const uint32_t tail = nbits_ % bits_per_word_;
  if (tail != 0 && !words_.empty()) words_.back() &= (uint64_t{1} << tail) - 1;
}

bool FdBitmap::Test(uint32_t i) const {
  if (i >= nbits_) return false;
  return (words_[i >> word_shift()] >> (i & (bits_per_word_ - 1))) & 1;
}

void FdBitmap::Set(uint32_t i) {
  assert(i < nbits_);
  words_[i >> word_shift()] |= uint64_t{1} << (i & (bits_per_word_ - 1));
}

void FdBitmap::Clear(uint32_t i) {
  assert(i < nbits_);
  words_[i >> word_shift()] &= ~(uint64_t{1} << (i & (bits_per_word_ - 1)));
}

// lib/find_bit.c:find_next_zero_bit() [5.2]: word at a time, so that a large
// table of full words is scanned quickly.
uint32_t FdBitmap::FindNextZero(uint32_t limit, uint32_t start) const {
  if (start >= limit) return limit;
  uint64_t k = start / bits_per_word_;
  uint64_t zeros =
      ~word(k) & word_mask() & (~uint64_t{0} << (start % bits_per_word_));
  while (zeros == 0) {
    ++k;
    if (k * bits_per_word_ >= limit) return limit;
    zeros = ~word(k) & word_mask();
  }
  const uint64_t bit = k * bits_per_word_ + std::countr_zero(zeros);
  return bit < limit ? static_cast<uint32_t>(bit) : limit;
}

namespace {

// The BITS_PER_LONG a table was built with. Functions without an env (put,
// install) take it from the table itself.
uint32_t BitsPerLong(const FilesStruct& files) {
  return files.open_fds.bits_per_word();
}

// BITBIT_NR(nr) in fs/file.c [5.2]: longs of full_fds_bits for nr fds.
uint32_t BitbitWords(uint32_t nr, uint32_t bits_per_long) {
  const uint32_t words = (nr + bits_per_long - 1) / bits_per_long;
  return (words + bits_per_long - 1) / bits_per_long;
}

// An empty fdtable of max_fds fds: the embedded table set up in dup_fd() and
// init_files, or a fresh alloc_fdtable() result before it is filled.
void InitFdtable(const FdTableEnv& env, FilesStruct& files, uint32_t max_fds) {
  files.max_fds = max_fds;
  files.fd.assign(max_fds, nullptr);
  files.open_fds.Reset(env.bits_per_long, max_fds);
  files.close_on_exec.Reset(env.bits_per_long, max_fds);
  files.full_fds_bits.Reset(env.bits_per_long, max_fds / env.bits_per_long);
}

// fs/file.c:__set_open_fd() [5.2]: keeps full_fds_bits in step so that
// find_next_fd() can skip full words.
void SetOpenFd(FilesStruct& files, uint32_t fd) {
  files.open_fds.Set(fd);
  const uint32_t word = fd / BitsPerLong(files);
  if (files.open_fds.WordFull(word)) files.full_fds_bits.Set(word);
}

// fs/file.c:__clear_open_fd() [5.2]. close_on_exec is deliberately left alone,
// as in the kernel.
void ClearOpenFd(FilesStruct& files, uint32_t fd) {
  files.open_fds.Clear(fd);
  files.full_fds_bits.Clear(fd / BitsPerLong(files));
}

// fs/file.c:alloc_fdtable() [5.2] as a failure point: the size it would
// allocate, or ENOMEM. Its three allocations are one point (see fdtable.h).
SysResult<uint32_t> AllocFdtable(FdTableEnv& env, uint32_t nr) {
  FORKSIM_TRY(env.faults->Check("fs/file.c:alloc_fdtable()", Errno::kENOMEM));
  return AllocFdtableSize(env, nr);
}

// fs/file.c:copy_fd_bitmaps() [5.2]: `count` bits (whole words, since count is
// a multiple of BITS_PER_LONG) of open_fds and close_on_exec, and
// BITBIT_NR(count) whole words of full_fds_bits. `dst` was zeroed by
// InitFdtable(), which stands for the kernel's memset of the rest.
void CopyFdBitmaps(const FdTableEnv& env, FilesStruct& dst,
                   const FilesStruct& src, uint32_t count) {
  const uint32_t bpl = env.bits_per_long;
  for (uint32_t k = 0; k < count / bpl; ++k) {
    dst.open_fds.set_word(k, src.open_fds.word(k));
    dst.close_on_exec.set_word(k, src.close_on_exec.word(k));
  }
  const uint32_t bitbit =
      std::min<uint32_t>(BitbitWords(count, bpl), dst.full_fds_bits.words());
  for (uint32_t k = 0; k < bitbit; ++k) {
    dst.full_fds_bits.set_word(k, src.full_fds_bits.word(k));
  }
}

// The slot loop of fs/file.c:dup_fd() [5.2]: each installed file gains the new
// table's reference. A slot that is open but empty belongs to an open() still
// in progress in the old table, so the copy must not inherit the reservation.
void CopyFdSlots(FilesStruct& dst, const FilesStruct& src,
                 uint32_t open_files) {
  for (uint32_t i = 0; i < open_files; ++i) {
    File* file = src.fd[i];
    if (file != nullptr) {
      GetFile(file);
    } else {
      ClearOpenFd(dst, i);
    }
    dst.fd[i] = file;
  }
}

// fs/file.c:expand_fdtable() [5.2], with copy_fdtable(): a table of
// alloc_fdtable(nr) fds holding everything the old one held. EMFILE when a
// lowered sysctl_nr_open capped the new table at or below nr.
SysStatus ExpandFdtable(FdTableEnv& env, FilesStruct& files, uint32_t nr) {
  SysResult<uint32_t> size = AllocFdtable(env, nr);
  if (!size.ok()) return size.error();
  if (size.value() <= nr) return Errno::kEMFILE;
  assert(nr >= files.max_fds);
  // copy_fdtable(): all old slots and bitmap bits, the rest zero. Resizing in
  // place is the same thing, since the old bitmaps have exactly max_fds bits.
  const uint32_t bpl = BitsPerLong(files);
  files.max_fds = size.value();
  files.fd.resize(files.max_fds, nullptr);
  files.open_fds.Resize(files.max_fds);
  files.close_on_exec.Resize(files.max_fds);
  files.full_fds_bits.Resize(files.max_fds / bpl);
  return SysOk();
}

// fs/file.c:expand_files() [5.2]: true if the table grew (the caller then
// starts over, as the kernel may have slept). sysctl_nr_open is checked only
// when growing, so fds up to max_fds - 1 stay usable after it is lowered.
SysResult<bool> ExpandFiles(FdTableEnv& env, FilesStruct& files, uint32_t nr) {
  if (nr < files.max_fds) return false;
  if (nr >= env.sysctl_nr_open) return Errno::kEMFILE;
  FORKSIM_TRY(ExpandFdtable(env, files, nr));
  return true;
}

// fs/file.c:find_next_fd() [5.2]: skip full words with full_fds_bits, then
// the first clear open_fds bit at or after `start`; max_fds if none.
uint32_t FindNextFd(const FilesStruct& files, uint32_t start) {
  const uint32_t bpl = BitsPerLong(files);
  const uint32_t maxfd = files.max_fds;
  const uint32_t maxbit = maxfd / bpl;
  uint32_t bitbit = files.full_fds_bits.FindNextZero(maxbit, start / bpl);
  bitbit *= bpl;
  if (bitbit > maxfd) return maxfd;
  if (bitbit > start) start = bitbit;
  return files.open_fds.FindNextZero(maxfd, start);
}

// fs/file.c:close_files() [5.2]: every installed file among the open fds, in
// fd order. The open bits are not cleared: the table is about to be freed.
void CloseFiles(FdTableEnv& env, FilesStruct& files) {
  const uint32_t bpl = BitsPerLong(files);
  for (uint32_t j = 0; uint64_t{j} * bpl < files.max_fds; ++j) {
    uint64_t set = files.open_fds.word(j);
    for (uint32_t i = j * bpl; set != 0 && i < files.fd.size();
         ++i, set >>= 1) {
      if ((set & 1) == 0) continue;
      File* file = std::exchange(files.fd[i], nullptr);
      if (file != nullptr) FPut(env, file);  // filp_close()
    }
  }
}

}  // namespace

// fs/file.c:init_files [5.2]: the embedded table, NR_OPEN_DEFAULT fds.
FilesStruct* NewFilesStruct(FdTableEnv& env) {
  FilesStruct* files = env.tables->Create();
  InitFdtable(env, *files, env.bits_per_long);
  return files;
}

// fs/file.c:alloc_fdtable() [5.2] sizing. The fd array is what grows fastest,
// so steps are 1024-byte arrays (128 pointers on x86-64, 256 on i386) doubling
// from there. The cap keeps max_fds a multiple of BITS_PER_LONG, so it can be
// a little above sysctl_nr_open. nr < sysctl_nr_open <= 0x7fffffc0 keeps the
// kernel's unsigned arithmetic from wrapping; 64 bits here change nothing.
uint32_t AllocFdtableSize(const FdTableEnv& env, uint32_t nr) {
  const uint32_t per_step = 1024 / env.pointer_bytes;
  uint64_t size = std::bit_ceil(uint64_t{nr / per_step} + 1) * per_step;
  if (size > env.sysctl_nr_open) {
    size = ((env.sysctl_nr_open - 1) | (env.bits_per_long - 1)) + 1;
  }
  return static_cast<uint32_t>(size);
}

// fs/file.c:count_open_files() [5.2]: by words from the top. Word 0 is never
// looked at, hence the BITS_PER_LONG floor.
uint32_t CountOpenFiles(const FdTableEnv& env, const FilesStruct& files) {
  uint32_t i = files.max_fds / env.bits_per_long;
  while (i > 0) {
    if (files.open_fds.word(--i) != 0) break;
  }
  return (i + 1) * env.bits_per_long;
}

// fs/file.c:dup_fd() [5.2]. The kernel drops the old table's lock around
// alloc_fdtable() and recounts after relocking; nothing runs concurrently in
// the model, but the recount is kept so the loop reads as the kernel's.
SysResult<FilesStruct*> DupFd(FdTableEnv& env, FilesStruct& old) {
  FORKSIM_TRY(
      env.faults->Check("fs/file.c:dup_fd() kmem_cache_alloc", Errno::kENOMEM));
  FilesStruct* newf = env.tables->Create();  // count 1
  newf->next_fd = 0;                         // not inherited
  uint32_t new_max_fds = env.bits_per_long;  // the embedded NR_OPEN_DEFAULT
  uint32_t open_files = CountOpenFiles(env, old);
  while (open_files > new_max_fds) {
    SysResult<uint32_t> size = AllocFdtable(env, open_files - 1);
    Errno error = size.ok() ? Errno::kEMFILE : size.error();
    if (!size.ok() || size.value() < open_files) {  // capped by sysctl_nr_open
      env.tables->PutAndDestroy(newf);              // kmem_cache_free()
      return error;
    }
    new_max_fds = size.value();
    open_files = CountOpenFiles(env, old);
  }
  InitFdtable(env, *newf, new_max_fds);
  CopyFdBitmaps(env, *newf, old, open_files);
  CopyFdSlots(*newf, old, open_files);
  return newf;
}

// fs/file.c:__alloc_fd() [5.2]. `end` becomes the kernel's `unsigned end`.
// next_fd only advances when the search started at it: an allocation with a
// higher start (F_DUPFD) must not hide the free fds below.
SysResult<int> AllocFd(FdTableEnv& env, FilesStruct& files, uint32_t start,
                       uint64_t end, bool cloexec) {
  const uint32_t end32 = static_cast<uint32_t>(end);
  for (;;) {
    uint32_t fd = std::max(start, files.next_fd);
    if (fd < files.max_fds) fd = FindNextFd(files, fd);
    if (fd >= end32) return Errno::kEMFILE;
    SysResult<bool> expanded = ExpandFiles(env, files, fd);
    if (!expanded.ok()) return expanded.error();
    if (expanded.value()) continue;
    if (start <= files.next_fd) files.next_fd = fd + 1;
    SetOpenFd(files, fd);
    if (cloexec) {
      files.close_on_exec.Set(fd);
    } else {
      files.close_on_exec.Clear(fd);
    }
    // The kernel's "slot not NULL" sanity check: it warns and forgets the
    // pointer. Only a table already breaking [installed => open] has one.
    files.fd[fd] = nullptr;
    return static_cast<int>(fd);
  }
}

// fs/file.c:get_unused_fd_flags() [5.2].
SysResult<int> GetUnusedFdFlags(FdTableEnv& env, FilesStruct& files,
                                uint64_t rlimit_nofile, uint32_t flags) {
  return AllocFd(env, files, 0, rlimit_nofile, (flags & kOCloexec) != 0);
}

// fs/file.c:__put_unused_fd() [5.2]: the freed fd is the lowest candidate
// again if it is below next_fd.
void PutUnusedFd(FilesStruct& files, int fd) {
  const uint32_t ufd = static_cast<uint32_t>(fd);
  assert(ufd < files.max_fds);
  ClearOpenFd(files, ufd);
  if (ufd < files.next_fd) files.next_fd = ufd;
}

// fs/file.c:__fd_install() [5.2]: BUG_ON an occupied slot.
void FdInstall(FilesStruct& files, int fd, File* file) {
  const uint32_t ufd = static_cast<uint32_t>(fd);
  assert(ufd < files.max_fds);
  assert(files.fd[ufd] == nullptr);
  files.fd[ufd] = file;
}

// fs/file.c:__close_fd() [5.2]. fd is the kernel's unsigned, so a negative fd
// is a huge one and out of range. filp_close()'s ->flush() has nothing to
// report in the model, so success is 0.
SysStatus CloseFd(FdTableEnv& env, FilesStruct& files, int fd) {
  const uint32_t ufd = static_cast<uint32_t>(fd);
  if (ufd >= files.max_fds) return Errno::kEBADF;
  File* file = files.fd[ufd];
  if (file == nullptr) return Errno::kEBADF;
  files.fd[ufd] = nullptr;
  PutUnusedFd(files, fd);
  FPut(env, file);
  return SysOk();
}

// include/linux/fs.h:get_file() [5.2].
void GetFile(File* file) { Registry<File>::Get(file); }

// fs/file_table.c:fput() [5.2]; __fput() runs ->release() and frees.
void FPut(FdTableEnv& env, File* file) {
  if (!Registry<File>::Release(file)) return;
  if (env.release_file) env.release_file(file);
  env.files->Destroy(file);
}

// fs/file.c:put_files_struct() [5.2].
void PutFilesStruct(FdTableEnv& env, FilesStruct* files) {
  if (!Registry<FilesStruct>::Release(files)) return;
  CloseFiles(env, *files);
  env.tables->Destroy(files);
}

// include/linux/fdtable.h:__fcheck_files() [5.2].
File* FdLookup(const FilesStruct& files, int fd) {
  const uint32_t ufd = static_cast<uint32_t>(fd);
  if (ufd >= files.max_fds || ufd >= files.fd.size()) return nullptr;
  return files.fd[ufd];
}

// include/linux/fdtable.h:close_on_exec() [5.2].
bool FdIsCloexec(const FilesStruct& files, int fd) {
  const uint32_t ufd = static_cast<uint32_t>(fd);
  return ufd < files.max_fds && files.close_on_exec.Test(ufd);
}

namespace {

void CheckSizes(const FdTableEnv& env, const FilesStruct& files,
                std::vector<std::string>& out) {
  constexpr char kRule[] = "[sized by max_fds]";
  const uint32_t bpl = env.bits_per_long;
  const uint32_t max = files.max_fds;
  if (max == 0 || max % bpl != 0) {
    out.push_back(absl::StrFormat(
        "max_fds %u: not a nonzero multiple of BITS_PER_LONG %u %s", max, bpl,
        kRule));
  }
  if (files.fd.size() < max) {
    out.push_back(absl::StrFormat("max_fds %u: fd array has only %u slots %s",
                                  max, files.fd.size(), kRule));
  }
  const struct {
    const char* name;
    const FdBitmap& bitmap;
    uint32_t nbits;
  } bitmaps[] = {{"open_fds", files.open_fds, max},
                 {"close_on_exec", files.close_on_exec, max},
                 {"full_fds_bits", files.full_fds_bits, max / bpl}};
  for (const auto& b : bitmaps) {
    if (b.bitmap.bits_per_word() != bpl) {
      out.push_back(absl::StrFormat("%s: %u-bit words, BITS_PER_LONG is %u %s",
                                    b.name, b.bitmap.bits_per_word(), bpl,
                                    kRule));
    }
    if (b.bitmap.size() != b.nbits) {
      out.push_back(absl::StrFormat("%s: %u bits, max_fds %u needs %u %s",
                                    b.name, b.bitmap.size(), max, b.nbits,
                                    kRule));
    }
  }
}

void CheckBeyondMaxFds(const FilesStruct& files,
                       std::vector<std::string>& out) {
  for (size_t i = files.max_fds; i < files.fd.size(); ++i) {
    out.push_back(absl::StrFormat(
        "fd %u: slot beyond max_fds %u%s [no slot beyond max_fds]", i,
        files.max_fds, files.fd[i] != nullptr ? ", holding a file" : ""));
  }
}

void CheckInstalledOpen(const FilesStruct& files,
                        std::vector<std::string>& out) {
  const size_t n = std::min<size_t>(files.max_fds, files.fd.size());
  for (size_t i = 0; i < n; ++i) {
    if (files.fd[i] != nullptr &&
        !files.open_fds.Test(static_cast<uint32_t>(i))) {
      out.push_back(absl::StrFormat(
          "fd %u: file installed but open_fds bit clear [installed => open]",
          i));
    }
  }
}

void CheckFullFdsBits(const FilesStruct& files, std::vector<std::string>& out) {
  const size_t words =
      std::max<size_t>(files.full_fds_bits.size(), files.open_fds.words());
  for (size_t k = 0; k < words; ++k) {
    const bool full_bit = files.full_fds_bits.Test(static_cast<uint32_t>(k));
    const bool word_full =
        k < files.open_fds.words() && files.open_fds.WordFull(k);
    if (full_bit == word_full) continue;
    out.push_back(absl::StrFormat(
        "word %u: full_fds_bits bit %s but open_fds word is %#x "
        "[full_fds_bits <=> full]",
        k, full_bit ? "set" : "clear", files.open_fds.word(k)));
  }
}

void CheckBelowNextFd(const FilesStruct& files, std::vector<std::string>& out) {
  constexpr char kRule[] = "[below next_fd => open]";
  if (files.next_fd > files.max_fds) {
    out.push_back(absl::StrFormat("next_fd %u: beyond max_fds %u %s",
                                  files.next_fd, files.max_fds, kRule));
  }
  const uint32_t n = std::min(files.next_fd, files.max_fds);
  for (uint32_t i = 0; i < n; ++i) {
    if (!files.open_fds.Test(i)) {
      out.push_back(absl::StrFormat("fd %u: below next_fd %u but not open %s",
                                    i, files.next_fd, kRule));
    }
  }
}

}  // namespace

// The invariants fs/file.c [5.2] maintains under file_lock; see fdtable.h.
std::vector<std::string> CheckFdTable(const FdTableEnv& env,
                                      const FilesStruct& files) {
  std::vector<std::string> out;
  CheckSizes(env, files, out);
  CheckBeyondMaxFds(files, out);
  CheckInstalledOpen(files, out);
  CheckFullFdsBits(files, out);
  CheckBelowNextFd(files, out);
  return out;
}

}  // namespace forksim

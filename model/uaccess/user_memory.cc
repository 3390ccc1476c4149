#include "model/uaccess/user_memory.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"

namespace forksim {

UserMemory::UserMemory(uint64_t addr_limit, uint32_t kernel_long_bits)
    : addr_limit_(addr_limit), kernel_long_bits_(kernel_long_bits) {}

std::unique_ptr<UserMemory> UserMemory::Fork() const {
  auto copy = std::make_unique<UserMemory>(addr_limit_, kernel_long_bits_);
  copy->pages_ = pages_;  // shares PageData: copy-on-write
  return copy;
}

absl::Status UserMemory::CheckRange(uint64_t addr, uint64_t len) const {
  if (addr % kPageSize != 0 || len % kPageSize != 0 || len == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "range 0x%x+0x%x is not a non-empty page-aligned range", addr, len));
  }
  if (addr < kPageSize) {
    return absl::InvalidArgumentError(
        "page 0 cannot be mapped (mmap_min_addr): NULL always faults");
  }
  if (addr > addr_limit_ || len > addr_limit_ - addr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("range 0x%x+0x%x is above the user address limit 0x%x",
                        addr, len, addr_limit_));
  }
  return absl::OkStatus();
}

absl::Status UserMemory::Map(uint64_t addr, uint64_t len, Prot prot) {
  if (absl::Status s = CheckRange(addr, len); !s.ok()) return s;
  const uint64_t first = addr / kPageSize, last = (addr + len) / kPageSize;
  for (uint64_t page = first; page < last; ++page) {
    if (pages_.count(page) != 0) {
      return absl::AlreadyExistsError(
          absl::StrFormat("page 0x%x is already mapped", page * kPageSize));
    }
  }
  for (uint64_t page = first; page < last; ++page) {
    pages_[page] = Page{prot, nullptr};
  }
  return absl::OkStatus();
}

absl::Status UserMemory::Protect(uint64_t addr, uint64_t len, Prot prot) {
  if (absl::Status s = CheckRange(addr, len); !s.ok()) return s;
  const uint64_t first = addr / kPageSize, last = (addr + len) / kPageSize;
  for (uint64_t page = first; page < last; ++page) {
    if (pages_.count(page) == 0) {
      return absl::NotFoundError(
          absl::StrFormat("page 0x%x is not mapped", page * kPageSize));
    }
  }
  for (uint64_t page = first; page < last; ++page) pages_[page].prot = prot;
  return absl::OkStatus();
}

absl::Status UserMemory::Unmap(uint64_t addr, uint64_t len) {
  if (absl::Status s = CheckRange(addr, len); !s.ok()) return s;
  const uint64_t first = addr / kPageSize, last = (addr + len) / kPageSize;
  pages_.erase(pages_.lower_bound(first), pages_.lower_bound(last));
  cached_page_ = nullptr;
  return absl::OkStatus();
}

std::vector<Mapping> UserMemory::Mappings() const {
  std::vector<Mapping> out;
  for (const auto& [page, info] : pages_) {
    const uint64_t start = page * kPageSize;
    if (!out.empty() && out.back().end == start &&
        out.back().prot == info.prot) {
      out.back().end += kPageSize;
    } else {
      out.push_back({start, start + kPageSize, info.prot});
    }
  }
  return out;
}

bool UserMemory::IsMapped(uint64_t addr) const {
  return pages_.count(addr / kPageSize) != 0;
}

absl::StatusOr<std::vector<uint8_t>> UserMemory::Peek(uint64_t addr,
                                                      uint64_t len) const {
  if (AccessibleRun(addr, len, kProtNone) != len) {
    return absl::NotFoundError(
        absl::StrFormat("0x%x+%d is not entirely mapped", addr, len));
  }
  std::vector<uint8_t> out(len);
  ReadBytes(addr, out.data(), len);
  return out;
}

absl::Status UserMemory::Poke(uint64_t addr, std::span<const uint8_t> bytes) {
  if (AccessibleRun(addr, bytes.size(), kProtNone) != bytes.size()) {
    return absl::NotFoundError(
        absl::StrFormat("0x%x+%d is not entirely mapped", addr, bytes.size()));
  }
  WriteBytes(addr, bytes.data(), bytes.size());
  return absl::OkStatus();
}

bool UserMemory::AccessOk(uint64_t addr, uint64_t size) const {
  const uint64_t mask =
      kernel_long_bits_ == 64 ? ~uint64_t{0} : (uint64_t{1} << 32) - 1;
  const uint64_t end = (addr + size) & mask;
  if (end < size) return false;  // the range wraps around the address space
  return end <= addr_limit_;
}

const UserMemory::Page* UserMemory::LookupPage(uint64_t index) const {
  // A one-entry cache: consecutive accesses mostly hit the same page. Map
  // nodes never move, so the pointer stays valid until Unmap() erases it.
  if (index == cached_index_ && cached_page_ != nullptr) return cached_page_;
  auto it = pages_.find(index);
  if (it == pages_.end()) return nullptr;
  cached_index_ = index;
  cached_page_ = &it->second;
  return cached_page_;
}

const UserMemory::Page* UserMemory::FindPage(uint64_t addr, Prot need) const {
  const Page* page = LookupPage(addr / kPageSize);
  if (page == nullptr) return nullptr;
  if ((page->prot & need) != need) return nullptr;
  return page;
}

UserMemory::Page* UserMemory::FindWritablePage(uint64_t addr) {
  // Non-const this: the page it found is ours to change.
  return const_cast<Page*>(LookupPage(addr / kPageSize));
}

uint64_t UserMemory::AccessibleRun(uint64_t addr, uint64_t len,
                                   Prot need) const {
  uint64_t done = 0;
  while (done < len) {
    const uint64_t at = addr + done;
    if (at < addr) break;  // wrapped
    if (FindPage(at, need) == nullptr) break;
    done += std::min(len - done, kPageSize - at % kPageSize);
  }
  return std::min(done, len);
}

void UserMemory::ReadBytes(uint64_t addr, uint8_t* out, uint64_t len) const {
  while (len > 0) {
    const Page* page = FindPage(addr, kProtNone);
    const uint64_t in_page = addr % kPageSize;
    const uint64_t n = std::min(len, kPageSize - in_page);
    if (page->data) {
      std::memcpy(out, page->data->data() + in_page, n);
    } else {
      std::memset(out, 0, n);
    }
    addr += n;
    out += n;
    len -= n;
  }
}

void UserMemory::WriteBytes(uint64_t addr, const uint8_t* in, uint64_t len) {
  while (len > 0) {
    Page* page = FindWritablePage(addr);
    if (!page->data) {
      page->data = std::make_shared<PageData>();
      page->data->fill(0);
    } else if (page->data.use_count() > 1) {
      page->data = std::make_shared<PageData>(*page->data);  // break COW
    }
    const uint64_t in_page = addr % kPageSize;
    const uint64_t n = std::min(len, kPageSize - in_page);
    std::memcpy(page->data->data() + in_page, in, n);
    addr += n;
    in += n;
    len -= n;
  }
}

void UserMemory::Count(uint64_t bytes, bool fault) {
  ++stats_.ops;
  stats_.bytes += bytes;
  if (fault) ++stats_.faults;
}

SysStatus UserMemory::GetUser(uint64_t addr, uint32_t size, uint64_t* value) {
  *value = 0;
  if (!AccessOk(addr, size) || AccessibleRun(addr, size, kProtRead) != size) {
    Count(0, true);
    return Errno::kEFAULT;
  }
  uint8_t bytes[8];
  ReadBytes(addr, bytes, size);
  *value = LoadLittleEndian(bytes, size);
  Count(size, false);
  return SysOk();
}

SysStatus UserMemory::PutUser(uint64_t addr, uint32_t size, uint64_t value) {
  if (!AccessOk(addr, size) || AccessibleRun(addr, size, kProtWrite) != size) {
    Count(0, true);
    return Errno::kEFAULT;
  }
  uint8_t bytes[8];
  StoreLittleEndian(bytes, size, value);
  WriteBytes(addr, bytes, size);
  Count(size, false);
  return SysOk();
}

size_t UserMemory::CopyFromUser(std::span<uint8_t> dst, uint64_t src) {
  uint64_t copied = 0;
  if (AccessOk(src, dst.size())) {
    copied = AccessibleRun(src, dst.size(), kProtRead);
    ReadBytes(src, dst.data(), copied);
  }
  std::fill(dst.begin() + copied, dst.end(), 0);
  Count(copied, copied != dst.size());
  return dst.size() - copied;
}

size_t UserMemory::CopyToUser(uint64_t dst, std::span<const uint8_t> src) {
  uint64_t copied = 0;
  if (AccessOk(dst, src.size())) {
    copied = AccessibleRun(dst, src.size(), kProtWrite);
    WriteBytes(dst, src.data(), copied);
  }
  Count(copied, copied != src.size());
  return src.size() - copied;
}

void UserMemory::ForEachWrittenPage(
    const std::function<void(uint64_t, std::span<const uint8_t>)>& f) const {
  for (const auto& [index, page] : pages_) {
    if (page.data != nullptr) f(index * kPageSize, *page.data);
  }
}

}  // namespace forksim

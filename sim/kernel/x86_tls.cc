#include "sim/kernel/x86_tls.h"

#include <vector>

#include "model/abi/layout.h"
#include "sim/kernel/core.h"

namespace forksim {
namespace {

// The fields of struct user_desc (arch/x86/include/uapi/asm/ldt.h:21-41),
// the bitfields unpacked.
struct UserDesc {
  uint32_t entry_number, base_addr, limit;
  uint32_t seg_32bit, contents, read_exec_only, limit_in_pages, seg_not_present,
      useable;
};

// arch/x86/include/asm/desc.h:LDT_empty() [5.2] (lines 338-346).
bool LdtEmpty(const UserDesc& d) {
  return d.base_addr == 0 && d.limit == 0 && d.contents == 0 &&
         d.read_exec_only == 1 && d.seg_32bit == 0 && d.limit_in_pages == 0 &&
         d.seg_not_present == 1 && d.useable == 0;
}

// arch/x86/include/asm/desc.h:LDT_zero() [5.2] (lines 349-359).
bool LdtZero(const UserDesc& d) {
  return d.base_addr == 0 && d.limit == 0 && d.contents == 0 &&
         d.read_exec_only == 0 && d.seg_32bit == 0 && d.limit_in_pages == 0 &&
         d.seg_not_present == 0 && d.useable == 0;
}

// arch/x86/kernel/tls.c:tls_desc_okay() [5.2] (lines 32-82).
bool TlsDescOkay(const UserDesc& d) {
  if (LdtEmpty(d) || LdtZero(d)) return true;
  if (d.seg_32bit == 0) return false;        // 16-bit segments need espfix
  if (d.contents > 1) return false;          // data segments only
  if (d.seg_not_present != 0) return false;  // no non-present DPL 3 segments
  return true;
}

// arch/x86/include/asm/desc.h:fill_ldt() [5.2] (lines 15-40): the 8-byte GDT
// descriptor.
uint64_t FillLdt(const UserDesc& d) {
  const uint64_t type = ((d.read_exec_only ^ 1) << 1) | (d.contents << 2) | 1;
  uint64_t desc = d.limit & 0xffff;
  desc |= uint64_t{d.base_addr & 0xffff} << 16;
  desc |= uint64_t{(d.base_addr >> 16) & 0xff} << 32;
  desc |= type << 40;
  desc |= uint64_t{1} << 44;                           // s
  desc |= uint64_t{3} << 45;                           // dpl
  desc |= uint64_t{d.seg_not_present ^ 1} << 47;       // p
  desc |= uint64_t{(d.limit >> 16) & 0xf} << 48;       // limit1
  desc |= uint64_t{d.useable & 1} << 52;               // avl
  desc |= uint64_t{d.seg_32bit & 1} << 54;             // d (l stays 0)
  desc |= uint64_t{d.limit_in_pages & 1} << 55;        // g
  desc |= uint64_t{(d.base_addr >> 24) & 0xff} << 56;  // base2
  return desc;
}

UserDesc Unpack(const StructValue& v) {
  auto field = [&v](std::string_view name) {
    return static_cast<uint32_t>(*v.Get(name));
  };
  return UserDesc{field("entry_number"),   field("base_addr"),
                  field("limit"),          field("seg_32bit"),
                  field("contents"),       field("read_exec_only"),
                  field("limit_in_pages"), field("seg_not_present"),
                  field("useable")};
}

}  // namespace

SysStatus DoSetThreadArea(KernelCore& k, Task* current, Task* p,
                          uint64_t u_info) {
  const StructLayout& layout = LayoutFor(StructId::kUserDesc, current->abi);
  std::vector<uint8_t> bytes(layout.size);
  if (k.CopyFromUser(current, bytes, u_info, "struct user_desc") != 0) {
    return Errno::kEFAULT;
  }
  const UserDesc d = Unpack(DecodeStruct(layout, bytes));
  if (!TlsDescOkay(d)) return Errno::kEINVAL;
  // idx = entry_number; -1 would ask for a free slot, but clone passes
  // can_allocate = 0, so -1 fails the range check like any other.
  const int64_t idx = static_cast<int32_t>(d.entry_number);
  const AbiInfo& info = AbiInfoFor(current->abi);
  if (idx < info.gdt_tls_min || idx > info.gdt_tls_max) return Errno::kEINVAL;
  p->tls.gdt[idx - info.gdt_tls_min] =
      (LdtEmpty(d) || LdtZero(d)) ? 0 : FillLdt(d);
  if (info.kernel_long_bits == 64) {
    // For a task other than current, a selector already pointing at the
    // slot gets its base now (tls.c:do_set_thread_area() [5.2], lines
    // 179-185).
    const uint16_t selector = static_cast<uint16_t>((idx << 3) | 3);
    if (p->tls.fsindex == selector) p->tls.fsbase = d.base_addr;
    if (p->tls.gsindex == selector) p->tls.gsbase = d.base_addr;
  }
  return SysOk();
}

}  // namespace forksim

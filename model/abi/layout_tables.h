// -----------------------------------------------------------------------------
// File: model/abi/layout_tables.h
// -----------------------------------------------------------------------------
//
// The layout tables themselves, constexpr so that tests can static_assert them
// against the compiler's own offsetof(). Include layout.h, not this file.

#ifndef FORKSIM_MODEL_ABI_LAYOUT_TABLES_H_
#define FORKSIM_MODEL_ABI_LAYOUT_TABLES_H_

#include <array>
#include <iterator>

namespace forksim {
namespace layout_internal {

using enum FieldKind;

// struct clone6_args, include/uapi/linux/sched.h in the clone6 RFC ("[PATCH
// 1/2] fork: add clone6", Christian Brauner and Jann Horn, 2019-05-26): every
// pointer-sized field is __aligned_u64, so the layout is one on all ABIs.
inline constexpr FieldLayout kClone6Fields[] = {
    {"pidfd", 0, 4, true, kInteger, "__s32"},
    {"parent_tidptr", 8, 8, false, kPointer, "__aligned_u64"},
    {"child_tidptr", 16, 8, false, kPointer, "__aligned_u64"},
    {"stack", 24, 8, false, kPointer, "__aligned_u64"},
    {"stack_size", 32, 8, false, kInteger, "__aligned_u64"},
    {"tls", 40, 8, false, kInteger, "__aligned_u64"},
};

// The same fields declared as plain __u64. On x86-64 a u64 is 8-aligned, so the
// layout matches; the 32-bit ABIs align a u64 inside a struct to 4 only, so
// every field moves up by 4 and the struct shrinks to 44 bytes.
inline constexpr FieldLayout kClone6NaiveFields64[] = {
    {"pidfd", 0, 4, true, kInteger, "__s32"},
    {"parent_tidptr", 8, 8, false, kPointer, "__u64"},
    {"child_tidptr", 16, 8, false, kPointer, "__u64"},
    {"stack", 24, 8, false, kPointer, "__u64"},
    {"stack_size", 32, 8, false, kInteger, "__u64"},
    {"tls", 40, 8, false, kInteger, "__u64"},
};
inline constexpr FieldLayout kClone6NaiveFields32[] = {
    {"pidfd", 0, 4, true, kInteger, "__s32"},
    {"parent_tidptr", 4, 8, false, kPointer, "__u64"},
    {"child_tidptr", 12, 8, false, kPointer, "__u64"},
    {"stack", 20, 8, false, kPointer, "__u64"},
    {"stack_size", 28, 8, false, kInteger, "__u64"},
    {"tls", 36, 8, false, kInteger, "__u64"},
};

// struct clone_args, include/uapi/linux/sched.h:92-109 [6.12]; the first eight
// fields are the 5.3 struct (VER0, 64 bytes), set_tid and set_tid_size came in
// 5.5 (VER1, 80), cgroup in 5.7 (VER2, 88).
inline constexpr FieldLayout kCloneArgsFields[] = {
    {"flags", 0, 8, false, kInteger, "__aligned_u64"},
    {"pidfd", 8, 8, false, kPointer, "__aligned_u64"},
    {"child_tid", 16, 8, false, kPointer, "__aligned_u64"},
    {"parent_tid", 24, 8, false, kPointer, "__aligned_u64"},
    {"exit_signal", 32, 8, false, kInteger, "__aligned_u64"},
    {"stack", 40, 8, false, kPointer, "__aligned_u64"},
    {"stack_size", 48, 8, false, kInteger, "__aligned_u64"},
    {"tls", 56, 8, false, kInteger, "__aligned_u64"},
    {"set_tid", 64, 8, false, kPointer, "__aligned_u64"},
    {"set_tid_size", 72, 8, false, kInteger, "__aligned_u64"},
    {"cgroup", 80, 8, false, kInteger, "__aligned_u64"},
};

// struct user_desc: three unsigned ints and a word of bitfields, LSB first.
// `lm` is declared only #ifdef __x86_64__, so a 32-bit task's word has 7 bits.
inline constexpr BitFieldLayout kUserDescBits64[] = {
    {"seg_32bit", 0, 1},
    {"contents", 1, 2},
    {"read_exec_only", 3, 1},
    {"limit_in_pages", 4, 1},
    {"seg_not_present", 5, 1},
    {"useable", 6, 1},
    {"lm", 7, 1},
};
inline constexpr std::span<const BitFieldLayout> kUserDescBits32(
    kUserDescBits64, 6);

inline constexpr FieldLayout kUserDescFields64[] = {
    {"entry_number", 0, 4, false, kInteger, "unsigned int"},
    {"base_addr", 4, 4, false, kInteger, "unsigned int"},
    {"limit", 8, 4, false, kInteger, "unsigned int"},
    {"flags", 12, 4, false, kBitfieldWord, "unsigned int :1..",
     kUserDescBits64},
};
inline constexpr FieldLayout kUserDescFields32[] = {
    {"entry_number", 0, 4, false, kInteger, "unsigned int"},
    {"base_addr", 4, 4, false, kInteger, "unsigned int"},
    {"limit", 8, 4, false, kInteger, "unsigned int"},
    {"flags", 12, 4, false, kBitfieldWord, "unsigned int :1..",
     kUserDescBits32},
};

inline constexpr std::string_view kSchedH = "include/uapi/linux/sched.h";
inline constexpr std::string_view kSeed =
    "include/uapi/linux/sched.h (clone6 RFC)";
inline constexpr std::string_view kLdtH =
    "arch/x86/include/uapi/asm/ldt.h:21-41 [5.2]";

inline constexpr std::span<const FieldLayout> kCloneArgsVer0(kCloneArgsFields,
                                                             8);
inline constexpr std::span<const FieldLayout> kCloneArgsVer1(kCloneArgsFields,
                                                             10);

// Index: [StructId][0 = 64-bit user ABI, 1 = 32-bit user ABI].
inline constexpr StructLayout kLayouts[][2] = {
    {{StructId::kClone6Args, "clone6_args", kSeed, 48, 8, kClone6Fields},
     {StructId::kClone6Args, "clone6_args", kSeed, 48, 8, kClone6Fields}},
    {{StructId::kClone6ArgsNaive, "clone6_args_naive",
      "clone6_args with plain __u64 (counter-example)", 48, 8,
      kClone6NaiveFields64},
     {StructId::kClone6ArgsNaive, "clone6_args_naive",
      "clone6_args with plain __u64 (counter-example)", 44, 4,
      kClone6NaiveFields32}},
    {{StructId::kCloneArgsVer0, "clone_args_ver0", kSchedH, 64, 8,
      kCloneArgsVer0},
     {StructId::kCloneArgsVer0, "clone_args_ver0", kSchedH, 64, 8,
      kCloneArgsVer0}},
    {{StructId::kCloneArgsVer1, "clone_args_ver1", kSchedH, 80, 8,
      kCloneArgsVer1},
     {StructId::kCloneArgsVer1, "clone_args_ver1", kSchedH, 80, 8,
      kCloneArgsVer1}},
    {{StructId::kCloneArgsVer2, "clone_args", kSchedH, 88, 8, kCloneArgsFields},
     {StructId::kCloneArgsVer2, "clone_args", kSchedH, 88, 8,
      kCloneArgsFields}},
    {{StructId::kUserDesc, "user_desc", kLdtH, 16, 4, kUserDescFields64},
     {StructId::kUserDesc, "user_desc", kLdtH, 16, 4, kUserDescFields32}},
};
static_assert(std::size(kLayouts) == static_cast<size_t>(StructId::kCount));

inline constexpr std::array kStructOrder = {
    StructId::kClone6Args,    StructId::kClone6ArgsNaive,
    StructId::kCloneArgsVer0, StructId::kCloneArgsVer1,
    StructId::kCloneArgsVer2, StructId::kUserDesc,
};

}  // namespace layout_internal

// LayoutFor()
//
// The layout of one struct as one ABI sees it. ia32 and i386 share the 32-bit
// user ABI's layouts.
constexpr const StructLayout& LayoutFor(StructId id, Abi abi) {
  return layout_internal::kLayouts[static_cast<int>(id)]
                                  [abi == Abi::kX86_64 ? 0 : 1];
}

}  // namespace forksim

#endif  // FORKSIM_MODEL_ABI_LAYOUT_TABLES_H_

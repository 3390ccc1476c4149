// -----------------------------------------------------------------------------
// File: model/abi/layout_probe_gen.cc
// -----------------------------------------------------------------------------
//
// Writes a C++ probe that checks forksim's layout tables against the real
// compiler for one ABI: `layout_probe_gen x86_64` or `layout_probe_gen ia32`.
// layout_probe_test.sh compiles it with g++ -m64 or -m32 (g++-multilib):
// offsets, sizes and alignments are static_asserts, so a wrong table fails
// the compile; bitfield positions are checked when the probe runs, because
// constexpr bit_cast refuses the padding bits of a bitfield word.
//
// The mirror structs are declared the way the uapi headers declare them (and
// the RFC for clone6_args); the numbers come from the tables.

#include <cstdio>
#include <string>

#include "model/abi/abi.h"
#include "model/abi/layout.h"

namespace forksim {
namespace {

constexpr char kMirrors[] = R"(#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

typedef int32_t __s32;
typedef uint64_t __u64;
typedef uint64_t __aligned_u64 __attribute__((aligned(8)));

// include/uapi/linux/sched.h in the clone6 RFC ("[PATCH 1/2] fork: add
// clone6", Christian Brauner and Jann Horn, 2019-05-26).
struct clone6_args {
  __s32 pidfd;
  __aligned_u64 parent_tidptr;
  __aligned_u64 child_tidptr;
  __aligned_u64 stack;
  __aligned_u64 stack_size;
  __aligned_u64 tls;
};

// The counter-example: the same struct with plain __u64.
struct clone6_args_naive {
  __s32 pidfd;
  __u64 parent_tidptr;
  __u64 child_tidptr;
  __u64 stack;
  __u64 stack_size;
  __u64 tls;
};

// include/uapi/linux/sched.h:92-109 [6.12]; VER0 ends at tls, VER1 at
// set_tid_size.
struct clone_args {
  __aligned_u64 flags;
  __aligned_u64 pidfd;
  __aligned_u64 child_tid;
  __aligned_u64 parent_tid;
  __aligned_u64 exit_signal;
  __aligned_u64 stack;
  __aligned_u64 stack_size;
  __aligned_u64 tls;
  __aligned_u64 set_tid;
  __aligned_u64 set_tid_size;
  __aligned_u64 cgroup;
};

// arch/x86/include/uapi/asm/ldt.h:21-41 [5.2].
struct user_desc {
  unsigned int entry_number;
  unsigned int base_addr;
  unsigned int limit;
  unsigned int seg_32bit : 1;
  unsigned int contents : 2;
  unsigned int read_exec_only : 1;
  unsigned int limit_in_pages : 1;
  unsigned int seg_not_present : 1;
  unsigned int useable : 1;
#ifdef __x86_64__
  unsigned int lm : 1;
#endif
};

template <typename T>
uint32_t WordAt(const T& value, size_t offset) {
  uint32_t word;
  std::memcpy(&word, reinterpret_cast<const char*>(&value) + offset, 4);
  return word;
}

int failures = 0;
void Expect(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what);
    ++failures;
  }
}
)";

// The C struct name a layout is checked against, and the size it ends at (for
// the clone_args versions, which are prefixes of one struct).
const char* MirrorName(const StructLayout& layout) {
  switch (layout.id) {
    case StructId::kCloneArgsVer0:
    case StructId::kCloneArgsVer1:
    case StructId::kCloneArgsVer2:
      return "clone_args";
    default:
      return layout.name.data();
  }
}

void EmitStaticAsserts(const StructLayout& layout) {
  const char* mirror = MirrorName(layout);
  const bool prefix = std::string(mirror) != std::string(layout.name);
  std::printf("\n// %s: %u bytes, aligned to %u\n",
              std::string(layout.name).c_str(), layout.size, layout.align);
  if (!prefix) {
    std::printf("static_assert(sizeof(struct %s) == %u, \"%s size\");\n",
                mirror, layout.size, mirror);
    std::printf("static_assert(alignof(struct %s) == %u, \"%s alignment\");\n",
                mirror, layout.align, mirror);
  }
  const FieldLayout* last = nullptr;
  for (const FieldLayout& field : layout.fields) {
    last = &field;
    if (field.kind == FieldKind::kBitfieldWord) continue;
    const std::string name(field.name);
    std::printf(
        "static_assert(offsetof(struct %s, %s) == %u, \"%s.%s offset\");\n",
        mirror, name.c_str(), field.offset, mirror, name.c_str());
    std::printf(
        "static_assert(sizeof(((struct %s*)0)->%s) == %u, \"%s.%s size\");\n",
        mirror, name.c_str(), field.size, mirror, name.c_str());
  }
  if (prefix && last != nullptr) {
    // A versioned prefix ends exactly where its last field ends.
    std::printf(
        "static_assert(offsetof(struct %s, %s) + 8 == %u, \"%s ends at "
        "%u\");\n",
        mirror, std::string(last->name).c_str(), layout.size,
        std::string(layout.name).c_str(), layout.size);
  }
}

void EmitBitfieldChecks(const StructLayout& layout) {
  for (const FieldLayout& field : layout.fields) {
    if (field.kind != FieldKind::kBitfieldWord) continue;
    for (const BitFieldLayout& bit : field.bits) {
      const std::string name(bit.name);
      const uint32_t mask = ((1u << bit.width) - 1) << bit.shift;
      std::printf("  {\n    struct %s v;\n    std::memset(&v, 0, sizeof v);\n",
                  std::string(layout.name).c_str());
      std::printf("    v.%s = %uu;\n", name.c_str(), (1u << bit.width) - 1);
      std::printf(
          "    Expect(WordAt(v, %u) == 0x%xu, \"%s.%s is bits %u..%u of the "
          "word "
          "at +%u\");\n  }\n",
          field.offset, mask, std::string(layout.name).c_str(), name.c_str(),
          bit.shift, bit.shift + bit.width - 1, field.offset);
    }
  }
}

int Main(int argc, char** argv) {
  if (argc != 2 || !AbiFromName(argv[1])) {
    std::fprintf(stderr, "usage: layout_probe_gen x86_64|ia32|i386\n");
    return 2;
  }
  const Abi abi = *AbiFromName(argv[1]);
  std::printf("// Generated by layout_probe_gen %s. Do not edit.\n", argv[1]);
  std::printf("%s", kMirrors);
  std::printf(
      "\n#if %s\n#error \"compile this probe with %s\"\n#endif\n",
      abi == Abi::kX86_64 ? "!defined(__x86_64__)" : "defined(__x86_64__)",
      abi == Abi::kX86_64 ? "-m64" : "-m32");
  for (StructId id : AllStructs()) EmitStaticAsserts(LayoutFor(id, abi));
  std::printf("\nint main() {\n");
  for (StructId id : AllStructs()) EmitBitfieldChecks(LayoutFor(id, abi));
  std::printf(
      "  std::printf(\"%s: %%s\\n\", failures == 0 ? \"layouts match\" : "
      "\"layouts differ\");\n  return failures == 0 ? 0 : 1;\n}\n",
      argv[1]);
  return 0;
}

}  // namespace
}  // namespace forksim

int main(int argc, char** argv) { return forksim::Main(argc, argv); }

// -----------------------------------------------------------------------------
// File: model/abi/layout.h
// -----------------------------------------------------------------------------
//
// User-visible struct layouts as data: field name, offset, size, signedness,
// per ABI. Everything that reads or writes one of these structs in simulated
// user memory goes through these tables, so that a layout is stated once and
// checked against the real compiler (layout_test.cc for x86-64, and
// layout_probe_test for -m32 and -m64).
//
//   clone6_args        the RFC's struct: 48 bytes on every ABI (__aligned_u64)
//   clone6_args_naive  the same with plain __u64: 44 bytes on 32-bit ABIs,
//                      the counter-example showing why the RFC used
//                      __aligned_u64
//   clone_args_ver0/1/2  clone3's struct at 64, 80 and 88 bytes
//   user_desc          arch/x86/include/uapi/asm/ldt.h:21-41 [5.2], 16 bytes
//
// Values are little-endian. Padding is written as zero bytes.

#ifndef FORKSIM_MODEL_ABI_LAYOUT_H_
#define FORKSIM_MODEL_ABI_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "model/abi/abi.h"

namespace forksim {

struct BitFieldLayout {
  std::string_view name;
  uint8_t shift;  // LSB first, as GCC allocates bitfields on x86
  uint8_t width;
};

enum class FieldKind : uint8_t {
  kInteger,       // a number (an fd, a size, flags)
  kPointer,       // a user address, stored in a u64 or a native word
  kBitfieldWord,  // a word made of bitfields (see `bits`)
};

struct FieldLayout {
  std::string_view name;
  uint32_t offset;
  uint32_t size;
  bool is_signed;
  FieldKind kind;
  std::string_view c_type;  // as the uapi header declares it
  std::span<const BitFieldLayout> bits = {};
};

enum class StructId : uint8_t {
  kClone6Args,
  kClone6ArgsNaive,
  kCloneArgsVer0,
  kCloneArgsVer1,
  kCloneArgsVer2,
  kUserDesc,
  kCount,
};

struct StructLayout {
  StructId id;
  std::string_view name;
  std::string_view source;  // where the kernel declares it
  uint32_t size;
  uint32_t align;
  std::span<const FieldLayout> fields;
};

// StructFromName()
//
// "clone6_args", "clone6_args_naive", "clone_args" (= ver2), "clone_args_ver0",
// ..., "user_desc".
std::optional<StructId> StructFromName(std::string_view name);

// All struct ids, in the order reports list them.
std::span<const StructId> AllStructs();

// FindField()
//
// The field called `name`, or nullptr.
constexpr const FieldLayout* FindField(const StructLayout& layout,
                                       std::string_view name) {
  for (const FieldLayout& field : layout.fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

// A leaf is what a value is given for: a plain field, or one bitfield of a
// bitfield word.
struct Leaf {
  std::string_view name;
  const FieldLayout* field;
  const BitFieldLayout* bit;  // nullptr for a plain field
};

// Leaves()
//
// The leaves of a layout, in declaration order.
std::vector<Leaf> Leaves(const StructLayout& layout);

// StructValue
//
// A value for every leaf of one layout. Signed fields hold their value
// sign-extended to 64 bits.
class StructValue {
 public:
  explicit StructValue(const StructLayout& layout);

  const StructLayout& layout() const { return *layout_; }
  const std::vector<Leaf>& leaves() const { return leaves_; }

  // Returns false if the layout has no leaf of that name.
  bool Set(std::string_view leaf, uint64_t value);
  std::optional<uint64_t> Get(std::string_view leaf) const;
  uint64_t at(size_t leaf_index) const { return values_[leaf_index]; }
  void set_at(size_t leaf_index, uint64_t value) {
    values_[leaf_index] = value;
  }

 private:
  const StructLayout* layout_;
  std::vector<Leaf> leaves_;
  std::vector<uint64_t> values_;
};

// EncodeStruct()
//
// Lays a value out in layout.size bytes, little-endian, padding zeroed. Values
// wider than a field keep their low bits.
std::vector<uint8_t> EncodeStruct(const StructValue& value);

// DecodeStruct()
//
// Reads a value from bytes laid out by the table; `bytes` must hold at least
// layout.size bytes.
StructValue DecodeStruct(const StructLayout& layout,
                         std::span<const uint8_t> bytes);

// Little-endian helpers for 1, 2, 4 and 8 bytes.
uint64_t LoadLittleEndian(const uint8_t* bytes, uint32_t size);
void StoreLittleEndian(uint8_t* bytes, uint32_t size, uint64_t value);

// SignExtend()
//
// The value of the low `size` bytes of `raw` read as a signed integer.
constexpr uint64_t SignExtend(uint64_t raw, uint32_t size) {
  if (size >= 8) return raw;
  const uint32_t bits = size * 8;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  raw &= mask;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return (raw ^ sign) - sign;
}

}  // namespace forksim

#include "model/abi/layout_tables.h"  // IWYU pragma: export

#endif  // FORKSIM_MODEL_ABI_LAYOUT_H_

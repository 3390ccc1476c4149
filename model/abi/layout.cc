#include "model/abi/layout.h"

namespace forksim {

using layout_internal::kLayouts;
using layout_internal::kStructOrder;

std::optional<StructId> StructFromName(std::string_view name) {
  if (name == "clone_args_ver2") return StructId::kCloneArgsVer2;
  for (StructId id : kStructOrder) {
    if (kLayouts[static_cast<int>(id)][0].name == name) return id;
  }
  return std::nullopt;
}

std::span<const StructId> AllStructs() { return kStructOrder; }

std::vector<Leaf> Leaves(const StructLayout& layout) {
  std::vector<Leaf> leaves;
  for (const FieldLayout& field : layout.fields) {
    if (field.kind == FieldKind::kBitfieldWord) {
      for (const BitFieldLayout& bit : field.bits) {
        leaves.push_back({bit.name, &field, &bit});
      }
    } else {
      leaves.push_back({field.name, &field, nullptr});
    }
  }
  return leaves;
}

StructValue::StructValue(const StructLayout& layout)
    : layout_(&layout), leaves_(Leaves(layout)), values_(leaves_.size(), 0) {}

bool StructValue::Set(std::string_view leaf, uint64_t value) {
  for (size_t i = 0; i < leaves_.size(); ++i) {
    if (leaves_[i].name == leaf) {
      values_[i] = value;
      return true;
    }
  }
  return false;
}

std::optional<uint64_t> StructValue::Get(std::string_view leaf) const {
  for (size_t i = 0; i < leaves_.size(); ++i) {
    if (leaves_[i].name == leaf) return values_[i];
  }
  return std::nullopt;
}

uint64_t LoadLittleEndian(const uint8_t* bytes, uint32_t size) {
  uint64_t value = 0;
  for (uint32_t i = 0; i < size; ++i) {
    value |= uint64_t{bytes[i]} << (8 * i);
  }
  return value;
}

void StoreLittleEndian(uint8_t* bytes, uint32_t size, uint64_t value) {
  for (uint32_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

std::vector<uint8_t> EncodeStruct(const StructValue& value) {
  const StructLayout& layout = value.layout();
  std::vector<uint8_t> bytes(layout.size, 0);
  for (size_t i = 0; i < value.leaves().size(); ++i) {
    const Leaf& leaf = value.leaves()[i];
    uint8_t* at = bytes.data() + leaf.field->offset;
    if (leaf.bit == nullptr) {
      StoreLittleEndian(at, leaf.field->size, value.at(i));
      continue;
    }
    const uint64_t mask = (uint64_t{1} << leaf.bit->width) - 1;
    uint64_t word = LoadLittleEndian(at, leaf.field->size);
    word &= ~(mask << leaf.bit->shift);
    word |= (value.at(i) & mask) << leaf.bit->shift;
    StoreLittleEndian(at, leaf.field->size, word);
  }
  return bytes;
}

StructValue DecodeStruct(const StructLayout& layout,
                         std::span<const uint8_t> bytes) {
  StructValue value(layout);
  for (size_t i = 0; i < value.leaves().size(); ++i) {
    const Leaf& leaf = value.leaves()[i];
    const uint64_t word =
        LoadLittleEndian(bytes.data() + leaf.field->offset, leaf.field->size);
    if (leaf.bit != nullptr) {
      const uint64_t mask = (uint64_t{1} << leaf.bit->width) - 1;
      value.set_at(i, (word >> leaf.bit->shift) & mask);
    } else if (leaf.field->is_signed) {
      value.set_at(i, SignExtend(word, leaf.field->size));
    } else {
      value.set_at(i, word);
    }
  }
  return value;
}

}  // namespace forksim

#include "sim/tools/layout_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/tools/json.h"

namespace forksim {
namespace {

constexpr uint32_t kCacheline = 64;

uint32_t BitsUsed(const FieldLayout& field) {
  uint32_t used = 0;
  for (const BitFieldLayout& bit : field.bits) {
    used = std::max<uint32_t>(used, bit.shift + bit.width);
  }
  return used;
}

std::string FieldLine(std::string_view type, std::string_view name,
                      std::string_view where) {
  return absl::StrFormat("    %-26s %-22s /* %s */\n", type,
                         absl::StrFormat("%s;", name), where);
}

}  // namespace

std::vector<LayoutGap> FindGaps(const StructLayout& layout) {
  std::vector<LayoutGap> gaps;
  uint32_t cursor = 0;
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    const FieldLayout& field = layout.fields[i];
    if (field.offset > cursor) {
      gaps.push_back({LayoutGap::kHole, cursor, field.offset - cursor, i});
    }
    if (field.kind == FieldKind::kBitfieldWord &&
        BitsUsed(field) < field.size * 8) {
      gaps.push_back({LayoutGap::kBitHole, field.offset,
                      field.size * 8 - BitsUsed(field), i + 1});
    }
    cursor = field.offset + field.size;
  }
  if (layout.size > cursor) {
    gaps.push_back({LayoutGap::kPadding, cursor, layout.size - cursor,
                    layout.fields.size()});
  }
  return gaps;
}

std::string LayoutText(const StructLayout& layout, Abi abi) {
  const std::vector<LayoutGap> gaps = FindGaps(layout);
  std::string out = absl::StrFormat("/* %s: %s */\nstruct %s {\n", AbiName(abi),
                                    layout.source, layout.name);
  uint32_t sum_members = 0, holes = 0, sum_holes = 0, padding = 0;
  size_t members = 0;
  auto print_gaps_before = [&](size_t index) {
    for (const LayoutGap& gap : gaps) {
      if (gap.before_field != index) continue;
      switch (gap.kind) {
        case LayoutGap::kHole:
          absl::StrAppendFormat(
              &out, "\n    /* XXX %d bytes hole, try to pack */\n\n", gap.size);
          ++holes;
          sum_holes += gap.size;
          break;
        case LayoutGap::kBitHole:
          absl::StrAppendFormat(
              &out, "\n    /* XXX %d bits hole, try to pack */\n", gap.size);
          break;
        case LayoutGap::kPadding:
          padding = gap.size;
          break;
      }
    }
  };
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    print_gaps_before(i);
    const FieldLayout& field = layout.fields[i];
    sum_members += field.size;
    if (field.kind != FieldKind::kBitfieldWord) {
      ++members;
      out += FieldLine(field.c_type, field.name,
                       absl::StrFormat("%5d %5d", field.offset, field.size));
      continue;
    }
    for (const BitFieldLayout& bit : field.bits) {
      ++members;
      out += FieldLine(
          "unsigned int", absl::StrFormat("%s:%d", bit.name, bit.width),
          absl::StrFormat("%5d:%2d %2d", field.offset, bit.shift, field.size));
    }
  }
  print_gaps_before(layout.fields.size());
  absl::StrAppendFormat(
      &out, "\n    /* size: %d, cachelines: %d, members: %d */\n", layout.size,
      (layout.size + kCacheline - 1) / kCacheline, members);
  if (holes > 0) {
    absl::StrAppendFormat(
        &out, "    /* sum members: %d, holes: %d, sum holes: %d */\n",
        sum_members, holes, sum_holes);
  }
  if (padding > 0)
    absl::StrAppendFormat(&out, "    /* padding: %d */\n", padding);
  absl::StrAppendFormat(&out, "} __attribute__((__aligned__(%d)));\n",
                        layout.align);
  return out;
}

std::string LayoutJson(const StructLayout& layout, Abi abi) {
  JsonWriter json;
  json.BeginObject()
      .Key("abi")
      .String(AbiName(abi))
      .Key("struct")
      .String(layout.name)
      .Key("source")
      .String(layout.source)
      .Key("size")
      .Uint(layout.size)
      .Key("align")
      .Uint(layout.align)
      .Key("fields")
      .BeginArray();
  for (const FieldLayout& field : layout.fields) {
    json.BeginObject()
        .Key("name")
        .String(field.name)
        .Key("type")
        .String(field.c_type)
        .Key("offset")
        .Uint(field.offset)
        .Key("size")
        .Uint(field.size)
        .Key("signed")
        .Bool(field.is_signed);
    if (field.kind == FieldKind::kBitfieldWord) {
      json.Key("bits").BeginArray();
      for (const BitFieldLayout& bit : field.bits) {
        json.BeginObject()
            .Key("name")
            .String(bit.name)
            .Key("shift")
            .Uint(bit.shift)
            .Key("width")
            .Uint(bit.width)
            .EndObject();
      }
      json.EndArray();
    }
    json.EndObject();
  }
  json.EndArray().Key("gaps").BeginArray();
  for (const LayoutGap& gap : FindGaps(layout)) {
    constexpr std::string_view kKinds[] = {"hole", "padding", "bit_hole"};
    json.BeginObject()
        .Key("kind")
        .String(kKinds[gap.kind])
        .Key("offset")
        .Uint(gap.offset)
        .Key(gap.kind == LayoutGap::kBitHole ? "bits" : "size")
        .Uint(gap.size)
        .EndObject();
  }
  json.EndArray().EndObject();
  return json.str();
}

}  // namespace forksim

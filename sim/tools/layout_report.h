// -----------------------------------------------------------------------------
// File: sim/tools/layout_report.h
// -----------------------------------------------------------------------------
//
// `forksim layout`: prints struct layouts from the ABI tables the way pahole
// prints them from DWARF: offset, size, field, holes and padding, total size
// and alignment. --format=json gives the same facts for tools.

#ifndef FORKSIM_SIM_TOOLS_LAYOUT_REPORT_H_
#define FORKSIM_SIM_TOOLS_LAYOUT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/abi/layout.h"

namespace forksim {

// A gap the compiler left: between fields (a hole), at the end (padding), or
// unused bits of a bitfield word.
struct LayoutGap {
  enum Kind { kHole, kPadding, kBitHole } kind;
  uint32_t offset;      // byte offset where the gap starts
  uint32_t size;        // bytes, or bits for kBitHole
  size_t before_field;  // index of the field it precedes (fields.size() = end)
};

std::vector<LayoutGap> FindGaps(const StructLayout& layout);

std::string LayoutText(const StructLayout& layout, Abi abi);
// One JSON object per layout.
std::string LayoutJson(const StructLayout& layout, Abi abi);

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_LAYOUT_REPORT_H_

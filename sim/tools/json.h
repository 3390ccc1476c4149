// -----------------------------------------------------------------------------
// File: sim/tools/json.h
// -----------------------------------------------------------------------------
//
// A small JSON writer for the CLI's --format=json outputs. Keys are written in
// the order the caller gives them, so the output is deterministic.

#ifndef FORKSIM_SIM_TOOLS_JSON_H_
#define FORKSIM_SIM_TOOLS_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forksim {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object or array: true once it has a member.
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

// JsonEscape()
//
// The JSON string literal for `s`, with quotes.
std::string JsonEscape(std::string_view s);

}  // namespace forksim

#endif  // FORKSIM_SIM_TOOLS_JSON_H_

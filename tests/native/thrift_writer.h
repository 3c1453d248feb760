// A Thrift compact-protocol writer for the native Parquet tests: builds the byte strings
// the decoders are tested on (field ids as deltas or in the long form, list headers in
// both forms), so a test reads as the structure it encodes.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "parquet/thrift_compact.h"

namespace headrace::testing {

using parquet::ThriftType;

class ThriftWriter {
 public:
  std::vector<uint8_t> bytes;

  void byte(uint8_t b) { bytes.push_back(b); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      byte(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    byte(static_cast<uint8_t>(v));
  }
  void zigzag(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void raw(const std::string& s) { bytes.insert(bytes.end(), s.begin(), s.end()); }
  void binary_value(const std::string& s) {
    varint(s.size());
    raw(s);
  }
  void double_value(double d) {
    const auto bits = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(bits >> (8 * i)));
  }

  // A field header: the delta form when the id is 1..15 above the previous one, else the
  // long form (or always the long form with long_form = true).
  void field(int16_t id, ThriftType type, bool long_form = false) {
    const int delta = id - last_ids_.back();
    if (!long_form && delta > 0 && delta <= 15) {
      byte(static_cast<uint8_t>(delta << 4 | static_cast<uint8_t>(type)));
    } else {
      byte(static_cast<uint8_t>(type));
      zigzag(id);
    }
    last_ids_.back() = id;
  }
  void i32(int16_t id, int32_t v) {
    field(id, ThriftType::I32);
    zigzag(v);
  }
  void i64(int16_t id, int64_t v) {
    field(id, ThriftType::I64);
    zigzag(v);
  }
  void boolean(int16_t id, bool v) { field(id, v ? ThriftType::BoolTrue : ThriftType::BoolFalse); }
  void binary(int16_t id, const std::string& s) {
    field(id, ThriftType::Binary);
    binary_value(s);
  }
  // A struct field: begin_struct(id), its fields, end_struct().
  void begin_struct(int16_t id) {
    field(id, ThriftType::Struct);
    begin_struct_value();
  }
  // A struct as a list element or the top-level value.
  void begin_struct_value() { last_ids_.push_back(0); }
  void end_struct() {
    byte(0);
    last_ids_.pop_back();
  }
  void list_header(ThriftType element, uint32_t size) {
    if (size < 15) {
      byte(static_cast<uint8_t>(size << 4 | static_cast<uint8_t>(element)));
    } else {
      byte(static_cast<uint8_t>(0xf0 | static_cast<uint8_t>(element)));
      varint(size);
    }
  }
  void list(int16_t id, ThriftType element, uint32_t size) {
    field(id, ThriftType::List);
    list_header(element, size);
  }

 private:
  std::vector<int16_t> last_ids_{0};
};

}  // namespace headrace::testing

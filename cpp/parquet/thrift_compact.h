// A reader of the Thrift compact protocol (the encoding of Parquet's footer and page
// headers) over a borrowed byte span. Every read is bounds-checked: corrupt or truncated
// input throws ParquetError, never reads outside the span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace headrace::parquet {

// The compact protocol's type codes (a field header's low nibble, a list's element type).
enum class ThriftType : uint8_t {
  Stop = 0,
  BoolTrue = 1,  // a bool field's value is its type; elements of a list use one byte
  BoolFalse = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
  Uuid = 13,
};

struct FieldHeader {
  int16_t id = 0;
  ThriftType type = ThriftType::Stop;  // Stop: the struct has no more fields
};

struct ListHeader {
  ThriftType element_type = ThriftType::Stop;
  uint32_t size = 0;
};

struct MapHeader {
  ThriftType key_type = ThriftType::Stop, value_type = ThriftType::Stop;
  uint32_t size = 0;
};

class CompactReader {
 public:
  // Nesting that skip() follows before it calls the input corrupt.
  static constexpr int kMaxDepth = 64;

  CompactReader(const uint8_t* data, std::size_t size) : pos_(data), end_(data + size), begin_(data) {}

  std::size_t position() const { return static_cast<std::size_t>(pos_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }

  uint64_t read_varint();  // unsigned LEB128, at most 10 bytes
  int8_t read_byte();
  int16_t read_i16();  // zigzag varints, range-checked
  int32_t read_i32();
  int64_t read_i64();
  double read_double();  // 8 bytes, little-endian
  // A binary or string: a varint length, then the bytes (the view borrows the input).
  std::string_view read_binary();
  std::string read_string() { return std::string(read_binary()); }
  // A bool field's value (carried by its header's type).
  static bool bool_field(const FieldHeader& field);
  // A bool element of a list, set or map: one byte.
  bool read_bool_element();

  // The next field header of a struct. `last_id` is the id of the struct's previous field
  // (0 before the first): ids are written as deltas from it. Updates it.
  FieldHeader read_field_header(int16_t& last_id);
  // The header of a list or set (the long form when the size does not fit in 4 bits).
  ListHeader read_list_header();
  MapHeader read_map_header();

  // Skips one value of `type`: a field's value (a bool field has no bytes), including
  // nested structs, lists, sets and maps up to kMaxDepth levels.
  void skip(ThriftType type) { skip_value(type, false, 0); }
  // Skips a whole struct whose field headers start at the current position.
  void skip_struct() { skip_value(ThriftType::Struct, false, 0); }

 private:
  void need(std::size_t n) const;
  void skip_value(ThriftType type, bool element, int depth);
  static ThriftType element_type(uint8_t code);

  const uint8_t* pos_;
  const uint8_t* end_;
  const uint8_t* begin_;
};

// Calls on_field(header) for each field of the struct at the reader's position, until its
// stop byte; on_field must read or skip the field's value.
template <class OnField>
void read_struct(CompactReader& reader, OnField&& on_field) {
  int16_t last_id = 0;
  while (true) {
    FieldHeader field = reader.read_field_header(last_id);
    if (field.type == ThriftType::Stop) return;
    on_field(field);
  }
}

}  // namespace headrace::parquet

#include "parquet/thrift_compact.h"

#include <bit>
#include <limits>

#include "parquet/parquet_error.h"

namespace headrace::parquet {

namespace {

int64_t unzigzag(uint64_t n) { return static_cast<int64_t>(n >> 1) ^ -static_cast<int64_t>(n & 1); }

[[noreturn]] void corrupt(const char* what) {
  throw ParquetError(std::string("corrupt Thrift data: ") + what);
}

}  // namespace

void CompactReader::need(std::size_t n) const {
  if (n > remaining()) corrupt("truncated");
}

uint64_t CompactReader::read_varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    need(1);
    const uint8_t byte = *pos_++;
    // The tenth byte holds bit 63 only.
    if (shift == 63 && byte > 1) corrupt("varint longer than 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  corrupt("varint longer than 64 bits");
}

int8_t CompactReader::read_byte() {
  need(1);
  return static_cast<int8_t>(*pos_++);
}

int16_t CompactReader::read_i16() {
  const uint64_t n = read_varint();
  if (n > std::numeric_limits<uint16_t>::max()) corrupt("i16 out of range");
  return static_cast<int16_t>(unzigzag(n));
}

int32_t CompactReader::read_i32() {
  const uint64_t n = read_varint();
  if (n > std::numeric_limits<uint32_t>::max()) corrupt("i32 out of range");
  return static_cast<int32_t>(unzigzag(n));
}

int64_t CompactReader::read_i64() { return unzigzag(read_varint()); }

double CompactReader::read_double() {
  need(8);
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(pos_[i]) << (8 * i);
  pos_ += 8;
  return std::bit_cast<double>(bits);
}

std::string_view CompactReader::read_binary() {
  const uint64_t length = read_varint();
  if (length > remaining()) corrupt("binary longer than the input");
  std::string_view view(reinterpret_cast<const char*>(pos_), static_cast<std::size_t>(length));
  pos_ += length;
  return view;
}

bool CompactReader::bool_field(const FieldHeader& field) {
  if (field.type == ThriftType::BoolTrue) return true;
  if (field.type == ThriftType::BoolFalse) return false;
  corrupt("field is not a bool");
}

bool CompactReader::read_bool_element() {
  need(1);
  // 1 is true; writers differ on false (2 by the protocol, 0 by some).
  return *pos_++ == 1;
}

ThriftType CompactReader::element_type(uint8_t code) {
  if (code == 0 || code > static_cast<uint8_t>(ThriftType::Uuid)) corrupt("unknown type code");
  return static_cast<ThriftType>(code);
}

FieldHeader CompactReader::read_field_header(int16_t& last_id) {
  need(1);
  const uint8_t byte = *pos_++;
  if (byte == 0) return FieldHeader{};
  const uint8_t delta = byte >> 4;
  const ThriftType type = element_type(byte & 0x0f);
  int32_t id = delta == 0 ? read_i16() : int32_t{last_id} + delta;
  if (id > std::numeric_limits<int16_t>::max()) corrupt("field id out of range");
  last_id = static_cast<int16_t>(id);
  return FieldHeader{last_id, type};
}

ListHeader CompactReader::read_list_header() {
  need(1);
  const uint8_t byte = *pos_++;
  uint64_t size = byte >> 4;
  const ThriftType type = element_type(byte & 0x0f);
  if (size == 15) size = read_varint();
  // Every element takes at least one byte: a larger size is corrupt (and must not make a
  // caller reserve gigabytes).
  if (size > remaining()) corrupt("list longer than the input");
  return ListHeader{type, static_cast<uint32_t>(size)};
}

MapHeader CompactReader::read_map_header() {
  const uint64_t size = read_varint();
  if (size == 0) return MapHeader{};
  need(1);
  const uint8_t types = *pos_++;
  const ThriftType key = element_type(types >> 4);
  const ThriftType value = element_type(types & 0x0f);
  if (size > remaining() / 2) corrupt("map longer than the input");
  return MapHeader{key, value, static_cast<uint32_t>(size)};
}

void CompactReader::skip_value(ThriftType type, bool element, int depth) {
  if (depth > kMaxDepth) corrupt("nesting too deep");
  switch (type) {
    case ThriftType::BoolTrue:
    case ThriftType::BoolFalse:
      if (element) read_bool_element();
      return;
    case ThriftType::Byte:
      read_byte();
      return;
    case ThriftType::I16:
    case ThriftType::I32:
    case ThriftType::I64:
      read_varint();
      return;
    case ThriftType::Double:
      need(8);
      pos_ += 8;
      return;
    case ThriftType::Uuid:
      need(16);
      pos_ += 16;
      return;
    case ThriftType::Binary:
      read_binary();
      return;
    case ThriftType::List:
    case ThriftType::Set: {
      const ListHeader list = read_list_header();
      for (uint32_t i = 0; i < list.size; ++i) skip_value(list.element_type, true, depth + 1);
      return;
    }
    case ThriftType::Map: {
      const MapHeader map = read_map_header();
      for (uint32_t i = 0; i < map.size; ++i) {
        skip_value(map.key_type, true, depth + 1);
        skip_value(map.value_type, true, depth + 1);
      }
      return;
    }
    case ThriftType::Struct: {
      int16_t last_id = 0;
      while (true) {
        const FieldHeader field = read_field_header(last_id);
        if (field.type == ThriftType::Stop) return;
        skip_value(field.type, false, depth + 1);
      }
    }
    case ThriftType::Stop:
      break;
  }
  corrupt("unexpected stop type");
}

}  // namespace headrace::parquet

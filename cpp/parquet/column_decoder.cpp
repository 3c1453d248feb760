#include "parquet/column_decoder.h"

#include <algorithm>
#include <cstring>

#include "parquet/column_values.h"

namespace headrace::parquet {

namespace {

using arrow::TypeId;
using detail::BoolColumn;
using detail::DictionaryColumn;
using detail::FixedWidthColumn;
using detail::RowCursor;
using detail::StringColumn;
using Kind = LogicalType::Kind;

// Plain-encoded values read as they are (little-endian, as Parquet stores them).
template <typename T>
struct Load {
  T operator()(const uint8_t* p) const noexcept {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
  }
};

// An INT32 narrowed to a smaller integer type (its logical type says the values fit).
template <typename T>
struct Narrow {
  T operator()(const uint8_t* p) const noexcept { return static_cast<T>(Load<int32_t>{}(p)); }
};

// decimal128 in Arrow's layout: the low 64 bits, then the high 64 bits, two's complement.
struct Decimal128 {
  uint64_t low;
  uint64_t high;
};

template <typename T>
struct DecimalFromInteger {
  Decimal128 operator()(const uint8_t* p) const noexcept {
    const int64_t value = Load<T>{}(p);
    return {static_cast<uint64_t>(value), value < 0 ? ~uint64_t{0} : 0};
  }
};

// FIXED_LEN_BYTE_ARRAY decimals: big-endian two's complement of N bytes (1..16).
template <int N>
struct DecimalFromBigEndian {
  Decimal128 operator()(const uint8_t* p) const noexcept {
    uint8_t bytes[16];
    std::memset(bytes, (p[0] & 0x80) ? 0xFF : 0, sizeof bytes);
    for (int i = 0; i < N; ++i) bytes[i] = p[N - 1 - i];
    Decimal128 value;
    std::memcpy(&value, bytes, sizeof value);
    return value;
  }
};

bool is_integer(const LogicalType& logical, int bits, bool is_signed) {
  return logical.kind == Kind::Integer && logical.bit_width == bits && logical.is_signed == is_signed;
}

arrow::TimeUnit arrow_unit(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::Millis: return arrow::TimeUnit::kMilli;
    case TimeUnit::Micros: return arrow::TimeUnit::kMicro;
    case TimeUnit::Nanos: return arrow::TimeUnit::kNano;
  }
  return arrow::TimeUnit::kNano;
}

std::string physical_name(PhysicalType type) {
  static const char* const kNames[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
                                       "FIXED_LEN_BYTE_ARRAY"};
  const auto i = static_cast<std::size_t>(type);
  return i < std::size(kNames) ? kNames[i] : "physical type " + std::to_string(i);
}

// "" if values of this physical and logical type can become `field`'s type.
std::string type_mismatch(const SchemaElement& element, const arrow::Field& field) {
  const PhysicalType physical = *element.type;
  const LogicalType& logical = element.logical;
  const arrow::DataType& type = field.type;
  bool ok = false;
  if (field.dictionary != nullptr) {
    ok = physical == PhysicalType::ByteArray && type.id == TypeId::kInt32 && field.dictionary->type.id != TypeId::kUtf8View &&
         field.dictionary->type.is_string();
  } else {
    switch (type.id) {
      case TypeId::kBool: ok = physical == PhysicalType::Boolean; break;
      case TypeId::kInt8: ok = physical == PhysicalType::Int32 && is_integer(logical, 8, true); break;
      case TypeId::kUInt8: ok = physical == PhysicalType::Int32 && is_integer(logical, 8, false); break;
      case TypeId::kInt16: ok = physical == PhysicalType::Int32 && is_integer(logical, 16, true); break;
      case TypeId::kUInt16: ok = physical == PhysicalType::Int32 && is_integer(logical, 16, false); break;
      case TypeId::kInt32:
        ok = physical == PhysicalType::Int32 && (logical.kind == Kind::None || is_integer(logical, 32, true));
        break;
      case TypeId::kUInt32: ok = physical == PhysicalType::Int32 && is_integer(logical, 32, false); break;
      case TypeId::kInt64:
        ok = physical == PhysicalType::Int64 && (logical.kind == Kind::None || is_integer(logical, 64, true));
        break;
      case TypeId::kUInt64: ok = physical == PhysicalType::Int64 && is_integer(logical, 64, false); break;
      case TypeId::kFloat32: ok = physical == PhysicalType::Float && logical.kind == Kind::None; break;
      case TypeId::kFloat64: ok = physical == PhysicalType::Double && logical.kind == Kind::None; break;
      case TypeId::kDate32: ok = physical == PhysicalType::Int32 && logical.kind == Kind::Date; break;
      case TypeId::kTimestamp:
        ok = physical == PhysicalType::Int64 && logical.kind == Kind::Timestamp && arrow_unit(logical.unit) == type.unit;
        break;
      case TypeId::kDecimal128:
        ok = logical.kind == Kind::Decimal && logical.precision == type.precision && logical.scale == type.scale &&
             (physical == PhysicalType::Int32 || physical == PhysicalType::Int64 ||
              (physical == PhysicalType::FixedLenByteArray && element.type_length >= 1 && element.type_length <= 16));
        break;
      case TypeId::kUtf8:
      case TypeId::kLargeUtf8:
        ok = physical == PhysicalType::ByteArray &&
             (logical.kind == Kind::String || logical.kind == Kind::Enum || logical.kind == Kind::Json);
        break;
      default: break;
    }
  }
  if (ok) return "";
  return physical_name(physical) + " values cannot be read natively as " + field.to_string();
}

template <typename Column>
std::shared_ptr<const arrow::ArrayData> run(Column column, std::span<const uint8_t> bytes, const ColumnChunkMeta& chunk,
                                            const LeafColumn& leaf, int64_t num_rows,
                                            const std::vector<int32_t>* selection) {
  const int64_t out_rows = selection != nullptr ? static_cast<int64_t>(selection->size()) : num_rows;
  arrow::BitmapBuilder validity(leaf.max_definition_level > 0 ? out_rows : 0);
  arrow::BitmapBuilder* valid = leaf.max_definition_level > 0 ? &validity : nullptr;
  PageReader pages(bytes, chunk.codec, leaf.max_definition_level, chunk.num_values);
  RowCursor cursor(selection);
  for (;;) {
    const PageReader::Next next = pages.next();
    if (next == PageReader::Next::kEnd) break;
    if (next == PageReader::Next::kDictionary) {
      column.dictionary(pages.dictionary_values(), pages.dictionary_count());
    } else {
      column.page(pages.page(), cursor, valid);
    }
  }
  if (cursor.rows_seen() != num_rows) {
    throw ParquetError("column chunk holds " + std::to_string(cursor.rows_seen()) + " rows, its row group " +
                       std::to_string(num_rows));
  }
  return column.finish(out_rows, valid != nullptr ? validity.release() : arrow::AlignedBuffer());
}

template <typename Out, typename Convert>
std::shared_ptr<const arrow::ArrayData> fixed(std::size_t stride, std::span<const uint8_t> bytes, const ColumnChunkMeta& chunk,
                                              const LeafColumn& leaf, int64_t num_rows, const std::vector<int32_t>* selection) {
  const int64_t out_rows = selection != nullptr ? static_cast<int64_t>(selection->size()) : num_rows;
  return run(FixedWidthColumn<Out, Convert>(out_rows, stride, leaf.max_definition_level == 0), bytes, chunk, leaf,
             num_rows, selection);
}

template <int N>
std::shared_ptr<const arrow::ArrayData> decimal_from_bytes(int length, std::span<const uint8_t> bytes,
                                                           const ColumnChunkMeta& chunk, const LeafColumn& leaf,
                                                           int64_t num_rows, const std::vector<int32_t>* selection) {
  if constexpr (N > 16) {
    throw NotSupported("decimals wider than 16 bytes");
  } else if (length == N) {
    return fixed<Decimal128, DecimalFromBigEndian<N>>(N, bytes, chunk, leaf, num_rows, selection);
  } else {
    return decimal_from_bytes<N + 1>(length, bytes, chunk, leaf, num_rows, selection);
  }
}

}  // namespace

std::string unsupported_reason(const LeafColumn& leaf, const ColumnChunkMeta& chunk, const arrow::Field& field) {
  if (leaf.element == nullptr || !leaf.element->type) return "not a leaf column";
  if (chunk.file_path) return "the column chunk lives in another file";
  if (chunk.codec != Codec::Uncompressed && chunk.codec != Codec::Snappy) {
    return "compression codec " + std::to_string(static_cast<int>(chunk.codec)) + " is not decoded natively";
  }
  for (Encoding encoding : chunk.encodings) {
    if (encoding != Encoding::Plain && encoding != Encoding::PlainDictionary && encoding != Encoding::RleDictionary &&
        encoding != Encoding::Rle) {
      return "encoding " + std::to_string(static_cast<int>(encoding)) + " is not decoded natively";
    }
  }
  return type_mismatch(*leaf.element, field);
}

std::shared_ptr<const arrow::ArrayData> decode_column_chunk(std::span<const uint8_t> bytes, const ColumnChunkMeta& chunk,
                                                            const LeafColumn& leaf, const arrow::Field& field,
                                                            int64_t num_rows, const std::vector<int32_t>* selection) {
  if (const std::string reason = unsupported_reason(leaf, chunk, field); !reason.empty()) throw NotSupported(reason);
  if (chunk.num_values != num_rows) throw NotSupported("a column chunk whose value count is not its row count");
  const int64_t out_rows = selection != nullptr ? static_cast<int64_t>(selection->size()) : num_rows;
  const PhysicalType physical = *leaf.element->type;
  if (field.dictionary != nullptr) {
    return run(DictionaryColumn(out_rows, field.dictionary->type.id == TypeId::kLargeUtf8), bytes, chunk, leaf, num_rows,
               selection);
  }
  switch (field.type.id) {
    case TypeId::kBool: return run(BoolColumn(out_rows), bytes, chunk, leaf, num_rows, selection);
    case TypeId::kInt8: return fixed<int8_t, Narrow<int8_t>>(4, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kUInt8: return fixed<uint8_t, Narrow<uint8_t>>(4, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kInt16: return fixed<int16_t, Narrow<int16_t>>(4, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kUInt16: return fixed<uint16_t, Narrow<uint16_t>>(4, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kInt32:
    case TypeId::kUInt32:
    case TypeId::kDate32:
    case TypeId::kFloat32: return fixed<uint32_t, Load<uint32_t>>(4, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kTimestamp:
    case TypeId::kFloat64: return fixed<uint64_t, Load<uint64_t>>(8, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kDecimal128:
      if (physical == PhysicalType::Int32) {
        return fixed<Decimal128, DecimalFromInteger<int32_t>>(4, bytes, chunk, leaf, num_rows, selection);
      }
      if (physical == PhysicalType::Int64) {
        return fixed<Decimal128, DecimalFromInteger<int64_t>>(8, bytes, chunk, leaf, num_rows, selection);
      }
      return decimal_from_bytes<1>(leaf.element->type_length, bytes, chunk, leaf, num_rows, selection);
    case TypeId::kUtf8: {
      const auto expected = selection != nullptr ? 0 : static_cast<std::size_t>(std::max<int64_t>(chunk.total_uncompressed_size, 0));
      return run(StringColumn<int32_t>(out_rows, expected), bytes, chunk, leaf, num_rows, selection);
    }
    case TypeId::kLargeUtf8: {
      const auto expected = selection != nullptr ? 0 : static_cast<std::size_t>(std::max<int64_t>(chunk.total_uncompressed_size, 0));
      return run(StringColumn<int64_t>(out_rows, expected), bytes, chunk, leaf, num_rows, selection);
    }
    default: break;
  }
  throw NotSupported("type " + field.to_string());
}

}  // namespace headrace::parquet

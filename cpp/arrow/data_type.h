// Arrow data types as headrace's kernels see them, parsed from C Data Interface format
// strings. Unsupported types are rejected with an error that names the column and type.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "arrow/c_data_interface.h"

namespace headrace::arrow {

class ArrowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class TypeId {
  kInt8, kUInt8, kInt16, kUInt16, kInt32, kUInt32, kInt64, kUInt64,
  kFloat32, kFloat64, kBool, kUtf8, kLargeUtf8, kUtf8View, kDate32, kTimestamp, kDecimal128, kStruct,
};

enum class TimeUnit { kSecond, kMilli, kMicro, kNano };

struct DataType {
  DataType() = default;
  explicit DataType(TypeId type_id) : id(type_id) {}

  TypeId id = TypeId::kInt64;
  TimeUnit unit = TimeUnit::kSecond;  // timestamp
  std::string timezone;               // timestamp; empty: naive
  int32_t precision = 0;              // decimal128
  int32_t scale = 0;                  // decimal128

  // Bytes per value of a fixed-width type (0 for bool, strings and struct).
  int byte_width() const noexcept;
  bool is_integer() const noexcept { return id <= TypeId::kUInt64; }
  bool is_string() const noexcept { return id == TypeId::kUtf8 || id == TypeId::kLargeUtf8 || id == TypeId::kUtf8View; }
  std::string to_string() const;  // e.g. "int64", "timestamp[us, tz=UTC]", "decimal128(10, 2)"
  std::string format() const;      // the C Data Interface format string
};

// A column: its type, and for dictionary-encoded columns the type of the indices in `type`
// and the values in `dictionary`. Struct columns (record batches) have children.
struct Field {
  std::string name;
  DataType type;
  bool nullable = true;
  std::shared_ptr<Field> dictionary;
  std::vector<Field> children;

  std::string to_string() const;
};

// Parses a schema (recursively). `where` names the column in errors.
Field parse_field(const ArrowSchema& schema, const std::string& where = {});

// The type names accepted, for error messages.
const char* supported_types();

// A C Data Interface format string in words ("+l" -> "list", "d:40,2,256" -> "decimal256(40, 2)"),
// or "" for a format it does not know.
std::string format_name(std::string_view format);

}  // namespace headrace::arrow

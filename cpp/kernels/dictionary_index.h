// The C++ type of a dictionary-encoded column's indices, chosen once per column: decoding
// and hashing a dictionary column both read its indices as one of the eight integer types.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "arrow/array_data.h"

namespace headrace::kernels {

// The error of a dictionary index outside the dictionary, naming the column.
[[noreturn]] inline void dictionary_index_out_of_range(const std::string& column, int64_t index, int64_t size) {
  throw arrow::ArrowError("column '" + column + "': dictionary index " + std::to_string(index) +
                          " out of range (dictionary of " + std::to_string(size) + " values)");
}

// Returns f(std::type_identity<Index>{}) for the index type of `view` (the indices of a
// dictionary-encoded column); a type that is not an integer is an ArrowError naming the column.
template <typename F>
auto visit_index_type(const arrow::ArrayView& view, F&& f) {
  using arrow::TypeId;
  switch (view.field().type.id) {
    case TypeId::kInt8: return f(std::type_identity<int8_t>{});
    case TypeId::kUInt8: return f(std::type_identity<uint8_t>{});
    case TypeId::kInt16: return f(std::type_identity<int16_t>{});
    case TypeId::kUInt16: return f(std::type_identity<uint16_t>{});
    case TypeId::kInt32: return f(std::type_identity<int32_t>{});
    case TypeId::kUInt32: return f(std::type_identity<uint32_t>{});
    case TypeId::kInt64: return f(std::type_identity<int64_t>{});
    case TypeId::kUInt64: return f(std::type_identity<uint64_t>{});
    default:
      throw arrow::ArrowError("column '" + view.field().name + "': dictionary indices of type " +
                              view.field().type.to_string() + " are not integers");
  }
}

}  // namespace headrace::kernels

// Arrays built from plain C++ values for the native kernel tests and benchmarks: fields,
// fixed-width columns (with or without nulls), bools, utf8 / large_utf8, and slices.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrow/builder.h"

namespace headrace::testing {

using Column = std::shared_ptr<const arrow::ArrayData>;
using Columns = std::vector<Column>;

inline arrow::Field field(const std::string& name, arrow::TypeId id) {
  return arrow::Field{name, arrow::DataType{id}, true, nullptr, {}};
}

// A fixed-width column; std::nullopt is null. Values are copied bytewise, so T may be any
// trivially copyable type of the column's width (a 16-byte struct for decimal128).
template <typename T>
Column fixed(const std::vector<std::optional<T>>& values) {
  const auto n = static_cast<int64_t>(values.size());
  arrow::BitmapBuilder validity(n);
  arrow::AlignedBuffer data(values.size() * sizeof(T));
  for (std::size_t i = 0; i < values.size(); ++i) {
    validity.set(static_cast<int64_t>(i), values[i].has_value());
    if (values[i]) std::memcpy(data.data() + i * sizeof(T), &*values[i], sizeof(T));
  }
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.push_back(validity.release());
  buffers.push_back(std::move(data));
  return arrow::make_array(n, std::move(buffers));
}

// A fixed-width column without nulls (no validity bitmap) of values[start, start + n).
template <typename T>
Column fixed(const std::vector<T>& values, int64_t start, int64_t n) {
  arrow::AlignedBuffer data(static_cast<std::size_t>(n) * sizeof(T));
  std::memcpy(data.data(), values.data() + start, static_cast<std::size_t>(n) * sizeof(T));
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.emplace_back();
  buffers.push_back(std::move(data));
  return arrow::make_array(n, std::move(buffers));
}

inline Column bools(const std::vector<std::optional<bool>>& values) {
  const auto n = static_cast<int64_t>(values.size());
  arrow::BitmapBuilder validity(n), bits(n);
  for (int64_t i = 0; i < n; ++i) {
    validity.set(i, values[i].has_value());
    bits.set(i, values[i].value_or(false));
  }
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.push_back(validity.release());
  buffers.push_back(bits.release());
  return arrow::make_array(n, std::move(buffers));
}

// utf8, or large_utf8 if `large`.
inline Column strings(const std::vector<std::optional<std::string>>& values, bool large = false) {
  arrow::StringBuilder builder(large, static_cast<int64_t>(values.size()), "s");
  for (const auto& v : values) v ? builder.append(*v) : builder.append_null();
  return builder.finish();
}

// Rows [offset, offset + length) of `data`, sharing its buffers. The null count is left to
// be counted (-1) unless the whole column has none.
inline Column slice(const Column& data, int64_t offset, int64_t length) {
  auto out = std::make_shared<arrow::ArrayData>(*data);
  out->offset = data->offset + offset;
  out->length = length;
  out->null_count = data->null_count == 0 ? 0 : -1;
  return out;
}

}  // namespace headrace::testing

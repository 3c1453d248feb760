#include "kernels/group_keys.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "arrow/builder.h"

namespace headrace::kernels {

using arrow::AlignedBuffer;
using arrow::ArrayData;
using arrow::ArrayView;
using arrow::ArrowError;
using arrow::BitmapBuilder;
using arrow::Field;
using arrow::TypeId;

namespace {

inline uint64_t double_word(double d) noexcept {
  if (d == 0.0) d = 0.0;
  if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return bits;
}

template <typename T>
void integer_words(const ArrayView& view, uint64_t* out) {
  const T* values = view.values<T>();
  for (int64_t i = 0; i < view.length(); ++i) out[i] = static_cast<uint64_t>(static_cast<int64_t>(values[i]));
}

template <typename T>
void float_words(const ArrayView& view, uint64_t* out) {
  const T* values = view.values<T>();
  for (int64_t i = 0; i < view.length(); ++i) out[i] = double_word(static_cast<double>(values[i]));
}

void fill_words(const ArrayView& view, uint64_t* out) {
  switch (view.field().type.id) {
    case TypeId::kInt8: return integer_words<int8_t>(view, out);
    case TypeId::kUInt8: return integer_words<uint8_t>(view, out);
    case TypeId::kInt16: return integer_words<int16_t>(view, out);
    case TypeId::kUInt16: return integer_words<uint16_t>(view, out);
    case TypeId::kInt32: case TypeId::kDate32: return integer_words<int32_t>(view, out);
    case TypeId::kUInt32: return integer_words<uint32_t>(view, out);
    case TypeId::kInt64: case TypeId::kTimestamp: return integer_words<int64_t>(view, out);
    case TypeId::kUInt64: return integer_words<uint64_t>(view, out);
    case TypeId::kFloat32: return float_words<float>(view, out);
    case TypeId::kFloat64: return float_words<double>(view, out);
    case TypeId::kBool:
      for (int64_t i = 0; i < view.length(); ++i) out[i] = view.bool_value(i) ? 1 : 0;
      return;
    default:
      throw ArrowError("column '" + view.field().name + "' of type " + view.field().to_string() +
                       " cannot be a key");
  }
}

template <typename T>
AlignedBuffer narrow(const KeyValues& keys, std::size_t n) {
  AlignedBuffer out(n * sizeof(T));
  T* values = out.as<T>();
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<T>(static_cast<int64_t>(keys.words[i]));
  return out;
}

template <typename T>
AlignedBuffer floats(const KeyValues& keys, std::size_t n) {
  AlignedBuffer out(n * sizeof(T));
  T* values = out.as<T>();
  for (std::size_t i = 0; i < n; ++i) {
    double d;
    std::memcpy(&d, &keys.words[i], 8);
    values[i] = static_cast<T>(d);
  }
  return out;
}

}  // namespace

KeyLayout key_layout(const arrow::DataType& type) {
  if (type.is_string()) return KeyLayout::kString;
  if (type.id == TypeId::kDecimal128) return KeyLayout::kWide;
  return KeyLayout::kWord;
}

std::size_t KeyValues::size() const noexcept {
  switch (layout) {
    case KeyLayout::kWord: return words.size();
    case KeyLayout::kWide: return words.size() / 2;
    case KeyLayout::kString: return strings.size();
  }
  return 0;
}

void normalize_keys(const ArrayData& data, const Field& field, KeyValues& out) {
  const auto n = static_cast<std::size_t>(data.length);
  const ArrayView view(data, field);
  out.layout = key_layout(field.type);
  if (has_nulls(data)) {
    out.nulls.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.nulls[i] = view.is_valid(static_cast<int64_t>(i)) ? 0 : 1;
  } else {
    out.nulls.clear();
  }
  switch (out.layout) {
    case KeyLayout::kWord:
      out.words.resize(n);
      if (n > 0) fill_words(view, out.words.data());
      break;
    case KeyLayout::kWide:
      // Arrow's decimal128 is two little-endian 64-bit words, low first.
      out.words.resize(2 * n);
      if (n > 0) std::memcpy(out.words.data(), static_cast<const uint8_t*>(data.buffers[1]) + 16 * data.offset, 16 * n);
      break;
    case KeyLayout::kString:
      out.strings.resize(n);
      for (std::size_t i = 0; i < n; ++i) out.strings[i] = view.string_value(static_cast<int64_t>(i));
      break;
  }
  // A null row's value is whatever the buffer holds: make it canonical, so that stored
  // keys never depend on it.
  for (std::size_t i = 0; i < out.nulls.size(); ++i) {
    if (out.nulls[i] == 0) continue;
    if (out.layout == KeyLayout::kString) {
      out.strings[i] = {};
    } else if (out.layout == KeyLayout::kWide) {
      out.words[2 * i] = out.words[2 * i + 1] = 0;
    } else {
      out.words[i] = 0;
    }
  }
}

void append_key(const KeyValues& from, std::size_t i, KeyValues& to, StringArena& arena) {
  to.nulls.push_back(from.is_null(i) ? 1 : 0);
  switch (from.layout) {
    case KeyLayout::kWord: to.words.push_back(from.words[i]); break;
    case KeyLayout::kWide:
      to.words.push_back(from.words[2 * i]);
      to.words.push_back(from.words[2 * i + 1]);
      break;
    case KeyLayout::kString: to.strings.push_back(arena.copy(from.strings[i])); break;
  }
}

std::shared_ptr<const ArrayData> build_key_column(const KeyValues& keys, const Field& field) {
  const std::size_t n = keys.size();
  const auto length = static_cast<int64_t>(n);
  if (keys.layout == KeyLayout::kString) {
    arrow::StringBuilder builder(field.type.id != TypeId::kUtf8, length, field.name);
    for (std::size_t i = 0; i < n; ++i) {
      if (keys.is_null(i)) {
        builder.append_null();
      } else {
        builder.append(keys.strings[i]);
      }
    }
    return builder.finish();
  }
  BitmapBuilder validity(length);
  for (std::size_t i = 0; i < n; ++i) validity.set(static_cast<int64_t>(i), !keys.is_null(i));
  std::vector<AlignedBuffer> buffers;
  buffers.push_back(validity.release());
  switch (field.type.id) {
    case TypeId::kInt8: buffers.push_back(narrow<int8_t>(keys, n)); break;
    case TypeId::kUInt8: buffers.push_back(narrow<uint8_t>(keys, n)); break;
    case TypeId::kInt16: buffers.push_back(narrow<int16_t>(keys, n)); break;
    case TypeId::kUInt16: buffers.push_back(narrow<uint16_t>(keys, n)); break;
    case TypeId::kInt32: case TypeId::kDate32: buffers.push_back(narrow<int32_t>(keys, n)); break;
    case TypeId::kUInt32: buffers.push_back(narrow<uint32_t>(keys, n)); break;
    case TypeId::kInt64: case TypeId::kTimestamp: buffers.push_back(narrow<int64_t>(keys, n)); break;
    case TypeId::kUInt64: buffers.push_back(narrow<uint64_t>(keys, n)); break;
    case TypeId::kFloat32: buffers.push_back(floats<float>(keys, n)); break;
    case TypeId::kFloat64: buffers.push_back(floats<double>(keys, n)); break;
    case TypeId::kDecimal128: {
      AlignedBuffer values(16 * n);
      if (n > 0) std::memcpy(values.data(), keys.words.data(), 16 * n);
      buffers.push_back(std::move(values));
      break;
    }
    case TypeId::kBool: {
      BitmapBuilder bits(length);
      for (std::size_t i = 0; i < n; ++i) bits.set(static_cast<int64_t>(i), keys.words[i] != 0);
      buffers.push_back(bits.release());
      break;
    }
    default:
      throw ArrowError("key column '" + field.name + "' of type " + field.to_string() + " cannot be built");
  }
  return arrow::make_array(length, std::move(buffers));
}

}  // namespace headrace::kernels

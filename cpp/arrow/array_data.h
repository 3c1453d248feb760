// Arrow array memory as headrace holds it: buffer pointers plus whatever keeps that memory
// alive (an imported producer's array, or buffers built here). Importing and exporting are
// zero-copy: only the small C structs are created, never the buffers.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "arrow/data_type.h"
#include "arrow/owners.h"

namespace headrace::arrow {

struct ArrayData {
  int64_t length = 0;
  int64_t null_count = 0;
  int64_t offset = 0;
  std::vector<const void*> buffers;
  std::vector<std::shared_ptr<const ArrayData>> children;
  std::shared_ptr<const ArrayData> dictionary;
  std::shared_ptr<const void> keepalive;  // owns the memory the buffers point into
};

// Takes over an imported array; its producer's release runs when the last ArrayData
// pointing into it is gone.
std::shared_ptr<const ArrayData> import_array(ArrayOwner array);

// Exports `data` for a consumer; the consumer's release drops this reference.
void export_array(std::shared_ptr<const ArrayData> data, ArrowArray* out);
void export_schema(const Field& field, ArrowSchema* out);

// Checks that `data` has the buffers `field`'s type needs; `where` names the column.
void validate(const ArrayData& data, const Field& field, const std::string& where);

// Typed, offset-aware reading of one validated array.
class ArrayView {
 public:
  ArrayView(const ArrayData& data, const Field& field) : data_(data), field_(field) {}

  int64_t length() const noexcept { return data_.length; }
  int64_t null_count() const noexcept { return data_.null_count; }
  const Field& field() const noexcept { return field_; }
  const ArrayData& data() const noexcept { return data_; }

  bool is_valid(int64_t i) const noexcept {
    const auto* bits = static_cast<const uint8_t*>(data_.buffers[0]);
    if (bits == nullptr || data_.null_count == 0) return true;
    const int64_t bit = data_.offset + i;
    return (bits[bit >> 3] >> (bit & 7)) & 1;
  }
  // Fixed-width values, already shifted by the array's offset.
  template <typename T>
  const T* values() const noexcept {
    return static_cast<const T*>(data_.buffers[1]) + data_.offset;
  }
  bool bool_value(int64_t i) const noexcept {
    const auto* bits = static_cast<const uint8_t*>(data_.buffers[1]);
    const int64_t bit = data_.offset + i;
    return (bits[bit >> 3] >> (bit & 7)) & 1;
  }
  // utf8, large_utf8 and utf8_view.
  std::string_view string_value(int64_t i) const noexcept {
    const int64_t j = data_.offset + i;
    if (field_.type.id == TypeId::kUtf8View) {
      // 16-byte views: length, then the characters inline (up to 12) or a 4-byte prefix,
      // the index of the character buffer and the offset in it.
      const auto* view = static_cast<const uint8_t*>(data_.buffers[1]) + 16 * j;
      int32_t length, buffer, offset;
      std::memcpy(&length, view, 4);
      if (length <= 12) return {reinterpret_cast<const char*>(view + 4), static_cast<std::size_t>(length)};
      std::memcpy(&buffer, view + 8, 4);
      std::memcpy(&offset, view + 12, 4);
      return {static_cast<const char*>(data_.buffers[2 + buffer]) + offset, static_cast<std::size_t>(length)};
    }
    const auto* chars = static_cast<const char*>(data_.buffers[2]);
    if (field_.type.id == TypeId::kLargeUtf8) {
      const auto* offsets = static_cast<const int64_t*>(data_.buffers[1]);
      return {chars + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
    }
    const auto* offsets = static_cast<const int32_t*>(data_.buffers[1]);
    return {chars + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
  }

 private:
  const ArrayData& data_;
  const Field& field_;
};

}  // namespace headrace::arrow

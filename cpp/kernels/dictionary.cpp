#include "kernels/dictionary.h"

#include <cstring>
#include <string>
#include <vector>

#include "arrow/builder.h"
#include "kernels/dictionary_index.h"

namespace headrace::kernels {

using arrow::AlignedBuffer;
using arrow::ArrayData;
using arrow::ArrayView;
using arrow::ArrowError;
using arrow::BitmapBuilder;
using arrow::Field;
using arrow::TypeId;

namespace {

// The dictionary position of every row, -1 for a null index.
template <typename Index>
std::vector<int64_t> read_indices(const ArrayView& view, int64_t dictionary_length) {
  std::vector<int64_t> positions(static_cast<std::size_t>(view.length()));
  const Index* indices = view.values<Index>();
  for (int64_t i = 0; i < view.length(); ++i) {
    if (!view.is_valid(i)) {
      positions[i] = -1;
      continue;
    }
    const auto index = static_cast<int64_t>(indices[i]);
    if (index < 0 || index >= dictionary_length) {
      dictionary_index_out_of_range(view.field().name, index, dictionary_length);
    }
    positions[i] = index;
  }
  return positions;
}

std::vector<int64_t> positions_of(const ArrayView& view, int64_t dictionary_length) {
  return visit_index_type(view, [&]<typename Index>(std::type_identity<Index>) {
    return read_indices<Index>(view, dictionary_length);
  });
}

}  // namespace

Field decoded_field(const Field& field) {
  if (!field.dictionary) return field;
  Field out = *field.dictionary;
  out.name = field.name;
  out.nullable = true;
  if (out.type.id == TypeId::kUtf8View) out.type = arrow::DataType(TypeId::kLargeUtf8);
  return out;
}

std::shared_ptr<const ArrayData> decode_dictionary(std::shared_ptr<const ArrayData> data, const Field& field) {
  if (!field.dictionary) return data;
  const Field values_field = decoded_field(field);
  const ArrayView values(*data->dictionary, *field.dictionary);
  const std::vector<int64_t> positions = positions_of(ArrayView(*data, field), values.length());
  const int64_t n = data->length;
  auto valid = [&](int64_t i) { return positions[i] >= 0 && values.is_valid(positions[i]); };
  if (values_field.type.is_string()) {
    arrow::StringBuilder builder(values_field.type.id != TypeId::kUtf8, n, field.name);
    for (int64_t i = 0; i < n; ++i) {
      if (valid(i)) {
        builder.append(values.string_value(positions[i]));
      } else {
        builder.append_null();
      }
    }
    return builder.finish();
  }
  BitmapBuilder validity(n);
  for (int64_t i = 0; i < n; ++i) validity.set(i, valid(i));
  std::vector<AlignedBuffer> buffers;
  buffers.push_back(validity.release());
  if (values_field.type.id == TypeId::kBool) {
    BitmapBuilder bits(n);
    for (int64_t i = 0; i < n; ++i) bits.set(i, valid(i) && values.bool_value(positions[i]));
    buffers.push_back(bits.release());
  } else {
    const int width = values_field.type.byte_width();
    if (width == 0) {
      throw ArrowError("column '" + field.name + "': cannot decode a dictionary of " + values_field.to_string());
    }
    AlignedBuffer out(static_cast<std::size_t>(n) * width);
    const auto* source = static_cast<const uint8_t*>(values.data().buffers[1]) + values.data().offset * width;
    for (int64_t i = 0; i < n; ++i) {
      if (positions[i] >= 0) std::memcpy(out.data() + i * width, source + positions[i] * width, width);
    }
    buffers.push_back(std::move(out));
  }
  return arrow::make_array(n, std::move(buffers));
}

}  // namespace headrace::kernels

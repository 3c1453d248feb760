#include "kernels/group_codes.h"

#include <cstring>
#include <string>

#include "arrow/builder.h"
#include "kernels/dictionary_index.h"

namespace headrace::kernels {

using arrow::AlignedBuffer;
using arrow::ArrayData;
using arrow::ArrayView;
using arrow::BitmapBuilder;
using arrow::Field;

namespace {

template <typename Index>
void add_codes(const ArrayView& view, bool first, uint32_t* codes) {
  const Index* indices = view.values<Index>();
  const auto size = static_cast<uint64_t>(view.data().dictionary->length);
  const auto radix = static_cast<uint32_t>(size + 1);
  const bool nulls = view.data().buffers[0] != nullptr && view.null_count() != 0;
  for (int64_t i = 0; i < view.length(); ++i) {
    uint64_t index = size;  // a null index: the extra digit
    if (!nulls || view.is_valid(i)) {
      index = static_cast<uint64_t>(static_cast<int64_t>(indices[i]));  // negative: huge
      if (index >= size) {
        dictionary_index_out_of_range(view.field().name, static_cast<int64_t>(indices[i]), static_cast<int64_t>(size));
      }
    }
    codes[i] = first ? static_cast<uint32_t>(index) : codes[i] * radix + static_cast<uint32_t>(index);
  }
}

}  // namespace

uint64_t dictionary_code_domain(std::span<const ArrayData* const> columns, std::span<const Field* const> fields,
                                uint64_t limit) {
  uint64_t domain = 1;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (!fields[c]->dictionary || !columns[c]->dictionary) return 0;
    domain *= static_cast<uint64_t>(columns[c]->dictionary->length) + 1;
    if (domain > limit) return 0;
  }
  return columns.empty() ? 0 : domain;
}

void add_dictionary_codes(const ArrayData& data, const Field& field, bool first, uint32_t* codes) {
  const ArrayView view(data, field);
  visit_index_type(view, [&]<typename Index>(std::type_identity<Index>) { add_codes<Index>(view, first, codes); });
}

std::shared_ptr<const ArrayData> take_dictionary_rows(const ArrayData& data, const Field& field,
                                                      std::span<const uint32_t> rows) {
  const ArrayView view(data, field);
  const int width = field.type.byte_width();
  const auto n = static_cast<int64_t>(rows.size());
  std::vector<AlignedBuffer> buffers;
  BitmapBuilder validity(n);
  for (int64_t k = 0; k < n; ++k) validity.set(k, view.is_valid(rows[k]));
  buffers.push_back(validity.release());
  AlignedBuffer indices = AlignedBuffer::for_overwrite(static_cast<std::size_t>(n) * width);
  const auto* source = static_cast<const uint8_t*>(data.buffers[1]) + data.offset * width;
  for (int64_t k = 0; k < n; ++k) std::memcpy(indices.data() + k * width, source + rows[k] * width, width);
  buffers.push_back(std::move(indices));
  auto out = std::make_shared<ArrayData>(*arrow::make_array(n, std::move(buffers)));
  out->dictionary = data.dictionary;
  return out;
}

}  // namespace headrace::kernels

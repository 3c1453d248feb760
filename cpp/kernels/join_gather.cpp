#include "kernels/join_gather.h"

#include <cstring>
#include <string_view>
#include <vector>

#include "arrow/builder.h"
#include "kernels/dictionary.h"
#include "kernels/portable.h"

namespace headrace::kernels {

using arrow::AlignedBuffer;
using arrow::ArrayData;
using arrow::ArrayView;
using arrow::ArrowError;
using arrow::BitmapBuilder;
using arrow::Field;
using arrow::TypeId;

namespace {

struct Wide {
  uint64_t low, high;
};

bool batch_has_nulls(const ArrayData& data) noexcept { return data.buffers[0] != nullptr && data.null_count != 0; }

template <typename T>
AlignedBuffer gather_values(std::span<const ArrayData* const> batches, std::span<const uint64_t> refs, int width) {
  std::vector<const T*> bases(batches.size());
  for (std::size_t b = 0; b < batches.size(); ++b) {
    bases[b] = reinterpret_cast<const T*>(static_cast<const uint8_t*>(batches[b]->buffers[1]) +
                                          batches[b]->offset * width);
  }
  const std::size_t n = refs.size();
  auto out = AlignedBuffer::for_overwrite(n * sizeof(T));  // every value is written below
  T* values = out.as<T>();
  const uint64_t* r = refs.data();
  // Build rows are read in probe order, all over the build side: each is loaded some
  // rows ahead (a null reference's address is never read).
  constexpr std::size_t kAhead = 16;
  const std::size_t ahead = n > kAhead ? n - kAhead : 0;
  if (bases.size() == 1) {
    const T* base = bases[0];
    for (std::size_t i = 0; i < n; ++i) {
      if (i < ahead && r[i + kAhead] != kNullRef) prefetch_address(base + ref_row(r[i + kAhead]));
      values[i] = r[i] == kNullRef ? T{} : base[ref_row(r[i])];
    }
  } else {
    const T* const* table = bases.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (i < ahead && r[i + kAhead] != kNullRef) prefetch_address(table[ref_batch(r[i + kAhead])] + ref_row(r[i + kAhead]));
      values[i] = r[i] == kNullRef ? T{} : table[ref_batch(r[i])][ref_row(r[i])];
    }
  }
  return out;
}

// The address of row `row`'s offset (or view) in a string column, to prefetch.
const void* string_slot(const ArrayView& view, int64_t row) noexcept {
  const int width = view.field().type.id == TypeId::kUtf8 ? 4 : view.field().type.id == TypeId::kLargeUtf8 ? 8 : 16;
  return static_cast<const uint8_t*>(view.data().buffers[1]) + (view.data().offset + row) * width;
}

// Rows come from all over the sides' batches, so both passes load ahead: the first finds
// every row's characters (prefetching its offsets) and their total, so that the characters
// are allocated once; the second copies them (prefetching the characters).
std::shared_ptr<const ArrayData> gather_strings(const std::vector<ArrayView>& views, const Field& field,
                                                std::span<const uint64_t> refs) {
  constexpr std::size_t kAhead = 16;
  const std::size_t n = refs.size();
  std::vector<std::string_view> values(n);
  std::vector<uint8_t> valid(n);
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n && refs[i + kAhead] != kNullRef) {
      const uint64_t ahead = refs[i + kAhead];
      prefetch_address(string_slot(views[ref_batch(ahead)], ref_row(ahead)));
    }
    const uint64_t ref = refs[i];
    if (ref == kNullRef || !views[ref_batch(ref)].is_valid(ref_row(ref))) continue;
    values[i] = views[ref_batch(ref)].string_value(ref_row(ref));
    valid[i] = 1;
    total += values[i].size();
  }
  arrow::StringBuilder builder(field.type.id != TypeId::kUtf8, static_cast<int64_t>(n), field.name);
  builder.reserve_chars(total);
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n && valid[i + kAhead]) prefetch_address(values[i + kAhead].data());
    if (valid[i]) {
      builder.append(values[i]);
    } else {
      builder.append_null();
    }
  }
  return builder.finish();
}

}  // namespace

Field gathered_field(const Field& field) {
  Field out = decoded_field(field);
  if (out.type.id == TypeId::kUtf8View) out.type = arrow::DataType(TypeId::kLargeUtf8);
  return out;
}

std::shared_ptr<const ArrayData> gather_column(std::span<const ArrayData* const> batches, const Field& field,
                                               std::span<const uint64_t> refs) {
  const auto n = static_cast<int64_t>(refs.size());
  const TypeId id = field.type.id;
  std::vector<ArrayView> views;
  views.reserve(batches.size());
  for (const ArrayData* b : batches) views.emplace_back(*b, field);

  if (field.type.is_string()) return gather_strings(views, field, refs);

  bool nullable = false;
  for (const ArrayData* b : batches) nullable |= batch_has_nulls(*b);
  if (!nullable) {
    uint64_t any = 0;
    for (uint64_t ref : refs) any |= (ref == kNullRef);
    nullable = any != 0;
  }
  std::vector<AlignedBuffer> buffers;
  if (nullable) {
    BitmapBuilder validity(n);
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t ref = refs[i];
      validity.set(i, ref != kNullRef && views[ref_batch(ref)].is_valid(ref_row(ref)));
    }
    buffers.push_back(validity.release());
  } else {
    buffers.emplace_back();
  }
  if (id == TypeId::kBool) {
    BitmapBuilder bits(n);
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t ref = refs[i];
      bits.set(i, ref != kNullRef && views[ref_batch(ref)].bool_value(ref_row(ref)));
    }
    buffers.push_back(bits.release());
    return arrow::make_array(n, std::move(buffers));
  }
  const int width = field.type.byte_width();
  switch (width) {
    case 1: buffers.push_back(gather_values<uint8_t>(batches, refs, width)); break;
    case 2: buffers.push_back(gather_values<uint16_t>(batches, refs, width)); break;
    case 4: buffers.push_back(gather_values<uint32_t>(batches, refs, width)); break;
    case 8: buffers.push_back(gather_values<uint64_t>(batches, refs, width)); break;
    case 16: buffers.push_back(gather_values<Wide>(batches, refs, width)); break;
    default:
      throw ArrowError("join: column '" + field.name + "' (" + field.to_string() + ") cannot be gathered");
  }
  return arrow::make_array(n, std::move(buffers));
}

}  // namespace headrace::kernels

#include "parquet/column_values.h"

#include <algorithm>
#include <limits>

#include "parquet/rle_decoder.h"

namespace headrace::parquet::detail {

bool is_dictionary_encoding(Encoding encoding) noexcept {
  return encoding == Encoding::RleDictionary || encoding == Encoding::PlainDictionary;
}

namespace {

RleBitPackedDecoder index_decoder(const DataPage& page) {
  if (page.values.empty()) throw ParquetError("dictionary-encoded page without its bit width");
  const int width = page.values[0];
  if (width > 32) throw ParquetError("dictionary index bit width " + std::to_string(width) + " above 32");
  return RleBitPackedDecoder(page.values.data() + 1, page.values.size() - 1, width);
}

[[noreturn]] void index_out_of_range(uint32_t index, std::size_t dictionary_size) {
  throw ParquetError("dictionary index " + std::to_string(index) + " out of range for a dictionary of " +
                     std::to_string(dictionary_size) + " values");
}

}  // namespace

void decode_indices(const DataPage& page, std::size_t dictionary_size, std::vector<uint32_t>& out) {
  const auto count = static_cast<std::size_t>(page.num_values);
  out.resize(count);
  if (count == 0) return;
  RleBitPackedDecoder decoder = index_decoder(page);
  const int width = page.values[0];
  if (decoder.get_batch(out.data(), count) != count) throw ParquetError("a page has fewer dictionary indices than values");
  // Every index fits the bit width, so the check is needed only for a smaller dictionary.
  // An OR of comparisons, not a running maximum: a maximum without SSE4.1 is a chain of
  // emulated steps, one value a cycle (8% of a TPC-H run's time).
  if (width < 32 && dictionary_size >= (std::size_t{1} << width)) return;
  const auto limit = static_cast<uint32_t>(std::min<std::size_t>(dictionary_size, std::numeric_limits<uint32_t>::max()));
  uint32_t outside = 0;
  for (uint32_t index : out) outside |= static_cast<uint32_t>(index >= limit);
  if (outside != 0) {
    index_out_of_range(*std::find_if(out.begin(), out.end(), [&](uint32_t index) { return index >= limit; }),
                       dictionary_size);
  }
}

SparseIndices::SparseIndices(const DataPage& page, std::size_t dictionary_size)
    : decoder_(page.num_values > 0 ? index_decoder(page) : RleBitPackedDecoder(nullptr, 0, 0)),
      dictionary_size_(dictionary_size) {
  const auto count = static_cast<std::size_t>(page.num_values);
  if (RleBitPackedDecoder(decoder_).skip(count) != count) {
    throw ParquetError("a page has fewer dictionary indices than values");
  }
}

uint32_t SparseIndices::at(int32_t v) {
  decoder_.skip(static_cast<std::size_t>(v - next_));
  uint32_t index = decoder_.next_value();  // the page holds an index per value: checked above
  next_ = int64_t{v} + 1;
  if (index >= dictionary_size_) index_out_of_range(index, dictionary_size_);
  return index;
}

void parse_byte_arrays(std::span<const uint8_t> bytes, int32_t count, std::vector<std::string_view>& out) {
  if (count < 0) throw ParquetError("negative value count");
  out.resize(static_cast<std::size_t>(count));
  std::size_t position = 0;
  for (auto& value : out) {
    uint32_t length;
    if (bytes.size() - position < 4) throw ParquetError("byte array values run past the end of their page");
    std::memcpy(&length, bytes.data() + position, 4);
    position += 4;
    if (bytes.size() - position < length) throw ParquetError("byte array values run past the end of their page");
    value = {reinterpret_cast<const char*>(bytes.data() + position), length};
    position += length;
  }
}

void BoolColumn::page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity) {
  if (page.encoding == Encoding::Rle) {
    // Data page v2 booleans: a 4-byte length, then RLE / bit-packed runs of width 1.
    uint32_t length;
    if (page.values.size() < 4) throw ParquetError("data page too short for its booleans");
    std::memcpy(&length, page.values.data(), 4);
    if (length > page.values.size() - 4) throw ParquetError("booleans run past the end of their page");
    decoded_.resize(static_cast<std::size_t>(page.num_values));
    RleBitPackedDecoder decoder(page.values.data() + 4, length, 1);
    if (decoder.get_batch(decoded_.data(), decoded_.size()) != decoded_.size()) {
      throw ParquetError("a page has fewer booleans than values");
    }
    const uint32_t* values = decoded_.data();
    cursor.each_value(page, validity, [&](int64_t o, int32_t v) { bits_.set(o, values[v] != 0); });
    return;
  }
  if (page.encoding != Encoding::Plain) throw NotSupported("boolean encoding " + std::to_string(static_cast<int>(page.encoding)));
  if (page.values.size() * 8 < static_cast<std::size_t>(page.num_values)) throw ParquetError("data page shorter than its values");
  const uint8_t* bits = page.values.data();
  cursor.each_value(page, validity, [&](int64_t o, int32_t v) { bits_.set(o, (bits[v >> 3] >> (v & 7)) & 1); });
}

std::shared_ptr<const arrow::ArrayData> BoolColumn::finish(int64_t rows, arrow::AlignedBuffer validity) {
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.push_back(std::move(validity));
  buffers.push_back(bits_.release());
  return arrow::make_array(rows, std::move(buffers));
}

template <typename Offset>
StringColumn<Offset>::StringColumn(int64_t rows, std::size_t expected_chars)
    : offsets_(static_cast<std::size_t>(rows + 1) * sizeof(Offset)), chars_(expected_chars) {}

template <typename Offset>
void StringColumn<Offset>::append(int64_t row, std::string_view value) {
  Offset* offsets = offsets_.as<Offset>();
  for (; started_ <= row; ++started_) offsets[started_] = static_cast<Offset>(used_);
  const std::size_t end = used_ + value.size();
  if (end > chars_.size()) {
    if (sizeof(Offset) == 4 && end > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
      throw NotSupported("more than 2 GiB of utf8 characters in one row group");
    }
    chars_.resize(std::max(end, 2 * chars_.size()));
  }
  if (!value.empty()) std::memcpy(chars_.data() + used_, value.data(), value.size());
  used_ = end;
}

template <typename Offset>
void StringColumn<Offset>::page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity) {
  if (page.encoding == Encoding::Plain) {
    parse_byte_arrays(page.values, page.num_values, values_);
    const std::string_view* values = values_.data();
    cursor.each_value(page, validity, [&](int64_t o, int32_t v) { append(o, values[v]); });
  } else if (is_dictionary_encoding(page.encoding)) {
    const std::string_view* dictionary = dictionary_.data();
    each_index(page, dictionary_.size(), indices_, cursor, validity,
               [&](int64_t o, uint32_t index) { append(o, dictionary[index]); });
  } else {
    throw NotSupported("byte array encoding " + std::to_string(static_cast<int>(page.encoding)));
  }
}

template <typename Offset>
std::shared_ptr<const arrow::ArrayData> StringColumn<Offset>::finish(int64_t rows, arrow::AlignedBuffer validity) {
  Offset* offsets = offsets_.as<Offset>();
  for (; started_ <= rows; ++started_) offsets[started_] = static_cast<Offset>(used_);
  chars_.resize(used_);
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.push_back(std::move(validity));
  buffers.push_back(std::move(offsets_));
  buffers.push_back(std::move(chars_));
  return arrow::make_array(rows, std::move(buffers));
}

template class StringColumn<int32_t>;
template class StringColumn<int64_t>;

void DictionaryColumn::dictionary(std::span<const uint8_t> bytes, int32_t count) {
  std::vector<std::string_view> values;
  parse_byte_arrays(bytes, count, values);
  arrow::StringBuilder builder(large_, count, "dictionary");
  for (std::string_view value : values) builder.append(value);
  dictionary_ = builder.finish();
  dictionary_size_ = values.size();
}

void DictionaryColumn::page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity) {
  if (!is_dictionary_encoding(page.encoding)) throw NotSupported("a page that is not dictionary-encoded");
  int32_t* out = indices_.as<int32_t>();
  each_index(page, dictionary_size_, decoded_, cursor, validity,
             [&](int64_t o, uint32_t index) { out[o] = static_cast<int32_t>(index); });
}

std::shared_ptr<const arrow::ArrayData> DictionaryColumn::finish(int64_t rows, arrow::AlignedBuffer validity) {
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.push_back(std::move(validity));
  buffers.push_back(std::move(indices_));
  auto array = std::make_shared<arrow::ArrayData>(*arrow::make_array(rows, std::move(buffers)));
  if (dictionary_ == nullptr) dictionary_ = arrow::StringBuilder(large_, 0, "dictionary").finish();
  array->dictionary = dictionary_;
  return array;
}

}  // namespace headrace::parquet::detail

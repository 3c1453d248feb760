// The pieces column_decoder.cpp assembles: which output rows a page fills (RowCursor), and
// one decoder per kind of output array (fixed-width values, bools, strings, dictionary
// indices). Each takes the chunk's dictionary page, then its data pages in order, then
// builds the array.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arrow/array_data.h"
#include "arrow/builder.h"
#include "parquet/column_decoder.h"
#include "parquet/page_reader.h"
#include "parquet/rle_decoder.h"

namespace headrace::parquet::detail {

// Walks the output rows page by page: all the row group's rows, or the selected ones.
class RowCursor {
 public:
  explicit RowCursor(const std::vector<int32_t>* selection) : selection_(selection) {}

  // Calls emit(out, v) for each output row `out` of this page that has a value, `v` being
  // that value's index among the page's values, and marks the row valid in `validity`
  // (null for a required column).
  template <typename Emit>
  void each_value(const DataPage& page, arrow::BitmapBuilder* validity, Emit&& emit) {
    const int32_t n = page.num_rows;
    const int64_t first = first_row_;
    first_row_ += n;
    if (selection_ == nullptr) {
      if (page.defined == nullptr) {
        for (int32_t i = 0; i < n; ++i) emit(first + i, i);
        if (validity != nullptr) {
          for (int32_t i = 0; i < n; ++i) validity->set(first + i);
        }
      } else {
        int32_t v = 0;
        for (int32_t i = 0; i < n; ++i) {
          if (page.defined[i]) {
            emit(first + i, v++);
            validity->set(first + i);
          }
        }
      }
      return;
    }
    const std::vector<int32_t>& rows = *selection_;
    const int64_t end = first + n;
    if (page.defined == nullptr) {
      for (; next_ < rows.size() && rows[next_] < end; ++next_) {
        const auto out = static_cast<int64_t>(next_);
        emit(out, static_cast<int32_t>(rows[next_] - first));
        if (validity != nullptr) validity->set(out);
      }
      return;
    }
    int32_t row = 0;
    int32_t v = 0;  // values before `row`
    for (; next_ < rows.size() && rows[next_] < end; ++next_) {
      const auto target = static_cast<int32_t>(rows[next_] - first);
      for (; row < target; ++row) v += static_cast<int32_t>(page.defined[row]);
      if (page.defined[target]) {
        const auto out = static_cast<int64_t>(next_);
        emit(out, v);
        validity->set(out);
      }
    }
  }

  // Rows of the row group the pages covered.
  int64_t rows_seen() const noexcept { return first_row_; }

  // Whether this page (the next one each_value visits) has few selected rows: at most one
  // in kSparse of its rows. Reading one dictionary index alone costs about what decoding 16
  // of a whole page does (TPC-H Q14 and Q19 read 1-7% of lineitem's rows: 12-18% faster).
  bool sparse(const DataPage& page) const noexcept {
    if (selection_ == nullptr) return false;
    const std::vector<int32_t>& rows = *selection_;
    const int64_t end = first_row_ + page.num_rows;
    const auto first = rows.begin() + static_cast<std::ptrdiff_t>(next_);
    const auto selected = std::lower_bound(first, rows.end(), end) - first;
    return selected * kSparse <= page.num_rows;
  }
  static constexpr int64_t kSparse = 16;

 private:
  const std::vector<int32_t>* selection_;
  int64_t first_row_ = 0;
  std::size_t next_ = 0;
};

// Decodes a dictionary-encoded page's indices into `out` (one per value), checking each is
// below `dictionary_size`.
void decode_indices(const DataPage& page, std::size_t dictionary_size, std::vector<uint32_t>& out);

// A dictionary-encoded page's indices read one at a time at rising value positions, for a
// page of which few values are wanted: runs before a position are skipped by their headers
// and only the wanted values are unpacked. Checks at once that the page holds an index per
// value, and each index read against `dictionary_size` (the indices not read go unchecked).
class SparseIndices {
 public:
  SparseIndices(const DataPage& page, std::size_t dictionary_size);
  // The index of value `v`; v rises from call to call.
  uint32_t at(int32_t v);

 private:
  RleBitPackedDecoder decoder_;
  std::size_t dictionary_size_;
  int64_t next_ = 0;  // the decoder's position
};

// Calls emit(out, index) for each output row of a dictionary-encoded page (as
// RowCursor::each_value), with its dictionary index: decoded for the whole page into
// `scratch`, or one by one where the cursor selects few of the page's rows.
template <typename Emit>
void each_index(const DataPage& page, std::size_t dictionary_size, std::vector<uint32_t>& scratch,
                RowCursor& cursor, arrow::BitmapBuilder* validity, Emit&& emit) {
  if (cursor.sparse(page)) {
    SparseIndices indices(page, dictionary_size);
    cursor.each_value(page, validity, [&](int64_t o, int32_t v) { emit(o, indices.at(v)); });
    return;
  }
  decode_indices(page, dictionary_size, scratch);
  const uint32_t* indices = scratch.data();
  cursor.each_value(page, validity, [&](int64_t o, int32_t v) { emit(o, indices[v]); });
}

bool is_dictionary_encoding(Encoding encoding) noexcept;
// The plain-encoded byte arrays of a page or dictionary: `count` length-prefixed values.
void parse_byte_arrays(std::span<const uint8_t> bytes, int32_t count, std::vector<std::string_view>& out);

// Fixed-width output values, each converted from `stride` bytes of the plain encoding by
// Convert (a stateless functor: Out operator()(const uint8_t*)). A dictionary is converted
// once, entry by entry, unless the read outputs far fewer rows than it has entries (a
// sparse selection over a column of mostly distinct values): then only the entries the rows
// name are converted, from the page's plain bytes.
template <typename Out, typename Convert>
class FixedWidthColumn {
 public:
  // `every_row`: each output row gets a value (a required column), so the values need no zeroing.
  FixedWidthColumn(int64_t rows, std::size_t stride, bool every_row)
      : values_(every_row ? arrow::AlignedBuffer::for_overwrite(static_cast<std::size_t>(rows) * sizeof(Out))
                          : arrow::AlignedBuffer(static_cast<std::size_t>(rows) * sizeof(Out))),
        stride_(stride),
        rows_(static_cast<std::size_t>(rows)) {}

  void dictionary(std::span<const uint8_t> bytes, int32_t count) {
    if (count < 0 || bytes.size() / stride_ < static_cast<std::size_t>(count)) {
      throw ParquetError("dictionary page shorter than its values");
    }
    dictionary_size_ = static_cast<std::size_t>(count);
    if (rows_ * 4 < dictionary_size_) {  // the bytes stay valid while the chunk is decoded (page_reader.h)
      plain_dictionary_ = bytes.data();
      return;
    }
    dictionary_ = arrow::AlignedBuffer::for_overwrite(dictionary_size_ * sizeof(Out));  // pooled: no page faults
    Out* entries = dictionary_.as<Out>();
    for (int32_t i = 0; i < count; ++i) entries[i] = Convert{}(bytes.data() + static_cast<std::size_t>(i) * stride_);
  }

  void page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity) {
    Out* out = values_.as<Out>();
    if (page.encoding == Encoding::Plain) {
      if (page.values.size() / stride_ < static_cast<std::size_t>(page.num_values)) {
        throw ParquetError("data page shorter than its values");
      }
      const uint8_t* base = page.values.data();
      const std::size_t stride = stride_;
      cursor.each_value(page, validity, [&](int64_t o, int32_t v) { out[o] = Convert{}(base + static_cast<std::size_t>(v) * stride); });
    } else if (is_dictionary_encoding(page.encoding)) {
      if (plain_dictionary_ != nullptr) {
        const uint8_t* plain = plain_dictionary_;
        const std::size_t stride = stride_;
        each_index(page, dictionary_size_, indices_, cursor, validity,
                   [&](int64_t o, uint32_t index) { out[o] = Convert{}(plain + index * stride); });
        return;
      }
      const Out* dictionary = dictionary_.as<Out>();
      each_index(page, dictionary_size_, indices_, cursor, validity,
                 [&](int64_t o, uint32_t index) { out[o] = dictionary[index]; });
    } else {
      throw NotSupported("value encoding " + std::to_string(static_cast<int>(page.encoding)));
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(int64_t rows, arrow::AlignedBuffer validity) {
    std::vector<arrow::AlignedBuffer> buffers;
    buffers.push_back(std::move(validity));
    buffers.push_back(std::move(values_));
    return arrow::make_array(rows, std::move(buffers));
  }

 private:
  arrow::AlignedBuffer values_;
  std::size_t stride_;
  std::size_t rows_;  // rows the read outputs
  std::size_t dictionary_size_ = 0;
  arrow::AlignedBuffer dictionary_;         // converted entries
  const uint8_t* plain_dictionary_ = nullptr;  // or the plain bytes, for a sparse read
  std::vector<uint32_t> indices_;
};

// Booleans: plain-encoded bits, or RLE runs (data page v2); dictionary booleans are NotSupported.
class BoolColumn {
 public:
  explicit BoolColumn(int64_t rows) : bits_(rows) {}
  void dictionary(std::span<const uint8_t>, int32_t) { throw NotSupported("dictionary-encoded booleans"); }
  void page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity);
  std::shared_ptr<const arrow::ArrayData> finish(int64_t rows, arrow::AlignedBuffer validity);

 private:
  arrow::BitmapBuilder bits_;
  std::vector<uint32_t> decoded_;
};

// utf8 (Offset int32_t) or large_utf8 (int64_t) values.
template <typename Offset>
class StringColumn {
 public:
  StringColumn(int64_t rows, std::size_t expected_chars);
  void dictionary(std::span<const uint8_t> bytes, int32_t count) { parse_byte_arrays(bytes, count, dictionary_); }
  void page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity);
  std::shared_ptr<const arrow::ArrayData> finish(int64_t rows, arrow::AlignedBuffer validity);

 private:
  void append(int64_t row, std::string_view value);

  arrow::AlignedBuffer offsets_;
  arrow::AlignedBuffer chars_;
  std::size_t used_ = 0;
  int64_t started_ = 0;  // rows whose start offset is written
  std::vector<std::string_view> dictionary_;
  std::vector<std::string_view> values_;
  std::vector<uint32_t> indices_;
};

// dictionary<int32, utf8 | large_utf8>: the chunk's dictionary page becomes the array's
// dictionary; a data page that is not dictionary-encoded is NotSupported.
class DictionaryColumn {
 public:
  DictionaryColumn(int64_t rows, bool large_values) : indices_(static_cast<std::size_t>(rows) * 4), large_(large_values) {}
  void dictionary(std::span<const uint8_t> bytes, int32_t count);
  void page(const DataPage& page, RowCursor& cursor, arrow::BitmapBuilder* validity);
  std::shared_ptr<const arrow::ArrayData> finish(int64_t rows, arrow::AlignedBuffer validity);

 private:
  arrow::AlignedBuffer indices_;
  bool large_;
  std::shared_ptr<const arrow::ArrayData> dictionary_;
  std::size_t dictionary_size_ = 0;
  std::vector<uint32_t> decoded_;
};

}  // namespace headrace::parquet::detail

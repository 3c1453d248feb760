// One row group read through a scan's filter in one call (late materialization): the
// filter's columns (the "head") are decoded, the RowFilter terms narrow the row numbers
// and the bitmaps of the join keys among the head columns narrow them further; the join key
// columns the terms do not read (the "middle") are decoded for the rows left, and their
// bitmaps narrow those; the head and middle columns are gathered to the rows left, and the
// other columns (the "tail") are decoded for those rows only. With FilterAt::kMiddle the
// key columns are the head and the filter's columns the middle: keys first, then the terms.
// Python's scan takes the same steps one call at a time when its filter has terms only
// pyarrow evaluates (python/headrace/_scan.py); in one call they hold the GIL only to start
// and to finish.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "arrow/array_data.h"
#include "arrow/data_type.h"
#include "kernels/key_bitmap.h"
#include "kernels/row_filter.h"
#include "parquet/file_reader.h"

namespace headrace::parquet {

// A join key filter applied after the RowFilter terms, with what it saw (for the caller's
// decision to keep using it).
struct KeyCheck {
  std::string column;  // one of the head or middle columns
  const kernels::KeyBitmap* keys = nullptr;
  int64_t checked = 0;  // rows it was asked about
  int64_t kept = 0;     // rows it kept
};

struct FilteredColumns {
  // Gathered to the rows that passed (null for a column the set does not output).
  std::vector<std::shared_ptr<const arrow::ArrayData>> head;
  std::vector<std::shared_ptr<const arrow::ArrayData>> middle;  // likewise
  std::vector<std::shared_ptr<const arrow::ArrayData>> tail;    // decoded for those rows
  int64_t length = 0;                                         // 0: no row passed (nothing read after)
  int64_t rows_in_group = 0;   // the row group's rows
  int64_t filter_passed = -1;  // rows the filter passed, when it ran over the head (FilterAt::kHead)
};

// The columns of a read: chunk indices, the fields they are read as, and which of them the
// read returns (empty: all). A head or middle column only the filter or a key check reads
// is not gathered to the rows that passed.
struct ColumnSet {
  std::vector<int> columns;
  std::vector<arrow::Field> fields;
  std::vector<bool> output;

  bool outputs(std::size_t c) const { return output.empty() || output[c]; }
};

// Where the RowFilter runs: over the head columns before the key checks (the common
// order), or over the middle columns, for the rows the key checks on the head columns
// left (for a filter that keeps more rows than the join keys do).
enum class FilterAt { kHead, kMiddle };

// The rows of `row_group` passing `filter` (may be null: every row) and every key check.
// Throws what read_row_group throws (NotSupported: the caller reads the row group another
// way), ArrowError for a filter or key column neither the head nor the middle has.
FilteredColumns read_filtered(const ParquetFileReader& reader, int row_group, const ColumnSet& head,
                              const ColumnSet& middle, const ColumnSet& tail, const kernels::RowFilter* filter,
                              std::span<KeyCheck> keys, FilterAt filter_at = FilterAt::kHead);

}  // namespace headrace::parquet

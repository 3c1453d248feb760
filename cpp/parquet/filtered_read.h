// One row group read through a scan's filter in one call (late materialization): the
// filter's columns (the "head") are decoded, the head filter's terms narrow the row numbers
// and the bitmaps of the join keys among the head columns narrow them further; the other
// filter and join key columns (the "middle") are decoded for the rows left, the middle
// filter's terms (over middle and head columns) and the bitmaps of the keys among the middle
// columns narrow those; the head and middle columns are gathered to the rows left, and the
// other columns (the "tail") are decoded for those rows only. The filters split one scan
// filter three ways: all of it over the head (the common order); none over the head, the
// key columns being the head and the terms' columns the middle (keys first); or its terms
// on a few columns over the head and the terms on more columns over the middle, whose
// extra columns are then decoded only for the rows the first terms left (staged).
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
  int64_t filter_passed = -1;  // rows the head filter passed (-1: there was none)
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

// The row group's rows passing `head_filter` over the head columns, every key check, and
// `middle_filter` over the middle columns and the head columns it reads (either filter may
// be null: every row). Throws what read_row_group throws (NotSupported: the caller reads the
// row group another way), ArrowError for a filter or key column neither the head nor the
// middle has, or a middle filter without middle columns.
FilteredColumns read_filtered(const ParquetFileReader& reader, int row_group, const ColumnSet& head,
                              const ColumnSet& middle, const ColumnSet& tail, const kernels::RowFilter* head_filter,
                              const kernels::RowFilter* middle_filter, std::span<KeyCheck> keys);

}  // namespace headrace::parquet

#include "parquet/filtered_read.h"

#include <algorithm>
#include <optional>

#include "kernels/join_gather.h"

namespace headrace::parquet {

using arrow::ArrayData;
using arrow::ArrowError;
using arrow::Field;

namespace {

// A column at `refs` (row numbers): a dictionary column's indices are gathered and keep
// their dictionary.
std::shared_ptr<const ArrayData> gather(const std::shared_ptr<const ArrayData>& column, const Field& field,
                                        std::span<const uint64_t> refs) {
  if (!field.dictionary) {
    const ArrayData* one = column.get();
    return kernels::gather_column({&one, 1}, field, refs);
  }
  ArrayData indices = *column;
  indices.dictionary = nullptr;
  const ArrayData* one = &indices;
  Field index_field{field.name, field.type, field.nullable, nullptr, {}};
  auto out = std::make_shared<ArrayData>(*kernels::gather_column({&one, 1}, index_field, refs));
  out->dictionary = column->dictionary;
  return out;
}

std::size_t find(const std::vector<Field>& fields, const std::string& name) {
  std::size_t c = 0;
  while (c < fields.size() && fields[c].name != name) ++c;
  return c;
}

// The set's output columns at `at` (the others null).
std::vector<std::shared_ptr<const ArrayData>> gather_all(const std::vector<std::shared_ptr<const ArrayData>>& columns,
                                                         const ColumnSet& set, const std::vector<int32_t>& at) {
  const std::vector<uint64_t> refs(at.begin(), at.end());  // batch 0: a ref is the row number
  std::vector<std::shared_ptr<const ArrayData>> out(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (set.outputs(c)) out[c] = gather(columns[c], set.fields[c], refs);
  }
  return out;
}

// The head columns a middle filter reads besides the middle's: a term may compare a middle
// column with a head column (staged: `l_commitdate < l_receiptdate` after `l_receiptdate`'s
// own range).
std::vector<std::size_t> head_columns_read(const ColumnSet& middle, const ColumnSet& head,
                                           const kernels::RowFilter& filter) {
  std::vector<std::size_t> out;
  for (const kernels::FilterTerm& term : filter.terms()) {
    for (const std::string* name : {&term.column, &term.other}) {
      if (name->empty() || find(middle.fields, *name) < middle.fields.size()) continue;
      const std::size_t c = find(head.fields, *name);
      if (c < head.fields.size() && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
  }
  return out;
}

// A middle filter's columns: the middle's, then the head columns it also reads (fields,
// and arrays at the rows the middle was read for: `rows`; nullopt: every row).
struct FilterColumns {
  std::vector<Field> fields;
  std::vector<std::shared_ptr<const ArrayData>> arrays;
};

FilterColumns with_head_columns(const std::vector<std::shared_ptr<const ArrayData>>& middle_arrays,
                                const ColumnSet& middle,
                                const std::vector<std::shared_ptr<const ArrayData>>& head_arrays,
                                const ColumnSet& head, const kernels::RowFilter& filter,
                                const std::optional<std::vector<int32_t>>& rows) {
  FilterColumns out{middle.fields, middle_arrays};
  const std::vector<std::size_t> wanted = head_columns_read(middle, head, filter);
  if (wanted.empty()) return out;
  const std::vector<uint64_t> refs = rows ? std::vector<uint64_t>(rows->begin(), rows->end()) : std::vector<uint64_t>{};
  for (const std::size_t c : wanted) {
    out.fields.push_back(head.fields[c]);
    out.arrays.push_back(rows ? gather(head_arrays[c], head.fields[c], refs) : head_arrays[c]);
  }
  return out;
}

}  // namespace

FilteredColumns read_filtered(const ParquetFileReader& reader, int row_group, const ColumnSet& head,
                              const ColumnSet& middle, const ColumnSet& tail, const kernels::RowFilter* head_filter,
                              const kernels::RowFilter* middle_filter, std::span<KeyCheck> keys) {
  FilteredColumns out;
  if (middle_filter != nullptr && middle.columns.empty()) {
    throw ArrowError("a filter over the middle columns needs middle columns");
  }
  for (const KeyCheck& key : keys) {
    if (find(head.fields, key.column) == head.fields.size() && find(middle.fields, key.column) == middle.fields.size()) {
      throw ArrowError("join key filter: the scan read no column '" + key.column + "'");
    }
  }
  std::vector<std::shared_ptr<const ArrayData>> head_arrays =
      reader.read_row_group(row_group, head.columns, head.fields, nullptr);
  const int64_t rows_in_group = reader.metadata().row_groups.at(static_cast<std::size_t>(row_group)).num_rows;
  std::optional<std::vector<int32_t>> rows;  // nullopt: every row still passes
  out.rows_in_group = rows_in_group;
  if (head_filter != nullptr) {
    rows = head_filter->select(head_arrays, head.fields, rows_in_group);
    out.filter_passed = rows ? static_cast<int64_t>(rows->size()) : rows_in_group;
  }
  auto checked = [&](KeyCheck& key, const arrow::ArrayView& view, std::optional<std::vector<int32_t>>& kept,
                     int64_t all) {
    if (kept) {
      key.checked += static_cast<int64_t>(kept->size());
      key.keys->keep(view, *kept);
    } else {
      key.checked += all;
      kept = key.keys->select(view);
    }
    key.kept += static_cast<int64_t>(kept->size());
  };
  // Keys on head columns check row numbers; then the middle is read for the rows left, and
  // keys on its columns check positions in it.
  for (KeyCheck& key : keys) {
    const std::size_t c = find(head.fields, key.column);
    if (c == head.fields.size()) continue;
    if (rows && rows->empty()) return out;
    checked(key, arrow::ArrayView(*head_arrays[c], head.fields[c]), rows, rows_in_group);
  }
  if (rows && rows->empty()) return out;
  std::vector<std::shared_ptr<const ArrayData>> middle_arrays;
  std::optional<std::vector<int32_t>> positions;  // of the middle's rows still passing; nullopt: all
  if (!middle.columns.empty()) {
    middle_arrays = reader.read_row_group(row_group, middle.columns, middle.fields, rows ? &*rows : nullptr);
    const int64_t read = rows ? static_cast<int64_t>(rows->size()) : rows_in_group;
    if (middle_filter != nullptr) {
      const FilterColumns read_by = with_head_columns(middle_arrays, middle, head_arrays, head, *middle_filter, rows);
      positions = middle_filter->select(read_by.arrays, read_by.fields, read);
    }
    for (KeyCheck& key : keys) {
      const std::size_t c = find(middle.fields, key.column);
      if (c == middle.fields.size()) continue;
      if (positions && positions->empty()) return out;
      checked(key, arrow::ArrayView(*middle_arrays[c], middle.fields[c]), positions, read);
    }
    if (positions) {
      if (positions->empty()) return out;
      std::vector<int32_t> narrowed;
      narrowed.reserve(positions->size());
      for (const int32_t p : *positions) narrowed.push_back(rows ? (*rows)[static_cast<std::size_t>(p)] : p);
      rows = std::move(narrowed);
    }
  }
  const bool every_row = !rows || static_cast<int64_t>(rows->size()) == rows_in_group;
  out.head = every_row ? std::move(head_arrays) : gather_all(head_arrays, head, *rows);
  out.middle = positions ? gather_all(middle_arrays, middle, *positions) : std::move(middle_arrays);
  if (!tail.columns.empty()) {
    out.tail = reader.read_row_group(row_group, tail.columns, tail.fields, every_row ? nullptr : &*rows);
  }
  out.length = every_row ? rows_in_group : static_cast<int64_t>(rows->size());
  return out;
}

}  // namespace headrace::parquet

#include "parquet/filtered_read.h"

#include <optional>

#include "kernels/join_gather.h"

namespace headrace::parquet {

using arrow::ArrayData;
using arrow::ArrowError;
using arrow::Field;

namespace {

// Column `c` of the head at `refs` (row numbers): a dictionary column's indices are
// gathered and keep their dictionary.
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

}  // namespace

FilteredColumns read_filtered(const ParquetFileReader& reader, int row_group, const std::vector<int>& head_columns,
                              const std::vector<Field>& head_fields, const std::vector<int>& tail_columns,
                              const std::vector<Field>& tail_fields, const kernels::RowFilter* filter,
                              std::span<KeyCheck> keys) {
  FilteredColumns out;
  std::vector<std::shared_ptr<const ArrayData>> head = reader.read_row_group(row_group, head_columns, head_fields, nullptr);
  const int64_t rows_in_group = reader.metadata().row_groups.at(static_cast<std::size_t>(row_group)).num_rows;
  std::optional<std::vector<int32_t>> rows;  // nullopt: every row still passes
  if (filter != nullptr) rows = filter->select(head, head_fields, rows_in_group);
  for (KeyCheck& key : keys) {
    if (rows && rows->empty()) break;
    std::size_t c = 0;
    while (c < head_fields.size() && head_fields[c].name != key.column) ++c;
    if (c == head_fields.size()) throw ArrowError("join key filter: the scan read no column '" + key.column + "'");
    const arrow::ArrayView view(*head[c], head_fields[c]);
    if (rows) {
      key.checked += static_cast<int64_t>(rows->size());
      key.keys->keep(view, *rows);
    } else {
      key.checked += rows_in_group;
      rows = key.keys->select(view);
    }
    key.kept += static_cast<int64_t>(rows->size());
  }
  if (rows && rows->empty()) return out;
  const bool every_row = !rows || static_cast<int64_t>(rows->size()) == rows_in_group;
  if (every_row) {
    out.head = std::move(head);
  } else {
    const std::vector<uint64_t> refs(rows->begin(), rows->end());  // batch 0: a ref is the row number
    for (std::size_t c = 0; c < head.size(); ++c) out.head.push_back(gather(head[c], head_fields[c], refs));
  }
  if (!tail_columns.empty()) out.tail = reader.read_row_group(row_group, tail_columns, tail_fields, every_row ? nullptr : &*rows);
  out.length = every_row ? rows_in_group : static_cast<int64_t>(rows->size());
  return out;
}

}  // namespace headrace::parquet

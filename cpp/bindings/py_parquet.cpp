#include "bindings/py_parquet.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings/py_arrow.h"
#include "bindings/py_kernels.h"
#include "parquet/column_decoder.h"
#include "parquet/file_reader.h"
#include "parquet/filtered_read.h"

namespace headrace::py {

namespace {

namespace pyb = pybind11;
using parquet::ParquetFileReader;

std::vector<arrow::Field> schema_fields(const pyb::handle& schema) {
  arrow::Field batch = parse_schema_object(schema);
  if (batch.type.id != arrow::TypeId::kStruct) throw pyb::type_error("expected a schema, got " + batch.to_string());
  return batch.children;
}

class PyParquetFile {
 public:
  PyParquetFile(const std::string& path, bool map_file) {
    pyb::gil_scoped_release release;
    reader_ = std::make_shared<ParquetFileReader>(path, map_file);
  }

  std::vector<int64_t> row_group_rows() const {
    std::vector<int64_t> rows;
    for (const auto& group : reader_->metadata().row_groups) rows.push_back(group.num_rows);
    return rows;
  }

  int column_index(const std::string& name) const { return reader_->column_index(name); }

  std::string unsupported(const std::vector<int>& row_groups, const std::vector<int>& columns,
                          const pyb::handle& schema) const {
    return reader_->unsupported(row_groups, columns, schema_fields(schema));
  }

  // The row group's columns as a record batch of `schema`, or only the rows of `selection`.
  PyArrowArray read_row_group(int row_group, const std::vector<int>& columns, const pyb::handle& schema,
                              const std::optional<pyb::array_t<int32_t, pyb::array::c_style | pyb::array::forcecast>>& selection) const {
    std::vector<arrow::Field> fields = schema_fields(schema);
    std::optional<std::vector<int32_t>> rows;
    if (selection) rows.emplace(selection->data(), selection->data() + selection->size());
    std::vector<std::shared_ptr<const arrow::ArrayData>> arrays;
    {
      pyb::gil_scoped_release release;
      arrays = reader_->read_row_group(row_group, columns, fields, rows ? &*rows : nullptr);
    }
    auto batch = std::make_shared<arrow::ArrayData>();
    batch->length = rows ? static_cast<int64_t>(rows->size()) : reader_->metadata().row_groups[static_cast<std::size_t>(row_group)].num_rows;
    batch->buffers = {nullptr};
    batch->children.assign(arrays.begin(), arrays.end());
    return PyArrowArray(arrow::Field{"", arrow::DataType{arrow::TypeId::kStruct}, false, nullptr, std::move(fields)},
                        std::move(batch));
  }

  // parquet::read_filtered over `row_groups` in order, in one call without the GIL, until
  // the rows passed reach `max_rows` or the row groups end, or one is NotSupported (the
  // caller's next call starts there and gets the error). Per row group read: (the batch of
  // the rows that passed, its columns `sources`' (0: head, 1: middle, 2: tail; index), or
  // None; (checked, kept) per key filter; (the row group's rows, the rows the head filter
  // passed or -1 if there was none)).
  pyb::list read_filtered(const std::vector<int>& row_groups, const std::vector<int>& head_columns,
                          const pyb::handle& head_schema, const std::vector<int>& middle_columns,
                          const pyb::handle& middle_schema, const std::vector<int>& tail_columns,
                          const pyb::handle& tail_schema, const PyRowFilter* head_filter,
                          const PyRowFilter* middle_filter,
                          const std::vector<std::pair<std::string, const PyKeyBitmap*>>& keys,
                          const std::vector<std::pair<int, int>>& sources, int64_t max_rows) const {
    parquet::ColumnSet sets[3] = {{head_columns, schema_fields(head_schema), {}},
                                  {middle_columns, schema_fields(middle_schema), {}},
                                  {tail_columns, schema_fields(tail_schema), {}}};
    std::vector<parquet::KeyCheck> checks;
    for (const auto& [column, bitmap] : keys) {
      if (bitmap == nullptr) throw pyb::type_error("a key filter is a (column, KeyBitmap) pair");
      checks.push_back({column, &bitmap->bitmap()});
    }
    std::vector<arrow::Field> fields;
    for (const auto& [side, index] : sources) {
      if (side < 0 || side > 2 || index < 0 || static_cast<std::size_t>(index) >= sets[side].fields.size()) {
        throw pyb::index_error("a source is (0: head, 1: middle or 2: tail; a column index of it)");
      }
      fields.push_back(sets[side].fields[static_cast<std::size_t>(index)]);
    }
    for (auto& set : sets) set.output.assign(set.fields.size(), false);  // only what `sources` names is gathered
    for (const auto& [side, index] : sources) sets[side].output[static_cast<std::size_t>(index)] = true;
    struct Read {
      parquet::FilteredColumns columns;
      std::vector<std::pair<int64_t, int64_t>> counts;  // per key filter
    };
    std::vector<Read> reads;
    {
      pyb::gil_scoped_release release;
      int64_t passed = 0;
      for (const int row_group : row_groups) {
        for (parquet::KeyCheck& check : checks) check.checked = check.kept = 0;
        Read read;
        try {
          read.columns = parquet::read_filtered(*reader_, row_group, sets[0], sets[1], sets[2],
                                                head_filter != nullptr ? &head_filter->filter() : nullptr,
                                                middle_filter != nullptr ? &middle_filter->filter() : nullptr, checks);
        } catch (const parquet::NotSupported&) {
          if (reads.empty()) throw;
          break;  // returned to Python first: its next call starts at this row group
        }
        for (const parquet::KeyCheck& check : checks) read.counts.emplace_back(check.checked, check.kept);
        passed += read.columns.length;
        reads.push_back(std::move(read));
        if (passed >= max_rows) break;
      }
    }
    pyb::list out;
    for (Read& read : reads) {
      pyb::list counts;
      for (const auto& [checked, kept] : read.counts) counts.append(pyb::make_tuple(checked, kept));
      const parquet::FilteredColumns& got = read.columns;
      const pyb::tuple filtered = pyb::make_tuple(got.rows_in_group, got.filter_passed);
      if (got.length == 0) {
        out.append(pyb::make_tuple(pyb::none(), counts, filtered));
        continue;
      }
      auto batch = std::make_shared<arrow::ArrayData>();
      batch->length = got.length;
      batch->buffers = {nullptr};
      const std::vector<std::shared_ptr<const arrow::ArrayData>>* parts[3] = {&got.head, &got.middle, &got.tail};
      for (const auto& [side, index] : sources) batch->children.push_back(parts[side]->at(static_cast<std::size_t>(index)));
      PyArrowArray array(arrow::Field{"", arrow::DataType{arrow::TypeId::kStruct}, false, nullptr, fields},
                         std::move(batch));
      out.append(pyb::make_tuple(pyb::cast(std::move(array)), counts, filtered));
    }
    return out;
  }

 private:
  std::shared_ptr<const ParquetFileReader> reader_;
};

}  // namespace

void bind_parquet(pyb::module_& m) {
  // NotSupported derives from ParquetError: registered last so that it is tried first.
  pyb::register_exception<parquet::ParquetError>(m, "ParquetError", PyExc_ValueError);
  pyb::register_exception<parquet::NotSupported>(m, "ParquetNotSupported", PyExc_NotImplementedError);
  pyb::class_<PyParquetFile>(m, "ParquetFile")
      .def(pyb::init<const std::string&, bool>(), pyb::arg("path"), pyb::arg("map_file") = true)
      .def("row_group_rows", &PyParquetFile::row_group_rows)
      .def("column_index", &PyParquetFile::column_index, pyb::arg("name"))
      .def("unsupported", &PyParquetFile::unsupported, pyb::arg("row_groups"), pyb::arg("columns"), pyb::arg("schema"))
      .def("read_row_group", &PyParquetFile::read_row_group, pyb::arg("row_group"), pyb::arg("columns"),
           pyb::arg("schema"), pyb::arg("selection") = pyb::none())
      .def("read_filtered", &PyParquetFile::read_filtered, pyb::arg("row_groups"), pyb::arg("head_columns"),
           pyb::arg("head_schema"), pyb::arg("middle_columns"), pyb::arg("middle_schema"), pyb::arg("tail_columns"),
           pyb::arg("tail_schema"), pyb::arg("head_filter"), pyb::arg("middle_filter"), pyb::arg("keys"),
           pyb::arg("sources"), pyb::arg("max_rows") = int64_t{1} << 62,
           "Each row group's rows passing head_filter over the head columns (None: every row), the (head or "
           "middle column, KeyBitmap) key filters on head columns, middle_filter over the middle columns and "
           "the head columns it reads, and the key filters on middle columns, late-materialized, in one call, "
           "until the rows passed reach max_rows or a row group is not supported (raised if it is the first). "
           "Returns per row group read (a batch whose columns are `sources`' (0: head, 1: middle, 2: tail; "
           "index) columns, or None if no row passed; [(checked, kept)] per key filter; (the row group's rows, "
           "the rows head_filter passed or -1)).");
}

}  // namespace headrace::py

// Arrow data crossing the Python boundary through the PyCapsule protocol
// (__arrow_c_array__ / __arrow_c_stream__): imported from pyarrow, Polars, DuckDB or any
// other producer, exported back to any consumer; only the C structs are created.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <vector>

#include "arrow/array_data.h"

namespace headrace::py {

namespace pyb = pybind11;

class PyArrowArray {
 public:
  PyArrowArray(arrow::Field field, std::shared_ptr<const arrow::ArrayData> data)
      : field_(std::move(field)), data_(std::move(data)) {}

  // Imports obj.__arrow_c_array__(); checks the type and the buffers.
  static PyArrowArray from_object(const pyb::handle& obj);
  // The PyCapsule protocol: (schema capsule, array capsule); the requested schema is ignored.
  pyb::tuple arrow_c_array(const pyb::object& requested_schema) const;

  const arrow::Field& field() const noexcept { return field_; }
  const std::shared_ptr<const arrow::ArrayData>& data() const noexcept { return data_; }

 private:
  arrow::Field field_;
  std::shared_ptr<const arrow::ArrayData> data_;
};

// The schema of obj.__arrow_c_schema__() (a struct field for a pyarrow Schema).
arrow::Field parse_schema_object(const pyb::handle& obj);

// A struct child as the record batch sees it: the batch's own offset and length applied.
std::shared_ptr<const arrow::ArrayData> batch_column(const arrow::ArrayData& batch,
                                                     std::shared_ptr<const arrow::ArrayData> child);
// Every column of an imported record batch (a struct array), as batch_column gives them.
std::vector<std::shared_ptr<const arrow::ArrayData>> batch_columns(const PyArrowArray& batch);

// Reads every array of obj.__arrow_c_stream__() (record batches for a table).
std::vector<PyArrowArray> read_arrow_stream(const pyb::handle& obj);

void bind_arrow(pyb::module_& m);

}  // namespace headrace::py

// headrace._core's kernel entry points (hash_columns, hash_partition, RowFilter, KeyBitmap):
// glue only; the kernels live in cpp/kernels. The two classes are declared here because the
// Parquet binding takes them too (a scan's fused filtered read, py_parquet.cpp).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/decimal_arithmetic.h"

#include "kernels/key_bitmap.h"
#include "kernels/row_filter.h"

namespace headrace::py {

// kernels::RowFilter over imported record batches; select() returns the passing rows as a
// numpy int32 array.
class PyRowFilter {
 public:
  explicit PyRowFilter(const pybind11::list& terms);
  pybind11::array_t<int32_t> select(const pybind11::handle& batch) const;
  const kernels::RowFilter& filter() const noexcept { return filter_; }

 private:
  kernels::RowFilter filter_;
};

// kernels::KeyBitmap: build workers add() key arrays, probe workers select() the rows of a
// key array whose key is a build key.
class PyKeyBitmap {
 public:
  using Rows = pybind11::array_t<int32_t, pybind11::array::c_style | pybind11::array::forcecast>;
  void add(const pybind11::handle& keys);
  bool finish();
  pybind11::array_t<int32_t> select(const pybind11::handle& keys_array, const std::optional<Rows>& rows) const;
  const kernels::KeyBitmap& bitmap() const noexcept { return bitmap_; }

 private:
  kernels::KeyBitmap bitmap_;
};

// A decimal program's steps from Python, in postfix order: an int pushes that operand, an
// (op, left_factor, right_factor) tuple applies op ('+', '-' or '*').
std::vector<kernels::DecimalStep> decimal_steps(const pybind11::list& steps);

void bind_kernels(pybind11::module_& m);

}  // namespace headrace::py

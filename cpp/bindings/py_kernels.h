// headrace._core's kernel entry points (hash_columns, hash_partition, RowFilter): glue only; the
// kernels live in cpp/kernels.
#pragma once

#include <pybind11/pybind11.h>

namespace headrace::py {

void bind_kernels(pybind11::module_& m);

}  // namespace headrace::py

// headrace._core.ParquetFile: the native Parquet reader (cpp/parquet) for the scan.
#pragma once

#include <pybind11/pybind11.h>

namespace headrace::py {

void bind_parquet(pybind11::module_& m);

}  // namespace headrace::py

// headrace._core.build_info() and hardware_concurrency(): how this module was built (from
// compiler macros and from definitions CMakeLists.txt sets) and what the machine offers.
#pragma once

#include <pybind11/pybind11.h>

namespace headrace::py {

void bind_build_info(pybind11::module_& m);

}  // namespace headrace::py

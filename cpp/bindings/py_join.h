// headrace._core's hash join (JoinPlan, JoinBuild, JoinTable, JoinProber, JoinScan): glue
// only; the kernel lives in cpp/kernels/join.h.
#pragma once

#include <pybind11/pybind11.h>

namespace headrace::py {

void bind_join(pybind11::module_& m);

}  // namespace headrace::py

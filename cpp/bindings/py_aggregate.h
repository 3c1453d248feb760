// headrace._core's hash aggregation (AggregatePlan, AggregateState, AggregateResult): glue
// only; the kernel lives in cpp/kernels/aggregate.h.
#pragma once

#include <pybind11/pybind11.h>

namespace headrace::py {

void bind_aggregate(pybind11::module_& m);

}  // namespace headrace::py

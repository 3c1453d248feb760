// Dictionary-encoded columns decoded into plain ones, so that the aggregation groups and
// aggregates by value (two dictionaries may encode the same value differently, batch to
// batch). A row is null if its index is null or its dictionary value is.
#pragma once

#include <memory>

#include "arrow/array_data.h"

namespace headrace::kernels {

// The type a decoded column has: the dictionary's value type, named like the column. String
// views decode to large_utf8.
arrow::Field decoded_field(const arrow::Field& field);

// `data` itself if `field` is not dictionary-encoded, else the decoded values in new
// buffers. An index out of range is an ArrowError naming the column.
std::shared_ptr<const arrow::ArrayData> decode_dictionary(std::shared_ptr<const arrow::ArrayData> data,
                                                          const arrow::Field& field);

}  // namespace headrace::kernels

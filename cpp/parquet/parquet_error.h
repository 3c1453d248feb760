// The one exception type of the Parquet reader: corrupt, truncated or unsupported input.
#pragma once

#include <stdexcept>

namespace headrace::parquet {

struct ParquetError : std::runtime_error {
  using runtime_error::runtime_error;
};

}  // namespace headrace::parquet

// Decodes one Parquet column chunk of a flat (non-nested) column into one Arrow array.
//
// Supported: data pages v1 and v2, uncompressed or Snappy; PLAIN and dictionary
// (PLAIN_DICTIONARY / RLE_DICTIONARY) values; RLE definition levels (nullable columns).
// Physical -> Arrow: BOOLEAN -> bool; INT32 -> int8/16/32, uint8/16/32, date32, decimal128;
// INT64 -> int64, uint64, timestamp (same unit), decimal128; FLOAT/DOUBLE -> float32/64;
// FIXED_LEN_BYTE_ARRAY -> decimal128 (big-endian two's complement, up to 16 bytes);
// BYTE_ARRAY -> utf8, large_utf8, or dictionary<int32, utf8|large_utf8> when every data page
// of the chunk is dictionary-encoded. Anything else is `NotSupported`: the caller reads that
// column chunk another way (pyarrow); a corrupt file is a ParquetError.
//
// A selection (ascending row numbers within the row group) decodes only those rows into the
// array: late materialization, for the columns a filter did not need. Pages are still
// decompressed whole; values are converted only for the selected rows.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "arrow/array_data.h"
#include "arrow/data_type.h"
#include "parquet/metadata.h"
#include "parquet/parquet_error.h"

namespace headrace::parquet {

// The native reader does not decode this column chunk; not an error in the file.
struct NotSupported : ParquetError {
  using ParquetError::ParquetError;
};

// A top-level column that is a leaf: its schema element and its highest definition level
// (0 if required, 1 if optional).
struct LeafColumn {
  const SchemaElement* element = nullptr;
  int max_definition_level = 0;
};

// Why `chunk` of `leaf` cannot be decoded into `field` (checked from the metadata only), or
// "" if it can.
std::string unsupported_reason(const LeafColumn& leaf, const ColumnChunkMeta& chunk, const arrow::Field& field);

// Decodes a column chunk whose bytes, from its first page to its end, are `bytes`. The array
// has `num_rows` rows, or one per entry of `selection` if it is not null.
std::shared_ptr<const arrow::ArrayData> decode_column_chunk(std::span<const uint8_t> bytes, const ColumnChunkMeta& chunk,
                                                            const LeafColumn& leaf, const arrow::Field& field,
                                                            int64_t num_rows, const std::vector<int32_t>* selection);

}  // namespace headrace::parquet

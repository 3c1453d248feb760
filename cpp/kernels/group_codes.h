// Grouping by dictionary codes. When every key column of a batch is dictionary-encoded
// (a Parquet string column read as a dictionary, say), a row's key is fixed by its indices
// alone: the combined code (each column's index, a null index counting as one more value,
// read as digits of a mixed-radix number) names its key within the batch. The aggregation
// then resolves one row per distinct code through the hash table and hands every other row
// its code's group by direct indexing, never decoding, hashing or comparing the keys of
// most rows (DuckDB's "perfect hash" aggregation, here per batch, since each batch may
// carry its own dictionaries).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "arrow/array_data.h"

namespace headrace::kernels {

// How many combined codes the key columns can take: the product of (dictionary length + 1)
// over the columns, or 0 if a column is not dictionary-encoded or the product exceeds `limit`.
uint64_t dictionary_code_domain(std::span<const arrow::ArrayData* const> columns,
                                std::span<const arrow::Field* const> fields, uint64_t limit);

// Folds one key column into the rows' combined codes: codes[i] = codes[i] * radix + index
// (the first column: codes[i] = index), a null index being radix - 1, where radix is the
// dictionary's length + 1. An index out of range is an ArrowError naming the column.
void add_dictionary_codes(const arrow::ArrayData& data, const arrow::Field& field, bool first, uint32_t* codes);

// Rows `rows` of a dictionary-encoded column, with the same index type and dictionary.
std::shared_ptr<const arrow::ArrayData> take_dictionary_rows(const arrow::ArrayData& data, const arrow::Field& field,
                                                             std::span<const uint32_t> rows);

}  // namespace headrace::kernels

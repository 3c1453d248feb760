// The key columns of one join batch (either side) in the form the join table compares:
// dictionaries decoded, one 64-bit hash per row (hash_column, so an int32 key hashes like
// an int64 one and a utf8 like a large_utf8), values normalized (group_keys.h), and which
// rows can never match (a null key without nulls_equal; uint64 values above INT64_MAX
// against a signed key).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/group_keys.h"
#include "kernels/join_plan.h"

namespace headrace::kernels {

struct JoinKeyBatch {
  std::vector<std::shared_ptr<const arrow::ArrayData>> decoded;  // keeps string keys alive
  std::vector<KeyValues> keys;                                    // one per key pair
  std::vector<uint64_t> hashes;
  std::vector<uint8_t> never;  // 1: the row cannot match; empty: every row can
};

// Fills `out` from a batch of `length` rows of one side (`columns` as the side's fields).
void prepare_join_keys(const JoinPlan& plan, bool build_side,
                       std::span<const std::shared_ptr<const arrow::ArrayData>> columns, int64_t length,
                       JoinKeyBatch& out);

// Checks a batch of one side: one column per field, each `length` rows, valid layouts.
void check_join_batch(const JoinPlan& plan, bool build_side,
                      std::span<const std::shared_ptr<const arrow::ArrayData>> columns, int64_t length);

}  // namespace headrace::kernels

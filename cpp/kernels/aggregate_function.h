// The aggregate functions of the hash aggregation: names, the types each one takes and
// gives, and the accumulator interface. An accumulator holds one aggregate's state for
// every group of one state (dense arrays indexed by group id) and works a batch at a time:
// one loop over the batch's group-id vector per aggregate, no virtual call per row.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "arrow/array_data.h"

namespace headrace::kernels {

enum class AggregateKind {
  kCount, kCountAll, kSum, kMean, kMin, kMax, kFirst, kLast, kVar, kStd, kCountDistinct, kAny, kAll,
};

// "count", "count_all", "sum", "mean", "min", "max", "first", "last", "var", "std",
// "count_distinct", "any", "all". Throws ArrowError naming `column` and listing the names.
AggregateKind parse_aggregate(std::string_view name, const std::string& column);
const char* aggregate_name(AggregateKind kind) noexcept;

// The result column of `kind` over `input` (the decoded column; nullptr for count_all),
// named `output_name`. Throws ArrowError naming the column, its type and the aggregate, and
// what the aggregate takes, if `input` does not fit.
arrow::Field aggregate_output_field(AggregateKind kind, const arrow::Field* input, const std::string& output_name);

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  // Grows to `groups` groups; new groups start empty.
  virtual void resize(std::size_t groups) = 0;
  // Adds rows 0..n-1 of `column` (nullptr for count_all) to groups[i]. Row i is the
  // (ordinal_base + i)-th row of the input: first and last keep the smallest / largest.
  virtual void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
                      uint64_t ordinal_base) = 0;
  // Folds group source_groups[k] of `source` (an accumulator of the same aggregate and
  // type) into group groups[k] of this one.
  virtual void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
                     std::span<const uint32_t> groups) = 0;
  // The result column of groups 0..groups-1.
  virtual std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) = 0;
};

// An empty accumulator (no groups) for `kind` over `input` (decoded; nullptr for
// count_all) whose result is `output` (from aggregate_output_field).
std::unique_ptr<Accumulator> make_accumulator(AggregateKind kind, const arrow::Field* input,
                                              const arrow::Field& output);

}  // namespace headrace::kernels

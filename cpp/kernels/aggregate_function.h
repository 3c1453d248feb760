// The aggregate functions of the hash aggregation: names, the types each one takes and
// gives, and the accumulator interface. An accumulator is one aggregate's logic; its
// per-group state lives in the row-major group states (group_states.h): every fixed-size
// state of one group in one row, so that a row's updates share its cache lines. It works a
// chunk at a time: one loop over the chunk's group-id vector per aggregate, no virtual call
// per row. Variable-size state (strings, distinct sets) stays in the accumulator's own
// storage, indexed by group id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// One accumulator's states in the group rows: group g's at base + g * stride (base is the
// first row plus the accumulator's offset in a row).
struct StateRows {
  std::byte* base = nullptr;
  std::size_t stride = 0;
  std::byte* operator[](std::size_t g) const noexcept { return base + g * stride; }
};

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  // Bytes and alignment (a power of two, at most 16) of one group's state in a row; 0 bytes
  // for an accumulator that keeps all its state on its own.
  virtual std::size_t state_size() const noexcept = 0;
  virtual std::size_t state_align() const noexcept = 0;
  // Groups [from, to) were added: their states start empty.
  virtual void add_groups(StateRows rows, std::size_t from, std::size_t to) = 0;
  // Adds rows 0..n-1 of `column` (nullptr for count_all) to groups[i]. Row i is the
  // (ordinal_base + i)-th row of the input: first and last keep the smallest / largest.
  virtual void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
                      uint64_t ordinal_base) = 0;
  // Folds group source_groups[k] of `source` (an accumulator of the same aggregate and
  // type, its states in `source_rows`) into group groups[k] of this one.
  virtual void merge(StateRows rows, const Accumulator& source, StateRows source_rows,
                     std::span<const uint32_t> source_groups, std::span<const uint32_t> groups) = 0;
  // Whether update() may add a group's rows into several partial states (rows of their
  // own, see GroupStates::update) that merge() folds into the group's state afterwards, with
  // the same result: the whole state lives in the row and merging is exact (a float sum's
  // would change with the order of its additions).
  virtual bool splittable() const noexcept { return false; }
  // How many result columns: 1, or one per aggregate of a fused summary.
  virtual std::size_t results() const noexcept { return 1; }
  // Result column `result` (< results()) of groups 0..groups-1.
  virtual std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t result) = 0;
};

// Whether `kind` over `input` can be computed by a fused summary: count, sum, mean, min and
// max of a float column; count, sum and mean of a decimal128 column.
bool summarizable(AggregateKind kind, const arrow::Field& input) noexcept;
// One accumulator for several summarizable aggregates of the same column: a single state
// (sum, count, min, max) and a single loop per chunk; result r is kinds[r]'s.
std::unique_ptr<Accumulator> make_summary(std::vector<AggregateKind> kinds, const arrow::Field& input);

// An empty accumulator (no groups) for `kind` over `input` (decoded; nullptr for
// count_all) whose result is `output` (from aggregate_output_field).
std::unique_ptr<Accumulator> make_accumulator(AggregateKind kind, const arrow::Field* input,
                                              const arrow::Field& output);

}  // namespace headrace::kernels

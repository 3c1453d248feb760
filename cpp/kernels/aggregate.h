// Partitioned hash aggregation: GROUP BY keys with count, count_all, sum, mean, min, max,
// first, last, var, std, count_distinct, any and all, in three phases as DuckDB splits a
// pipeline breaker:
//
//   sink      each worker owns an AggregateLocalState and feeds it its batches;
//   combine   the local states are handed to one AggregateGlobalState;
//   merge     merge_partition(p) folds radix partition p of every local state into the
//             global partition p: threads may merge different partitions at once, no lock;
//   finalize  each partition yields its result columns (keys first, then aggregates).
//
// Design, compared with DuckDB's radix-partitioned aggregation and Polars' group-by:
// - A batch is processed column at a time, in chunks of 4K rows that stay in cache: the
//   key columns are hashed (hash_column, vectorized) and normalized into 64-bit words or
//   strings, one pass finds or inserts the group of every row (a group-id vector, as
//   Polars' group-by builds), then every accumulator runs one tight loop over that vector.
//   No virtual call or allocation per row.
// - The table is open addressing with linear probing (hash_index.h): 8-byte slots of a
//   32-bit hash tag and the group id, so a probe rarely compares keys of another group.
//   Keys are stored columnar per group (strings in an arena), and a single fixed-width key
//   column is compared directly as a word (the common case: integer, date, timestamp keys).
// - Group state is row-major, as DuckDB lays it out (group_states.h): every fixed-size
//   accumulator state of a group in one row of one buffer, so that the accumulators of a
//   chunk share its rows' cache lines (the first loop brings them in for the others) and,
//   with many groups, a prefetch pass over the group ids overlaps the rows' misses.
//   Variable-size state (strings, distinct sets)
//   stays in its accumulator's own arrays. Several of count, sum, mean, min and max of one
//   float column are one fused accumulator (accumulate_summary.cpp): a 32-byte state and
//   one loop for all of them, so the common "describe a column" query costs one cache line
//   per row for two columns.
// - Keys that are all dictionary-encoded with few combined codes skip the hashing per row:
//   one row per code finds its group, the others index a code table (group_codes.h).
// - Decimal columns computed only to be aggregated (sum(price * (1 - discount))) can be
//   derived by the aggregation itself, per chunk (DerivedColumn below).
// - As in DuckDB, a local state is radix-partitioned: bits 16-19 of the hash pick one of
//   16 partitions, each with its own index that grows by doubling independently (the slot
//   index skips those bits; bits 32-63 are the exchange partitioner's, see partition.h).
//   Unlike DuckDB, group ids are dense over the whole local state, so a group's row is
//   found by its id alone and the update loops have no partition indirection; each
//   partition keeps the list of its groups, which is what merging needs. The global state
//   keeps each partition separately (its own table and rows), so merged partitions are
//   independent and cache-sized tables stay small.
// - Partial aggregates are mergeable: sums and counts add (integer sums checked for
//   overflow), mean is a double sum and a count, var/std merge Welford's moments with Chan's
//   formula, first/last carry the row's 64-bit ordinal, count_distinct keeps an exact
//   (group, value) set.
// - Unlike DuckDB, the number of radix partitions is fixed (16), and nothing spills to disk.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/aggregate_function.h"
#include "kernels/decimal_arithmetic.h"
#include "kernels/group_states.h"
#include "kernels/group_table.h"

namespace headrace::kernels {

struct AggregateSpec {
  std::string function;  // "sum", "count", ...; "count" of column -1 is count_all
  int column = -1;       // index of the input column; -1 for count_all (no column)
  std::string name;      // the result column's name
};

// A decimal128 column the aggregation computes itself from its input, a chunk at a time,
// by a decimal program (decimal_arithmetic.h): `sum(price * (1 - discount))` then never
// writes the product's column of the whole batch and reads it back, only a chunk of it
// that stays in cache. Operand k of the program is input column columns[k] (a decimal128
// column given, or an earlier derived one), or the unscaled constant constants[k] where
// columns[k] is -1.
struct DerivedColumn {
  arrow::Field field;
  std::vector<DecimalStep> steps;
  std::vector<int> columns;
  std::vector<int64_t> constants;
};

// What to compute, validated once: the input columns, which are keys, and the aggregates.
class AggregatePlan {
 public:
  // `derived` columns follow the `input` columns (aggregates may read them, keys may not).
  // Throws ArrowError for a key that cannot be hashed, an unknown aggregate, an aggregate
  // that cannot take its column (naming the column, its type, the aggregate and what it
  // takes), or a derived column that is not decimal128 or reads one that is not;
  // std::out_of_range for a column index outside the input; std::invalid_argument for a
  // malformed program.
  AggregatePlan(std::vector<arrow::Field> input, std::vector<int> keys, std::vector<AggregateSpec> aggregates,
                std::vector<DerivedColumn> derived = {});

  // The columns given, then the derived ones.
  const std::vector<arrow::Field>& input_fields() const noexcept { return input_; }
  // How many of input_fields() a batch gives when the derived columns are computed.
  std::size_t given_columns() const noexcept { return input_.size() - derived_.size(); }
  // The result columns: the keys (dictionaries decoded, string views as large_utf8), then
  // one per aggregate.
  const std::vector<arrow::Field>& output_fields() const noexcept { return output_; }
  // Radix partitions of the states: 16, or 1 without keys.
  uint32_t partitions() const noexcept { return keys_.empty() ? 1 : kRadixPartitions; }

 private:
  friend class AggregateLocalState;
  friend class AggregateGlobalState;

  struct Aggregate {
    AggregateKind kind;
    int column;
  };
  // What one accumulator computes: aggregates (indices into aggregates_) of one column (-1
  // for count_all); several only for a fused summary of a float column.
  struct Unit {
    int column;
    std::vector<std::size_t> aggregates;
  };

  GroupTable make_table(uint32_t partitions) const;
  GroupStates make_states() const;

  std::vector<arrow::Field> input_;
  std::vector<arrow::Field> decoded_;  // the input columns' types once dictionaries are decoded
  std::vector<DerivedColumn> derived_;  // input columns given_columns() and on
  std::vector<int> keys_;
  std::vector<Aggregate> aggregates_;
  std::vector<Unit> units_;  // one per accumulator of a state
  std::vector<arrow::Field> output_;
};

// One worker's partial aggregation. Not thread-safe: one thread sinks at a time.
class AggregateLocalState {
 public:
  explicit AggregateLocalState(std::shared_ptr<const AggregatePlan> plan);

  // Adds a batch of `length` rows: one array of that length per input field of the plan
  // (the length is given because a plan may read no column, e.g. only count_all), or only
  // the given_columns() when the derived ones are to be computed. Row i is the input's row
  // `ordinal_base + i` for first/last (e.g. batch sequence << 32). Returns the rows added:
  // `length`, or fewer where a derived column's program could not run (a value beyond 64
  // bits), the rows from there on not added; the caller adds them with every column given.
  // Throws ArrowError for a malformed batch or an integer sum overflow.
  int64_t sink(std::span<const std::shared_ptr<const arrow::ArrayData>> columns, int64_t length,
               uint64_t ordinal_base);

  std::size_t groups() const noexcept { return table_.size(); }

 private:
  friend class AggregateGlobalState;

  // One chunk: the key columns as given (`original`, hashed) and every column read with
  // dictionaries decoded (`decoded`), sliced to the chunk's rows.
  void sink_chunk(std::span<const arrow::ArrayData> original, std::span<const arrow::ArrayData> decoded,
                  std::size_t n, uint64_t ordinal_base);
  // When every key column is dictionary-encoded with few enough combined codes
  // (group_codes.h): every row's group into groups_, inserting new groups; else false.
  bool group_by_codes(std::span<const std::shared_ptr<const arrow::ArrayData>> columns, int64_t length);
  // The derived columns of one chunk (`chunk`: every column, the derived ones set here, in
  // derived_values_); false if a program could not run.
  bool derive(std::vector<arrow::ArrayData>& chunk, int64_t rows);
  // Rows 0..n-1 of the chunk's columns into groups[i], every accumulator.
  void update_states(std::span<const arrow::ArrayData> decoded, const uint32_t* groups, std::size_t n,
                     uint64_t ordinal_base);

  std::shared_ptr<const AggregatePlan> plan_;
  GroupTable table_;
  GroupStates states_;
  // Scratch of one chunk.
  std::vector<const arrow::ArrayData*> columns_;  // each accumulator's input column
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> groups_;
  std::vector<KeyValues> keys_;
  // Each derived column's values (16 bytes a row) and validity bitmap for one chunk.
  std::vector<std::vector<uint8_t>> derived_values_;
  std::vector<std::vector<uint8_t>> derived_validity_;
  // Scratch of group_by_codes: each row's combined code, each code's group, the first row
  // of each code present.
  std::vector<uint32_t> codes_;
  std::vector<uint32_t> code_groups_;
  std::vector<uint32_t> firsts_;
};

// The merged aggregation.
class AggregateGlobalState {
 public:
  explicit AggregateGlobalState(std::shared_ptr<const AggregatePlan> plan);

  // Takes a worker's local state after its last sink. Thread-safe; every combine must
  // come before the first merge_partition.
  void combine(std::unique_ptr<AggregateLocalState> local);

  uint32_t partitions() const noexcept { return plan_->partitions(); }
  // Merges partition p (< partitions()) of every combined local state, once: later calls
  // do nothing. Different threads may merge different partitions at the same time.
  void merge_partition(uint32_t p);
  // The result columns of partition p (merging it first if needed): the plan's
  // output_fields(), one row per group of the partition.
  std::vector<std::shared_ptr<const arrow::ArrayData>> finalize_partition(uint32_t p);
  // Every partition's result (merging those not merged yet), one set of columns per
  // partition that has groups (at least one set), then frees the local states.
  std::vector<std::vector<std::shared_ptr<const arrow::ArrayData>>> finalize();

 private:
  struct Partition {
    GroupTable table;
    GroupStates states;
    bool merged = false;
  };

  std::shared_ptr<const AggregatePlan> plan_;
  std::mutex combine_mutex_;
  std::vector<std::unique_ptr<AggregateLocalState>> locals_;
  std::vector<Partition> partitions_;
};

}  // namespace headrace::kernels

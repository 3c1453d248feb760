// The probe side of a hash join: a JoinProber per worker finds every probe row's chain in
// the finished table (vectorized: hash and normalize the whole batch, then one find pass
// with prefetching), then emits the output in batches of at most max_rows rows, keeping
// its position between next() calls (a key with a million matches yields many batches).
// JoinBuildScanner emits the build rows matched / never matched once probing has ended.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/join_build.h"
#include "kernels/join_keys.h"

namespace headrace::kernels {

// One output batch: plan.output_fields() columns of `length` rows.
struct JoinBatch {
  int64_t length = 0;
  std::vector<std::shared_ptr<const arrow::ArrayData>> columns;
};

class JoinProber {
 public:
  // `table` must be finalized (every partition), else std::logic_error. max_rows >= 1.
  JoinProber(std::shared_ptr<const JoinHashTable> table, int64_t max_rows);

  // Starts a probe batch of `length` rows (one array per probe field of the plan); the
  // previous batch's remaining output is dropped. Throws ArrowError for a malformed batch.
  void probe(std::span<const std::shared_ptr<const arrow::ArrayData>> columns, int64_t length);
  // The next output batch of the current probe batch (1..max_rows rows) into `out`; false
  // when the probe batch has no output left (`out` is then untouched).
  bool next(JoinBatch& out);

 private:
  // One fixed-width key in a direct-indexed table, one in a hash table, one string key,
  // any other keys.
  enum class KeyKind { kDense, kWord, kString, kOther };
  template <KeyKind kKind, bool kPrefetch>
  void find_chains();
  void gather(JoinBatch& out, std::size_t rows);

  std::shared_ptr<const JoinHashTable> table_;
  const JoinPlan& plan_;
  int64_t max_rows_;
  std::vector<arrow::Field> probe_inputs_, build_inputs_;          // decoded fields of the output columns
  std::vector<std::vector<const arrow::ArrayData*>> build_columns_;  // per build output column: per partition

  // The current probe batch.
  std::vector<std::shared_ptr<const arrow::ArrayData>> columns_;  // output columns, decoded
  JoinKeyBatch keys_;
  std::vector<uint64_t> chains_;  // the row's chain: its first build reference (partition, position)
  std::vector<uint32_t> counts_;  // rows in it; 0: no match
  std::size_t length_ = 0;
  std::size_t row_ = 0;     // next probe row to emit
  uint32_t offset_ = 0;     // next position in its chain
  // Scratch of one output batch (grown, never shrunk).
  std::vector<uint64_t> probe_refs_, build_refs_;
};

class JoinBuildScanner {
 public:
  JoinBuildScanner(std::shared_ptr<const JoinHashTable> table, uint32_t p, bool matched, int64_t max_rows);
  // The next batch (1..max_rows rows): null probe columns (outer modes), then the build
  // columns; false when the partition has no more rows.
  bool next(JoinBatch& out);

 private:
  std::shared_ptr<const JoinHashTable> table_;
  int64_t max_rows_;
  std::vector<std::vector<const arrow::ArrayData*>> build_columns_;
  std::vector<uint64_t> refs_;
  std::size_t position_ = 0;
};

}  // namespace headrace::kernels

// The build side of a hash join, split as DuckDB splits a pipeline breaker:
//   sink      each worker owns a JoinBuildLocal and feeds it build batches: the keys are
//             hashed and normalized, the batch's columns kept as given (shared, no copy;
//             dictionary-encoded output columns decoded), and each row's (hash, reference)
//             appended to its radix partition's list;
//   combine   the locals are handed to one JoinHashTable (thread-safe);
//   finalize  finalize_partition(p) builds partition p's table from every local's list for
//             p and copies the build side's output columns into the partition's position
//             order (so a probe gathers a match by position, without first reading which
//             row it was); different threads may finalize different partitions at once, no
//             lock. The last one to finish builds the direct-indexed table when the keys
//             allow it (join_dense.h) and releases what the sunk batches no longer need.
// Probing (join_probe.h) starts once every partition is finalized.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/join_dense.h"
#include "kernels/join_keys.h"
#include "kernels/join_plan.h"
#include "kernels/join_table.h"

namespace headrace::kernels {

class JoinBuildScanner;

// One build batch: its columns are kept until every partition has copied its output
// columns, its keys until then too for a single word key (the slots hold those), else
// until the join ends (the tables of other keys compare with them).
struct JoinBuildBatch {
  std::vector<std::shared_ptr<const arrow::ArrayData>> columns;  // per build field (output columns decoded)
  JoinKeyBatch keys;                                             // hashes dropped after the sink
};

// One worker's part of the build side. Not thread-safe: one thread sinks at a time.
class JoinBuildLocal {
 public:
  explicit JoinBuildLocal(std::shared_ptr<const JoinPlan> plan);

  // Adds a batch of `length` rows: one array per build field of the plan. Throws
  // ArrowError for a malformed batch.
  void sink(std::span<const std::shared_ptr<const arrow::ArrayData>> columns, int64_t length);

  int64_t rows() const noexcept { return rows_; }

 private:
  friend class JoinHashTable;

  struct Partition {
    std::vector<JoinEntry> entries;  // rows that can match
    std::vector<uint64_t> words;     // a word key: each entry's key, read in order when the table is built
    std::vector<uint64_t> nulls;     // null key, nulls_equal, word key: the null chain
    std::vector<uint64_t> never;     // rows that can never match
  };

  std::shared_ptr<const JoinPlan> plan_;
  std::vector<JoinBuildBatch> batches_;
  std::vector<Partition> partitions_;
  int64_t rows_ = 0;
  uint32_t batch_base_ = 0;  // set by combine: the table's index of batches_[0]
};

// The build side once combined: kRadixPartitions partitions, each its own table.
class JoinHashTable : public std::enable_shared_from_this<JoinHashTable> {
 public:
  explicit JoinHashTable(std::shared_ptr<const JoinPlan> plan);

  const JoinPlan& plan() const noexcept { return *plan_; }
  const std::shared_ptr<const JoinPlan>& plan_ptr() const noexcept { return plan_; }

  // Takes a worker's local state after its last sink. Thread-safe; every combine must come
  // before the first finalize_partition.
  void combine(std::unique_ptr<JoinBuildLocal> local);

  uint32_t partitions() const noexcept { return kRadixPartitions; }
  // Builds partition p (< partitions()) from every combined local, once (later calls do
  // nothing). Different threads may finalize different partitions at the same time; the
  // table is finalized when every call has returned.
  void finalize_partition(uint32_t p);
  // Finalizes every partition not finalized yet (one thread).
  void finalize();
  bool finalized() const noexcept;

  int64_t build_rows() const noexcept { return rows_; }
  const JoinPartition& partition(uint32_t p) const noexcept { return partitions_[p]; }
  // The direct-indexed table of a single unique dense word key, or nullptr (hash probes).
  const JoinDenseIndex* dense() const noexcept { return dense_ ? &*dense_ : nullptr; }
  // Partition p's build output columns (plan().build_output() order, decoded), one row per
  // position of the partition.
  const std::vector<std::shared_ptr<const arrow::ArrayData>>& build_columns(uint32_t p) const noexcept {
    return columns_[p];
  }

  // After every prober is done (its thread joined): the build rows of partition p that
  // were never matched (kBuildOuter, kFullOuter, kBuildAnti) or were matched (kBuildSemi),
  // in batches of at most max_rows. The table must be owned by a shared_ptr.
  JoinBuildScanner unmatched_build(uint32_t p, int64_t max_rows) const;
  JoinBuildScanner matched_build(uint32_t p, int64_t max_rows) const;

 private:
  static std::span<const KeyValues> keys_of(const void* table, uint64_t ref);

  std::shared_ptr<const JoinPlan> plan_;
  std::mutex combine_mutex_;
  std::vector<std::unique_ptr<JoinBuildLocal>> locals_;
  std::vector<const JoinBuildBatch*> batches_;
  int64_t rows_ = 0;
  std::vector<JoinPartition> partitions_;
  std::vector<std::vector<std::shared_ptr<const arrow::ArrayData>>> columns_;  // per partition
  std::optional<JoinDenseIndex> dense_;
  std::unique_ptr<std::once_flag[]> once_;
  std::atomic<uint32_t> finished_{0};  // partitions built
  std::atomic<bool> ready_{false};     // every partition, the dense index and the release done
};

}  // namespace headrace::kernels

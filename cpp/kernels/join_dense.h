// A direct-indexed table for a join whose build side has one fixed-width key, unique per
// row, over a dense range of values (DuckDB's perfect hash join): entry `word - min` holds
// the key's (partition, position), so a probe costs one read of a 4-byte entry in an
// array about the size of the build side's key column, without hashing or probing slots.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernels/hash_index.h"
#include "kernels/join_table.h"

namespace headrace::kernels {

class JoinDenseIndex {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  // Span of values allowed per build row: 4 (the keys of TPC-H's orders are that sparse).
  static constexpr uint64_t kMaxSpanPerRow = 4;

  // The index of the finalized partitions of a word-key table, if every chain holds one row,
  // the keys (as signed 64-bit values) span at most kMaxSpanPerRow x their count, and every
  // position packs into an entry; nullopt otherwise.
  static std::optional<JoinDenseIndex> build(std::span<const JoinPartition> partitions);

  // The packed (partition, position) of `word`'s row, or kAbsent.
  uint32_t find(uint64_t word) const noexcept {
    const uint64_t d = word - min_;
    return d < entries_.size() ? entries_[d] : kAbsent;
  }
  void prefetch(uint64_t word) const noexcept {
    const uint64_t d = word - min_;
    if (d < entries_.size()) prefetch_address(&entries_[d]);
  }
  static uint32_t partition_of(uint32_t entry) noexcept { return entry & (kRadixPartitions - 1); }
  static uint32_t position_of(uint32_t entry) noexcept { return entry >> kRadixBits; }

 private:
  uint64_t min_ = 0;
  std::vector<uint32_t> entries_;
};

}  // namespace headrace::kernels

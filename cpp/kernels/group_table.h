// The groups of one aggregation state: dense group ids 0..size()-1 with their hashes and
// keys (columnar, strings in the table's arena), found through one HashIndex per radix
// partition (bits 16-19 of the hash, see hash_index.h) or through a single index. Ids are
// dense over the whole table, so that the accumulators are plain arrays indexed by group;
// the radix partitions list their groups, which is what merging partition by partition needs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/group_keys.h"
#include "kernels/hash_index.h"
#include "kernels/string_arena.h"

namespace headrace::kernels {

class GroupTable {
 public:
  // `partitions` is 1 or kRadixPartitions. Without key columns the table has exactly one
  // group (id 0, hash 0) from the start: a global aggregate has a result row even for no input.
  GroupTable(std::vector<KeyLayout> layouts, uint32_t partitions);

  std::size_t size() const noexcept { return hashes_.size(); }

  // The group of every row of a batch (keys normalized, one hash per row) into groups[i].
  void find_or_insert(std::span<const KeyValues> keys, std::span<const uint64_t> hashes, uint32_t* groups);
  // The group here equal to group `g` of `other` (same key layouts), inserted if new.
  uint32_t find_or_insert(const GroupTable& other, uint32_t g);

  std::span<const uint32_t> partition_groups(uint32_t p) const noexcept { return partition_groups_[p]; }
  const std::vector<KeyValues>& keys() const noexcept { return keys_; }

 private:
  template <typename Equal>
  uint32_t probe(uint64_t hash, Equal&& equal);
  void append_group(std::span<const KeyValues> keys, std::size_t row, uint64_t hash, uint32_t partition);
  void find_or_insert_words(const KeyValues& keys, std::span<const uint64_t> hashes, uint32_t* groups);
  template <bool kPrefetch>
  void find_or_insert_words(const KeyValues& keys, std::span<const uint64_t> hashes, uint32_t* groups);
  void choose_direct_window(const KeyValues& keys);
  const HashIndex& index_of(uint64_t hash) const noexcept { return indexes_[radix_partition(hash) & partition_mask_]; }

  uint32_t partition_mask_;
  std::vector<HashIndex> indexes_;
  std::vector<std::vector<uint32_t>> partition_groups_;
  std::vector<uint64_t> hashes_;
  std::vector<KeyValues> keys_;
  StringArena arena_;
  // With one fixed-width key column: the null key's group, so that the word comparison of
  // the fast path needs no null flag (kNoId: no null key yet).
  uint32_t null_group_ = HashIndex::kNoId;
  // Also with one fixed-width key: the group of key direct_base_ + i is direct_[i] (kNoId:
  // none yet); empty when the keys are too spread for a direct window.
  uint64_t direct_base_ = 0;
  std::vector<uint32_t> direct_;
};

}  // namespace headrace::kernels

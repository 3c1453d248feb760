#include "kernels/group_table.h"

#include <algorithm>
#include <limits>

#include "arrow/data_type.h"

namespace headrace::kernels {

GroupTable::GroupTable(std::vector<KeyLayout> layouts, uint32_t partitions)
    : partition_mask_(partitions - 1), indexes_(partitions), partition_groups_(partitions) {
  for (KeyLayout layout : layouts) keys_.push_back(KeyValues{layout, {}, {}, {}});
  if (keys_.empty()) {
    hashes_.push_back(0);
    partition_groups_[0].push_back(0);
  }
}

template <typename Equal>
uint32_t GroupTable::probe(uint64_t hash, Equal&& equal) {
  const uint32_t partition = radix_partition(hash) & partition_mask_;
  const auto next = static_cast<uint32_t>(hashes_.size());
  if (next == std::numeric_limits<uint32_t>::max() - 1) {
    throw arrow::ArrowError("aggregation: more than 4 billion groups in one state");
  }
  return indexes_[partition].find_or_insert(hash, next, equal, [this](uint32_t id) { return hashes_[id]; });
}

void GroupTable::append_group(std::span<const KeyValues> keys, std::size_t row, uint64_t hash, uint32_t partition) {
  const auto id = static_cast<uint32_t>(hashes_.size());
  hashes_.push_back(hash);
  partition_groups_[partition].push_back(id);
  for (std::size_t c = 0; c < keys.size(); ++c) append_key(keys[c], row, keys_[c], arena_);
  if (keys_.size() == 1 && keys_[0].layout == KeyLayout::kWord && keys[0].is_null(row)) null_group_ = id;
}

// One fixed-width key column, the common case: keys compare as words. With many groups the
// probes miss the cache, so each row's first slot is prefetched kSlotAhead rows before it
// is probed and the key it holds kKeyAhead rows before (DuckDB and Velox batch their probes
// for the same reason); a table that fits in cache skips that work.
void GroupTable::find_or_insert_words(const KeyValues& keys, std::span<const uint64_t> hashes, uint32_t* groups) {
  constexpr std::size_t kPrefetchGroups = std::size_t{1} << 15;
  if (hashes_.empty() && direct_.empty()) choose_direct_window(keys);
  if (hashes_.size() >= kPrefetchGroups) {
    find_or_insert_words<true>(keys, hashes, groups);
  } else {
    find_or_insert_words<false>(keys, hashes, groups);
  }
}

// DuckDB's "perfect hash" aggregation, decided on the first chunk a table sees: when its
// keys (as signed words) span fewer than kDirectWindow values, the groups of keys in a
// window from their minimum are found by direct indexing, keys outside it by the index.
void GroupTable::choose_direct_window(const KeyValues& keys) {
  constexpr uint64_t kDirectWindow = uint64_t{1} << 16;
  const std::size_t n = keys.words.size();
  int64_t low = std::numeric_limits<int64_t>::max(), high = std::numeric_limits<int64_t>::min();
  for (std::size_t i = 0; i < n; ++i) {
    if (keys.is_null(i)) continue;
    const auto word = static_cast<int64_t>(keys.words[i]);
    low = std::min(low, word);
    high = std::max(high, word);
  }
  if (low > high || static_cast<uint64_t>(high) - static_cast<uint64_t>(low) >= kDirectWindow) return;
  direct_base_ = static_cast<uint64_t>(low);
  direct_.assign(kDirectWindow, HashIndex::kNoId);
}

template <bool kPrefetch>
void GroupTable::find_or_insert_words(const KeyValues& keys, std::span<const uint64_t> hashes, uint32_t* groups) {
  constexpr std::size_t kSlotAhead = 16, kKeyAhead = 8;
  const std::size_t n = hashes.size();
  const uint64_t* in = keys.words.data();
  const KeyValues& stored = keys_[0];
  const std::span<const KeyValues> batch_keys(&keys, 1);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (kPrefetch) {
      if (i + kSlotAhead < n) index_of(hashes[i + kSlotAhead]).prefetch(hashes[i + kSlotAhead]);
      if (i + kKeyAhead < n) {
        const uint32_t likely = index_of(hashes[i + kKeyAhead]).peek(hashes[i + kKeyAhead]);
        if (likely != HashIndex::kNoId) prefetch_address(&stored.words[likely]);
      }
    }
    if (keys.is_null(i)) {
      if (null_group_ == HashIndex::kNoId) {
        append_group(batch_keys, i, hashes[i], radix_partition(hashes[i]) & partition_mask_);
        // The null group is never looked up through the index, only through null_group_.
      }
      groups[i] = null_group_;
      continue;
    }
    const uint64_t word = in[i];
    if (const uint64_t offset = word - direct_base_; offset < direct_.size()) {
      uint32_t& g = direct_[offset];
      if (g == HashIndex::kNoId) {  // new, and never looked up through the index
        g = static_cast<uint32_t>(hashes_.size());
        append_group(batch_keys, i, hashes[i], radix_partition(hashes[i]) & partition_mask_);
      }
      groups[i] = g;
      continue;
    }
    const uint32_t null_group = null_group_;
    const uint32_t g = probe(hashes[i], [&](uint32_t id) { return stored.words[id] == word && id != null_group; });
    if (g == hashes_.size()) append_group(batch_keys, i, hashes[i], radix_partition(hashes[i]) & partition_mask_);
    groups[i] = g;
  }
}

void GroupTable::find_or_insert(std::span<const KeyValues> keys, std::span<const uint64_t> hashes, uint32_t* groups) {
  const std::size_t n = hashes.size();
  if (keys_.empty()) {
    std::fill(groups, groups + n, 0u);
    return;
  }
  if (keys_.size() == 1 && keys_[0].layout == KeyLayout::kWord) {
    find_or_insert_words(keys[0], hashes, groups);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const uint32_t g = probe(hashes[i], [&](uint32_t id) { return keys_equal(keys_, id, keys, i); });
    if (g == hashes_.size()) append_group(keys, i, hashes[i], radix_partition(hashes[i]) & partition_mask_);
    groups[i] = g;
  }
}

uint32_t GroupTable::find_or_insert(const GroupTable& other, uint32_t g) {
  if (keys_.empty()) return 0;
  const uint64_t hash = other.hashes_[g];
  const uint32_t id = probe(hash, [&](uint32_t mine) { return keys_equal(keys_, mine, other.keys_, g); });
  if (id == hashes_.size()) append_group(other.keys_, g, hash, radix_partition(hash) & partition_mask_);
  return id;
}

}  // namespace headrace::kernels

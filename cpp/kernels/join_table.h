// One radix partition of a join's hash table: the build rows grouped by key (a chain per
// distinct key, contiguous in `rows`), an open-addressing index from key to chain, and the
// matched flag of every chain for outer/semi/anti tracking.
//
// rows layout: [chains of the indexed keys, in slot order][null chain][never-matching rows]
//   - a slot {word, start, count} is a chain rows[start, start + count); count 0 is empty;
//     word is the key itself for a single fixed-width key (compared exactly), else the
//     full 64-bit hash, then the keys are compared with the chain's stored key;
//   - null chain: with nulls_equal and a single fixed-width key, the rows whose key is null
//     (outside the index, so that word comparisons need no null flag);
//   - never-matching rows: a null in some key without nulls_equal (and uint64 values above
//     INT64_MAX against signed keys); they are only ever emitted as unmatched build rows.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/group_keys.h"
#include "kernels/hash_index.h"

namespace headrace::kernels {

struct JoinSlot {
  uint64_t word;   // the key (word keys) or the hash (other keys)
  uint32_t start;  // first position of the chain in rows
  uint32_t count;  // rows in the chain; 0: empty slot
};

// A build row awaiting its partition's finalize: its hash and its reference
// (batch << 32 | row, see join_gather.h).
struct JoinEntry {
  uint64_t hash;
  uint64_t ref;
};

class JoinPartition {
 public:
  // The key columns of a build reference's batch (normalized, one KeyValues per key).
  using KeysOf = std::span<const KeyValues> (*)(const void* context, uint64_t ref);

  // Builds the partition from its entries (matchable rows) and its never-matching rows.
  // `word_key`: one fixed-width key column; `null_refs`: its rows with a null key (only
  // with nulls_equal; otherwise such rows are in `never`).
  void build(std::span<const JoinEntry> entries, std::span<const uint64_t> null_refs,
             std::span<const uint64_t> never, bool word_key, std::span<const KeyLayout> layouts,
             KeysOf keys_of, const void* context);

  // The slot of the chain of `word` (word keys), or nullptr.
  const JoinSlot* find_word(uint64_t hash, uint64_t word) const noexcept {
    for (uint64_t i = slot_bits(hash) & mask_;; i = (i + 1) & mask_) {
      const JoinSlot& slot = slots_[i];
      if (slot.count == 0) return nullptr;
      if (slot.word == word) return &slot;
    }
  }
  // The slot of the chain whose key equals row `row` of `keys` (any key layout), or nullptr.
  const JoinSlot* find(uint64_t hash, std::span<const KeyValues> keys, std::size_t row) const noexcept {
    for (uint64_t i = slot_bits(hash) & mask_;; i = (i + 1) & mask_) {
      const JoinSlot& slot = slots_[i];
      if (slot.count == 0) return nullptr;
      if (slot.word == hash && keys_equal(chain_keys_, slot.start, keys, row)) return &slot;
    }
  }
  void prefetch(uint64_t hash) const noexcept { prefetch_address(&slots_[slot_bits(hash) & mask_]); }
  // For keys other than one word, the two later steps of a probe's prefetch: the stored key
  // of `hash`'s likely chain (its first slot, prefetched some rows before), and then the
  // bytes of a string key (its view loaded by the step before).
  void prefetch_key(uint64_t hash) const noexcept {
    const JoinSlot& slot = slots_[slot_bits(hash) & mask_];
    if (slot.count == 0 || slot.word != hash) return;
    for (const KeyValues& key : chain_keys_) {
      if (key.layout == KeyLayout::kString) {
        prefetch_address(&key.strings[slot.start]);
      } else {
        prefetch_address(&key.words[key.layout == KeyLayout::kWide ? 2 * slot.start : slot.start]);
      }
    }
  }
  void prefetch_key_bytes(uint64_t hash) const noexcept {
    const JoinSlot& slot = slots_[slot_bits(hash) & mask_];
    if (slot.count == 0 || slot.word != hash) return;
    for (const KeyValues& key : chain_keys_) {
      if (key.layout == KeyLayout::kString) prefetch_address(key.strings[slot.start].data());
    }
  }
  // The null chain (count 0 if none).
  const JoinSlot* null_chain() const noexcept { return null_chain_.count == 0 ? nullptr : &null_chain_; }

  const uint64_t* rows() const noexcept { return rows_.data(); }
  std::size_t size() const noexcept { return rows_.size(); }

  // Marks the chain starting at `start` matched (any thread; relaxed: only read after
  // every prober is done, which the caller's join of those threads orders).
  void mark(uint32_t start) const noexcept {
    if (matched_[start].load(std::memory_order_relaxed) == 0) matched_[start].store(1, std::memory_order_relaxed);
  }
  // The build rows of chains matched (or never matched), in chain order.
  std::vector<uint64_t> collect(bool matched) const;

 private:
  uint64_t mask_ = 0;
  std::vector<JoinSlot> slots_{JoinSlot{0, 0, 0}};
  std::vector<uint64_t> rows_;
  std::vector<KeyValues> chain_keys_;  // other keys: each chain's key at its start position
  JoinSlot null_chain_{0, 0, 0};
  std::size_t never_begin_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> matched_;  // one per row position, set at chain starts
};

}  // namespace headrace::kernels

// One radix partition of a join's hash table: the build rows grouped by key (a chain per
// distinct key, contiguous positions), an open-addressing index from key to chain, and the
// matched flag of every chain for outer/semi/anti tracking. build() lays the rows out; the
// table then materializes the build columns in that order (join_build.h), so that a
// probe's match is a position, gathered without a lookup of which row it was.
//
// position layout: [chains of the indexed keys, in slot order][null chain][never-matching rows]
//   - a slot {word, start, count} is the chain of positions [start, start + count); count 0
//     is empty; with a single string key, each slot is stored with its key's InlineString
//     in one 32-byte record (as DuckDB's string_t keeps short strings inline), so a probe
//     loads one line and compares short keys in full, long ones by size and prefix, before
//     it reads the build side's bytes;
//     word is the key itself for a single fixed-width key (compared exactly), else the
//     full 64-bit hash, then the keys are compared with the chain's stored key;
//   - null chain: with nulls_equal and a single fixed-width key, the rows whose key is null
//     (outside the index, so that word comparisons need no null flag);
//   - never-matching rows: a null in some key without nulls_equal (and uint64 values above
//     INT64_MAX against signed keys); they are only ever emitted as unmatched build rows.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
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

// A string key's size and first kInlineBytes bytes, zero-padded, in two words.
struct InlineString {
  static constexpr std::size_t kInlineBytes = 12;
  uint64_t head = 0;  // the size (UINT32_MAX: null; sizes above clamp to UINT32_MAX - 1), then bytes 0-3
  uint64_t tail = 0;  // bytes 4-11

  static InlineString of(const KeyValues& key, std::size_t row) noexcept {
    InlineString out;
    if (key.is_null(row)) {
      out.head = UINT32_MAX;
      return out;
    }
    const std::string_view s = key.strings[row];
    uint32_t head_bytes;
    inline_bytes(s, head_bytes, out.tail);
    out.head = std::min<uint64_t>(s.size(), UINT32_MAX - 1) | (uint64_t{head_bytes} << 32);
    return out;
  }
  // Bytes 0-3 and 4-11 of `s`, zero-padded, read without touching a byte past its end.
  // Little-endian machines load whole words (a probe computes one per row: copying the
  // bytes into a buffer and reading it back stalls on store forwarding).
  static void inline_bytes(std::string_view s, uint32_t& head, uint64_t& tail) noexcept {
    const char* p = s.data();
    const std::size_t n = s.size();
    if constexpr (std::endian::native == std::endian::little) {
      if (n >= 4) {
        head = load<uint32_t>(p);
        if (n >= kInlineBytes) {
          tail = load<uint64_t>(p + 4);
        } else if (n >= 8) {  // bytes 4-7, then 8..n-1 from the last four
          tail = load<uint32_t>(p + 4) | (uint64_t{load<uint32_t>(p + n - 4)} >> (8 * (kInlineBytes - n)) << 32);
        } else {  // bytes 4..n-1 from the last four
          tail = uint64_t{load<uint32_t>(p + n - 4)} >> (8 * (8 - n));
        }
      } else {
        tail = 0;
        head = n == 0 ? 0
                      : uint32_t{static_cast<uint8_t>(p[0])} | uint32_t{static_cast<uint8_t>(p[n / 2])} << (8 * (n / 2)) |
                            uint32_t{static_cast<uint8_t>(p[n - 1])} << (8 * (n - 1));
      }
    } else {
      char bytes[kInlineBytes] = {};
      std::memcpy(bytes, p, std::min(n, kInlineBytes));
      std::memcpy(&head, bytes, 4);
      std::memcpy(&tail, bytes + 4, 8);
    }
  }
  template <typename T>
  static T load(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  // The key is null or fits: equal InlineStrings mean equal keys.
  bool complete() const noexcept { return static_cast<uint32_t>(head) <= kInlineBytes || static_cast<uint32_t>(head) == UINT32_MAX; }
  bool operator==(const InlineString&) const = default;
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

  // Builds the partition from its entries (matchable rows) and its never-matching rows and
  // returns the build reference of every position. `word_key`: one fixed-width key column,
  // whose value for entries[e] is words[e]; `null_refs`: its rows with a null key (only with
  // nulls_equal; otherwise such rows are in `never`).
  std::vector<uint64_t> build(std::span<const JoinEntry> entries, std::span<const uint64_t> words,
             std::span<const uint64_t> null_refs, std::span<const uint64_t> never, bool word_key,
             std::span<const KeyLayout> layouts, KeysOf keys_of, const void* context);

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
  // The slot of the chain of a single string key: `key` is row `row` of `keys`.
  const JoinSlot* find_string(uint64_t hash, const InlineString& key, const KeyValues& keys,
                              std::size_t row) const noexcept {
    for (uint64_t i = slot_bits(hash) & mask_;; i = (i + 1) & mask_) {
      const StringSlot& entry = string_slots_[i];
      if (entry.slot.count == 0) return nullptr;
      if (entry.slot.word == hash && entry.key == key &&
          (key.complete() || chain_keys_[0].strings[entry.slot.start] == keys.strings[row])) {
        return &entry.slot;
      }
    }
  }
  // Loads the slot of `hash` and the one after it: a probe that passes its first slot
  // (about one in three at the table's load) reads the next, which is in the next cache
  // line when the first ends one.
  void prefetch(uint64_t hash) const noexcept {
    const uint64_t i = slot_bits(hash) & mask_;
    if (string_slots_.empty()) {
      prefetch_address(&slots_[i]);
      prefetch_address(&slots_[(i + 1) & mask_]);
    } else {
      prefetch_address(&string_slots_[i]);
      prefetch_address(&string_slots_[(i + 1) & mask_]);
    }
  }
  // For keys other than one word, the two later steps of a probe's prefetch: the stored key
  // of `hash`'s likely chain (its first slot, prefetched some rows before), and then the
  // bytes of a string key (its view loaded by the step before).
  void prefetch_key(uint64_t hash) const noexcept {
    const JoinSlot& slot = slot_at(slot_bits(hash) & mask_);
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
    const JoinSlot& slot = slot_at(slot_bits(hash) & mask_);
    if (slot.count == 0 || slot.word != hash) return;
    for (const KeyValues& key : chain_keys_) {
      if (key.layout == KeyLayout::kString) prefetch_address(key.strings[slot.start].data());
    }
  }
  // The null chain (count 0 if none).
  const JoinSlot* null_chain() const noexcept { return null_chain_.count == 0 ? nullptr : &null_chain_; }

  std::size_t size() const noexcept { return size_; }
  // The slots of a table whose key is not a single string (those keep theirs with the keys).
  std::span<const JoinSlot> slots() const noexcept { return slots_; }

  // Marks the chain starting at `start` matched (any thread; relaxed: only read after
  // every prober is done, which the caller's join of those threads orders).
  void mark(uint32_t start) const noexcept {
    if (matched_[start].load(std::memory_order_relaxed) == 0) matched_[start].store(1, std::memory_order_relaxed);
  }
  // The positions of chains matched (or never matched), in chain order.
  std::vector<uint32_t> collect(bool matched) const;

 private:
  uint64_t mask_ = 0;
  std::vector<JoinSlot> slots_{JoinSlot{0, 0, 0}};
  std::size_t size_ = 0;
  std::vector<KeyValues> chain_keys_;  // other keys: each chain's key at its start position
  struct StringSlot {
    JoinSlot slot;
    InlineString key;
  };
  std::vector<StringSlot> string_slots_;  // a single string key: the slots (slots_ is then empty)

  const JoinSlot& slot_at(std::size_t i) const noexcept {
    return string_slots_.empty() ? slots_[i] : string_slots_[i].slot;
  }
  JoinSlot null_chain_{0, 0, 0};
  std::size_t never_begin_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> matched_;  // one per row position, set at chain starts
};

}  // namespace headrace::kernels

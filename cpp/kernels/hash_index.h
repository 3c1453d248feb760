// The open-addressing index of a hash table: slots of (32-bit tag, id + 1), linear probing,
// doubled when half full. The ids and what they stand for (groups, distinct values) live
// outside, in dense arrays; the caller says how two entries compare and what an id's hash is.
//
// Bits of a 64-bit hash, and who uses them:
//   32-63  the exchange partitioner (partition.h) and, here, the slot tag;
//   16-19  the radix partition of an aggregation state (kRadixBits = 4, 16 partitions);
//   the rest (0-15, 20-...) the slot index, so that the slot never depends on bits that
//   are equal for every entry of one radix partition.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/portable.h"

namespace headrace::kernels {

inline constexpr int kRadixShift = 16;
inline constexpr int kRadixBits = 4;
inline constexpr uint32_t kRadixPartitions = 1u << kRadixBits;

inline uint32_t radix_partition(uint64_t hash) noexcept {
  return static_cast<uint32_t>(hash >> kRadixShift) & (kRadixPartitions - 1);
}

// The hash without its radix bits.
inline uint64_t slot_bits(uint64_t hash) noexcept {
  constexpr uint64_t low = (uint64_t{1} << kRadixShift) - 1;
  return (hash & low) | ((hash >> (kRadixShift + kRadixBits)) << kRadixShift);
}

class HashIndex {
 public:
  HashIndex() : slots_(16), mask_(15) {}

  std::size_t size() const noexcept { return size_; }

  // Asks for the cache line of `hash`'s first slot, some rows before it is probed.
  void prefetch(uint64_t hash) const noexcept { prefetch_address(&slots_[slot_bits(hash) & mask_]); }
  // The id in `hash`'s first slot if its tag matches (the likely answer of a probe), else
  // kNoId; changes nothing. Used to prefetch what the probe will compare.
  uint32_t peek(uint64_t hash) const noexcept {
    const Slot slot = slots_[slot_bits(hash) & mask_];
    return slot.id_plus_one != 0 && slot.tag == static_cast<uint32_t>(hash >> 32) ? slot.id_plus_one - 1 : kNoId;
  }
  static constexpr uint32_t kNoId = 0xffffffffu;

  // The id of the entry equal to the probed one (equal(id) says), or `new_id`, inserted.
  // hash_of(id) gives the hash of an id already in the index (needed to grow).
  template <typename Equal, typename HashOf>
  uint32_t find_or_insert(uint64_t hash, uint32_t new_id, Equal&& equal, HashOf&& hash_of) {
    if (2 * (size_ + 1) > slots_.size()) grow(hash_of);
    const auto tag = static_cast<uint32_t>(hash >> 32);
    for (uint64_t i = slot_bits(hash) & mask_;; i = (i + 1) & mask_) {
      const Slot slot = slots_[i];
      if (slot.id_plus_one == 0) {
        slots_[i] = Slot{tag, new_id + 1};
        ++size_;
        return new_id;
      }
      if (slot.tag == tag && equal(slot.id_plus_one - 1)) return slot.id_plus_one - 1;
    }
  }

 private:
  struct Slot {
    uint32_t tag;
    uint32_t id_plus_one;  // 0: empty
  };

  template <typename HashOf>
  void grow(HashOf&& hash_of) {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.id_plus_one == 0) continue;
      uint64_t i = slot_bits(hash_of(slot.id_plus_one - 1)) & mask_;
      while (slots_[i].id_plus_one != 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  uint64_t mask_;
  std::size_t size_ = 0;
};

}  // namespace headrace::kernels

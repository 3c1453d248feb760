#include "kernels/join_dense.h"

#include <limits>

namespace headrace::kernels {

std::optional<JoinDenseIndex> JoinDenseIndex::build(std::span<const JoinPartition> partitions) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  uint64_t keys = 0;
  for (const JoinPartition& part : partitions) {
    // Positions must leave room for the partition bits and kAbsent.
    if (part.size() >= (std::size_t{kAbsent} >> kRadixBits)) return std::nullopt;
    for (const JoinSlot& slot : part.slots()) {
      if (slot.count == 0) continue;
      if (slot.count > 1) return std::nullopt;
      const auto v = static_cast<int64_t>(slot.word);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++keys;
    }
  }
  if (keys == 0) return std::nullopt;
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;  // wraps only for a full range
  if (span == 0 || span / kMaxSpanPerRow > keys) return std::nullopt;
  JoinDenseIndex index;
  index.min_ = static_cast<uint64_t>(lo);
  index.entries_.assign(span, kAbsent);
  for (uint32_t p = 0; p < partitions.size(); ++p) {
    for (const JoinSlot& slot : partitions[p].slots()) {
      if (slot.count != 0) index.entries_[slot.word - index.min_] = (slot.start << kRadixBits) | p;
    }
  }
  return index;
}

}  // namespace headrace::kernels

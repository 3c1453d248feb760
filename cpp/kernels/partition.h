// Hash partitioning: which partition each row goes to, and the rows of each partition.
//
// A row's partition comes from the *high* 32 bits of its hash by multiply-shift
// ("fast range": (hi32 * n) >> 32), not from `hash % n`: hash tables take their slot from
// the low bits, and if the partition also came from the low bits every row of a partition
// would share them and crowd into a fraction of the slots. Multiply-shift is also cheaper
// than a division and balanced for any n, not only powers of two. A second, nested
// partitioning (the radix partitions of an aggregation inside one exchange partition) must
// take other bits again, e.g. bits 16-31, since bits 32-63 are spent here.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace headrace::kernels {

inline uint32_t partition_of(uint64_t hash, uint32_t partitions) noexcept {
  return static_cast<uint32_t>(((hash >> 32) * partitions) >> 32);
}

// Row indices grouped by partition: the rows of partition p are
// rows[offsets[p] .. offsets[p + 1]), in increasing order.
template <typename Index>
struct Partitions {
  std::vector<Index> rows;
  std::vector<int64_t> offsets;  // partitions + 1 entries

  std::size_t count() const noexcept { return offsets.size() - 1; }
  std::span<const Index> rows_of(std::size_t p) const noexcept {
    return {rows.data() + offsets[p], static_cast<std::size_t>(offsets[p + 1] - offsets[p])};
  }
};

// Two passes over the hashes, no allocation per row: count the rows of each partition,
// then scatter each row index to its partition's next slot. `partitions` >= 1 (else
// std::invalid_argument); Index must hold every row index (else std::length_error).
// Instantiated for uint32_t and int64_t.
template <typename Index>
Partitions<Index> partition_rows(std::span<const uint64_t> hashes, uint32_t partitions);

}  // namespace headrace::kernels

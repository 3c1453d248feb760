#include "kernels/partition.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace headrace::kernels {

template <typename Index>
Partitions<Index> partition_rows(std::span<const uint64_t> hashes, uint32_t partitions) {
  if (partitions < 1) throw std::invalid_argument("partitions must be at least 1");
  if (hashes.size() > static_cast<std::size_t>(std::numeric_limits<Index>::max())) {
    throw std::length_error("partition_rows: " + std::to_string(hashes.size()) + " rows do not fit the index type");
  }
  Partitions<Index> result;
  result.offsets.assign(static_cast<std::size_t>(partitions) + 1, 0);
  // Counting pass: offsets[p + 1] counts partition p; a prefix sum turns counts into starts.
  for (uint64_t h : hashes) ++result.offsets[partition_of(h, partitions) + 1];
  for (uint32_t p = 0; p < partitions; ++p) result.offsets[p + 1] += result.offsets[p];
  // Scatter pass: each row to its partition's next free slot (stable: rows stay in order).
  result.rows.resize(hashes.size());
  std::vector<int64_t> next(result.offsets.begin(), result.offsets.end() - 1);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    result.rows[static_cast<std::size_t>(next[partition_of(hashes[i], partitions)]++)] = static_cast<Index>(i);
  }
  return result;
}

template Partitions<uint32_t> partition_rows<uint32_t>(std::span<const uint64_t>, uint32_t);
template Partitions<int64_t> partition_rows<int64_t>(std::span<const uint64_t>, uint32_t);

}  // namespace headrace::kernels

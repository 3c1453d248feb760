// The accumulators of one aggregation state and the states of its groups, row-major as in
// DuckDB: every fixed-size accumulator state of group g lies in row g of one buffer
// (states ordered by alignment, the row padded to the largest), so that the updates of a
// row touch one or two adjacent cache lines instead of one line per aggregate. The
// accumulators still run one at a time over a chunk's group-id vector: the first loop
// brings the chunk's rows into cache for the others. When the rows outgrow the caches, a
// prefetch pass over the group ids starts every row's miss at once before the loops.
// With few groups the opposite problem: consecutive rows of one group each wait for the
// previous one's update of the same state (a chain through memory, store to load, of a few
// cycles per row), so splittable accumulators then add row i into one of kLanes partial
// states of its group (lane i % kLanes) and fold the lanes into the group after the chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/aggregate_function.h"

namespace headrace::kernels {

class GroupStates {
 public:
  explicit GroupStates(std::vector<std::unique_ptr<Accumulator>> accumulators);

  std::size_t size() const noexcept { return groups_; }
  // Grows to `groups` groups (never shrinks); new groups start empty.
  void resize(std::size_t groups);
  // Adds rows 0..n-1 of columns[a] (nullptr for count_all) to groups[i], for every
  // accumulator a. Row i is the (ordinal_base + i)-th row of the input.
  void update(std::span<const arrow::ArrayData* const> columns, const uint32_t* groups, std::size_t n,
              uint64_t ordinal_base);
  // Folds group source_groups[k] of `source` (the same accumulators) into groups[k].
  void merge(const GroupStates& source, std::span<const uint32_t> source_groups, std::span<const uint32_t> groups);
  // The result columns of groups 0..size()-1: each accumulator's results() in turn.
  std::vector<std::shared_ptr<const arrow::ArrayData>> finish();

 private:
  // Frees the buffer, a block of `bytes` bytes of arrow::BufferPool::global(). Constructors,
  // not a default member initializer: with one, GCC finds Free not default-constructible
  // within GroupStates, and unique_ptr's nullptr constructor does not compile.
  struct Free {
    Free() noexcept : bytes(0) {}
    explicit Free(std::size_t size) noexcept : bytes(size) {}
    void operator()(std::byte* p) const noexcept;
    std::size_t bytes;
  };

  StateRows rows(std::size_t a) const noexcept { return StateRows{buffer_.get() + offsets_[a], stride_}; }
  // Starts loading the rows of groups[0..n) when the rows do not fit in cache.
  void prefetch(const std::byte* base, const uint32_t* groups, std::size_t n) const noexcept;

  // The chunk's rows into the lanes' partial states of their groups, folded into the
  // groups' states after, for the splittable accumulators; the others as usual.
  void update_in_lanes(std::span<const arrow::ArrayData* const> columns, const uint32_t* groups, std::size_t n,
                       uint64_t ordinal_base);

  std::vector<std::unique_ptr<Accumulator>> accumulators_;
  bool splittable_ = false;                   // some accumulator is
  std::unique_ptr<std::byte, Free> lanes_;    // rows of the lanes' partial states
  std::vector<uint32_t> lane_ids_;            // a chunk's rows' partial states (group * kLanes + lane)
  std::vector<uint32_t> lane_sources_;        // 0, 1, 2, ...: every partial state (set once)
  std::vector<uint32_t> lane_targets_;        // each partial state's group (set once)
  std::vector<std::size_t> offsets_;  // of each accumulator's state in a row
  std::size_t stride_ = 0;            // bytes per row, a multiple of the largest alignment
  std::unique_ptr<std::byte, Free> buffer_;
  std::size_t groups_ = 0;
  std::size_t capacity_ = 0;  // rows allocated
};

}  // namespace headrace::kernels

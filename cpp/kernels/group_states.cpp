#include "kernels/group_states.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "arrow/buffer_pool.h"
#include "kernels/portable.h"

namespace headrace::kernels {

namespace {

// Rows of more bytes than this are prefetched before the update loops: they no longer fit
// in L2, so most of a chunk's rows miss.
constexpr std::size_t kPrefetchBytes = std::size_t{1} << 20;
constexpr std::size_t kCacheLine = 64;
// Groups merged per step: their source and target rows are prefetched, then merged by
// every accumulator while in cache.
constexpr std::size_t kMergeStep = 2048;
// Partial states per group, and the most groups (and the fewest rows) a chunk is updated
// in lanes for: beyond a few dozen groups, rows of one group are far enough apart.
constexpr uint32_t kLanes = 4;
constexpr uint32_t kLaneGroups = 16;
constexpr std::size_t kLaneRows = 256;

}  // namespace

void GroupStates::Free::operator()(std::byte* p) const noexcept { arrow::BufferPool::global().deallocate(p, bytes); }

GroupStates::GroupStates(std::vector<std::unique_ptr<Accumulator>> accumulators)
    : accumulators_(std::move(accumulators)), offsets_(accumulators_.size(), 0), buffer_(nullptr) {
  // Largest alignment first, so that no padding is needed between states.
  std::vector<std::size_t> order(accumulators_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return accumulators_[a]->state_align() > accumulators_[b]->state_align();
  });
  std::size_t align = 1;
  for (std::size_t a : order) {
    const std::size_t size = accumulators_[a]->state_size();
    if (size == 0) continue;
    align = std::max(align, accumulators_[a]->state_align());
    offsets_[a] = stride_;
    stride_ += size;
  }
  stride_ = (stride_ + align - 1) / align * align;
  for (const auto& accumulator : accumulators_) splittable_ |= accumulator->splittable();
  if (splittable_) {
    const std::size_t bytes = arrow::BufferPool::round_up(kLanes * kLaneGroups * stride_);
    lanes_ = std::unique_ptr<std::byte, Free>(static_cast<std::byte*>(arrow::BufferPool::global().allocate(bytes)),
                                              Free{bytes});
    for (uint32_t k = 0; k < kLanes * kLaneGroups; ++k) {
      lane_sources_.push_back(k);
      lane_targets_.push_back(k / kLanes);
    }
  }
}

void GroupStates::resize(std::size_t groups) {
  if (groups <= groups_) return;
  if (groups > capacity_ && stride_ > 0) {
    const std::size_t capacity = std::max({groups, 2 * capacity_, std::size_t{16}});
    // No huge pages: measured, zeroing 2 MiB pages for buffers that double cost more
    // (kernel time) than the TLB misses they save. The pool's blocks are cache-line aligned
    // and may be a freed buffer's (the rows need no zeroing: add_groups writes new rows); the
    // rows of the block's whole size class are used.
    const std::size_t bytes = arrow::BufferPool::round_up(capacity * stride_);
    std::unique_ptr<std::byte, Free> buffer(static_cast<std::byte*>(arrow::BufferPool::global().allocate(bytes)),
                                            Free{bytes});
    if (groups_ > 0) std::memcpy(buffer.get(), buffer_.get(), groups_ * stride_);
    buffer_ = std::move(buffer);
    capacity_ = bytes / stride_;
  }
  for (std::size_t a = 0; a < accumulators_.size(); ++a) accumulators_[a]->add_groups(rows(a), groups_, groups);
  groups_ = groups;
}

void GroupStates::prefetch(const std::byte* base, const uint32_t* groups, std::size_t n) const noexcept {
  if (groups_ * stride_ <= kPrefetchBytes) return;
  for (std::size_t i = 0; i < n; ++i) {
    const std::byte* row = base + groups[i] * stride_;
    for (std::size_t at = 0; at < stride_; at += kCacheLine) prefetch_for_write(row + at);
    prefetch_for_write(row + stride_ - 1);
  }
}

void GroupStates::update(std::span<const arrow::ArrayData* const> columns, const uint32_t* groups, std::size_t n,
                         uint64_t ordinal_base) {
  if (splittable_ && groups_ <= kLaneGroups && n >= kLaneRows) {
    return update_in_lanes(columns, groups, n, ordinal_base);
  }
  prefetch(buffer_.get(), groups, n);
  for (std::size_t a = 0; a < accumulators_.size(); ++a) {
    accumulators_[a]->update(rows(a), columns[a], groups, n, ordinal_base);
  }
}

void GroupStates::update_in_lanes(std::span<const arrow::ArrayData* const> columns, const uint32_t* groups,
                                  std::size_t n, uint64_t ordinal_base) {
  const std::size_t states = groups_ * kLanes;  // every group id is below groups_
  const auto sources = std::span<const uint32_t>(lane_sources_).first(states);
  const auto targets = std::span<const uint32_t>(lane_targets_).first(states);
  lane_ids_.resize(n);
  for (std::size_t i = 0; i < n; ++i) lane_ids_[i] = groups[i] * kLanes + static_cast<uint32_t>(i % kLanes);
  for (std::size_t a = 0; a < accumulators_.size(); ++a) {
    Accumulator& accumulator = *accumulators_[a];
    if (!accumulator.splittable()) {
      accumulator.update(rows(a), columns[a], groups, n, ordinal_base);
      continue;
    }
    const StateRows lanes{lanes_.get() + offsets_[a], stride_};
    accumulator.add_groups(lanes, 0, states);
    accumulator.update(lanes, columns[a], lane_ids_.data(), n, ordinal_base);
    accumulator.merge(rows(a), accumulator, lanes, sources, targets);
  }
}

void GroupStates::merge(const GroupStates& source, std::span<const uint32_t> source_groups,
                        std::span<const uint32_t> groups) {
  for (std::size_t start = 0; start < groups.size(); start += kMergeStep) {
    const std::size_t n = std::min(kMergeStep, groups.size() - start);
    const auto from = source_groups.subspan(start, n);
    const auto to = groups.subspan(start, n);
    source.prefetch(source.buffer_.get(), from.data(), n);
    prefetch(buffer_.get(), to.data(), n);
    for (std::size_t a = 0; a < accumulators_.size(); ++a) {
      accumulators_[a]->merge(rows(a), *source.accumulators_[a], source.rows(a), from, to);
    }
  }
}

std::vector<std::shared_ptr<const arrow::ArrayData>> GroupStates::finish() {
  std::vector<std::shared_ptr<const arrow::ArrayData>> columns;
  for (std::size_t a = 0; a < accumulators_.size(); ++a) {
    for (std::size_t r = 0; r < accumulators_[a]->results(); ++r) columns.push_back(accumulators_[a]->finish(rows(a), groups_, r));
  }
  return columns;
}

}  // namespace headrace::kernels

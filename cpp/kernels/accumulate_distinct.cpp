// count_distinct: the exact number of distinct non-null values per group. The state is a
// hash table of (group, value) entries: values normalized as keys are (-0.0 is 0.0, every
// NaN one NaN) and compared, not only hashed. Each group chains its entries, so a merge
// visits only the entries of the groups it merges.
#include <span>

#include "kernels/accumulator_values.h"
#include "kernels/hash.h"
#include "kernels/hash_index.h"
#include "kernels/string_arena.h"

namespace headrace::kernels {

namespace {

constexpr uint32_t kNone = 0xffffffffu;

class DistinctAccumulator final : public SideAccumulator {
 public:
  explicit DistinctAccumulator(arrow::Field input) : input_(std::move(input)) {
    values_.layout = key_layout(input_.type);
  }

  void update(StateRows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t) override {
    normalize_keys(*column, input_, batch_values_);
    batch_hashes_.resize(n);
    hash_column(*column, input_, 0, batch_hashes_);
    for_each_valid(*column, n, [&](std::size_t i) { insert(groups[i], batch_values_, i, batch_hashes_[i]); });
  }

  void merge(StateRows, const Accumulator& source, StateRows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const DistinctAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      for (uint32_t e = other.heads_[source_groups[k]]; e != kNone; e = other.next_[e]) {
        insert(groups[k], other.values_, e, other.value_hashes_[e]);
      }
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows, std::size_t groups, std::size_t) override {
    return result_column(groups, values_of<PlainValues<int64_t>>(counts_, groups), nullptr);
  }

 private:
  void resize(std::size_t groups) override {
    counts_.resize(groups, 0);
    heads_.resize(groups, kNone);
  }

  static uint64_t entry_hash(uint32_t group, uint64_t value_hash) noexcept {
    return combine_hashes(hash_u64(group), value_hash);
  }

  void insert(uint32_t group, const KeyValues& from, std::size_t row, uint64_t value_hash) {
    const auto next = static_cast<uint32_t>(groups_.size());
    const uint32_t e = index_.find_or_insert(
        entry_hash(group, value_hash), next,
        [&](uint32_t id) { return groups_[id] == group && key_equal(values_, id, from, row); },
        [this](uint32_t id) { return entry_hash(groups_[id], value_hashes_[id]); });
    if (e != next) return;
    groups_.push_back(group);
    value_hashes_.push_back(value_hash);
    append_key(from, row, values_, arena_);
    next_.push_back(heads_[group]);
    heads_[group] = e;
    ++counts_[group];
  }

  arrow::Field input_;
  HashIndex index_;
  // Entries: their group, value hash and value, and the next entry of the same group.
  std::vector<uint32_t> groups_;
  std::vector<uint64_t> value_hashes_;
  KeyValues values_;
  std::vector<uint32_t> next_;
  StringArena arena_;
  // Per group: the count and the last entry added.
  std::vector<int64_t> counts_;
  std::vector<uint32_t> heads_;
  // Scratch of one batch.
  KeyValues batch_values_;
  std::vector<uint64_t> batch_hashes_;
};

}  // namespace

std::unique_ptr<Accumulator> make_count_distinct(const arrow::Field& input) {
  return std::make_unique<DistinctAccumulator>(input);
}

}  // namespace headrace::kernels

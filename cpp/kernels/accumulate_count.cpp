// count (non-null values), count_all (rows), any and all (bool, nulls skipped: any of no
// value is false, all of no value is true, as in Polars).
#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

template <bool kAllRows>
class CountAccumulator final : public Accumulator {
 public:
  void resize(std::size_t groups) override { counts_.resize(groups, 0); }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t) override {
    int64_t* counts = counts_.data();
    if (kAllRows || !has_nulls(*column)) {
      for (std::size_t i = 0; i < n; ++i) ++counts[groups[i]];
    } else {
      for_each_valid(*column, n, [&](std::size_t i) { ++counts[groups[i]]; });
    }
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const CountAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) counts_[groups[k]] += other.counts_[source_groups[k]];
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
    return result_column(groups, values_of<PlainValues<int64_t>>(counts_, groups), nullptr);
  }

 private:
  std::vector<int64_t> counts_;
};

template <bool kAll>
class AnyAllAccumulator final : public Accumulator {
 public:
  void resize(std::size_t groups) override { state_.resize(groups, kAll ? 1 : 0); }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t) override {
    const BoolValues values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      if constexpr (kAll) {
        state_[groups[i]] &= values[i];
      } else {
        state_[groups[i]] |= values[i];
      }
    });
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const AnyAllAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      if constexpr (kAll) {
        state_[groups[k]] &= other.state_[source_groups[k]];
      } else {
        state_[groups[k]] |= other.state_[source_groups[k]];
      }
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
    return result_column(groups, values_of<BoolValues>(state_, groups), nullptr);
  }

 private:
  std::vector<uint8_t> state_;
};

}  // namespace

std::unique_ptr<Accumulator> make_count(bool all_rows) {
  if (all_rows) return std::make_unique<CountAccumulator<true>>();
  return std::make_unique<CountAccumulator<false>>();
}

std::unique_ptr<Accumulator> make_any_all(bool all) {
  if (all) return std::make_unique<AnyAllAccumulator<true>>();
  return std::make_unique<AnyAllAccumulator<false>>();
}

}  // namespace headrace::kernels

// count (non-null values), count_all (rows), any and all (bool, nulls skipped: any of no
// value is false, all of no value is true, as in Polars).
#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

template <bool kAllRows>
class CountAccumulator final : public RowAccumulator<int64_t> {
 public:
  CountAccumulator() : RowAccumulator(0) {}

  bool splittable() const noexcept override { return true; }

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    if (kAllRows || !has_nulls(*column)) {
      for (std::size_t i = 0; i < n; ++i) ++at(rows, groups[i]);
    } else {
      for_each_valid(*column, n, [&](std::size_t i) { ++at(rows, groups[i]); });
    }
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) at(rows, groups[k]) += at(source_rows, source_groups[k]);
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    arrow::AlignedBuffer counts(groups * sizeof(int64_t));
    for (std::size_t g = 0; g < groups; ++g) counts.as<int64_t>()[g] = at(rows, g);
    return result_column(groups, std::move(counts), nullptr);
  }
};

template <bool kAll>
class AnyAllAccumulator final : public RowAccumulator<uint8_t> {
 public:
  AnyAllAccumulator() : RowAccumulator(kAll ? 1 : 0) {}

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const BoolValues values(*column);
    for_each_valid(*column, n, [&](std::size_t i) { fold(at(rows, groups[i]), values[i]); });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) fold(at(rows, groups[k]), at(source_rows, source_groups[k]));
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    arrow::BitmapBuilder bits(static_cast<int64_t>(groups));
    for (std::size_t g = 0; g < groups; ++g) bits.set(static_cast<int64_t>(g), at(rows, g) != 0);
    return result_column(groups, bits.release(), nullptr);
  }

 private:
  static void fold(uint8_t& state, uint8_t value) noexcept {
    if constexpr (kAll) {
      state &= value;
    } else {
      state |= value;
    }
  }
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

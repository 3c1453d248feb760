// Fused summaries: several aggregates of one column from a single state and a single loop
// per chunk. Results equal those of the separate accumulators.
// - A float column's count, sum, mean, min and max (state: sum, count, min, max). The sum
//   adds the values as doubles in row order, mean is sum / count, min and max skip NaN.
//   min starts at +inf and max at -inf and take min / max without a branch (NaN compares
//   false, so it never replaces); after any number min <= max, so min > max with a count
//   means every value was NaN, and both are NaN then.
// - A decimal128 column's count, sum and mean (state: the exact 128-bit sum, a count):
//   TPC-H Q1's sum and avg of one price column are one pass instead of two. As the separate
//   accumulators, a sum leaving 128 bits is an error when the sum is asked for, and moves
//   into a double spill for a mean alone.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

template <typename T>
struct SummaryState {
  double sum;
  int64_t count;
  T min;
  T max;
};

template <typename T>
class SummaryAccumulator final : public RowAccumulator<SummaryState<T>> {
  using State = SummaryState<T>;
  using Base = RowAccumulator<State>;
  using Base::at;

 public:
  explicit SummaryAccumulator(std::vector<AggregateKind> kinds)
      : Base(State{0.0, 0, std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()}),
        kinds_(std::move(kinds)) {}

  std::size_t results() const noexcept override { return kinds_.size(); }

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const PlainValues<T> values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      State& group = at(rows, groups[i]);
      const T x = values[i];
      group.sum += static_cast<double>(x);
      ++group.count;
      group.min = x < group.min ? x : group.min;
      group.max = x > group.max ? x : group.max;
    });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) {
      State& group = at(rows, groups[k]);
      const State& from = at(source_rows, source_groups[k]);
      group.sum += from.sum;
      group.count += from.count;
      group.min = from.min < group.min ? from.min : group.min;
      group.max = from.max > group.max ? from.max : group.max;
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t result) override {
    constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
    switch (kinds_[result]) {
      case AggregateKind::kCount: {
        arrow::AlignedBuffer counts(groups * sizeof(int64_t));
        for (std::size_t g = 0; g < groups; ++g) counts.as<int64_t>()[g] = at(rows, g).count;
        return result_column(groups, std::move(counts), nullptr);
      }
      case AggregateKind::kSum:
        return nullable_result<PlainValues<double>>(groups, [&](std::size_t g, double& out) {
          out = at(rows, g).sum;
          return at(rows, g).count > 0;
        });
      case AggregateKind::kMean:
        return nullable_result<PlainValues<double>>(groups, [&](std::size_t g, double& out) {
          const State& group = at(rows, g);
          if (group.count == 0) return false;
          out = group.sum / static_cast<double>(group.count);
          return true;
        });
      default: {
        const bool min = kinds_[result] == AggregateKind::kMin;
        return nullable_result<PlainValues<T>>(groups, [&](std::size_t g, T& out) {
          const State& group = at(rows, g);
          if (group.count == 0) return false;
          out = group.min > group.max ? kNaN : min ? group.min : group.max;
          return true;
        });
      }
    }
  }

 private:
  std::vector<AggregateKind> kinds_;
};

class DecimalSummaryAccumulator final : public RowAccumulator<DecimalSumState> {
 public:
  DecimalSummaryAccumulator(std::vector<AggregateKind> kinds, const arrow::Field& input)
      : RowAccumulator(DecimalSumState{int128{0}, 0.0, 0}),
        kinds_(std::move(kinds)),
        column_(input.name),
        unit_(std::pow(10.0, -input.type.scale)),
        sums_(std::find(kinds_.begin(), kinds_.end(), AggregateKind::kSum) != kinds_.end()) {}

  bool splittable() const noexcept override { return true; }

  std::size_t results() const noexcept override { return kinds_.size(); }

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const DecimalValues values(*column);
    bool overflow = false;
    for_each_valid(*column, n, [&](std::size_t i) {
      DecimalSumState& group = at(rows, groups[i]);
      overflow |= group.add(values[i]);
      ++group.count;
    });
    if (overflow && sums_) overflowed();
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    bool overflow = false;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      DecimalSumState& group = at(rows, groups[k]);
      const DecimalSumState& from = at(source_rows, source_groups[k]);
      overflow |= group.add(from.sum);
      group.spill += from.spill;
      group.count += from.count;
    }
    if (overflow && sums_) overflowed();
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t result) override {
    switch (kinds_[result]) {
      case AggregateKind::kCount: {
        arrow::AlignedBuffer counts(groups * sizeof(int64_t));
        for (std::size_t g = 0; g < groups; ++g) counts.as<int64_t>()[g] = at(rows, g).count;
        return result_column(groups, std::move(counts), nullptr);
      }
      case AggregateKind::kSum: {
        // decimal128(38, s) holds at most 38 digits.
        int128 limit = 1;
        for (int d = 0; d < 38; ++d) limit *= 10;
        for (std::size_t g = 0; g < groups; ++g) {
          if (at(rows, g).sum >= limit || at(rows, g).sum <= -limit) overflowed();
        }
        return nullable_result<DecimalValues>(groups, [&](std::size_t g, int128& out) {
          out = at(rows, g).sum;
          return at(rows, g).count > 0;
        });
      }
      default:  // mean
        return nullable_result<PlainValues<double>>(groups, [&](std::size_t g, double& out) {
          const DecimalSumState& group = at(rows, g);
          if (group.count == 0) return false;
          out = group.mean(unit_);
          return true;
        });
    }
  }

 private:
  [[noreturn]] void overflowed() const {
    throw arrow::ArrowError("sum of column '" + column_ + "' overflows decimal128(38); cast the column to a "
                            "wider type (float64 or decimal128) first");
  }

  std::vector<AggregateKind> kinds_;
  std::string column_;
  double unit_;  // 10^-scale
  bool sums_;    // whether the sum is one of the results
};

}  // namespace

bool summarizable(AggregateKind kind, const arrow::Field& input) noexcept {
  const bool is_float = input.type.id == arrow::TypeId::kFloat32 || input.type.id == arrow::TypeId::kFloat64;
  const bool is_decimal = input.type.id == arrow::TypeId::kDecimal128;
  const bool moment = kind == AggregateKind::kCount || kind == AggregateKind::kSum || kind == AggregateKind::kMean;
  return (is_float && (moment || kind == AggregateKind::kMin || kind == AggregateKind::kMax)) ||
         (is_decimal && moment);
}

std::unique_ptr<Accumulator> make_summary(std::vector<AggregateKind> kinds, const arrow::Field& input) {
  for (AggregateKind kind : kinds) {
    if (!summarizable(kind, input)) {
      throw arrow::ArrowError(std::string("a summary cannot compute ") + aggregate_name(kind) + " of column '" +
                              input.name + "' of type " + input.to_string());
    }
  }
  if (input.type.id == arrow::TypeId::kDecimal128) {
    return std::make_unique<DecimalSummaryAccumulator>(std::move(kinds), input);
  }
  if (input.type.id == arrow::TypeId::kFloat32) return std::make_unique<SummaryAccumulator<float>>(std::move(kinds));
  return std::make_unique<SummaryAccumulator<double>>(std::move(kinds));
}

}  // namespace headrace::kernels

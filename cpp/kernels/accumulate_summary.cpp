// A fused summary of one float column: count, sum, mean, min and max from a single state
// (sum, count, min, max) and a single loop per chunk, when several of them read the same
// column. Results equal those of the separate accumulators: the sum adds the values as
// doubles in row order, mean is sum / count, min and max skip NaN.
// min starts at +inf and max at -inf and take min / max without a branch (NaN compares
// false, so it never replaces); after any number min <= max, so min > max with a count
// means every value was NaN, and both are NaN then.
#include <cmath>
#include <limits>

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

}  // namespace

bool summarizable(AggregateKind kind, const arrow::Field& input) noexcept {
  const bool is_float = input.type.id == arrow::TypeId::kFloat32 || input.type.id == arrow::TypeId::kFloat64;
  return is_float && (kind == AggregateKind::kCount || kind == AggregateKind::kSum || kind == AggregateKind::kMean ||
                      kind == AggregateKind::kMin || kind == AggregateKind::kMax);
}

std::unique_ptr<Accumulator> make_summary(std::vector<AggregateKind> kinds, const arrow::Field& input) {
  for (AggregateKind kind : kinds) {
    if (!summarizable(kind, input)) {
      throw arrow::ArrowError(std::string("a summary cannot compute ") + aggregate_name(kind) + " of column '" +
                              input.name + "' of type " + input.to_string());
    }
  }
  if (input.type.id == arrow::TypeId::kFloat32) return std::make_unique<SummaryAccumulator<float>>(std::move(kinds));
  return std::make_unique<SummaryAccumulator<double>>(std::move(kinds));
}

}  // namespace headrace::kernels

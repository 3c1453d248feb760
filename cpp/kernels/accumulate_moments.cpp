// mean, var and std over numbers, as float64. mean keeps a compensated (Neumaier) sum and a
// count, so a long run of values loses no more than a couple of ulps; var and std keep
// Welford's (count, mean, M2) per group, merged with Chan's parallel formula, and are the
// sample statistics (ddof = 1, as pandas and Polars), null for fewer than two values.
// Decimals are accumulated unscaled and scaled once at the end.
#include <cmath>

#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

template <typename Values>
class MeanAccumulator final : public Accumulator {
 public:
  explicit MeanAccumulator(int scale) : unit_(std::pow(10.0, -scale)) {}

  void resize(std::size_t groups) override { state_.resize(groups, State{0, 0.0, 0.0}); }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      State& group = state_[groups[i]];
      ++group.count;
      add(group, static_cast<double>(values[i]));
    });
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const MeanAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      State& group = state_[groups[k]];
      const State& from = other.state_[source_groups[k]];
      group.count += from.count;
      add(group, from.sum);
      group.compensation += from.compensation;
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
    std::vector<double> means(groups);
    std::vector<uint8_t> valid(groups);
    for (std::size_t g = 0; g < groups; ++g) {
      const State& group = state_[g];
      valid[g] = group.count > 0;
      if (valid[g]) means[g] = (group.sum + group.compensation) / static_cast<double>(group.count) * unit_;
    }
    return result_column(groups, values_of<PlainValues<double>>(means, groups), &valid);
  }

 private:
  // Neumaier's compensated addition.
  struct State {
    int64_t count;
    double sum;
    double compensation;
  };

  static void add(State& group, double x) noexcept {
    const double s = group.sum;
    const double t = s + x;
    group.compensation += std::fabs(s) >= std::fabs(x) ? (s - t) + x : (x - t) + s;
    group.sum = t;
  }

  double unit_;  // the value of one unscaled step: 10^-scale for decimals, else 1
  std::vector<State> state_;  // one group's state in one place: one cache miss per row
};

template <typename Values, bool kStd>
class VarianceAccumulator final : public Accumulator {
 public:
  explicit VarianceAccumulator(int scale) : unit_(std::pow(10.0, -scale)) {}

  void resize(std::size_t groups) override { state_.resize(groups, State{0, 0.0, 0.0}); }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      State& group = state_[groups[i]];
      const double x = static_cast<double>(values[i]);
      const double count = static_cast<double>(++group.count);
      const double delta = x - group.mean;
      group.mean += delta / count;
      group.m2 += delta * (x - group.mean);
    });
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const VarianceAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      State& group = state_[groups[k]];
      const State& from = other.state_[source_groups[k]];
      if (from.count == 0) continue;
      if (group.count == 0) {
        group = from;
        continue;
      }
      const double a = static_cast<double>(group.count), b = static_cast<double>(from.count);
      const double delta = from.mean - group.mean;
      group.mean += delta * b / (a + b);
      group.m2 += from.m2 + delta * delta * a * b / (a + b);
      group.count += from.count;
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
    std::vector<double> out(groups);
    std::vector<uint8_t> valid(groups);
    for (std::size_t g = 0; g < groups; ++g) {
      const State& group = state_[g];
      valid[g] = group.count > 1;
      if (!valid[g]) continue;
      const double variance = std::max(0.0, group.m2) / static_cast<double>(group.count - 1) * unit_ * unit_;
      out[g] = kStd ? std::sqrt(variance) : variance;
    }
    return result_column(groups, values_of<PlainValues<double>>(out, groups), &valid);
  }

 private:
  struct State {
    int64_t count;
    double mean;
    double m2;
  };

  double unit_;
  std::vector<State> state_;
};

}  // namespace

std::unique_ptr<Accumulator> make_moments(AggregateKind kind, const arrow::Field& input) {
  std::unique_ptr<Accumulator> out;
  const int scale = input.type.id == arrow::TypeId::kDecimal128 ? input.type.scale : 0;
  visit_fixed(input.type.id, [&]<typename Values>(std::type_identity<Values>) {
    if constexpr (!std::is_same_v<Values, BoolValues>) {
      if (kind == AggregateKind::kMean) {
        out = std::make_unique<MeanAccumulator<Values>>(scale);
      } else if (kind == AggregateKind::kVar) {
        out = std::make_unique<VarianceAccumulator<Values, false>>(scale);
      } else {
        out = std::make_unique<VarianceAccumulator<Values, true>>(scale);
      }
    }
  });
  if (!out) {
    throw arrow::ArrowError(std::string(aggregate_name(kind)) + " cannot take column '" + input.name +
                            "' of type " + input.to_string());
  }
  return out;
}

}  // namespace headrace::kernels

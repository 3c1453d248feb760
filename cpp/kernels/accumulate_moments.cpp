// mean, var and std over numbers, as float64. mean keeps a plain double sum and a count
// (as DuckDB and Polars do: one add per row), except over decimals, whose unscaled values
// it sums exactly in 128 bits (an integer add instead of a 128-bit to double conversion
// per row, and the exact mean, as DuckDB's avg of a decimal); var and std keep
// Welford's (count, mean, M2) per group, merged with Chan's parallel formula, and are the
// sample statistics (ddof = 1, as pandas and Polars), null for fewer than two values.
// Decimals are accumulated unscaled and scaled once at the end.
#include <algorithm>
#include <cmath>

#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

struct MeanState {
  double sum;
  int64_t count;
};

template <typename Values>
class MeanAccumulator final : public RowAccumulator<MeanState> {
 public:
  explicit MeanAccumulator(int scale) : RowAccumulator(MeanState{0.0, 0}), unit_(std::pow(10.0, -scale)) {}

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      MeanState& group = at(rows, groups[i]);
      group.sum += static_cast<double>(values[i]);
      ++group.count;
    });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) {
      MeanState& group = at(rows, groups[k]);
      const MeanState& from = at(source_rows, source_groups[k]);
      group.sum += from.sum;
      group.count += from.count;
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    return nullable_result<PlainValues<double>>(groups, [&](std::size_t g, double& out) {
      const MeanState& group = at(rows, g);
      if (group.count == 0) return false;
      out = group.sum / static_cast<double>(group.count) * unit_;
      return true;
    });
  }

 private:
  double unit_;  // the value of one unscaled step: 10^-scale for decimals, else 1
};

class DecimalMeanAccumulator final : public RowAccumulator<DecimalSumState> {
 public:
  explicit DecimalMeanAccumulator(int scale)
      : RowAccumulator(DecimalSumState{int128{0}, 0.0, 0}), unit_(std::pow(10.0, -scale)) {}

  bool splittable() const noexcept override { return true; }

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const DecimalValues values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      DecimalSumState& group = at(rows, groups[i]);
      group.add(values[i]);
      ++group.count;
    });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) {
      DecimalSumState& group = at(rows, groups[k]);
      const DecimalSumState& from = at(source_rows, source_groups[k]);
      group.add(from.sum);
      group.spill += from.spill;
      group.count += from.count;
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    return nullable_result<PlainValues<double>>(groups, [&](std::size_t g, double& out) {
      const DecimalSumState& group = at(rows, g);
      if (group.count == 0) return false;
      out = group.mean(unit_);
      return true;
    });
  }

 private:
  double unit_;  // 10^-scale
};

// Welford's running moments of one group.
struct VarianceState {
  int64_t count;
  double mean;
  double m2;
};

template <typename Values, bool kStd>
class VarianceAccumulator final : public RowAccumulator<VarianceState> {
 public:
  explicit VarianceAccumulator(int scale)
      : RowAccumulator(VarianceState{0, 0.0, 0.0}), unit_(std::pow(10.0, -scale)) {}

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      VarianceState& group = at(rows, groups[i]);
      const double x = static_cast<double>(values[i]);
      const double count = static_cast<double>(++group.count);
      const double delta = x - group.mean;
      group.mean += delta / count;
      group.m2 += delta * (x - group.mean);
    });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) {
      VarianceState& group = at(rows, groups[k]);
      const VarianceState& from = at(source_rows, source_groups[k]);
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

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    return nullable_result<PlainValues<double>>(groups, [&](std::size_t g, double& out) {
      const VarianceState& group = at(rows, g);
      if (group.count < 2) return false;
      const double variance = std::max(0.0, group.m2) / static_cast<double>(group.count - 1) * unit_ * unit_;
      out = kStd ? std::sqrt(variance) : variance;
      return true;
    });
  }

 private:
  double unit_;
};

}  // namespace

std::unique_ptr<Accumulator> make_moments(AggregateKind kind, const arrow::Field& input) {
  std::unique_ptr<Accumulator> out;
  const int scale = input.type.id == arrow::TypeId::kDecimal128 ? input.type.scale : 0;
  visit_fixed(input.type.id, [&]<typename Values>(std::type_identity<Values>) {
    if constexpr (!std::is_same_v<Values, BoolValues>) {
      if (kind == AggregateKind::kMean && std::is_same_v<Values, DecimalValues>) {
        out = std::make_unique<DecimalMeanAccumulator>(scale);
      } else if (kind == AggregateKind::kMean) {
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

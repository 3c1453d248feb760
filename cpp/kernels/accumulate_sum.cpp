// sum: integers into int64 (unsigned into uint64) with every addition checked, an overflow
// being an error rather than a wrapped result; floats into double; decimal128 exactly in
// 128 bits, checked, and within decimal128(38)'s 38 digits at the end.
#include <string>

#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

template <typename Values, typename Sum>
class SumAccumulator final : public Accumulator {
 public:
  SumAccumulator(std::string column, std::string result_type)
      : column_(std::move(column)), result_type_(std::move(result_type)) {}

  void resize(std::size_t groups) override { state_.resize(groups, State{Sum{0}, 0}); }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t) override {
    const Values values(*column);
    State* state = state_.data();
    bool overflow = false;
    for_each_valid(*column, n, [&](std::size_t i) {
      State& group = state[groups[i]];
      overflow |= add(group.sum, static_cast<Sum>(values[i]));
      group.seen = 1;
    });
    if (overflow) overflowed();
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const SumAccumulator&>(source);
    bool overflow = false;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      State& group = state_[groups[k]];
      const State& from = other.state_[source_groups[k]];
      overflow |= add(group.sum, from.sum);
      group.seen |= from.seen;
    }
    if (overflow) overflowed();
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
    std::vector<Sum> sums(groups);
    std::vector<uint8_t> seen(groups);
    for (std::size_t g = 0; g < groups; ++g) {
      sums[g] = state_[g].sum;
      seen[g] = state_[g].seen;
    }
    if constexpr (std::is_same_v<Sum, int128>) {
      // decimal128(38, s) holds at most 38 digits.
      int128 limit = 1;
      for (int d = 0; d < 38; ++d) limit *= 10;
      for (std::size_t g = 0; g < groups; ++g) {
        if (sums[g] >= limit || sums[g] <= -limit) overflowed();
      }
      return result_column(groups, values_of<DecimalValues>(sums, groups), &seen);
    } else {
      return result_column(groups, values_of<PlainValues<Sum>>(sums, groups), &seen);
    }
  }

 private:
  // True on overflow (never for floats).
  static bool add(Sum& sum, Sum value) noexcept {
    if constexpr (std::is_floating_point_v<Sum>) {
      sum += value;
      return false;
    } else {
      return __builtin_add_overflow(sum, value, &sum);
    }
  }

  [[noreturn]] void overflowed() const {
    throw arrow::ArrowError("sum of column '" + column_ + "' overflows " + result_type_ +
                            "; cast the column to a wider type (float64 or decimal128) first");
  }

  std::string column_;
  std::string result_type_;
  // One group's state in one place: a single cache miss per row when groups are many.
  struct State {
    Sum sum;
    uint8_t seen;
  };
  std::vector<State> state_;
};

// Sums of a reader's values: int64, uint64, double or 128 bits.
template <typename Values>
using SumOf = std::conditional_t<
    std::is_same_v<Values, DecimalValues>, int128,
    std::conditional_t<std::is_floating_point_v<typename Values::Value>, double,
                       std::conditional_t<std::is_signed_v<typename Values::Value>, int64_t, uint64_t>>>;

}  // namespace

std::unique_ptr<Accumulator> make_sum(const arrow::Field& input) {
  std::unique_ptr<Accumulator> out;
  visit_fixed(input.type.id, [&]<typename Values>(std::type_identity<Values>) {
    if constexpr (!std::is_same_v<Values, BoolValues>) {
      using Sum = SumOf<Values>;
      const char* result_type = std::is_same_v<Sum, int128>      ? "decimal128(38)"
                                : std::is_same_v<Sum, uint64_t> ? "uint64"
                                                                : "int64";
      out = std::make_unique<SumAccumulator<Values, Sum>>(input.name, result_type);
    }
  });
  if (!out) throw arrow::ArrowError("sum cannot take column '" + input.name + "' of type " + input.to_string());
  return out;
}

}  // namespace headrace::kernels

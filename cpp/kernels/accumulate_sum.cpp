// sum: integers into int64 (unsigned into uint64) with every addition checked, an overflow
// being an error rather than a wrapped result; floats into double; decimal128 exactly in
// 128 bits, checked, and within decimal128(38)'s 38 digits at the end.
#include <string>

#include "kernels/accumulator_values.h"

namespace headrace::kernels {

namespace {

// One group's sum and whether it has a value.
template <typename Sum>
struct SumState {
  Sum sum;
  uint8_t seen;
};

template <typename Values, typename Sum>
class SumAccumulator final : public RowAccumulator<SumState<Sum>> {
  using Base = RowAccumulator<SumState<Sum>>;
  using Base::at;

 public:
  SumAccumulator(std::string column, std::string result_type)
      : Base(SumState<Sum>{Sum{0}, 0}), column_(std::move(column)), result_type_(std::move(result_type)) {}

  bool splittable() const noexcept override { return !std::is_floating_point_v<Sum>; }

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const Values values(*column);
    bool overflow = false;
    for_each_valid(*column, n, [&](std::size_t i) {
      SumState<Sum>& group = at(rows, groups[i]);
      overflow |= add(group.sum, static_cast<Sum>(values[i]));
      group.seen = 1;
    });
    if (overflow) overflowed();
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    bool overflow = false;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      SumState<Sum>& group = at(rows, groups[k]);
      const SumState<Sum>& from = at(source_rows, source_groups[k]);
      overflow |= add(group.sum, from.sum);
      group.seen |= from.seen;
    }
    if (overflow) overflowed();
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    if constexpr (std::is_same_v<Sum, int128>) {
      // decimal128(38, s) holds at most 38 digits.
      int128 limit = 1;
      for (int d = 0; d < 38; ++d) limit *= 10;
      for (std::size_t g = 0; g < groups; ++g) {
        if (at(rows, g).sum >= limit || at(rows, g).sum <= -limit) overflowed();
      }
    }
    using Result = std::conditional_t<std::is_same_v<Sum, int128>, DecimalValues, PlainValues<Sum>>;
    return nullable_result<Result>(groups, [&](std::size_t g, Sum& out) {
      out = at(rows, g).sum;
      return at(rows, g).seen != 0;
    });
  }

 private:
  // True on overflow (never for floats).
  static bool add(Sum& sum, Sum value) noexcept {
    if constexpr (std::is_floating_point_v<Sum>) {
      sum += value;
      return false;
    } else {
      return add_overflow(sum, value, &sum);
    }
  }

  [[noreturn]] void overflowed() const {
    throw arrow::ArrowError("sum of column '" + column_ + "' overflows " + result_type_ +
                            "; cast the column to a wider type (float64 or decimal128) first");
  }

  std::string column_;
  std::string result_type_;
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

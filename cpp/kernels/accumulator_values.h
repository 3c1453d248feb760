// Shared by the accumulator implementations (internal): typed reading of a batch column,
// dispatch from a type id to the reader, result buffers and the factories of each family.
#pragma once

#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "arrow/builder.h"
#include "kernels/aggregate_function.h"
#include "kernels/group_keys.h"
#include "kernels/portable.h"

namespace headrace::kernels {

// Fixed-width values of a column, offset applied. Value is what the accumulators store.
template <typename T>
struct PlainValues {
  using Value = T;
  const T* values;
  explicit PlainValues(const arrow::ArrayData& data)
      : values(static_cast<const T*>(data.buffers[1]) + data.offset) {}
  Value operator[](std::size_t i) const noexcept { return values[i]; }
};

// decimal128: two little-endian words, read as one 128-bit integer.
struct DecimalValues {
  using Value = int128;
  const uint8_t* base;
  explicit DecimalValues(const arrow::ArrayData& data)
      : base(static_cast<const uint8_t*>(data.buffers[1]) + 16 * data.offset) {}
  Value operator[](std::size_t i) const noexcept {
    Value v;
    std::memcpy(&v, base + 16 * i, 16);
    return v;
  }
};

// bool, as 0 or 1.
struct BoolValues {
  using Value = uint8_t;
  const uint8_t* bits;
  int64_t offset;
  explicit BoolValues(const arrow::ArrayData& data)
      : bits(static_cast<const uint8_t*>(data.buffers[1])), offset(data.offset) {}
  Value operator[](std::size_t i) const noexcept {
    const int64_t bit = offset + static_cast<int64_t>(i);
    return (bits[bit >> 3] >> (bit & 7)) & 1;
  }
};

// Calls f(std::type_identity<Values>{}) with the reader of a fixed-width type (integers,
// floats, date32, timestamp, decimal128, bool); returns false for other types.
template <typename F>
bool visit_fixed(arrow::TypeId id, F&& f) {
  using arrow::TypeId;
  switch (id) {
    case TypeId::kInt8: f(std::type_identity<PlainValues<int8_t>>{}); return true;
    case TypeId::kUInt8: f(std::type_identity<PlainValues<uint8_t>>{}); return true;
    case TypeId::kInt16: f(std::type_identity<PlainValues<int16_t>>{}); return true;
    case TypeId::kUInt16: f(std::type_identity<PlainValues<uint16_t>>{}); return true;
    case TypeId::kInt32: case TypeId::kDate32: f(std::type_identity<PlainValues<int32_t>>{}); return true;
    case TypeId::kUInt32: f(std::type_identity<PlainValues<uint32_t>>{}); return true;
    case TypeId::kInt64: case TypeId::kTimestamp: f(std::type_identity<PlainValues<int64_t>>{}); return true;
    case TypeId::kUInt64: f(std::type_identity<PlainValues<uint64_t>>{}); return true;
    case TypeId::kFloat32: f(std::type_identity<PlainValues<float>>{}); return true;
    case TypeId::kFloat64: f(std::type_identity<PlainValues<double>>{}); return true;
    case TypeId::kDecimal128: f(std::type_identity<DecimalValues>{}); return true;
    case TypeId::kBool: f(std::type_identity<BoolValues>{}); return true;
    default: return false;
  }
}

// Calls fn(i) for every valid row i < n of `data`; the loop of a column without nulls
// has no branch per row.
template <typename F>
void for_each_valid(const arrow::ArrayData& data, std::size_t n, F&& fn) {
  if (!has_nulls(data)) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  const auto* bits = static_cast<const uint8_t*>(data.buffers[0]);
  const auto offset = static_cast<std::size_t>(data.offset);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t bit = offset + i;
    if ((bits[bit >> 3] >> (bit & 7)) & 1) fn(i);
  }
}

// A validity bitmap with bit g set where valid[g] != 0.
inline arrow::AlignedBuffer validity_of(const std::vector<uint8_t>& valid, std::size_t groups) {
  arrow::BitmapBuilder bits(static_cast<int64_t>(groups));
  for (std::size_t g = 0; g < groups; ++g) bits.set(static_cast<int64_t>(g), valid[g] != 0);
  return bits.release();
}

// The values buffer of groups 0..groups-1 (bit-packed for bool).
template <typename Values>
arrow::AlignedBuffer values_of(const std::vector<typename Values::Value>& values, std::size_t groups) {
  if constexpr (std::is_same_v<Values, BoolValues>) {
    arrow::BitmapBuilder bits(static_cast<int64_t>(groups));
    for (std::size_t g = 0; g < groups; ++g) bits.set(static_cast<int64_t>(g), values[g] != 0);
    return bits.release();
  } else {
    arrow::AlignedBuffer out(groups * sizeof(typename Values::Value));
    if (groups > 0) std::memcpy(out.data(), values.data(), groups * sizeof(typename Values::Value));
    return out;
  }
}

// A result column of `groups` rows from a values buffer and optional validity flags.
inline std::shared_ptr<const arrow::ArrayData> result_column(std::size_t groups, arrow::AlignedBuffer values,
                                                             const std::vector<uint8_t>* valid) {
  std::vector<arrow::AlignedBuffer> buffers;
  buffers.push_back(valid != nullptr ? validity_of(*valid, groups) : arrow::AlignedBuffer());
  buffers.push_back(std::move(values));
  return arrow::make_array(static_cast<int64_t>(groups), std::move(buffers));
}

// The nullable result column of groups 0..groups-1: fill(g, value) sets group g's value
// and says whether it is valid (a null's value stays 0).
template <typename Values, typename Fill>
std::shared_ptr<const arrow::ArrayData> nullable_result(std::size_t groups, Fill&& fill) {
  using Value = typename Values::Value;
  const auto length = static_cast<int64_t>(groups);
  arrow::BitmapBuilder valid(length);
  std::vector<arrow::AlignedBuffer> buffers;
  if constexpr (std::is_same_v<Values, BoolValues>) {
    arrow::BitmapBuilder bits(length);
    for (std::size_t g = 0; g < groups; ++g) {
      Value value{};
      const bool ok = fill(g, value);
      valid.set(static_cast<int64_t>(g), ok);
      bits.set(static_cast<int64_t>(g), ok && value != 0);
    }
    buffers.push_back(valid.release());
    buffers.push_back(bits.release());
  } else {
    arrow::AlignedBuffer out(groups * sizeof(Value));
    for (std::size_t g = 0; g < groups; ++g) {
      Value value{};
      valid.set(static_cast<int64_t>(g), fill(g, value));
      std::memcpy(out.data() + g * sizeof(Value), &value, sizeof(Value));
    }
    buffers.push_back(valid.release());
    buffers.push_back(std::move(out));
  }
  return arrow::make_array(length, std::move(buffers));
}

// One group's exact sum of unscaled decimals and its count (decimal mean and the decimal
// summary). A sum leaving 128 bits (only possible near decimal128's own limit) moves into
// `spill` as a double.
struct DecimalSumState {
  int128 sum;
  double spill;
  int64_t count;

  // Adds `value` to the sum; true when the sum left 128 bits (it moved into the spill).
  bool add(int128 value) noexcept {
    int128 next;
    if (add_overflow(sum, value, &next)) [[unlikely]] {
      spill += static_cast<double>(sum) + static_cast<double>(value);
      sum = int128{0};
      return true;
    }
    sum = next;
    return false;
  }
  // The mean, `unit` being 10^-scale; call only with a count.
  double mean(double unit) const noexcept {
    return (static_cast<double>(sum) + spill) / static_cast<double>(count) * unit;
  }
};

// An accumulator whose per-group state is the trivially copyable `State`, kept in the
// group rows (which copy states with memcpy when they grow).
template <typename State>
class RowAccumulator : public Accumulator {
  static_assert(std::is_trivially_copyable_v<State> && alignof(State) <= 16);

 public:
  explicit RowAccumulator(State empty) : empty_(empty) {}

  std::size_t state_size() const noexcept final { return sizeof(State); }
  std::size_t state_align() const noexcept final { return alignof(State); }
  void add_groups(StateRows rows, std::size_t from, std::size_t to) final {
    for (std::size_t g = from; g < to; ++g) ::new (rows[g]) State(empty_);
  }

 protected:
  static State& at(StateRows rows, std::size_t g) noexcept { return *std::launder(reinterpret_cast<State*>(rows[g])); }

 private:
  State empty_;
};

// An accumulator with variable-size state, kept on its own (no bytes in the group rows) in
// arrays indexed by group id, grown by resize().
class SideAccumulator : public Accumulator {
 public:
  std::size_t state_size() const noexcept final { return 0; }
  std::size_t state_align() const noexcept final { return 1; }
  void add_groups(StateRows, std::size_t, std::size_t to) final { resize(to); }

 protected:
  virtual void resize(std::size_t groups) = 0;
};

// The families, one file each.
std::unique_ptr<Accumulator> make_count(bool all_rows);
std::unique_ptr<Accumulator> make_any_all(bool all);
std::unique_ptr<Accumulator> make_sum(const arrow::Field& input);
std::unique_ptr<Accumulator> make_moments(AggregateKind kind, const arrow::Field& input);  // mean, var, std
std::unique_ptr<Accumulator> make_select(AggregateKind kind, const arrow::Field& input);   // min, max, first, last
std::unique_ptr<Accumulator> make_count_distinct(const arrow::Field& input);

}  // namespace headrace::kernels

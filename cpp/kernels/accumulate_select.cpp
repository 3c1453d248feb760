// min, max, first and last: each keeps one value of the input per group. first and last
// compare 64-bit ordinals (the caller's batch sequence << 32 | row), so the result is the
// value of the earliest / latest row of the input however the batches were spread over
// workers. Nulls are skipped. For floats, NaN is skipped unless every value is NaN.
// Fixed-width values live in the group rows, strings in the accumulator's own arrays.
// Strings: a batch's winners are first kept as views into the batch and copied into the
// accumulator's arena once per batch, so a group costs at most one copy per batch.
#include <cmath>
#include <limits>

#include "kernels/accumulator_values.h"
#include "kernels/string_arena.h"

namespace headrace::kernels {

namespace {

enum class Pick { kMin, kMax, kFirst, kLast };

constexpr bool uses_ordinals(Pick pick) { return pick == Pick::kFirst || pick == Pick::kLast; }

// True if (value, ordinal) should replace the current (value, ordinal) of a group.
template <Pick kPick, typename T>
bool better(const T& value, uint64_t ordinal, const T& current, uint64_t current_ordinal) noexcept {
  if constexpr (kPick == Pick::kFirst) {
    return ordinal < current_ordinal;
  } else if constexpr (kPick == Pick::kLast) {
    return ordinal > current_ordinal;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(current)) return !std::isnan(value);
    return kPick == Pick::kMin ? value < current : value > current;
  } else {
    return kPick == Pick::kMin ? value < current : value > current;
  }
}

// min or max of a group without a branch per row: the value starts at the identity (the
// type's largest / smallest; NaN for floats, which any value replaces, so that it stays
// NaN only when every value is NaN) and `seen` says whether there was any value.
template <typename T>
struct ExtremeState {
  T value;
  uint8_t seen;
};

template <typename Values, Pick kPick>
class ExtremeAccumulator final : public RowAccumulator<ExtremeState<typename Values::Value>> {
  using T = typename Values::Value;
  using State = ExtremeState<T>;
  using Base = RowAccumulator<State>;
  using Base::at;

 public:
  ExtremeAccumulator() : Base(State{identity(), 0}) {}

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) {
      State& group = at(rows, groups[i]);
      group.value = pick(values[i], group.value);
      group.seen = 1;
    });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) {
      State& group = at(rows, groups[k]);
      const State& from = at(source_rows, source_groups[k]);
      group.value = pick(from.value, group.value);
      group.seen |= from.seen;
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    return nullable_result<Values>(groups, [&](std::size_t g, T& out) {
      if (!at(rows, g).seen) return false;
      out = at(rows, g).value;
      return true;
    });
  }

 private:
  static T identity() noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      return std::numeric_limits<T>::quiet_NaN();
    } else if constexpr (std::is_same_v<T, int128>) {
      return kPick == Pick::kMin ? kInt128Max : -kInt128Max - 1;
    } else {
      return kPick == Pick::kMin ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
    }
  }

  // The new current value: `value` if it is better (a tie keeps the current one).
  static T pick(T value, T current) noexcept {
    bool take = kPick == Pick::kMin ? value < current : value > current;
    if constexpr (std::is_floating_point_v<T>) take = take || current != current;
    return take ? value : current;
  }
};

// first or last of a group: the value of the smallest / largest ordinal seen.
template <typename T>
struct OrdinalState {
  T value;
  uint64_t ordinal;
  uint8_t seen;
};

template <typename Values, Pick kPick>
class OrdinalAccumulator final : public RowAccumulator<OrdinalState<typename Values::Value>> {
  using T = typename Values::Value;
  using State = OrdinalState<T>;
  using Base = RowAccumulator<State>;
  using Base::at;

 public:
  OrdinalAccumulator() : Base(State{T{}, 0, 0}) {}

  void update(StateRows rows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t ordinal_base) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) { offer(at(rows, groups[i]), values[i], ordinal_base + i); });
  }

  void merge(StateRows rows, const Accumulator&, StateRows source_rows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const State& from = at(source_rows, source_groups[k]);
      if (from.seen) offer(at(rows, groups[k]), from.value, from.ordinal);
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows rows, std::size_t groups, std::size_t) override {
    return nullable_result<Values>(groups, [&](std::size_t g, T& out) {
      out = at(rows, g).value;
      return at(rows, g).seen != 0;
    });
  }

 private:
  static void offer(State& group, T value, uint64_t ordinal) noexcept {
    if (group.seen && !better<kPick>(value, ordinal, group.value, group.ordinal)) return;
    group.value = value;
    group.ordinal = ordinal;
    group.seen = 1;
  }
};

template <Pick kPick>
class StringSelectAccumulator final : public SideAccumulator {
 public:
  StringSelectAccumulator(arrow::Field input, bool large_result)
      : input_(std::move(input)), large_result_(large_result) {}

  void update(StateRows, const arrow::ArrayData* column, const uint32_t* groups, std::size_t n,
              uint64_t ordinal_base) override {
    const arrow::ArrayView view(*column, input_);
    for_each_valid(*column, n, [&](std::size_t i) {
      // first: a group's first row in a batch already beats the later rows of the batch.
      if (kPick == Pick::kFirst && pending_[groups[i]]) return;
      offer(groups[i], view.string_value(static_cast<int64_t>(i)), ordinal_base + i);
    });
    commit();
  }

  void merge(StateRows, const Accumulator& source, StateRows, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const StringSelectAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const uint32_t s = source_groups[k];
      if (other.seen_[s]) offer(groups[k], other.values_[s], uses_ordinals(kPick) ? other.ordinals_[s] : 0);
    }
    commit();
  }

  std::shared_ptr<const arrow::ArrayData> finish(StateRows, std::size_t groups, std::size_t) override {
    arrow::StringBuilder builder(large_result_, static_cast<int64_t>(groups), input_.name);
    for (std::size_t g = 0; g < groups; ++g) {
      if (seen_[g]) {
        builder.append(values_[g]);
      } else {
        builder.append_null();
      }
    }
    return builder.finish();
  }

 private:
  void resize(std::size_t groups) override {
    values_.resize(groups);
    seen_.resize(groups, 0);
    pending_.resize(groups, 0);
    if constexpr (uses_ordinals(kPick)) ordinals_.resize(groups, 0);
  }

  // Takes a view that may point outside the arena until commit().
  void offer(uint32_t g, std::string_view value, uint64_t ordinal) {
    const uint64_t current = uses_ordinals(kPick) ? ordinals_[g] : 0;
    if (seen_[g] && !better<kPick>(value, ordinal, values_[g], current)) return;
    values_[g] = value;
    seen_[g] = 1;
    if constexpr (uses_ordinals(kPick)) ordinals_[g] = ordinal;
    if (!pending_[g]) {
      pending_[g] = 1;
      touched_.push_back(g);
    }
  }

  void commit() {
    for (uint32_t g : touched_) {
      values_[g] = arena_.copy(values_[g]);
      pending_[g] = 0;
    }
    touched_.clear();
  }

  arrow::Field input_;
  bool large_result_;
  std::vector<std::string_view> values_;
  std::vector<uint8_t> seen_;
  std::vector<uint8_t> pending_;  // the value still points into the batch (or source)
  std::vector<uint64_t> ordinals_;
  std::vector<uint32_t> touched_;
  StringArena arena_;
};

template <Pick kPick>
std::unique_ptr<Accumulator> make_pick(const arrow::Field& input) {
  if (input.type.is_string()) {
    return std::make_unique<StringSelectAccumulator<kPick>>(input, input.type.id != arrow::TypeId::kUtf8);
  }
  std::unique_ptr<Accumulator> out;
  visit_fixed(input.type.id, [&]<typename Values>(std::type_identity<Values>) {
    if constexpr (uses_ordinals(kPick)) {
      out = std::make_unique<OrdinalAccumulator<Values, kPick>>();
    } else {
      out = std::make_unique<ExtremeAccumulator<Values, kPick>>();
    }
  });
  if (!out) throw arrow::ArrowError("cannot select values of column '" + input.name + "' of type " + input.to_string());
  return out;
}

}  // namespace

std::unique_ptr<Accumulator> make_select(AggregateKind kind, const arrow::Field& input) {
  switch (kind) {
    case AggregateKind::kMin: return make_pick<Pick::kMin>(input);
    case AggregateKind::kMax: return make_pick<Pick::kMax>(input);
    case AggregateKind::kFirst: return make_pick<Pick::kFirst>(input);
    default: return make_pick<Pick::kLast>(input);
  }
}

}  // namespace headrace::kernels

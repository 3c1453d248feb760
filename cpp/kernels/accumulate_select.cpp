// min, max, first and last: each keeps one value of the input per group. first and last
// compare 64-bit ordinals (the caller's batch sequence << 32 | row), so the result is the
// value of the earliest / latest row of the input however the batches were spread over
// workers. Nulls are skipped. For floats, NaN is skipped unless every value is NaN.
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

template <typename Values, Pick kPick>
class SelectAccumulator final : public Accumulator {
  using T = typename Values::Value;

 public:
  void resize(std::size_t groups) override { state_.resize(groups, State{}); }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t ordinal_base) override {
    const Values values(*column);
    for_each_valid(*column, n, [&](std::size_t i) { offer(state_[groups[i]], values[i], ordinal_base + i); });
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const SelectAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const State& from = other.state_[source_groups[k]];
      if (from.seen) offer(state_[groups[k]], from.value, from.ordinal);
    }
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
    std::vector<T> values(groups);
    std::vector<uint8_t> seen(groups);
    for (std::size_t g = 0; g < groups; ++g) {
      values[g] = state_[g].value;
      seen[g] = state_[g].seen;
    }
    return result_column(groups, values_of<Values>(values, groups), &seen);
  }

 private:
  // One group's state in one place (a single cache miss per row when groups are many);
  // min and max do without the ordinal.
  struct Ordered {
    T value{};
    uint8_t seen = 0;
    uint64_t ordinal = 0;
  };
  struct Unordered {
    T value{};
    uint8_t seen = 0;
    static constexpr uint64_t ordinal = 0;
  };
  using State = std::conditional_t<uses_ordinals(kPick), Ordered, Unordered>;

  static void offer(State& group, T value, uint64_t ordinal) noexcept {
    if (group.seen && !better<kPick>(value, ordinal, group.value, group.ordinal)) return;
    group.value = value;
    group.seen = 1;
    if constexpr (uses_ordinals(kPick)) group.ordinal = ordinal;
  }

  std::vector<State> state_;
};

template <Pick kPick>
class StringSelectAccumulator final : public Accumulator {
 public:
  StringSelectAccumulator(arrow::Field input, bool large_result)
      : input_(std::move(input)), large_result_(large_result) {}

  void resize(std::size_t groups) override {
    values_.resize(groups);
    seen_.resize(groups, 0);
    pending_.resize(groups, 0);
    if constexpr (uses_ordinals(kPick)) ordinals_.resize(groups, 0);
  }

  void update(const arrow::ArrayData* column, const uint32_t* groups, std::size_t n, uint64_t ordinal_base) override {
    const arrow::ArrayView view(*column, input_);
    for_each_valid(*column, n, [&](std::size_t i) {
      // first: a group's first row in a batch already beats the later rows of the batch.
      if (kPick == Pick::kFirst && pending_[groups[i]]) return;
      offer(groups[i], view.string_value(static_cast<int64_t>(i)), ordinal_base + i);
    });
    commit();
  }

  void merge(const Accumulator& source, std::span<const uint32_t> source_groups,
             std::span<const uint32_t> groups) override {
    const auto& other = static_cast<const StringSelectAccumulator&>(source);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const uint32_t s = source_groups[k];
      if (other.seen_[s]) offer(groups[k], other.values_[s], uses_ordinals(kPick) ? other.ordinals_[s] : 0);
    }
    commit();
  }

  std::shared_ptr<const arrow::ArrayData> finish(std::size_t groups) override {
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
    out = std::make_unique<SelectAccumulator<Values, kPick>>();
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

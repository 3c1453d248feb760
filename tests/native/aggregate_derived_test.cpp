// Native test of the aggregation's own computing: derived decimal columns (programs run a
// chunk at a time inside the sink) against the same sums over columns computed beforehand,
// with nulls, slices, a derived column read by another, a program that cannot run (the rows
// from its chunk on are handed back), and the plan's errors; and the lanes of few-group
// chunks (GroupStates::update_in_lanes) against a plain reference, splittable and other
// accumulators side by side.
#include "arrays.h"
#include "check.h"

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/aggregate.h"
#include "kernels/portable.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

using i128 = headrace::kernels::int128;
using Decimals = std::vector<std::optional<i128>>;

Field decimal(const std::string& name, int precision, int scale) {
  Field f = field(name, TypeId::kDecimal128);
  f.type.precision = precision;
  f.type.scale = scale;
  return f;
}

template <typename T>
T value(const ArrayData& data, const Field& f, int64_t i) {
  return ArrayView(data, f).values<T>()[i];
}

// Per key: the sum (nullopt without a valid value) and count of a decimal result column.
using Sums = std::map<int32_t, std::pair<std::optional<i128>, int64_t>>;

Sums sums_of(const std::vector<Columns>& partitions, const AggregatePlan& plan, std::size_t sum, std::size_t count) {
  Sums out;
  const auto& fields = plan.output_fields();
  for (const auto& p : partitions) {
    for (int64_t r = 0; r < p[0]->length; ++r) {
      const auto key = value<int32_t>(*p[0], fields[0], r);
      std::optional<i128> s;
      if (ArrayView(*p[sum], fields[sum]).is_valid(r)) s = value<i128>(*p[sum], fields[sum], r);
      out[key] = {s, value<int64_t>(*p[count], fields[count], r)};
    }
  }
  return out;
}

// price * (1 - discount) and that times (1 + tax), decimal(15, 2) operands: a (38, 4) and
// a (38, 6) result; the literal 1 is decimal(1, 0), so 1 - discount scales it by 100.
struct Tpch {
  Field price = decimal("price", 15, 2), discount = decimal("discount", 15, 2), tax = decimal("tax", 15, 2);
  Field revenue = decimal("revenue", 32, 4), charge = decimal("charge", 38, 6);
  DerivedColumn revenue_program{revenue, {{0, 1}, {0, 0}, {0, 2}, {'-', -1, 100, 1}, {'*'}}, {-1, 1, 2}, {1, 0, 0}};
  DerivedColumn charge_program{charge, {{0, 0}, {0, 1}, {0, 2}, {'+', -1, 100, 1}, {'*'}}, {4, -1, 3}, {0, 1, 0}};
};

std::shared_ptr<const AggregatePlan> tpch_plan(const Tpch& t, bool derived) {
  std::vector<Field> input = {field("k", TypeId::kInt32), t.price, t.discount, t.tax};
  std::vector<DerivedColumn> programs;
  if (derived) {
    programs = {t.revenue_program, t.charge_program};
  } else {
    input.push_back(t.revenue);
    input.push_back(t.charge);
  }
  return std::make_shared<AggregatePlan>(
      input, std::vector<int>{0},
      std::vector<AggregateSpec>{{"sum", 4, "revenue"}, {"count", 4, "n"}, {"sum", 5, "charge"}, {"count", 5, "n2"},
                                 {"mean", 5, "mean_charge"}},
      programs);
}

struct TpchBatch {
  Columns given;     // k, price, discount, tax
  Columns computed;  // revenue and charge, computed here
};

TpchBatch tpch_batch(std::mt19937_64& rng, int rows, int keys) {
  std::vector<std::optional<int32_t>> k;
  Decimals price, discount, tax, revenue, charge;
  for (int i = 0; i < rows; ++i) {
    k.push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(keys)));
    auto maybe = [&](i128 v) { return rng() % 11 == 0 ? std::nullopt : std::optional<i128>(v); };
    price.push_back(maybe(static_cast<i128>(rng() % 10000000) - 1000));
    discount.push_back(maybe(static_cast<i128>(rng() % 11)));
    tax.push_back(maybe(static_cast<i128>(rng() % 9)));
    if (price.back() && discount.back()) {
      revenue.push_back(*price.back() * (100 - *discount.back()));
    } else {
      revenue.push_back(std::nullopt);
    }
    charge.push_back(revenue.back() && tax.back() ? std::optional<i128>(*revenue.back() * (100 + *tax.back()))
                                                   : std::nullopt);
  }
  return {{fixed(k), fixed(price), fixed(discount), fixed(tax)}, {fixed(revenue), fixed(charge)}};
}

Sums run_tpch(const std::shared_ptr<const AggregatePlan>& plan, const std::vector<Columns>& batches,
              std::size_t sum_column) {
  auto state = std::make_unique<AggregateLocalState>(plan);
  bool all = true;
  for (const Columns& batch : batches) all = all && state->sink(batch, batch.front()->length, 0) == batch.front()->length;
  check(all, "every row added");
  AggregateGlobalState global(plan);
  global.combine(std::move(state));
  return sums_of(global.finalize(), *plan, sum_column, sum_column + 1);
}

void test_derived_columns() {
  Tpch t;
  std::mt19937_64 rng(5);
  std::vector<Columns> given, full;
  for (int rows : {10000, 1, 4096, 5000}) {
    TpchBatch b = tpch_batch(rng, rows, 7);
    Columns all = b.given;
    all.insert(all.end(), b.computed.begin(), b.computed.end());
    // A sliced batch: every column from row 3 on.
    if (rows > 3) {
      for (auto* columns : {&b.given, &all}) {
        for (auto& c : *columns) c = slice(c, 3, rows - 3);
      }
    }
    given.push_back(b.given);
    full.push_back(all);
  }
  auto derived = tpch_plan(t, true), computed = tpch_plan(t, false);
  check(derived->given_columns() == 4 && derived->input_fields().size() == 6, "derived columns follow the given ones");
  for (std::size_t sum : {1, 3}) {
    check(run_tpch(derived, given, sum) == run_tpch(computed, full, sum),
          sum == 1 ? "a derived product's sum and count equal those of the column computed beforehand"
                   : "a derived column read by another: sums and counts equal, nulls of either operand skipped");
  }
  // Given every column, the derived ones are not computed: the same plan takes them as is.
  check(run_tpch(derived, full, 3) == run_tpch(computed, full, 3), "a plan with derived columns takes them given");
}

void test_program_that_cannot_run() {
  // A price beyond 64 bits in row 5000 (the second chunk): the first chunk's rows are added,
  // the rest are handed back, and added again with the derived columns given, the sums equal.
  Tpch t;
  std::mt19937_64 rng(9);
  TpchBatch b = tpch_batch(rng, 9000, 3);
  Decimals price(9000), revenue(9000), charge(9000);
  for (int64_t i = 0; i < 9000; ++i) {
    price[i] = i == 5000 ? i128{1} << 70 : i128{100};
    revenue[i] = price[i].value() * 100;  // discount 0
    charge[i] = revenue[i].value() * 100;  // tax 0
  }
  Decimals zeros(9000, i128{0});
  Columns given = {b.given[0], fixed(price), fixed(zeros), fixed(zeros)};
  auto plan = tpch_plan(t, true);
  auto state = std::make_unique<AggregateLocalState>(plan);
  const int64_t added = state->sink(given, 9000, 0);
  check(added == 4096, "the rows before the chunk whose program cannot run are added, no others");
  Columns rest;
  for (const Column& c : given) rest.push_back(slice(c, added, 9000 - added));
  rest.push_back(slice(fixed(revenue), added, 9000 - added));
  rest.push_back(slice(fixed(charge), added, 9000 - added));
  check(state->sink(rest, 9000 - added, static_cast<uint64_t>(added)) == 9000 - added, "the rest, given, is added");
  AggregateGlobalState global(plan);
  global.combine(std::move(state));
  i128 total = 0;
  int64_t count = 0;
  for (const auto& [key, sum] : sums_of(global.finalize(), *plan, 3, 4)) {
    total += sum.first.value_or(0);
    count += sum.second;
  }
  check(total == i128{100} * 100 * 100 * 8999 + (i128{1} << 70) * 100 * 100 && count == 9000,
        "every row counted once, the huge one exactly");
}

bool throws(const std::function<void()>& fn, const std::string& text) {
  try {
    fn();
  } catch (const std::exception& e) {
    return std::string(e.what()).find(text) != std::string::npos;
  }
  return false;
}

void test_derived_errors() {
  Tpch t;
  const std::vector<Field> input = {field("k", TypeId::kInt32), t.price, t.discount, t.tax};
  auto plan = [&](DerivedColumn d, std::vector<int> keys = {0}) {
    AggregatePlan(input, keys, {{"sum", 4, "s"}}, {std::move(d)});
  };
  check(throws([&] { plan(DerivedColumn{field("x", TypeId::kInt64), {{0, 0}}, {1}, {0}}); },
               "derived column 'x' must be decimal128"),
        "a derived column that is not decimal128");
  check(throws([&] { plan(DerivedColumn{t.revenue, {{0, 0}, {0, 1}, {'*'}}, {0, 1}, {0, 0}}); },
               "reads column 'k' of type int32, expected decimal128"),
        "an operand column that is not decimal128 is named");
  check(throws([&] { plan(DerivedColumn{t.revenue, {{0, 0}, {0, 1}, {'*'}}, {1, 4}, {0, 0}}); }, "out of range"),
        "a derived column reads only earlier columns");
  check(throws([&] { plan(DerivedColumn{t.revenue, {{0, 0}, {'*'}}, {1}, {0}}); }, "without two values"),
        "a malformed program");
  check(throws([&] { plan(DerivedColumn{t.revenue, {{0, 0}}, {1}, {0}}, {4}); }, "key column index 4 out of range"),
        "a derived column cannot be a key");
  auto good = tpch_plan(t, true);
  AggregateLocalState state(good);
  std::mt19937_64 rng(1);
  TpchBatch b = tpch_batch(rng, 10, 2);
  Columns three(b.given.begin(), b.given.begin() + 3);
  check(throws([&] { state.sink(three, 10, 0); }, "expected 6 (or 4 without the derived ones)"),
        "a batch of neither every column nor the given ones");
}

// ---- Lanes: chunks of few groups, splittable accumulators beside others ----

void test_lanes() {
  std::mt19937_64 rng(3);
  Field dec = decimal("d", 20, 2);
  auto plan = std::make_shared<AggregatePlan>(
      std::vector<Field>{field("k", TypeId::kInt32), field("v", TypeId::kInt64), dec}, std::vector<int>{0},
      std::vector<AggregateSpec>{{"sum", 1, "sum_v"},   {"count", 1, "n_v"},  {"count", -1, "rows"},
                                 {"sum", 2, "sum_d"},   {"mean", 2, "m_d"},   {"first", 1, "first_v"},
                                 {"last", 1, "last_v"}, {"max", 1, "max_v"},  {"count", 2, "n_d"}});
  struct Want {
    i128 sum_v = 0, sum_d = 0;
    int64_t n_v = 0, rows = 0, n_d = 0;
    std::optional<int64_t> first, last, max;
  };
  std::map<std::optional<int32_t>, Want> want;
  std::vector<Columns> batches;
  for (int b = 0; b < 5; ++b) {
    // 3 keys and null at first (lanes), then 20 keys in the last batch (past the lanes).
    const int keys = b < 4 ? 3 : 20, rows = 4096 * 2 + 300 * b;
    std::vector<std::optional<int32_t>> k;
    std::vector<std::optional<int64_t>> v;
    Decimals d;
    for (int i = 0; i < rows; ++i) {
      // Long runs of one key as well as mixed rows.
      const bool run = (i / 1000) % 2 == 0;
      k.push_back(rng() % 13 == 0 ? std::nullopt
                                  : std::optional<int32_t>(run ? (i / 1000) % keys
                                                               : static_cast<int32_t>(rng() % keys)));
      v.push_back(rng() % 7 == 0 ? std::nullopt : std::optional<int64_t>(static_cast<int64_t>(rng() % 2001) - 1000));
      d.push_back(rng() % 5 == 0 ? std::nullopt : std::optional<i128>(static_cast<i128>(rng() % 100000) - 500));
      Want& w = want[k.back()];
      ++w.rows;
      if (v.back()) {
        w.sum_v += *v.back();
        ++w.n_v;
        if (!w.first) w.first = *v.back();
        w.last = *v.back();
        w.max = std::max(w.max.value_or(*v.back()), *v.back());
      }
      if (d.back()) {
        w.sum_d += *d.back();
        ++w.n_d;
      }
    }
    batches.push_back({fixed(k), fixed(v), fixed(d)});
  }
  bool same = true;
  std::size_t groups = 0;
  auto state = std::make_unique<AggregateLocalState>(plan);
  for (std::size_t b = 0; b < batches.size(); ++b) state->sink(batches[b], batches[b][0]->length, b << 32);
  AggregateGlobalState global(plan);
  global.combine(std::move(state));
  const auto& out = plan->output_fields();
  for (const auto& p : global.finalize()) {
    for (int64_t r = 0; r < p[0]->length; ++r, ++groups) {
      std::optional<int32_t> key;
      if (ArrayView(*p[0], out[0]).is_valid(r)) key = value<int32_t>(*p[0], out[0], r);
      const Want& w = want[key];
      const bool any_v = w.n_v > 0, any_d = w.n_d > 0;
      same = same && ArrayView(*p[1], out[1]).is_valid(r) == any_v &&
             (!any_v || i128{value<int64_t>(*p[1], out[1], r)} == w.sum_v) &&
             value<int64_t>(*p[2], out[2], r) == w.n_v && value<int64_t>(*p[3], out[3], r) == w.rows &&
             (!any_d || value<i128>(*p[4], out[4], r) == w.sum_d) &&
             (!any_d || value<double>(*p[5], out[5], r) ==
                            static_cast<double>(w.sum_d) / static_cast<double>(w.n_d) * std::pow(10.0, -2)) &&
             (!any_v || (value<int64_t>(*p[6], out[6], r) == *w.first && value<int64_t>(*p[7], out[7], r) == *w.last &&
                         value<int64_t>(*p[8], out[8], r) == *w.max)) &&
             value<int64_t>(*p[9], out[9], r) == w.n_d;
    }
  }
  check(same && groups == want.size() && groups == 21,
        "few-group chunks in lanes: sums, counts, decimal mean exact; first, last, max in order");
}

}  // namespace

int main() {
  test_derived_columns();
  test_program_that_cannot_run();
  test_derived_errors();
  test_lanes();
  return headrace::testing::exit_code();
}

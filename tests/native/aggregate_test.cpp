// Native test of the hash aggregation: every aggregate over every key type, checked
// against a plain std::map reference; nulls, sliced arrays, NaN and -0.0, dictionaries,
// strings (empty, long, unicode), several batches spread over several local states and
// merged partition by partition (also from several threads), global aggregates over zero
// and some rows, integer overflow, and the errors of a plan that cannot work.
#include "arrays.h"
#include "check.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "arrow/builder.h"
#include "kernels/aggregate.h"
#include "kernels/portable.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

// Reading results.
struct Result {
  const ArrayData* data;
  Field field;
  bool valid(int64_t i) const { return ArrayView(*data, field).is_valid(i); }
  template <typename T>
  T get(int64_t i) const { return ArrayView(*data, field).values<T>()[i]; }
  std::string str(int64_t i) const { return std::string(ArrayView(*data, field).string_value(i)); }
  bool boolean(int64_t i) const { return ArrayView(*data, field).bool_value(i); }
};

// Runs the plan over `batches`, batch b going to local state b % locals; returns one
// set of columns per partition.
std::vector<Columns> run(const std::shared_ptr<const AggregatePlan>& plan, const std::vector<Columns>& batches,
                         int locals = 1, bool threaded_merge = false) {
  std::vector<std::unique_ptr<AggregateLocalState>> states;
  for (int l = 0; l < locals; ++l) states.push_back(std::make_unique<AggregateLocalState>(plan));
  for (std::size_t b = 0; b < batches.size(); ++b) {
    auto& state = *states[b % static_cast<std::size_t>(locals)];
    state.sink(batches[b], batches[b].front()->length, static_cast<uint64_t>(b) << 32);
  }
  AggregateGlobalState global(plan);
  for (auto& state : states) global.combine(std::move(state));
  if (threaded_merge) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (uint32_t p = static_cast<uint32_t>(t); p < global.partitions(); p += 2) global.merge_partition(p);
      });
    }
    for (auto& thread : threads) thread.join();
  }
  return global.finalize();
}

std::shared_ptr<const AggregatePlan> make_plan(std::vector<Field> input, std::vector<int> keys,
                                               std::vector<AggregateSpec> aggregates) {
  return std::make_shared<AggregatePlan>(std::move(input), std::move(keys), std::move(aggregates));
}

// ---- The main randomized test: int32 + utf8 keys, int64/float64/utf8 values. ----

struct Row {
  std::optional<int32_t> k1;
  std::optional<std::string> k2;
  std::optional<int64_t> v;
  std::optional<double> f;
  std::optional<std::string> s;
};

std::string random_string(std::mt19937_64& rng, int choices) {
  static const std::string pool[] = {"", "a", "ü", "日本語", "a string longer than sixteen bytes", "zz", "A"};
  const auto i = rng() % static_cast<uint64_t>(choices);
  if (i < 7) return pool[i];
  std::string out(1, 's');
  out += std::to_string(i);
  return out;
}

struct Expected {
  int64_t count_v = 0, rows = 0;
  int64_t sum_v = 0;
  std::vector<double> fs;
  std::optional<int64_t> min_v, first_v, last_v;
  std::optional<double> max_f;
  std::optional<std::string> first_s, last_s, min_s, max_s;
  std::set<std::string> distinct_s;
};

void test_random_groups() {
  std::mt19937_64 rng(42);
  const int n = 30000;
  std::vector<Row> rows(n);
  for (auto& r : rows) {
    if (rng() % 10) r.k1 = static_cast<int32_t>(rng() % 700) - 100;
    if (rng() % 20) r.k2 = random_string(rng, 9);
    if (rng() % 5) r.v = static_cast<int64_t>(rng() % 2000001) - 1000000;
    if (rng() % 4) r.f = static_cast<double>(static_cast<int64_t>(rng() % 10000)) / 8.0 - 300.0;
    if (rng() % 3) r.s = random_string(rng, 40);
  }
  std::vector<Field> input = {field("k1", TypeId::kInt32), field("k2", TypeId::kUtf8), field("v", TypeId::kInt64),
                              field("f", TypeId::kFloat64), field("s", TypeId::kLargeUtf8)};
  auto plan = make_plan(input, {0, 1},
                        {{"count", 2, "count_v"}, {"count", -1, "rows"}, {"sum", 2, "sum_v"}, {"mean", 3, "mean_f"},
                         {"min", 2, "min_v"}, {"max", 3, "max_f"}, {"first", 4, "first_s"}, {"last", 4, "last_s"},
                         {"var", 3, "var_f"}, {"std", 3, "std_f"}, {"count_distinct", 4, "distinct_s"},
                         {"min", 4, "min_s"}, {"max", 4, "max_s"}, {"first", 2, "first_v"}, {"last", 2, "last_v"}});
  check(plan->output_fields().size() == 17 && plan->output_fields()[4].type.id == TypeId::kInt64 &&
            plan->output_fields()[5].type.id == TypeId::kFloat64 && plan->output_fields()[8].type.id == TypeId::kLargeUtf8,
        "output types: count int64, mean float64, first of large_utf8 large_utf8");

  // Batches of uneven sizes, built as slices of larger arrays (offsets), one empty batch.
  std::vector<Columns> batches;
  std::map<std::pair<std::optional<int32_t>, std::optional<std::string>>, Expected> expected;
  int start = 0, b = 0;
  while (start < n) {
    const int size = b == 2 ? 0 : std::min<int>(n - start, 1 + static_cast<int>(rng() % 5000));
    const int pad = 3;
    std::vector<std::optional<int32_t>> k1(size + pad);
    std::vector<std::optional<std::string>> k2(size + pad), s(size + pad);
    std::vector<std::optional<int64_t>> v(size + pad);
    std::vector<std::optional<double>> f(size + pad);
    for (int i = 0; i < size; ++i) {
      const Row& r = rows[start + i];
      k1[pad + i] = r.k1, k2[pad + i] = r.k2, v[pad + i] = r.v, f[pad + i] = r.f, s[pad + i] = r.s;
    }
    batches.push_back({slice(fixed(k1), pad, size), slice(strings(k2), pad, size), slice(fixed(v), pad, size),
                       slice(fixed(f), pad, size), slice(strings(s, true), pad, size)});
    for (int i = 0; i < size; ++i) {
      const Row& r = rows[start + i];
      Expected& e = expected[{r.k1, r.k2}];
      ++e.rows;
      if (r.v) {
        ++e.count_v;
        e.sum_v += *r.v;
        e.min_v = std::min(e.min_v.value_or(*r.v), *r.v);
        if (!e.first_v) e.first_v = r.v;
        e.last_v = r.v;
      }
      if (r.f) {
        e.fs.push_back(*r.f);
        e.max_f = std::max(e.max_f.value_or(*r.f), *r.f);
      }
      if (r.s) {
        if (!e.first_s) e.first_s = r.s;
        e.last_s = r.s;
        e.min_s = std::min(e.min_s.value_or(*r.s), *r.s);
        e.max_s = std::max(e.max_s.value_or(*r.s), *r.s);
        e.distinct_s.insert(*r.s);
      }
    }
    start += size;
    ++b;
  }

  for (int locals : {1, 3}) {
    const auto parts = run(plan, batches, locals, locals == 3);
    const auto& out = plan->output_fields();
    std::size_t groups = 0;
    bool keys_ok = true, counts_ok = true, sums_ok = true, moments_ok = true, picks_ok = true, strings_ok = true;
    for (const Columns& columns : parts) {
      std::vector<Result> r;
      for (std::size_t c = 0; c < columns.size(); ++c) r.push_back(Result{columns[c].get(), out[c]});
      for (int64_t i = 0; i < columns[0]->length; ++i) {
        ++groups;
        std::optional<int32_t> k1;
        std::optional<std::string> k2;
        if (r[0].valid(i)) k1 = r[0].get<int32_t>(i);
        if (r[1].valid(i)) k2 = r[1].str(i);
        auto it = expected.find({k1, k2});
        if (it == expected.end()) {
          keys_ok = false;
          continue;
        }
        const Expected& e = it->second;
        counts_ok = counts_ok && r[2].get<int64_t>(i) == e.count_v && r[3].get<int64_t>(i) == e.rows &&
                    r[12].get<int64_t>(i) == static_cast<int64_t>(e.distinct_s.size());
        sums_ok = sums_ok && r[4].valid(i) == (e.count_v > 0) && (e.count_v == 0 || r[4].get<int64_t>(i) == e.sum_v);
        const auto nf = static_cast<double>(e.fs.size());
        double mean = 0, m2 = 0;
        for (double x : e.fs) mean += x / nf;
        for (double x : e.fs) m2 += (x - mean) * (x - mean);
        auto close = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); };
        moments_ok = moments_ok && r[5].valid(i) == !e.fs.empty() && (e.fs.empty() || close(r[5].get<double>(i), mean));
        moments_ok = moments_ok && r[10].valid(i) == (e.fs.size() > 1) && r[11].valid(i) == (e.fs.size() > 1);
        if (e.fs.size() > 1) {
          moments_ok = moments_ok && close(r[10].get<double>(i), m2 / (nf - 1)) &&
                       close(r[11].get<double>(i), std::sqrt(m2 / (nf - 1)));
        }
        picks_ok = picks_ok && r[6].valid(i) == e.min_v.has_value() && (!e.min_v || r[6].get<int64_t>(i) == *e.min_v);
        picks_ok = picks_ok && r[7].valid(i) == e.max_f.has_value() && (!e.max_f || r[7].get<double>(i) == *e.max_f);
        picks_ok = picks_ok && r[15].valid(i) == e.first_v.has_value() &&
                   (!e.first_v || (r[15].get<int64_t>(i) == *e.first_v && r[16].get<int64_t>(i) == *e.last_v));
        auto same = [&](int c, const std::optional<std::string>& want) {
          return r[c].valid(i) == want.has_value() && (!want || r[c].str(i) == *want);
        };
        strings_ok = strings_ok && same(8, e.first_s) && same(9, e.last_s) && same(13, e.min_s) && same(14, e.max_s);
      }
    }
    const std::string suffix = " (" + std::to_string(locals) + " local states)";
    check(keys_ok && groups == expected.size(), ("every group once, null keys included" + suffix).c_str());
    check(counts_ok, ("count, count_all, count_distinct" + suffix).c_str());
    check(sums_ok, ("sum of int64, null for no values" + suffix).c_str());
    check(moments_ok, ("mean, var, std (ddof 1)" + suffix).c_str());
    check(picks_ok, ("min, max, first, last of numbers" + suffix).c_str());
    check(strings_ok, ("first, last, min, max of strings" + suffix).c_str());
  }
  check(expected.size() > 2000, "enough groups to grow every partition's table");
}

// ---- Key types. ----

// The groups of `keys` (one int64 count_all per group), as the number of groups and the
// count of the group each row falls in.
std::vector<Columns> count_groups(const Field& key, const Column& data) {
  auto plan = make_plan({key}, {0}, {{"count", -1, "n"}});
  return run(plan, {{data}});
}

std::size_t group_count(const std::vector<Columns>& parts) {
  std::size_t n = 0;
  for (const auto& p : parts) n += static_cast<std::size_t>(p[0]->length);
  return n;
}

void test_key_types() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto floats = count_groups(field("f", TypeId::kFloat64),
                             fixed<double>({0.0, -0.0, nan, -nan, std::nan("3"), 1.5, std::nullopt, 1.5}));
  check(group_count(floats) == 4, "float keys: -0.0 is 0.0, every NaN one group, null its own");
  auto floats32 = count_groups(field("f", TypeId::kFloat32), fixed<float>({0.0f, -0.0f, std::nanf(""), 2.5f}));
  check(group_count(floats32) == 3, "float32 keys");
  auto flags = count_groups(field("b", TypeId::kBool), bools({true, false, std::nullopt, true, false}));
  check(group_count(flags) == 3, "bool keys");
  auto dates = count_groups(field("d", TypeId::kDate32), fixed<int32_t>({19000, 19001, 19000, std::nullopt}));
  Field ts = field("t", TypeId::kTimestamp);
  ts.type.unit = TimeUnit::kMicro;
  auto times = count_groups(ts, fixed<int64_t>({1, 2, 3, 1}));
  check(group_count(dates) == 3 && group_count(times) == 3, "date32 and timestamp keys");
  auto u8 = count_groups(field("u", TypeId::kUInt8), fixed<uint8_t>({255, 0, 255, 7}));
  auto i16 = count_groups(field("i", TypeId::kInt16), fixed<int16_t>({-1, 0, -1, std::nullopt}));
  auto u64 = count_groups(field("u", TypeId::kUInt64), fixed<uint64_t>({~0ULL, 0, ~0ULL}));
  check(group_count(u8) == 3 && group_count(i16) == 3 && group_count(u64) == 2, "integer keys of every width");
  bool u8_ok = false;
  for (const auto& p : u8) {
    Result r{p[0].get(), field("u", TypeId::kUInt8)};
    for (int64_t i = 0; i < p[0]->length; ++i) u8_ok = u8_ok || (r.get<uint8_t>(i) == 255 && p[1].get() != nullptr);
  }
  check(u8_ok, "a uint8 key of 255 comes back as 255");

  // decimal128 key and a decimal sum with the same scale.
  Field dec = field("d", TypeId::kDecimal128);
  dec.type.precision = 10;
  dec.type.scale = 2;
  using i128 = headrace::kernels::int128;  // __int128, or its portable stand-in
  auto decimals = fixed<i128>({i128{12345}, -i128{1} << 70, i128{12345}, std::nullopt});
  auto plan = make_plan({dec, dec}, {0}, {{"sum", 1, "s"}, {"mean", 1, "m"}, {"max", 1, "x"}});
  check(plan->output_fields()[1].type.to_string() == "decimal128(38, 2)", "sum of decimal128(10, 2) is decimal128(38, 2)");
  auto parts = run(plan, {{decimals, decimals}});
  bool dec_ok = group_count(parts) == 3;
  for (const auto& p : parts) {
    Result key{p[0].get(), dec}, sum{p[1].get(), plan->output_fields()[1]}, mean{p[2].get(), field("m", TypeId::kFloat64)};
    for (int64_t i = 0; i < p[0]->length; ++i) {
      if (!key.valid(i)) {
        dec_ok = dec_ok && !sum.valid(i) && !mean.valid(i);
      } else if (key.get<i128>(i) == 12345) {
        dec_ok = dec_ok && sum.get<i128>(i) == 24690 && std::fabs(mean.get<double>(i) - 123.45) < 1e-9;
      } else {
        dec_ok = dec_ok && sum.get<i128>(i) == (-i128{1} << 70);
      }
    }
  }
  check(dec_ok, "decimal128 keys and exact decimal sums and means");

  // A dictionary-encoded key groups by value, like the plain column; utf8_view too.
  auto values = strings({"x", "", "日本", "x", std::nullopt});  // "x" twice, a null value
  auto indices = std::make_shared<ArrayData>(*fixed<int8_t>({0, 1, 2, 3, std::nullopt, 4, 2, 0}));
  indices->dictionary = values;
  Field encoded = field("k", TypeId::kInt8);
  encoded.dictionary = std::make_shared<Field>(field("", TypeId::kUtf8));
  auto dict_plan = make_plan({encoded}, {0}, {{"count", -1, "n"}});
  check(dict_plan->output_fields()[0].type.id == TypeId::kUtf8, "a dictionary key's result is its value type");
  auto dict_parts = run(dict_plan, {{indices}});
  std::map<std::string, int64_t> by_value;
  for (const auto& p : dict_parts) {
    Result key{p[0].get(), dict_plan->output_fields()[0]};
    for (int64_t i = 0; i < p[0]->length; ++i) by_value[key.valid(i) ? key.str(i) : "<null>"] = p[1].get() ? Result{p[1].get(), field("n", TypeId::kInt64)}.get<int64_t>(i) : -1;
  }
  check(by_value == std::map<std::string, int64_t>{{"x", 3}, {"", 1}, {"日本", 2}, {"<null>", 2}},
        "dictionary keys group by value (equal values at two indices, null index and null value)");

  // utf8_view: inline (<= 12 bytes) and out-of-line strings.
  const std::string long_text = "a string longer than twelve";
  std::vector<uint8_t> views(16 * 3, 0);
  auto put_view = [&](int i, const std::string& s, int32_t offset) {
    const auto length = static_cast<int32_t>(s.size());
    std::memcpy(&views[16 * i], &length, 4);
    if (length <= 12) {
      std::memcpy(&views[16 * i + 4], s.data(), s.size());
    } else {
      std::memcpy(&views[16 * i + 4], s.data(), 4);
      const int32_t buffer = 0;
      std::memcpy(&views[16 * i + 8], &buffer, 4);
      std::memcpy(&views[16 * i + 12], &offset, 4);
    }
  };
  put_view(0, "short", 0);
  put_view(1, long_text, 0);
  put_view(2, "short", 0);
  const int64_t sizes[] = {static_cast<int64_t>(long_text.size())};
  ArrayData view_data;
  view_data.length = 3;
  view_data.buffers = {nullptr, views.data(), long_text.data(), sizes};
  auto view_col = std::make_shared<ArrayData>(view_data);
  auto view_plan = make_plan({field("v", TypeId::kUtf8View)}, {0}, {{"count", -1, "n"}, {"max", 0, "m"}});
  check(view_plan->output_fields()[0].type.id == TypeId::kLargeUtf8 &&
            view_plan->output_fields()[2].type.id == TypeId::kLargeUtf8,
        "utf8_view keys and max give large_utf8");
  auto view_parts = run(view_plan, {{view_col}});
  std::map<std::string, int64_t> view_counts;
  for (const auto& p : view_parts) {
    Result key{p[0].get(), view_plan->output_fields()[0]}, n{p[1].get(), field("n", TypeId::kInt64)};
    for (int64_t i = 0; i < p[0]->length; ++i) view_counts[key.str(i)] = n.get<int64_t>(i);
  }
  check(view_counts == std::map<std::string, int64_t>{{"short", 2}, {long_text, 1}}, "utf8_view keys");
}

// ---- Other aggregates and types. ----

void test_bool_unsigned_float() {
  auto keys = fixed<int64_t>({1, 1, 1, 2, 2, 3});
  auto flags = bools({true, false, std::nullopt, true, true, std::nullopt});
  auto small = fixed<uint8_t>({200, 200, 255, 1, std::nullopt, std::nullopt});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto floats = fixed<double>({nan, 2.0, -1.0, nan, nan, std::nullopt});
  auto plan = make_plan({field("k", TypeId::kInt64), field("b", TypeId::kBool), field("u", TypeId::kUInt8),
                         field("f", TypeId::kFloat64)},
                        {0},
                        {{"any", 1, "any"}, {"all", 1, "all"}, {"sum", 2, "sum_u"}, {"min", 1, "min_b"},
                         {"max", 3, "max_f"}, {"min", 3, "min_f"}, {"first", 1, "first_b"}, {"count_distinct", 3, "cd_f"}});
  check(plan->output_fields()[3].type.id == TypeId::kUInt64, "sum of uint8 is uint64");
  auto parts = run(plan, {{keys, flags, small, floats}});
  bool ok = group_count(parts) == 3;
  const auto& out = plan->output_fields();
  for (const auto& p : parts) {
    std::vector<Result> r;
    for (std::size_t c = 0; c < p.size(); ++c) r.push_back(Result{p[c].get(), out[c]});
    for (int64_t i = 0; i < p[0]->length; ++i) {
      const int64_t k = r[0].get<int64_t>(i);
      if (k == 1) {
        ok = ok && r[1].boolean(i) && !r[2].boolean(i) && r[3].get<uint64_t>(i) == 655 && !r[4].boolean(i) &&
             r[5].get<double>(i) == 2.0 && r[6].get<double>(i) == -1.0 && r[7].boolean(i) && r[8].get<int64_t>(i) == 3;
      } else if (k == 2) {
        ok = ok && r[1].boolean(i) && r[2].boolean(i) && r[3].get<uint64_t>(i) == 1 && r[4].boolean(i) &&
             std::isnan(r[5].get<double>(i)) && r[8].get<int64_t>(i) == 1;
      } else {
        ok = ok && !r[1].boolean(i) && r[2].boolean(i) && !r[3].valid(i) && !r[4].valid(i) && !r[5].valid(i) &&
             !r[7].valid(i) && r[8].get<int64_t>(i) == 0;
      }
    }
  }
  check(ok, "any/all skip nulls; uint sums; min of bool; max/min skip NaN unless all NaN; count_distinct NaN once");
}

// No keys: one result row, also for no input (count 0, sums and min null, as SQL).
void test_global_aggregate() {
  auto plan = make_plan({field("v", TypeId::kInt64), field("s", TypeId::kUtf8)}, {},
                        {{"count", -1, "n"}, {"count", 0, "c"}, {"sum", 0, "s"}, {"mean", 0, "m"}, {"min", 1, "mn"},
                         {"count_distinct", 1, "cd"}});
  check(plan->partitions() == 1, "a global aggregate has one partition");
  const auto& out = plan->output_fields();
  auto empty = run(plan, {{fixed<int64_t>({}), strings({})}}, 2);
  check(empty.size() == 1 && empty[0][0]->length == 1 && Result{empty[0][0].get(), out[0]}.get<int64_t>(0) == 0 &&
            Result{empty[0][1].get(), out[1]}.get<int64_t>(0) == 0 && !Result{empty[0][2].get(), out[2]}.valid(0) &&
            !Result{empty[0][3].get(), out[3]}.valid(0) && !Result{empty[0][4].get(), out[4]}.valid(0) &&
            Result{empty[0][5].get(), out[5]}.get<int64_t>(0) == 0,
        "zero rows: one row, count 0, null sum, mean and min");
  auto none = run(plan, {}, 1);
  check(none.size() == 1 && none[0][0]->length == 1, "no batch at all: one row");
  auto one = run(plan, {{fixed<int64_t>({7}), strings({"b"})}, {fixed<int64_t>({std::nullopt, 5}), strings({"a", "b"})}}, 2);
  check(one[0][0]->length == 1 && Result{one[0][0].get(), out[0]}.get<int64_t>(0) == 3 &&
            Result{one[0][1].get(), out[1]}.get<int64_t>(0) == 2 && Result{one[0][2].get(), out[2]}.get<int64_t>(0) == 12 &&
            Result{one[0][3].get(), out[3]}.get<double>(0) == 6.0 && Result{one[0][4].get(), out[4]}.str(0) == "a" &&
            Result{one[0][5].get(), out[5]}.get<int64_t>(0) == 2,
        "rows over two local states: one row");
}

// One key value for all rows; one row; many batches of one group.
void test_small_cases() {
  auto plan = make_plan({field("k", TypeId::kUtf8), field("v", TypeId::kFloat64)}, {0},
                        {{"sum", 1, "s"}, {"var", 1, "var"}, {"first", 1, "first"}, {"last", 1, "last"}});
  std::vector<Columns> batches;
  for (int b = 0; b < 50; ++b) {
    std::vector<std::optional<std::string>> k(100, std::string("same"));
    std::vector<std::optional<double>> v(100);
    for (int i = 0; i < 100; ++i) v[i] = 1e9 + (b * 100 + i) % 7;
    batches.push_back({strings(k), fixed(v)});
  }
  // Batches given out of order to 4 local states: first/last follow the ordinals.
  std::vector<std::unique_ptr<AggregateLocalState>> states;
  for (int l = 0; l < 4; ++l) states.push_back(std::make_unique<AggregateLocalState>(plan));
  for (int b = 49; b >= 0; --b) states[b % 4]->sink(batches[b], batches[b].front()->length, static_cast<uint64_t>(b) << 32);
  AggregateGlobalState global(plan);
  for (auto& state : states) global.combine(std::move(state));
  auto parts = global.finalize();
  const auto& out = plan->output_fields();
  double mean = 0, m2 = 0;
  for (int r = 0; r < 5000; ++r) mean += (1e9 + r % 7) / 5000;
  for (int r = 0; r < 5000; ++r) m2 += (1e9 + r % 7 - mean) * (1e9 + r % 7 - mean);
  bool ok = group_count(parts) == 1;
  for (const auto& p : parts) {
    if (p[0]->length == 0) continue;
    ok = ok && Result{p[0].get(), out[0]}.str(0) == "same" &&
         std::fabs(Result{p[2].get(), out[2]}.get<double>(0) - m2 / 4999) < 1e-6 &&
         Result{p[3].get(), out[3]}.get<double>(0) == 1e9 && Result{p[4].get(), out[4]}.get<double>(0) == 1e9 + 4999 % 7;
  }
  check(ok, "one group over 50 batches in 4 states: var of large values is exact, first/last by ordinal");

  auto single = run(plan, {{strings({"only"}), fixed<double>({2.5})}});
  check(group_count(single) == 1, "one row");
}

// Several of count, sum, mean, min and max of one float column share a fused summary
// state: its results must equal, bit for bit (any NaN as NaN), each aggregate alone
// (NaN, -0.0, infinities, nulls, all-NaN and all-null groups, several states merged).
void test_fused_summary() {
  std::mt19937_64 rng(7);
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(), -0.0, 0.0,
                             std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  std::vector<Columns> batches;
  for (int b = 0; b < 8; ++b) {
    std::vector<std::optional<int64_t>> k;
    std::vector<std::optional<double>> d;
    std::vector<std::optional<float>> f;
    for (int i = 0; i < 700; ++i) {
      const auto key = static_cast<int64_t>(rng() % 300);
      k.push_back(key);
      const auto pick = [&]() -> std::optional<double> {
        if (key % 10 == 0) return std::nullopt;                     // all null
        if (key % 10 == 1) return specials[0];                      // all NaN
        const uint64_t r = rng() % 10;
        if (r == 0) return std::nullopt;
        if (r < 3) return specials[rng() % 5];
        return static_cast<double>(rng() % 2000) / 8.0 - 100.0;
      };
      d.push_back(pick());
      const auto x = pick();
      f.push_back(x ? std::optional<float>(static_cast<float>(*x)) : std::nullopt);
    }
    batches.push_back({fixed(k), fixed(d), fixed(f)});
  }
  std::vector<Field> input = {field("k", TypeId::kInt64), field("d", TypeId::kFloat64), field("f", TypeId::kFloat32)};
  // Interleaved over the two columns, so the fused results are placed back in order.
  std::vector<AggregateSpec> specs;
  for (const char* fn : {"sum", "count", "mean", "min", "max"}) {
    specs.push_back({fn, 1, std::string(fn) + "_d"});
    specs.push_back({fn, 2, std::string(fn) + "_f"});
  }
  // Each output as (key -> valid, value bytes); any NaN is "NaN" (its sign and payload
  // depend on the order of operands, which the compiler may choose).
  using Values = std::map<int64_t, std::pair<bool, std::string>>;
  auto collect = [](const std::vector<Columns>& parts, const std::vector<Field>& out, std::size_t c) {
    Values values;
    for (const auto& p : parts) {
      const TypeId type = out[c].type.id;
      const std::size_t width = type == TypeId::kFloat32 ? 4 : 8;
      for (int64_t i = 0; i < p[0]->length; ++i) {
        const Result r{p[c].get(), out[c]};
        const auto* bytes = static_cast<const char*>(p[c]->buffers[1]) + (p[c]->offset + i) * static_cast<int64_t>(width);
        const bool nan = (type == TypeId::kFloat32 && std::isnan(r.get<float>(i))) ||
                         (type == TypeId::kFloat64 && std::isnan(r.get<double>(i)));
        std::string value = !r.valid(i) ? "" : nan ? "NaN" : std::string(bytes, width);
        values[Result{p[0].get(), out[0]}.get<int64_t>(i)] = {r.valid(i), std::move(value)};
      }
    }
    return values;
  };
  auto fused = make_plan(input, {0}, specs);
  const auto fused_parts = run(fused, batches, 3, true);
  bool ok = group_count(fused_parts) == 300;
  for (std::size_t s = 0; s < specs.size(); ++s) {
    auto alone = make_plan(input, {0}, {specs[s]});
    const Values expected = collect(run(alone, batches, 3, true), alone->output_fields(), 1);
    ok = ok && collect(fused_parts, fused->output_fields(), s + 1) == expected;
  }
  check(ok, "fused count/sum/mean/min/max of float64 and float32 equal each aggregate alone");
}

void test_errors() {
  auto thrown = [](auto&& f, const std::string& fragment) {
    try {
      f();
    } catch (const std::exception& e) {
      if (std::string(e.what()).find(fragment) != std::string::npos) return true;
      std::printf("  message: %s\n", e.what());
    }
    return false;
  };
  auto plan = make_plan({field("k", TypeId::kInt32), field("v", TypeId::kInt64), field("u", TypeId::kUInt64)}, {0},
                        {{"sum", 1, "s"}, {"sum", 2, "su"}});
  const int64_t big = std::numeric_limits<int64_t>::max() - 1;
  check(thrown([&] { run(plan, {{fixed<int32_t>({1, 1}), fixed<int64_t>({big, 2}), fixed<uint64_t>({0, 0})}}); },
               "sum of column 'v' overflows int64"),
        "an int64 sum overflow throws");
  check(thrown([&] { run(plan, {{fixed<int32_t>({1}), fixed<int64_t>({big}), fixed<uint64_t>({0})},
                                {fixed<int32_t>({1}), fixed<int64_t>({big}), fixed<uint64_t>({0})}}, 2); },
               "overflows int64"),
        "an overflow when merging two local states throws");
  check(thrown([&] { run(plan, {{fixed<int32_t>({1, 1}), fixed<int64_t>({1, 2}), fixed<uint64_t>({~0ULL, 1})}}); },
               "sum of column 'u' overflows uint64"),
        "a uint64 sum overflow throws");
  std::vector<Field> input = {field("k", TypeId::kInt32), field("s", TypeId::kUtf8)};
  check(thrown([&] { make_plan(input, {0}, {{"sum", 1, "x"}}); },
               "aggregate 'sum' cannot take column 's' of type utf8; sum takes integers"),
        "sum of strings names the column, type and what sum takes");
  check(thrown([&] { make_plan(input, {0}, {{"median", 1, "x"}}); }, "unknown aggregate 'median' for column 's'; allowed: count"),
        "an unknown aggregate lists the allowed ones");
  check(thrown([&] { make_plan(input, {0}, {{"any", 0, "x"}}); }, "'any' cannot take column 'k' of type int32; any takes bool"),
        "any of int32");
  check(thrown([&] { make_plan(input, {5}, {}); }, "out of range"), "a key index out of range");
}

}  // namespace

// One integer key, the first chunk's keys in a small range: those keys are found by direct
// indexing, keys far outside it (either side) and nulls through the hash index; every key
// is one group, whichever path found it, in every state and after merging.
void test_direct_window() {
  auto plan = make_plan({field("k", TypeId::kInt64)}, {0}, {{"count", -1, "n"}});
  std::mt19937_64 rng(7);
  std::vector<Columns> batches;
  std::map<std::optional<int64_t>, int64_t> expected;
  const int64_t far[] = {-5'000'000'000'000, -70'000, 65'530, 65'536, 1'000'000'000'000,
                         std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (int b = 0; b < 12; ++b) {
    std::vector<std::optional<int64_t>> k(3000);
    for (auto& key : k) {
      const uint64_t pick = rng() % 10;
      if (b == 0 || pick < 6) {
        key = static_cast<int64_t>(rng() % 11) - 5;  // the first batch: only [-5, 5]
      } else if (pick < 9) {
        key = far[rng() % (sizeof(far) / sizeof(far[0]))];
      }  // else null
      ++expected[key];
    }
    batches.push_back({fixed(k)});
  }
  for (int locals : {1, 3}) {
    auto parts = run(plan, batches, locals, locals > 1);
    std::map<std::optional<int64_t>, int64_t> got;
    bool unique = true;
    for (const auto& p : parts) {
      Result key{p[0].get(), plan->output_fields()[0]}, n{p[1].get(), plan->output_fields()[1]};
      for (int64_t r = 0; r < p[0]->length; ++r) {
        std::optional<int64_t> k;
        if (key.valid(r)) k = key.get<int64_t>(r);
        unique = unique && got.emplace(k, n.get<int64_t>(r)).second;
      }
    }
    check(unique && got == expected, "direct window keys and hashed keys form one group each");
  }
}

// Keys that are all dictionary-encoded group by their codes (group_codes.h) when the
// dictionaries are small, and by value otherwise; both kinds of batch, each with its own
// dictionaries (a value at different indices, a null index, a null value), must give one
// group per key. Batches longer than a chunk check that every row keeps its own group and
// its ordinal (first).
void test_dictionary_codes() {
  Field flag = field("flag", TypeId::kInt8);
  flag.dictionary = std::make_shared<Field>(field("", TypeId::kUtf8));
  Field status = field("status", TypeId::kInt32);
  status.dictionary = std::make_shared<Field>(field("", TypeId::kLargeUtf8));
  auto plan = make_plan({flag, status, field("v", TypeId::kInt64)}, {0, 1},
                        {{"count", -1, "n"}, {"sum", 2, "s"}, {"first", 2, "f"}});
  std::mt19937_64 rng(11);
  using Key = std::pair<std::optional<std::string>, std::optional<std::string>>;
  struct Totals {
    int64_t n = 0, s = 0;
    std::optional<int64_t> first;
  };
  std::map<Key, Totals> expected;
  std::vector<Columns> batches;
  const std::vector<std::optional<std::string>> flags = {"A", "N", "R", std::nullopt};
  for (int b = 0; b < 6; ++b) {
    // Batch 3's status dictionary is too large for codes: that batch hashes its keys.
    std::vector<std::optional<std::string>> status_dict = {"O", "F", "日本", std::nullopt, "O"};
    if (b % 2 == 1) std::swap(status_dict[0], status_dict[1]);
    if (b == 3) {
      // append, not "s" + to_string: GCC 12 -O3 warns falsely on the latter (-Wrestrict, GCC bug 105329)
      for (int i = 0; i < 20000; ++i) status_dict.push_back(std::string("s").append(std::to_string(i)));
    }
    std::vector<std::optional<std::string>> flag_dict = flags;
    std::rotate(flag_dict.begin(), flag_dict.begin() + b % 4, flag_dict.end());
    const int64_t rows = b == 5 ? 1 : 9000;
    std::vector<std::optional<int8_t>> fi;
    std::vector<std::optional<int32_t>> si;
    std::vector<std::optional<int64_t>> v;
    for (int64_t r = 0; r < rows; ++r) {
      std::optional<int8_t> f;
      std::optional<int32_t> st;
      if (rng() % 10 != 0) f = static_cast<int8_t>(rng() % flag_dict.size());
      if (rng() % 10 != 0) st = static_cast<int32_t>(rng() % (b == 3 ? status_dict.size() : 5));
      const auto value = static_cast<int64_t>(rng() % 1000);
      fi.push_back(f);
      si.push_back(st);
      v.push_back(value);
      const Key key{f ? flag_dict[*f] : std::nullopt, st ? status_dict[*st] : std::nullopt};
      Totals& t = expected[key];
      ++t.n;
      t.s += value;
      if (!t.first) t.first = value;
    }
    auto f_col = std::make_shared<ArrayData>(*fixed(fi));
    f_col->dictionary = strings(flag_dict);
    auto s_col = std::make_shared<ArrayData>(*fixed(si));
    s_col->dictionary = strings(status_dict, true);
    batches.push_back({f_col, s_col, fixed(v)});
  }
  for (int locals : {1, 2}) {
    auto parts = run(plan, batches, locals, locals > 1);
    std::map<Key, Totals> got;
    bool unique = true;
    for (const auto& p : parts) {
      Result k0{p[0].get(), plan->output_fields()[0]}, k1{p[1].get(), plan->output_fields()[1]};
      Result n{p[2].get(), plan->output_fields()[2]}, s{p[3].get(), plan->output_fields()[3]};
      Result f{p[4].get(), plan->output_fields()[4]};
      for (int64_t r = 0; r < p[0]->length; ++r) {
        Key key{k0.valid(r) ? std::optional(k0.str(r)) : std::nullopt, k1.valid(r) ? std::optional(k1.str(r)) : std::nullopt};
        unique = unique && got.emplace(key, Totals{n.get<int64_t>(r), s.get<int64_t>(r), f.get<int64_t>(r)}).second;
      }
    }
    bool same = unique && got.size() == expected.size();
    for (const auto& [key, t] : expected) {
      auto it = got.find(key);
      same = same && it != got.end() && it->second.n == t.n && it->second.s == t.s &&
             (locals > 1 || it->second.first == t.first);
    }
    check(same, "dictionary keys group by codes and by value alike, batch to batch");
  }
  // An index out of range is an error naming the column, on the codes path too.
  auto bad = std::make_shared<ArrayData>(*fixed<int8_t>({0, 7}));
  bad->dictionary = strings({"A"});
  auto ok_status = std::make_shared<ArrayData>(*fixed<int32_t>({0, 0}));
  ok_status->dictionary = strings({"O"}, true);
  AggregateLocalState state(plan);
  Columns columns{bad, ok_status, fixed<int64_t>({1, 2})};
  bool thrown_named = false;
  try {
    state.sink(columns, 2, 0);
  } catch (const ArrowError& e) {
    thrown_named = std::string(e.what()).find("'flag'") != std::string::npos;
  }
  check(thrown_named, "a dictionary index out of range names the column");
}

// The mean of decimals is their exact sum over the count; sums beyond 128 bits (values near
// decimal128's limit) still give the mean, through a double.
void test_decimal_mean() {
  Field dec = field("d", TypeId::kDecimal128);
  dec.type.precision = 38;
  dec.type.scale = 2;
  using i128 = headrace::kernels::int128;
  i128 big = 1;
  for (int d = 0; d < 37; ++d) big *= 10;  // 10^37: 40 of them overflow 128 bits
  std::vector<std::optional<i128>> huge(40, big), negative(40, -big);
  std::vector<std::optional<i128>> exact = {i128{1}, i128{2}, std::nullopt, i128{-4}, i128{7}};
  auto plan = make_plan({field("k", TypeId::kInt32), dec}, {0}, {{"mean", 1, "m"}});
  std::vector<Columns> batches = {
      {fixed<int32_t>(std::vector<std::optional<int32_t>>(40, 1)), fixed(huge)},
      {fixed<int32_t>(std::vector<std::optional<int32_t>>(40, 2)), fixed(negative)},
      {fixed<int32_t>({3, 3, 3, 3, 3}), fixed(exact)},
  };
  for (int locals : {1, 3}) {
    std::map<int32_t, double> means;
    for (const auto& p : run(plan, batches, locals)) {
      Result key{p[0].get(), field("k", TypeId::kInt32)}, mean{p[1].get(), field("m", TypeId::kFloat64)};
      for (int64_t r = 0; r < p[0]->length; ++r) means[key.get<int32_t>(r)] = mean.get<double>(r);
    }
    check(std::fabs(means[1] / 1e35 - 1) < 1e-12 && std::fabs(means[2] / -1e35 - 1) < 1e-12,
          "decimal means of sums beyond 128 bits");
    check(means[3] == 0.015, "the decimal mean is the exact sum over the count (0.06 / 4)");
  }

  // Fused with a count (one summary state), the mean still spills beyond 128 bits; fused
  // with the sum, the sum's overflow is the error it is alone.
  auto fused = make_plan({field("k", TypeId::kInt32), dec}, {0}, {{"count", 1, "n"}, {"mean", 1, "m"}});
  std::map<int32_t, std::pair<int64_t, double>> counted;
  for (const auto& p : run(fused, batches, 3)) {
    Result key{p[0].get(), field("k", TypeId::kInt32)}, n{p[1].get(), field("n", TypeId::kInt64)},
        mean{p[2].get(), field("m", TypeId::kFloat64)};
    for (int64_t r = 0; r < p[0]->length; ++r) counted[key.get<int32_t>(r)] = {n.get<int64_t>(r), mean.get<double>(r)};
  }
  check(counted[1].first == 40 && std::fabs(counted[1].second / 1e35 - 1) < 1e-12 && counted[3].first == 4 &&
            counted[3].second == 0.015,
        "a fused decimal count and mean, beyond 128 bits too");
  bool overflow_named = false;
  try {
    run(make_plan({field("k", TypeId::kInt32), dec}, {0}, {{"sum", 1, "s"}, {"mean", 1, "m"}}), batches);
  } catch (const ArrowError& e) {
    overflow_named = std::string(e.what()).find("sum of column 'd' overflows") != std::string::npos;
  }
  check(overflow_named, "a fused decimal sum beyond 128 bits is an error naming the column");

  // Random decimals with nulls, several batches and states: the fused sum, mean and count of
  // one column equal the separate accumulators' over copies of it (one aggregate per copy:
  // nothing to fuse).
  std::mt19937_64 rng(11);
  std::vector<Columns> random;
  for (int b = 0; b < 6; ++b) {
    std::vector<std::optional<int32_t>> k;
    std::vector<std::optional<i128>> v;
    for (int i = 0; i < 500; ++i) {
      k.push_back(static_cast<int32_t>(rng() % 40));
      const int64_t x = static_cast<int64_t>(rng() % 2000001) - 1000000;
      v.push_back(rng() % 9 == 0 ? std::nullopt : std::optional<i128>(i128{x} * i128{x}));
    }
    random.push_back({fixed(k), fixed(v), fixed(v), fixed(v), fixed(v)});
  }
  auto both = make_plan({field("k", TypeId::kInt32), dec, dec, dec, dec}, {0},
                        {{"sum", 1, "s"}, {"mean", 1, "m"}, {"count", 1, "n"},
                         {"sum", 2, "s2"}, {"mean", 3, "m2"}, {"count", 4, "n2"}});
  bool same = true;
  std::size_t groups = 0;
  for (const auto& p : run(both, random, 3)) {
    const auto& out = both->output_fields();
    for (int64_t r = 0; r < p[0]->length; ++r, ++groups) {
      Result s{p[1].get(), out[1]}, m{p[2].get(), out[2]}, n{p[3].get(), out[3]};
      Result s2{p[4].get(), out[4]}, m2{p[5].get(), out[5]}, n2{p[6].get(), out[6]};
      same = same && s.valid(r) == s2.valid(r) && (!s.valid(r) || s.get<i128>(r) == s2.get<i128>(r)) &&
             m.valid(r) == m2.valid(r) && (!m.valid(r) || m.get<double>(r) == m2.get<double>(r)) &&
             n.get<int64_t>(r) == n2.get<int64_t>(r);
    }
  }
  check(same && groups == 40, "a fused decimal sum, mean and count equal the separate accumulators");
}

int main() {
  test_random_groups();
  test_key_types();
  test_bool_unsigned_float();
  test_global_aggregate();
  test_small_cases();
  test_fused_summary();
  test_direct_window();
  test_dictionary_codes();
  test_decimal_mean();
  test_errors();
  return headrace::testing::exit_code();
}

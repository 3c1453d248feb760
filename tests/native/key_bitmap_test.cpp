// KeyBitmap against a std::set of the build keys: keys of several widths added from
// several threads (with nulls), probe columns with nulls and offsets, keys at int64's ends,
// a span too wide for a bitmap, no build key at all, and a type it refuses. The Python
// suite checks the same through joins and a hypothesis test (tests/test_join_filter.py).
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "arrays.h"
#include "check.h"
#include "kernels/key_bitmap.h"

using namespace headrace;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

template <typename T>
std::vector<std::optional<T>> random_keys(std::mt19937_64& rng, std::size_t n, int64_t low, int64_t high,
                                          double nulls) {
  std::uniform_int_distribution<int64_t> value(low, high);
  std::bernoulli_distribution null(nulls);
  std::vector<std::optional<T>> out;
  for (std::size_t i = 0; i < n; ++i) {
    if (null(rng)) {
      out.emplace_back();
    } else {
      out.emplace_back(static_cast<T>(value(rng)));
    }
  }
  return out;
}

// The rows of `probe` (all, then every third) that the bitmap keeps equal the reference's.
template <typename T>
bool keeps_members(const KeyBitmap& bitmap, const Column& probe, arrow::TypeId type,
                   const std::vector<std::optional<T>>& values, const std::set<int64_t>& members, int64_t offset) {
  const arrow::Field f = field("k", type);
  const arrow::ArrayView view(*probe, f);
  std::vector<int32_t> expected, expected_thirds, thirds;
  for (int64_t i = 0; i < probe->length; ++i) {
    const auto& v = values[static_cast<std::size_t>(offset + i)];
    const bool in = v.has_value() && members.count(static_cast<int64_t>(*v)) != 0;
    if (in) expected.push_back(static_cast<int32_t>(i));
    if (in && i % 3 == 0) expected_thirds.push_back(static_cast<int32_t>(i));
    if (i % 3 == 0) thirds.push_back(static_cast<int32_t>(i));
  }
  bitmap.keep(view, thirds);
  return bitmap.select(view) == expected && thirds == expected_thirds;
}

void test_random_keys_of_each_width() {
  std::mt19937_64 rng(7);
  std::set<int64_t> members;
  KeyBitmap bitmap;
  // Four threads add int32 build batches with nulls while a fifth adds int8 ones.
  std::vector<std::vector<std::optional<int32_t>>> batches;
  for (int b = 0; b < 4; ++b) batches.push_back(random_keys<int32_t>(rng, 3000, -50000, 50000, 0.1));
  const auto small = random_keys<int8_t>(rng, 200, -128, 127, 0.2);
  for (const auto& batch : batches) {
    for (const auto& v : batch) {
      if (v) members.insert(*v);
    }
  }
  for (const auto& v : small) {
    if (v) members.insert(*v);
  }
  std::vector<Column> columns;
  for (const auto& batch : batches) columns.push_back(fixed(batch));
  const Column small_column = fixed(small);
  {
    std::vector<std::thread> threads;
    for (const Column& c : columns) {
      threads.emplace_back([&bitmap, c] { bitmap.add(arrow::ArrayView(*c, field("k", arrow::TypeId::kInt32))); });
    }
    threads.emplace_back([&] { bitmap.add(arrow::ArrayView(*small_column, field("k", arrow::TypeId::kInt8))); });
    for (auto& t : threads) t.join();
  }
  check(bitmap.finish(), "keys spanning 100001 values get a bitmap");
  check(bitmap.finish(), "finish() again gives the same answer");

  const auto probe64 = random_keys<int64_t>(rng, 9000, -60000, 60000, 0.05);
  const Column p64 = fixed(probe64);
  check(keeps_members(bitmap, p64, arrow::TypeId::kInt64, probe64, members, 0), "int64 probe keys with nulls");
  check(keeps_members(bitmap, slice(p64, 17, 5000), arrow::TypeId::kInt64, probe64, members, 17),
        "a sliced int64 probe column");
  const auto probe16 = random_keys<int16_t>(rng, 4000, -32768, 32767, 0.0);
  check(keeps_members(bitmap, fixed(probe16), arrow::TypeId::kInt16, probe16, members, 0), "int16 probe keys");
  const auto probe_u32 = random_keys<uint32_t>(rng, 4000, 0, 4294967295LL, 0.0);
  check(keeps_members(bitmap, fixed(probe_u32), arrow::TypeId::kUInt32, probe_u32, members, 0),
        "uint32 probe keys, most beyond the span");
}

void test_keys_at_the_ends_of_int64() {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  KeyBitmap high;
  const std::vector<std::optional<int64_t>> top{kMax, kMax - 5, kMax - 1000};
  high.add(arrow::ArrayView(*fixed(top), field("k", arrow::TypeId::kInt64)));
  check(high.finish(), "keys up to int64's maximum get a bitmap");
  const std::vector<std::optional<int64_t>> probe{kMax, kMin, kMax - 5, kMax - 6, 0, kMax - 1000, kMax - 1001};
  check(keeps_members(high, fixed(probe), arrow::TypeId::kInt64, probe, {kMax, kMax - 5, kMax - 1000}, 0),
        "probe keys at both ends of int64 never wrap into the span");

  KeyBitmap low;
  const std::vector<std::optional<int64_t>> bottom{kMin, kMin + 3};
  low.add(arrow::ArrayView(*fixed(bottom), field("k", arrow::TypeId::kInt64)));
  check(low.finish(), "keys from int64's minimum get a bitmap");
  check(keeps_members(low, fixed(probe), arrow::TypeId::kInt64, probe, {kMin, kMin + 3}, 0),
        "int64's minimum matches, its maximum does not");
}

void test_no_bitmap_and_no_keys() {
  KeyBitmap wide;
  const std::vector<std::optional<int64_t>> keys{0, KeyBitmap::kMaxSpan};
  wide.add(arrow::ArrayView(*fixed(keys), field("k", arrow::TypeId::kInt64)));
  check(!wide.finish(), "keys spanning kMaxSpan + 1 values get no bitmap");
  check(!wide.finish(), "and finish() keeps saying so");
  KeyBitmap widest;
  const std::vector<std::optional<int64_t>> ends{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  widest.add(arrow::ArrayView(*fixed(ends), field("k", arrow::TypeId::kInt64)));
  check(!widest.finish(), "keys spanning all of int64 get no bitmap");

  KeyBitmap none;
  const std::vector<std::optional<int32_t>> nulls{std::nullopt, std::nullopt};
  none.add(arrow::ArrayView(*fixed(nulls), field("k", arrow::TypeId::kInt32)));
  check(none.finish(), "only null build keys: an empty bitmap");
  const std::vector<std::optional<int32_t>> probe{0, 1, std::nullopt, -1};
  check(none.select(arrow::ArrayView(*fixed(probe), field("k", arrow::TypeId::kInt32))).empty(),
        "an empty bitmap keeps no row");
}

void test_refused_types() {
  KeyBitmap bitmap;
  const std::vector<std::optional<uint64_t>> keys{1, 2};
  bool threw = false;
  try {
    bitmap.add(arrow::ArrayView(*fixed(keys), field("order_id", arrow::TypeId::kUInt64)));
  } catch (const arrow::ArrowError& e) {
    threw = std::string(e.what()).find("'order_id'") != std::string::npos;
  }
  check(threw, "a uint64 build key column is refused, by name");
}

}  // namespace

int main() {
  test_random_keys_of_each_width();
  test_keys_at_the_ends_of_int64();
  test_no_bitmap_and_no_keys();
  test_refused_types();
  return headrace::testing::exit_code();
}

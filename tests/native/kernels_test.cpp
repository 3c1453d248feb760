// Native test of the hashing and partitioning kernels: equal keys hash equal (-0.0 and 0.0,
// every NaN, dictionary-encoded and plain strings, every integer width), offsets are
// respected, nulls form their own group per column, and partitioning places every row
// exactly once, stably and evenly. Several threads hash the same columns at once (the
// kernels share no mutable state; ThreadSanitizer checks that).
#include "check.h"
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/hash.h"
#include "kernels/partition.h"

using namespace headrace::arrow;
using namespace headrace::kernels;

namespace {

using headrace::testing::check;

Field field(const char* name, TypeId id) { return Field{name, DataType{id}, true, nullptr, {}}; }

// An array over `values` (borrowed), with an optional validity bitmap.
ArrayData fixed(const void* values, int64_t length, const uint8_t* validity = nullptr, int64_t offset = 0) {
  ArrayData data;
  data.length = length;
  data.offset = offset;
  data.null_count = validity ? -1 : 0;
  data.buffers = {validity, values};
  return data;
}

std::vector<uint64_t> hash_one(const ArrayData& data, const Field& f) {
  KeyColumn key{&data, &f};
  return hash_columns(std::span<const KeyColumn>(&key, 1), data.length);
}

struct Utf8 {
  std::vector<int32_t> offsets{0};
  std::string chars;
  explicit Utf8(const std::vector<std::string>& strings) {
    for (const auto& s : strings) {
      chars += s;
      offsets.push_back(static_cast<int32_t>(chars.size()));
    }
  }
  ArrayData data(const uint8_t* validity = nullptr) const {
    ArrayData d;
    d.length = static_cast<int64_t>(offsets.size()) - 1;
    d.null_count = validity ? -1 : 0;
    d.buffers = {validity, offsets.data(), chars.data()};
    return d;
  }
};

void test_bytes() {
  check(hash_bytes("abc", 3) == hash_bytes(std::string("abc")), "equal bytes hash equal");
  check(hash_bytes("a", 1) != hash_bytes("a\0", 2), "the length is part of the hash");
  std::set<uint64_t> seen;
  std::string s;
  for (int n = 0; n < 100; ++n) {
    seen.insert(hash_bytes(s));
    s += static_cast<char>('a' + n % 26);
  }
  check(seen.size() == 100, "prefixes of every length (0-99 bytes, all tail sizes) hash apart");
  std::set<uint64_t> high;
  for (int i = 0; i < 4096; ++i) high.insert(hash_bytes(std::to_string(i)) >> 52);
  // 4096 random draws from 4096 buckets fill about 4096 * (1 - 1/e) = 2589 of them.
  check(high.size() > 2400, "top 12 bits of string hashes spread out");
}

void test_numbers() {
  const int32_t i32[] = {5, -7, 5, 0};
  const int64_t i64[] = {5, -7, 5, 0};
  auto h32 = hash_one(fixed(i32, 4), field("a", TypeId::kInt32));
  auto h64 = hash_one(fixed(i64, 4), field("a", TypeId::kInt64));
  check(h32 == h64, "integers hash alike in every width");
  check(h32[0] == h32[2] && h32[0] != h32[1] && h32[1] != h32[3], "equal integers equal, others apart");

  const double nan2 = -std::numeric_limits<double>::quiet_NaN();
  const double f64[] = {0.0, -0.0, std::nan(""), nan2, std::nan("7"), 1.5};
  const float f32[] = {0.0f, -0.0f, std::nanf(""), -std::nanf(""), std::nanf("3"), 1.5f};
  auto hd = hash_one(fixed(f64, 6), field("f", TypeId::kFloat64));
  auto hf = hash_one(fixed(f32, 6), field("f", TypeId::kFloat32));
  check(hd[0] == hd[1], "-0.0 hashes like 0.0");
  check(hd[2] == hd[3] && hd[2] == hd[4], "every NaN hashes alike");
  check(hd[0] != hd[2] && hd[2] != hd[5], "0, NaN and 1.5 hash apart");
  check(hd == hf, "float32 hashes like float64 of the same value");

  const uint8_t bools = 0b0101;
  auto hb = hash_one(fixed(&bools, 4), field("b", TypeId::kBool));
  check(hb[0] == hb[2] && hb[1] == hb[3] && hb[0] != hb[1], "bool");

  const uint64_t dec[] = {12345, 0, 12345, 1, 12346, 0};  // lo, hi words
  Field d = field("d", TypeId::kDecimal128);
  d.type.precision = 10;
  d.type.scale = 2;
  auto hdec = hash_one(fixed(dec, 3), d);
  check(hdec[0] != hdec[1] && hdec[0] != hdec[2] && hdec[1] != hdec[2], "decimal128 uses both words");
}

void test_nulls_and_offsets() {
  const int64_t values[] = {1, 2, 3, 1, 2, 3, 9};
  const uint8_t validity = 0b1011011;  // rows 2 and 5 are null
  Field f = field("x", TypeId::kInt64);
  auto all = hash_one(fixed(values, 7, &validity), f);
  check(all[2] == all[5] && all[2] == null_hash(0), "nulls hash to the column's null hash");
  check(all[0] == all[3] && all[1] == all[4], "valid rows unaffected by nulls");
  auto sliced = hash_one(fixed(values, 4, &validity, 2), f);
  check(sliced == std::vector<uint64_t>(all.begin() + 2, all.begin() + 6), "a sliced array keeps its offset");

  // (null, 1) and (1, null) are different keys: nulls differ per column position.
  const int64_t a[] = {0, 1};
  const uint8_t a_valid = 0b10, b_valid = 0b01;
  ArrayData da = fixed(a, 2, &a_valid), db = fixed(a, 2, &b_valid);
  KeyColumn keys[] = {{&da, &f}, {&db, &f}};
  auto h = hash_columns(keys, 2);
  check(h[0] != h[1], "(null, 1) and (1, null) hash apart");
  const int64_t p[] = {1, 2}, q[] = {2, 1};
  ArrayData dp = fixed(p, 2), dq = fixed(q, 2);
  KeyColumn pq[] = {{&dp, &f}, {&dq, &f}};
  auto hpq = hash_columns(pq, 2);
  check(hpq[0] != hpq[1], "(1, 2) and (2, 1) hash apart: columns are mixed in order");
}

void test_strings_and_dictionaries() {
  Utf8 plain({"x", "", "yy", "x", "a string longer than sixteen bytes"});
  const uint8_t validity = 0b11011;  // row 2 null
  Field s = field("s", TypeId::kUtf8);
  auto hp = hash_one(plain.data(&validity), s);
  check(hp[0] == hp[3] && hp[0] != hp[1] && hp[2] == null_hash(0), "utf8 values and nulls");

  // The same column dictionary-encoded: values {"a string...", "x", "", "unused"}, int8 indices.
  Utf8 values({"a string longer than sixteen bytes", "x", "", "unused"});
  ArrayData dict = values.data();
  const int8_t indices[] = {1, 2, 99, 1, 0};  // a null row's index is never read
  ArrayData encoded = fixed(indices, 5, &validity);
  encoded.dictionary = std::make_shared<ArrayData>(dict);
  Field enc = field("s", TypeId::kInt8);
  enc.dictionary = std::make_shared<Field>(field("", TypeId::kUtf8));
  check(hash_one(encoded, enc) == hp, "a dictionary-encoded column hashes like the plain column");

  const int8_t bad[] = {1, 4};
  ArrayData out_of_range = fixed(bad, 2);
  out_of_range.dictionary = encoded.dictionary;
  bool thrown = false;
  try {
    hash_one(out_of_range, enc);
  } catch (const ArrowError& e) {
    thrown = std::string(e.what()).find("column 's': dictionary index 4 out of range") != std::string::npos;
  }
  check(thrown, "a dictionary index out of range is an error naming the column");

  Field nested{"st", DataType{TypeId::kStruct}, true, nullptr, {field("x", TypeId::kInt64)}};
  thrown = false;
  try {
    check_hashable(nested, "st");
  } catch (const ArrowError& e) {
    thrown = std::string(e.what()).find("key column 'st' has type struct<x: int64>") != std::string::npos;
  }
  check(thrown, "an unhashable type names the column and its type");

  ArrayData empty;
  empty.buffers = {nullptr, nullptr, nullptr};
  empty.offset = 3;
  check(hash_one(empty, s).empty(), "an empty column without buffers");
}

void test_partitions() {
  const std::size_t n = 100000;
  std::vector<int64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = static_cast<int64_t>(i % 5000);
  Field f = field("k", TypeId::kInt64);
  auto hashes = hash_one(fixed(keys.data(), static_cast<int64_t>(n)), f);
  for (uint32_t parts : {1u, 2u, 3u, 7u, 64u}) {
    auto p = partition_rows<int64_t>(hashes, parts);
    std::vector<int> seen(n, 0);
    bool ordered = true, consistent = true;
    int64_t smallest = static_cast<int64_t>(n), largest = 0;
    for (uint32_t q = 0; q < parts; ++q) {
      auto rows = p.rows_of(q);
      smallest = std::min<int64_t>(smallest, static_cast<int64_t>(rows.size()));
      largest = std::max<int64_t>(largest, static_cast<int64_t>(rows.size()));
      for (std::size_t j = 0; j < rows.size(); ++j) {
        ++seen[static_cast<std::size_t>(rows[j])];
        if (j > 0 && rows[j] <= rows[j - 1]) ordered = false;
        if (partition_of(hashes[static_cast<std::size_t>(rows[j])], parts) != q) consistent = false;
      }
    }
    bool once = true;
    for (int c : seen) once = once && c == 1;
    const double expected = static_cast<double>(n) / parts;
    std::string what = "partitions=" + std::to_string(parts) + ": every row once, stable, balanced";
    check(p.count() == parts && once && ordered && consistent && smallest > 0.5 * expected &&
              largest < 1.5 * expected,
          what.c_str());
  }
  auto small = partition_rows<uint32_t>(std::span<const uint64_t>(hashes.data(), 10), 4);
  check(small.rows.size() == 10 && small.offsets.back() == 10, "uint32 indices");
  auto none = partition_rows<int64_t>({}, 3);
  check(none.rows.empty() && none.offsets == std::vector<int64_t>(4, 0), "no rows");
  bool thrown = false;
  try {
    partition_rows<int64_t>(hashes, 0);
  } catch (const std::invalid_argument&) {
    thrown = true;
  }
  check(thrown, "zero partitions is an error");
  check(partition_of(~0ULL, 5) == 4 && partition_of(0, 5) == 0, "partition_of stays in range");
}

void test_threads() {
  Utf8 plain({"alpha", "beta", "", "gamma delta epsilon zeta"});
  ArrayData data = plain.data();
  Field s = field("s", TypeId::kUtf8);
  const auto expected = hash_one(data, s);
  std::vector<int> same(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      bool ok = true;
      for (int round = 0; round < 200; ++round) ok = ok && hash_one(data, s) == expected;
      same[static_cast<std::size_t>(t)] = ok;
    });
  }
  for (auto& thread : threads) thread.join();
  check(same == std::vector<int>(4, 1), "threads hashing the same columns agree");
}

}  // namespace

int main() {
  test_bytes();
  test_numbers();
  test_nulls_and_offsets();
  test_strings_and_dictionaries();
  test_partitions();
  test_threads();
  return headrace::testing::exit_code();
}

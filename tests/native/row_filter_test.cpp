// RowFilter against a row-by-row reference on random columns: integers with nulls and
// literals outside their range, decimals, floats with NaN, strings (sliced), sets, two
// columns compared, and errors that name the column. The Python suite compares it with
// pyarrow over every type, dictionaries included (tests/test_row_filter.py).
#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "arrays.h"
#include "check.h"
#include "kernels/row_filter.h"

using namespace headrace;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

constexpr int64_t kRows = 5000;

FilterLiteral integer(int64_t v, int32_t scale = -1) {
  FilterLiteral l;
  l.kind = FilterLiteral::Kind::kInteger;
  l.integer = v;
  l.scale = scale;
  return l;
}
FilterLiteral real(double v) {
  FilterLiteral l;
  l.kind = FilterLiteral::Kind::kFloat;
  l.real = v;
  return l;
}
FilterLiteral bytes(const std::string& v) {
  FilterLiteral l;
  l.kind = FilterLiteral::Kind::kBytes;
  l.bytes = v;
  return l;
}

template <typename T>
bool holds(FilterOp op, const T& a, const T& b) {
  switch (op) {
    case FilterOp::kLess: return a < b;
    case FilterOp::kLessEqual: return a <= b;
    case FilterOp::kGreater: return a > b;
    case FilterOp::kGreaterEqual: return a >= b;
    case FilterOp::kEqual: return a == b;
    case FilterOp::kNotEqual: return a != b;
    case FilterOp::kIn: break;
  }
  return false;
}

const FilterOp kOps[] = {FilterOp::kLess, FilterOp::kLessEqual, FilterOp::kGreater,
                         FilterOp::kGreaterEqual, FilterOp::kEqual, FilterOp::kNotEqual};

std::vector<int32_t> expected(int64_t n, const std::function<bool(int64_t)>& pass) {
  std::vector<int32_t> rows;
  for (int64_t i = 0; i < n; ++i) {
    if (pass(i)) rows.push_back(static_cast<int32_t>(i));
  }
  return rows;
}

// True when f throws an E whose message contains `word`.
template <typename E, typename F>
bool throws(F&& f, const std::string& word) {
  try {
    f();
  } catch (const E& e) {
    return std::string(e.what()).find(word) != std::string::npos;
  }
  return false;
}

std::vector<int32_t> run(const std::vector<FilterTerm>& terms, const Columns& columns,
                         const std::vector<arrow::Field>& fields, int64_t n) {
  return RowFilter(terms).select(columns, fields, n);
}

void test_integers() {
  std::mt19937_64 rng(7);
  std::vector<std::optional<int16_t>> values(kRows);
  for (auto& v : values) {
    if (rng() % 10 != 0) v = static_cast<int16_t>(static_cast<int64_t>(rng() % 2001) - 1000);
  }
  const Columns columns{fixed(values)};
  const std::vector<arrow::Field> fields{field("v", arrow::TypeId::kInt16)};
  for (FilterOp op : kOps) {
    for (int64_t literal : {int64_t{-5}, int64_t{0}, int64_t{700}, int64_t{40000}, int64_t{-40000}}) {
      const auto got = run({FilterTerm{"v", op, "", {integer(literal)}}}, columns, fields, kRows);
      const auto want = expected(kRows, [&](int64_t i) { return values[i] && holds<int64_t>(op, *values[i], literal); });
      check(got == want, ("int16 " + std::to_string(static_cast<int>(op)) + " " + std::to_string(literal)).c_str());
    }
  }
  const auto got = run({FilterTerm{"v", FilterOp::kIn, "", {integer(3), integer(-1000), integer(1 << 20)}}}, columns, fields, kRows);
  check(got == expected(kRows, [&](int64_t i) { return values[i] && (*values[i] == 3 || *values[i] == -1000); }),
        "int16 in a set with a value out of range");
}

void test_conjunction_decimals_and_floats() {
  std::mt19937_64 rng(11);
  struct Wide {
    uint64_t low, high;
  };
  std::vector<std::optional<Wide>> prices(kRows);
  std::vector<int64_t> cents(kRows);
  std::vector<std::optional<double>> ratios(kRows);
  for (int64_t i = 0; i < kRows; ++i) {
    cents[i] = static_cast<int64_t>(rng() % 20001) - 10000;
    prices[i] = Wide{static_cast<uint64_t>(cents[i]), cents[i] < 0 ? ~uint64_t{0} : 0};
    const uint64_t r = rng() % 20;
    if (r == 0) continue;
    ratios[i] = r == 1 ? std::nan("") : static_cast<double>(rng() % 1000) / 100.0;
  }
  arrow::Field price = field("price", arrow::TypeId::kDecimal128);
  price.type.precision = 15;
  price.type.scale = 2;
  const Columns columns{fixed(prices), fixed(ratios)};
  const std::vector<arrow::Field> fields{price, field("ratio", arrow::TypeId::kFloat64)};
  for (FilterOp op : kOps) {
    const std::vector<FilterTerm> terms{FilterTerm{"price", op, "", {integer(-1234, 2)}},
                                        FilterTerm{"ratio", FilterOp::kLess, "", {real(5.5)}}};
    const auto want = expected(kRows, [&](int64_t i) {
      return holds<int64_t>(op, cents[i], -1234) && ratios[i] && *ratios[i] < 5.5;
    });
    check(run(terms, columns, fields, kRows) == want, ("decimal then float, op " + std::to_string(static_cast<int>(op))).c_str());
    const auto nan_free = expected(kRows, [&](int64_t i) { return ratios[i] && holds<double>(op, *ratios[i], 2.5); });
    check(run({FilterTerm{"ratio", op, "", {real(2.5)}}}, columns, fields, kRows) == nan_free,
          ("float64 with NaN, op " + std::to_string(static_cast<int>(op))).c_str());
  }
  check(throws<arrow::ArrowError>([&] { run({FilterTerm{"price", FilterOp::kLess, "", {integer(5, 3)}}}, columns, fields, kRows); },
                                  "price"),
        "a decimal literal of another scale is rejected naming the column");
  check(throws<arrow::ArrowError>([&] { run({FilterTerm{"ratio", FilterOp::kLess, "", {bytes("x")}}}, columns, fields, kRows); },
                                  "ratio"),
        "a string literal against a float column is rejected naming the column");
  check(throws<arrow::ArrowError>([&] { run({FilterTerm{"nope", FilterOp::kLess, "", {real(1)}}}, columns, fields, kRows); },
                                  "nope"),
        "a missing column is named");
}

void test_strings_and_columns() {
  std::mt19937_64 rng(13);
  const std::vector<std::string> words{"", "MAIL", "SHIP", "AIR", "REG AIR", "\xc3\xa9t\xc3\xa9", "MAILBOX"};
  std::vector<std::optional<std::string>> modes(kRows + 10);
  std::vector<std::optional<int32_t>> a(kRows), b(kRows);
  for (auto& m : modes) {
    if (rng() % 12 != 0) m = words[rng() % words.size()];
  }
  for (int64_t i = 0; i < kRows; ++i) {
    if (rng() % 15 != 0) a[i] = static_cast<int32_t>(rng() % 50);
    if (rng() % 15 != 0) b[i] = static_cast<int32_t>(rng() % 50);
  }
  // A slice of the strings: offsets start mid-buffer.
  const Column sliced = slice(strings(modes, true), 10, kRows);
  const Columns columns{sliced, fixed(a), fixed(b)};
  const std::vector<arrow::Field> fields{field("mode", arrow::TypeId::kLargeUtf8), field("a", arrow::TypeId::kDate32),
                                         field("b", arrow::TypeId::kDate32)};
  auto mode = [&](int64_t i) { return modes[static_cast<std::size_t>(i) + 10]; };
  for (FilterOp op : kOps) {
    const auto got = run({FilterTerm{"mode", op, "", {bytes("MAIL")}}}, columns, fields, kRows);
    check(got == expected(kRows, [&](int64_t i) { return mode(i) && holds<std::string>(op, *mode(i), "MAIL"); }),
          ("sliced large_utf8, op " + std::to_string(static_cast<int>(op))).c_str());
    const auto pairs = run({FilterTerm{"a", op, "b", {}}}, columns, fields, kRows);
    check(pairs == expected(kRows, [&](int64_t i) { return a[i] && b[i] && holds(op, *a[i], *b[i]); }),
          ("date32 against date32, op " + std::to_string(static_cast<int>(op))).c_str());
  }
  const auto in = run({FilterTerm{"mode", FilterOp::kIn, "", {bytes("SHIP"), bytes("\xc3\xa9t\xc3\xa9"), bytes("")}},
                       FilterTerm{"a", FilterOp::kGreaterEqual, "", {integer(10)}}},
                      columns, fields, kRows);
  check(in == expected(kRows, [&](int64_t i) {
          return mode(i) && (*mode(i) == "SHIP" || *mode(i) == "\xc3\xa9t\xc3\xa9" || mode(i)->empty()) && a[i] && *a[i] >= 10;
        }),
        "strings in a set, then a date term");
  check(run({FilterTerm{"a", FilterOp::kLess, "", {integer(-100)}}}, columns, fields, kRows).empty(), "no row below the range");
  check(run({}, columns, fields, kRows).size() == static_cast<std::size_t>(kRows), "no term keeps every row");
  check(run({FilterTerm{"a", FilterOp::kLess, "", {integer(5)}}}, columns, fields, 0).empty(), "an empty batch");
  check(throws<std::invalid_argument>([] { RowFilter({FilterTerm{"a", FilterOp::kLess, "", {}}}); }, "exactly one literal"),
        "a comparison without its literal is rejected");
}

}  // namespace

int main() {
  test_integers();
  test_conjunction_decimals_and_floats();
  test_strings_and_columns();
  return headrace::testing::exit_code();
}

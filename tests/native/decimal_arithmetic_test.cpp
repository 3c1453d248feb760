// Native test of cpp/kernels/decimal_arithmetic.h: programs of + - * over decimal128
// columns and constants on their 64-bit unscaled values, against 128-bit arithmetic, with
// nulls, sliced arrays, scaling factors, rows across several vectors, the refusals (an
// operand, intermediate or result beyond 64 bits) and malformed programs.
#include "arrays.h"
#include "check.h"

#include <functional>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/decimal_arithmetic.h"
#include "kernels/portable.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

struct Words {
  int64_t low, high;
};

Words words_of(int128 v) {
  Words w;
  std::memcpy(&w, &v, 16);
  return w;
}

int128 value_at(const std::vector<uint8_t>& out, std::size_t i) {
  int128 v;
  std::memcpy(&v, out.data() + 16 * i, 16);
  return v;
}

// A column of `values` (nullopt: null) as decimal128 words, sliced by `offset` rows.
std::shared_ptr<ArrayData> column(const std::vector<std::optional<int128>>& values, int64_t offset) {
  std::vector<std::optional<Words>> words;
  for (int64_t i = 0; i < offset; ++i) words.push_back(Words{-1, 5});  // junk before the slice
  for (const auto& v : values) words.push_back(v ? std::optional(words_of(*v)) : std::nullopt);
  auto data = std::make_shared<ArrayData>(*fixed(words));
  data->offset = offset;
  data->length = static_cast<int64_t>(values.size());
  data->null_count = -1;
  return data;
}

// a <op> b as a program of one step.
bool one_op(char op, DecimalOperand a, DecimalOperand b, int64_t fa, int64_t fb, int64_t n, uint8_t* out) {
  const DecimalOperand operands[] = {a, b};
  const DecimalStep steps[] = {{0, 0}, {0, 1}, {op, -1, fa, fb}};
  return decimal_int64_program(steps, operands, n, out);
}

void test_against_128_bits() {
  std::mt19937_64 random(3);
  bool same = true;
  for (int round = 0; round < 300; ++round) {
    const char op = "+-*"[round % 3];
    const std::size_t n = 1 + random() % 40;
    const int shift = 1 + static_cast<int>(random() % 62);
    auto draw = [&]() -> std::optional<int128> {
      if (random() % 7 == 0) return std::nullopt;
      return int128(static_cast<int64_t>(random()) >> shift);
    };
    std::vector<std::optional<int128>> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = draw(), b[i] = draw();
    const bool constant = round % 5 == 0;
    const int64_t c64 = static_cast<int64_t>(random()) >> shift;
    const int128 c = int128(c64);
    const auto left = column(a, static_cast<int64_t>(random() % 3));
    const auto right = column(b, 0);
    const int64_t fa = op == '*' ? 1 : (round % 4 == 0 ? 100 : 1), fb = op == '*' ? 1 : (round % 4 == 1 ? 10 : 1);
    DecimalOperand x{left.get(), 0};
    DecimalOperand y = constant ? DecimalOperand{nullptr, c64} : DecimalOperand{right.get(), 0};
    std::vector<uint8_t> out(16 * n);
    const bool fits = one_op(op, x, y, fa, fb, static_cast<int64_t>(n), out.data());
    bool all_fit = true;
    std::vector<std::optional<int128>> want(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::optional<int128> rhs = constant ? std::optional(c) : b[i];
      if (!a[i] || !rhs) continue;
      const int128 l = *a[i] * int128(fa), r = *rhs * int128(fb);
      const int128 exact = op == '+' ? l + r : op == '-' ? l - r : *a[i] * *rhs;
      const int128 limit = int128(std::numeric_limits<int64_t>::max());
      all_fit = all_fit && exact <= limit && exact >= -limit - int128(1) && l <= limit && l >= -limit - int128(1) &&
                r <= limit && r >= -limit - int128(1);
      want[i] = exact;
    }
    same = same && fits == all_fit;
    if (!fits) continue;
    for (std::size_t i = 0; i < n; ++i) same = same && value_at(out, i) == (want[i] ? *want[i] : int128(0));
  }
  check(same, "+ - * on 64-bit values equal 128-bit arithmetic, and refuse exactly when a value leaves 64 bits");
}

void test_operand_beyond_64_bits() {
  int128 big = int128(1);
  for (int i = 0; i < 20; ++i) big = big * int128(10);  // 10^20
  const auto a = column({int128(1), big}, 0);
  const auto b = column({int128(2), int128(3)}, 0);
  std::vector<uint8_t> out(32);
  check(!one_op('+', {a.get(), 0}, {b.get(), 0}, 1, 1, 2, out.data()),
        "an operand of more than 64 bits is refused");
  // Row 1 is null but holds 10^20: its words are never read as a value.
  const auto nulls = column({int128(1), std::nullopt}, 0);
  auto junk = std::make_shared<ArrayData>(*a);
  junk->buffers[0] = nulls->buffers[0];
  junk->null_count = 1;
  check(one_op('*', {junk.get(), 0}, {b.get(), 0}, 1, 1, 2, out.data()) &&
            value_at(out, 0) == int128(2) && value_at(out, 1) == int128(0),
        "a null row is 0 whatever its words");
}

// p * (c - d) * (c + t) and (p - c) * d + t, as TPC-H's charge: columns over more rows than
// one vector, nulls, a slice, a scaled constant; every row against 128-bit arithmetic, and
// an intermediate beyond 64 bits refused even when the result would fit again.
void test_programs() {
  std::mt19937_64 random(5);
  const std::size_t n = 1500;  // three vectors, the last one partial
  std::vector<std::optional<int128>> p(n), d(n), t(n);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = random() % 11 == 0 ? std::nullopt : std::optional(int128(static_cast<int64_t>(random() % 10000000)));
    d[i] = int128(static_cast<int64_t>(random() % 11));
    t[i] = random() % 13 == 0 ? std::nullopt : std::optional(int128(static_cast<int64_t>(random() % 9)));
  }
  const auto pa = column(p, 2), da = column(d, 0), ta = column(t, 1);
  const DecimalOperand operands[] = {{pa.get(), 0}, {nullptr, 100}, {da.get(), 0}, {ta.get(), 0}};
  using Steps = std::vector<DecimalStep>;
  // p * (100 - d) * (100 + t): every step at its operands' scale.
  const Steps charge = {{0, 0}, {0, 1}, {0, 2}, {'-', -1, 1, 1}, {'*'}, {0, 1}, {0, 3}, {'+', -1, 1, 1}, {'*'}};
  // (p * 10 - 100) * d + t * 1000: scaled sides.
  const Steps scaled = {{0, 0}, {0, 1}, {'-', -1, 10, 1}, {0, 2}, {'*'}, {0, 3}, {'+', -1, 1, 1000}};
  const std::function<int128(std::size_t)> want_charge = [&](std::size_t i) {
    return *p[i] * (int128(100) - *d[i]) * (int128(100) + *t[i]);
  };
  const std::function<int128(std::size_t)> want_scaled = [&](std::size_t i) {
    return (*p[i] * int128(10) - int128(100)) * *d[i] + *t[i] * int128(1000);
  };
  bool same = true;
  for (const auto& [steps, want] : {std::pair{charge, want_charge}, std::pair{scaled, want_scaled}}) {
    std::vector<uint8_t> out(16 * n);
    same = same && decimal_int64_program(steps, operands, static_cast<int64_t>(n), out.data());
    for (std::size_t i = 0; i < n; ++i) {
      const bool valid = p[i] && t[i];
      same = same && value_at(out, i) == (valid ? want(i) : int128(0));
    }
  }
  check(same, "programs over several vectors equal 128-bit arithmetic, null rows 0");

  // 3037000500^2 leaves 64 bits; divided back it would fit, but no intermediate may leave.
  const auto big = column({int128(1), int128(3037000500)}, 0);
  const DecimalOperand squares[] = {{big.get(), 0}};
  std::vector<uint8_t> out(32);
  check(!decimal_int64_program(Steps{{0, 0}, {0, 0}, {'*'}, {0, 0}, {'-', -1, 1, 1}}, squares, 2, out.data()),
        "an intermediate beyond 64 bits is refused");
  // Constants fold once; a constant step beyond 64 bits is refused.
  const DecimalOperand folded[] = {{big.get(), 0}, {nullptr, int64_t{1} << 40}};
  check(!decimal_int64_program(Steps{{0, 0}, {0, 1}, {0, 1}, {'*'}, {'+', -1, 1, 1}}, folded, 2, out.data()),
        "a constant step beyond 64 bits is refused");
  const auto small = column({int128(1), int128(-3)}, 0);
  const DecimalOperand folds[] = {{small.get(), 0}, {nullptr, int64_t{1} << 40}};
  check(decimal_int64_program(Steps{{0, 1}, {0, 1}, {'+', -1, 1, 1}, {0, 0}, {'*'}}, folds, 2, out.data()) &&
            value_at(out, 0) == (int128(1) << 41) && value_at(out, 1) == int128(-3) * (int128(1) << 41),
        "constants fold before meeting a column");
}

void test_malformed_programs() {
  const auto a = column({int128(1)}, 0);
  const DecimalOperand operands[] = {{a.get(), 0}, {nullptr, 2}};
  std::vector<uint8_t> out(16);
  const auto refused = [&](std::vector<DecimalStep> steps) {
    try {
      decimal_int64_program(steps, operands, 1, out.data());
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  check(refused({{0, 2}}) && refused({{0, 0}, {'+', -1, 1, 1}}) && refused({{0, 0}, {0, 1}}) &&
            refused({{0, 1}}) && refused({}) && refused({{0, 0}, {0, 1}, {'/'}}),
        "malformed programs are refused: operand out of range, a step short of values, values left over, no "
        "array, nothing, an unknown op");
}

}  // namespace

int main() {
  test_against_128_bits();
  test_operand_beyond_64_bits();
  test_programs();
  test_malformed_programs();
  return headrace::testing::exit_code();
}

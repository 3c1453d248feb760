// Native test of cpp/kernels/decimal_arithmetic.h: + - * of decimal128 columns and
// constants on their 64-bit unscaled values, against 128-bit arithmetic, with nulls, a
// sliced array, scaling factors, and the refusals (an operand or a result beyond 64 bits).
#include "arrays.h"
#include "check.h"

#include <optional>
#include <random>
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
    DecimalOperand x{left.get(), 0, fa};
    DecimalOperand y = constant ? DecimalOperand{nullptr, c64, fb} : DecimalOperand{right.get(), 0, fb};
    std::vector<uint8_t> out(16 * n);
    const bool fits = decimal_int64_arithmetic(op, x, y, static_cast<int64_t>(n), out.data());
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
  check(!decimal_int64_arithmetic('+', {a.get(), 0, 1}, {b.get(), 0, 1}, 2, out.data()),
        "an operand of more than 64 bits is refused");
  // Row 1 is null but holds 10^20: its words are never read as a value.
  const auto nulls = column({int128(1), std::nullopt}, 0);
  auto junk = std::make_shared<ArrayData>(*a);
  junk->buffers[0] = nulls->buffers[0];
  junk->null_count = 1;
  check(decimal_int64_arithmetic('*', {junk.get(), 0, 1}, {b.get(), 0, 1}, 2, out.data()) &&
            value_at(out, 0) == int128(2) && value_at(out, 1) == int128(0),
        "a null row is 0 whatever its words");
}

}  // namespace

int main() {
  test_against_128_bits();
  test_operand_beyond_64_bits();
  return headrace::testing::exit_code();
}

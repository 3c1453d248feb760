// Native test of cpp/kernels/portable.h: the 64x64->128-bit product, the 128-bit integer
// and add_overflow (sub_overflow, mul_overflow) give the results of GCC's and Clang's builtins, and byte strings hash to
// the same values on every compiler. Built with -DHEADRACE_PORTABLE_INT128=ON it checks the
// fallbacks MSVC compiles, and compares them with the compiler's __int128 on random values.
#include "check.h"
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "kernels/hash.h"
#include "kernels/portable.h"

using namespace headrace::kernels;
using headrace::testing::check;

namespace {

constexpr uint64_t kAllOnes = ~uint64_t{0};

void test_multiply() {
  Product128 p = multiply_64x64(kAllOnes, kAllOnes);  // (2^64 - 1)^2 = 2^128 - 2^65 + 1
  check(p.low == 1 && p.high == kAllOnes - 1, "(2^64-1)^2");
  p = multiply_64x64(0x100000000ULL, 0x100000000ULL);
  check(p.low == 0 && p.high == 1, "2^32 * 2^32 = 2^64");
  p = multiply_64x64(0x243f6a8885a308d3ULL, 0xb7e151628aed2a6bULL);
  check(p.low == 0x1b10ab7383ee4e31ULL && p.high == 0x1a093c6a3e2cbe4aULL, "a product of two odd constants");
  p = multiply_64x64(12345, 0);
  check(p.low == 0 && p.high == 0, "times zero");
}

void test_int128() {
  const int128 one = 1;
  const int128 big = one << 100;
  check(big > int128(0) && -big < int128(0), "2^100 is positive, its negation negative");
  check((big + big) == (one << 101), "2^100 + 2^100 = 2^101");
  check(-int128(5) + int128(3) == int128(-2), "-5 + 3 = -2");
  check(int128(-7) * int128(6) == int128(-42), "-7 * 6 = -42");
  check(int128(-1) < int128(0) && int128(0) < int128(1) && int128(-2) < int128(-1), "signed order");
  check(kInt128Max > big && -kInt128Max - 1 < -big, "the extremes bound 2^100 and -2^100");
  int128 ten38 = 1;
  for (int d = 0; d < 38; ++d) ten38 *= 10;
  check(static_cast<double>(ten38) == 1e38 && static_cast<double>(-ten38) == -1e38, "10^38 as a double");
  check(static_cast<double>(int128(-12345)) == -12345.0, "-12345 as a double");

  int128 sum;
  check(!add_overflow(kInt128Max - 1, int128(1), &sum) && sum == kInt128Max, "max - 1 + 1 fits");
  check(add_overflow(kInt128Max, int128(1), &sum) && sum == -kInt128Max - 1, "max + 1 overflows, wraps to min");
  check(add_overflow(-kInt128Max - 1, int128(-1), &sum), "min - 1 overflows");
  check(!add_overflow(kInt128Max, -kInt128Max, &sum) && sum == int128(0), "max + -max = 0");
}

void test_add_overflow_64() {
  int64_t s;
  check(!add_overflow<int64_t>(std::numeric_limits<int64_t>::max() - 1, 1, &s), "int64 max - 1 + 1 fits");
  check(add_overflow<int64_t>(std::numeric_limits<int64_t>::max(), 1, &s) && s == std::numeric_limits<int64_t>::min(),
        "int64 max + 1 overflows, wraps to min");
  check(add_overflow<int64_t>(std::numeric_limits<int64_t>::min(), -1, &s), "int64 min - 1 overflows");
  check(!add_overflow<int64_t>(-5, 3, &s) && s == -2, "-5 + 3 = -2");
  uint64_t u;
  check(add_overflow<uint64_t>(kAllOnes, 1, &u) && u == 0, "uint64 max + 1 overflows");
  check(!add_overflow<uint64_t>(kAllOnes - 1, 1, &u) && u == kAllOnes, "uint64 max - 1 + 1 fits");
}

// sub_overflow and mul_overflow on int64 (the decimal kernels' checks): edges, then random
// operands of every magnitude against the exact result in 128 bits where the compiler has it.
void test_sub_mul_overflow_64() {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  int64_t r;
  check(!sub_overflow(kMin + 1, 1, &r) && r == kMin, "int64 min + 1 - 1 fits");
  check(sub_overflow(kMin, 1, &r) && r == kMax, "int64 min - 1 overflows, wraps to max");
  check(sub_overflow(0, kMin, &r), "0 - min overflows");
  check(!sub_overflow(-1, kMin, &r) && r == kMax, "-1 - min = max");
  check(!mul_overflow(kMin, 1, &r) && r == kMin, "min * 1 fits");
  check(mul_overflow(kMin, -1, &r), "min * -1 overflows");
  check(mul_overflow(-1, kMin, &r), "-1 * min overflows");
  check(!mul_overflow(-3037000499, 3037000499, &r) && r == -9223372030926249001, "-sqrt(max) * sqrt(max) fits");
  check(mul_overflow(3037000500, 3037000500, &r), "3037000500^2 overflows");
  check(!mul_overflow(0, kMin, &r) && r == 0, "0 * min = 0");
#if defined(__SIZEOF_INT128__)
  __extension__ using wide = __int128;
  std::mt19937_64 random(11);
  bool same = true;
  for (int i = 0; i < 200000; ++i) {
    const auto a = static_cast<int64_t>(random()) >> (random() % 64);
    const auto b = static_cast<int64_t>(random()) >> (random() % 64);
    const wide product = static_cast<wide>(a) * b, difference = static_cast<wide>(a) - b;
    int64_t p, d;
    const bool p_over = mul_overflow(a, b, &p), d_over = sub_overflow(a, b, &d);
    same = same && p_over == (product != static_cast<int64_t>(product)) && (p_over || p == product);
    same = same && d_over == (difference != static_cast<int64_t>(difference)) && (d_over || d == difference);
  }
  check(same, "mul_overflow and sub_overflow flag exactly the results beyond 64 bits");
#endif
}

// The fallbacks against the compiler's own 128-bit integers (only where both exist).
void test_against_builtin() {
#if defined(HEADRACE_PORTABLE) && defined(__SIZEOF_INT128__)
  __extension__ using builtin = __int128;
  __extension__ using ubuiltin = unsigned __int128;
  auto words = [](builtin v) { return int128::from_words(static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64)); };
  std::mt19937_64 random(7);
  bool products = true, sums = true, orders = true, doubles = true;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t a = random(), b = random() >> (i % 64), c = random(), d = random();
    const ubuiltin exact = static_cast<ubuiltin>(a) * b;
    const Product128 p = multiply_64x64(a, b);
    products = products && p.low == static_cast<uint64_t>(exact) && p.high == static_cast<uint64_t>(exact >> 64);
    const auto x = static_cast<builtin>((static_cast<ubuiltin>(a) << 64) | c) >> (i % 100);
    const auto y = static_cast<builtin>((static_cast<ubuiltin>(d) << 64) | b) >> (i % 90);
    builtin builtin_sum;
    int128 sum;
    const bool overflow = __builtin_add_overflow(x, y, &builtin_sum);
    sums = sums && add_overflow(words(x), words(y), &sum) == overflow && sum == words(builtin_sum);
    orders = orders && (words(x) < words(y)) == (x < y) && (words(x) == words(y)) == (x == y);
    const double converted = static_cast<double>(words(x)), expected = static_cast<double>(x);
    doubles = doubles && std::fabs(converted - expected) <= std::fabs(expected) * 0x1p-52;
  }
  check(products, "multiply_64x64 equals the builtin product on 100000 random pairs");
  check(sums, "add_overflow equals __builtin_add_overflow on 100000 random pairs");
  check(orders, "int128 compares like __int128");
  check(doubles, "int128 converts to double within one unit in the last place");
#endif
}

// Values taken from the build with GCC's builtins: a hash must not depend on the compiler.
void test_hashes_everywhere_equal() {
  check(hash_bytes("a string of more than sixteen bytes, hashed with 128-bit products") == 0xc2333aaa3d968c5eULL,
        "hash of a long string");
  check(hash_bytes("short") == 0x4877ad65edab9896ULL, "hash of a short string");
  check(hash_bytes("") == 0xd5312df7b180e40eULL, "hash of the empty string");
}

}  // namespace

int main() {
  test_multiply();
  test_int128();
  test_add_overflow_64();
  test_sub_mul_overflow_64();
  test_against_builtin();
  test_hashes_everywhere_equal();
  return headrace::testing::exit_code();
}

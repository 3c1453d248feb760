// Compiler-specific operations of the kernels behind one interface. GCC and Clang use
// their builtins (__int128, __builtin_add_overflow, __builtin_prefetch); other compilers
// (MSVC) get intrinsics or plain C++ that computes the same results. Defining
// HEADRACE_PORTABLE (CMake option HEADRACE_PORTABLE_INT128) makes GCC and Clang take the
// fallbacks too, so that the paths of MSVC are tested where MSVC is not available.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#if !defined(HEADRACE_PORTABLE) && (defined(__GNUC__) || defined(__clang__)) && defined(__SIZEOF_INT128__)
#define HEADRACE_HAS_INT128 1
#else
#define HEADRACE_HAS_INT128 0
#endif

#if !HEADRACE_HAS_INT128 && !defined(HEADRACE_PORTABLE) && defined(_MSC_VER) && \
    (defined(_M_X64) || defined(_M_ARM64))
#include <intrin.h>
#define HEADRACE_MSVC_MUL128 1
#else
#define HEADRACE_MSVC_MUL128 0
#endif

namespace headrace::kernels {

// GCC counts a prefetch as free of side effects, so its interprocedural analysis finds a
// member function made only of prefetches (JoinPartition::prefetch) pure and deletes every
// call to it, since its result is unused (GCC 12, -O2). An empty volatile asm taking the
// address is a side effect that costs no instruction and keeps the call.
#if (defined(__GNUC__) || defined(__clang__)) && !defined(HEADRACE_PORTABLE)
#define HEADRACE_KEEP_PREFETCH(address) __asm__ volatile("" : : "r"(address))
#endif

// A hint that `address` will be read soon (no effect where the compiler has no prefetch).
inline void prefetch_address(const void* address) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(HEADRACE_PORTABLE)
  __builtin_prefetch(address);
  HEADRACE_KEEP_PREFETCH(address);
#else
  (void)address;
#endif
}

// A hint that `address` will be written soon, to be kept in every cache level.
inline void prefetch_for_write(const void* address) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(HEADRACE_PORTABLE)
  __builtin_prefetch(address, 1, 3);
  HEADRACE_KEEP_PREFETCH(address);
#else
  (void)address;
#endif
}

// The 128-bit product of a and b as its low and high words.
struct Product128 {
  uint64_t low;
  uint64_t high;
};

inline Product128 multiply_64x64(uint64_t a, uint64_t b) noexcept {
#if HEADRACE_HAS_INT128
  __extension__ using u128 = unsigned __int128;
  const u128 product = static_cast<u128>(a) * b;
  return {static_cast<uint64_t>(product), static_cast<uint64_t>(product >> 64)};
#elif HEADRACE_MSVC_MUL128 && defined(_M_X64)
  uint64_t high;
  const uint64_t low = _umul128(a, b, &high);
  return {low, high};
#elif HEADRACE_MSVC_MUL128
  return {a * b, __umulh(a, b)};
#else
  // Schoolbook multiplication of 32-bit halves; no partial sum below can overflow.
  const uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
  const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const uint64_t middle = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  return {(middle << 32) | (p00 & 0xffffffffu), p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32)};
#endif
}

#if HEADRACE_HAS_INT128

__extension__ using int128 = __int128;

inline constexpr int128 kInt128Max = static_cast<int128>(~static_cast<unsigned __int128>(0) >> 1);

#else

// A signed 128-bit integer in two's complement, laid out like decimal128 and __int128 on a
// little-endian machine (low word first), with the operations the accumulators use.
class int128 {
 public:
  int128() = default;  // trivial, like a built-in integer: state rows are raw memory
  constexpr int128(int64_t value) noexcept  // NOLINT: implicit, like a built-in widening
      : low_(static_cast<uint64_t>(value)), high_(value < 0 ? ~uint64_t{0} : 0) {}
  static constexpr int128 from_words(uint64_t low, uint64_t high) noexcept {
    int128 v;
    v.low_ = low;
    v.high_ = high;
    return v;
  }

  constexpr uint64_t low() const noexcept { return low_; }
  constexpr uint64_t high() const noexcept { return high_; }
  constexpr bool negative() const noexcept { return (high_ >> 63) != 0; }

  // Rounds to nearest from the magnitude's two words (at most one unit in the last place
  // from the correctly rounded value, which a built-in conversion gives).
  explicit operator double() const noexcept {
    const int128 magnitude = negative() ? -*this : *this;
    const double value = static_cast<double>(magnitude.high_) * 18446744073709551616.0 +  // 2^64
                         static_cast<double>(magnitude.low_);
    return negative() ? -value : value;
  }

  friend constexpr int128 operator+(int128 a, int128 b) noexcept {
    const uint64_t low = a.low_ + b.low_;
    return from_words(low, a.high_ + b.high_ + (low < a.low_ ? 1 : 0));
  }
  friend constexpr int128 operator-(int128 a) noexcept { return from_words(~a.low_, ~a.high_) + int128(1); }
  friend constexpr int128 operator-(int128 a, int128 b) noexcept { return a + -b; }
  friend int128 operator*(int128 a, int128 b) noexcept {  // modulo 2^128, as unsigned
    const Product128 low = multiply_64x64(a.low_, b.low_);
    return from_words(low.low, low.high + a.low_ * b.high_ + a.high_ * b.low_);
  }
  friend constexpr int128 operator<<(int128 a, int shift) noexcept {  // 0 <= shift < 128
    if (shift == 0) return a;
    if (shift >= 64) return from_words(0, a.low_ << (shift - 64));
    return from_words(a.low_ << shift, (a.high_ << shift) | (a.low_ >> (64 - shift)));
  }
  constexpr int128& operator+=(int128 b) noexcept { return *this = *this + b; }
  int128& operator*=(int128 b) noexcept { return *this = *this * b; }

  friend constexpr bool operator==(int128 a, int128 b) noexcept = default;
  friend constexpr bool operator<(int128 a, int128 b) noexcept {
    const auto ah = static_cast<int64_t>(a.high_), bh = static_cast<int64_t>(b.high_);
    return ah != bh ? ah < bh : a.low_ < b.low_;
  }
  friend constexpr bool operator>(int128 a, int128 b) noexcept { return b < a; }
  friend constexpr bool operator<=(int128 a, int128 b) noexcept { return !(b < a); }
  friend constexpr bool operator>=(int128 a, int128 b) noexcept { return !(a < b); }

 private:
  uint64_t low_;
  uint64_t high_;
};

static_assert(sizeof(int128) == 16 && std::is_trivially_copyable_v<int128>);

inline constexpr int128 kInt128Max = int128::from_words(~uint64_t{0}, ~uint64_t{0} >> 1);

// a + b into `out`; true if the exact sum does not fit (operands of the same sign, a result
// of the other sign).
inline bool add_overflow(int128 a, int128 b, int128* out) noexcept {
  *out = a + b;
  return a.negative() == b.negative() && out->negative() != a.negative();
}

#endif

// a + b into `out` for the integer types of the sums (int64_t, uint64_t, int128); true if the
// exact sum does not fit, `out` then holds it wrapped around.
template <typename T>
inline bool add_overflow(T a, T b, T* out) noexcept {
  static_assert(std::is_integral_v<T> || std::is_same_v<T, int128>);
#if (defined(__GNUC__) || defined(__clang__)) && !defined(HEADRACE_PORTABLE)
  return __builtin_add_overflow(a, b, out);
#else
  using U = std::make_unsigned_t<T>;
  *out = static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  if constexpr (std::is_unsigned_v<T>) {
    return *out < a;
  } else {
    return ((a < 0) == (b < 0)) && ((*out < 0) != (a < 0));
  }
#endif
}

// a - b and a * b into `out` for int64_t; true if the exact result does not fit, `out`
// then holding it wrapped around.
inline bool sub_overflow(int64_t a, int64_t b, int64_t* out) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(HEADRACE_PORTABLE)
  return __builtin_sub_overflow(a, b, out);
#else
  *out = static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  return ((a < 0) != (b < 0)) && ((*out < 0) != (a < 0));
#endif
}

inline bool mul_overflow(int64_t a, int64_t b, int64_t* out) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(HEADRACE_PORTABLE)
  return __builtin_mul_overflow(a, b, out);
#else
  *out = static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  if (a == 0 || b == 0) return false;
  if (a > 0) return b > 0 ? a > kMax / b : b < kMin / a;
  return b > 0 ? a < kMin / b : b < kMax / a;
#endif
}

}  // namespace headrace::kernels

// The fixed-width column-hash loops in AVX2: 4 rows per vector, two vectors per step. AVX2
// has no 64-bit lane multiply, so mix64's multiplies are built from three 32x32->64 ones
// (vpmuludq); the result is bit for bit the scalar mix64. Only this file's functions are
// compiled for AVX2 (target attribute, not a flag for the file), so nothing AVX2 can leak
// into code that runs before the CPU is checked.
#include "kernels/hash_fixed.h"

#if HEADRACE_HASH_X86

#include <immintrin.h>

#include <cstring>

#if defined(__GNUC__) || defined(__clang__)
#define HEADRACE_AVX2 __attribute__((target("avx2")))
#else
#define HEADRACE_AVX2
#endif

namespace headrace::kernels {

namespace {

// x * c in every 64-bit lane (the low 64 bits of the product).
HEADRACE_AVX2 inline __m256i multiply(__m256i x, uint64_t c) {
  const __m256i c_low = _mm256_set1_epi64x(static_cast<int64_t>(c & 0xffffffffU));
  const __m256i c_high = _mm256_set1_epi64x(static_cast<int64_t>(c >> 32));
  const __m256i low = _mm256_mul_epu32(x, c_low);
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), c_low), _mm256_mul_epu32(x, c_high));
  return _mm256_add_epi64(low, _mm256_slli_epi64(cross, 32));
}

HEADRACE_AVX2 inline __m256i xorshift33(__m256i x) { return _mm256_xor_si256(x, _mm256_srli_epi64(x, 33)); }

HEADRACE_AVX2 inline __m256i mix(__m256i x) {
  x = multiply(xorshift33(x), 0xff51afd7ed558ccdULL);
  x = multiply(xorshift33(x), 0xc4ceb9fe1a85ec53ULL);
  return xorshift33(x);
}

// hash_u64 of every lane.
HEADRACE_AVX2 inline __m256i hash_lanes(__m256i bits) {
  return mix(_mm256_xor_si256(bits, _mm256_set1_epi64x(static_cast<int64_t>(0x9e3779b97f4a7c15ULL))));
}

// Stores the hashes at d (first) or combine_hashes of what is there and them.
template <bool kFirst>
HEADRACE_AVX2 inline void put(__m256i* d, __m256i hash) {
  if constexpr (!kFirst) {
    const __m256i running = _mm256_loadu_si256(d);
    const __m256i rotated = _mm256_or_si256(_mm256_slli_epi64(running, 29), _mm256_srli_epi64(running, 35));
    hash = mix(_mm256_xor_si256(rotated, hash));
  }
  _mm256_storeu_si256(d, hash);
}

// -0.0 as 0.0 and every NaN as the one quiet NaN, as hash_double does.
HEADRACE_AVX2 inline __m256i canonical_bits(__m256d d) {
  const __m256d zero = _mm256_setzero_pd();
  d = _mm256_blendv_pd(d, zero, _mm256_cmp_pd(d, zero, _CMP_EQ_OQ));
  d = _mm256_blendv_pd(d, _mm256_castsi256_pd(_mm256_set1_epi64x(static_cast<int64_t>(kQuietNanBits))),
                       _mm256_cmp_pd(d, d, _CMP_UNORD_Q));
  return _mm256_castpd_si256(d);
}

// Four values from p, as the 64 bits hash_fixed_value hashes.
template <typename T>
HEADRACE_AVX2 inline __m256i load4(const T* p) {
  if constexpr (sizeof(T) == 1) {
    int32_t word;
    std::memcpy(&word, p, 4);
    const __m128i v = _mm_cvtsi32_si128(word);
    return std::is_signed_v<T> ? _mm256_cvtepi8_epi64(v) : _mm256_cvtepu8_epi64(v);
  } else if constexpr (std::is_same_v<T, float>) {
    return canonical_bits(_mm256_cvtps_pd(_mm_loadu_ps(p)));
  } else if constexpr (std::is_same_v<T, double>) {
    return canonical_bits(_mm256_loadu_pd(p));
  } else if constexpr (sizeof(T) == 2) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    return std::is_signed_v<T> ? _mm256_cvtepi16_epi64(v) : _mm256_cvtepu16_epi64(v);
  } else if constexpr (sizeof(T) == 4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return std::is_signed_v<T> ? _mm256_cvtepi32_epi64(v) : _mm256_cvtepu32_epi64(v);
  } else {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
}

// All-ones in lane j where bit j of `bits` (4 bits) is set.
HEADRACE_AVX2 inline __m256i lane_mask(unsigned bits) {
  const __m256i lanes = _mm256_setr_epi64x(1, 2, 4, 8);
  return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_set1_epi64x(bits), lanes), lanes);
}

template <typename T, bool kFirst>
HEADRACE_AVX2 void hash_rows(const FixedColumn& column, std::size_t position, uint64_t* out) {
  const T* values = static_cast<const T*>(column.values);
  auto* dest = reinterpret_cast<__m256i*>(out);
  const int64_t n = column.length;
  const int64_t blocks = n / 8;
  if (column.validity == nullptr) {
    for (int64_t b = 0; b < blocks; ++b) {
      put<kFirst>(dest + 2 * b, hash_lanes(load4(values + 8 * b)));
      put<kFirst>(dest + 2 * b + 1, hash_lanes(load4(values + 8 * b + 4)));
    }
  } else {
    const __m256i null = _mm256_set1_epi64x(static_cast<int64_t>(null_hash(position)));
    for (int64_t b = 0; b < blocks; ++b) {
      const unsigned valid = validity_byte(column.validity, column.validity_bit + 8 * b);
      put<kFirst>(dest + 2 * b, _mm256_blendv_epi8(null, hash_lanes(load4(values + 8 * b)), lane_mask(valid & 0xfU)));
      put<kFirst>(dest + 2 * b + 1, _mm256_blendv_epi8(null, hash_lanes(load4(values + 8 * b + 4)), lane_mask(valid >> 4)));
    }
  }
  hash_fixed_rows<T, kFirst>(column, position, out, 8 * blocks, n);
}

}  // namespace

void hash_fixed_avx2(const FixedColumn& column, std::size_t position, bool first, uint64_t* out) {
  visit_fixed_kind(column.kind, [&]<typename T>() {
    if (first) {
      hash_rows<T, true>(column, position, out);
    } else {
      hash_rows<T, false>(column, position, out);
    }
  });
}

}  // namespace headrace::kernels

#endif  // HEADRACE_HASH_X86

// The fixed-width column-hash loops in AVX-512 (F and DQ): 8 rows per vector, mix64's
// multiplies as 64-bit lane multiplies (vpmullq), validity bits used directly as lane
// masks; bit for bit the scalar hashes. Only this file's functions are compiled for
// AVX-512 (target attribute, not a flag for the file).
#include "kernels/hash_fixed.h"

#if HEADRACE_HASH_X86

#include <immintrin.h>

#if defined(__GNUC__) || defined(__clang__)
#define HEADRACE_AVX512 __attribute__((target("avx512f,avx512dq")))
#else
#define HEADRACE_AVX512
#endif

namespace headrace::kernels {

namespace {

// Every lane. GCC 12's unmasked shifts, rotations and widenings start from a self-initialized
// "undefined" vector, which -Wmaybe-uninitialized reports (GCC bug 105593), also in LTO
// builds where no diagnostic pragma reaches; their zero-masked forms with every lane
// selected are the same instructions without it.
constexpr __mmask8 kAll = 0xff;

HEADRACE_AVX512 inline __m512i xorshift33(__m512i x) { return _mm512_xor_si512(x, _mm512_maskz_srli_epi64(kAll, x, 33)); }

HEADRACE_AVX512 inline __m512i mix(__m512i x) {
  x = _mm512_mullo_epi64(xorshift33(x), _mm512_set1_epi64(static_cast<int64_t>(0xff51afd7ed558ccdULL)));
  x = _mm512_mullo_epi64(xorshift33(x), _mm512_set1_epi64(static_cast<int64_t>(0xc4ceb9fe1a85ec53ULL)));
  return xorshift33(x);
}

// hash_u64 of every lane.
HEADRACE_AVX512 inline __m512i hash_lanes(__m512i bits) {
  return mix(_mm512_xor_si512(bits, _mm512_set1_epi64(static_cast<int64_t>(0x9e3779b97f4a7c15ULL))));
}

// Stores the hashes at out (first) or combine_hashes of what is there and them.
template <bool kFirst>
HEADRACE_AVX512 inline void put(uint64_t* out, __m512i hash) {
  if constexpr (!kFirst) hash = mix(_mm512_xor_si512(_mm512_maskz_rol_epi64(kAll, _mm512_loadu_si512(out), 29), hash));
  _mm512_storeu_si512(out, hash);
}

// -0.0 as 0.0 and every NaN as the one quiet NaN, as hash_double does.
HEADRACE_AVX512 inline __m512i canonical_bits(__m512d d) {
  const __mmask8 zero = _mm512_cmp_pd_mask(d, _mm512_setzero_pd(), _CMP_EQ_OQ);
  const __mmask8 nan = _mm512_cmp_pd_mask(d, d, _CMP_UNORD_Q);
  __m512i bits = _mm512_maskz_mov_epi64(static_cast<__mmask8>(~zero), _mm512_castpd_si512(d));
  return _mm512_mask_mov_epi64(bits, nan, _mm512_set1_epi64(static_cast<int64_t>(kQuietNanBits)));
}

// Eight values from p, as the 64 bits hash_fixed_value hashes.
template <typename T>
HEADRACE_AVX512 inline __m512i load8(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return canonical_bits(_mm512_maskz_cvtps_pd(kAll, _mm256_loadu_ps(p)));
  } else if constexpr (std::is_same_v<T, double>) {
    return canonical_bits(_mm512_loadu_pd(p));
  } else if constexpr (sizeof(T) == 1) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    return std::is_signed_v<T> ? _mm512_maskz_cvtepi8_epi64(kAll, v) : _mm512_maskz_cvtepu8_epi64(kAll, v);
  } else if constexpr (sizeof(T) == 2) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return std::is_signed_v<T> ? _mm512_maskz_cvtepi16_epi64(kAll, v) : _mm512_maskz_cvtepu16_epi64(kAll, v);
  } else if constexpr (sizeof(T) == 4) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return std::is_signed_v<T> ? _mm512_maskz_cvtepi32_epi64(kAll, v) : _mm512_maskz_cvtepu32_epi64(kAll, v);
  } else {
    return _mm512_loadu_si512(p);
  }
}

template <typename T, bool kFirst>
HEADRACE_AVX512 void hash_rows(const FixedColumn& column, std::size_t position, uint64_t* out) {
  const T* values = static_cast<const T*>(column.values);
  const int64_t n = column.length;
  const int64_t end = n - n % 8;
  if (column.validity == nullptr) {
    for (int64_t i = 0; i < end; i += 8) put<kFirst>(out + i, hash_lanes(load8(values + i)));
  } else {
    const __m512i null = _mm512_set1_epi64(static_cast<int64_t>(null_hash(position)));
    for (int64_t i = 0; i < end; i += 8) {
      const auto valid = static_cast<__mmask8>(validity_byte(column.validity, column.validity_bit + i));
      put<kFirst>(out + i, _mm512_mask_blend_epi64(valid, null, hash_lanes(load8(values + i))));
    }
  }
  hash_fixed_rows<T, kFirst>(column, position, out, end, n);
}

}  // namespace

void hash_fixed_avx512(const FixedColumn& column, std::size_t position, bool first, uint64_t* out) {
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

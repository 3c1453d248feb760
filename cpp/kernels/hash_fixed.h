// The column-hash loops over fixed-width values (integers, floats): the part of hashing
// that has a vectorized form (see hash_path.h). The scalar loop here is the portable path
// and the tail of every vectorized one, so the row hash is defined in one place.
// Internal to hash.cpp and the hash_fixed_*.cpp files.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/hash.h"

namespace headrace::kernels {

// How a fixed-width value becomes the 64 bits that are hashed: integers sign- or
// zero-extended, float32 widened to float64 (exactly).
enum class FixedKind { kInt8, kUInt8, kInt16, kUInt16, kInt32, kUInt32, kInt64, kFloat32, kFloat64 };

// One column's values (already shifted by the array's offset) and validity bitmap.
struct FixedColumn {
  FixedKind kind;
  const void* values;
  const uint8_t* validity;  // nullptr: no nulls
  int64_t validity_bit;     // the bit of row 0 in `validity` (the array's offset)
  int64_t length;
};

// Sets (first) or mixes into (otherwise) out[i] for every row i: the hash of its value, or
// null_hash(position) for a null.
using FixedHashLoop = void (*)(const FixedColumn& column, std::size_t position, bool first, uint64_t* out);

void hash_fixed_portable(const FixedColumn& column, std::size_t position, bool first, uint64_t* out);
#if HEADRACE_HASH_X86
void hash_fixed_avx2(const FixedColumn& column, std::size_t position, bool first, uint64_t* out);
void hash_fixed_avx512(const FixedColumn& column, std::size_t position, bool first, uint64_t* out);
#endif

inline constexpr uint64_t kQuietNanBits = std::bit_cast<uint64_t>(std::numeric_limits<double>::quiet_NaN());

// Floats: -0.0 becomes 0.0 and every NaN one quiet NaN, then the bits of the double are
// hashed (float32 widens exactly, so 1.5f and 1.5 hash alike).
inline uint64_t hash_double(double d) noexcept {
  if (d == 0.0) d = 0.0;
  if (std::isnan(d)) return hash_u64(kQuietNanBits);
  return hash_u64(std::bit_cast<uint64_t>(d));
}

template <typename T>
inline uint64_t hash_fixed_value(T value) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    return hash_double(value);
  } else {
    return hash_u64(static_cast<uint64_t>(static_cast<int64_t>(value)));
  }
}

inline bool bit_is_set(const uint8_t* bitmap, int64_t bit) noexcept { return (bitmap[bit >> 3] >> (bit & 7)) & 1; }

// The validity bits of rows bit .. bit + 7 (the lowest for `bit`), reading no byte beyond
// the last of them: for the vectorized loops.
inline unsigned validity_byte(const uint8_t* bitmap, int64_t bit) noexcept {
  const uint8_t* p = bitmap + (bit >> 3);
  const unsigned shift = static_cast<unsigned>(bit & 7);
  if (shift == 0) return p[0];
  return ((p[0] >> shift) | (static_cast<unsigned>(p[1]) << (8 - shift))) & 0xffU;
}

// Rows [begin, end) of the scalar loop. The loop without nulls has no branch per row.
template <typename T, bool kFirst>
void hash_fixed_rows(const FixedColumn& column, std::size_t position, uint64_t* out, int64_t begin, int64_t end) {
  const T* values = static_cast<const T*>(column.values);
  auto put = [out](int64_t i, uint64_t h) { out[i] = kFirst ? h : combine_hashes(out[i], h); };
  if (column.validity == nullptr) {
    for (int64_t i = begin; i < end; ++i) put(i, hash_fixed_value(values[i]));
  } else {
    const uint64_t null = null_hash(position);
    for (int64_t i = begin; i < end; ++i) {
      put(i, bit_is_set(column.validity, column.validity_bit + i) ? hash_fixed_value(values[i]) : null);
    }
  }
}

// Calls visit.template operator()<T>() with the C++ type of `kind`'s values.
template <typename Visit>
decltype(auto) visit_fixed_kind(FixedKind kind, Visit&& visit) {
  switch (kind) {
    case FixedKind::kInt8: return visit.template operator()<int8_t>();
    case FixedKind::kUInt8: return visit.template operator()<uint8_t>();
    case FixedKind::kInt16: return visit.template operator()<int16_t>();
    case FixedKind::kUInt16: return visit.template operator()<uint16_t>();
    case FixedKind::kInt32: return visit.template operator()<int32_t>();
    case FixedKind::kUInt32: return visit.template operator()<uint32_t>();
    case FixedKind::kInt64: return visit.template operator()<int64_t>();
    case FixedKind::kFloat32: return visit.template operator()<float>();
    case FixedKind::kFloat64: break;
  }
  return visit.template operator()<double>();
}

}  // namespace headrace::kernels

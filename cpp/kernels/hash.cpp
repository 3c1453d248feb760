#include "kernels/hash.h"

#include <cmath>
#include <limits>

#include "kernels/dictionary_index.h"
#include "kernels/portable.h"

namespace headrace::kernels {

using arrow::ArrayData;
using arrow::ArrayView;
using arrow::ArrowError;
using arrow::Field;
using arrow::TypeId;

namespace {

// Odd constants from the hexadecimal digits of pi and e.
constexpr uint64_t kSeed = 0x243f6a8885a308d3ULL;
constexpr uint64_t kK1 = 0xb7e151628aed2a6bULL;
constexpr uint64_t kK2 = 0x13198a2e03707345ULL;
constexpr uint64_t kK3 = 0xa4093822299f31d1ULL;

// The 128-bit product of a and b, its halves xored: the core step of wyhash-style hashes.
// Like wyhash it loses the running state if an input word equals its constant exactly
// (the product is then 0): a 2^-64 chance per word, acceptable for non-adversarial keys.
inline uint64_t fold_multiply(uint64_t a, uint64_t b) noexcept {
  const Product128 product = multiply_64x64(a, b);
  return product.low ^ product.high;
}

// Unaligned loads (memcpy: no alignment or aliasing assumptions).
inline uint64_t load64(const unsigned char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t load32(const unsigned char* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// The n bytes at p (n <= 8) as a zero-padded little-endian word, read without touching a
// byte past p + n and without a memcpy call of variable size: two overlapping 4-byte loads,
// or three single bytes, whose overlapping bytes agree.
inline uint64_t load_partial(const unsigned char* p, std::size_t n) noexcept {
  if (n >= 4) return load32(p) | (static_cast<uint64_t>(load32(p + n - 4)) << (8 * (n - 4)));
  if (n == 0) return 0;
  return static_cast<uint64_t>(p[0]) | (static_cast<uint64_t>(p[n / 2]) << (8 * (n / 2))) |
         (static_cast<uint64_t>(p[n - 1]) << (8 * (n - 1)));
}

// hash_bytes, inlined into the column loops.
inline uint64_t hash_bytes_inline(const unsigned char* p, std::size_t size) noexcept {
  std::size_t n = size;
  uint64_t h = kSeed ^ size;
  for (; n > 16; n -= 16, p += 16) h = fold_multiply(load64(p) ^ kK1, load64(p + 8) ^ h);
  // The last 0-16 bytes, zero-padded; the length, mixed in below, tells "a" from "a\0".
  uint64_t a = 0, b = 0;
  if (n > 8) {
    a = load64(p);
    b = load_partial(p + 8, n - 8);
  } else {
    a = load_partial(p, n);
  }
  h = fold_multiply(a ^ kK1, b ^ h ^ kK2);
  return fold_multiply(h ^ kK3, size ^ kSeed);
}

// Floats: -0.0 becomes 0.0 and every NaN one quiet NaN, then the bits of the double are
// hashed (float32 widens exactly, so 1.5f and 1.5 hash alike).
inline uint64_t hash_double(double d) noexcept {
  if (d == 0.0) d = 0.0;
  if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return hash_u64(bits);
}

// Writes (kFirst) or mixes (otherwise) value_hash(i) for every row, the column's null hash
// for null rows. The loop without nulls has no branch per row.
template <bool kFirst, typename ValueHash>
void fill(const ArrayView& view, std::size_t position, uint64_t* out, ValueHash value_hash) {
  const int64_t n = view.length();
  auto put = [out](int64_t i, uint64_t h) { out[i] = kFirst ? h : combine_hashes(out[i], h); };
  if (view.null_count() == 0 || view.data().buffers[0] == nullptr) {
    for (int64_t i = 0; i < n; ++i) put(i, value_hash(i));
  } else {
    const uint64_t null = null_hash(position);
    for (int64_t i = 0; i < n; ++i) put(i, view.is_valid(i) ? value_hash(i) : null);
  }
}

// Integers are widened to 64 bits (sign-extended), so 5 hashes alike in every width.
template <bool kFirst, typename T>
void fill_integers(const ArrayView& view, std::size_t position, uint64_t* out) {
  const T* values = view.values<T>();
  fill<kFirst>(view, position, out,
               [values](int64_t i) { return hash_u64(static_cast<uint64_t>(static_cast<int64_t>(values[i]))); });
}

// utf8 / large_utf8 straight from the offsets (no per-row type dispatch).
template <bool kFirst, typename Offset>
void fill_strings(const ArrayView& view, std::size_t position, uint64_t* out) {
  const ArrayData& data = view.data();
  const Offset* offsets = static_cast<const Offset*>(data.buffers[1]) + data.offset;
  const auto* chars = static_cast<const unsigned char*>(data.buffers[2]);
  fill<kFirst>(view, position, out, [offsets, chars](int64_t i) {
    return hash_bytes_inline(chars + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i]));
  });
}

template <bool kFirst>
void fill_values(const ArrayView& view, std::size_t position, uint64_t* out);

// A dictionary-encoded column: its dictionary is hashed once, then each row takes its
// value's hash, so it hashes exactly like the decoded column.
template <bool kFirst, typename Index>
void fill_dictionary(const ArrayView& view, std::size_t position, uint64_t* out) {
  const ArrayData& dict_data = *view.data().dictionary;
  const Field& dict_field = *view.field().dictionary;
  std::vector<uint64_t> dict(static_cast<std::size_t>(dict_data.length));
  fill_values<true>(ArrayView(dict_data, dict_field), position, dict.data());
  const Index* indices = view.values<Index>();
  const uint64_t size = dict.size();
  const std::string& name = view.field().name;
  fill<kFirst>(view, position, out, [&](int64_t i) {
    const auto index = static_cast<uint64_t>(static_cast<int64_t>(indices[i]));  // negative: huge
    if (index >= size) {
      throw ArrowError("column '" + name + "': dictionary index " + std::to_string(static_cast<int64_t>(indices[i])) +
                       " out of range (dictionary of " + std::to_string(size) + " values)");
    }
    return dict[index];
  });
}

template <bool kFirst>
void fill_values(const ArrayView& view, std::size_t position, uint64_t* out) {
  switch (view.field().type.id) {
    case TypeId::kInt8: return fill_integers<kFirst, int8_t>(view, position, out);
    case TypeId::kUInt8: return fill_integers<kFirst, uint8_t>(view, position, out);
    case TypeId::kInt16: return fill_integers<kFirst, int16_t>(view, position, out);
    case TypeId::kUInt16: return fill_integers<kFirst, uint16_t>(view, position, out);
    case TypeId::kInt32: case TypeId::kDate32: return fill_integers<kFirst, int32_t>(view, position, out);
    case TypeId::kUInt32: return fill_integers<kFirst, uint32_t>(view, position, out);
    case TypeId::kInt64: case TypeId::kTimestamp: return fill_integers<kFirst, int64_t>(view, position, out);
    case TypeId::kUInt64: return fill_integers<kFirst, uint64_t>(view, position, out);
    case TypeId::kFloat32: {
      const float* values = view.values<float>();
      return fill<kFirst>(view, position, out, [values](int64_t i) { return hash_double(values[i]); });
    }
    case TypeId::kFloat64: {
      const double* values = view.values<double>();
      return fill<kFirst>(view, position, out, [values](int64_t i) { return hash_double(values[i]); });
    }
    case TypeId::kBool:
      return fill<kFirst>(view, position, out, [&view](int64_t i) { return hash_u64(view.bool_value(i) ? 1 : 0); });
    case TypeId::kUtf8: return fill_strings<kFirst, int32_t>(view, position, out);
    case TypeId::kLargeUtf8: return fill_strings<kFirst, int64_t>(view, position, out);
    case TypeId::kUtf8View:
      return fill<kFirst>(view, position, out, [&view](int64_t i) {
        const std::string_view s = view.string_value(i);
        return hash_bytes_inline(reinterpret_cast<const unsigned char*>(s.data()), s.size());
      });
    case TypeId::kDecimal128: {
      // Two little-endian 64-bit words per value (Arrow's layout on little-endian hosts).
      const auto* base = static_cast<const unsigned char*>(view.data().buffers[1]) + 16 * view.data().offset;
      return fill<kFirst>(view, position, out, [base](int64_t i) {
        return combine_hashes(hash_u64(load64(base + 16 * i)), load64(base + 16 * i + 8));
      });
    }
    case TypeId::kStruct:
      break;
  }
  throw ArrowError("column '" + view.field().name + "' of type " + view.field().to_string() + " cannot be hashed");
}

template <bool kFirst>
void fill_column(const ArrayView& view, std::size_t position, uint64_t* out) {
  if (!view.field().dictionary) return fill_values<kFirst>(view, position, out);
  visit_index_type(view, [&]<typename Index>(std::type_identity<Index>) {
    fill_dictionary<kFirst, Index>(view, position, out);
  });
}

}  // namespace

uint64_t hash_bytes(const void* data, std::size_t size) noexcept {
  return hash_bytes_inline(static_cast<const unsigned char*>(data), size);
}

bool is_hashable(const Field& field) noexcept {
  const Field& values = field.dictionary ? *field.dictionary : field;
  return values.type.id != TypeId::kStruct && !values.dictionary;
}

void check_hashable(const Field& field, const std::string& name) {
  if (!is_hashable(field)) {
    throw ArrowError("key column '" + name + "' has type " + field.to_string() +
                     ", which cannot be a key (keys: integers, floats, bool, strings, date32, timestamp, "
                     "decimal128, or dictionaries of those)");
  }
}

void hash_column(const ArrayData& data, const Field& field, std::size_t position, std::span<uint64_t> hashes) {
  if (static_cast<int64_t>(hashes.size()) != data.length) {
    throw std::invalid_argument("hash_column: " + std::to_string(hashes.size()) + " hashes for " +
                                std::to_string(data.length) + " rows");
  }
  check_hashable(field, field.name);
  if (data.length == 0) return;  // an empty column may have no value buffers at all
  const ArrayView view(data, field);
  if (position == 0) {
    fill_column<true>(view, position, hashes.data());
  } else {
    fill_column<false>(view, position, hashes.data());
  }
}

std::vector<uint64_t> hash_columns(std::span<const KeyColumn> keys, int64_t length) {
  if (keys.empty()) throw std::invalid_argument("hash_columns needs at least one key column");
  std::vector<uint64_t> hashes(static_cast<std::size_t>(length));
  for (std::size_t c = 0; c < keys.size(); ++c) hash_column(*keys[c].data, *keys[c].field, c, hashes);
  return hashes;
}

}  // namespace headrace::kernels

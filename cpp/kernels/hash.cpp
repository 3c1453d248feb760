#include "kernels/hash.h"

#include <algorithm>

#include "kernels/dictionary_index.h"
#include "kernels/hash_fixed.h"
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

// Integers and floats, on the loop of the chosen path (hash_fixed.h): integers are widened
// to 64 bits, so 5 hashes alike in every width.
template <bool kFirst>
void fill_fixed(const ArrayView& view, FixedKind kind, std::size_t position, uint64_t* out, FixedHashLoop loop) {
  const ArrayData& data = view.data();
  const bool nulls = data.null_count != 0 && data.buffers[0] != nullptr;
  const void* values = visit_fixed_kind(kind, [&]<typename T>() -> const void* { return view.values<T>(); });
  loop(FixedColumn{kind, values, nulls ? static_cast<const uint8_t*>(data.buffers[0]) : nullptr, data.offset, data.length},
       position, kFirst, out);
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
void fill_values(const ArrayView& view, std::size_t position, uint64_t* out, FixedHashLoop loop);

// A dictionary-encoded column: its dictionary is hashed once, then each row takes its
// value's hash, so it hashes exactly like the decoded column.
template <bool kFirst, typename Index>
void fill_dictionary(const ArrayView& view, std::size_t position, uint64_t* out, FixedHashLoop loop) {
  const ArrayData& dict_data = *view.data().dictionary;
  const Field& dict_field = *view.field().dictionary;
  std::vector<uint64_t> dict(static_cast<std::size_t>(dict_data.length));
  fill_values<true>(ArrayView(dict_data, dict_field), position, dict.data(), loop);
  const Index* indices = view.values<Index>();
  const uint64_t size = dict.size();
  const std::string& name = view.field().name;
  fill<kFirst>(view, position, out, [&](int64_t i) {
    const auto index = static_cast<uint64_t>(static_cast<int64_t>(indices[i]));  // negative: huge
    if (index >= size) {
      dictionary_index_out_of_range(name, static_cast<int64_t>(indices[i]), static_cast<int64_t>(size));
    }
    return dict[index];
  });
}

template <bool kFirst>
void fill_values(const ArrayView& view, std::size_t position, uint64_t* out, FixedHashLoop loop) {
  auto fixed = [&](FixedKind kind) { fill_fixed<kFirst>(view, kind, position, out, loop); };
  switch (view.field().type.id) {
    case TypeId::kInt8: return fixed(FixedKind::kInt8);
    case TypeId::kUInt8: return fixed(FixedKind::kUInt8);
    case TypeId::kInt16: return fixed(FixedKind::kInt16);
    case TypeId::kUInt16: return fixed(FixedKind::kUInt16);
    case TypeId::kInt32: case TypeId::kDate32: return fixed(FixedKind::kInt32);
    case TypeId::kUInt32: return fixed(FixedKind::kUInt32);
    // uint64 widens to itself, as int64 does.
    case TypeId::kInt64: case TypeId::kTimestamp: case TypeId::kUInt64: return fixed(FixedKind::kInt64);
    case TypeId::kFloat32: return fixed(FixedKind::kFloat32);
    case TypeId::kFloat64: return fixed(FixedKind::kFloat64);
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
void fill_column(const ArrayView& view, std::size_t position, uint64_t* out, FixedHashLoop loop) {
  if (!view.field().dictionary) return fill_values<kFirst>(view, position, out, loop);
  visit_index_type(view, [&]<typename Index>(std::type_identity<Index>) {
    fill_dictionary<kFirst, Index>(view, position, out, loop);
  });
}

FixedHashLoop fixed_loop(HashPath path) {
  switch (path) {
#if HEADRACE_HASH_X86
    case HashPath::kAvx2: return hash_fixed_avx2;
    case HashPath::kAvx512: return hash_fixed_avx512;
#endif
    default: return hash_fixed_portable;
  }
}

void hash_column_on(const ArrayData& data, const Field& field, std::size_t position, std::span<uint64_t> hashes,
                    FixedHashLoop loop) {
  if (static_cast<int64_t>(hashes.size()) != data.length) {
    throw std::invalid_argument("hash_column: " + std::to_string(hashes.size()) + " hashes for " +
                                std::to_string(data.length) + " rows");
  }
  check_hashable(field, field.name);
  if (data.length == 0) return;  // an empty column may have no value buffers at all
  const ArrayView view(data, field);
  if (position == 0) {
    fill_column<true>(view, position, hashes.data(), loop);
  } else {
    fill_column<false>(view, position, hashes.data(), loop);
  }
}

}  // namespace

void hash_fixed_portable(const FixedColumn& column, std::size_t position, bool first, uint64_t* out) {
  visit_fixed_kind(column.kind, [&]<typename T>() {
    if (first) {
      hash_fixed_rows<T, true>(column, position, out, 0, column.length);
    } else {
      hash_fixed_rows<T, false>(column, position, out, 0, column.length);
    }
  });
}

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
  static const FixedHashLoop loop = fixed_loop(hash_path());
  hash_column_on(data, field, position, hashes, loop);
}

void hash_column(const ArrayData& data, const Field& field, std::size_t position, std::span<uint64_t> hashes,
                 HashPath path) {
  const std::vector<HashPath> available = available_hash_paths();
  if (std::find(available.begin(), available.end(), path) == available.end()) {
    throw std::invalid_argument("hash_column: this CPU cannot run the " + std::string(to_string(path)) + " path");
  }
  hash_column_on(data, field, position, hashes, fixed_loop(path));
}

std::vector<uint64_t> hash_columns(std::span<const KeyColumn> keys, int64_t length) {
  if (keys.empty()) throw std::invalid_argument("hash_columns needs at least one key column");
  std::vector<uint64_t> hashes(static_cast<std::size_t>(length));
  for (std::size_t c = 0; c < keys.size(); ++c) hash_column(*keys[c].data, *keys[c].field, c, hashes);
  return hashes;
}

}  // namespace headrace::kernels

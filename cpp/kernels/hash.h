// Vectorized hashing of Arrow key columns: one 64-bit hash per row, computed column by
// column over whole arrays (never row by row across columns), so that each loop runs over
// one type and one buffer. Equal keys hash equal: -0.0 equals 0.0, every NaN is one NaN,
// a dictionary-encoded column hashes like its decoded values, and null forms its own group.
// Hashes are for partitioning and hash tables inside one process: they are not stable
// across headrace versions or platforms and must not be persisted.
//
// CPU dispatch (hash_path.h): the loops over integer and float columns, the hot ones for
// numeric keys, also exist in AVX2 and AVX-512 forms; one is chosen once per process from
// the CPU's features (HEADRACE_CPU=portable|avx2|avx512 caps the choice), and every path
// gives the same hashes bit for bit. Strings, booleans, decimals and dictionary look-ups
// stay scalar on every path: a string's loop is one row's bytes, whose 64x64->128-bit
// multiplies have no vector form on AVX2; those columns gain nothing from it.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/hash_path.h"

namespace headrace::kernels {

// The murmur3 64-bit finalizer (multiply-xorshift): a bijection whose every output bit
// depends on every input bit, so distinct integers never collide within a column.
inline uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A fixed-width value (integers widened to 64 bits, float bit patterns).
inline uint64_t hash_u64(uint64_t x) noexcept { return mix64(x ^ 0x9e3779b97f4a7c15ULL); }

// Mixes the hash of a further key column into a row's running hash. Order matters
// ((a, b) and (b, a) differ): the running hash is rotated before the xor.
inline uint64_t combine_hashes(uint64_t running, uint64_t value) noexcept {
  return mix64(((running << 29) | (running >> 35)) ^ value);
}

// Strings: a wyhash-style loop written for headrace (16 bytes per round, folded 64x64->128
// multiplies), finalized with the length.
uint64_t hash_bytes(const void* data, std::size_t size) noexcept;
inline uint64_t hash_bytes(std::string_view s) noexcept { return hash_bytes(s.data(), s.size()); }

// The hash of a null in key column `position`: fixed, and different per position so that
// (null, 1) and (1, null) are different groups.
inline uint64_t null_hash(std::size_t position) noexcept { return mix64(0x6e756c6c6b657973ULL + position); }

// One key column of a batch. Both must outlive the call.
struct KeyColumn {
  const arrow::ArrayData* data;
  const arrow::Field* field;
};

// True if the column can be a key (every type headrace imports, except struct, and
// dictionaries of those).
bool is_hashable(const arrow::Field& field) noexcept;
// Throws ArrowError naming the column and its type if it cannot be a key.
void check_hashable(const arrow::Field& field, const std::string& name);

// Hashes column `position` of the key into `hashes` (one per row of `data`): sets them if
// `position` is 0, mixes into them otherwise. Throws ArrowError on an unhashable type or a
// dictionary index out of range.
void hash_column(const arrow::ArrayData& data, const arrow::Field& field, std::size_t position,
                 std::span<uint64_t> hashes);
// The same on an explicit path, one of available_hash_paths(): for tests and benchmarks.
void hash_column(const arrow::ArrayData& data, const arrow::Field& field, std::size_t position,
                 std::span<uint64_t> hashes, HashPath path);

// The hash of every row over all key columns (each of `length` rows, in order). This
// allocates (and zero-fills) a new vector; a caller hashing batch after batch can keep one
// buffer and call hash_column for each key column instead.
std::vector<uint64_t> hash_columns(std::span<const KeyColumn> keys, int64_t length);

}  // namespace headrace::kernels

// Key values in the one form the group tables compare and store, whatever the Arrow type:
// a 64-bit word (integers sign-extended, date32, timestamp, bool, floats as the bits of a
// double with -0.0 made 0.0 and every NaN one NaN), two words (decimal128), or a string.
// A batch's key column is normalized once per batch (one loop per column); a table keeps
// the same columns for its groups, with the strings copied into its arena.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/string_arena.h"

namespace headrace::kernels {

enum class KeyLayout : uint8_t { kWord, kWide, kString };

// The layout of a (non-dictionary) key type.
KeyLayout key_layout(const arrow::DataType& type);

struct KeyValues {
  KeyLayout layout = KeyLayout::kWord;
  std::vector<uint64_t> words;            // kWord: one per row; kWide: two (low, high)
  std::vector<std::string_view> strings;  // kString
  std::vector<uint8_t> nulls;             // 1: null; empty: no row is null

  bool is_null(std::size_t i) const noexcept { return !nulls.empty() && nulls[i] != 0; }
  std::size_t size() const noexcept;
};

// True if any row of `data` is null (a bitmap and a null count other than 0; -1 is unknown).
inline bool has_nulls(const arrow::ArrayData& data) noexcept {
  return data.buffers[0] != nullptr && data.null_count != 0;
}

// Replaces `out`'s rows with the normalized values of `data` (not dictionary-encoded;
// strings point into `data`).
void normalize_keys(const arrow::ArrayData& data, const arrow::Field& field, KeyValues& out);

// Row `i` of `a` equals row `j` of `b` (same layout); null equals null.
inline bool key_equal(const KeyValues& a, std::size_t i, const KeyValues& b, std::size_t j) noexcept {
  const bool null_a = a.is_null(i), null_b = b.is_null(j);
  if (null_a || null_b) return null_a == null_b;
  switch (a.layout) {
    case KeyLayout::kWord: return a.words[i] == b.words[j];
    case KeyLayout::kWide: return a.words[2 * i] == b.words[2 * j] && a.words[2 * i + 1] == b.words[2 * j + 1];
    case KeyLayout::kString: return a.strings[i] == b.strings[j];
  }
  return false;
}

inline bool keys_equal(std::span<const KeyValues> a, std::size_t i, std::span<const KeyValues> b,
                       std::size_t j) noexcept {
  for (std::size_t c = 0; c < a.size(); ++c) {
    if (!key_equal(a[c], i, b[c], j)) return false;
  }
  return true;
}

// Appends row `i` of `from` to `to` (which always keeps its null flags), copying a string
// into `arena`.
void append_key(const KeyValues& from, std::size_t i, KeyValues& to, StringArena& arena);

// The Arrow column of `type` (the key's value type; large_utf8 for string views) holding
// rows 0..n-1 of `keys`.
std::shared_ptr<const arrow::ArrayData> build_key_column(const KeyValues& keys, const arrow::Field& field);

}  // namespace headrace::kernels

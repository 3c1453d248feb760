// A join's build keys as a bitmap over their span (one bit per value from the smallest key
// to the largest), so that a probe row whose key is not among them can be dropped before it
// reaches the hash table: one load and a bit test per row. Keys are integers of any width
// but uint64 (whose values need not fit in int64). See python/headrace/_join_filter.py.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "arrow/array_data.h"

namespace headrace::kernels {

class KeyBitmap {
 public:
  // The widest span of keys (largest - smallest + 1) that gets a bitmap (4 MiB of bits).
  static constexpr int64_t kMaxSpan = int64_t{1} << 25;

  // Keeps the valid values of an integer array (nulls never match). Safe to call from
  // several threads at once; throws ArrowError for a type other than an integer but uint64.
  void add(const arrow::ArrayView& keys);

  // Makes the bitmap of every key added (the first call does; any call after returns the
  // same answer and add() must not follow). False when the keys span more than kMaxSpan
  // values: no bitmap then. Thread-safe.
  bool finish();

  // Keeps, of `rows` (ascending row numbers of `keys`), those whose key is a build key; a
  // null key never is. Call only after finish() returned true.
  void keep(const arrow::ArrayView& keys, std::vector<int32_t>& rows) const;

  // The same over every row of `keys`.
  std::vector<int32_t> select(const arrow::ArrayView& keys) const;

 private:
  std::mutex mutex_;
  std::vector<int64_t> keys_;  // until finish()
  bool finished_ = false;
  bool usable_ = false;
  int64_t low_ = 0;
  uint64_t span_ = 0;
  std::vector<uint64_t> bits_;
};

}  // namespace headrace::kernels

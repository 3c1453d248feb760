#include "kernels/key_bitmap.h"

#include <algorithm>
#include <limits>
#include <string>

namespace headrace::kernels {

using arrow::ArrayView;
using arrow::ArrowError;
using arrow::TypeId;

namespace {

// Calls f with the array's values typed as they are stored.
template <typename F>
void with_integers(const ArrayView& keys, const char* what, F&& f) {
  switch (keys.field().type.id) {
    case TypeId::kInt8: return f(keys.values<int8_t>());
    case TypeId::kUInt8: return f(keys.values<uint8_t>());
    case TypeId::kInt16: return f(keys.values<int16_t>());
    case TypeId::kUInt16: return f(keys.values<uint16_t>());
    case TypeId::kInt32: return f(keys.values<int32_t>());
    case TypeId::kUInt32: return f(keys.values<uint32_t>());
    case TypeId::kInt64: return f(keys.values<int64_t>());
    default:
      throw ArrowError(std::string("join key filter: ") + what + " column '" + keys.field().name + "' is " +
                       keys.field().type.to_string() + "; expected an integer type other than uint64");
  }
}

}  // namespace

void KeyBitmap::add(const ArrayView& keys) {
  std::vector<int64_t> found;
  found.reserve(static_cast<std::size_t>(keys.length() - keys.null_count()));
  with_integers(keys, "a build key", [&](const auto* values) {
    for (int64_t i = 0; i < keys.length(); ++i) {
      if (keys.is_valid(i)) found.push_back(static_cast<int64_t>(values[i]));
    }
  });
  const std::lock_guard lock(mutex_);
  keys_.insert(keys_.end(), found.begin(), found.end());
}

bool KeyBitmap::finish() {
  const std::lock_guard lock(mutex_);
  if (finished_) return usable_;
  finished_ = true;
  std::vector<int64_t> keys;
  keys.swap(keys_);
  if (keys.empty()) {  // no build key: nothing matches
    usable_ = true;
    return true;
  }
  const auto [low, high] = std::minmax_element(keys.begin(), keys.end());
  // Unsigned: the difference of any two int64s fits.
  const uint64_t span = static_cast<uint64_t>(*high) - static_cast<uint64_t>(*low) + 1;
  if (span == 0 || span > static_cast<uint64_t>(kMaxSpan)) return false;  // span == 0: all of int64
  low_ = *low;
  span_ = span;
  bits_.assign((span + 63) / 64, 0);
  for (const int64_t key : keys) {
    const uint64_t d = static_cast<uint64_t>(key) - static_cast<uint64_t>(low_);
    bits_[d >> 6] |= uint64_t{1} << (d & 63);
  }
  usable_ = true;
  return true;
}

void KeyBitmap::keep(const ArrayView& keys, std::vector<int32_t>& rows) const {
  const uint64_t low = static_cast<uint64_t>(low_);
  const uint64_t span = span_;
  const uint64_t* bits = bits_.data();
  with_integers(keys, "a probe key", [&](const auto* values) {
    // A key outside [low, low + span) gives d >= span (below low it wraps around).
    auto member = [&](int32_t row) {
      const uint64_t d = static_cast<uint64_t>(static_cast<int64_t>(values[row])) - low;
      return d < span && ((bits[d >> 6] >> (d & 63)) & 1) != 0;
    };
    std::size_t k = 0;
    if (keys.null_count() != 0) {
      for (const int32_t row : rows) {
        rows[k] = row;
        k += keys.is_valid(row) && member(row) ? 1 : 0;
      }
    } else {
      for (const int32_t row : rows) {  // branch-free: write the row, advance if it passes
        rows[k] = row;
        k += member(row) ? 1 : 0;
      }
    }
    rows.resize(k);
  });
}

std::vector<int32_t> KeyBitmap::select(const ArrayView& keys) const {
  if (keys.length() > std::numeric_limits<int32_t>::max()) {
    throw ArrowError("join key filter: a batch of " + std::to_string(keys.length()) + " rows is longer than 2^31 - 1");
  }
  std::vector<int32_t> rows(static_cast<std::size_t>(keys.length()));
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int32_t>(i);
  keep(keys, rows);
  return rows;
}

}  // namespace headrace::kernels

// A conjunction of simple comparisons evaluated over a batch's Arrow columns: which rows
// pass every term, as ascending row numbers. Terms compare a column with literals
// (<, <=, >, >=, ==, !=, in) or with another column of the same type. The first term runs
// over every row; each later term only over the rows still passing, so a selective
// filter costs little after its first term. A null value never passes (a filter keeps
// only rows whose predicate is true), and so neither does NaN except under !=.
//
// Column types: integers, date32, timestamp, float32/64, decimal128 and strings (utf8,
// large_utf8, utf8_view), each also dictionary-encoded (a term is evaluated once per
// dictionary value, then looked up per row). Literals are exact: an integer literal
// (ints, days, timestamp units, or a decimal's unscaled value at the column's scale), a
// float, or bytes; the caller converts its values to the column's type (see
// python/headrace/_scan_filter.py) and select() throws ArrowError when a literal does not fit
// the column it meets.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "arrow/array_data.h"
#include "kernels/portable.h"

namespace headrace::kernels {

enum class FilterOp : uint8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual, kIn };

// "<", "<=", ">", ">=", "==", "!=", "in"; std::invalid_argument otherwise.
FilterOp parse_filter_op(const std::string& op);

struct FilterLiteral {
  enum class Kind : uint8_t { kInteger, kFloat, kBytes };
  Kind kind = Kind::kInteger;
  int128 integer = 0;
  int32_t scale = -1;  // a decimal literal's scale (integer: its unscaled value); -1: not a decimal
  double real = 0;
  std::string bytes;
};

struct FilterTerm {
  std::string column;
  FilterOp op = FilterOp::kEqual;
  std::string other;                   // non-empty: compares `column` with this column
  std::vector<FilterLiteral> literals;  // one for a comparison with a literal, the set for kIn
};

class RowFilter {
 public:
  // Throws std::invalid_argument for a malformed term (no literal, a set for a comparison).
  explicit RowFilter(std::vector<FilterTerm> terms);

  // The rows of a batch of `length` rows (its columns, described by `fields`) passing
  // every term. Throws ArrowError naming the column for a missing column or a literal
  // that does not fit its type.
  std::vector<int32_t> select(std::span<const std::shared_ptr<const arrow::ArrayData>> columns,
                              std::span<const arrow::Field> fields, int64_t length) const;

  const std::vector<FilterTerm>& terms() const noexcept { return terms_; }

 private:
  std::vector<FilterTerm> terms_;
};

}  // namespace headrace::kernels

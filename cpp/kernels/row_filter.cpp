#include "kernels/row_filter.h"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace headrace::kernels {

using arrow::ArrayData;
using arrow::ArrayView;
using arrow::ArrowError;
using arrow::Field;
using arrow::TypeId;

FilterOp parse_filter_op(const std::string& op) {
  if (op == "<") return FilterOp::kLess;
  if (op == "<=") return FilterOp::kLessEqual;
  if (op == ">") return FilterOp::kGreater;
  if (op == ">=") return FilterOp::kGreaterEqual;
  if (op == "==") return FilterOp::kEqual;
  if (op == "!=") return FilterOp::kNotEqual;
  if (op == "in") return FilterOp::kIn;
  throw std::invalid_argument("row filter: unknown operator '" + op + "'");
}

namespace {

// The rows still passing: every row of the batch until the first term has run.
class Selection {
 public:
  explicit Selection(int64_t length) : length_(length) {}

  // Keeps the rows for which `pass(row)` is true.
  template <typename Pass>
  void keep(Pass pass) {
    std::size_t k = 0;
    if (all_) {
      rows_.resize(static_cast<std::size_t>(length_));
      for (int64_t i = 0; i < length_; ++i) {  // branch-free: write the row, advance if it passes
        rows_[k] = static_cast<int32_t>(i);
        k += pass(i) ? 1 : 0;
      }
      all_ = false;
    } else {
      for (const int32_t row : rows_) {
        rows_[k] = row;
        k += pass(row) ? 1 : 0;
      }
    }
    rows_.resize(k);
  }
  void keep_none() {
    rows_.clear();
    all_ = false;
  }
  bool empty() const noexcept { return !all_ && rows_.empty(); }
  std::vector<int32_t> release() && {
    if (all_) keep([](int64_t) { return true; });
    return std::move(rows_);
  }

 private:
  int64_t length_;
  bool all_ = true;
  std::vector<int32_t> rows_;
};

// Keeps the rows whose value (`get(row)`) compares with `literal`; nulls never pass. The
// switch sits outside the row loop.
template <typename Get, typename T>
void keep_compared(Selection& selection, const ArrayView& view, FilterOp op, Get get, const T& literal) {
  auto run = [&](auto test) {
    if (view.null_count() != 0) {
      selection.keep([&](int64_t i) { return view.is_valid(i) && test(get(i)); });
    } else {
      selection.keep([&](int64_t i) { return test(get(i)); });
    }
  };
  switch (op) {
    case FilterOp::kLess: run([&](const T& v) { return v < literal; }); break;
    case FilterOp::kLessEqual: run([&](const T& v) { return v <= literal; }); break;
    case FilterOp::kGreater: run([&](const T& v) { return v > literal; }); break;
    case FilterOp::kGreaterEqual: run([&](const T& v) { return v >= literal; }); break;
    case FilterOp::kEqual: run([&](const T& v) { return v == literal; }); break;
    case FilterOp::kNotEqual: run([&](const T& v) { return v != literal; }); break;
    case FilterOp::kIn: break;
  }
}

template <typename Get, typename T>
void keep_in(Selection& selection, const ArrayView& view, Get get, const std::vector<T>& set) {
  auto in = [&](int64_t i) {
    const T v = get(i);
    for (const T& s : set) {
      if (v == s) return true;
    }
    return false;
  };
  if (view.null_count() != 0) {
    selection.keep([&](int64_t i) { return view.is_valid(i) && in(i); });
  } else {
    selection.keep(in);
  }
}

[[noreturn]] void mismatch(const FilterTerm& term, const Field& field, const char* expected) {
  throw ArrowError("row filter: column '" + term.column + "' (" + field.type.to_string() + ") cannot be compared with " +
                   expected);
}

// int128 from, and to, its two little-endian words (decimal128's layout, and both
// int128s' in memory on the little-endian machines Arrow runs on).
int128 from_words(uint64_t low, uint64_t high) noexcept {
  const uint64_t words[2] = {low, high};
  int128 v;
  std::memcpy(&v, words, sizeof v);
  return v;
}
uint64_t low_word(const int128& v) noexcept {
  uint64_t words[2];
  std::memcpy(words, &v, sizeof words);
  return words[0];
}

// Where an integer literal falls against the values a column of type T can hold.
enum class Range { kBelow, kInside, kAbove };

template <typename T>
Range range_of(const int128& literal) noexcept {
  const auto min = static_cast<int64_t>(std::numeric_limits<T>::min());
  const int128 low = from_words(static_cast<uint64_t>(min), min < 0 ? ~uint64_t{0} : 0);
  const int128 high = from_words(static_cast<uint64_t>(std::numeric_limits<T>::max()), 0);
  if (literal < low) return Range::kBelow;
  if (high < literal) return Range::kAbove;
  return Range::kInside;
}

// The outcome of `value op literal` for every value when the literal lies outside the
// column's range (below: every value is greater).
bool outside_outcome(FilterOp op, Range range) noexcept {
  const bool greater = range == Range::kBelow;  // every value compares greater than the literal
  switch (op) {
    case FilterOp::kLess:
    case FilterOp::kLessEqual: return !greater;
    case FilterOp::kGreater:
    case FilterOp::kGreaterEqual: return greater;
    case FilterOp::kEqual: return false;
    case FilterOp::kNotEqual: return true;
    case FilterOp::kIn: break;
  }
  return false;
}

const FilterLiteral& only_literal(const FilterTerm& term) { return term.literals.front(); }

void check_literal(const FilterTerm& term, const Field& field, FilterLiteral::Kind kind, int32_t scale) {
  for (const FilterLiteral& literal : term.literals) {
    if (literal.kind != kind) {
      mismatch(term, field, literal.kind == FilterLiteral::Kind::kBytes   ? "a string"
                            : literal.kind == FilterLiteral::Kind::kFloat ? "a float"
                                                                          : "an integer");
    }
    if (literal.scale != scale) {
      mismatch(term, field, literal.scale < 0 ? "a plain integer" : "a decimal of another scale");
    }
  }
}

template <typename T>
void keep_integer(Selection& selection, const ArrayView& view, const FilterTerm& term) {
  const T* values = view.values<T>();
  auto get = [values](int64_t i) { return values[i]; };
  auto keep_valid = [&] {
    if (view.null_count() != 0) {
      selection.keep([&](int64_t i) { return view.is_valid(i); });
    } else {
      selection.keep([](int64_t) { return true; });
    }
  };
  if (term.op == FilterOp::kIn) {
    std::vector<T> set;
    for (const FilterLiteral& literal : term.literals) {
      if (range_of<T>(literal.integer) == Range::kInside) set.push_back(static_cast<T>(low_word(literal.integer)));
    }
    if (set.empty()) {
      selection.keep_none();
    } else {
      keep_in(selection, view, get, set);
    }
    return;
  }
  const int128 literal = only_literal(term).integer;
  const Range range = range_of<T>(literal);
  if (range != Range::kInside) {
    outside_outcome(term.op, range) ? keep_valid() : selection.keep_none();
    return;
  }
  // Inside T's range: the low word holds the value (two's complement for negatives).
  keep_compared(selection, view, term.op, get, static_cast<T>(low_word(literal)));
}

int128 decimal_at(const ArrayView& view, int64_t i) noexcept {
  int128 v;
  std::memcpy(&v, static_cast<const uint8_t*>(view.data().buffers[1]) + 16 * (view.data().offset + i), sizeof v);
  return v;
}

template <typename F>
void keep_float(Selection& selection, const ArrayView& view, const FilterTerm& term) {
  const F* values = view.values<F>();
  auto get = [values](int64_t i) { return values[i]; };
  if (term.op == FilterOp::kIn) {
    std::vector<F> set;
    for (const FilterLiteral& literal : term.literals) set.push_back(static_cast<F>(literal.real));
    keep_in(selection, view, get, set);
  } else {
    keep_compared(selection, view, term.op, get, static_cast<F>(only_literal(term).real));
  }
}

void keep_string(Selection& selection, const ArrayView& view, const FilterTerm& term) {
  auto get = [&view](int64_t i) { return view.string_value(i); };
  if (term.op == FilterOp::kIn) {
    std::vector<std::string_view> set;
    for (const FilterLiteral& literal : term.literals) set.emplace_back(literal.bytes);
    keep_in(selection, view, get, set);
  } else {
    keep_compared(selection, view, term.op, get, std::string_view(only_literal(term).bytes));
  }
}

void keep_term(Selection& selection, const ArrayData& data, const Field& field, const FilterTerm& term);

// A dictionary-encoded column: the term once over the dictionary, then a lookup per row.
template <typename Index>
void keep_dictionary(Selection& selection, const ArrayView& view, const Field& field, const FilterTerm& term) {
  const ArrayData& dictionary = *view.data().dictionary;
  Selection values(dictionary.length);
  keep_term(values, dictionary, *field.dictionary, term);
  std::vector<uint8_t> passes(static_cast<std::size_t>(dictionary.length), 0);
  for (const int32_t v : std::move(values).release()) passes[static_cast<std::size_t>(v)] = 1;
  const Index* indices = view.values<Index>();
  const auto size = static_cast<uint64_t>(passes.size());
  auto pass = [&](int64_t i) {
    const auto index = static_cast<uint64_t>(indices[i]);  // a negative index wraps above the size
    return index < size && passes[index] != 0;
  };
  if (view.null_count() != 0) {
    selection.keep([&](int64_t i) { return view.is_valid(i) && pass(i); });
  } else {
    selection.keep(pass);
  }
}

void keep_literal(Selection& selection, const ArrayView& view, const Field& field, const FilterTerm& term) {
  const TypeId id = field.type.id;
  if (field.dictionary != nullptr) {
    switch (id) {
      case TypeId::kInt8: return keep_dictionary<int8_t>(selection, view, field, term);
      case TypeId::kUInt8: return keep_dictionary<uint8_t>(selection, view, field, term);
      case TypeId::kInt16: return keep_dictionary<int16_t>(selection, view, field, term);
      case TypeId::kUInt16: return keep_dictionary<uint16_t>(selection, view, field, term);
      case TypeId::kInt32: return keep_dictionary<int32_t>(selection, view, field, term);
      case TypeId::kUInt32: return keep_dictionary<uint32_t>(selection, view, field, term);
      case TypeId::kInt64: return keep_dictionary<int64_t>(selection, view, field, term);
      case TypeId::kUInt64: return keep_dictionary<uint64_t>(selection, view, field, term);
      default: mismatch(term, field, "literals (its dictionary's index type is not an integer)");
    }
  }
  if (field.type.is_string()) {
    check_literal(term, field, FilterLiteral::Kind::kBytes, -1);
    return keep_string(selection, view, term);
  }
  if (id == TypeId::kFloat32 || id == TypeId::kFloat64) {
    check_literal(term, field, FilterLiteral::Kind::kFloat, -1);
    return id == TypeId::kFloat32 ? keep_float<float>(selection, view, term) : keep_float<double>(selection, view, term);
  }
  if (id == TypeId::kDecimal128) {
    check_literal(term, field, FilterLiteral::Kind::kInteger, field.type.scale);
    auto get = [&view](int64_t i) { return decimal_at(view, i); };
    if (term.op == FilterOp::kIn) {
      std::vector<int128> set;
      for (const FilterLiteral& literal : term.literals) set.push_back(literal.integer);
      return keep_in(selection, view, get, set);
    }
    return keep_compared(selection, view, term.op, get, only_literal(term).integer);
  }
  check_literal(term, field, FilterLiteral::Kind::kInteger, -1);
  switch (id) {
    case TypeId::kInt8: return keep_integer<int8_t>(selection, view, term);
    case TypeId::kUInt8: return keep_integer<uint8_t>(selection, view, term);
    case TypeId::kInt16: return keep_integer<int16_t>(selection, view, term);
    case TypeId::kUInt16: return keep_integer<uint16_t>(selection, view, term);
    case TypeId::kInt32:
    case TypeId::kDate32: return keep_integer<int32_t>(selection, view, term);
    case TypeId::kUInt32: return keep_integer<uint32_t>(selection, view, term);
    case TypeId::kInt64:
    case TypeId::kTimestamp: return keep_integer<int64_t>(selection, view, term);
    case TypeId::kUInt64: return keep_integer<uint64_t>(selection, view, term);
    default: mismatch(term, field, "literals");
  }
}

void keep_term(Selection& selection, const ArrayData& data, const Field& field, const FilterTerm& term) {
  keep_literal(selection, ArrayView(data, field), field, term);
}

// Two columns of one type, row by row.
template <typename T, typename Get>
void keep_columns(Selection& selection, const ArrayView& a, const ArrayView& b, FilterOp op, Get get) {
  auto run = [&](auto test) {
    if (a.null_count() != 0 || b.null_count() != 0) {
      selection.keep([&](int64_t i) { return a.is_valid(i) && b.is_valid(i) && test(i); });
    } else {
      selection.keep(test);
    }
  };
  switch (op) {
    case FilterOp::kLess: run([&](int64_t i) { return get(a, i) < get(b, i); }); break;
    case FilterOp::kLessEqual: run([&](int64_t i) { return get(a, i) <= get(b, i); }); break;
    case FilterOp::kGreater: run([&](int64_t i) { return get(a, i) > get(b, i); }); break;
    case FilterOp::kGreaterEqual: run([&](int64_t i) { return get(a, i) >= get(b, i); }); break;
    case FilterOp::kEqual: run([&](int64_t i) { return get(a, i) == get(b, i); }); break;
    case FilterOp::kNotEqual: run([&](int64_t i) { return get(a, i) != get(b, i); }); break;
    case FilterOp::kIn: break;
  }
}

template <typename T>
void keep_columns_of(Selection& selection, const ArrayView& a, const ArrayView& b, FilterOp op) {
  keep_columns<T>(selection, a, b, op, [](const ArrayView& v, int64_t i) { return v.values<T>()[i]; });
}

void keep_two_columns(Selection& selection, const ArrayView& a, const ArrayView& b, const FilterTerm& term) {
  const Field& fa = a.field();
  const Field& fb = b.field();
  // Values compare as stored: one type id, and one unit or scale where the type has one.
  const bool same = fa.type.is_string() ? fb.type.is_string()
                                        : fa.type.id == fb.type.id && fa.type.unit == fb.type.unit && fa.type.scale == fb.type.scale;
  if (fa.dictionary != nullptr || fb.dictionary != nullptr || !same) {
    throw ArrowError("row filter: columns '" + term.column + "' (" + fa.type.to_string() + ") and '" + term.other + "' (" +
                     fb.type.to_string() + ") are compared only when both are plain columns of one type");
  }
  const FilterOp op = term.op;
  switch (fa.type.id) {
    case TypeId::kInt8: return keep_columns_of<int8_t>(selection, a, b, op);
    case TypeId::kUInt8: return keep_columns_of<uint8_t>(selection, a, b, op);
    case TypeId::kInt16: return keep_columns_of<int16_t>(selection, a, b, op);
    case TypeId::kUInt16: return keep_columns_of<uint16_t>(selection, a, b, op);
    case TypeId::kInt32:
    case TypeId::kDate32: return keep_columns_of<int32_t>(selection, a, b, op);
    case TypeId::kUInt32: return keep_columns_of<uint32_t>(selection, a, b, op);
    case TypeId::kInt64:
    case TypeId::kTimestamp: return keep_columns_of<int64_t>(selection, a, b, op);
    case TypeId::kUInt64: return keep_columns_of<uint64_t>(selection, a, b, op);
    case TypeId::kFloat32: return keep_columns_of<float>(selection, a, b, op);
    case TypeId::kFloat64: return keep_columns_of<double>(selection, a, b, op);
    case TypeId::kDecimal128:
      return keep_columns<int128>(selection, a, b, op, [](const ArrayView& v, int64_t i) { return decimal_at(v, i); });
    default:
      if (fa.type.is_string()) {
        return keep_columns<std::string_view>(selection, a, b, op,
                                              [](const ArrayView& v, int64_t i) { return v.string_value(i); });
      }
      throw ArrowError("row filter: columns '" + term.column + "' and '" + term.other + "' (" + fa.type.to_string() +
                       ") cannot be compared");
  }
}

}  // namespace

RowFilter::RowFilter(std::vector<FilterTerm> terms) : terms_(std::move(terms)) {
  for (const FilterTerm& term : terms_) {
    const bool with_column = !term.other.empty();
    if (with_column && (term.op == FilterOp::kIn || !term.literals.empty())) {
      throw std::invalid_argument("row filter: a term comparing column '" + term.column +
                                  "' with a column takes one comparison and no literal");
    }
    if (!with_column && term.op != FilterOp::kIn && term.literals.size() != 1) {
      throw std::invalid_argument("row filter: a comparison of column '" + term.column + "' takes exactly one literal");
    }
  }
}

std::vector<int32_t> RowFilter::select(std::span<const std::shared_ptr<const ArrayData>> columns,
                                       std::span<const Field> fields, int64_t length) const {
  if (length > std::numeric_limits<int32_t>::max()) {
    throw ArrowError("row filter: a batch of " + std::to_string(length) + " rows is longer than 2^31 - 1");
  }
  auto find = [&](const std::string& name) -> std::size_t {
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (fields[c].name == name) return c;
    }
    throw ArrowError("row filter: the batch has no column '" + name + "'");
  };
  Selection selection(length);
  for (const FilterTerm& term : terms_) {
    if (selection.empty()) break;
    const std::size_t c = find(term.column);
    const ArrayView view(*columns[c], fields[c]);
    if (term.other.empty()) {
      keep_literal(selection, view, fields[c], term);
    } else {
      const std::size_t o = find(term.other);
      keep_two_columns(selection, view, ArrayView(*columns[o], fields[o]), term);
    }
  }
  return std::move(selection).release();
}

}  // namespace headrace::kernels

#include "kernels/decimal_arithmetic.h"

#include <cstring>

#include "kernels/portable.h"

namespace headrace::kernels {

namespace {

// Row i of an operand: the low word of a decimal128 value (`fits` false if the high word is
// more than its sign), or the constant.
template <bool kConstant>
inline int64_t read(const uint8_t* words, int64_t constant, int64_t i, bool& fits) noexcept {
  if constexpr (kConstant) {
    return constant;
  } else {
    int64_t low, high;
    std::memcpy(&low, words + 16 * i, 8);
    std::memcpy(&high, words + 16 * i + 8, 8);
    fits &= high == (low >> 63);
    return low;
  }
}

inline bool is_valid(const uint8_t* bits, int64_t offset, int64_t i) noexcept {
  const int64_t bit = offset + i;
  return bits == nullptr || ((bits[bit >> 3] >> (bit & 7)) & 1);
}

struct Side {
  const uint8_t* words = nullptr;  // nullptr: the constant
  int64_t constant = 0;
  int64_t factor = 1;
  const uint8_t* validity = nullptr;  // nullptr: no null row
  int64_t offset = 0;

  explicit Side(const DecimalOperand& operand) : constant(operand.constant), factor(operand.factor) {
    const arrow::ArrayData* array = operand.array;
    if (array == nullptr) return;
    words = static_cast<const uint8_t*>(array->buffers[1]) + 16 * array->offset;
    if (array->null_count != 0 && array->buffers[0] != nullptr) {
      validity = static_cast<const uint8_t*>(array->buffers[0]);
      offset = array->offset;
    }
  }
};

// One row's result; `fits` turns false if an operand or the result needs more than 64 bits.
template <char kOp, bool kConstA, bool kConstB, bool kScaled>
inline int64_t compute(const Side& a, const Side& b, int64_t i, bool& fits) noexcept {
  int64_t x = read<kConstA>(a.words, a.constant, i, fits);
  int64_t y = read<kConstB>(b.words, b.constant, i, fits);
  int64_t result;
  if constexpr (kOp == '*') {
    fits &= !mul_overflow(x, y, &result);
  } else {
    if constexpr (kScaled) {
      fits &= !mul_overflow(x, a.factor, &x);
      fits &= !mul_overflow(y, b.factor, &y);
    }
    fits &= !(kOp == '+' ? add_overflow(x, y, &result) : sub_overflow(x, y, &result));
  }
  return result;
}

// The loop, specialized so that the common cases (no null, a constant operand, operands at
// the result's scale) carry no test they do not need.
template <char kOp, bool kConstA, bool kConstB, bool kScaled>
bool run(const Side& a, const Side& b, int64_t n, uint8_t* out) {
  bool fits = true;
  const bool nulls = a.validity != nullptr || b.validity != nullptr;
  for (int64_t i = 0; i < n; ++i) {
    int64_t result = 0;
    if (!nulls) {
      result = compute<kOp, kConstA, kConstB, kScaled>(a, b, i, fits);
    } else if (is_valid(a.validity, a.offset, i) && is_valid(b.validity, b.offset, i)) {
      result = compute<kOp, kConstA, kConstB, kScaled>(a, b, i, fits);  // a null row is 0: its value is junk
    }
    const int64_t high = result >> 63;
    std::memcpy(out + 16 * i, &result, 8);
    std::memcpy(out + 16 * i + 8, &high, 8);
  }
  return fits;
}

template <char kOp, bool kScaled>
bool dispatch_constants(const Side& a, const Side& b, int64_t n, uint8_t* out) {
  if (a.words == nullptr) return run<kOp, true, false, kScaled>(a, b, n, out);
  if (b.words == nullptr) return run<kOp, false, true, kScaled>(a, b, n, out);
  return run<kOp, false, false, kScaled>(a, b, n, out);
}

}  // namespace

bool decimal_int64_arithmetic(char op, const DecimalOperand& a, const DecimalOperand& b, int64_t n, uint8_t* out) {
  const Side left(a), right(b);
  if (left.words == nullptr && right.words == nullptr) return false;  // no array: nothing to compute
  const bool scaled = a.factor != 1 || b.factor != 1;
  switch (op) {
    case '*': return dispatch_constants<'*', false>(left, right, n, out);
    case '+': return scaled ? dispatch_constants<'+', true>(left, right, n, out)
                            : dispatch_constants<'+', false>(left, right, n, out);
    case '-': return scaled ? dispatch_constants<'-', true>(left, right, n, out)
                            : dispatch_constants<'-', false>(left, right, n, out);
    default: return false;
  }
}

}  // namespace headrace::kernels

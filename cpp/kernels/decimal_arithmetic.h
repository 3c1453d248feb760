// Exact + - * of decimal128 values whose unscaled values fit in 64 bits (money, almost
// always): one pass that reads each operand's two words, checks that the high word only
// repeats the low word's sign, computes in int64 with overflow checks and writes the
// result's two words. The caller falls back to 128-bit arithmetic when it returns false.
// Result scales are the caller's business: an operand of + and - is multiplied by its
// factor (a power of ten) first, so both are at the result's scale.
#pragma once

#include <cstdint>

#include "arrow/array_data.h"

namespace headrace::kernels {

// One operand: a decimal128 array (with its validity and offset) or one unscaled constant.
struct DecimalOperand {
  const arrow::ArrayData* array = nullptr;  // nullptr: the constant
  int64_t constant = 0;
  int64_t factor = 1;  // + and -: the power of ten that brings it to the result's scale
};

// out (16 * n bytes, n the arrays' length) = a <op> b row by row ('+', '-' or '*'), a null
// row of either operand giving 0 (the caller sets the result's validity). False, with `out`
// partly written, if some operand value or result of a non-null row does not fit in 64 bits.
bool decimal_int64_arithmetic(char op, const DecimalOperand& a, const DecimalOperand& b, int64_t n, uint8_t* out);

}  // namespace headrace::kernels

// Exact + - * of decimal128 values whose unscaled values fit in 64 bits (money, almost
// always), a whole expression at a time: `price * (1 - discount) * (1 + tax)` is one pass
// over the rows that reads each operand column once, keeps intermediate values in int64
// vectors of a few hundred rows (in L1, not 16-byte columns of the whole batch), checks
// every operand, intermediate and result for overflow, and writes the result's two words.
// An operand's high word must only repeat its low word's sign. The caller falls back to
// 128-bit arithmetic when the program returns false.
// Result scales are the caller's business: the two sides of + and - are multiplied by their
// factors (powers of ten) first, so both are at that step's result scale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "arrow/array_data.h"

namespace headrace::kernels {

// One operand: a decimal128 array (with its validity and offset) or one unscaled constant.
struct DecimalOperand {
  const arrow::ArrayData* array = nullptr;  // nullptr: the constant
  int64_t constant = 0;
};

// One step of a program in postfix order: push operands[operand] (op 0), or pop the right
// then the left value and push left <op> right ('+', '-' or '*'), each side of + and -
// first multiplied by its factor.
struct DecimalStep {
  char op = 0;
  int operand = -1;
  int64_t left_factor = 1;
  int64_t right_factor = 1;
};

// out (16 * n bytes, n the arrays' length) = the program's value row by row; a row where
// some array operand is null gives 0 (the caller sets the result's validity, and nothing of
// a null row is checked). False, with `out` partly written, if some operand value,
// intermediate or result of a non-null row (or a step of constants alone) does not fit in
// 64 bits. With `validity` given ((n + 7) / 8 bytes), bit i is set there when every array
// operand is valid in row i. Throws std::invalid_argument for a malformed program (an
// operand index out of range, a step without its two values, more or less than one value
// left, no array operand).
bool decimal_int64_program(std::span<const DecimalStep> steps, std::span<const DecimalOperand> operands, int64_t n,
                           uint8_t* out, uint8_t* validity = nullptr);

// Throws std::invalid_argument if `steps` is not a program over `operands` operands, as
// decimal_int64_program checks it (arrays and constants aside).
void check_decimal_program(std::span<const DecimalStep> steps, std::size_t operands);

}  // namespace headrace::kernels

#include "kernels/decimal_arithmetic.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernels/portable.h"

namespace headrace::kernels {

namespace {

// Rows per vector: a program's values for a chunk stay in L1.
constexpr int64_t kChunk = 512;

// A value on the stack: a constant, or a vector of the chunk's rows.
struct Value {
  bool constant = false;
  int64_t scalar = 0;
  int64_t* lanes = nullptr;
};

bool is_valid(const uint8_t* bits, int64_t bit) noexcept { return (bits[bit >> 3] >> (bit & 7)) & 1; }

// An array's validity bitmap, nullptr when it has no null row (null_count may be -1: unknown).
const uint8_t* validity_of(const arrow::ArrayData& array) noexcept {
  return array.null_count != 0 ? static_cast<const uint8_t*>(array.buffers[0]) : nullptr;
}

// Rows [begin, begin + count) of a decimal128 array into `lanes`, null rows as 0 (their
// words are never read as a value). `bad` turns nonzero if a valid row's high word is more
// than its low word's sign.
void load(const arrow::ArrayData& array, int64_t begin, int64_t count, int64_t* lanes, uint64_t& bad) noexcept {
  const auto* words = static_cast<const uint8_t*>(array.buffers[1]) + 16 * (array.offset + begin);
  const uint8_t* validity = validity_of(array);
  if (validity == nullptr) {  // high + (low's sign bit) is 0 exactly when high repeats low's sign: vectorizes
    for (int64_t i = 0; i < count; ++i) {
      uint64_t low, high;
      std::memcpy(&low, words + 16 * i, 8);
      std::memcpy(&high, words + 16 * i + 8, 8);
      lanes[i] = static_cast<int64_t>(low);
      bad |= high + (low >> 63);
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    int64_t low, high;
    std::memcpy(&low, words + 16 * i, 8);
    std::memcpy(&high, words + 16 * i + 8, 8);
    const bool valid = validity == nullptr || is_valid(validity, array.offset + begin + i);
    lanes[i] = valid ? low : 0;
    bad |= static_cast<uint64_t>(valid && high != (low >> 63));
  }
}

// x <op> y, each side first multiplied by its factor where kScaleX / kScaleY.
template <char kOp, bool kScaleX, bool kScaleY>
inline int64_t apply(int64_t x, int64_t y, int64_t fx, int64_t fy, bool& overflow) noexcept {
  bool scaled = false;
  if constexpr (kScaleX) scaled |= mul_overflow(x, fx, &x);
  if constexpr (kScaleY) scaled |= mul_overflow(y, fy, &y);
  int64_t result;
  if constexpr (kOp == '*') {
    overflow = mul_overflow(x, y, &result);
  } else if constexpr (kOp == '+') {
    overflow = scaled | add_overflow(x, y, &result);
  } else {
    overflow = scaled | sub_overflow(x, y, &result);
  }
  return result;
}

// out[i] = x[i] <op> y[i] over a chunk, a constant side read once; `bad` turns nonzero on
// an overflow in a row whose `live` flag is set (every row when live is nullptr).
template <char kOp, bool kScaleX, bool kScaleY, bool kConstX, bool kConstY>
void combine(const Value& x, const Value& y, int64_t fx, int64_t fy, int64_t count, const uint8_t* live,
             int64_t* out, uint64_t& bad) noexcept {
  for (int64_t i = 0; i < count; ++i) {
    bool overflow;
    out[i] = apply<kOp, kScaleX, kScaleY>(kConstX ? x.scalar : x.lanes[i], kConstY ? y.scalar : y.lanes[i], fx, fy,
                                          overflow);
    bad |= static_cast<uint64_t>(overflow & (live == nullptr || live[i] != 0));
  }
}

template <char kOp, bool kConstX, bool kConstY>
void combine(const Value& x, const Value& y, int64_t fx, int64_t fy, int64_t count, const uint8_t* live,
             int64_t* out, uint64_t& bad) noexcept {
  if (fx != 1 && fy != 1) return combine<kOp, true, true, kConstX, kConstY>(x, y, fx, fy, count, live, out, bad);
  if (fx != 1) return combine<kOp, true, false, kConstX, kConstY>(x, y, fx, fy, count, live, out, bad);
  if (fy != 1) return combine<kOp, false, true, kConstX, kConstY>(x, y, fx, fy, count, live, out, bad);
  combine<kOp, false, false, kConstX, kConstY>(x, y, fx, fy, count, live, out, bad);
}

template <char kOp>
void combine(Value x, Value y, int64_t fx, int64_t fy, int64_t count, const uint8_t* live, int64_t* out,
             uint64_t& bad) noexcept {
  // A constant side is scaled once, not per row (an overflow there gives up the program,
  // even for a chunk of null rows: the caller's fallback is exact).
  if (x.constant && fx != 1) bad |= static_cast<uint64_t>(mul_overflow(x.scalar, std::exchange(fx, 1), &x.scalar));
  if (y.constant && fy != 1) bad |= static_cast<uint64_t>(mul_overflow(y.scalar, std::exchange(fy, 1), &y.scalar));
  if (x.constant) return combine<kOp, true, false>(x, y, fx, fy, count, live, out, bad);
  if (y.constant) return combine<kOp, false, true>(x, y, fx, fy, count, live, out, bad);
  combine<kOp, false, false>(x, y, fx, fy, count, live, out, bad);
}

void combine(const DecimalStep& step, const Value& x, const Value& y, int64_t count, const uint8_t* live,
             int64_t* out, uint64_t& bad) noexcept {
  switch (step.op) {
    case '*': return combine<'*'>(x, y, 1, 1, count, live, out, bad);
    case '+': return combine<'+'>(x, y, step.left_factor, step.right_factor, count, live, out, bad);
    default: return combine<'-'>(x, y, step.left_factor, step.right_factor, count, live, out, bad);
  }
}

// The stack depth the program needs; throws if it is malformed.
std::size_t program_depth(std::span<const DecimalStep> steps, std::size_t operands) {
  std::size_t depth = 0, deepest = 0;
  for (const DecimalStep& step : steps) {
    if (step.op == 0) {
      if (step.operand < 0 || static_cast<std::size_t>(step.operand) >= operands) {
        throw std::invalid_argument("decimal program: operand index out of range");
      }
      deepest = std::max(deepest, ++depth);
    } else if (step.op == '+' || step.op == '-' || step.op == '*') {
      if (depth < 2) throw std::invalid_argument("decimal program: an operation without two values");
      --depth;
    } else {
      throw std::invalid_argument("decimal program: op must be 0, '+', '-' or '*'");
    }
  }
  if (depth != 1) throw std::invalid_argument("decimal program: it must leave exactly one value");
  return deepest;
}

// The stack depth, after checking the program and that its arrays (at least one) have n rows.
std::size_t check_program(std::span<const DecimalStep> steps, std::span<const DecimalOperand> operands, int64_t n) {
  const std::size_t depth = program_depth(steps, operands.size());
  bool arrays = false;
  for (const DecimalStep& step : steps) {
    if (step.op != 0) continue;
    const arrow::ArrayData* array = operands[static_cast<std::size_t>(step.operand)].array;
    if (array != nullptr && array->length != n) throw std::invalid_argument("decimal program: operand of another length");
    arrays |= array != nullptr;
  }
  if (!arrays) throw std::invalid_argument("decimal program: no array operand");
  return depth;
}

// Bits 0..n-1 of `validity`: live[i] (all set when live is nullptr).
void write_validity(const uint8_t* live, int64_t begin, int64_t count, uint8_t* validity) noexcept {
  for (int64_t i = 0; i < count; ++i) {
    const int64_t bit = begin + i;
    const auto mask = static_cast<uint8_t>(1u << (bit & 7));
    if (live == nullptr || live[i]) {
      validity[bit >> 3] |= mask;
    } else {
      validity[bit >> 3] &= static_cast<uint8_t>(~mask);
    }
  }
}

}  // namespace

void check_decimal_program(std::span<const DecimalStep> steps, std::size_t operands) { program_depth(steps, operands); }

bool decimal_int64_program(std::span<const DecimalStep> steps, std::span<const DecimalOperand> operands, int64_t n,
                           uint8_t* out, uint8_t* validity) {
  const std::size_t depth = check_program(steps, operands, n);
  const bool nulls = std::any_of(operands.begin(), operands.end(), [](const DecimalOperand& o) {
    return o.array != nullptr && validity_of(*o.array) != nullptr;
  });
  std::vector<int64_t> lanes(depth * kChunk);
  std::vector<uint8_t> live(nulls ? kChunk : 0);
  std::vector<Value> stack(depth);
  uint64_t bad = 0;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    if (nulls) {  // live[i]: every array operand is valid in row i
      std::fill(live.begin(), live.end(), uint8_t{1});
      for (const DecimalOperand& o : operands) {
        const uint8_t* bits = o.array != nullptr ? validity_of(*o.array) : nullptr;
        if (bits == nullptr) continue;
        for (int64_t i = 0; i < count; ++i) live[i] &= is_valid(bits, o.array->offset + begin + i);
      }
    }
    const uint8_t* live_rows = nulls ? live.data() : nullptr;
    if (validity != nullptr) write_validity(live_rows, begin, count, validity);
    std::size_t top = 0;
    for (const DecimalStep& step : steps) {
      if (step.op == 0) {
        const DecimalOperand& o = operands[static_cast<std::size_t>(step.operand)];
        Value& v = stack[top];
        v.lanes = lanes.data() + top * kChunk;
        v.constant = o.array == nullptr;
        v.scalar = o.constant;
        if (!v.constant) load(*o.array, begin, count, v.lanes, bad);
        ++top;
        continue;
      }
      Value& x = stack[top - 2];
      const Value& y = stack[top - 1];
      if (x.constant && y.constant) {  // folded once; refused if it leaves 64 bits
        bool overflow = false;
        switch (step.op) {
          case '*': x.scalar = apply<'*', false, false>(x.scalar, y.scalar, 1, 1, overflow); break;
          case '+':
            x.scalar = apply<'+', true, true>(x.scalar, y.scalar, step.left_factor, step.right_factor, overflow);
            break;
          default:
            x.scalar = apply<'-', true, true>(x.scalar, y.scalar, step.left_factor, step.right_factor, overflow);
            break;
        }
        if (overflow) return false;
      } else {
        int64_t* result = lanes.data() + (top - 2) * kChunk;
        combine(step, x, y, count, live_rows, result, bad);
        x.constant = false;
        x.lanes = result;
      }
      --top;
    }
    if (bad != 0) return false;
    const Value& result = stack[0];
    uint8_t* words = out + 16 * begin;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t value = live_rows == nullptr || live_rows[i] ? result.lanes[i] : 0;
      const int64_t high = value >> 63;
      std::memcpy(words + 16 * i, &value, 8);
      std::memcpy(words + 16 * i + 8, &high, 8);
    }
  }
  return true;
}

}  // namespace headrace::kernels

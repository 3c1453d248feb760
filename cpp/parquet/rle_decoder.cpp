#include "parquet/rle_decoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "parquet/parquet_error.h"

namespace headrace::parquet {

namespace {

[[noreturn]] void corrupt(const char* what) {
  throw ParquetError(std::string("corrupt RLE/bit-packed data: ") + what);
}

// Unpacks groups of 8 values of W bits (W bytes per group). Value i of a group starts at
// bit i*W, so an 8-byte load at byte (i*W)/8 holds all of it (shift <= 7, W <= 32). Groups
// at least 8 bytes before the end of the data are loaded in place; the others through a
// zero-padded copy so no load passes the end.
template <int W>
void unpack_groups(const uint8_t* in, const uint8_t* in_end, uint32_t* out, std::size_t groups) {
  if constexpr (W == 0) {
    std::fill_n(out, groups * 8, 0u);
  } else {
    constexpr uint64_t kMask = (uint64_t{1} << W) - 1;
    auto unpack8 = [](const uint8_t* group, uint32_t* values) {
      for (int i = 0; i < 8; ++i) {
        uint64_t word;
        std::memcpy(&word, group + (i * W) / 8, 8);
        values[i] = static_cast<uint32_t>((word >> ((i * W) % 8)) & kMask);
      }
    };
    for (std::size_t g = 0; g < groups; ++g, in += W, out += 8) {
      if (in_end - in >= W + 8) {
        unpack8(in, out);
      } else {
        uint8_t padded[W + 8] = {};
        std::memcpy(padded, in, W);
        unpack8(padded, out);
      }
    }
  }
}

using UnpackFn = void (*)(const uint8_t*, const uint8_t*, uint32_t*, std::size_t);

template <std::size_t... W>
constexpr std::array<UnpackFn, sizeof...(W)> unpack_table(std::index_sequence<W...>) {
  return {&unpack_groups<static_cast<int>(W)>...};
}

constexpr auto kUnpack = unpack_table(std::make_index_sequence<33>{});

}  // namespace

RleBitPackedDecoder::RleBitPackedDecoder(const uint8_t* data, std::size_t size, int bit_width)
    : pos_(data), end_(data + size), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) corrupt("bit width outside 0..32");
}

void RleBitPackedDecoder::throw_past_end() { corrupt("a value past the end of the data"); }

bool RleBitPackedDecoder::next_run() {
  if (pos_ >= end_) return false;
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (shift > 28) corrupt("run header longer than 32 bits");
    if (pos_ >= end_) corrupt("truncated run header");
    const uint8_t byte = *pos_++;
    header |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  const auto left = static_cast<uint64_t>(end_ - pos_);
  if (header & 1) {
    const uint64_t groups = header >> 1;
    const uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    if (bytes > left) corrupt("truncated bit-packed run");
    packed_ = true;
    packed_data_ = pos_;
    packed_next_ = 0;
    run_left_ = groups * 8;
    pos_ += bytes;
  } else {
    const int bytes = (bit_width_ + 7) / 8;
    if (static_cast<uint64_t>(bytes) > left) corrupt("truncated RLE run");
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(pos_[i]) << (8 * i);
    if (value >> bit_width_ != 0) corrupt("RLE value wider than the bit width");
    packed_ = false;
    rle_value_ = static_cast<uint32_t>(value);
    run_left_ = header >> 1;
    pos_ += bytes;
  }
  return true;
}

void RleBitPackedDecoder::unpack(uint64_t first, std::size_t count, uint32_t* out) const {
  const UnpackFn unpack_fn = kUnpack[static_cast<std::size_t>(bit_width_)];
  auto group_at = [&](uint64_t index) { return packed_data_ + index / 8 * static_cast<uint64_t>(bit_width_); };
  // A group only partly wanted is unpacked aside and the wanted values copied.
  auto partial = [&](std::size_t within, std::size_t n) {
    uint32_t group[8];
    unpack_fn(group_at(first), end_, group, 1);
    std::copy_n(group + within, n, out);
    first += n;
    out += n;
    count -= n;
  };
  if (const std::size_t within = first % 8; within != 0) partial(within, std::min(count, 8 - within));
  if (const std::size_t groups = count / 8; groups > 0) {
    unpack_fn(group_at(first), end_, out, groups);
    first += groups * 8;
    out += groups * 8;
    count -= groups * 8;
  }
  if (count > 0) partial(0, count);
}

std::size_t RleBitPackedDecoder::get_batch(uint32_t* out, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (run_left_ == 0 && !next_run()) break;
    const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(n - done, run_left_));
    if (packed_) {
      unpack(packed_next_, take, out + done);
      packed_next_ += take;
    } else {
      std::fill_n(out + done, take, rle_value_);
    }
    run_left_ -= take;
    done += take;
  }
  return done;
}

std::size_t RleBitPackedDecoder::skip(std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (run_left_ == 0 && !next_run()) break;
    const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(n - done, run_left_));
    if (packed_) packed_next_ += take;
    run_left_ -= take;
    done += take;
  }
  return done;
}

}  // namespace headrace::parquet

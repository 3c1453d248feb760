// The RLE / bit-packing hybrid encoding of Parquet (Encodings.md): definition and
// repetition levels, dictionary indices and RLE booleans. The data is a sequence of runs,
// each introduced by a ULEB128 header: an even header h is an RLE run of h/2 copies of one
// value stored in ceil(bit_width/8) little-endian bytes; an odd header h is a bit-packed
// run of (h/2)*8 values, bit_width bits each, least significant bit first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace headrace::parquet {

class RleBitPackedDecoder {
 public:
  // Borrows data[0, size). bit_width is 0..32 (else ParquetError).
  RleBitPackedDecoder(const uint8_t* data, std::size_t size, int bit_width);

  // Decodes up to n values into out; returns how many (fewer only at the end of the data).
  // Throws ParquetError on a truncated run or an RLE value wider than bit_width.
  std::size_t get_batch(uint32_t* out, std::size_t n);

  // Skips up to n values; returns how many.
  std::size_t skip(std::size_t n);

  // The next value, one at a time (for a reader taking a few values between skips): a
  // bit-packed value is read from its own bytes, not unpacked with its group of 8. Throws
  // ParquetError past the end of the data.
  uint32_t next_value() {
    while (run_left_ == 0) {  // runs of no values are passed over
      if (!next_run()) throw_past_end();
    }
    --run_left_;
    if (!packed_) return rle_value_;
    const uint64_t bit = packed_next_++ * static_cast<uint64_t>(bit_width_);
    const uint8_t* at = packed_data_ + bit / 8;
    uint64_t word = 0;  // the value's bytes (at most 5: a shift below 8 and 32 bits)
    std::memcpy(&word, at, end_ - at >= 8 ? 8 : static_cast<std::size_t>(end_ - at));
    return static_cast<uint32_t>((word >> (bit % 8)) & ((uint64_t{1} << bit_width_) - 1));
  }

 private:
  // Reads the next run's header; false at the end of the data.
  bool next_run();
  [[noreturn]] static void throw_past_end();
  // Unpacks `count` values of the current bit-packed run, from its value `first` on.
  void unpack(uint64_t first, std::size_t count, uint32_t* out) const;

  const uint8_t* pos_;
  const uint8_t* end_;
  int bit_width_;

  // The current run.
  bool packed_ = false;
  uint64_t run_left_ = 0;  // values not yet returned
  uint32_t rle_value_ = 0;
  const uint8_t* packed_data_ = nullptr;  // a bit-packed run's first byte
  uint64_t packed_next_ = 0;              // index in that run of the next value
};

}  // namespace headrace::parquet

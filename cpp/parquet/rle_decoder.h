// The RLE / bit-packing hybrid encoding of Parquet (Encodings.md): definition and
// repetition levels, dictionary indices and RLE booleans. The data is a sequence of runs,
// each introduced by a ULEB128 header: an even header h is an RLE run of h/2 copies of one
// value stored in ceil(bit_width/8) little-endian bytes; an odd header h is a bit-packed
// run of (h/2)*8 values, bit_width bits each, least significant bit first.
#pragma once

#include <cstddef>
#include <cstdint>

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

 private:
  // Reads the next run's header; false at the end of the data.
  bool next_run();
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

// Decompression of raw Snappy blocks (the Snappy format description, not its framing
// format): the codec of most Parquet files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace headrace::parquet {

// The uncompressed length stated in the block's preamble; throws ParquetError if the
// preamble is malformed.
std::size_t snappy_uncompressed_length(const uint8_t* in, std::size_t in_size);

// Decompresses one raw Snappy block into out[0, out_size); out_size must equal the
// preamble's length. Throws ParquetError on corrupt input (bad offsets, overruns, a
// length mismatch); never reads or writes outside the two spans.
void snappy_decompress(const uint8_t* in, std::size_t in_size, uint8_t* out, std::size_t out_size);

}  // namespace headrace::parquet

// libFuzzer target for the Parquet decoders (clang only; see docs/building.md). The first
// input byte chooses the decoder, the rest is its input: any input must decode or throw
// ParquetError, never crash, hang or touch memory outside its buffers (AddressSanitizer).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "parquet/metadata.h"
#include "parquet/parquet_error.h"
#include "parquet/rle_decoder.h"
#include "parquet/snappy.h"

using namespace headrace::parquet;

namespace {

void fuzz_snappy(const uint8_t* data, std::size_t size) {
  const std::size_t length = snappy_uncompressed_length(data, size);
  if (length > (std::size_t{1} << 22)) return;  // a lie about the length costs memory only
  std::vector<uint8_t> out(length);
  snappy_decompress(data, size, out.data(), out.size());
}

// The first byte is the bit width; the batch sizes alternate between get_batch and skip,
// with single values between.
void fuzz_rle(const uint8_t* data, std::size_t size) {
  if (size == 0) return;
  RleBitPackedDecoder decoder(data + 1, size - 1, data[0] % 33);
  std::vector<uint32_t> out(4096);
  for (std::size_t step = 0, total = 0; total < (std::size_t{1} << 20); ++step) {
    const std::size_t n = 1 + (step * 977) % out.size();
    if (step % 5 == 4) {  // one value on its own (throws past the end)
      decoder.next_value();
      ++total;
      continue;
    }
    const std::size_t got = step % 3 == 2 ? decoder.skip(n) : decoder.get_batch(out.data(), n);
    if (got == 0) return;
    total += got;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  try {
    switch (data[0] % 4) {
      case 0: parse_file_metadata(data + 1, size - 1); break;
      case 1: parse_page_header(data + 1, size - 1); break;
      case 2: fuzz_snappy(data + 1, size - 1); break;
      default: fuzz_rle(data + 1, size - 1); break;
    }
  } catch (const ParquetError&) {
  }
  return 0;
}

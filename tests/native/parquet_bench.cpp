// Speed of the Parquet low-level decoders; run by hand, not by ctest.
//
//   parquet_bench FILE.parquet [PAGES.bin]   Snappy: decompresses every Snappy page of FILE
//                                            (dictionary and data pages; a v2 page's values
//                                            part) and reports output GB/s. With PAGES.bin
//                                            it also writes the pages there for
//                                            snappy_bench_pyarrow.py to time pyarrow on the
//                                            same data.
//   parquet_bench                            RLE / bit-packed decoding of generated runs.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "parquet/metadata.h"
#include "parquet/rle_decoder.h"
#include "parquet/snappy.h"

using namespace headrace::parquet;

namespace {

struct Page {
  const uint8_t* data;
  std::size_t size, uncompressed;
};

// Best of `rounds` timings of fn, in seconds of CPU time: on a shared machine the wall
// clock also counts the time other processes held the core.
template <class Fn>
double best_time(int rounds, Fn&& fn) {
  double best = 1e30;
  for (int i = 0; i < rounds; ++i) {
    const std::clock_t start = std::clock();
    fn();
    best = std::min(best, static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC);
  }
  return best;
}

int bench_snappy(const char* path, const char* dump_path) {
  const FileMetaData meta = read_file_metadata(path);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<uint8_t> file(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(file.data()), static_cast<std::streamsize>(file.size()));
  std::vector<Page> pages;
  std::size_t total_out = 0, total_in = 0;
  for (const RowGroupMeta& group : meta.row_groups) {
    for (const ColumnChunkMeta& column : group.columns) {
      if (column.codec != Codec::Snappy) continue;
      std::size_t pos = static_cast<std::size_t>(column.dictionary_page_offset.value_or(column.data_page_offset));
      const std::size_t end = pos + static_cast<std::size_t>(column.total_compressed_size);
      while (pos < end) {
        const PageHeader h = parse_page_header(file.data() + pos, end - pos);
        pos += h.header_size;
        std::size_t levels = 0;
        if (h.data_v2) {
          if (!h.data_v2->is_compressed) {
            pos += static_cast<std::size_t>(h.compressed_page_size);
            continue;
          }
          levels = static_cast<std::size_t>(h.data_v2->definition_levels_byte_length +
                                            h.data_v2->repetition_levels_byte_length);
        }
        const std::size_t size = static_cast<std::size_t>(h.compressed_page_size) - levels;
        pages.push_back(Page{file.data() + pos + levels, size, static_cast<std::size_t>(h.uncompressed_page_size) - levels});
        total_in += size;
        total_out += pages.back().uncompressed;
        pos += static_cast<std::size_t>(h.compressed_page_size);
      }
    }
  }
  std::vector<uint8_t> out(std::max_element(pages.begin(), pages.end(), [](auto& a, auto& b) {
                             return a.uncompressed < b.uncompressed;
                           })->uncompressed);
  const double seconds = best_time(5, [&] {
    for (const Page& p : pages) snappy_decompress(p.data, p.size, out.data(), p.uncompressed);
  });
  std::printf("snappy: %zu pages, %.1f MB -> %.1f MB, best of 5: %.3f s CPU, %.2f GB/s of output\n", pages.size(),
              total_in / 1e6, total_out / 1e6, seconds, total_out / seconds / 1e9);
  if (dump_path) {
    std::ofstream dump(dump_path, std::ios::binary);
    for (const Page& p : pages) {
      const uint32_t sizes[2] = {static_cast<uint32_t>(p.size), static_cast<uint32_t>(p.uncompressed)};
      dump.write(reinterpret_cast<const char*>(sizes), sizeof sizes);
      dump.write(reinterpret_cast<const char*>(p.data), static_cast<std::streamsize>(p.size));
    }
    std::printf("pages written to %s\n", dump_path);
  }
  return 0;
}

// Bit-packed runs of 512 values alternating with RLE runs of 64, as dictionary indices are.
std::vector<uint8_t> encode_runs(int bit_width, std::size_t values, std::mt19937& rng) {
  std::vector<uint8_t> out;
  auto varint = [&](uint64_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<uint8_t>(v | 0x80));
    out.push_back(static_cast<uint8_t>(v));
  };
  for (std::size_t done = 0; done < values; done += 512 + 64) {
    varint((512 / 8) << 1 | 1);
    for (int i = 0; i < 64 * bit_width; ++i) out.push_back(static_cast<uint8_t>(rng()));
    varint(64 << 1);
    for (int i = 0; i < (bit_width + 7) / 8; ++i) out.push_back(0);
  }
  return out;
}

int bench_rle() {
  std::mt19937 rng(1);
  constexpr std::size_t kValues = 10'000'000;
  std::vector<uint32_t> out(kValues);
  for (int bit_width : {1, 2, 5, 8, 12, 17, 24, 32}) {
    const std::vector<uint8_t> data = encode_runs(bit_width, kValues, rng);
    const double seconds = best_time(5, [&] {
      RleBitPackedDecoder decoder(data.data(), data.size(), bit_width);
      for (std::size_t done = 0; done < kValues;) done += decoder.get_batch(out.data() + done, std::min<std::size_t>(4096, kValues - done));
    });
    std::printf("rle: bit width %2d, %.0f M values/s\n", bit_width, kValues / seconds / 1e6);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) return bench_snappy(argv[1], argc >= 3 ? argv[2] : nullptr);
  return bench_rle();
}

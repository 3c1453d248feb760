// Walks the pages of one column chunk of a flat column: parses each page header,
// decompresses the page and decodes its definition levels, handing out the dictionary page
// and then each data page's encoded values.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "parquet/metadata.h"
#include "parquet/scratch_buffer.h"

namespace headrace::parquet {

// One data page, its values still encoded. Valid until the next call of PageReader::next
// (on this thread: the decompressed bytes live in the thread's page scratch buffer).
struct DataPage {
  int32_t num_rows = 0;     // rows of the page, nulls included
  int32_t num_values = 0;   // rows that have a value
  Encoding encoding = Encoding::Plain;
  std::span<const uint8_t> values;     // the encoded non-null values
  const uint32_t* defined = nullptr;   // per row: 1 if it has a value; null when every row has one
};

class PageReader {
 public:
  // `bytes`: the chunk from its first page to its end; `num_values`: its values, nulls included.
  PageReader(std::span<const uint8_t> bytes, Codec codec, int max_definition_level, int64_t num_values);

  enum class Next { kDictionary, kData, kEnd };
  // Reads the next dictionary or data page (index pages are skipped).
  Next next();

  // The dictionary page's values (plain-encoded) and their count, after kDictionary; they
  // stay valid for the reader's lifetime (in the chunk's bytes, or in this thread's
  // dictionary buffer, which only the next chunk's dictionary page overwrites).
  std::span<const uint8_t> dictionary_values() const noexcept { return dictionary_; }
  int32_t dictionary_count() const noexcept { return dictionary_count_; }
  const DataPage& page() const noexcept { return page_; }

 private:
  // The page's bytes, decompressed into `into` (one of this thread's scratch buffers) if
  // compressed.
  std::span<const uint8_t> decompress(std::span<const uint8_t> in, int32_t uncompressed_size, ScratchBuffer& into) const;
  // Decodes `count` definition levels; sets page_.defined and page_.num_values.
  void decode_levels(std::span<const uint8_t> levels, int32_t count);

  std::span<const uint8_t> bytes_;
  std::size_t position_ = 0;
  Codec codec_;
  int max_definition_level_;
  int64_t values_left_;
  std::span<const uint8_t> dictionary_;
  int32_t dictionary_count_ = 0;
  std::vector<uint32_t> levels_;
  DataPage page_;
};

}  // namespace headrace::parquet

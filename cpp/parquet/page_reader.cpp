#include "parquet/page_reader.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "parquet/column_decoder.h"
#include "parquet/rle_decoder.h"
#include "parquet/scratch_buffer.h"
#include "parquet/snappy.h"

namespace headrace::parquet {

namespace {

int bit_width(int max_level) {
  int width = 0;
  while ((1 << width) <= max_level) ++width;
  return width;
}

}  // namespace

PageReader::PageReader(std::span<const uint8_t> bytes, Codec codec, int max_definition_level, int64_t num_values)
    : bytes_(bytes), codec_(codec), max_definition_level_(max_definition_level), values_left_(num_values) {}

std::span<const uint8_t> PageReader::decompress(std::span<const uint8_t> in, int32_t uncompressed_size,
                                                ScratchBuffer& into) const {
  if (codec_ == Codec::Uncompressed) return in;
  if (codec_ != Codec::Snappy) throw NotSupported("compression codec " + std::to_string(static_cast<int>(codec_)));
  if (uncompressed_size < 0) throw ParquetError("negative uncompressed page size");
  const std::size_t size = snappy_uncompressed_length(in.data(), in.size());
  if (size != static_cast<std::size_t>(uncompressed_size)) {
    throw ParquetError("page decompresses to " + std::to_string(size) + " bytes, its header says " +
                       std::to_string(uncompressed_size));
  }
  uint8_t* out = into.reserve(size);  // the page buffer: valid until the next page (see next())
  snappy_decompress(in.data(), in.size(), out, size);
  return {out, size};
}

void PageReader::decode_levels(std::span<const uint8_t> levels, int32_t count) {
  page_.defined = nullptr;
  page_.num_values = count;
  if (max_definition_level_ == 0) return;
  levels_.resize(static_cast<std::size_t>(count));
  RleBitPackedDecoder decoder(levels.data(), levels.size(), bit_width(max_definition_level_));
  if (decoder.get_batch(levels_.data(), levels_.size()) != levels_.size()) {
    throw ParquetError("a page has fewer definition levels than values");
  }
  int32_t defined = 0;
  for (uint32_t level : levels_) defined += level == static_cast<uint32_t>(max_definition_level_);
  page_.num_values = defined;
  if (defined != count) page_.defined = levels_.data();
}

PageReader::Next PageReader::next() {
  while (values_left_ > 0) {
    if (position_ >= bytes_.size()) throw ParquetError("column chunk ends before all its values");
    const PageHeader header = parse_page_header(bytes_.data() + position_, bytes_.size() - position_);
    const std::size_t body_start = position_ + header.header_size;
    if (header.compressed_page_size < 0 || body_start + header.compressed_page_size > bytes_.size()) {
      throw ParquetError("a page runs past the end of its column chunk");
    }
    const std::span<const uint8_t> body(bytes_.data() + body_start, static_cast<std::size_t>(header.compressed_page_size));
    position_ = body_start + header.compressed_page_size;

    if (header.type == PageType::DictionaryPage) {
      if (!header.dictionary) throw ParquetError("dictionary page without its header");
      if (header.dictionary->encoding != Encoding::Plain && header.dictionary->encoding != Encoding::PlainDictionary) {
        throw NotSupported("dictionary page encoding " + std::to_string(static_cast<int>(header.dictionary->encoding)));
      }
      // Into its own buffer (the data pages reuse the page buffer): this thread decodes one
      // chunk at a time, so it stays valid for the reader's lifetime.
      dictionary_ = decompress(body, header.uncompressed_page_size, dictionary_scratch());
      dictionary_count_ = header.dictionary->num_values;
      return Next::kDictionary;
    }
    if (header.type == PageType::DataPage) {
      if (!header.data) throw ParquetError("data page without its header");
      const DataPageHeader& data = *header.data;
      std::span<const uint8_t> bytes = decompress(body, header.uncompressed_page_size, page_scratch());
      std::span<const uint8_t> levels;
      if (max_definition_level_ > 0) {
        if (data.definition_level_encoding != Encoding::Rle) throw NotSupported("bit-packed definition levels");
        uint32_t length;
        if (bytes.size() < 4) throw ParquetError("data page too short for its definition levels");
        std::memcpy(&length, bytes.data(), 4);
        if (length > bytes.size() - 4) throw ParquetError("definition levels run past the end of their page");
        levels = bytes.subspan(4, length);
        bytes = bytes.subspan(4 + length);
      }
      page_.num_rows = data.num_values;
      page_.encoding = data.encoding;
      decode_levels(levels, data.num_values);
      page_.values = bytes;
    } else if (header.type == PageType::DataPageV2) {
      if (!header.data_v2) throw ParquetError("data page v2 without its header");
      const DataPageHeaderV2& data = *header.data_v2;
      const int64_t level_bytes =
          static_cast<int64_t>(data.definition_levels_byte_length) + data.repetition_levels_byte_length;
      if (data.definition_levels_byte_length < 0 || data.repetition_levels_byte_length < 0 ||
          level_bytes > static_cast<int64_t>(body.size())) {
        throw ParquetError("levels of a data page v2 run past its end");
      }
      const std::span<const uint8_t> levels =
          body.subspan(static_cast<std::size_t>(data.repetition_levels_byte_length),
                       static_cast<std::size_t>(data.definition_levels_byte_length));
      const std::span<const uint8_t> rest = body.subspan(static_cast<std::size_t>(level_bytes));
      const bool compressed = data.is_compressed && codec_ != Codec::Uncompressed;
      page_.values = compressed ? decompress(rest, header.uncompressed_page_size - static_cast<int32_t>(level_bytes),
                                             page_scratch())
                                : rest;
      page_.num_rows = data.num_values;
      page_.encoding = data.encoding;
      decode_levels(levels, data.num_values);
      if (page_.num_rows - page_.num_values != data.num_nulls) {
        throw ParquetError("a data page v2 has " + std::to_string(page_.num_rows - page_.num_values) +
                           " nulls, its header says " + std::to_string(data.num_nulls));
      }
    } else {
      continue;  // index pages
    }
    if (page_.num_rows < 0 || page_.num_rows > values_left_) {
      throw ParquetError("data pages hold more values than their column chunk");
    }
    values_left_ -= page_.num_rows;
    return Next::kData;
  }
  return Next::kEnd;
}

}  // namespace headrace::parquet

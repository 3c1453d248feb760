// Parquet's file metadata (the footer) and page headers, decoded from their Thrift compact
// encoding (parquet.thrift). Only what a reader needs is kept; unknown fields are skipped,
// so newer files still parse. A required field that is missing throws ParquetError.
// Codec, Encoding and PageType values are kept as read (a newer file may hold values not
// listed here): switch on them with a default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace headrace::parquet {

enum class PhysicalType : int32_t {
  Boolean = 0, Int32 = 1, Int64 = 2, Int96 = 3, Float = 4, Double = 5, ByteArray = 6,
  FixedLenByteArray = 7
};

enum class Codec : int32_t {
  Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7
};

enum class Encoding : int32_t {
  Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, DeltaBinaryPacked = 5,
  DeltaLengthByteArray = 6, DeltaByteArray = 7, RleDictionary = 8, ByteStreamSplit = 9
};

enum class PageType : int32_t { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 };

enum class Repetition : int32_t { Required = 0, Optional = 1, Repeated = 2 };

enum class TimeUnit { Millis, Micros, Nanos };

// The union of the LogicalType annotation (SchemaElement field 10) and the legacy
// ConvertedType it replaces.
struct LogicalType {
  enum class Kind {
    None, String, Enum, Json, Bson, Uuid, Date, Time, Timestamp, Decimal, Integer, Float16,
    Map, List, Unknown /* the null type */, Other
  };
  Kind kind = Kind::None;
  int32_t precision = 0, scale = 0;  // Decimal
  TimeUnit unit = TimeUnit::Micros;  // Time, Timestamp
  bool adjusted_to_utc = false;      // Time, Timestamp
  int32_t bit_width = 0;             // Integer
  bool is_signed = true;             // Integer
};

struct SchemaElement {
  std::string name;
  std::optional<PhysicalType> type;  // unset for groups
  int32_t type_length = 0;
  std::optional<Repetition> repetition;  // unset for the root
  int32_t num_children = 0;
  std::optional<int32_t> converted_type;
  std::optional<int32_t> field_id;
  // From the LogicalType annotation when present, else derived from converted_type
  // (UTF8 -> String, DATE -> Date, DECIMAL -> Decimal with the element's scale and
  // precision, TIMESTAMP_MILLIS/MICROS -> Timestamp adjusted to UTC, INT_8..UINT_64 ->
  // Integer, ...).
  LogicalType logical;
};

struct Statistics {
  std::optional<std::string> min_value, max_value;
  std::optional<int64_t> null_count;
  // The legacy min/max fields (signed byte-wise order, unreliable for some types) were
  // used because min_value/max_value were absent.
  bool min_max_deprecated = false;
};

struct ColumnChunkMeta {
  std::vector<std::string> path;
  PhysicalType type = PhysicalType::Boolean;
  std::vector<Encoding> encodings;
  Codec codec = Codec::Uncompressed;
  int64_t num_values = 0, total_uncompressed_size = 0, total_compressed_size = 0,
          data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;
  std::optional<std::string> file_path;  // set: the chunk lives in another file
};

struct RowGroupMeta {
  std::vector<ColumnChunkMeta> columns;
  int64_t total_byte_size = 0, num_rows = 0;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;  // depth-first; schema[0] is the root
  int64_t num_rows = 0;
  std::vector<RowGroupMeta> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  std::optional<std::string> created_by;
  // Encrypted columns in a file with a plaintext footer (its metadata parses; its pages
  // cannot be read without keys).
  bool encrypted = false;
};

// Decodes the footer's Thrift bytes (between the data and the 4-byte length + "PAR1").
FileMetaData parse_file_metadata(const uint8_t* data, std::size_t size);

// Reads the footer of the file at `path`: checks both "PAR1" magics (an encrypted footer,
// "PARE", throws ParquetError saying encrypted files are not supported) and decodes it.
FileMetaData read_file_metadata(const std::string& path);

struct DataPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::Plain, definition_level_encoding = Encoding::Rle,
           repetition_level_encoding = Encoding::Rle;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0, num_nulls = 0, num_rows = 0;
  Encoding encoding = Encoding::Plain;
  int32_t definition_levels_byte_length = 0, repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::Plain;
  bool is_sorted = false;
};

struct PageHeader {
  PageType type = PageType::DataPage;
  int32_t uncompressed_page_size = 0, compressed_page_size = 0;
  std::optional<DataPageHeader> data;
  std::optional<DataPageHeaderV2> data_v2;
  std::optional<DictionaryPageHeader> dictionary;
  std::size_t header_size = 0;  // bytes the header took; the page's data follows
};

// Decodes the page header at the start of [data, data + size) (the span may extend past it).
PageHeader parse_page_header(const uint8_t* data, std::size_t size);

}  // namespace headrace::parquet

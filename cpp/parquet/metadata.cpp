#include "parquet/metadata.h"

#include <array>
#include <cstring>
#include <fstream>

#include "parquet/parquet_error.h"
#include "parquet/thrift_compact.h"

namespace headrace::parquet {

namespace {

[[noreturn]] void corrupt(const std::string& what) {
  throw ParquetError("corrupt Parquet metadata: " + what);
}

void expect(const FieldHeader& field, ThriftType type, const char* name) {
  if (field.type != type) corrupt(std::string(name) + " has the wrong Thrift type");
}

void require(bool present, const char* name) {
  if (!present) corrupt(std::string("required field ") + name + " is missing");
}

int32_t read_i32(CompactReader& r, const FieldHeader& f, const char* name) {
  expect(f, ThriftType::I32, name);
  return r.read_i32();
}

int64_t read_i64(CompactReader& r, const FieldHeader& f, const char* name) {
  expect(f, ThriftType::I64, name);
  return r.read_i64();
}

// Sizes, counts and offsets: a negative one is corrupt.
int64_t read_count(CompactReader& r, const FieldHeader& f, const char* name) {
  const int64_t value = f.type == ThriftType::I32 ? r.read_i32() : read_i64(r, f, name);
  if (value < 0) corrupt(std::string(name) + " is negative");
  return value;
}

std::string read_string(CompactReader& r, const FieldHeader& f, const char* name) {
  expect(f, ThriftType::Binary, name);
  return r.read_string();
}

bool read_bool(const FieldHeader& f, const char* name) {
  if (f.type != ThriftType::BoolTrue && f.type != ThriftType::BoolFalse) {
    corrupt(std::string(name) + " has the wrong Thrift type");
  }
  return CompactReader::bool_field(f);
}

// Calls on_element once per element of the list field `f` of element type `type`.
template <class OnElement>
void read_list(CompactReader& r, const FieldHeader& f, ThriftType type, const char* name,
               OnElement&& on_element) {
  expect(f, ThriftType::List, name);
  const ListHeader list = r.read_list_header();
  if (list.size > 0 && list.element_type != type) {
    corrupt(std::string(name) + " has elements of the wrong Thrift type");
  }
  for (uint32_t i = 0; i < list.size; ++i) on_element();
}

// ---- schema ----

TimeUnit parse_time_unit(CompactReader& r) {
  std::optional<TimeUnit> unit;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id >= 1 && f.id <= 3 && f.type == ThriftType::Struct) {
      unit = f.id == 1 ? TimeUnit::Millis : f.id == 2 ? TimeUnit::Micros : TimeUnit::Nanos;
    }
    r.skip(f.type);
  });
  require(unit.has_value(), "TimeUnit");
  return *unit;
}

// TimeType and TimestampType: isAdjustedToUTC and unit.
void parse_time_type(CompactReader& r, LogicalType& logical) {
  bool has_utc = false, has_unit = false;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id == 1) {
      logical.adjusted_to_utc = read_bool(f, "isAdjustedToUTC");
      has_utc = true;
    } else if (f.id == 2) {
      expect(f, ThriftType::Struct, "unit");
      logical.unit = parse_time_unit(r);
      has_unit = true;
    } else {
      r.skip(f.type);
    }
  });
  require(has_utc, "isAdjustedToUTC");
  require(has_unit, "unit");
}

void parse_decimal_type(CompactReader& r, LogicalType& logical) {
  bool has_scale = false, has_precision = false;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id == 1) {
      logical.scale = read_i32(r, f, "DecimalType.scale");
      has_scale = true;
    } else if (f.id == 2) {
      logical.precision = read_i32(r, f, "DecimalType.precision");
      has_precision = true;
    } else {
      r.skip(f.type);
    }
  });
  require(has_scale, "DecimalType.scale");
  require(has_precision, "DecimalType.precision");
}

void parse_int_type(CompactReader& r, LogicalType& logical) {
  bool has_width = false, has_signed = false;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id == 1) {
      expect(f, ThriftType::Byte, "IntType.bitWidth");
      logical.bit_width = r.read_byte();
      has_width = true;
    } else if (f.id == 2) {
      logical.is_signed = read_bool(f, "IntType.isSigned");
      has_signed = true;
    } else {
      r.skip(f.type);
    }
  });
  require(has_width, "IntType.bitWidth");
  require(has_signed, "IntType.isSigned");
}

LogicalType parse_logical_type(CompactReader& r) {
  using Kind = LogicalType::Kind;
  LogicalType logical;
  logical.kind = Kind::Other;  // a member this reader does not know (VARIANT, GEOMETRY, ...)
  read_struct(r, [&](const FieldHeader& f) {
    if (f.type != ThriftType::Struct) {
      r.skip(f.type);
      return;
    }
    switch (f.id) {
      case 5: logical.kind = Kind::Decimal; parse_decimal_type(r, logical); return;
      case 7: logical.kind = Kind::Time; parse_time_type(r, logical); return;
      case 8: logical.kind = Kind::Timestamp; parse_time_type(r, logical); return;
      case 10: logical.kind = Kind::Integer; parse_int_type(r, logical); return;
      case 1: logical.kind = Kind::String; break;
      case 2: logical.kind = Kind::Map; break;
      case 3: logical.kind = Kind::List; break;
      case 4: logical.kind = Kind::Enum; break;
      case 6: logical.kind = Kind::Date; break;
      case 11: logical.kind = Kind::Unknown; break;
      case 12: logical.kind = Kind::Json; break;
      case 13: logical.kind = Kind::Bson; break;
      case 14: logical.kind = Kind::Uuid; break;
      case 15: logical.kind = Kind::Float16; break;
      default: break;
    }
    r.skip(f.type);  // the member's (empty or unknown) struct
  });
  return logical;
}

// The LogicalType equivalent of a legacy ConvertedType (LogicalTypes.md, "Compatibility").
LogicalType from_converted_type(int32_t converted, int32_t scale, int32_t precision) {
  using Kind = LogicalType::Kind;
  LogicalType logical;
  auto time = [&](Kind kind, TimeUnit unit) {
    logical.kind = kind;
    logical.unit = unit;
    logical.adjusted_to_utc = true;
  };
  auto integer = [&](int32_t bits, bool is_signed) {
    logical.kind = Kind::Integer;
    logical.bit_width = bits;
    logical.is_signed = is_signed;
  };
  switch (converted) {
    case 0: logical.kind = Kind::String; break;
    case 1: logical.kind = Kind::Map; break;
    case 2: break;  // MAP_KEY_VALUE marks a map's inner group, which has no logical type
    case 3: logical.kind = Kind::List; break;
    case 4: logical.kind = Kind::Enum; break;
    case 5:
      logical.kind = Kind::Decimal;
      logical.scale = scale;
      logical.precision = precision;
      break;
    case 6: logical.kind = Kind::Date; break;
    case 7: time(Kind::Time, TimeUnit::Millis); break;
    case 8: time(Kind::Time, TimeUnit::Micros); break;
    case 9: time(Kind::Timestamp, TimeUnit::Millis); break;
    case 10: time(Kind::Timestamp, TimeUnit::Micros); break;
    case 11: integer(8, false); break;
    case 12: integer(16, false); break;
    case 13: integer(32, false); break;
    case 14: integer(64, false); break;
    case 15: integer(8, true); break;
    case 16: integer(16, true); break;
    case 17: integer(32, true); break;
    case 18: integer(64, true); break;
    case 19: logical.kind = Kind::Json; break;
    case 20: logical.kind = Kind::Bson; break;
    default: logical.kind = Kind::Other; break;  // INTERVAL, newer values
  }
  return logical;
}

SchemaElement parse_schema_element(CompactReader& r) {
  SchemaElement element;
  bool has_name = false;
  int32_t scale = 0, precision = 0;
  std::optional<LogicalType> logical;
  read_struct(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: {
        const int32_t type = read_i32(r, f, "SchemaElement.type");
        if (type < 0 || type > 7) corrupt("unknown physical type " + std::to_string(type));
        element.type = static_cast<PhysicalType>(type);
        return;
      }
      case 2: element.type_length = read_i32(r, f, "SchemaElement.type_length"); return;
      case 3: {
        const int32_t repetition = read_i32(r, f, "SchemaElement.repetition_type");
        if (repetition < 0 || repetition > 2) corrupt("unknown repetition " + std::to_string(repetition));
        element.repetition = static_cast<Repetition>(repetition);
        return;
      }
      case 4:
        element.name = read_string(r, f, "SchemaElement.name");
        has_name = true;
        return;
      case 5:
        element.num_children = static_cast<int32_t>(read_count(r, f, "SchemaElement.num_children"));
        return;
      case 6: element.converted_type = read_i32(r, f, "SchemaElement.converted_type"); return;
      case 7: scale = read_i32(r, f, "SchemaElement.scale"); return;
      case 8: precision = read_i32(r, f, "SchemaElement.precision"); return;
      case 9: element.field_id = read_i32(r, f, "SchemaElement.field_id"); return;
      case 10:
        expect(f, ThriftType::Struct, "SchemaElement.logicalType");
        logical = parse_logical_type(r);
        return;
      default: r.skip(f.type); return;
    }
  });
  require(has_name, "SchemaElement.name");
  if (logical) {
    element.logical = *logical;
  } else if (element.converted_type) {
    element.logical = from_converted_type(*element.converted_type, scale, precision);
  }
  return element;
}

// ---- row groups ----

Statistics parse_statistics(CompactReader& r) {
  std::optional<std::string> legacy_max, legacy_min;
  Statistics stats;
  read_struct(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: legacy_max = read_string(r, f, "Statistics.max"); return;
      case 2: legacy_min = read_string(r, f, "Statistics.min"); return;
      case 3: stats.null_count = read_i64(r, f, "Statistics.null_count"); return;
      case 5: stats.max_value = read_string(r, f, "Statistics.max_value"); return;
      case 6: stats.min_value = read_string(r, f, "Statistics.min_value"); return;
      default: r.skip(f.type); return;
    }
  });
  if (!stats.min_value && !stats.max_value && (legacy_min || legacy_max)) {
    stats.min_value = std::move(legacy_min);
    stats.max_value = std::move(legacy_max);
    stats.min_max_deprecated = true;
  }
  return stats;
}

ColumnChunkMeta parse_column_meta(CompactReader& r) {
  ColumnChunkMeta column;
  uint32_t seen = 0;  // bit i: field i+1 was present
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id >= 1 && f.id <= 32) seen |= 1u << (f.id - 1);
    switch (f.id) {
      case 1: {
        const int32_t type = read_i32(r, f, "ColumnMetaData.type");
        if (type < 0 || type > 7) corrupt("unknown physical type " + std::to_string(type));
        column.type = static_cast<PhysicalType>(type);
        return;
      }
      case 2:
        read_list(r, f, ThriftType::I32, "ColumnMetaData.encodings",
                  [&] { column.encodings.push_back(static_cast<Encoding>(r.read_i32())); });
        return;
      case 3:
        read_list(r, f, ThriftType::Binary, "ColumnMetaData.path_in_schema",
                  [&] { column.path.push_back(r.read_string()); });
        return;
      case 4: column.codec = static_cast<Codec>(read_i32(r, f, "ColumnMetaData.codec")); return;
      case 5: column.num_values = read_count(r, f, "ColumnMetaData.num_values"); return;
      case 6:
        column.total_uncompressed_size = read_count(r, f, "ColumnMetaData.total_uncompressed_size");
        return;
      case 7:
        column.total_compressed_size = read_count(r, f, "ColumnMetaData.total_compressed_size");
        return;
      case 9: column.data_page_offset = read_count(r, f, "ColumnMetaData.data_page_offset"); return;
      case 11:
        column.dictionary_page_offset = read_count(r, f, "ColumnMetaData.dictionary_page_offset");
        return;
      case 12:
        expect(f, ThriftType::Struct, "ColumnMetaData.statistics");
        column.statistics = parse_statistics(r);
        return;
      default: r.skip(f.type); return;
    }
  });
  static constexpr std::array<std::pair<int, const char*>, 8> kRequired{{
      {1, "ColumnMetaData.type"}, {2, "ColumnMetaData.encodings"},
      {3, "ColumnMetaData.path_in_schema"}, {4, "ColumnMetaData.codec"},
      {5, "ColumnMetaData.num_values"}, {6, "ColumnMetaData.total_uncompressed_size"},
      {7, "ColumnMetaData.total_compressed_size"}, {9, "ColumnMetaData.data_page_offset"},
  }};
  for (const auto& [id, name] : kRequired) require(seen & (1u << (id - 1)), name);
  return column;
}

ColumnChunkMeta parse_column_chunk(CompactReader& r, bool& encrypted) {
  std::optional<ColumnChunkMeta> column;
  std::optional<std::string> file_path;
  bool column_encrypted = false;
  read_struct(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1: file_path = read_string(r, f, "ColumnChunk.file_path"); return;
      case 3:
        expect(f, ThriftType::Struct, "ColumnChunk.meta_data");
        column = parse_column_meta(r);
        return;
      case 8:  // crypto_metadata
      case 9:  // encrypted_column_metadata
        column_encrypted = true;
        r.skip(f.type);
        return;
      default: r.skip(f.type); return;
    }
  });
  encrypted = encrypted || column_encrypted;
  if (!column) {
    if (column_encrypted) throw ParquetError("encrypted Parquet columns are not supported");
    corrupt("a column chunk has no meta_data");
  }
  column->file_path = std::move(file_path);
  return std::move(*column);
}

RowGroupMeta parse_row_group(CompactReader& r, bool& encrypted) {
  RowGroupMeta group;
  bool has_columns = false, has_bytes = false, has_rows = false;
  read_struct(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        read_list(r, f, ThriftType::Struct, "RowGroup.columns",
                  [&] { group.columns.push_back(parse_column_chunk(r, encrypted)); });
        has_columns = true;
        return;
      case 2:
        group.total_byte_size = read_count(r, f, "RowGroup.total_byte_size");
        has_bytes = true;
        return;
      case 3:
        group.num_rows = read_count(r, f, "RowGroup.num_rows");
        has_rows = true;
        return;
      default: r.skip(f.type); return;
    }
  });
  require(has_columns, "RowGroup.columns");
  require(has_bytes, "RowGroup.total_byte_size");
  require(has_rows, "RowGroup.num_rows");
  return group;
}

std::pair<std::string, std::string> parse_key_value(CompactReader& r) {
  std::pair<std::string, std::string> kv;
  bool has_key = false;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id == 1) {
      kv.first = read_string(r, f, "KeyValue.key");
      has_key = true;
    } else if (f.id == 2) {
      kv.second = read_string(r, f, "KeyValue.value");
    } else {
      r.skip(f.type);
    }
  });
  require(has_key, "KeyValue.key");
  return kv;
}

// ---- page headers ----

Encoding read_encoding(CompactReader& r, const FieldHeader& f, const char* name) {
  return static_cast<Encoding>(read_i32(r, f, name));
}

int32_t read_page_count(CompactReader& r, const FieldHeader& f, const char* name) {
  const int32_t value = read_i32(r, f, name);
  if (value < 0) corrupt(std::string(name) + " is negative");
  return value;
}

DataPageHeader parse_data_page_header(CompactReader& r) {
  DataPageHeader header;
  uint32_t seen = 0;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id >= 1 && f.id <= 4) seen |= 1u << (f.id - 1);
    switch (f.id) {
      case 1: header.num_values = read_page_count(r, f, "DataPageHeader.num_values"); return;
      case 2: header.encoding = read_encoding(r, f, "DataPageHeader.encoding"); return;
      case 3:
        header.definition_level_encoding = read_encoding(r, f, "DataPageHeader.definition_level_encoding");
        return;
      case 4:
        header.repetition_level_encoding = read_encoding(r, f, "DataPageHeader.repetition_level_encoding");
        return;
      default: r.skip(f.type); return;
    }
  });
  require(seen == 0xf, "of DataPageHeader");
  return header;
}

DataPageHeaderV2 parse_data_page_header_v2(CompactReader& r) {
  DataPageHeaderV2 header;
  uint32_t seen = 0;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id >= 1 && f.id <= 6) seen |= 1u << (f.id - 1);
    switch (f.id) {
      case 1: header.num_values = read_page_count(r, f, "DataPageHeaderV2.num_values"); return;
      case 2: header.num_nulls = read_page_count(r, f, "DataPageHeaderV2.num_nulls"); return;
      case 3: header.num_rows = read_page_count(r, f, "DataPageHeaderV2.num_rows"); return;
      case 4: header.encoding = read_encoding(r, f, "DataPageHeaderV2.encoding"); return;
      case 5:
        header.definition_levels_byte_length =
            read_page_count(r, f, "DataPageHeaderV2.definition_levels_byte_length");
        return;
      case 6:
        header.repetition_levels_byte_length =
            read_page_count(r, f, "DataPageHeaderV2.repetition_levels_byte_length");
        return;
      case 7: header.is_compressed = read_bool(f, "DataPageHeaderV2.is_compressed"); return;
      default: r.skip(f.type); return;
    }
  });
  require(seen == 0x3f, "of DataPageHeaderV2");
  return header;
}

DictionaryPageHeader parse_dictionary_page_header(CompactReader& r) {
  DictionaryPageHeader header;
  uint32_t seen = 0;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id >= 1 && f.id <= 2) seen |= 1u << (f.id - 1);
    switch (f.id) {
      case 1: header.num_values = read_page_count(r, f, "DictionaryPageHeader.num_values"); return;
      case 2: header.encoding = read_encoding(r, f, "DictionaryPageHeader.encoding"); return;
      case 3: header.is_sorted = read_bool(f, "DictionaryPageHeader.is_sorted"); return;
      default: r.skip(f.type); return;
    }
  });
  require(seen == 0x3, "of DictionaryPageHeader");
  return header;
}

}  // namespace

FileMetaData parse_file_metadata(const uint8_t* data, std::size_t size) {
  CompactReader r(data, size);
  FileMetaData meta;
  bool has_version = false, has_schema = false, has_rows = false, has_groups = false;
  read_struct(r, [&](const FieldHeader& f) {
    switch (f.id) {
      case 1:
        meta.version = read_i32(r, f, "FileMetaData.version");
        has_version = true;
        return;
      case 2:
        read_list(r, f, ThriftType::Struct, "FileMetaData.schema",
                  [&] { meta.schema.push_back(parse_schema_element(r)); });
        has_schema = true;
        return;
      case 3:
        meta.num_rows = read_count(r, f, "FileMetaData.num_rows");
        has_rows = true;
        return;
      case 4:
        read_list(r, f, ThriftType::Struct, "FileMetaData.row_groups",
                  [&] { meta.row_groups.push_back(parse_row_group(r, meta.encrypted)); });
        has_groups = true;
        return;
      case 5:
        read_list(r, f, ThriftType::Struct, "FileMetaData.key_value_metadata",
                  [&] { meta.key_value_metadata.push_back(parse_key_value(r)); });
        return;
      case 6: meta.created_by = read_string(r, f, "FileMetaData.created_by"); return;
      case 8:  // encryption_algorithm: a plaintext footer over encrypted columns
        meta.encrypted = true;
        r.skip(f.type);
        return;
      default: r.skip(f.type); return;
    }
  });
  require(has_version, "FileMetaData.version");
  require(has_schema, "FileMetaData.schema");
  require(has_rows, "FileMetaData.num_rows");
  require(has_groups, "FileMetaData.row_groups");
  if (meta.schema.empty()) corrupt("the schema has no root element");
  return meta;
}

FileMetaData read_file_metadata(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ParquetError("cannot open " + path);
  auto fail = [&](const std::string& why) -> ParquetError { return ParquetError(path + ": " + why); };
  file.seekg(0, std::ios::end);
  const std::streamoff file_size = file.tellg();
  constexpr std::streamoff kMagic = 4, kTrailer = 8;  // footer length + magic
  if (file_size < kMagic + kTrailer) throw fail("too small to be a Parquet file");

  char head[4], trailer[8];
  file.seekg(0);
  file.read(head, 4);
  file.seekg(file_size - kTrailer);
  file.read(trailer, 8);
  if (!file) throw fail("read error");
  if (std::memcmp(trailer + 4, "PARE", 4) == 0 || std::memcmp(head, "PARE", 4) == 0) {
    throw fail("encrypted Parquet files (encrypted footer) are not supported");
  }
  if (std::memcmp(head, "PAR1", 4) != 0 || std::memcmp(trailer + 4, "PAR1", 4) != 0) {
    throw fail("not a Parquet file (no PAR1 magic)");
  }
  uint32_t footer_size = 0;
  for (int i = 0; i < 4; ++i) footer_size |= static_cast<uint32_t>(static_cast<uint8_t>(trailer[i])) << (8 * i);
  if (footer_size > file_size - kMagic - kTrailer) throw fail("footer length exceeds the file");

  std::vector<uint8_t> footer(footer_size);
  file.seekg(file_size - kTrailer - footer_size);
  file.read(reinterpret_cast<char*>(footer.data()), footer_size);
  if (!file) throw fail("read error");
  try {
    return parse_file_metadata(footer.data(), footer.size());
  } catch (const ParquetError& e) {
    throw fail(e.what());
  }
}

PageHeader parse_page_header(const uint8_t* data, std::size_t size) {
  CompactReader r(data, size);
  PageHeader header;
  uint32_t seen = 0;
  read_struct(r, [&](const FieldHeader& f) {
    if (f.id >= 1 && f.id <= 3) seen |= 1u << (f.id - 1);
    switch (f.id) {
      case 1: header.type = static_cast<PageType>(read_i32(r, f, "PageHeader.type")); return;
      case 2:
        header.uncompressed_page_size = read_page_count(r, f, "PageHeader.uncompressed_page_size");
        return;
      case 3:
        header.compressed_page_size = read_page_count(r, f, "PageHeader.compressed_page_size");
        return;
      case 5:
        expect(f, ThriftType::Struct, "PageHeader.data_page_header");
        header.data = parse_data_page_header(r);
        return;
      case 7:
        expect(f, ThriftType::Struct, "PageHeader.dictionary_page_header");
        header.dictionary = parse_dictionary_page_header(r);
        return;
      case 8:
        expect(f, ThriftType::Struct, "PageHeader.data_page_header_v2");
        header.data_v2 = parse_data_page_header_v2(r);
        return;
      default: r.skip(f.type); return;
    }
  });
  require(seen == 0x7, "of PageHeader");
  if (header.type == PageType::DataPage) require(header.data.has_value(), "data_page_header");
  if (header.type == PageType::DataPageV2) require(header.data_v2.has_value(), "data_page_header_v2");
  if (header.type == PageType::DictionaryPage) {
    require(header.dictionary.has_value(), "dictionary_page_header");
  }
  header.header_size = r.position();
  return header;
}

}  // namespace headrace::parquet

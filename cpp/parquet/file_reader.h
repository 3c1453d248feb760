// A Parquet file read natively, one row group at a time: the footer is parsed once; each
// read takes the column chunks it needs from the file (mapped, see mapped_file.h) and
// decodes them (see column_decoder.h for what is supported). Reads of different row groups
// may run in parallel on one reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "arrow/array_data.h"
#include "arrow/data_type.h"
#include "parquet/column_decoder.h"
#include "parquet/mapped_file.h"
#include "parquet/metadata.h"

namespace headrace::parquet {

class ParquetFileReader {
 public:
  // map_file=false reads column chunks with file reads, as where mapping is unavailable.
  explicit ParquetFileReader(std::string path, bool map_file = true);

  const std::string& path() const noexcept { return path_; }
  const FileMetaData& metadata() const noexcept { return metadata_; }
  // The column chunk index of a top-level leaf column, or -1 (unknown or nested).
  int column_index(const std::string& name) const;

  // Why the native reader cannot read `columns` (chunk indices) of these row groups as
  // `fields`, or "" if it can.
  std::string unsupported(const std::vector<int>& row_groups, const std::vector<int>& columns,
                          const std::vector<arrow::Field>& fields) const;

  // The row group's `columns` as arrays of `fields`' types: every row, or the rows of
  // `selection` (ascending row numbers within the row group) if it is not null.
  std::vector<std::shared_ptr<const arrow::ArrayData>> read_row_group(int row_group, const std::vector<int>& columns,
                                                                      const std::vector<arrow::Field>& fields,
                                                                      const std::vector<int32_t>* selection) const;

 private:
  std::string path_;
  FileMetaData metadata_;
  std::vector<LeafColumn> leaves_;                 // by column chunk index; nested ones have no element
  std::unordered_map<std::string, int> top_level_; // name -> column chunk index of top-level leaves
  MappedFile file_;                                // column chunks are read from here when mapped
};

}  // namespace headrace::parquet

#include "parquet/file_reader.h"

#include <fstream>
#include <memory>

#include "parquet/scratch_buffer.h"

namespace headrace::parquet {

namespace {

// Reads `size` bytes at `offset` of the file into this thread's chunk scratch buffer (a
// file that is not mapped).
const uint8_t* read_range(const std::string& path, int64_t offset, int64_t size) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ParquetError("cannot open the file");
  uint8_t* bytes = chunk_scratch().reserve(static_cast<std::size_t>(size));
  file.seekg(offset);
  file.read(reinterpret_cast<char*>(bytes), size);
  if (file.gcount() != size) throw ParquetError("a column chunk runs past the end of the file");
  return bytes;
}

}  // namespace

ParquetFileReader::ParquetFileReader(std::string path, bool map_file)
    : path_(std::move(path)), metadata_(read_file_metadata(path_)), file_(path_, map_file) {
  const std::vector<SchemaElement>& schema = metadata_.schema;
  if (schema.empty()) throw ParquetError("the file has no schema");
  // Depth-first over the schema tree: leaves are the column chunks, in order. Only
  // top-level leaves that are not repeated are read natively; the stack holds how many
  // children each open group has left.
  std::vector<int> children_left{schema[0].num_children};
  for (std::size_t i = 1; i < schema.size(); ++i) {
    while (!children_left.empty() && children_left.back() == 0) children_left.pop_back();
    if (children_left.empty()) throw ParquetError("the schema has more elements than its tree");
    --children_left.back();
    const SchemaElement& element = schema[i];
    if (element.num_children > 0) {
      children_left.push_back(element.num_children);
      continue;
    }
    const int index = static_cast<int>(leaves_.size());
    if (children_left.size() > 1 || element.repetition == Repetition::Repeated) {
      leaves_.push_back({});  // nested: left to pyarrow
    } else {
      leaves_.push_back({&element, element.repetition == Repetition::Optional ? 1 : 0});
      top_level_.emplace(element.name, index);
    }
  }
  for (const RowGroupMeta& group : metadata_.row_groups) {
    if (group.columns.size() != leaves_.size()) throw ParquetError("a row group's column count differs from the schema's");
  }
}

int ParquetFileReader::column_index(const std::string& name) const {
  const auto found = top_level_.find(name);
  return found == top_level_.end() ? -1 : found->second;
}

std::string ParquetFileReader::unsupported(const std::vector<int>& row_groups, const std::vector<int>& columns,
                                           const std::vector<arrow::Field>& fields) const {
  if (columns.size() != fields.size()) return "one field per column is needed";
  for (int g : row_groups) {
    if (g < 0 || static_cast<std::size_t>(g) >= metadata_.row_groups.size()) return "no row group " + std::to_string(g);
    const RowGroupMeta& group = metadata_.row_groups[static_cast<std::size_t>(g)];
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (columns[c] < 0 || static_cast<std::size_t>(columns[c]) >= leaves_.size()) return "no column " + std::to_string(columns[c]);
      const std::string reason =
          unsupported_reason(leaves_[static_cast<std::size_t>(columns[c])], group.columns[static_cast<std::size_t>(columns[c])], fields[c]);
      if (!reason.empty()) return "column '" + fields[c].name + "': " + reason;
    }
  }
  return "";
}

std::vector<std::shared_ptr<const arrow::ArrayData>> ParquetFileReader::read_row_group(
    int row_group, const std::vector<int>& columns, const std::vector<arrow::Field>& fields,
    const std::vector<int32_t>* selection) const {
  if (const std::string reason = unsupported({row_group}, columns, fields); !reason.empty()) throw NotSupported(reason);
  const RowGroupMeta& group = metadata_.row_groups[static_cast<std::size_t>(row_group)];
  if (selection != nullptr) {
    int64_t previous = -1;
    for (int32_t row : *selection) {
      if (row <= previous || row >= group.num_rows) throw ParquetError("a selection must hold ascending row numbers of the row group");
      previous = row;
    }
  }
  if (file_.mapped() && !file_.current(path_)) {
    throw ParquetError("the file has changed since its footer was read (another size, inode or modification "
                       "time); read it again");
  }
  std::vector<std::shared_ptr<const arrow::ArrayData>> arrays;
  arrays.reserve(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const auto index = static_cast<std::size_t>(columns[c]);
    const ColumnChunkMeta& chunk = group.columns[index];
    int64_t start = chunk.data_page_offset;
    if (chunk.dictionary_page_offset && *chunk.dictionary_page_offset > 0 && *chunk.dictionary_page_offset < start) {
      start = *chunk.dictionary_page_offset;
    }
    const int64_t size = chunk.total_compressed_size;
    if (start < 0 || size < 0) throw ParquetError("a column chunk has a negative offset or size");
    const uint8_t* bytes = nullptr;
    if (file_.mapped()) {
      if (static_cast<uint64_t>(start) + static_cast<uint64_t>(size) > file_.size()) {
        throw ParquetError("a column chunk runs past the end of the file");
      }
      bytes = file_.data() + start;
    } else {
      bytes = read_range(path_, start, size);
    }
    arrays.push_back(decode_column_chunk({bytes, static_cast<std::size_t>(size)}, chunk, leaves_[index], fields[c],
                                         group.num_rows, selection));
  }
  return arrays;
}

}  // namespace headrace::parquet

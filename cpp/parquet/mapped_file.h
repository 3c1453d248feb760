// A whole file mapped read-only into memory (POSIX mmap), so that reading a column chunk
// costs no copy out of the page cache: the decoders read the mapped pages directly, and a
// reader kept from one query to the next (python/headrace/_footers.py) keeps its mapping.
// Where a file cannot be mapped (another platform, an empty file, a failed mmap), nothing
// is mapped and the reader reads ranges with ordinary file reads instead.
//
// A file rewritten after it was mapped is refused by the reader (current() fails) before
// it reads. One that another process truncates *while* it is being read raises SIGBUS on
// the next access past its new end, as in other readers that map files (Polars, Arrow's
// memory_map=True); reading a file while it is rewritten gives no sound answer either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace headrace::parquet {

class MappedFile {
 public:
  // Never throws: a file that cannot be mapped (or map=false) is left unmapped.
  explicit MappedFile(const std::string& path, bool map = true) noexcept;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  bool mapped() const noexcept { return data_ != nullptr; }
  const uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

  // Whether the file at `path` is still the one mapped (same inode, size and modification
  // time): a reader kept across a rewrite must not read the new file's bytes at the old
  // footer's offsets, nor past a shortened file's end.
  bool current(const std::string& path) const noexcept;

 private:
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  uint64_t inode_ = 0;
  int64_t modified_ns_ = 0;
};

}  // namespace headrace::parquet

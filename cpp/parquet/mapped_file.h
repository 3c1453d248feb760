// A whole file mapped read-only into memory (POSIX mmap), so that reading a column chunk
// costs no copy out of the page cache: the decoders read the mapped pages directly, and a
// reader kept from one query to the next (python/headrace/_footers.py) keeps its mapping.
// Where a file cannot be mapped (another platform, an empty file, a failed mmap), nothing
// is mapped and the reader reads ranges with ordinary file reads instead.
//
// A mapped file that another process truncates while it is being read raises SIGBUS on
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

 private:
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace headrace::parquet

#include "parquet/mapped_file.h"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define HEADRACE_HAS_MMAP 1
#endif

namespace headrace::parquet {

#ifdef HEADRACE_HAS_MMAP

MappedFile::MappedFile(const std::string& path, bool map) noexcept {
  if (!map) return;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
    const auto size = static_cast<std::size_t>(info.st_size);
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (address != MAP_FAILED) {
      data_ = static_cast<const uint8_t*>(address);
      size_ = size;
    }
  }
  ::close(fd);  // the mapping stays valid without the descriptor
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

#else

MappedFile::MappedFile(const std::string&, bool) noexcept {}
MappedFile::~MappedFile() = default;

#endif

}  // namespace headrace::parquet

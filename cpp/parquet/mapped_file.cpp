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

namespace {

int64_t modified_ns(const struct stat& info) noexcept {
#if defined(__APPLE__)
  return static_cast<int64_t>(info.st_mtimespec.tv_sec) * 1000000000 + info.st_mtimespec.tv_nsec;
#else
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
#endif
}

}  // namespace

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
      inode_ = static_cast<uint64_t>(info.st_ino);
      modified_ns_ = modified_ns(info);
    }
  }
  ::close(fd);  // the mapping stays valid without the descriptor
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

bool MappedFile::current(const std::string& path) const noexcept {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && static_cast<uint64_t>(info.st_ino) == inode_ &&
         static_cast<std::size_t>(info.st_size) == size_ && modified_ns(info) == modified_ns_;
}

#else

MappedFile::MappedFile(const std::string&, bool) noexcept {}
MappedFile::~MappedFile() = default;
bool MappedFile::current(const std::string&) const noexcept { return true; }  // never mapped here

#endif

}  // namespace headrace::parquet

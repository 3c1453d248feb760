// A growable byte buffer that is never zeroed, for bytes written before they are read (a
// column chunk read from the file, a decompressed page). One per thread and use, kept for
// the thread's lifetime: reusing its memory spares a page fault and a memset per read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace headrace::parquet {

class ScratchBuffer {
 public:
  // At least `size` writable bytes; the previous contents are not kept.
  uint8_t* reserve(std::size_t size) {
    if (size > capacity_) {
      data_ = std::make_unique_for_overwrite<uint8_t[]>(size);
      capacity_ = size;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<uint8_t[]> data_;
  std::size_t capacity_ = 0;
};

// This thread's buffer for column chunk bytes, the one for decompressed data pages, and the
// one for the decompressed dictionary page of the chunk it decodes.
inline ScratchBuffer& chunk_scratch() {
  thread_local ScratchBuffer buffer;
  return buffer;
}
inline ScratchBuffer& page_scratch() {
  thread_local ScratchBuffer buffer;
  return buffer;
}
inline ScratchBuffer& dictionary_scratch() {
  thread_local ScratchBuffer buffer;
  return buffer;
}

}  // namespace headrace::parquet

// Arrays built in C++: owned, 64-byte aligned buffers (Arrow's recommended alignment)
// handed over to an ArrayData whose `keepalive` owns them, so `export_array` passes them to
// a consumer without copying. Fixed-width values, bit-packed bools, utf8/large_utf8
// (offsets + characters) and validity bitmaps; the bitmap is dropped when there are no
// nulls, and `null_count` is always exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "arrow/array_data.h"

namespace headrace::arrow {

// Owned bytes, 64-byte aligned, capacity padded to a multiple of 64. Growing keeps the
// contents; new bytes are zero. The memory comes from BufferPool::global(): a large block
// may be one a freed buffer left, with its old contents (every path here zeroes what it
// promises to, so nothing relies on fresh pages being zero).
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t size) { resize(size); }
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  ~AlignedBuffer();
  // `size` bytes whose contents are undefined (only the padding after them is zero), for a
  // caller that writes every byte: saves zeroing memory that is overwritten at once.
  static AlignedBuffer for_overwrite(std::size_t size);

  void resize(std::size_t size);
  std::size_t size() const noexcept { return size_; }
  uint8_t* data() noexcept { return data_; }
  const uint8_t* data() const noexcept { return data_; }
  template <typename T>
  T* as() noexcept {
    return reinterpret_cast<T*>(data_);
  }

 private:
  void reallocate(std::size_t capacity);  // keeps the first size_ bytes

  uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  // Bytes [size_, capacity_) are zero; the block holds block_ >= capacity_ bytes (its
  // size class), the rest undefined.
  std::size_t capacity_ = 0;
  std::size_t block_ = 0;
};

// A bitmap of `length` bits, all 0 at first (validity: all null; bools: all false).
class BitmapBuilder {
 public:
  explicit BitmapBuilder(int64_t length) : length_(length), bits_(static_cast<std::size_t>((length + 7) / 8)) {}
  void set(int64_t i) noexcept { bits_.data()[i >> 3] |= static_cast<uint8_t>(1u << (i & 7)); }
  void set(int64_t i, bool value) noexcept {
    if (value) set(i);
  }
  int64_t length() const noexcept { return length_; }
  AlignedBuffer release() { return std::move(bits_); }

 private:
  int64_t length_;
  AlignedBuffer bits_;
};

// An array of `length` values over `buffers` (buffers[0] is the validity bitmap, built
// with BitmapBuilder, or empty for "no nulls"). The bitmap is counted and dropped if every
// bit is set; empty value buffers still get a (non-null) allocation.
std::shared_ptr<const ArrayData> make_array(int64_t length, std::vector<AlignedBuffer> buffers);

// utf8 (int32 offsets) or large_utf8 (int64 offsets) values appended one at a time.
// Offsets beyond int32 in a utf8 array are an ArrowError naming `column`.
class StringBuilder {
 public:
  StringBuilder(bool large, int64_t length, std::string column);
  // Room for `bytes` characters in all, allocated once (not zeroed); before the first append.
  void reserve_chars(std::size_t bytes);
  void append(std::string_view value);
  void append_null();
  std::shared_ptr<const ArrayData> finish();

 private:
  bool large_;
  std::string column_;
  int64_t length_;
  int64_t next_ = 0;
  BitmapBuilder validity_;
  AlignedBuffer offsets_;
  AlignedBuffer chars_;
  std::size_t chars_used_ = 0;
};

}  // namespace headrace::arrow

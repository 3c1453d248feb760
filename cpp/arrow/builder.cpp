#include "arrow/builder.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "arrow/buffer_pool.h"
#include "arrow/data_type.h"

namespace headrace::arrow {

namespace {

constexpr std::size_t kAlignment = kBufferAlignment;

// What an exported built array keeps alive: its buffers.
struct OwnedBuffers {
  std::vector<AlignedBuffer> buffers;
};

}  // namespace

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      block_(std::exchange(other.block_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) BufferPool::global().deallocate(data_, block_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    block_ = std::exchange(other.block_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() {
  if (data_ != nullptr) BufferPool::global().deallocate(data_, block_);
}

void AlignedBuffer::reallocate(std::size_t capacity) {
  capacity = (capacity + kAlignment - 1) / kAlignment * kAlignment;
  if (capacity > block_) {
    // The block's size class may exceed `capacity`: a later growth up to it stays in place.
    BufferPool& pool = BufferPool::global();
    const std::size_t block = BufferPool::round_up(capacity);
    auto* fresh = static_cast<uint8_t*>(pool.allocate(block));
    if (size_ > 0) std::memcpy(fresh, data_, size_);
    if (data_ != nullptr) pool.deallocate(data_, block_);
    data_ = fresh;
    block_ = block;
  }
  capacity_ = capacity;
}

AlignedBuffer AlignedBuffer::for_overwrite(std::size_t size) {
  AlignedBuffer buffer;
  buffer.reallocate(std::max(size, kAlignment));
  std::memset(buffer.data_ + size, 0, buffer.capacity_ - size);  // the padding only
  buffer.size_ = size;
  return buffer;
}

void AlignedBuffer::resize(std::size_t size) {
  if (size > capacity_) {
    const std::size_t old_size = size_;
    std::size_t capacity = std::max<std::size_t>({size, 2 * capacity_, kAlignment});
    if (size <= block_) capacity = std::min(capacity, block_);  // in place, the block's slack
    reallocate(capacity);
    std::memset(data_ + old_size, 0, capacity_ - old_size);
  } else if (size < size_) {
    std::memset(data_ + size, 0, size_ - size);
  }
  size_ = size;
}

std::shared_ptr<const ArrayData> make_array(int64_t length, std::vector<AlignedBuffer> buffers) {
  auto data = std::make_shared<ArrayData>();
  data->length = length;
  if (!buffers.empty() && buffers[0].size() > 0) {
    int64_t valid = 0;
    const uint8_t* bytes = buffers[0].data();
    for (int64_t i = 0; i < length / 8; ++i) valid += std::popcount(static_cast<unsigned>(bytes[i]));
    for (int64_t i = length / 8 * 8; i < length; ++i) valid += (bytes[i >> 3] >> (i & 7)) & 1;
    data->null_count = length - valid;
    if (data->null_count == 0) buffers[0] = AlignedBuffer();
  }
  auto owned = std::make_shared<OwnedBuffers>();
  owned->buffers = std::move(buffers);
  for (std::size_t i = 0; i < owned->buffers.size(); ++i) {
    AlignedBuffer& buffer = owned->buffers[i];
    // Value buffers are exported non-null even when empty: some consumers read them anyway.
    if (i > 0 && buffer.data() == nullptr) {
      buffer.resize(1);
      buffer.resize(0);
    }
    data->buffers.push_back(i == 0 && buffer.size() == 0 ? nullptr : buffer.data());
  }
  data->keepalive = std::move(owned);
  return data;
}

StringBuilder::StringBuilder(bool large, int64_t length, std::string column)
    : large_(large),
      column_(std::move(column)),
      length_(length),
      validity_(length),
      offsets_(static_cast<std::size_t>(length + 1) * (large ? 8 : 4)) {}

void StringBuilder::reserve_chars(std::size_t bytes) {
  if (chars_used_ == 0 && bytes > chars_.size()) chars_ = AlignedBuffer::for_overwrite(bytes);
}

void StringBuilder::append(std::string_view value) {
  const std::size_t end = chars_used_ + value.size();
  if (!large_ && end > static_cast<std::size_t>(INT32_MAX)) {
    throw ArrowError("column '" + column_ + "': more than 2 GiB of utf8 characters in one result; " +
                     "use large_utf8 input");
  }
  if (end > chars_.size()) chars_.resize(std::max(end, 2 * chars_.size()));
  if (!value.empty()) std::memcpy(chars_.data() + chars_used_, value.data(), value.size());
  chars_used_ = end;
  validity_.set(next_);
  ++next_;
  if (large_) {
    offsets_.as<int64_t>()[next_] = static_cast<int64_t>(end);
  } else {
    offsets_.as<int32_t>()[next_] = static_cast<int32_t>(end);
  }
}

void StringBuilder::append_null() {
  ++next_;
  if (large_) {
    offsets_.as<int64_t>()[next_] = static_cast<int64_t>(chars_used_);
  } else {
    offsets_.as<int32_t>()[next_] = static_cast<int32_t>(chars_used_);
  }
}

std::shared_ptr<const ArrayData> StringBuilder::finish() {
  chars_.resize(chars_used_);
  std::vector<AlignedBuffer> buffers;
  buffers.push_back(validity_.release());
  buffers.push_back(std::move(offsets_));
  buffers.push_back(std::move(chars_));
  return make_array(length_, std::move(buffers));
}

}  // namespace headrace::arrow

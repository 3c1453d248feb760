#include "arrow/buffer_pool.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define HEADRACE_HAS_ATFORK 1
#endif

// Under AddressSanitizer a cached block is poisoned, so that a use after free of a buffer
// is still reported although the block was not given back to the allocator.
#if defined(__SANITIZE_ADDRESS__)
#define HEADRACE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEADRACE_ASAN 1
#endif
#endif
#ifdef HEADRACE_ASAN
#include <sanitizer/asan_interface.h>
#define HEADRACE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define HEADRACE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define HEADRACE_POISON(p, n) ((void)(p), (void)(n))
#define HEADRACE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace headrace::arrow {

namespace {

// Aligned operator new, not std::aligned_alloc: MSVC's C library has no aligned_alloc.
constexpr std::align_val_t kAlign{kBufferAlignment};

// A cached block's link to the next block of its list: its last bytes.
constexpr std::size_t kLinkBytes = sizeof(void*);
void set_next(void* block, std::size_t size, void* next) noexcept {
  std::memcpy(static_cast<std::byte*>(block) + size - kLinkBytes, &next, kLinkBytes);
}
void* next_of(const void* block, std::size_t size) noexcept {
  void* next;
  std::memcpy(&next, static_cast<const std::byte*>(block) + size - kLinkBytes, kLinkBytes);
  return next;
}

}  // namespace

std::size_t BufferPool::cap_from(const char* text) noexcept {
  if (text == nullptr || *text == '\0') return kDefaultCapBytes;
  unsigned long long bytes = 0;
  const char* end = text + std::strlen(text);
  const auto [at, error] = std::from_chars(text, end, bytes);
  if (error != std::errc() || at != end || bytes > std::numeric_limits<std::size_t>::max()) return kDefaultCapBytes;
  return static_cast<std::size_t>(bytes);
}

BufferPool::BufferPool(std::size_t cap_bytes) noexcept : cap_(cap_bytes), max_block_(cap_bytes / 4) {}

BufferPool::~BufferPool() { trim(); }

BufferPool& BufferPool::global() {
  // Leaked on purpose (see the header). The pointer in static storage keeps the pool and,
  // through the lists, every cached block reachable, so LeakSanitizer reports none.
  static BufferPool* const pool = [] {
#ifdef _MSC_VER
#pragma warning(suppress : 4996)  // getenv: read once, before any thread could set it
#endif
    auto* created = new BufferPool(cap_from(std::getenv("HEADRACE_BUFFER_CACHE_BYTES")));
#ifdef HEADRACE_HAS_ATFORK
    // A fork while another thread holds the lock would leave the child's lock held for
    // ever; hold it across fork() instead, as malloc does with its own locks. Nothing
    // allocates under it, so this cannot deadlock with malloc's fork handlers.
    pthread_atfork([] { global().mutex_.lock(); }, [] { global().mutex_.unlock(); },
                   [] { global().mutex_.unlock(); });
#endif
    return created;
  }();
  return *pool;
}

std::size_t BufferPool::round_up(std::size_t bytes) noexcept {
  if (bytes > std::numeric_limits<std::size_t>::max() - (kBufferAlignment - 1)) return bytes;  // new throws
  const std::size_t size = (bytes + kBufferAlignment - 1) & ~(kBufferAlignment - 1);
  if (size <= kMinPooledBytes || size > (std::size_t{1} << kMaxShift)) return size;
  const int k = std::bit_width(size - 1) - 1;  // 2^k < size <= 2^(k+1)
  const std::size_t step = std::size_t{1} << (k - 2);
  return (size + step - 1) & ~(step - 1);
}

std::size_t BufferPool::class_of(std::size_t size) noexcept {
  // size = j * 2^(k-2) with j in 5..8 and 2^k < size <= 2^(k+1); 64 KiB is j = 8, k = 15.
  const int k = std::bit_width(size - 1) - 1;
  const std::size_t j = size >> (k - 2);
  return static_cast<std::size_t>(k - (kMinShift - 1)) * 4 + j - 8;
}

std::size_t BufferPool::class_size(std::size_t index) noexcept {
  if (index == 0) return kMinPooledBytes;
  const int k = kMinShift + static_cast<int>((index - 1) / 4);
  return (5 + (index - 1) % 4) << (k - 2);
}

void* BufferPool::allocate(std::size_t bytes) {
  const std::size_t size = round_up(bytes);
  if (size >= kMinPooledBytes && size <= max_block_ && size <= (std::size_t{1} << kMaxShift)) {
    const std::size_t index = class_of(size);
    void* block = nullptr;
    {
      std::lock_guard lock(mutex_);
      block = free_[index];
      if (block != nullptr) {
        free_[index] = next_of(block, size);
        cached_bytes_ -= size;
        --cached_blocks_;
        ++hits_;
      } else {
        ++misses_;
      }
    }
    if (block != nullptr) {
      HEADRACE_UNPOISON(block, size - kLinkBytes);
      return block;
    }
  }
  return ::operator new(size, kAlign);
}

void BufferPool::deallocate(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) return;
  const std::size_t size = round_up(bytes);
  if (size >= kMinPooledBytes && size <= max_block_ && size <= (std::size_t{1} << kMaxShift)) {
    const std::size_t index = class_of(size);
    // Poisoned before it is listed: once listed, another thread may take it at once. The
    // link stays unpoisoned: LeakSanitizer follows no pointer stored in poisoned memory.
    HEADRACE_POISON(block, size - kLinkBytes);
    {
      std::lock_guard lock(mutex_);
      if (size <= cap_ - cached_bytes_) {
        set_next(block, size, free_[index]);
        free_[index] = block;
        cached_bytes_ += size;
        ++cached_blocks_;
        return;
      }
      ++released_;
    }
    HEADRACE_UNPOISON(block, size - kLinkBytes);
  }
  ::operator delete(block, size, kAlign);
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats;
  stats.cap_bytes = cap_;
  stats.cached_bytes = cached_bytes_;
  stats.cached_blocks = cached_blocks_;
  stats.hits = hits_;
  stats.misses = misses_;
  stats.released = released_;
  return stats;
}

void BufferPool::trim() noexcept {
  void* lists[kClasses];
  {
    std::lock_guard lock(mutex_);
    std::copy(std::begin(free_), std::end(free_), lists);
    std::fill(std::begin(free_), std::end(free_), nullptr);
    cached_bytes_ = 0;
    cached_blocks_ = 0;
  }
  for (std::size_t index = 0; index < kClasses; ++index) {
    const std::size_t size = class_size(index);
    for (void* block = lists[index]; block != nullptr;) {
      void* next = next_of(block, size);
      HEADRACE_UNPOISON(block, size - kLinkBytes);
      ::operator delete(block, size, kAlign);
      block = next;
    }
  }
}

}  // namespace headrace::arrow

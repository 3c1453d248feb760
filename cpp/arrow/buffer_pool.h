// A process-wide cache of freed large blocks, behind AlignedBuffer (and the aggregation's
// group-state rows). Why: glibc serves a block of a megabyte with mmap, or from an arena it
// trims when the block is freed, so every fresh column buffer of a scan, a join or an
// aggregation came back from the kernel as new pages: a page fault and a cleared page per
// 4 KiB, a quarter of a Parquet scan's time. jemalloc and mimalloc (pyarrow's and Polars'
// allocators) keep freed pages for reuse; this keeps freed blocks.
//
// Blocks below kMinPooledBytes go straight to the aligned operator new and delete. Larger
// ones are rounded up to a size class, four per power of two (at most 25% more than asked
// for); a freed one goes to its class's free list while the cache holds at most its cap,
// and is really freed otherwise (or if it is larger than a quarter of the cap). An
// allocation takes a block of its class from the list first. One mutex guards the lists,
// held for a few pointer moves per block (never per row, never around a system call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace headrace::arrow {

// Every block's alignment: Arrow's recommended 64 bytes, a cache line.
inline constexpr std::size_t kBufferAlignment = 64;

class BufferPool {
 public:
  // Smaller blocks are not cached: the allocator keeps those itself.
  static constexpr std::size_t kMinPooledBytes = std::size_t{64} << 10;
  // The global pool's cap unless HEADRACE_BUFFER_CACHE_BYTES says otherwise. A scan's or a
  // join's batches in flight (a few columns of about a megabyte per batch, a few batches per
  // queue and per thread) take tens of megabytes; 256 MiB covers that on a many-core
  // machine while costing little next to the data being processed.
  static constexpr std::size_t kDefaultCapBytes = std::size_t{256} << 20;

  // A pool that caches at most `cap_bytes` bytes of freed blocks (0: none).
  explicit BufferPool(std::size_t cap_bytes) noexcept;
  ~BufferPool();  // frees the cached blocks
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // The process's pool. It is never destroyed: buffers exported to pyarrow can be released
  // at interpreter exit, after C++ static destructors ran. Its cap is the environment
  // variable HEADRACE_BUFFER_CACHE_BYTES (a number of bytes; 0 turns the cache off) when
  // it holds a number, read once at the first allocation, else kDefaultCapBytes.
  static BufferPool& global();
  // The cap HEADRACE_BUFFER_CACHE_BYTES=`text` gives: the number, or kDefaultCapBytes when
  // `text` is null, empty or not a whole non-negative number.
  static std::size_t cap_from(const char* text) noexcept;

  // What an allocation of `bytes` really gets: a multiple of 64, and from kMinPooledBytes
  // on, the size class (the smallest of 4 per power of two that holds `bytes`).
  // round_up(round_up(n)) == round_up(n).
  static std::size_t round_up(std::size_t bytes) noexcept;

  // A block of round_up(bytes) bytes (bytes > 0), 64-byte aligned, contents undefined (a
  // cached block holds what its last owner wrote). Throws std::bad_alloc.
  void* allocate(std::size_t bytes);
  // Gives back a block of allocate(bytes), with that `bytes` or round_up(bytes).
  void deallocate(void* block, std::size_t bytes) noexcept;

  struct Stats {
    std::size_t cap_bytes = 0;
    std::size_t cached_bytes = 0;
    std::size_t cached_blocks = 0;
    uint64_t hits = 0;      // pooled-size allocations served from the cache
    uint64_t misses = 0;    // pooled-size allocations that went to operator new
    uint64_t released = 0;  // pooled-size blocks really freed (cache full, or block too large)
  };
  Stats stats() const;

  // Frees every cached block (the global pool's too, e.g. after a large query).
  void trim() noexcept;

 private:
  // Classes 64 KiB, 80 KiB, 96 KiB, 112 KiB, 128 KiB, 160 KiB, ... up to 2^kMaxShift
  // bytes (larger blocks are only rounded to 64).
  static constexpr int kMinShift = 16;
  static constexpr int kMaxShift = sizeof(std::size_t) >= 8 ? 47 : 30;
  static constexpr std::size_t kClasses = 1 + 4 * (kMaxShift - kMinShift);
  static std::size_t class_of(std::size_t size) noexcept;  // size: a class size
  static std::size_t class_size(std::size_t index) noexcept;


  const std::size_t cap_;
  const std::size_t max_block_;  // larger blocks are never cached
  mutable std::mutex mutex_;
  // Each class's cached blocks, a list linked through the blocks' last bytes (the place a
  // stray access through a stale pointer is least likely to touch).
  void* free_[kClasses] = {};
  std::size_t cached_bytes_ = 0;
  std::size_t cached_blocks_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t released_ = 0;
};

}  // namespace headrace::arrow

// Native test of cpp/arrow/buffer_pool.h: size classes, reuse of a freed block, alignment,
// the cap (blocks beyond it really freed: this program counts the live blocks of the
// aligned operator new), threads allocating and freeing one pool's blocks, and AlignedBuffer
// keeping its zeroing promises on top of dirty reused blocks.
#include "check.h"
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "arrow/buffer_pool.h"
#include "arrow/builder.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

// The aligned operator new and delete, replaced to count the blocks alive.
namespace {
std::atomic<long> aligned_alive{0};
}  // namespace

void* operator new(std::size_t size, std::align_val_t align) {
  const auto a = static_cast<std::size_t>(align);
  const std::size_t rounded = (std::max<std::size_t>(size, 1) + a - 1) / a * a;
#ifdef _MSC_VER
  void* p = _aligned_malloc(rounded, a);
#else
  void* p = std::aligned_alloc(a, rounded);
#endif
  if (p == nullptr) throw std::bad_alloc();
  aligned_alive.fetch_add(1, std::memory_order_relaxed);
  return p;
}
void operator delete(void* p, std::align_val_t) noexcept {
  if (p == nullptr) return;
  aligned_alive.fetch_sub(1, std::memory_order_relaxed);
#ifdef _MSC_VER
  _aligned_free(p);
#else
  std::free(p);
#endif
}
void operator delete(void* p, std::size_t, std::align_val_t align) noexcept { operator delete(p, align); }

using namespace headrace::arrow;
using headrace::testing::check;

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kBufferAlignment == 0; }

bool all_bytes(const uint8_t* p, std::size_t n, uint8_t value) {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != value) return false;
  }
  return true;
}

void test_size_classes() {
  check(BufferPool::round_up(1) == 64 && BufferPool::round_up(64) == 64 && BufferPool::round_up(65) == 128,
        "small sizes round up to multiples of 64");
  check(BufferPool::round_up(64 * KiB - 1) == 64 * KiB && BufferPool::round_up(64 * KiB) == 64 * KiB,
        "64 KiB is the first class");
  check(BufferPool::round_up(64 * KiB + 1) == 80 * KiB && BufferPool::round_up(100 * KiB) == 112 * KiB &&
            BufferPool::round_up(128 * KiB) == 128 * KiB && BufferPool::round_up(129 * KiB) == 160 * KiB,
        "4 classes per power of two");
  check(BufferPool::round_up(MiB + 1) == MiB + MiB / 4 && BufferPool::round_up(1800000) == 1792 * KiB &&
            BufferPool::round_up(1900000) == 2 * MiB,
        "1 MiB + 1 -> 1.25 MiB, 1.8 MB -> 1.75 MiB, 1.9 MB -> 2 MiB");
  bool ok = true;
  std::mt19937_64 random(7);
  for (int i = 0; i < 200000; ++i) {
    const std::size_t n = 1 + random() % (std::size_t{1} << (1 + random() % 40));
    const std::size_t r = BufferPool::round_up(n);
    ok &= r >= n && r % 64 == 0 && BufferPool::round_up(r) == r;
    if (r > 64 * KiB) ok &= (r - n) * 4 <= n;  // at most 25% more than asked for
  }
  check(ok, "round_up: a multiple of 64, idempotent, at most 25% waste");
  const std::size_t huge = std::size_t{1} << 50;
  check(BufferPool::round_up(huge + 1) == huge + 64, "beyond the classes: multiples of 64");
}

void test_cap_from() {
  check(BufferPool::cap_from(nullptr) == BufferPool::kDefaultCapBytes && BufferPool::cap_from("") == BufferPool::kDefaultCapBytes,
        "no HEADRACE_BUFFER_CACHE_BYTES: the default cap");
  check(BufferPool::cap_from("0") == 0 && BufferPool::cap_from("1048576") == MiB, "a number of bytes");
  check(BufferPool::cap_from("12abc") == BufferPool::kDefaultCapBytes && BufferPool::cap_from("-5") == BufferPool::kDefaultCapBytes &&
            BufferPool::cap_from("1e9") == BufferPool::kDefaultCapBytes &&
            BufferPool::cap_from("99999999999999999999999") == BufferPool::kDefaultCapBytes,
        "anything else: the default cap");
}

void test_reuse_and_alignment() {
  const long alive_before = aligned_alive.load();
  {
    BufferPool pool(64 * MiB);
    auto* p = static_cast<uint8_t*>(pool.allocate(MiB));
    check(aligned(p), "a fresh large block is 64-byte aligned");
    std::memset(p, 0xAB, MiB);
    pool.deallocate(p, MiB);
    BufferPool::Stats stats = pool.stats();
    check(stats.cached_blocks == 1 && stats.cached_bytes == MiB && stats.misses == 1 && stats.hits == 0,
          "a freed block is cached");
#ifdef TEST_ASAN
    check(__asan_address_is_poisoned(p) && __asan_address_is_poisoned(p + MiB / 2) && __asan_address_is_poisoned(p + MiB - 9),
          "a cached block is poisoned for AddressSanitizer (but its link, for LeakSanitizer)");
#endif
    auto* q = static_cast<uint8_t*>(pool.allocate(MiB - 1000));  // same class
    check(q == p && pool.stats().hits == 1 && pool.stats().cached_blocks == 0, "an allocation of its class reuses it");
#ifdef TEST_ASAN
    check(!__asan_region_is_poisoned(q, MiB), "a reused block is unpoisoned");
#endif
    auto* r = static_cast<uint8_t*>(pool.allocate(MiB + 1));  // the next class: a new block
    check(r != q && aligned(r), "another class gets another block");
    pool.deallocate(q, MiB - 1000);
    pool.deallocate(r, MiB + 1);
    check(pool.stats().cached_blocks == 2 && pool.stats().cached_bytes == MiB + BufferPool::round_up(MiB + 1),
          "both cached, each at its class size");

    bool ok = true;
    std::vector<std::pair<void*, std::size_t>> blocks;
    for (std::size_t n : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{4000}, 64 * KiB - 1, 64 * KiB,
                          64 * KiB + 1, 300 * KiB, MiB, 3 * MiB + 17}) {
      for (int i = 0; i < 3; ++i) {
        void* block = pool.allocate(n);
        ok &= aligned(block);
        blocks.emplace_back(block, n);
      }
    }
    for (auto [block, n] : blocks) pool.deallocate(block, n);
    for (auto [block, n] : blocks) {
      void* again = pool.allocate(n);
      ok &= aligned(again);
      pool.deallocate(again, n);
    }
    check(ok, "fresh and reused blocks of every size are 64-byte aligned");
    // 1 hit above, 1 MiB in the first round (q's block), all 18 blocks of 64 KiB and more
    // in the second.
    check(pool.stats().hits == 20, "every block of a pooled size was reused");
  }
  check(aligned_alive.load() == alive_before, "the pool's destructor frees its cached blocks");
}

void test_cap() {
  const long alive_before = aligned_alive.load();
  {
    BufferPool pool(MiB);  // blocks up to 256 KiB are cached
    std::vector<void*> blocks;
    for (int i = 0; i < 5; ++i) blocks.push_back(pool.allocate(200 * KiB));  // class 224 KiB
    check(aligned_alive.load() == alive_before + 5, "5 blocks allocated");
    for (void* block : blocks) pool.deallocate(block, 200 * KiB);
    BufferPool::Stats stats = pool.stats();
    check(stats.cached_blocks == 4 && stats.cached_bytes == 4 * 224 * KiB && stats.released == 1,
          "4 blocks fit under the 1 MiB cap; the 5th is released");
    check(aligned_alive.load() == alive_before + 4, "the released block is really freed");
    check(stats.cached_bytes <= stats.cap_bytes, "the cache stays under its cap");

    void* big = pool.allocate(300 * KiB);
    pool.deallocate(big, 300 * KiB);
    check(pool.stats().cached_blocks == 4 && aligned_alive.load() == alive_before + 4,
          "a block larger than a quarter of the cap is never cached");

    blocks.clear();
    for (int i = 0; i < 5; ++i) blocks.push_back(pool.allocate(224 * KiB));
    stats = pool.stats();
    check(stats.hits == 4 && stats.misses == 5 + 1 && stats.cached_blocks == 0 && stats.cached_bytes == 0,
          "4 allocations served from the cache, 1 from operator new");
    for (void* block : blocks) pool.deallocate(block, 224 * KiB);
    pool.trim();
    check(pool.stats().cached_blocks == 0 && aligned_alive.load() == alive_before, "trim frees every cached block");

    BufferPool off(0);
    void* block = off.allocate(MiB);
    off.deallocate(block, MiB);
    check(off.stats().cached_blocks == 0 && aligned_alive.load() == alive_before, "cap 0: nothing is cached");
  }
  check(aligned_alive.load() == alive_before, "nothing left");
}

// Threads take blocks of random sizes from one pool, stamp them, hold a few, hand some to
// another thread to free: no block may be handed out twice (the stamps would clash).
void test_threads() {
  const long alive_before = aligned_alive.load();
  {
    BufferPool pool(8 * MiB);
    constexpr int kThreads = 4;
    constexpr int kIterations = 20000;
    std::mutex handoff_mutex;
    std::vector<std::pair<uint8_t*, std::size_t>> handoff;
    std::atomic<int> clashes{0}, misaligned{0};
    auto stamp = [](uint8_t* p, std::size_t n, uint64_t mark) {
      std::memcpy(p, &mark, sizeof(mark));
      std::memcpy(p + n - sizeof(mark), &mark, sizeof(mark));
    };
    auto stamped = [](const uint8_t* p, std::size_t n, uint64_t mark) {
      uint64_t first, last;
      std::memcpy(&first, p, sizeof(first));
      std::memcpy(&last, p + n - sizeof(last), sizeof(last));
      return first == mark && last == mark;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 random(static_cast<uint64_t>(t) + 1);
        std::vector<std::tuple<uint8_t*, std::size_t, uint64_t>> held;
        for (int i = 0; i < kIterations; ++i) {
          const std::size_t n = 16 + random() % (random() % 4 == 0 ? 2 * MiB : 256 * KiB);  // stamps apart
          auto* p = static_cast<uint8_t*>(pool.allocate(n));
          const uint64_t mark = (static_cast<uint64_t>(t) << 32) | static_cast<uint64_t>(i);
          if (!aligned(p)) misaligned.fetch_add(1);
          stamp(p, n, mark);
          held.emplace_back(p, n, mark);
          if (held.size() > 8) {
            const std::size_t k = random() % held.size();
            auto [q, m, qmark] = held[k];
            held.erase(held.begin() + static_cast<std::ptrdiff_t>(k));
            if (!stamped(q, m, qmark)) clashes.fetch_add(1);
            if (random() % 2 == 0) {
              pool.deallocate(q, m);
            } else {
              std::lock_guard lock(handoff_mutex);
              handoff.emplace_back(q, m);
            }
          }
          if (i % 16 == 0) {
            std::vector<std::pair<uint8_t*, std::size_t>> mine;
            {
              std::lock_guard lock(handoff_mutex);
              mine.swap(handoff);
            }
            for (auto [q, m] : mine) pool.deallocate(q, m);  // often another thread's block
          }
        }
        for (auto [q, m, qmark] : held) {
          if (!stamped(q, m, qmark)) clashes.fetch_add(1);
          pool.deallocate(q, m);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (auto [q, m] : handoff) pool.deallocate(q, m);
    const BufferPool::Stats stats = pool.stats();
    check(clashes.load() == 0, "threads: no block handed out twice");
    check(misaligned.load() == 0, "threads: every block aligned");
    check(stats.cached_bytes <= stats.cap_bytes && stats.hits > 0, "threads: blocks reused, the cap held");
    check(aligned_alive.load() == alive_before + static_cast<long>(stats.cached_blocks),
          "threads: every block not cached was freed");
  }
  check(aligned_alive.load() == alive_before, "threads: nothing left");

  // The global pool from several threads, through AlignedBuffer.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<uint64_t>(t) + 100);
      for (int i = 0; i < 300; ++i) {
        AlignedBuffer buffer(100 * KiB + random() % MiB);
        if (!all_bytes(buffer.data(), buffer.size(), 0)) wrong.fetch_add(1);
        std::memset(buffer.data(), 0xFF, buffer.size());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  check(wrong.load() == 0, "AlignedBuffers of the global pool on 4 threads: zeroed although blocks are reused");
}

// Frees an AlignedBuffer of `size` bytes (a class size) full of 0xEE: the global pool keeps
// the dirty block at the head of its list. Returns where it was.
uint8_t* leave_dirty(std::size_t size) {
  AlignedBuffer buffer(size);
  std::memset(buffer.data(), 0xEE, size);
  return buffer.data();
}

// AlignedBuffer on dirty reused blocks of the global pool.
void test_aligned_buffer() {
  const bool cached = BufferPool::global().stats().cap_bytes >= 4 * 4 * MiB;  // else no reuse to check

  uint8_t* dirty = leave_dirty(MiB);
  AlignedBuffer b(MiB - 4000);  // the same class
  check(!cached || b.data() == dirty, "AlignedBuffer reuses a freed buffer's block");
  check(aligned(b.data()) && all_bytes(b.data(), b.size(), 0), "a new AlignedBuffer on a dirty block is zero");
  b.resize(MiB);
  check(!cached || b.data() == dirty, "growing within the block's class stays in place");
  check(all_bytes(b.data(), b.size(), 0), "growth in place is zero");
  std::memset(b.data(), 0x11, b.size());
  b.resize(1000);
  b.resize(MiB);
  check(all_bytes(b.data(), 1000, 0x11) && all_bytes(b.data() + 1000, MiB - 1000, 0), "shrink then grow: zero");
  leave_dirty(2 * MiB);
  b.resize(MiB + 1);  // doubles to 2 MiB: another block, dirty
  check(all_bytes(b.data(), 1000, 0x11) && all_bytes(b.data() + 1000, MiB + 1 - 1000, 0),
        "growth into another block keeps the contents and zeroes the rest");
  b.resize(2 * MiB);
  check(all_bytes(b.data() + MiB + 1, MiB - 1, 0), "and its doubled capacity is zero too");

  dirty = leave_dirty(2 * MiB);
  AlignedBuffer c = AlignedBuffer::for_overwrite(2 * MiB - 100);
  check(!cached || c.data() == dirty, "for_overwrite reuses a freed buffer's block");
  check(aligned(c.data()) && c.size() == 2 * MiB - 100, "for_overwrite: the size asked for");
  check(all_bytes(c.data() + c.size(), 36, 0), "for_overwrite on a dirty block: the padding (to 64) is zero");
  c.resize(2 * MiB + 100000);
  check((!cached || all_bytes(c.data(), 2 * MiB - 100, 0xEE)) && all_bytes(c.data() + 2 * MiB - 100, 100100, 0),
        "for_overwrite then growth into another block: contents kept, new bytes zero");

  dirty = leave_dirty(MiB);
  AlignedBuffer d = AlignedBuffer::for_overwrite(MiB - 4000);
  check(!cached || d.data() == dirty, "for_overwrite reuses a freed buffer's block (2)");
  const std::size_t padded = (MiB - 4000 + 63) / 64 * 64;
  check(all_bytes(d.data() + d.size(), padded - d.size(), 0), "for_overwrite: the padding is zero");
  d.resize(MiB - 10);
  check((!cached || d.data() == dirty) && all_bytes(d.data() + MiB - 4000, 3990, 0),
        "for_overwrite then growth in place, past the padding: the new bytes are zero");

  // Builders on dirty blocks: a bitmap starts all 0, offsets start at 0.
  leave_dirty(128 * KiB);
  BitmapBuilder bits(1000000);  // 125000 bytes: the 128 KiB class
  AlignedBuffer released = bits.release();
  check(all_bytes(released.data(), released.size(), 0), "a BitmapBuilder on a dirty block starts all 0");
  leave_dirty(640 * KiB);
  constexpr int kRows = 150000;  // utf8 offsets: 600004 bytes, the 640 KiB class
  StringBuilder strings(false, kRows, "s");
  for (int i = 0; i < kRows; ++i) {
    if (i % 7 == 0) {
      strings.append_null();
    } else {
      strings.append("value");
    }
  }
  auto data = strings.finish();
  const auto* offsets = static_cast<const int32_t*>(data->buffers[1]);
  const int nulls = (kRows + 6) / 7;
  check(offsets[0] == 0 && offsets[kRows] == 5 * (kRows - nulls), "a StringBuilder on dirty blocks: offsets from 0");
  check(data->null_count == nulls, "a StringBuilder on dirty blocks: the validity bitmap");

  // Moves leave an empty buffer behind and free each block once.
  AlignedBuffer e(200 * KiB);
  AlignedBuffer f(std::move(e));
  check(e.data() == nullptr && e.size() == 0 && f.size() == 200 * KiB, "a moved-from buffer is empty");
  AlignedBuffer& g = f;
  f = std::move(g);
  check(f.size() == 200 * KiB && f.data() != nullptr, "self-move keeps the buffer");
  // Blocks left in the global pool at exit stay reachable: LeakSanitizer reports none.
}

}  // namespace

int main() {
  test_size_classes();
  test_cap_from();
  test_reuse_and_alignment();
  test_cap();
  test_threads();
  test_aligned_buffer();
  return headrace::testing::exit_code();
}

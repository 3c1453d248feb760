// BatchQueue: a bounded multi-producer multi-consumer queue between operators.
//
// The fast path is lock-free (Dmitry Vyukov's bounded MPMC ring: every slot carries a
// sequence number that tells producers and consumers whose turn it is). A thread that finds
// the queue full or empty spins briefly, then parks on an EventCount; it never sleeps in a
// loop. Capacity is exact (not rounded to a power of two) because it is the back-pressure
// the user asked for. Slot sequence numbers count in steps of two (free for position p:
// 2p, full: 2p + 1) so that the free and full states differ even at capacity 1.
//
// End of stream: the queue knows how many producers feed it; when the last one calls
// producer_done() it closes, and consumers drain what is left and then see the end.
// cancel() is the error path: every blocked push and pop returns at once.
//
// Overflow (allow_overflow(), for the loop-back edges of a cyclic flow, where a blocked
// producer could deadlock the loop): push_overflow() never blocks; when the ring is full it
// appends to an overflow list, and every consumer moves overflow items into the ring after
// each take, so the ring is never left empty while the overflow holds items. Overflow pushes
// take a mutex and keep their own order; ordinary push() on the same queue still blocks
// while the ring is full (the other producers keep their back-pressure).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/event_count.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define HEADRACE_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define HEADRACE_CPU_RELAX() asm volatile("yield")
#else
#define HEADRACE_CPU_RELAX() ((void)0)
#endif

namespace headrace::runtime {

enum class PopStatus { kItems, kEnd, kTimeout };

template <typename T>
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity, std::uint32_t producers = 1)
      : capacity_(capacity), slots_(new Slot[capacity]), producers_(producers) {
    if (capacity == 0) throw std::invalid_argument("BatchQueue capacity must be at least 1");
    for (std::size_t i = 0; i < capacity; ++i) slots_[i].seq.store(2 * i, std::memory_order_relaxed);
    if (producers == 0) closed_.store(true);
  }
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t high_water() const noexcept { return high_water_.load(std::memory_order_relaxed); }
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  bool allows_overflow() const noexcept { return overflow_ != nullptr; }

  // Before the first push: enables push_overflow() (see the header comment).
  void allow_overflow() { overflow_ = std::make_unique<Overflow>(); }

  // Never blocks. Returns false (value untouched) if the queue was cancelled or closed.
  bool push_overflow(T&& value) {
    std::lock_guard lock(overflow_->mutex);
    if (closed_.load(std::memory_order_acquire) || cancelled()) return false;
    // Behind this queue's earlier overflow pushes, never ahead of them.
    if (overflow_->items.empty() && try_push(value)) return true;
    overflow_->items.push_back(std::move(value));
    return true;
  }

  // Slots taken by producers and not yet by consumers (some may still be being written).
  std::size_t size_approx() const noexcept {
    auto tail = enqueue_pos_.load(std::memory_order_seq_cst);
    auto head = dequeue_pos_.load(std::memory_order_seq_cst);
    return tail > head ? static_cast<std::size_t>(tail - head) : 0;
  }

  // Non-blocking. On success `value` is moved from. `wake` false: consumers are not woken
  // for it; the caller calls wake_consumers() once it has pushed what it holds.
  bool try_push(T& value, bool wake = true) {
    std::uint64_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos % capacity_];
      std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::int64_t>(seq - 2 * pos);
      if (diff == 0) {
        // seq_cst: a producer's later look at the fill (size_approx) must see every slot
        // taken before its own, or a thresholded consumer could sleep through it.
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                               std::memory_order_relaxed)) {
          new (&slot.storage) T(std::move(value));
          slot.seq.store(2 * pos + 1, std::memory_order_release);
          // Judge by how full the queue is now, not at our position: if ours is the first
          // slot, a consumer may be asleep waiting for it behind slots others filled first.
          std::size_t used = size_approx();
          record_high_water(used);
          if (wake && used >= wake_at_.load(std::memory_order_relaxed)) not_empty_.notify_all();
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
  }

  // Wakes the consumers for what was pushed without waking them.
  void wake_consumers() { not_empty_.notify_all(); }

  // Non-blocking. On success the item is moved into `out`.
  bool try_pop(T& out) {
    std::uint64_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos % capacity_];
      std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::int64_t>(seq - (2 * pos + 1));
      if (diff == 0) {
        if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          T* stored = std::launder(reinterpret_cast<T*>(&slot.storage));
          out = std::move(*stored);
          stored->~T();
          slot.seq.store(2 * (pos + capacity_), std::memory_order_release);
          not_full_.notify_all();
          return true;
        }
      } else if (diff < 0) {
        return false;  // empty
      } else {
        pos = dequeue_pos_.load(std::memory_order_relaxed);
      }
    }
  }

  // Blocks while full. Returns false (value untouched) if the queue was cancelled or
  // closed; pushing after close is a caller bug that we refuse rather than lose.
  bool push(T&& value) {
    for (;;) {
      if (closed_.load(std::memory_order_acquire) || cancelled()) return false;
      for (int spin = 0; spin < kSpins; ++spin) {
        if (try_push(value)) return true;
        HEADRACE_CPU_RELAX();
      }
      auto key = not_full_.prepare_wait();
      if (try_push(value)) {
        not_full_.cancel_wait();
        return true;
      }
      if (closed_.load(std::memory_order_acquire) || cancelled()) {
        not_full_.cancel_wait();
        return false;
      }
      not_full_.commit_wait(key);
    }
  }

  // Blocks until at least `min_items` items are there (fewer once the stream has ended),
  // then takes up to `max` without waiting; or until the stream ended or the timeout passed
  // (a negative timeout waits forever). A `min_items` above 1 lets a consumer sleep through
  // many pushes instead of waking for each; use it only on a queue with one consumer.
  PopStatus pop_many(std::vector<T>& out, std::size_t max,
                     std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1),
                     std::size_t min_items = 1) {
    const bool forever = timeout.count() < 0;
    const auto deadline = std::chrono::steady_clock::now() + (forever ? std::chrono::nanoseconds(0) : timeout);
    min_items = std::clamp<std::size_t>(min_items, 1, std::min(max, capacity_));
    auto ready = [&] { return size_approx() >= min_items; };
    WakeThreshold threshold(wake_at_, min_items);
    for (;;) {
      if (cancelled()) return PopStatus::kEnd;
      for (int spin = 0; spin < kSpins; ++spin) {
        if (ready() && take(out, max)) return PopStatus::kItems;
        HEADRACE_CPU_RELAX();
      }
      // Enough slots are taken but the first is still being written: its producer is
      // between two instructions, so wait for it here rather than park.
      if (ready()) {
        std::this_thread::yield();
        continue;
      }
      auto key = not_empty_.prepare_wait();
      if (ready()) {
        not_empty_.cancel_wait();
        continue;
      }
      if (cancelled()) {
        not_empty_.cancel_wait();
        return PopStatus::kEnd;
      }
      if (closed_.load(std::memory_order_seq_cst)) {
        not_empty_.cancel_wait();
        // Every push happened before the close; one more look sees them all.
        return take(out, max) ? PopStatus::kItems : PopStatus::kEnd;
      }
      if (forever) {
        not_empty_.commit_wait(key);
      } else {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
          not_empty_.cancel_wait();
          // On a timeout, whatever is there is better than nothing.
          return take(out, max) ? PopStatus::kItems : PopStatus::kTimeout;
        }
        not_empty_.commit_wait_for(key, deadline - now);
      }
    }
  }

  // One producer has finished; the last one closes the queue.
  void producer_done() {
    if (producers_.fetch_sub(1, std::memory_order_acq_rel) == 1) close();
  }

  void close() {
    closed_.store(true, std::memory_order_seq_cst);
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  // Error path: wakes every waiter; pushes and pops fail from now on.
  void cancel() {
    cancelled_.store(true, std::memory_order_seq_cst);
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  ~BatchQueue() {
    T item;
    while (try_pop(item)) {
    }
  }

 private:
  static constexpr int kSpins = 16;

  struct alignas(64) Slot {
    std::atomic<std::uint64_t> seq;
    alignas(T) unsigned char storage[sizeof(T)];
  };

  struct Overflow {
    std::mutex mutex;
    std::deque<T> items;
  };

  // Moves overflow items into the slots that consumers freed.
  void refill() {
    std::lock_guard lock(overflow_->mutex);
    auto& items = overflow_->items;
    while (!items.empty() && try_push(items.front())) items.pop_front();
  }

  // drain() followed, with an overflow, by a refill: the ring is never left empty while
  // the overflow holds items, so consumers that find the ring empty may park.
  bool take(std::vector<T>& out, std::size_t max) {
    bool got = drain(out, max);
    if (overflow_) refill();
    return got;
  }

  bool drain(std::vector<T>& out, std::size_t max) {
    std::size_t got = 0;
    T item;
    while (got < max && try_pop(item)) {
      out.push_back(std::move(item));
      ++got;
    }
    return got > 0;
  }

  void record_high_water(std::size_t used) noexcept {
    used = std::min(used, capacity_);
    auto seen = high_water_.load(std::memory_order_relaxed);
    while (used > seen && !high_water_.compare_exchange_weak(seen, used, std::memory_order_relaxed)) {
    }
  }

  // Sets how full the queue must be before a push wakes the (single) parked consumer, for
  // the duration of one pop_many.
  class WakeThreshold {
   public:
    WakeThreshold(std::atomic<std::size_t>& wake_at, std::size_t items) : wake_at_(wake_at) {
      wake_at_.store(items, std::memory_order_seq_cst);
    }
    ~WakeThreshold() { wake_at_.store(1, std::memory_order_seq_cst); }

   private:
    std::atomic<std::size_t>& wake_at_;
  };

  const std::size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<std::uint64_t> enqueue_pos_{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_pos_{0};
  alignas(64) std::atomic<std::uint32_t> producers_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<std::size_t> high_water_{0};
  std::atomic<std::size_t> wake_at_{1};
  EventCount not_empty_;
  EventCount not_full_;
  std::unique_ptr<Overflow> overflow_;
};

}  // namespace headrace::runtime

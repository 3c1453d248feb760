// Parking for lock-free structures: threads spin on the fast path elsewhere and park here
// only when they must wait. A notifier pays one atomic load when nobody is parked.
//
// Protocol:
//   waiter:   key = prepare_wait(); if (condition holds) cancel_wait(); else commit_wait(key);
//   notifier: make the condition true; notify_all();
// Waiter and notifier both do a read-modify-write on `waiters_`, so the two are ordered:
// either the notifier's RMW comes later and sees the waiter (and bumps the epoch under the
// mutex), or the waiter's RMW reads from the notifier's and so sees the change it made
// before. No wake-up is lost. (An RMW rather than a fence: ThreadSanitizer models RMWs.)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace headrace::runtime {

class EventCount {
 public:
  std::uint64_t prepare_wait() noexcept {
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    return epoch_.load(std::memory_order_seq_cst);
  }

  void cancel_wait() noexcept { waiters_.fetch_sub(1, std::memory_order_seq_cst); }

  void commit_wait(std::uint64_t key) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return epoch_.load(std::memory_order_seq_cst) != key; });
    }
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
  }

  // Returns false on timeout.
  bool commit_wait_for(std::uint64_t key, std::chrono::nanoseconds timeout) {
    bool woken;
    {
      std::unique_lock lock(mutex_);
      woken = cv_.wait_for(lock, timeout,
                           [&] { return epoch_.load(std::memory_order_seq_cst) != key; });
    }
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    return woken;
  }

  void notify_all() noexcept {
    if (waiters_.fetch_add(0, std::memory_order_seq_cst) == 0) return;
    {
      std::lock_guard lock(mutex_);
      epoch_.fetch_add(1, std::memory_order_seq_cst);
    }
    cv_.notify_all();
  }

 private:
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::uint32_t> waiters_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace headrace::runtime

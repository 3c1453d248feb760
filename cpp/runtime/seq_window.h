// SeqWindow: bounds how far ahead of the oldest unfinished input producers may run.
// Whoever finishes inputs in order advances it; a producer whose input number is a window
// or more ahead waits. Used by ordered exchanges (outputs held for reordering) and by the
// join of Parallel branches (outputs held until every branch delivered an item).
//
// It cannot deadlock as long as the input numbered `next` is never the one waiting: its
// producer is always within the window, and inputs leave their queues in order. The latter
// holds because an exchange that numbers a stream pushes the numbers in order (see
// exchange.h): were `next` still on its way while later inputs filled the queue and the
// window, nothing would let it in.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "runtime/stats.h"

namespace headrace::runtime {

class SeqWindow {
 public:
  explicit SeqWindow(std::uint64_t width) : width_(width == 0 ? 1 : width) {}

  // Blocks while seq >= next + width. Returns false if the run was cancelled.
  bool wait_for_room(std::uint64_t seq, StepStats* stats) {
    std::unique_lock lock(mutex_);
    if (seq < next_ + width_) return !cancelled_;
    auto start = std::chrono::steady_clock::now();
    room_.wait(lock, [&] { return cancelled_ || seq < next_ + width_; });
    if (stats) stats->add_wait(std::chrono::steady_clock::now() - start);
    return !cancelled_;
  }

  // Every input before `next` is finished.
  void advance(std::uint64_t next) {
    {
      std::lock_guard lock(mutex_);
      if (next <= next_) return;
      next_ = next;
    }
    room_.notify_all();
  }

  void cancel() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    room_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable room_;
  std::uint64_t next_ = 0;
  const std::uint64_t width_;
  bool cancelled_ = false;
};

}  // namespace headrace::runtime

// Stress scenarios for BatchQueue, shared by the native test executable (run under the
// sanitizers) and the Python test suite (through headrace._core).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/batch_queue.h"
#include "runtime/payload.h"

namespace headrace::testing {

struct StressResult {
  std::uint64_t pushed = 0;
  std::uint64_t popped = 0;
  std::uint64_t missing = 0;     // values never popped
  std::uint64_t duplicated = 0;  // values popped more than once
  std::size_t high_water = 0;
  bool ok() const { return pushed == popped && missing == 0 && duplicated == 0; }
};

// `producers` threads push `per_producer` distinct values each through a queue of
// `capacity` while `consumers` threads pop in batches of up to `batch`, each waiting for at
// least `min_items` (only with one consumer); every value must come out exactly once.
inline StressResult queue_stress(int producers, int consumers, std::uint64_t per_producer,
                                 std::size_t capacity, std::size_t batch, std::size_t min_items = 1) {
  using runtime::Item;
  runtime::BatchQueue<Item> queue(capacity, static_cast<std::uint32_t>(producers));
  const std::uint64_t total = per_producer * static_cast<std::uint64_t>(producers);
  std::unique_ptr<std::atomic<std::uint8_t>[]> seen(new std::atomic<std::uint8_t>[total]);
  for (std::uint64_t i = 0; i < total; ++i) seen[i].store(0, std::memory_order_relaxed);
  std::atomic<std::uint64_t> pushed{0}, popped{0};

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        Item item;
        item.seq = static_cast<std::uint64_t>(p) * per_producer + i;
        if (queue.push(std::move(item))) pushed.fetch_add(1, std::memory_order_relaxed);
      }
      queue.producer_done();
    });
  }
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&] {
      std::vector<Item> items;
      while (queue.pop_many(items, batch, std::chrono::nanoseconds(-1), min_items) ==
             runtime::PopStatus::kItems) {
        for (auto& item : items) seen[item.seq].fetch_add(1, std::memory_order_relaxed);
        popped.fetch_add(items.size(), std::memory_order_relaxed);
        items.clear();
      }
    });
  }
  for (auto& t : threads) t.join();

  StressResult result;
  result.pushed = pushed.load();
  result.popped = popped.load();
  result.high_water = queue.high_water();
  for (std::uint64_t i = 0; i < total; ++i) {
    auto n = seen[i].load();
    if (n == 0) ++result.missing;
    if (n > 1) ++result.duplicated;
  }
  return result;
}

// Threads blocked on an empty queue (consumers) and on a full one (producers) must all
// return once the queues are closed or cancelled. Returns how many threads returned.
inline int wake_blocked_waiters(int waiters) {
  using runtime::Item;
  runtime::BatchQueue<Item> empty(4, 1);
  runtime::BatchQueue<Item> full(1, 1);
  Item first;
  full.push(std::move(first));
  std::atomic<int> returned{0};
  std::atomic<int> parked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < waiters; ++i) {
    threads.emplace_back([&] {
      std::vector<Item> items;
      parked.fetch_add(1);
      if (empty.pop_many(items, 8) == runtime::PopStatus::kEnd) returned.fetch_add(1);
    });
    threads.emplace_back([&] {
      parked.fetch_add(1);
      Item item;
      if (!full.push(std::move(item))) returned.fetch_add(1);
    });
  }
  while (parked.load() < 2 * waiters) std::this_thread::yield();
  empty.close();   // end of stream: consumers see the end
  full.cancel();   // error path: producers give up
  for (auto& t : threads) t.join();
  return returned.load();
}

}  // namespace headrace::testing

// Per-step counters, updated by the step's drivers and exchange with relaxed atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace headrace::runtime {

struct StepStats {
  std::string step;
  std::uint32_t workers = 1;
  std::atomic<std::uint64_t> items_in{0};
  std::atomic<std::uint64_t> items_out{0};
  std::atomic<std::uint64_t> batches_in{0};
  std::atomic<std::uint64_t> busy_ns{0};  // inside the operator
  std::atomic<std::uint64_t> wait_ns{0};  // blocked on the input or output queue

  void add_busy(std::chrono::nanoseconds d) { busy_ns.fetch_add(d.count(), std::memory_order_relaxed); }
  void add_wait(std::chrono::nanoseconds d) { wait_ns.fetch_add(d.count(), std::memory_order_relaxed); }
};

}  // namespace headrace::runtime

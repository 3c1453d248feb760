// Plan: the queues, exchanges and drivers of one run.
// Built single-threaded, then start() runs each driver on a thread of the pool; join() waits
// for all of them. The first failure (or cancel()) cancels every queue so nothing stays
// blocked.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/driver.h"
#include "runtime/exchange.h"
#include "runtime/run_state.h"
#include "runtime/stats.h"
#include "runtime/thread_pool.h"

namespace headrace::runtime {

class Plan {
 public:
  // `pool` runs the drivers; it must outlive the plan.
  explicit Plan(ThreadPool& pool) : pool_(pool) {}
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan();

  ItemQueue* add_queue(std::size_t capacity, std::uint32_t producers);
  Exchange* add_exchange(std::vector<ItemQueue*> targets, Exchange::Mode mode,
                         std::uint32_t producers, std::uint32_t stream, StepStats* stats,
                         SeqWindow* window = nullptr);
  // A window that cancellation wakes, for exchanges and joins to share.
  SeqWindow* add_window(std::uint64_t width);
  StepStats* add_stats(std::string step, std::uint32_t workers);
  void add_driver(std::unique_ptr<Driver> driver);

  void start();
  void cancel() { state_.cancel(); }
  void stop() { state_.stop(); }
  void join();
  bool started() const noexcept { return started_; }

  RunState& state() noexcept { return state_; }
  const std::vector<std::unique_ptr<StepStats>>& stats() const noexcept { return stats_; }
  const std::vector<std::unique_ptr<ItemQueue>>& queues() const noexcept { return queues_; }

 private:
  ThreadPool& pool_;
  RunState state_;
  std::vector<std::unique_ptr<ItemQueue>> queues_;
  std::vector<std::unique_ptr<Exchange>> exchanges_;
  std::vector<std::unique_ptr<SeqWindow>> windows_;
  std::vector<std::unique_ptr<StepStats>> stats_;
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::mutex done_mutex_;
  std::condition_variable done_;
  std::size_t running_ = 0;  // drivers started and not yet returned (under done_mutex_)
  bool started_ = false;
};

}  // namespace headrace::runtime

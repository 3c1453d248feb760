// Plan: the queues, exchanges and drivers of one run, and the threads that run them.
// Built single-threaded, then start() launches one thread per driver; join() waits for all
// of them. The first failure (or cancel()) cancels every queue so nothing stays blocked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/driver.h"
#include "runtime/exchange.h"
#include "runtime/run_state.h"
#include "runtime/stats.h"

namespace headrace::runtime {

// Lets an embedding (the Python bindings) prepare each driver thread once, e.g. create and
// keep the thread's interpreter state for its whole life.
class ThreadHooks {
 public:
  virtual ~ThreadHooks() = default;
  virtual void thread_started() {}
  virtual void thread_stopping() {}
};

class Plan {
 public:
  explicit Plan(ThreadHooks* hooks = nullptr) : hooks_(hooks) {}
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
  ThreadHooks* hooks_;
  RunState state_;
  std::vector<std::unique_ptr<ItemQueue>> queues_;
  std::vector<std::unique_ptr<Exchange>> exchanges_;
  std::vector<std::unique_ptr<SeqWindow>> windows_;
  std::vector<std::unique_ptr<StepStats>> stats_;
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace headrace::runtime

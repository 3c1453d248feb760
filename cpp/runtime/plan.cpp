#include "runtime/plan.h"

#include <stdexcept>

namespace headrace::runtime {

Plan::~Plan() {
  if (started_) {
    cancel();
    join();
  }
}

ItemQueue* Plan::add_queue(std::size_t capacity, std::uint32_t producers) {
  queues_.push_back(std::make_unique<ItemQueue>(capacity, producers));
  ItemQueue* queue = queues_.back().get();
  state_.on_cancel([queue] { queue->cancel(); });
  return queue;
}

Exchange* Plan::add_exchange(std::vector<ItemQueue*> targets, Exchange::Mode mode,
                             std::uint32_t producers, std::uint32_t stream, StepStats* stats,
                             SeqWindow* window) {
  exchanges_.push_back(
      std::make_unique<Exchange>(std::move(targets), mode, producers, stream, stats, window));
  return exchanges_.back().get();
}

SeqWindow* Plan::add_window(std::uint64_t width) {
  windows_.push_back(std::make_unique<SeqWindow>(width));
  SeqWindow* window = windows_.back().get();
  state_.on_cancel([window] { window->cancel(); });
  return window;
}

StepStats* Plan::add_stats(std::string step, std::uint32_t workers) {
  auto stats = std::make_unique<StepStats>();
  stats->step = std::move(step);
  stats->workers = workers;
  stats_.push_back(std::move(stats));
  return stats_.back().get();
}

void Plan::add_driver(std::unique_ptr<Driver> driver) {
  if (started_) throw std::logic_error("cannot add a driver to a started plan");
  drivers_.push_back(std::move(driver));
}

void Plan::start() {
  if (started_) throw std::logic_error("a plan runs once");
  started_ = true;
  running_ = drivers_.size();
  for (std::size_t i = 0; i < drivers_.size(); ++i) {
    Driver* d = drivers_[i].get();
    try {
      pool_.submit([this, d] {
        d->run();
        // Notified under the lock: join() cannot return (and the plan go) before this is done.
        std::lock_guard<std::mutex> lock(done_mutex_);
        if (--running_ == 0) done_.notify_all();
      });
    } catch (...) {  // no thread for driver i: the others stop, join() waits only for them
      {
        std::lock_guard<std::mutex> lock(done_mutex_);
        running_ -= drivers_.size() - i;
      }
      cancel();
      throw;
    }
  }
}

void Plan::join() {
  std::unique_lock<std::mutex> lock(done_mutex_);
  done_.wait(lock, [this] { return running_ == 0; });
}

}  // namespace headrace::runtime

#include "runtime/run_state.h"

#include <utility>

namespace headrace::runtime {

void RunState::fail(Failure failure) {
  {
    std::lock_guard lock(mutex_);
    if (!failure_ && !cancelled()) failure_ = std::move(failure);
  }
  cancel();
}

void RunState::cancel() {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  std::vector<std::function<void()>> wakers;
  {
    std::lock_guard lock(mutex_);
    wakers = wakers_;
  }
  for (auto& wake : wakers) wake();
}

void RunState::stop() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  std::vector<std::function<void()>> actions;
  {
    std::lock_guard lock(mutex_);
    actions = stop_actions_;
  }
  for (auto& action : actions) action();
}

void RunState::on_stop(std::function<void()> action) {
  std::lock_guard lock(mutex_);
  stop_actions_.push_back(std::move(action));
}

void RunState::on_cancel(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wakers_.push_back(std::move(wake));
}

std::optional<Failure> RunState::take_failure() {
  std::lock_guard lock(mutex_);
  return std::exchange(failure_, std::nullopt);
}

bool RunState::failed() const {
  std::lock_guard lock(mutex_);
  return failure_.has_value();
}

}  // namespace headrace::runtime

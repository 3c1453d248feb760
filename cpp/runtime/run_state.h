// RunState: what every thread of one run shares: the cancellation flag, the first error,
// and the things to wake when the run is cancelled.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace headrace::runtime {

// An operator failed while working on a known input item.
// `step` names the failing part when an operator runs several (a fused chain); empty means
// the driver's own step. `item` counts the items of `item_step`'s input (empty: `step`'s),
// for when the failing step's own count is not known (a later step of a parallel chain).
class ItemError : public std::exception {
 public:
  ItemError(std::int64_t item, std::exception_ptr cause, std::string step = {},
            std::string item_step = {})
      : item_(item), cause_(std::move(cause)), step_(std::move(step)), item_step_(std::move(item_step)) {}
  const char* what() const noexcept override { return "operator failed on an item"; }
  std::int64_t item() const noexcept { return item_; }
  const std::exception_ptr& cause() const noexcept { return cause_; }
  const std::string& step() const noexcept { return step_; }
  const std::string& item_step() const noexcept { return item_step_; }

 private:
  std::int64_t item_;
  std::exception_ptr cause_;
  std::string step_;
  std::string item_step_;
};

struct Failure {
  std::string step;
  std::int64_t item = -1;  // -1: not tied to one item (open, finish, close, ...)
  std::string item_step;   // whose input `item` counts, when not `step`'s
  std::string phase;       // "open", "execute", "finish", "close", "source"
  std::exception_ptr error;
};

class RunState {
 public:
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  // Records the first failure and cancels the run; later failures are consequences of the
  // cancellation and are dropped.
  void fail(Failure failure);

  // Cancels without an error (a consumer that stopped early, Ctrl-C).
  void cancel();

  // Asks the run to wind down normally (a flow's StopFlow or until=): sources stop reading,
  // the registered stop actions run once (closing a flow's loop-back queues), and
  // end-of-stream then reaches every step the usual way.
  void stop();
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }
  void on_stop(std::function<void()> action);

  // Registered before the run starts; called once, from whichever thread cancels.
  void on_cancel(std::function<void()> wake);

  std::optional<Failure> take_failure();
  bool failed() const;

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::optional<Failure> failure_;
  std::vector<std::function<void()>> wakers_;
  std::vector<std::function<void()>> stop_actions_;
};

}  // namespace headrace::runtime

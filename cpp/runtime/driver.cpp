#include "runtime/driver.h"

#include <algorithm>
#include <chrono>

namespace headrace::runtime {

namespace {
using Clock = std::chrono::steady_clock;
// A batch should keep an operator busy for about this long.
constexpr std::chrono::nanoseconds kTargetBatchTime = std::chrono::microseconds(200);

std::size_t next_batch_limit(std::size_t items, Clock::duration took, std::size_t max_batch) {
  auto per_item = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count() /
                  static_cast<long long>(items);
  auto fit = kTargetBatchTime.count() / std::max<long long>(per_item, 1);
  return static_cast<std::size_t>(std::clamp<long long>(fit, 1, static_cast<long long>(max_batch)));
}
}  // namespace

Driver::Driver(OperatorContext ctx, std::unique_ptr<Operator> op, ItemQueue* input,
               Exchange* output, StepStats* stats, RunState* state, std::size_t max_batch)
    : ctx_(std::move(ctx)),
      op_(std::move(op)),
      input_(input),
      output_(output),
      stats_(stats),
      state_(state),
      max_batch_(max_batch == 0 ? 1 : max_batch) {}

Driver::Driver(OperatorContext ctx, std::unique_ptr<SourceOperator> source, Exchange* output,
               StepStats* stats, RunState* state)
    : ctx_(std::move(ctx)), source_(std::move(source)), output_(output), stats_(stats), state_(state) {}

void Driver::fail(const char* phase, std::exception_ptr error) {
  Failure failure{ctx_.step, -1, phase, error};
  try {
    std::rethrow_exception(error);
  } catch (const ItemError& e) {
    failure.item = e.item();
    failure.error = e.cause();
    if (!e.step().empty()) failure.step = e.step();
  } catch (...) {
  }
  state_->fail(std::move(failure));
}

void Driver::run() {
  if (op_) {
    run_operator();
  } else {
    run_source();
  }
  output_->producer_done();
}

void Driver::run_operator() {
  try {
    op_->open(ctx_);
  } catch (...) {
    fail("open", std::current_exception());
    return;  // close() only follows a successful open()
  }
  const char* phase = "execute";
  try {
    std::vector<Item> batch;
    batch.reserve(max_batch_);
    for (;;) {
      batch.clear();
      auto waited = Clock::now();
      if (input_->pop_many(batch, batch_limit_) != PopStatus::kItems) break;
      auto started = Clock::now();
      stats_->add_wait(started - waited);
      if (state_->cancelled()) break;
      stats_->items_in.fetch_add(batch.size(), std::memory_order_relaxed);
      stats_->batches_in.fetch_add(1, std::memory_order_relaxed);
      op_->push(batch, *output_);
      auto took = Clock::now() - started;
      stats_->add_busy(took);
      batch_limit_ = next_batch_limit(batch.size(), took, max_batch_);
    }
    if (!state_->cancelled()) {
      phase = "finish";
      auto started = Clock::now();
      op_->finish(*output_);
      stats_->add_busy(Clock::now() - started);
    }
  } catch (...) {
    fail(phase, std::current_exception());
  }
  try {
    op_->close();
  } catch (...) {
    fail("close", std::current_exception());
  }
}

void Driver::run_source() {
  try {
    source_->open(ctx_);
  } catch (...) {
    fail("open", std::current_exception());
    return;
  }
  try {
    auto started = Clock::now();
    while (!state_->cancelled() && source_->produce(*output_)) {
    }
    stats_->add_busy(Clock::now() - started);
  } catch (...) {
    fail("source", std::current_exception());
  }
  try {
    source_->close();
  } catch (...) {
    fail("close", std::current_exception());
  }
}

}  // namespace headrace::runtime

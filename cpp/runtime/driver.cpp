#include "runtime/driver.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>

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

// Takes what a fused source emits as the next input batch of its consumer.
class BatchCollector final : public Emitter {
 public:
  BatchCollector(std::vector<Item>& batch, StepStats* stats) : batch_(batch), stats_(stats) {}
  bool emit(std::uint64_t in_seq, std::vector<Payload>&& outputs) override {
    for (auto& payload : outputs) batch_.push_back(Item{in_seq, 0, std::move(payload)});
    stats_->items_out.fetch_add(outputs.size(), std::memory_order_relaxed);
    return true;
  }
  bool emit_final(std::uint32_t, std::vector<Payload>&&) override {
    throw std::logic_error("a source has no final outputs");
  }
  std::uint32_t fanout() const noexcept override { return 1; }

 private:
  std::vector<Item>& batch_;
  StepStats* stats_;
};
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

Driver::Driver(std::string source_step, std::unique_ptr<SourceOperator> source,
               StepStats* source_stats, OperatorContext ctx, std::unique_ptr<Operator> op,
               Exchange* output, StepStats* stats, RunState* state, std::size_t max_batch)
    : ctx_(std::move(ctx)),
      op_(std::move(op)),
      source_(std::move(source)),
      source_step_(std::move(source_step)),
      source_stats_(source_stats),
      output_(output),
      stats_(stats),
      state_(state),
      max_batch_(max_batch == 0 ? 1 : max_batch) {}

void Driver::fail(const std::string& step, const char* phase, std::exception_ptr error) {
  Failure failure{step, -1, {}, phase, error};
  try {
    std::rethrow_exception(error);
  } catch (const ItemError& e) {
    failure.item = e.item();
    failure.error = e.cause();
    if (!e.step().empty()) failure.step = e.step();
    if (!e.item_step().empty() && e.item_step() != failure.step) failure.item_step = e.item_step();
  } catch (...) {
  }
  state_->fail(std::move(failure));
}

void Driver::run() {
  if (op_ && source_) {
    run_fused_source();
  } else if (op_) {
    run_operator([this](std::vector<Item>& batch) {
      auto waited = Clock::now();
      bool got = input_->pop_many(batch, batch_limit_) == PopStatus::kItems;
      stats_->add_wait(Clock::now() - waited);
      return got;
    });
  } else {
    run_source();
  }
  output_->producer_done();
}

void Driver::run_operator(const std::function<bool(std::vector<Item>&)>& pull) {
  try {
    op_->open(ctx_);
  } catch (...) {
    fail(ctx_.step, "open", std::current_exception());
    return;  // close() only follows a successful open()
  }
  const char* phase = "execute";
  try {
    std::vector<Item> batch;
    batch.reserve(max_batch_);
    for (;;) {
      batch.clear();
      if (!pull(batch) || state_->cancelled()) break;
      if (batch.empty()) continue;
      auto started = Clock::now();
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
    fail(ctx_.step, phase, std::current_exception());
  }
  try {
    op_->close();
  } catch (...) {
    fail(ctx_.step, "close", std::current_exception());
  }
}

void Driver::run_fused_source() {
  try {
    source_->open(OperatorContext{source_step_, 0, 1});
  } catch (...) {
    fail(source_step_, "open", std::current_exception());
    return;
  }
  bool more = true;
  run_operator([&](std::vector<Item>& batch) {
    if (!more || state_->stopping()) return false;
    BatchCollector collect(batch, source_stats_);
    try {
      auto started = Clock::now();
      more = source_->produce(collect);
      source_stats_->add_busy(Clock::now() - started);
    } catch (...) {
      fail(source_step_, "source", std::current_exception());
      return false;
    }
    return true;
  });
  try {
    source_->close();
  } catch (...) {
    fail(source_step_, "close", std::current_exception());
  }
}

void Driver::run_source() {
  try {
    source_->open(ctx_);
  } catch (...) {
    fail(ctx_.step, "open", std::current_exception());
    return;
  }
  try {
    auto started = Clock::now();
    while (!state_->cancelled() && !state_->stopping() && source_->produce(*output_)) {
    }
    stats_->add_busy(Clock::now() - started);
  } catch (...) {
    fail(ctx_.step, "source", std::current_exception());
  }
  try {
    source_->close();
  } catch (...) {
    fail(ctx_.step, "close", std::current_exception());
  }
}

}  // namespace headrace::runtime

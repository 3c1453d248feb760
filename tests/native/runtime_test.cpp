// Native test of the runtime without Python: a source, a step with several workers and an
// ordered exchange, a failing operator, cancellation while threads are blocked, and the
// loop-back queues of a flow (overflow pushes, closing on a stop).
// Built with -DHEADRACE_NATIVE_TESTS=ON; run by ctest, also under the sanitizers.
#include "check.h"
#include <atomic>
#include <optional>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "runtime/plan.h"

using namespace headrace::runtime;

namespace {

using headrace::testing::check;

const PayloadType kInt{[](void* p) noexcept { delete static_cast<long*>(p); }};
Payload make_int(long v) { return Payload(new long(v), &kInt); }
long value_of(const Payload& p) { return *static_cast<long*>(p.get()); }

class Counter final : public SourceOperator {
 public:
  explicit Counter(long n) : n_(n) {}
  bool produce(Emitter& out) override {
    for (int k = 0; k < 7 && next_ < n_; ++k, ++next_) {
      std::vector<Payload> group;
      group.push_back(make_int(next_));
      if (!out.emit(static_cast<std::uint64_t>(next_), std::move(group))) return false;
    }
    return next_ < n_;
  }

 private:
  long n_;
  long next_ = 0;
};

// Emits x*10 and, for every third item, nothing; jitters so workers finish out of order.
// Fails on `fail_at` if it is set.
class Work final : public Operator {
 public:
  explicit Work(long fail_at, std::atomic<int>* closes) : fail_at_(fail_at), closes_(closes) {}
  void push(std::vector<Item>& batch, Emitter& out) override {
    for (auto& item : batch) {
      long v = value_of(item.payload);
      if (v == fail_at_) throw ItemError(static_cast<std::int64_t>(item.seq), std::make_exception_ptr(std::runtime_error("boom")));
      if (rng_() % 8 == 0) std::this_thread::yield();
      std::vector<Payload> group;
      if (v % 3 != 0) group.push_back(make_int(v * 10));
      if (!out.emit(item.seq, std::move(group))) return;
    }
  }
  void close() override { closes_->fetch_add(1); }

 private:
  long fail_at_;
  std::atomic<int>* closes_;
  std::minstd_rand rng_{42};
};

struct Result {
  std::vector<long> values;
  std::optional<Failure> failure;
  int closes = 0;
};

// Starts the plan and reads its sink; a consumer that is not `read_all` stops early.
Result run_to_end(Plan& plan, ItemQueue* sink, const std::atomic<int>& closes, bool read_all) {
  plan.start();
  Result r;
  std::vector<Item> items;
  while (sink->pop_many(items, 64) == PopStatus::kItems) {
    for (auto& item : items) r.values.push_back(value_of(item.payload));
    items.clear();
    if (!read_all && r.values.size() > 10) {
      plan.cancel();
      break;
    }
  }
  plan.join();
  r.failure = plan.state().take_failure();
  r.closes = closes.load();
  return r;
}

// window: bound of the reordering (0: unbounded).
Result run_pipeline(long n, std::uint32_t workers, long fail_at, std::size_t capacity, bool read_all,
                    std::uint64_t window = 0) {
  Plan plan;
  std::atomic<int> closes{0};
  auto* sink = plan.add_queue(capacity, 1);
  auto* inbox = plan.add_queue(capacity, 1);
  auto* work_stats = plan.add_stats("work", workers);
  auto* work_out = plan.add_exchange({sink}, Exchange::Mode::kOrdered, workers, 0, work_stats,
                                     window == 0 ? nullptr : plan.add_window(window));
  for (std::uint32_t w = 0; w < workers; ++w) {
    plan.add_driver(std::make_unique<Driver>(OperatorContext{"work", w, workers},
                                             std::make_unique<Work>(fail_at, &closes), inbox,
                                             work_out, work_stats, &plan.state(), 16));
  }
  auto* src_stats = plan.add_stats("source", 1);
  auto* src_out = plan.add_exchange({inbox}, Exchange::Mode::kOrdered, 1, 0, src_stats);
  plan.add_driver(std::make_unique<Driver>(OperatorContext{"source", 0, 1}, std::make_unique<Counter>(n),
                                           src_out, src_stats, &plan.state()));
  return run_to_end(plan, sink, closes, read_all);
}

// The source fused with a one-worker step: one thread reads and works, no queue between.
Result run_fused(long n, long fail_at) {
  Plan plan;
  std::atomic<int> closes{0};
  auto* sink = plan.add_queue(5, 1);
  auto* work_stats = plan.add_stats("work", 1);
  auto* src_stats = plan.add_stats("source", 1);
  auto* out = plan.add_exchange({sink}, Exchange::Mode::kOrdered, 1, 0, work_stats);
  plan.add_driver(std::make_unique<Driver>("source", std::make_unique<Counter>(n), src_stats,
                                           OperatorContext{"work", 0, 1},
                                           std::make_unique<Work>(fail_at, &closes), out, work_stats,
                                           &plan.state(), 16));
  return run_to_end(plan, sink, closes, true);
}

// A source routes each value to target v % targets; one reader per target queue, run after
// the plan ended (the queues are large enough to hold everything).
std::vector<std::vector<std::pair<std::uint64_t, long>>> run_routed(long n, std::uint32_t targets) {
  class Routing final : public SourceOperator {
   public:
    Routing(long n, std::uint32_t targets) : n_(n), targets_(targets) {}
    bool produce(Emitter& out) override {
      std::vector<Payload> group;
      group.push_back(make_int(next_));
      group.back().set_route(static_cast<std::uint32_t>(next_ % targets_));
      if (!out.emit(static_cast<std::uint64_t>(next_), std::move(group))) return false;
      return ++next_ < n_;
    }

   private:
    long n_;
    std::uint32_t targets_;
    long next_ = 0;
  };
  Plan plan;
  std::vector<ItemQueue*> queues;
  for (std::uint32_t t = 0; t < targets; ++t) queues.push_back(plan.add_queue(static_cast<std::size_t>(n), 1));
  auto* stats = plan.add_stats("source", 1);
  auto* out = plan.add_exchange(queues, Exchange::Mode::kRouted, 1, 0, stats);
  check(out->fanout() == 1, "a routed exchange sends each payload once");
  plan.add_driver(std::make_unique<Driver>(OperatorContext{"source", 0, 1}, std::make_unique<Routing>(n, targets),
                                           out, stats, &plan.state()));
  plan.start();
  plan.join();
  std::vector<std::vector<std::pair<std::uint64_t, long>>> seen(targets);
  for (std::uint32_t t = 0; t < targets; ++t) {
    std::vector<Item> items;
    while (queues[t]->pop_many(items, 64) == PopStatus::kItems) {
      for (auto& item : items) seen[t].emplace_back(item.seq, value_of(item.payload));
      items.clear();
    }
  }
  return seen;
}

// A loop-back queue: pushes with push_overflow never block, even far past the capacity, and
// each producer's items keep their order next to a producer that blocks as usual.
void check_overflow_queue() {
  ItemQueue queue(2, 2);
  queue.allow_overflow();
  for (long v = 0; v < 1000; ++v) queue.push_overflow(Item{0, 0, make_int(v)});
  std::vector<Item> got;
  while (got.size() < 1000) queue.pop_many(got, 7);
  bool in_order = true;
  for (std::size_t i = 0; i < got.size(); ++i) in_order = in_order && value_of(got[i].payload) == long(i);
  check(in_order, "overflow pushes past the capacity come out in order");

  constexpr long kEach = 50000;
  std::thread looped([&] {
    for (long v = 0; v < kEach; ++v) queue.push_overflow(Item{0, 0, make_int(v)});
    queue.producer_done();
  });
  std::thread forward([&] {
    for (long v = 0; v < kEach; ++v) queue.push(Item{0, 1, make_int(v)});
    queue.producer_done();
  });
  long next[2] = {0, 0};
  bool ordered = true;
  std::vector<Item> batch;
  while (queue.pop_many(batch, 64) == PopStatus::kItems) {
    for (auto& item : batch) {
      ordered = ordered && value_of(item.payload) == next[item.stream];
      ++next[item.stream];
    }
    batch.clear();
  }
  looped.join();
  forward.join();
  check(ordered && next[0] == kEach && next[1] == kEach,
        "overflow and blocking producers: every item once, each producer in order");
}

// A stop closes the registered queues: the consumer drains them, then sees the end, and
// later pushes are refused instead of blocking.
void check_stop_closes_loop_queues() {
  RunState state;
  ItemQueue queue(4, 1);
  queue.allow_overflow();
  state.on_stop([&queue] { queue.close(); });
  for (long v = 0; v < 10; ++v) queue.push_overflow(Item{0, 0, make_int(v)});
  state.stop();
  check(state.stopping() && !state.cancelled(), "a stop is not a cancellation");
  check(!queue.push_overflow(Item{0, 0, make_int(99)}), "a stopped loop queue refuses pushes");
  std::vector<Item> got;
  while (queue.pop_many(got, 3) == PopStatus::kItems) {
  }
  check(got.size() == 10, "a stopped loop queue still delivers what it held");
}

}  // namespace

int main() {
  check_overflow_queue();
  check_stop_closes_loop_queues();
  {
    auto seen = run_routed(1000, 3);
    bool ok = true;
    for (std::uint32_t t = 0; t < 3; ++t) {
      for (std::size_t i = 0; i < seen[t].size(); ++i) {
        ok = ok && seen[t][i].first == i && seen[t][i].second % 3 == t;
      }
    }
    check(ok && seen[0].size() + seen[1].size() + seen[2].size() == 1000,
          "routed exchange: each item reaches its target once, numbered per target");
  }
  {
    auto r = run_pipeline(20000, 4, -1, 3, true);
    std::vector<long> expected;
    for (long v = 0; v < 20000; ++v)
      if (v % 3 != 0) expected.push_back(v * 10);
    check(r.values == expected, "ordered output across 4 workers");
    check(!r.failure && r.closes == 4, "no failure, every worker closed");
  }
  {
    auto r = run_pipeline(20000, 4, -1, 3, true, 2);
    check(r.values.size() == 13333 && !r.failure, "ordered output with a reorder window of 2");
  }
  {
    auto r = run_pipeline(1000000, 3, 777, 2, true, 3);
    check(r.failure && r.failure->step == "work" && r.failure->item == 777, "failure names step and item");
    check(r.closes == 3, "every worker closed after a failure");
  }
  {
    auto r = run_pipeline(1000000, 2, -1, 1, false);
    check(!r.failure && r.closes == 2, "cancel while producers are blocked ends the run");
  }
  {
    auto r = run_fused(5000, -1);
    std::vector<long> expected;
    for (long v = 0; v < 5000; ++v)
      if (v % 3 != 0) expected.push_back(v * 10);
    check(r.values == expected && !r.failure && r.closes == 1, "source fused with its consumer");
    auto f = run_fused(5000, 1234);
    check(f.failure && f.failure->item == 1234 && f.closes == 1, "fused chain failure");
  }
  return headrace::testing::exit_code();
}

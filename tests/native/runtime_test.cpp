// Native test of the runtime without Python: a source, a step with several workers and an
// ordered exchange, a failing operator, cancellation while threads are blocked, the
// loop-back queues of a flow (overflow pushes, closing on a stop), and exchanges numbered by
// several producers feeding ordered consumers (a union diamond, bounded queues), and a
// source handing on its items at once (emit_each) to a sleeping consumer.
// Built with -DHEADRACE_NATIVE_TESTS=ON; run by ctest, also under the sanitizers.
#include "check.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
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

// Every plan of the test runs on this pool's threads (reused from one plan to the next).
ThreadPool& pool() {
  static ThreadPool threads;
  return threads;
}

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
  Plan plan(pool());
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
  Plan plan(pool());
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
  Plan plan(pool());
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
// The pool: jobs run one after another reuse one thread; jobs that wait for each other get
// a thread each; the hooks run once per thread; destruction lets running jobs finish.
void check_thread_pool() {
  struct CountingHooks final : ThreadHooks {
    std::atomic<int> started{0}, stopping{0};
    void thread_started() override { started.fetch_add(1); }
    void thread_stopping() override { stopping.fetch_add(1); }
  } hooks;
  std::atomic<bool> slow_done{false};
  std::size_t size = 0;
  {
    ThreadPool threads(&hooks);
    bool reused = true;
    std::atomic<int> runs{0};  // outlives the jobs (one may still notify after the wait ends)
    for (int i = 0; i < 50; ++i) {
      threads.submit([&] {
        runs.fetch_add(1);
        runs.notify_one();
      });
      for (int seen = runs.load(); seen != i + 1; seen = runs.load()) runs.wait(seen);
      // The job ran; its thread may not be idle yet, so the next job may start a second one.
      reused = reused && threads.size() <= 2;
    }
    check(reused, "pool: jobs run one after another reuse its threads");
    // Four jobs that each wait until all four run at once.
    std::atomic<int> arrived{0};
    std::atomic<int> finished{0};
    for (int i = 0; i < 4; ++i) {
      threads.submit([&] {
        arrived.fetch_add(1);
        while (arrived.load() < 4) std::this_thread::yield();
        finished.fetch_add(1);
      });
    }
    while (finished.load() < 4) std::this_thread::yield();
    check(threads.size() >= 4, "pool: jobs that run at once get a thread each");
    threads.submit([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      slow_done.store(true);
    });
    size = threads.size();
  }
  check(slow_done.load(), "pool: a job still running when the pool goes finishes first");
  check(hooks.started.load() == static_cast<int>(size) && hooks.stopping.load() == static_cast<int>(size),
        "pool: the hooks run once per thread, at its start and when the pool goes");
}

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

// A value with a reference count: an exchange that broadcasts hands each target a reference.
struct Shared {
  std::atomic<std::uint32_t> refs;
  long value;
};
const PayloadType kShared{[](void* p) noexcept {
  auto* shared = static_cast<Shared*>(p);
  if (shared->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete shared;
}};
// `v` with one reference for each of the `fanout` consumers it is sent to.
Payload make_shared(long v, std::uint32_t fanout) { return Payload(new Shared{{fanout}, v}, &kShared); }
long shared_value(const Payload& p) { return static_cast<Shared*>(p.get())->value; }

// Several producers emit through one exchange that numbers its outputs (unordered broadcast
// to two targets, or routed to two) into queues of one slot: each target must receive its
// numbers 0, 1, 2, ... in that order, whichever producer wins each push.
bool numbers_arrive_in_order(Exchange::Mode mode) {
  constexpr std::uint32_t kProducers = 4;
  constexpr long kEach = 3000;
  ItemQueue first(1, 1), second(1, 1);
  Exchange exchange({&first, &second}, mode, kProducers, 0, nullptr);
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::minstd_rand rng(p);
      for (long i = 0; i < kEach; ++i) {
        std::vector<Payload> group;
        for (long k = 0; k < i % 3; ++k) {  // groups of 0, 1 and 2 outputs
          group.push_back(make_shared((static_cast<long>(p) * kEach + i) * 2 + k, exchange.fanout()));
          group.back().set_route(static_cast<std::uint32_t>(k));
        }
        if (rng() % 4 == 0) std::this_thread::yield();
        exchange.emit(static_cast<std::uint64_t>(i), std::move(group));
      }
      exchange.producer_done();
    });
  }
  std::atomic<bool> in_order{true};
  std::size_t counts[2] = {0, 0};
  ItemQueue* queues[2] = {&first, &second};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::vector<Item> items;
      std::uint64_t next = 0;
      while (queues[t]->pop_many(items, 8) == PopStatus::kItems) {
        for (auto& item : items) {
          if (item.seq != next++) in_order = false;
        }
        counts[t] += items.size();
        items.clear();
      }
    });
  }
  for (auto& t : producers) t.join();
  for (auto& t : readers) t.join();
  const std::size_t outputs = kProducers * kEach;  // 0 + 1 + 2 outputs per three items
  const bool all = mode == Exchange::Mode::kRouted ? counts[0] + counts[1] == outputs
                                                   : counts[0] == outputs && counts[1] == outputs;
  return in_order.load() && all;
}

class SharedCounter final : public SourceOperator {
 public:
  explicit SharedCounter(long n) : n_(n) {}
  bool produce(Emitter& out) override {
    std::vector<Payload> group;
    group.push_back(make_shared(next_, out.fanout()));
    if (!out.emit(static_cast<std::uint64_t>(next_), std::move(group))) return false;
    return ++next_ < n_;
  }

 private:
  long n_;
  long next_ = 0;
};

// Passes items on, yielding now and then so that workers overtake each other.
class Pass final : public Operator {
 public:
  void push(std::vector<Item>& batch, Emitter& out) override {
    for (auto& item : batch) {
      if (rng_() % 4 == 0) std::this_thread::yield();
      auto* shared = static_cast<Shared*>(item.payload.release());
      shared->refs.fetch_add(out.fanout() - 1, std::memory_order_relaxed);
      std::vector<Payload> group;
      group.push_back(Payload(shared, &kShared));
      if (!out.emit(item.seq, std::move(group))) return;
    }
  }

 private:
  std::minstd_rand rng_{7};
};

struct DiamondResult {
  std::vector<long> values;
  bool hung = false;
  bool failed = false;
};

// The plan DataStream makes of a union of a union, `u.union(u.filter(...))` with
// `u = ds.union(ds.filter(...))`, from its second union on: u1 (3 workers, unordered, as two
// inputs meet) broadcasts to u2's queue and to f's; f (3 workers, ordered, reorder window 8)
// feeds u2 (3 workers), u2 the sink. Queues hold one item. A watchdog cancels a run that
// does not end (`hung`): before u1's workers took turns, one of them could hold number k
// while the others pushed k+1, k+2, ...; f's workers, past the window, waited for k, and
// f's full queue kept k out.
DiamondResult run_union_diamond(long n) {
  Plan plan(pool());
  constexpr std::uint32_t kWorkers = 3;
  auto* sink = plan.add_queue(4, 1);
  auto* u2_in = plan.add_queue(1, 2);
  auto* f_in = plan.add_queue(1, 1);
  auto* u1_in = plan.add_queue(1, 1);
  auto* u2_stats = plan.add_stats("u2", kWorkers);
  auto* u2_out = plan.add_exchange({sink}, Exchange::Mode::kUnordered, kWorkers, 0, u2_stats);
  auto* f_stats = plan.add_stats("f", kWorkers);
  auto* f_out = plan.add_exchange({u2_in}, Exchange::Mode::kOrdered, kWorkers, 0, f_stats, plan.add_window(8));
  auto* u1_stats = plan.add_stats("u1", kWorkers);
  auto* u1_out = plan.add_exchange({u2_in, f_in}, Exchange::Mode::kUnordered, kWorkers, 0, u1_stats);
  struct Stage {
    const char* name;
    ItemQueue* input;
    Exchange* output;
    StepStats* stats;
  };
  for (const Stage& s : {Stage{"u2", u2_in, u2_out, u2_stats}, Stage{"f", f_in, f_out, f_stats},
                         Stage{"u1", u1_in, u1_out, u1_stats}}) {
    for (std::uint32_t w = 0; w < kWorkers; ++w) {
      plan.add_driver(std::make_unique<Driver>(OperatorContext{s.name, w, kWorkers}, std::make_unique<Pass>(),
                                               s.input, s.output, s.stats, &plan.state(), 4));
    }
  }
  auto* src_stats = plan.add_stats("source", 1);
  auto* src_out = plan.add_exchange({u1_in}, Exchange::Mode::kOrdered, 1, 0, src_stats);
  plan.add_driver(std::make_unique<Driver>(OperatorContext{"source", 0, 1}, std::make_unique<SharedCounter>(n),
                                           src_out, src_stats, &plan.state()));
  DiamondResult r;
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!done.load()) {
      r.hung = true;
      plan.cancel();
    }
  });
  plan.start();
  std::vector<Item> items;
  while (sink->pop_many(items, 64) == PopStatus::kItems) {
    for (auto& item : items) r.values.push_back(shared_value(item.payload));
    items.clear();
  }
  plan.join();
  done = true;
  watchdog.join();
  r.failed = plan.state().failed();
  return r;
}

}  // namespace

// A source's items handed on at once (emit_each): pushed without waking the consumer, which
// has taken the earlier items and parked on the empty queue, then woken once; a queue too small for them all wakes it
// before the producer waits for room. Every item arrives, in order, numbered from 0.
bool emit_each_arrives(std::size_t capacity) {
  constexpr long kItems = 500;
  ItemQueue queue(capacity, 1);
  Exchange exchange({&queue}, Exchange::Mode::kOrdered, 1, 0, nullptr);
  std::vector<long> got;
  std::mutex mutex;
  std::condition_variable arrived;
  std::thread reader([&] {
    std::vector<Item> items;
    while (queue.pop_many(items, 16) == PopStatus::kItems) {
      std::lock_guard lock(mutex);
      for (auto& item : items) got.push_back(item.seq == got.size() ? value_of(item.payload) : -1);
      items.clear();
      arrived.notify_one();
    }
  });
  bool ok = true;
  for (long first = 0; first < kItems; first += 50) {
    std::vector<Payload> items;
    for (long v = first; v < first + 50; ++v) items.push_back(make_int(v * 3));
    ok = exchange.emit_each(static_cast<std::uint64_t>(first), std::move(items)) && ok;
    // Woken by the call itself, not by the end of the stream (the reader has taken the
    // earlier items and parked): it takes these before the next call.
    std::unique_lock lock(mutex);
    ok = arrived.wait_for(lock, std::chrono::seconds(5), [&] { return got.size() == static_cast<std::size_t>(first + 50); }) && ok;
  }
  exchange.producer_done();
  reader.join();
  for (long v = 0; v < kItems && ok; ++v) ok = static_cast<std::size_t>(kItems) == got.size() && got[v] == v * 3;
  return ok;
}

int main() {
  check_thread_pool();
  check_overflow_queue();
  check_stop_closes_loop_queues();
  check(numbers_arrive_in_order(Exchange::Mode::kUnordered),
        "unordered exchange, 4 producers: each broadcast target gets its numbers in order");
  check(numbers_arrive_in_order(Exchange::Mode::kRouted),
        "routed exchange, 4 producers: each target gets its numbers in order");
  check(emit_each_arrives(1024) && emit_each_arrives(1),
        "emit_each: a sleeping consumer gets every item in order (a queue of 1024 slots, and of 1)");
  {
    constexpr long kItems = 3000;
    auto r = run_union_diamond(kItems);
    std::vector<int> seen(kItems, 0);
    bool twice = r.values.size() == 2 * kItems;
    for (long v : r.values) twice = twice && v >= 0 && v < kItems && ++seen[v] <= 2;
    check(!r.hung && !r.failed, "union diamond with one-slot queues and an ordered branch ends");
    check(twice, "union diamond: every value arrives twice");
  }
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

#include "bindings/py_run.h"

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

#include "bindings/py_operators.h"

namespace headrace::py {

namespace {

using runtime::Exchange;

Ref ref_or_null(const pyb::handle& obj) {
  return obj.is_none() ? Ref() : Ref::borrow(obj.ptr());
}

Exchange::Mode parse_mode(const std::string& mode) {
  if (mode == "ordered") return Exchange::Mode::kOrdered;
  if (mode == "unordered") return Exchange::Mode::kUnordered;
  if (mode == "keep_seq") return Exchange::Mode::kKeepSeq;
  if (mode == "routed") return Exchange::Mode::kRouted;
  throw std::invalid_argument("unknown exchange mode '" + mode + "'");
}

// `wait()`'s result, run without the GIL. The GIL is taken back in plain code, not in a
// destructor (as pybind11's gil_scoped_release does): while the interpreter finalizes,
// CPython ends a thread that asks for it (a daemon thread reading a run) by unwinding its
// stack, and an unwinding out of a destructor aborts the process.
template <typename Wait>
auto without_gil(Wait&& wait) {
  PyThreadState* saved = PyEval_SaveThread();
  std::optional<decltype(wait())> result;
  std::exception_ptr error;
  try {
    result.emplace(wait());
  } catch (...) {
    error = std::current_exception();
  }
  PyEval_RestoreThread(saved);
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

template <typename T>
T* at(const std::vector<T*>& items, int id, const char* what) {
  if (id < 0 || static_cast<std::size_t>(id) >= items.size()) {
    throw std::out_of_range(std::string("no ") + what + " with id " + std::to_string(id));
  }
  return items[static_cast<std::size_t>(id)];
}

}  // namespace

PyRun::PyRun() : plan_(std::make_unique<runtime::Plan>(python_thread_pool())) {}

PyRun::~PyRun() {
  if (plan_->started() && !joined_) {
    plan_->cancel();
    join_without_gil();
  }
  // Operators own Python references; their release takes the GIL, which we hold here.
  plan_.reset();
}

runtime::ItemQueue* PyRun::queue(int id) const { return at(queues_, id, "queue"); }

int PyRun::add_queue(std::size_t capacity, std::uint32_t producers, bool overflow) {
  queues_.push_back(plan_->add_queue(capacity, producers));
  if (overflow) queues_.back()->allow_overflow();
  return static_cast<int>(queues_.size()) - 1;
}

void PyRun::seed(int id, const pyb::list& items, std::uint32_t stream) {
  if (plan_->started()) throw std::logic_error("seed() before start()");
  runtime::ItemQueue* q = queue(id);
  std::uint64_t seq = 0;
  for (const auto& value : items) {
    runtime::Item item{seq++, stream, make_payload(pyb::reinterpret_borrow<pyb::object>(value).release().ptr())};
    bool ok = q->allows_overflow() ? q->push_overflow(std::move(item)) : q->try_push(item);
    if (!ok) throw std::length_error("the seeded items do not fit the queue");
  }
}

void PyRun::set_stop_type(pyb::object type) {
  stop_.type = ref_or_null(type);
  stop_.state = &plan_->state();
}

void PyRun::close_on_stop(int id) {
  runtime::ItemQueue* q = queue(id);
  plan_->state().on_stop([q] { q->close(); });
}

void PyRun::stop() { plan_->stop(); }

int PyRun::add_stats(const std::string& step, std::uint32_t workers, int input_queue) {
  stats_.push_back(plan_->add_stats(step, workers));
  stats_queue_.push_back(input_queue);
  return static_cast<int>(stats_.size()) - 1;
}

int PyRun::add_exchange(const std::vector<int>& targets, const std::string& mode,
                        std::uint32_t producers, std::uint32_t stream, int stats, int window,
                        const std::vector<std::uint32_t>& target_streams,
                        const std::vector<bool>& overflow_targets) {
  std::vector<runtime::ItemQueue*> queues;
  for (int id : targets) queues.push_back(queue(id));
  exchanges_.push_back(plan_->add_exchange(std::move(queues), parse_mode(mode), producers, stream,
                                           at(stats_, stats, "stats"), window_or_null(window)));
  if (!target_streams.empty()) exchanges_.back()->set_target_streams(target_streams);
  if (!overflow_targets.empty()) exchanges_.back()->set_overflow_targets(overflow_targets);
  return static_cast<int>(exchanges_.size()) - 1;
}

int PyRun::add_window(std::uint64_t width) {
  windows_.push_back(plan_->add_window(width));
  return static_cast<int>(windows_.size()) - 1;
}

runtime::SeqWindow* PyRun::window_or_null(int id) const {
  return id < 0 ? nullptr : at(windows_, id, "window");
}

void PyRun::add_source(const std::string& step, int stats, int exchange, pyb::object make_iterator,
                       std::size_t max_batch) {
  auto op = std::make_unique<PySourceOperator>(Ref::borrow(make_iterator.ptr()), max_batch);
  plan_->add_driver(std::make_unique<runtime::Driver>(
      runtime::OperatorContext{step, 0, 1}, std::move(op), at(exchanges_, exchange, "exchange"),
      at(stats_, stats, "stats"), &plan_->state()));
}

std::unique_ptr<runtime::Operator> PyRun::make_chain(const pyb::list& calls, bool pack,
                                                     pyb::object pack_type,
                                                     const std::vector<int>& element_stats,
                                                     pyb::object route_type) const {
  std::vector<ExecutorCalls> chain;
  for (const auto& entry : calls) {
    auto t = entry.cast<pyb::tuple>();
    if (t.size() != 6) throw std::invalid_argument("executor calls are (step, execute, ctx, open, finish, close)");
    chain.push_back(ExecutorCalls{t[0].cast<std::string>(), ref_or_null(t[1]), ref_or_null(t[2]),
                                  ref_or_null(t[3]), ref_or_null(t[4]), ref_or_null(t[5])});
  }
  std::vector<runtime::StepStats*> counters;
  for (int id : element_stats) counters.push_back(at(stats_, id, "stats"));
  return std::make_unique<PyChainOperator>(std::move(chain), pack, ref_or_null(pack_type),
                                           std::move(counters), ref_or_null(route_type),
                                           stop_.type ? &stop_ : nullptr);
}

void PyRun::add_chain(const std::string& step, std::uint32_t worker, std::uint32_t workers,
                      int stats, int input, int exchange, const pyb::list& calls, bool pack,
                      pyb::object pack_type, std::size_t max_batch,
                      const std::vector<int>& element_stats, pyb::object route_type) {
  plan_->add_driver(std::make_unique<runtime::Driver>(
      runtime::OperatorContext{step, worker, workers},
      make_chain(calls, pack, pack_type, element_stats, route_type),
      queue(input), at(exchanges_, exchange, "exchange"), at(stats_, stats, "stats"), &plan_->state(),
      max_batch));
}

void PyRun::add_source_chain(const std::string& source_step, int source_stats,
                             pyb::object make_iterator, const std::string& step, int stats,
                             int exchange, const pyb::list& calls, std::size_t max_batch,
                             const std::vector<int>& element_stats, pyb::object route_type) {
  auto source = std::make_unique<PySourceOperator>(Ref::borrow(make_iterator.ptr()), max_batch);
  plan_->add_driver(std::make_unique<runtime::Driver>(
      source_step, std::move(source), at(stats_, source_stats, "stats"),
      runtime::OperatorContext{step, 0, 1}, make_chain(calls, false, pyb::none(), element_stats, route_type),
      at(exchanges_, exchange, "exchange"), at(stats_, stats, "stats"), &plan_->state(), max_batch));
}

void PyRun::add_zip(const std::string& step, int stats, int input, int exchange,
                    std::uint32_t branches, pyb::object join, pyb::object pack_type, int window) {
  auto op = std::make_unique<PyZipOperator>(branches, ref_or_null(join), ref_or_null(pack_type),
                                            window_or_null(window));
  plan_->add_driver(std::make_unique<runtime::Driver>(
      runtime::OperatorContext{step, 0, 1}, std::move(op), queue(input),
      at(exchanges_, exchange, "exchange"), at(stats_, stats, "stats"), &plan_->state(), 1024));
}

void PyRun::set_sink(int id) { sink_ = queue(id); }

void PyRun::start() {
  if (sink_ == nullptr) throw std::logic_error("a run needs a sink queue");
  plan_->start();
}

void PyRun::join_without_gil() {
  if (joined_) return;  // nothing to wait for (the run's owner finishing after the exit hook did)
  without_gil([this] {
    plan_->join();
    return true;
  });
  joined_ = true;
}

pyb::object PyRun::next_batch(std::size_t max_items, std::size_t min_items, bool tagged) {
  constexpr auto kSignalCheck = std::chrono::milliseconds(50);
  std::vector<runtime::Item> items;
  for (;;) {
    const runtime::PopStatus status =
        without_gil([&] { return sink_->pop_many(items, max_items, kSignalCheck, min_items); });
    if (status == runtime::PopStatus::kItems) {
      pyb::list out(items.size());
      for (std::size_t i = 0; i < items.size(); ++i) {
        PyObject* value = static_cast<PyObject*>(items[i].payload.release());
        if (tagged) {
          pyb::object v = pyb::reinterpret_steal<pyb::object>(value);
          value = pyb::make_tuple(items[i].stream, v).release().ptr();
        }
        PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), value);
      }
      return out;
    }
    if (status == runtime::PopStatus::kEnd) return pyb::none();
    if (PyErr_CheckSignals() != 0) {  // Ctrl-C: stop everything, then raise it
      pyb::error_already_set interrupt;
      plan_->cancel();
      join_without_gil();
      throw interrupt;
    }
  }
}

pyb::object PyRun::finish() {
  join_without_gil();
  auto failure = plan_->state().take_failure();
  if (!failure) return pyb::none();
  pyb::object exc;
  try {
    std::rethrow_exception(failure->error);
  } catch (const PyException& e) {
    exc = pyb::reinterpret_borrow<pyb::object>(e.exception());
  } catch (const std::exception& e) {
    exc = pyb::reinterpret_steal<pyb::object>(PyObject_CallFunction(PyExc_RuntimeError, "s", e.what()));
  } catch (...) {
    exc = pyb::reinterpret_steal<pyb::object>(
        PyObject_CallFunction(PyExc_RuntimeError, "s", "unknown native error"));
  }
  return pyb::make_tuple(failure->step, failure->item, failure->phase, exc,
                         failure->item_step.empty() ? pyb::object(pyb::none())
                                                    : pyb::object(pyb::str(failure->item_step)));
}

void PyRun::cancel() { plan_->cancel(); }

pyb::list PyRun::stats() const {
  pyb::list out;
  for (std::size_t i = 0; i < stats_.size(); ++i) {
    const auto* s = stats_[i];
    pyb::dict d;
    d["step"] = s->step;
    d["workers"] = s->workers;
    d["items_in"] = s->items_in.load();
    d["items_out"] = s->items_out.load();
    d["batches_in"] = s->batches_in.load();
    d["busy_seconds"] = static_cast<double>(s->busy_ns.load()) / 1e9;
    d["wait_seconds"] = static_cast<double>(s->wait_ns.load()) / 1e9;
    if (stats_queue_[i] >= 0) {
      auto* q = queue(stats_queue_[i]);
      d["queue_size"] = q->capacity();
      d["queue_high_water"] = q->high_water();
    } else {
      d["queue_size"] = pyb::none();
      d["queue_high_water"] = pyb::none();
    }
    out.append(d);
  }
  return out;
}

}  // namespace headrace::py

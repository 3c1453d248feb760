#include "bindings/py_operators.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace headrace::py {

namespace {

using runtime::Emitter;
using runtime::Item;
using runtime::ItemError;
using runtime::Payload;

// Calls fn(arg[, ctx]) and returns a new reference; throws the Python error.
PyObject* call_executor(PyObject* fn, PyObject* arg, PyObject* ctx) {
  PyObject* args[2] = {arg, ctx};
  PyObject* result = PyObject_Vectorcall(fn, args, ctx != nullptr ? 2 : 1, nullptr);
  if (result == nullptr) throw PyException::fetch();
  return result;
}

PyObject* call_hook(PyObject* fn, PyObject* ctx) {
  PyObject* result = PyObject_CallOneArg(fn, ctx);
  if (result == nullptr) throw PyException::fetch();
  return result;
}

void retain_all(std::vector<Payload>& outs, std::uint32_t fanout) {
  for (auto& p : outs) retain_for_fanout(static_cast<PyObject*>(p.get()), fanout);
}

constexpr std::int64_t kNoItem = -1;

}  // namespace

// ---- PyChainOperator --------------------------------------------------------------------

PyChainOperator::PyChainOperator(std::vector<ExecutorCalls> chain, bool pack, Ref pack_type,
                                 std::vector<runtime::StepStats*> element_stats, Ref route_type,
                                 const StopSignal* stop)
    : chain_(std::move(chain)),
      element_stats_(std::move(element_stats)),
      pack_(pack),
      pack_type_(std::move(pack_type)),
      route_type_(std::move(route_type)),
      stop_(stop) {
  if (chain_.empty()) throw std::invalid_argument("an operator chain needs at least one executor");
  if (!element_stats_.empty() && element_stats_.size() != chain_.size()) {
    throw std::invalid_argument("a chain needs one statistics entry per executor");
  }
  entered_.assign(chain_.size(), 0);
  for (auto& stage : chain_) {  // constructed from Python: the GIL is held
    if (stage.ctx && PyObject_HasAttrString(stage.ctx.get(), "_seq")) seq_ctxs_.push_back(stage.ctx.get());
  }
}

bool PyChainOperator::has_hook(Ref ExecutorCalls::*hook) const {
  return std::any_of(chain_.begin(), chain_.end(), [hook](const ExecutorCalls& calls) { return bool(calls.*hook); });
}

void PyChainOperator::open(const runtime::OperatorContext& ctx) {
  worker_ = ctx.worker;
  workers_ = ctx.workers;
  // Without hooks, no GIL: every driver of a run opens at once, and each would wait its turn.
  if (!has_hook(&ExecutorCalls::open)) {
    opened_ = chain_.size();
    return;
  }
  Gil gil;
  for (auto& stage : chain_) {
    if (stage.open) {
      try {
        Py_DECREF(call_hook(stage.open.get(), stage.ctx.get()));
      } catch (...) {
        auto error = std::current_exception();
        // The driver only closes operators that opened; close the part of the chain that did.
        try {
          close();
        } catch (...) {
        }
        throw ItemError(kNoItem, error, stage.step);
      }
    }
    ++opened_;
  }
}

// `value` is stolen.
Payload PyChainOperator::make_output(PyObject* value) const {
  if (!route_type_ || Py_TYPE(value) != reinterpret_cast<PyTypeObject*>(route_type_.get())) {
    return make_payload(value);
  }
  Ref routed = Ref::steal(value);
  if (PyTuple_GET_SIZE(value) != 2) throw std::invalid_argument("a routed output is a (target, value) pair");
  const unsigned long target = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(value, 0));
  if (PyErr_Occurred()) throw PyException::fetch();
  PyObject* inner = PyTuple_GET_ITEM(value, 1);
  Py_INCREF(inner);
  Payload payload = make_payload(inner);
  payload.set_route(static_cast<std::uint32_t>(target));
  return payload;
}

void PyChainOperator::set_stream_id(std::uint32_t stream) {
  if (stream == stream_id_ || !chain_.front().ctx) return;
  Ref id = Ref::steal(PyLong_FromUnsignedLong(stream));
  if (!id || PyObject_SetAttrString(chain_.front().ctx.get(), "stream_id", id.get()) != 0) {
    throw PyException::fetch();
  }
  stream_id_ = stream;
}

void PyChainOperator::set_seq(std::uint64_t seq) {
  if (seq_ctxs_.empty()) return;
  Ref number = Ref::steal(PyLong_FromUnsignedLongLong(seq));
  if (!number) throw PyException::fetch();
  for (PyObject* ctx : seq_ctxs_) {
    if (PyObject_SetAttrString(ctx, "_seq", number.get()) != 0) throw PyException::fetch();
  }
}

void PyChainOperator::forward(std::size_t next_stage, PyObject* value, std::vector<Payload>& outs) {
  if (next_stage == chain_.size()) {
    outs.push_back(make_output(value));
  } else {
    if (!element_stats_.empty()) {
      element_stats_[next_stage - 1]->items_out.fetch_add(1, std::memory_order_relaxed);
      element_stats_[next_stage]->items_in.fetch_add(1, std::memory_order_relaxed);
    }
    run_from(next_stage, value, outs);
  }
}

// `result` is stolen. None is no output; a generator is several.
void PyChainOperator::absorb(std::size_t next_stage, PyObject* result, std::vector<Payload>& outs) {
  if (result == Py_None) {
    Py_DECREF(result);
    return;
  }
  if (!PyGen_Check(result)) {
    forward(next_stage, result, outs);
    return;
  }
  Ref generator = Ref::steal(result);
  for (;;) {
    failing_stage_ = next_stage - 1;  // the generator's own code runs inside PyIter_Next
    PyObject* value = PyIter_Next(generator.get());
    if (value == nullptr) break;
    if (value == Py_None) {
      Py_DECREF(value);
      continue;
    }
    forward(next_stage, value, outs);
  }
  if (PyErr_Occurred()) throw PyException::fetch();
}

// `value` is stolen.
void PyChainOperator::run_from(std::size_t stage, PyObject* value, std::vector<Payload>& outs) {
  failing_stage_ = stage;
  ++entered_[stage];
  const ExecutorCalls& calls = chain_[stage];
  PyObject* result;
  try {
    result = call_executor(calls.execute.get(), value, calls.ctx.get());
  } catch (...) {
    Py_DECREF(value);
    throw;
  }
  Py_DECREF(value);
  absorb(stage + 1, result, outs);
}

PyObject* PyChainOperator::pack(std::vector<Payload>& outs) {
  if (outs.size() == 1) return static_cast<PyObject*>(outs.front().release());
  if (outs.empty()) Py_RETURN_NONE;
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(outs.size()));
  if (list == nullptr) throw PyException::fetch();
  for (std::size_t i = 0; i < outs.size(); ++i) {
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), static_cast<PyObject*>(outs[i].release()));
  }
  PyObject* packed = PyObject_CallOneArg(pack_type_.get(), list);
  Py_DECREF(list);
  if (packed == nullptr) throw PyException::fetch();
  return packed;
}

void PyChainOperator::push(std::vector<Item>& batch, Emitter& out) {
  std::vector<std::pair<std::uint64_t, std::vector<Payload>>> groups;
  groups.reserve(batch.size());
  const std::uint32_t fanout = out.fanout();
  {
    Gil gil;
    for (auto& item : batch) {
      std::vector<Payload> outs;
      try {
        set_stream_id(item.stream);
        set_seq(item.seq);
        run_from(0, static_cast<PyObject*>(item.payload.release()), outs);
        if (pack_) {
          PyObject* packed = pack(outs);
          outs.clear();
          outs.push_back(make_payload(packed));
        }
      } catch (const PyException& e) {
        if (!stops_the_run(e)) fail_on(item, std::current_exception());
        stop_->state->stop();
      } catch (...) {
        fail_on(item, std::current_exception());
      }
      retain_all(outs, fanout);
      groups.emplace_back(item.seq, std::move(outs));
    }
  }
  for (auto& [seq, outs] : groups) {
    if (!out.emit(seq, std::move(outs))) return;  // cancelled
  }
}

bool PyChainOperator::stops_the_run(const PyException& e) const {
  return stop_ != nullptr && stop_->type && PyErr_GivenExceptionMatches(e.exception(), stop_->type.get());
}

// Names the failing executor and the item it was working on: counted in its own input when
// that count is exact (the chain's first executor, or a chain with one instance), else
// counted in the input of the chain's first executor.
void PyChainOperator::fail_on(const Item& item, std::exception_ptr cause) const {
  const std::string& step = chain_[failing_stage_].step;
  if (failing_stage_ == 0) throw ItemError(static_cast<std::int64_t>(item.seq), cause, step);
  if (workers_ == 1) {
    throw ItemError(static_cast<std::int64_t>(entered_[failing_stage_] - 1), cause, step);
  }
  throw ItemError(static_cast<std::int64_t>(item.seq), cause, step, chain_.front().step);
}

void PyChainOperator::finish(Emitter& out) {
  if (!has_hook(&ExecutorCalls::finish)) return;
  std::vector<Payload> outs;
  {
    Gil gil;
    for (std::size_t stage = 0; stage < chain_.size(); ++stage) {
      if (!chain_[stage].finish) continue;
      try {
        failing_stage_ = stage;
        absorb(stage + 1, call_hook(chain_[stage].finish.get(), chain_[stage].ctx.get()), outs);
      } catch (...) {
        throw ItemError(kNoItem, std::current_exception(), chain_[failing_stage_].step);
      }
    }
    if (pack_ && !outs.empty()) {
      PyErr_Format(PyExc_ValueError,
                   "step '%s': finish() produced outputs, but a step inside hr.Parallel must "
                   "produce its outputs per item (the join pairs them by item)",
                   chain_.front().step.c_str());
      throw PyException::fetch();
    }
    retain_all(outs, out.fanout());
  }
  if (!outs.empty()) out.emit_final(worker_, std::move(outs));
}

void PyChainOperator::close() {
  if (!has_hook(&ExecutorCalls::close)) {
    opened_ = 0;
    return;
  }
  Gil gil;
  std::exception_ptr first;
  std::string failed_step;
  // Every opened executor is closed, last first, even if one of them raises.
  for (std::size_t i = opened_; i-- > 0;) {
    if (!chain_[i].close) continue;
    try {
      Py_DECREF(call_hook(chain_[i].close.get(), chain_[i].ctx.get()));
    } catch (...) {
      if (!first) {
        first = std::current_exception();
        failed_step = chain_[i].step;
      }
    }
  }
  opened_ = 0;
  if (first) throw ItemError(kNoItem, first, failed_step);
}

// ---- PySourceOperator -------------------------------------------------------------------

PySourceOperator::PySourceOperator(Ref make_iterator, std::size_t max_batch)
    : make_iterator_(std::move(make_iterator)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

void PySourceOperator::open(const runtime::OperatorContext&) {
  Gil gil;
  PyObject* iterable = PyObject_CallNoArgs(make_iterator_.get());
  if (iterable == nullptr) throw PyException::fetch();
  PyObject* iterator = PyObject_GetIter(iterable);
  Py_DECREF(iterable);
  if (iterator == nullptr) throw PyException::fetch();
  iterator_ = Ref::steal(iterator);
}

bool PySourceOperator::produce(Emitter& out) {
  using Clock = std::chrono::steady_clock;
  // Take items while they come fast, but hand them on within a millisecond so that a slow
  // generator still streams.
  constexpr auto kMaxHold = std::chrono::milliseconds(1);
  std::vector<Payload> items;
  items.reserve(max_batch_);
  bool more = true;
  {
    Gil gil;
    const auto deadline = Clock::now() + kMaxHold;
    const std::uint32_t fanout = out.fanout();
    while (items.size() < max_batch_) {
      PyObject* value = PyIter_Next(iterator_.get());
      if (value == nullptr) {
        if (PyErr_Occurred()) {
          throw ItemError(static_cast<std::int64_t>(produced_ + items.size()),
                          std::make_exception_ptr(PyException::fetch()));
        }
        more = false;
        break;
      }
      retain_for_fanout(value, fanout);
      items.push_back(make_payload(value));
      if ((items.size() & 15) == 0 && Clock::now() > deadline) break;
    }
  }
  const std::uint64_t first = produced_;
  produced_ += items.size();
  if (!out.emit_each(first, std::move(items))) return false;
  return more;
}

void PySourceOperator::close() {
  Gil gil;
  if (!iterator_) return;
  // Generators run their `finally` blocks now, not whenever they are collected.
  if (PyObject_HasAttrString(iterator_.get(), "close")) {
    PyObject* result = PyObject_CallMethod(iterator_.get(), "close", nullptr);
    if (result == nullptr) throw PyException::fetch();
    Py_DECREF(result);
  }
  iterator_ = Ref();
}

// ---- PyZipOperator ----------------------------------------------------------------------

PyZipOperator::PyZipOperator(std::uint32_t branches, Ref join, Ref pack_type, runtime::SeqWindow* window)
    : branches_(branches), join_(std::move(join)), pack_type_(std::move(pack_type)), window_(window) {}

void PyZipOperator::push(std::vector<Item>& batch, Emitter& out) {
  std::vector<std::pair<std::uint64_t, std::vector<Payload>>> groups;
  {
    Gil gil;
    for (auto& item : batch) {
      Slots& slots = pending_[item.seq];
      if (slots.values.empty()) slots.values.resize(branches_);
      slots.values.at(item.stream) = std::move(item.payload);
      ++slots.filled;
    }
    for (auto it = pending_.find(next_); it != pending_.end() && it->second.filled == branches_;
         it = pending_.find(next_)) {
      const std::uint64_t seq = next_++;
      PyObject* tuple = PyTuple_New(branches_);
      if (tuple == nullptr) throw PyException::fetch();
      for (std::uint32_t b = 0; b < branches_; ++b) {
        PyObject* value = static_cast<PyObject*>(it->second.values[b].release());
        // Several outputs of one branch arrive packed; the user sees a plain list.
        if (Py_TYPE(value) == reinterpret_cast<PyTypeObject*>(pack_type_.get())) {
          PyObject* list = PySequence_List(value);
          Py_DECREF(value);
          if (list == nullptr) {
            Py_DECREF(tuple);
            throw ItemError(static_cast<std::int64_t>(seq), std::make_exception_ptr(PyException::fetch()));
          }
          value = list;
        }
        PyTuple_SET_ITEM(tuple, b, value);
      }
      pending_.erase(it);
      PyObject* result = tuple;
      if (join_) {
        result = PyObject_CallOneArg(join_.get(), tuple);
        Py_DECREF(tuple);
        if (result == nullptr) {
          throw ItemError(static_cast<std::int64_t>(seq), std::make_exception_ptr(PyException::fetch()));
        }
      }
      std::vector<Payload> outs;
      if (result == Py_None) {
        Py_DECREF(result);
      } else {
        retain_for_fanout(result, out.fanout());
        outs.push_back(make_payload(result));
      }
      groups.emplace_back(seq, std::move(outs));
    }
  }
  for (auto& [seq, outs] : groups) {
    if (!out.emit(seq, std::move(outs))) return;
  }
  if (window_ != nullptr) window_->advance(next_);
}

}  // namespace headrace::py

// Operators that call Python: a fused chain of executors (one Step, or the steps of one
// Parallel branch), an iterable source, and the join that zips Parallel branches.
//
// Each takes the GIL once per batch of items (not once per item), does all the Python work
// for the batch, lets go of the GIL, and only then hands the outputs to the exchange, which
// may block on a full queue.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bindings/py_object.h"
#include "runtime/operator.h"
#include "runtime/run_state.h"
#include "runtime/seq_window.h"
#include "runtime/stats.h"

namespace headrace::py {

// How a chain recognizes a flow's hr.StopFlow: an exception of `type` raised while an item
// runs asks `state` to stop the run (no failure); the item's other outputs are kept.
struct StopSignal {
  Ref type;
  runtime::RunState* state = nullptr;
};

// One executor instance: `execute(item[, ctx])` and optional hooks taking ctx.
struct ExecutorCalls {
  std::string step;
  Ref execute;
  Ref ctx;  // null: a plain function called as execute(item)
  Ref open;
  Ref finish;
  Ref close;
};

class PyChainOperator final : public runtime::Operator {
 public:
  // With `pack`, the outputs made for one input travel as one object: the single output,
  // None for no output, or `pack_type(list)` for several (a Parallel branch feeding a join).
  // `element_stats` (one per executor, may be empty) count the items passed between the
  // executors of a fused chain; the driver and the exchange count the chain's ends.
  // With `route_type` (a tuple subclass), a final output `route_type((target, value))`
  // travels as `value` with route `target`, for a routed exchange (hash partitioning).
  // The first executor's ctx.stream_id follows the stream of the item it is given. Every
  // ctx with a `_seq` attribute gets the chain's input item number as `_seq` before the
  // item runs (operators that must know stream order, e.g. first/last of an aggregation).
  // `stop` (optional, not owned): see StopSignal.
  PyChainOperator(std::vector<ExecutorCalls> chain, bool pack, Ref pack_type,
                  std::vector<runtime::StepStats*> element_stats, Ref route_type = Ref(),
                  const StopSignal* stop = nullptr);

  void open(const runtime::OperatorContext& ctx) override;
  void push(std::vector<runtime::Item>& batch, runtime::Emitter& out) override;
  void finish(runtime::Emitter& out) override;
  void close() override;

 private:
  void run_from(std::size_t stage, PyObject* value, std::vector<runtime::Payload>& outs);
  void absorb(std::size_t next_stage, PyObject* result, std::vector<runtime::Payload>& outs);
  void forward(std::size_t next_stage, PyObject* value, std::vector<runtime::Payload>& outs);
  PyObject* pack(std::vector<runtime::Payload>& outs);
  runtime::Payload make_output(PyObject* value) const;
  void set_stream_id(std::uint32_t stream);
  void set_seq(std::uint64_t seq);
  bool stops_the_run(const PyException& e) const;
  bool has_hook(Ref ExecutorCalls::*hook) const;
  [[noreturn]] void fail_on(const runtime::Item& item, std::exception_ptr cause) const;

  std::vector<ExecutorCalls> chain_;
  std::vector<runtime::StepStats*> element_stats_;
  bool pack_;
  Ref pack_type_;
  Ref route_type_;
  const StopSignal* stop_;
  std::uint32_t stream_id_ = 0;
  std::uint32_t worker_ = 0;
  std::uint32_t workers_ = 1;
  std::size_t opened_ = 0;
  std::size_t failing_stage_ = 0;
  std::vector<std::uint64_t> entered_;  // items that entered each executor of this instance
  std::vector<PyObject*> seq_ctxs_;      // borrowed from chain_: the ctxs that take `_seq`
};

class PySourceOperator final : public runtime::SourceOperator {
 public:
  PySourceOperator(Ref make_iterator, std::size_t max_batch);
  void open(const runtime::OperatorContext& ctx) override;
  bool produce(runtime::Emitter& out) override;
  void close() override;

 private:
  Ref make_iterator_;
  Ref iterator_;
  std::size_t max_batch_;
  std::uint64_t produced_ = 0;
};

// Joins the outputs of n Parallel branches per input item (items carry the input's number
// and their branch as `stream`), in input order: a tuple, or join(tuple) when given.
class PyZipOperator final : public runtime::Operator {
 public:
  // `window` (optional): advanced as items are joined, so that branches cannot run
  // arbitrarily far ahead of the slowest one.
  PyZipOperator(std::uint32_t branches, Ref join, Ref pack_type, runtime::SeqWindow* window);
  void push(std::vector<runtime::Item>& batch, runtime::Emitter& out) override;

 private:
  std::uint32_t branches_;
  Ref join_;
  Ref pack_type_;
  struct Slots {
    std::vector<runtime::Payload> values;
    std::uint32_t filled = 0;
  };
  std::map<std::uint64_t, Slots> pending_;
  std::uint64_t next_ = 0;
  runtime::SeqWindow* window_;
};

}  // namespace headrace::py

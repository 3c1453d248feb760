// PyRun: builds one native Plan from Python (queues, exchanges, drivers), runs it, and
// streams the sink's items back to the calling thread. The graph itself is decided in
// Python (headrace/_plan.py); this is the thin native side.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <vector>

#include "bindings/py_object.h"
#include "bindings/py_operators.h"
#include "runtime/plan.h"

namespace headrace::py {

namespace pyb = pybind11;

class PyRun {
 public:
  PyRun();
  ~PyRun();

  // overflow: the queue takes never-blocking pushes (a flow's loop-back edges; BatchQueue).
  int add_queue(std::size_t capacity, std::uint32_t producers, bool overflow);
  // Puts items into a queue before the run starts (a flow's seeded stream), numbered from 0
  // and tagged with `stream`; a bounded queue must have room for all of them.
  void seed(int queue, const pyb::list& items, std::uint32_t stream);
  int add_stats(const std::string& step, std::uint32_t workers, int input_queue);
  // window: an id from add_window, or -1 for none.
  int add_exchange(const std::vector<int>& targets, const std::string& mode,
                   std::uint32_t producers, std::uint32_t stream, int stats, int window,
                   const std::vector<std::uint32_t>& target_streams,
                   const std::vector<bool>& overflow_targets);
  int add_window(std::uint64_t width);
  void add_source(const std::string& step, int stats, int exchange, pyb::object make_iterator,
                  std::size_t max_batch);
  // `calls`: one (step, execute, ctx, open, finish, close) tuple per executor of the chain;
  // `element_stats`: the statistics of each executor's step (empty: count only the ends);
  // `route_type`: see PyChainOperator (None: outputs are not routed).
  void add_chain(const std::string& step, std::uint32_t worker, std::uint32_t workers, int stats,
                 int input, int exchange, const pyb::list& calls, bool pack,
                 pyb::object pack_type, std::size_t max_batch, const std::vector<int>& element_stats,
                 pyb::object route_type);
  // The source fused with the chain that reads it: one thread, no queue between them.
  void add_source_chain(const std::string& source_step, int source_stats, pyb::object make_iterator,
                        const std::string& step, int stats, int exchange, const pyb::list& calls,
                        std::size_t max_batch, const std::vector<int>& element_stats,
                        pyb::object route_type);
  void add_zip(const std::string& step, int stats, int input, int exchange,
               std::uint32_t branches, pyb::object join, pyb::object pack_type, int window);
  void set_sink(int queue);
  // Chains added after this call treat an exception of `type` (hr.StopFlow) as stop().
  void set_stop_type(pyb::object type);
  // Registers a queue that stop() closes (a loop-back edge, so end-of-stream can go round).
  void close_on_stop(int queue);
  // Winds the run down normally: see runtime::RunState::stop.
  void stop();

  void start();
  // The next items that reached the sink (at most max_items), or None at the end of the
  // stream. Waits without the GIL until min_items are there (or the stream ended); Ctrl-C
  // cancels the run and raises KeyboardInterrupt.
  // With `tagged`, each item comes as (stream, value): which output stream it reached.
  pyb::object next_batch(std::size_t max_items, std::size_t min_items, bool tagged);
  // Joins every thread; returns None, or (step, item, phase, exception, item_step) for the
  // first failure (item_step: whose input `item` counts when not step's own, else None).
  pyb::object finish();
  void cancel();
  pyb::list stats() const;

 private:
  runtime::ItemQueue* queue(int id) const;
  runtime::SeqWindow* window_or_null(int id) const;
  std::unique_ptr<runtime::Operator> make_chain(const pyb::list& calls, bool pack, pyb::object pack_type,
                                                const std::vector<int>& element_stats,
                                                pyb::object route_type) const;
  void join_without_gil();

  StopSignal stop_;  // declared before plan_: the chains that point to it go first
  std::unique_ptr<runtime::Plan> plan_;
  std::vector<runtime::ItemQueue*> queues_;
  std::vector<runtime::Exchange*> exchanges_;
  std::vector<runtime::SeqWindow*> windows_;
  std::vector<runtime::StepStats*> stats_;
  std::vector<int> stats_queue_;
  runtime::ItemQueue* sink_ = nullptr;
  bool joined_ = false;
};

}  // namespace headrace::py

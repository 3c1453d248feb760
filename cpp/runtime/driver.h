// Driver: one native thread running one operator instance (one worker of a step). It pulls
// batches from the step's input queue (or asks its source for items), pushes them through
// the operator and hands the outputs to the step's exchange. Any exception fails the whole
// run; close() runs in every case.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "runtime/exchange.h"
#include "runtime/operator.h"
#include "runtime/run_state.h"
#include "runtime/stats.h"

namespace headrace::runtime {

class Driver {
 public:
  Driver(OperatorContext ctx, std::unique_ptr<Operator> op, ItemQueue* input, Exchange* output,
         StepStats* stats, RunState* state, std::size_t max_batch);
  Driver(OperatorContext ctx, std::unique_ptr<SourceOperator> source, Exchange* output,
         StepStats* stats, RunState* state);
  // A source fused with the operator that consumes it (one thread, no queue between them).
  Driver(std::string source_step, std::unique_ptr<SourceOperator> source, StepStats* source_stats,
         OperatorContext ctx, std::unique_ptr<Operator> op, Exchange* output, StepStats* stats,
         RunState* state, std::size_t max_batch);

  // The thread body.
  void run();

 private:
  // Runs the operator over the batches `pull` fills (false: end of input).
  void run_operator(const std::function<bool(std::vector<Item>&)>& pull);
  void run_source();
  void run_fused_source();
  void fail(const std::string& step, const char* phase, std::exception_ptr error);

  OperatorContext ctx_;
  std::unique_ptr<Operator> op_;
  std::unique_ptr<SourceOperator> source_;
  std::string source_step_;
  StepStats* source_stats_ = nullptr;
  ItemQueue* input_ = nullptr;
  Exchange* output_;
  StepStats* stats_;
  RunState* state_;
  std::size_t max_batch_ = 1;
  // How many items the next pop may take: cheap items go in large batches (one GIL
  // hand-off for many), expensive ones one at a time so that parallel workers share them.
  std::size_t batch_limit_ = 1;
};

}  // namespace headrace::runtime

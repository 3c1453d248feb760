// The operator protocol every stage of a run implements (Velox's operator, DuckDB's
// split of state): open once per worker, push batches of input items, finish at the end
// of input, close always (also after an error elsewhere).
//
// An operator emits, for every input item, the group of outputs it produced for it (zero or
// more payloads), in the order of the items in the batch. Exchanges use the groups to
// restore input order after parallel workers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/payload.h"

namespace headrace::runtime {

struct OperatorContext {
  std::string step;
  std::uint32_t worker = 0;
  std::uint32_t workers = 1;
};

class Emitter {
 public:
  virtual ~Emitter() = default;
  // The outputs produced for input item `in_seq`. May block (back-pressure); returns
  // false when the run was cancelled and the outputs were dropped.
  virtual bool emit(std::uint64_t in_seq, std::vector<Payload>&& outputs) = 0;
  // Outputs produced by `worker` at the end of its input (after all its groups).
  virtual bool emit_final(std::uint32_t worker, std::vector<Payload>&& outputs) = 0;
  // Several inputs' outputs at once, one payload each (inputs first_seq, first_seq + 1,
  // ...): a source handing on the items it took. An emitter may wake its consumers once,
  // after the last, rather than at the first (which could take the producer's CPU before
  // the rest are there).
  virtual bool emit_each(std::uint64_t first_seq, std::vector<Payload>&& items) {
    for (auto& item : items) {
      std::vector<Payload> group;
      group.push_back(std::move(item));
      if (!emit(first_seq++, std::move(group))) return false;
    }
    return true;
  }
  // How many consumers receive every payload: a producer of shared values (Python
  // objects) takes fanout() - 1 extra references before emitting.
  virtual std::uint32_t fanout() const noexcept = 0;
};

class Operator {
 public:
  virtual ~Operator() = default;
  virtual void open(const OperatorContext& /*ctx*/) {}
  // Consumers: process one batch of input items.
  virtual void push(std::vector<Item>& batch, Emitter& out) = 0;
  virtual void finish(Emitter& /*out*/) {}
  // Always called once after a successful open, even after errors or cancellation.
  virtual void close() {}
};

class SourceOperator {
 public:
  virtual ~SourceOperator() = default;
  virtual void open(const OperatorContext& /*ctx*/) {}
  // Emits some items; returns false once the source is exhausted.
  virtual bool produce(Emitter& out) = 0;
  virtual void close() {}
};

}  // namespace headrace::runtime

// Exchange: the output side of a step. It receives the groups of outputs that the step's
// drivers produce, restores input order when asked, numbers the items of the outgoing
// stream and pushes them into one queue, or into several: every item to each (broadcast to
// Parallel branches or to several consumers), or each item to the one its route names
// (hash partitioning). Routed items are numbered per target, so each target sees 0, 1, ...
// Each target may have its own stream id (which input of its consumer it feeds: a flow
// step reading several streams from one queue), and may be an overflow target (a loop-back
// edge: pushes never block, see BatchQueue). A target that was closed early (a flow's stop
// ends the loop-back streams) silently drops what is still sent to it.
//
// Every target receives the numbers this exchange gives in increasing order (kKeepSeq
// aside: its numbers are its inputs'). Ordered consumers rely on it: their reorder window
// (SeqWindow) lets only the oldest unfinished input through once it is full, so that input
// must not be stuck behind later ones. Where several producers number, each takes its numbers
// and pushes them as one step (push_turn_); a producer blocked on a full target then holds
// the others back, as that target would anyway.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/batch_queue.h"
#include "runtime/operator.h"
#include "runtime/payload.h"
#include "runtime/seq_window.h"
#include "runtime/stats.h"

namespace headrace::runtime {

using ItemQueue = BatchQueue<Item>;

class Exchange final : public Emitter {
 public:
  enum class Mode {
    kOrdered,    // outputs leave in input order, whichever worker made them
    kUnordered,  // outputs leave as soon as they are made
    kKeepSeq,    // one output per input, keeping the input's number (a branch feeding a join)
    kRouted,     // each output goes to the one target its payload's route() names
  };

  // `window` (optional, not owned) bounds how far ahead of the oldest unfinished input a
  // producer may run: for kOrdered this exchange's reordering advances it (bounding the
  // outputs held for reordering), for kKeepSeq the join downstream does. Null: unbounded.
  Exchange(std::vector<ItemQueue*> targets, Mode mode, std::uint32_t producers,
           std::uint32_t stream, StepStats* stats, SeqWindow* window = nullptr);

  // Stream ids per target (instead of one `stream` for all), one per target.
  void set_target_streams(std::vector<std::uint32_t> streams);
  // Which targets are pushed with push_overflow (their queues must allow it).
  void set_overflow_targets(std::vector<bool> overflow);

  bool emit(std::uint64_t in_seq, std::vector<Payload>&& outputs) override;
  bool emit_final(std::uint32_t worker, std::vector<Payload>&& outputs) override;
  bool emit_each(std::uint64_t first_seq, std::vector<Payload>&& items) override;
  std::uint32_t fanout() const noexcept override {
    return mode_ == Mode::kRouted ? 1 : static_cast<std::uint32_t>(targets_.size());
  }

  // A producing driver is done; the last one flushes the final groups and ends the stream.
  void producer_done();

 private:
  bool push_group(std::vector<Payload>& outputs, bool keep_seq, std::uint64_t in_seq, bool wake = true);
  bool push_one(std::size_t target, Item&& item, bool wake = true);
  bool reorder_and_push(std::uint64_t in_seq, std::vector<Payload>&& outputs);

  std::vector<ItemQueue*> targets_;
  Mode mode_;
  std::vector<std::uint32_t> streams_;  // per target
  std::vector<bool> overflow_;          // per target
  bool reorder_;  // ordered with several producers: groups may arrive out of order
  StepStats* stats_;
  std::atomic<std::uint32_t> producers_left_;
  bool take_turns_;        // several producers number the items (kUnordered, kRouted)
  std::mutex push_turn_;   // held from taking a group's numbers to having pushed them
  std::atomic<std::uint64_t> next_out_{0};
  std::unique_ptr<std::atomic<std::uint64_t>[]> next_out_per_target_;  // kRouted

  // Reordering across workers (kOrdered with several producers). Outputs that finish
  // ahead of a slow item wait in `pending_`; whoever holds `flushing_` pushes them in order.
  SeqWindow* window_;
  std::mutex mutex_;
  std::map<std::uint64_t, std::vector<Payload>> pending_;
  std::uint64_t next_in_ = 0;
  bool flushing_ = false;
  std::vector<std::vector<Payload>> finals_;  // per worker, emitted after everything else
};

}  // namespace headrace::runtime

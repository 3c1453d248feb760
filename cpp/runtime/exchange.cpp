#include "runtime/exchange.h"

#include <chrono>
#include <stdexcept>

namespace headrace::runtime {

Exchange::Exchange(std::vector<ItemQueue*> targets, Mode mode, std::uint32_t producers,
                   std::uint32_t stream, StepStats* stats, SeqWindow* window)
    : targets_(std::move(targets)),
      mode_(mode),
      streams_(targets_.size(), stream),
      overflow_(targets_.size(), false),
      reorder_(mode == Mode::kOrdered && producers > 1),
      stats_(stats),
      producers_left_(producers),
      take_turns_(producers > 1 && (mode == Mode::kUnordered || mode == Mode::kRouted)),
      window_(window),
      finals_(producers) {
  if (targets_.empty()) throw std::invalid_argument("an exchange needs at least one target queue");
  if (producers == 0) throw std::invalid_argument("an exchange needs at least one producer");
  if (mode_ == Mode::kRouted) {
    next_out_per_target_ = std::make_unique<std::atomic<std::uint64_t>[]>(targets_.size());
  }
}

void Exchange::set_target_streams(std::vector<std::uint32_t> streams) {
  if (streams.size() != targets_.size()) throw std::invalid_argument("an exchange needs one stream id per target");
  streams_ = std::move(streams);
}

void Exchange::set_overflow_targets(std::vector<bool> overflow) {
  if (overflow.size() != targets_.size()) throw std::invalid_argument("an exchange needs one overflow flag per target");
  for (std::size_t t = 0; t < overflow.size(); ++t) {
    if (overflow[t] && !targets_[t]->allows_overflow()) throw std::invalid_argument("an overflow target's queue must allow overflow");
  }
  overflow_ = std::move(overflow);
}

bool Exchange::push_one(std::size_t target, Item&& item, bool wake) {
  ItemQueue* queue = targets_[target];
  if (overflow_[target]) return queue->push_overflow(std::move(item)) || !queue->cancelled();
  if (queue->try_push(item, wake)) return true;
  // Full: its consumers must be awake to make room (what was pushed without waking them too).
  if (!wake) queue->wake_consumers();
  auto start = std::chrono::steady_clock::now();
  bool ok = queue->push(std::move(item));
  if (stats_) stats_->add_wait(std::chrono::steady_clock::now() - start);
  // A queue closed while its producers still run was ended by a stop: drop, go on.
  return ok || !queue->cancelled();
}

bool Exchange::push_group(std::vector<Payload>& outputs, bool keep_seq, std::uint64_t in_seq, bool wake) {
  // Numbers taken by one producer and pushed while another producer's later numbers overtake
  // them would reach an ordered consumer out of order (see the header).
  std::unique_lock turn(push_turn_, std::defer_lock);
  if (take_turns_ && !outputs.empty() && !turn.try_lock()) {
    auto start = std::chrono::steady_clock::now();
    turn.lock();
    if (stats_) stats_->add_wait(std::chrono::steady_clock::now() - start);
  }
  bool ok = true;
  if (mode_ == Mode::kRouted) {
    for (auto& payload : outputs) {
      const std::uint32_t target = payload.route();
      if (target >= targets_.size()) throw std::out_of_range("an item was routed to a target that does not exist");
      const std::uint64_t seq = next_out_per_target_[target].fetch_add(1, std::memory_order_relaxed);
      if (ok) ok = push_one(target, Item{seq, streams_[target], std::move(payload)}, wake);
      if (ok && stats_) stats_->items_out.fetch_add(1, std::memory_order_relaxed);
    }
    outputs.clear();
    return ok;
  }
  for (auto& payload : outputs) {
    const std::uint64_t seq = keep_seq ? in_seq : next_out_.fetch_add(1, std::memory_order_relaxed);
    // Every target but the last gets an alias: the producer took one reference per target.
    for (std::size_t t = 0; t < targets_.size(); ++t) {
      Item item{seq, streams_[t],
                t + 1 < targets_.size() ? payload.alias_owned_reference() : std::move(payload)};
      if (ok) ok = push_one(t, std::move(item), wake);
    }
    if (ok && stats_) stats_->items_out.fetch_add(1, std::memory_order_relaxed);
  }
  outputs.clear();
  return ok;
}

bool Exchange::reorder_and_push(std::uint64_t in_seq, std::vector<Payload>&& outputs) {
  // Too far ahead of the oldest unfinished input: wait for its worker, which never waits
  // here itself (its group is the next one due).
  if (window_ != nullptr && !window_->wait_for_room(in_seq, stats_)) return false;
  std::unique_lock lock(mutex_);
  pending_.emplace(in_seq, std::move(outputs));
  if (flushing_) return true;  // the thread that is flushing will push it in turn
  flushing_ = true;
  bool ok = true;
  for (;;) {
    auto it = pending_.find(next_in_);
    if (it == pending_.end()) break;
    std::vector<Payload> group = std::move(it->second);
    pending_.erase(it);
    const std::uint64_t done = ++next_in_;
    lock.unlock();
    if (window_ != nullptr) window_->advance(done);
    ok = push_group(group, false, 0) && ok;
    lock.lock();
  }
  flushing_ = false;
  return ok;
}

bool Exchange::emit(std::uint64_t in_seq, std::vector<Payload>&& outputs) {
  switch (mode_) {
    case Mode::kKeepSeq:
      // The join downstream holds what branches deliver ahead of the slowest one.
      if (window_ != nullptr && !window_->wait_for_room(in_seq, stats_)) return false;
      return push_group(outputs, true, in_seq);
    case Mode::kOrdered:
      if (reorder_) return reorder_and_push(in_seq, std::move(outputs));
      [[fallthrough]];  // one producer: its groups already come in order
    case Mode::kUnordered:
    case Mode::kRouted:
      return push_group(outputs, false, 0);
  }
  return false;
}

bool Exchange::emit_each(std::uint64_t first_seq, std::vector<Payload>&& items) {
  // Several producers in order, or one input's outputs kept under its number: item by item.
  if (reorder_ || mode_ == Mode::kKeepSeq) return Emitter::emit_each(first_seq, std::move(items));
  bool ok = true;
  for (auto& item : items) {
    std::vector<Payload> group;
    group.push_back(std::move(item));
    if (ok) ok = push_group(group, false, 0, false);
  }
  for (ItemQueue* queue : targets_) queue->wake_consumers();
  return ok;
}

bool Exchange::emit_final(std::uint32_t worker, std::vector<Payload>&& outputs) {
  if (reorder_) {
    std::lock_guard lock(mutex_);
    for (auto& p : outputs) finals_.at(worker).push_back(std::move(p));
    return true;
  }
  return push_group(outputs, false, 0);
}

void Exchange::producer_done() {
  if (producers_left_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  bool ok = true;
  for (auto& group : finals_) {
    if (ok) {
      ok = push_group(group, false, 0);
    } else {
      group.clear();
    }
  }
  for (auto* queue : targets_) queue->producer_done();
}

}  // namespace headrace::runtime

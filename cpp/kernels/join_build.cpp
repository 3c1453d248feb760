#include "kernels/join_build.h"

#include <stdexcept>

#include "kernels/dictionary.h"
#include "kernels/join_gather.h"
#include "kernels/join_probe.h"

namespace headrace::kernels {

using arrow::ArrayData;
using arrow::ArrowError;

JoinBuildLocal::JoinBuildLocal(std::shared_ptr<const JoinPlan> plan)
    : plan_(std::move(plan)), partitions_(kRadixPartitions) {}

void JoinBuildLocal::sink(std::span<const std::shared_ptr<const ArrayData>> columns, int64_t length) {
  const JoinPlan& plan = *plan_;
  check_join_batch(plan, true, columns, length);
  if (length == 0) return;
  if (batches_.size() >= 0xffffffffu) throw ArrowError("join: more than 4 billion build batches");
  JoinBuildBatch batch;
  batch.columns.assign(columns.begin(), columns.end());
  for (int c : plan.build_output()) batch.columns[c] = decode_dictionary(batch.columns[c], plan.build_fields()[c]);
  prepare_join_keys(plan, true, columns, length, batch.keys);

  const auto b = static_cast<uint64_t>(batches_.size());
  const auto n = static_cast<std::size_t>(length);
  const uint64_t* hashes = batch.keys.hashes.data();
  const bool null_chain = plan.nulls_equal() && plan.word_key() && !batch.keys.keys[0].nulls.empty();
  const uint64_t* words = plan.word_key() ? batch.keys.keys[0].words.data() : nullptr;
  if (batch.keys.never.empty() && !null_chain) {
    for (std::size_t i = 0; i < n; ++i) {
      Partition& part = partitions_[radix_partition(hashes[i])];
      part.entries.push_back(JoinEntry{hashes[i], make_ref(b, i)});
      if (words) part.words.push_back(words[i]);
    }
  } else {
    const bool never = !batch.keys.never.empty();
    for (std::size_t i = 0; i < n; ++i) {
      Partition& part = partitions_[radix_partition(hashes[i])];
      if (never && batch.keys.never[i]) {
        part.never.push_back(make_ref(b, i));
      } else if (null_chain && batch.keys.keys[0].is_null(i)) {
        part.nulls.push_back(make_ref(b, i));
      } else {
        part.entries.push_back(JoinEntry{hashes[i], make_ref(b, i)});
        if (words) part.words.push_back(words[i]);
      }
    }
  }
  batch.keys.hashes = {};
  batch.keys.never = {};
  batches_.push_back(std::move(batch));
  rows_ += length;
}

JoinHashTable::JoinHashTable(std::shared_ptr<const JoinPlan> plan)
    : plan_(std::move(plan)),
      partitions_(kRadixPartitions),
      columns_(kRadixPartitions),
      once_(std::make_unique<std::once_flag[]>(kRadixPartitions)) {}

void JoinHashTable::combine(std::unique_ptr<JoinBuildLocal> local) {
  if (local->plan_ != plan_) throw std::invalid_argument("join: combining a local state of another plan");
  std::lock_guard<std::mutex> lock(combine_mutex_);
  if (batches_.size() + local->batches_.size() >= 0xffffffffu) {
    throw ArrowError("join: more than 4 billion build batches");
  }
  local->batch_base_ = static_cast<uint32_t>(batches_.size());
  for (const JoinBuildBatch& batch : local->batches_) batches_.push_back(&batch);
  rows_ += local->rows_;
  locals_.push_back(std::move(local));
}

std::span<const KeyValues> JoinHashTable::keys_of(const void* table, uint64_t ref) {
  return static_cast<const JoinHashTable*>(table)->batches_[ref_batch(ref)]->keys.keys;
}

void JoinHashTable::finalize_partition(uint32_t p) {
  if (p >= kRadixPartitions) throw std::out_of_range("join: partition " + std::to_string(p) + " out of range");
  std::call_once(once_[p], [&] {
    std::size_t entries = 0, nulls = 0, never = 0;
    for (const auto& local : locals_) {
      const JoinBuildLocal::Partition& part = local->partitions_[p];
      entries += part.entries.size();
      nulls += part.nulls.size();
      never += part.never.size();
    }
    std::vector<JoinEntry> all_entries;
    std::vector<uint64_t> all_words, all_nulls, all_never;
    all_entries.reserve(entries);
    all_words.reserve(plan_->word_key() ? entries : 0);
    all_nulls.reserve(nulls);
    all_never.reserve(never);
    for (const auto& local : locals_) {
      JoinBuildLocal::Partition& part = local->partitions_[p];
      const uint64_t base = make_ref(local->batch_base_, 0);
      for (const JoinEntry& e : part.entries) all_entries.push_back(JoinEntry{e.hash, e.ref + base});
      all_words.insert(all_words.end(), part.words.begin(), part.words.end());
      for (uint64_t ref : part.nulls) all_nulls.push_back(ref + base);
      for (uint64_t ref : part.never) all_never.push_back(ref + base);
      part = JoinBuildLocal::Partition{};  // only this partition's lists: no other thread touches them
    }
    const std::vector<uint64_t> rows = partitions_[p].build(all_entries, all_words, all_nulls, all_never,
                                                            plan_->word_key(), plan_->key_layouts(), &keys_of, this);
    for (int c : plan_->build_output()) {
      std::vector<const ArrayData*> inputs;
      inputs.reserve(batches_.size());
      for (const JoinBuildBatch* batch : batches_) inputs.push_back(batch->columns[c].get());
      columns_[p].push_back(gather_column(inputs, decoded_field(plan_->build_fields()[c]), rows));
    }
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == kRadixPartitions) {
      if (plan_->word_key()) dense_ = JoinDenseIndex::build(partitions_);
      // Every partition has its copy: the sunk columns are not read again, nor the keys
      // of a single word key (its slots hold the keys themselves).
      const bool word_key = plan_->word_key();
      for (const auto& local : locals_) {
        for (JoinBuildBatch& batch : local->batches_) {
          batch.columns = {};
          if (word_key) batch.keys = {};
        }
      }
      ready_.store(true, std::memory_order_release);
    }
  });
}

void JoinHashTable::finalize() {
  for (uint32_t p = 0; p < kRadixPartitions; ++p) finalize_partition(p);
}

bool JoinHashTable::finalized() const noexcept { return ready_.load(std::memory_order_acquire); }

JoinBuildScanner JoinHashTable::unmatched_build(uint32_t p, int64_t max_rows) const {
  return JoinBuildScanner(shared_from_this(), p, false, max_rows);
}

JoinBuildScanner JoinHashTable::matched_build(uint32_t p, int64_t max_rows) const {
  return JoinBuildScanner(shared_from_this(), p, true, max_rows);
}

}  // namespace headrace::kernels

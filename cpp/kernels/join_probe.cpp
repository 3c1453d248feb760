#include "kernels/join_probe.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/dictionary.h"
#include "kernels/join_gather.h"

namespace headrace::kernels {

using arrow::ArrayData;
using arrow::Field;

namespace {

// Per build output column, its copy in each partition: a build reference is
// (partition, position).
std::vector<std::vector<const ArrayData*>> build_column_batches(const JoinHashTable& table) {
  std::vector<std::vector<const ArrayData*>> out(table.plan().build_output().size());
  for (uint32_t p = 0; p < table.partitions(); ++p) {
    const auto& columns = table.build_columns(p);
    for (std::size_t c = 0; c < out.size(); ++c) out[c].push_back(columns[c].get());
  }
  return out;
}

std::vector<Field> decoded_fields(const std::vector<Field>& fields, const std::vector<int>& columns) {
  std::vector<Field> out;
  for (int c : columns) out.push_back(decoded_field(fields[c]));
  return out;
}

// Tables with fewer rows fit in cache: probing them skips the prefetches.
constexpr int64_t kPrefetchRows = int64_t{1} << 16;

}  // namespace

JoinProber::JoinProber(std::shared_ptr<const JoinHashTable> table, int64_t max_rows)
    : table_(std::move(table)), plan_(table_->plan()), max_rows_(max_rows) {
  if (!table_->finalized()) throw std::logic_error("join: probing a table whose partitions are not all finalized");
  if (max_rows_ < 1) throw std::invalid_argument("join: max_rows must be at least 1");
  probe_inputs_ = decoded_fields(plan_.probe_fields(), plan_.probe_output());
  for (int c : plan_.build_output()) build_inputs_.push_back(gathered_field(plan_.build_fields()[c]));
  build_columns_ = build_column_batches(*table_);
}

template <JoinProber::KeyKind kKind, bool kPrefetch>
void JoinProber::find_chains() {
  constexpr bool kWord = kKind == KeyKind::kWord || kKind == KeyKind::kDense;
  const JoinDenseIndex* dense = table_->dense();
  constexpr std::size_t kAhead = 16;
  const std::size_t n = length_;
  const uint64_t* hashes = keys_.hashes.data();
  const uint8_t* never = keys_.never.empty() ? nullptr : keys_.never.data();
  const KeyValues& first = keys_.keys[0];
  const uint64_t* words = first.words.data();
  const bool null_chain = kWord && plan_.nulls_equal() && !first.nulls.empty();
  const bool track = plan_.tracks_build();
  const std::span<const KeyValues> keys(keys_.keys);
  // Keys compared with the stored key load it ahead too: all of them for several columns,
  // only the strings longer than their inline part for one string key.
  auto long_key = [&](std::size_t row) {
    if constexpr (kKind == KeyKind::kString) {
      return first.strings[row].size() > InlineString::kInlineBytes;
    } else {
      return !kWord;
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (kPrefetch) {
      if constexpr (kKind == KeyKind::kDense) {
        if (i + kAhead < n) dense->prefetch(words[i + kAhead]);
      } else if (i + kAhead < n) {
        const uint64_t h = hashes[i + kAhead];
        table_->partition(radix_partition(h)).prefetch(h);
      }
      if constexpr (!kWord) {
        if (i + kAhead / 2 < n && long_key(i + kAhead / 2)) {
          const uint64_t h = hashes[i + kAhead / 2];
          table_->partition(radix_partition(h)).prefetch_key(h);
        }
        if (i + kAhead / 4 < n && long_key(i + kAhead / 4)) {
          const uint64_t h = hashes[i + kAhead / 4];
          table_->partition(radix_partition(h)).prefetch_key_bytes(h);
        }
      }
    }
    counts_[i] = 0;
    if (never != nullptr && never[i] != 0) continue;
    if constexpr (kKind == KeyKind::kDense) {
      if (!(null_chain && first.nulls[i] != 0)) {
        const uint32_t entry = dense->find(words[i]);
        if (entry == JoinDenseIndex::kAbsent) continue;
        const uint32_t p = JoinDenseIndex::partition_of(entry), position = JoinDenseIndex::position_of(entry);
        chains_[i] = make_ref(p, position);
        counts_[i] = 1;
        if (track) table_->partition(p).mark(position);
        continue;
      }
    }
    const uint64_t hash = hashes[i];
    const uint32_t p = radix_partition(hash);
    const JoinPartition& part = table_->partition(p);
    const JoinSlot* slot;
    if constexpr (kWord) {
      slot = null_chain && first.nulls[i] != 0 ? part.null_chain() : part.find_word(hash, words[i]);
    } else if constexpr (kKind == KeyKind::kString) {
      slot = part.find_string(hash, InlineString::of(first, i), first, i);
    } else {
      slot = part.find(hash, keys, i);
    }
    if (slot == nullptr) continue;
    chains_[i] = make_ref(p, slot->start);
    counts_[i] = slot->count;
    if (track) part.mark(slot->start);
  }
}

void JoinProber::probe(std::span<const std::shared_ptr<const ArrayData>> columns, int64_t length) {
  check_join_batch(plan_, false, columns, length);
  length_ = static_cast<std::size_t>(length);
  row_ = 0;
  offset_ = 0;
  columns_.clear();
  for (int c : plan_.probe_output()) columns_.push_back(decode_dictionary(columns[c], plan_.probe_fields()[c]));
  prepare_join_keys(plan_, false, columns, length, keys_);
  chains_.resize(length_);
  counts_.resize(length_);
  const bool prefetch = table_->build_rows() >= kPrefetchRows;
  const std::vector<KeyLayout>& layouts = plan_.key_layouts();
  if (table_->dense() != nullptr) {
    prefetch ? find_chains<KeyKind::kDense, true>() : find_chains<KeyKind::kDense, false>();
  } else if (plan_.word_key()) {
    prefetch ? find_chains<KeyKind::kWord, true>() : find_chains<KeyKind::kWord, false>();
  } else if (layouts.size() == 1 && layouts[0] == KeyLayout::kString) {
    prefetch ? find_chains<KeyKind::kString, true>() : find_chains<KeyKind::kString, false>();
  } else {
    prefetch ? find_chains<KeyKind::kOther, true>() : find_chains<KeyKind::kOther, false>();
  }
}

bool JoinProber::next(JoinBatch& out) {
  const auto limit = static_cast<std::size_t>(max_rows_);
  const JoinEmit emit = plan_.emit();
  if (emit == JoinEmit::kBuildSemi || emit == JoinEmit::kBuildAnti) {
    row_ = length_;
    return false;
  }
  // The scratch only grows: up to 64K rows at first, doubled (up to max_rows) when a
  // batch needs more.
  auto reserve = [&](std::size_t rows) {
    if (probe_refs_.size() < rows) {
      probe_refs_.resize(rows);
      build_refs_.resize(rows);
    }
  };
  reserve(std::min<std::size_t>(limit, std::size_t{1} << 16));
  std::size_t produced = 0;
  if (emit == JoinEmit::kProbeSemi || emit == JoinEmit::kProbeAnti) {
    const bool want = emit == JoinEmit::kProbeSemi;
    while (row_ < length_ && produced < limit) {
      if (produced == probe_refs_.size()) reserve(std::min(limit, 2 * produced));
      probe_refs_[produced] = row_;
      produced += (counts_[row_] != 0) == want;
      ++row_;
    }
  } else {
    const bool unmatched = plan_.emits_probe_unmatched();
    while (row_ < length_ && produced < limit) {
      if (produced == probe_refs_.size()) reserve(std::min(limit, 2 * produced));
      uint64_t* probe_out = probe_refs_.data();
      uint64_t* build_out = build_refs_.data();
      const std::size_t room = probe_refs_.size();
      // Rows with at most one match, the common case, without the chain bookkeeping.
      while (row_ < length_ && produced < room && offset_ == 0 && counts_[row_] <= 1) {
        if (counts_[row_] == 1) {
          probe_out[produced] = row_;
          build_out[produced++] = chains_[row_];
        } else if (unmatched) {
          probe_out[produced] = row_;
          build_out[produced++] = kNullRef;
        }
        ++row_;
      }
      if (row_ >= length_ || produced >= room) continue;
      const uint32_t count = counts_[row_];
      if (count <= 1 && offset_ == 0) continue;
      const auto take = static_cast<uint32_t>(std::min<std::size_t>(count - offset_, room - produced));
      const uint64_t chain = chains_[row_] + offset_;
      std::fill(probe_out + produced, probe_out + produced + take, row_);
      for (uint32_t k = 0; k < take; ++k) build_out[produced + k] = chain + k;
      produced += take;
      offset_ += take;
      if (offset_ == count) {
        offset_ = 0;
        ++row_;
      }
    }
  }
  if (produced == 0) return false;
  gather(out, produced);
  return true;
}

void JoinProber::gather(JoinBatch& out, std::size_t rows) {
  out.length = static_cast<int64_t>(rows);
  out.columns.clear();
  const std::span<const uint64_t> probe_refs(probe_refs_.data(), rows), build_refs(build_refs_.data(), rows);
  // Every row of the probe batch once, in order: its columns are the output's as they are,
  // not copies. The common case after a scan's key filter dropped the rows that find no
  // match in a table of unique keys.
  bool whole = rows == length_;
  for (std::size_t i = 0; whole && i < rows; ++i) whole = probe_refs_[i] == i;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const ArrayData* batch = columns_[c].get();
    if (whole && gathered_field(probe_inputs_[c]).type.id == probe_inputs_[c].type.id) {
      out.columns.push_back(columns_[c]);
    } else {
      out.columns.push_back(gather_column({&batch, 1}, probe_inputs_[c], probe_refs));
    }
  }
  if (plan_.emits_pairs()) {
    for (std::size_t c = 0; c < build_columns_.size(); ++c) {
      out.columns.push_back(gather_column(build_columns_[c], build_inputs_[c], build_refs));
    }
  }
}

JoinBuildScanner::JoinBuildScanner(std::shared_ptr<const JoinHashTable> table, uint32_t p, bool matched,
                                   int64_t max_rows)
    : table_(std::move(table)), max_rows_(max_rows) {
  if (!table_->finalized()) throw std::logic_error("join: scanning a table whose partitions are not all finalized");
  if (p >= table_->partitions()) throw std::out_of_range("join: partition " + std::to_string(p) + " out of range");
  if (max_rows_ < 1) throw std::invalid_argument("join: max_rows must be at least 1");
  if (!table_->plan().tracks_build()) {
    throw std::logic_error("join: matched/unmatched build rows need a build_outer, full_outer, build_semi or build_anti plan");
  }
  build_columns_ = build_column_batches(*table_);
  for (uint32_t position : table_->partition(p).collect(matched)) refs_.push_back(make_ref(p, position));
}

bool JoinBuildScanner::next(JoinBatch& out) {
  if (position_ >= refs_.size()) return false;
  const std::size_t n = std::min<std::size_t>(refs_.size() - position_, static_cast<std::size_t>(max_rows_));
  const std::span<const uint64_t> refs(refs_.data() + position_, n);
  position_ += n;
  const JoinPlan& plan = table_->plan();
  out.length = static_cast<int64_t>(n);
  out.columns.clear();
  if (!plan.probe_output().empty()) {
    const std::vector<uint64_t> nulls(n, kNullRef);
    for (int c : plan.probe_output()) {
      out.columns.push_back(gather_column({}, decoded_field(plan.probe_fields()[c]), nulls));
    }
  }
  for (std::size_t c = 0; c < build_columns_.size(); ++c) {
    out.columns.push_back(gather_column(build_columns_[c], gathered_field(plan.build_fields()[plan.build_output()[c]]), refs));
  }
  return true;
}

}  // namespace headrace::kernels

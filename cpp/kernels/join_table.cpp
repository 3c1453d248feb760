#include "kernels/join_table.h"

#include <limits>
#include <stdexcept>
#include <string>

#include "arrow/data_type.h"
#include "kernels/join_gather.h"

namespace headrace::kernels {

namespace {

// Stores row `row` of `from` at position `pos` of `to` (sized beforehand).
void set_key(const KeyValues& from, std::size_t row, KeyValues& to, std::size_t pos) {
  to.nulls[pos] = from.is_null(row) ? 1 : 0;
  switch (from.layout) {
    case KeyLayout::kWord: to.words[pos] = from.words[row]; break;
    case KeyLayout::kWide:
      to.words[2 * pos] = from.words[2 * row];
      to.words[2 * pos + 1] = from.words[2 * row + 1];
      break;
    case KeyLayout::kString: to.strings[pos] = from.strings[row]; break;
  }
}

}  // namespace

std::vector<uint64_t> JoinPartition::build(std::span<const JoinEntry> entries, std::span<const uint64_t> words,
                                           std::span<const uint64_t> null_refs, std::span<const uint64_t> never,
                                           bool word_key, std::span<const KeyLayout> layouts, KeysOf keys_of,
                                           const void* context) {
  const std::size_t n = entries.size();
  const std::size_t total = n + null_refs.size() + never.size();
  if (total >= std::numeric_limits<uint32_t>::max()) {
    throw arrow::ArrowError("join: more than 4 billion build rows in one partition");
  }
  std::size_t capacity = 2;
  while (capacity < 2 * n) capacity *= 2;
  slots_.assign(capacity, JoinSlot{0, 0, 0});
  mask_ = capacity - 1;
  std::vector<uint32_t> slot_of(n);
  // Every chain one row (a key unique on the build side, the common case): then position e
  // is entry e, so the build columns are gathered in their batches' order, not the slots'.
  bool unique = true;

  if (word_key) {
    if (words.size() != n) throw std::invalid_argument("join: one key word per entry expected");
    for (std::size_t e = 0; e < n; ++e) {
      const uint64_t word = words[e];
      for (uint64_t i = slot_bits(entries[e].hash) & mask_;; i = (i + 1) & mask_) {
        JoinSlot& slot = slots_[i];
        if (slot.count == 0) {
          slot = JoinSlot{word, static_cast<uint32_t>(e), 1};
        } else if (slot.word == word) {
          ++slot.count;
          unique = false;
        } else {
          continue;
        }
        slot_of[e] = static_cast<uint32_t>(i);
        break;
      }
    }
  } else {
    // `start` holds the chain's first entry until the chains are laid out.
    for (std::size_t e = 0; e < n; ++e) {
      const uint64_t hash = entries[e].hash, ref = entries[e].ref;
      const std::span<const KeyValues> keys = keys_of(context, ref);
      for (uint64_t i = slot_bits(hash) & mask_;; i = (i + 1) & mask_) {
        JoinSlot& slot = slots_[i];
        if (slot.count == 0) {
          slot = JoinSlot{hash, static_cast<uint32_t>(e), 1};
        } else if (slot.word == hash && keys_equal(keys_of(context, entries[slot.start].ref),
                                                   ref_row(entries[slot.start].ref), keys, ref_row(ref))) {
          ++slot.count;
          unique = false;
        } else {
          continue;
        }
        slot_of[e] = static_cast<uint32_t>(i);
        break;
      }
    }
    chain_keys_.clear();
    for (KeyLayout layout : layouts) {
      KeyValues k;
      k.layout = layout;
      k.nulls.assign(n, 0);
      if (layout == KeyLayout::kString) {
        k.strings.resize(n);
      } else {
        k.words.resize(layout == KeyLayout::kWide ? 2 * n : n);
      }
      chain_keys_.push_back(std::move(k));
    }
  }

  // `start` holds the chain's first entry. Unique keys keep it as the position; otherwise the
  // chains are laid out in slot order: `start` first holds the chain's end, then counts down
  // while the rows are placed (backwards, so that a chain keeps the build order).
  const bool string_key = !word_key && layouts.size() == 1 && layouts[0] == KeyLayout::kString;
  std::vector<InlineString> inline_keys(string_key ? capacity : 0);
  uint32_t running = 0;
  // The chains' keys are read in slot order, from rows all over the build side: their
  // string views are loaded 16 slots ahead, a string's bytes 8 ahead.
  auto prefetch_key = [&](std::size_t i, bool bytes) {
    if (i >= capacity || slots_[i].count == 0) return;
    const uint64_t ref = entries[slots_[i].start].ref;
    const KeyValues& key = keys_of(context, ref)[0];
    if (key.layout != KeyLayout::kString) return;
    if (bytes) {
      prefetch_address(key.strings[ref_row(ref)].data());
    } else {
      prefetch_address(&key.strings[ref_row(ref)]);
    }
  };
  for (std::size_t i = 0; i < capacity; ++i) {
    JoinSlot& slot = slots_[i];
    if (!word_key) {
      prefetch_key(i + 16, false);
      prefetch_key(i + 8, true);
    }
    if (slot.count == 0) continue;
    const uint32_t position = unique ? slot.start : running;
    if (!word_key) {
      const uint64_t ref = entries[slot.start].ref;
      const std::span<const KeyValues> keys = keys_of(context, ref);
      for (std::size_t c = 0; c < keys.size(); ++c) set_key(keys[c], ref_row(ref), chain_keys_[c], position);
      if (string_key) inline_keys[i] = InlineString::of(keys[0], ref_row(ref));
    }
    if (!unique) {
      running += slot.count;
      slot.start = running;
    }
  }
  std::vector<uint64_t> rows(total);
  if (unique) {
    for (std::size_t e = 0; e < n; ++e) rows[e] = entries[e].ref;
  } else {
    for (std::size_t e = n; e-- > 0;) rows[--slots_[slot_of[e]].start] = entries[e].ref;
  }
  string_slots_.clear();
  if (string_key) {
    string_slots_.resize(capacity);
    for (std::size_t i = 0; i < capacity; ++i) string_slots_[i] = StringSlot{slots_[i], inline_keys[i]};
    slots_ = {};
  }
  for (std::size_t i = 0; i < null_refs.size(); ++i) rows[n + i] = null_refs[i];
  null_chain_ = JoinSlot{0, static_cast<uint32_t>(n), static_cast<uint32_t>(null_refs.size())};
  never_begin_ = n + null_refs.size();
  for (std::size_t i = 0; i < never.size(); ++i) rows[never_begin_ + i] = never[i];
  size_ = total;
  matched_ = std::make_unique<std::atomic<uint8_t>[]>(total + 1);
  return rows;
}

std::vector<uint32_t> JoinPartition::collect(bool matched) const {
  std::vector<uint32_t> out;
  auto positions = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) out.push_back(static_cast<uint32_t>(i));
  };
  auto chain = [&](const JoinSlot& slot) {
    if (slot.count == 0 || (matched_[slot.start].load(std::memory_order_relaxed) != 0) != matched) return;
    positions(slot.start, slot.start + slot.count);
  };
  for (std::size_t i = 0; i <= mask_; ++i) chain(slot_at(i));
  chain(null_chain_);
  if (!matched) positions(never_begin_, size_);
  return out;
}

}  // namespace headrace::kernels

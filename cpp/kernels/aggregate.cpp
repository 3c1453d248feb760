#include "kernels/aggregate.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "kernels/dictionary.h"
#include "kernels/group_codes.h"
#include "kernels/hash.h"

namespace headrace::kernels {

using arrow::ArrayData;
using arrow::ArrowError;
using arrow::Field;
using arrow::TypeId;

namespace {

// Rows per chunk of a batch: the chunk's hashes, group ids and keys, and the group rows it
// touches (a few cache lines each), stay in L2 between the passes over it.
constexpr int64_t kChunkRows = 4096;

void check_column(int column, std::size_t columns, const char* what) {
  if (column < 0 || static_cast<std::size_t>(column) >= columns) {
    throw std::out_of_range(std::string("aggregation: ") + what + " column index " + std::to_string(column) +
                            " out of range (" + std::to_string(columns) + " input columns)");
  }
}

// Rows [start, start + length) of `data`.
ArrayData slice(const ArrayData& data, int64_t start, int64_t length) {
  ArrayData out;
  out.length = length;
  out.offset = data.offset + start;
  out.null_count = data.null_count == 0 ? 0 : -1;
  out.buffers = data.buffers;
  out.dictionary = data.dictionary;
  return out;
}

// Checks derived column `column` (its field not in `input` yet): a decimal128 program over
// decimal128 columns of `input` (dictionary-encoded ones are not read) and constants.
void check_derived(const DerivedColumn& derived, const std::vector<Field>& input) {
  const std::string where = "aggregation: derived column '" + derived.field.name + "'";
  if (derived.field.type.id != TypeId::kDecimal128 || derived.field.dictionary) {
    throw ArrowError(where + " must be decimal128, got " + derived.field.type.to_string());
  }
  if (derived.columns.size() != derived.constants.size()) {
    throw std::invalid_argument(where + ": one column or constant per operand");
  }
  for (int column : derived.columns) {
    if (column == -1) continue;
    check_column(column, input.size(), "derived operand");
    const Field& operand = input[static_cast<std::size_t>(column)];
    if (operand.type.id != TypeId::kDecimal128 || operand.dictionary) {
      throw ArrowError(where + " reads column '" + operand.name + "' of type " + operand.type.to_string() +
                       ", expected decimal128");
    }
  }
  check_decimal_program(derived.steps, derived.columns.size());
}

}  // namespace

AggregatePlan::AggregatePlan(std::vector<Field> input, std::vector<int> keys, std::vector<AggregateSpec> aggregates,
                             std::vector<DerivedColumn> derived)
    : input_(std::move(input)), derived_(std::move(derived)), keys_(std::move(keys)) {
  const std::size_t given = input_.size();
  for (const DerivedColumn& column : derived_) {
    check_derived(column, input_);
    input_.push_back(column.field);
  }
  for (const Field& field : input_) decoded_.push_back(decoded_field(field));
  for (int key : keys_) {
    check_column(key, given, "key");
    check_hashable(input_[key], input_[key].name);
    Field out = decoded_[key];
    if (out.type.id == TypeId::kUtf8View) out.type = arrow::DataType(TypeId::kLargeUtf8);
    out.nullable = true;
    output_.push_back(std::move(out));
  }
  for (const AggregateSpec& spec : aggregates) {
    const std::string column = spec.column < 0 ? "*" : (static_cast<std::size_t>(spec.column) < input_.size()
                                                            ? input_[spec.column].name
                                                            : std::to_string(spec.column));
    AggregateKind kind = parse_aggregate(spec.function, column);
    if (kind == AggregateKind::kCount && spec.column < 0) kind = AggregateKind::kCountAll;
    if (spec.column >= 0) check_column(spec.column, input_.size(), "aggregate");
    const Field* in = spec.column < 0 ? nullptr : &decoded_[spec.column];
    output_.push_back(aggregate_output_field(kind, in, spec.name));
    aggregates_.push_back(Aggregate{kind, kind == AggregateKind::kCountAll ? -1 : spec.column});
  }
  // Summarizable aggregates of one column share a unit; every other aggregate has its own.
  for (std::size_t a = 0; a < aggregates_.size(); ++a) {
    const Aggregate& aggregate = aggregates_[a];
    const bool fusable = aggregate.column >= 0 && summarizable(aggregate.kind, decoded_[aggregate.column]);
    auto unit = std::find_if(units_.begin(), units_.end(), [&](const Unit& u) {
      return fusable && u.column == aggregate.column &&
             summarizable(aggregates_[u.aggregates.front()].kind, decoded_[aggregate.column]);
    });
    if (unit == units_.end()) {
      units_.push_back(Unit{aggregate.column, {a}});
    } else {
      unit->aggregates.push_back(a);
    }
  }
}

GroupTable AggregatePlan::make_table(uint32_t partitions) const {
  std::vector<KeyLayout> layouts;
  for (int key : keys_) layouts.push_back(key_layout(decoded_[key].type));
  return GroupTable(std::move(layouts), partitions);
}

GroupStates AggregatePlan::make_states() const {
  std::vector<std::unique_ptr<Accumulator>> accumulators;
  for (const Unit& unit : units_) {
    const Field* in = unit.column < 0 ? nullptr : &decoded_[unit.column];
    if (unit.aggregates.size() == 1) {
      const std::size_t a = unit.aggregates.front();
      accumulators.push_back(make_accumulator(aggregates_[a].kind, in, output_[keys_.size() + a]));
    } else {
      std::vector<AggregateKind> kinds;
      for (std::size_t a : unit.aggregates) kinds.push_back(aggregates_[a].kind);
      accumulators.push_back(make_summary(std::move(kinds), *in));
    }
  }
  return GroupStates(std::move(accumulators));
}

AggregateLocalState::AggregateLocalState(std::shared_ptr<const AggregatePlan> plan)
    : plan_(std::move(plan)), table_(plan_->make_table(plan_->partitions())),
      states_(plan_->make_states()), keys_(plan_->keys_.size()) {
  states_.resize(table_.size());
}

int64_t AggregateLocalState::sink(std::span<const std::shared_ptr<const ArrayData>> columns, int64_t length,
                                  uint64_t ordinal_base) {
  const auto& fields = plan_->input_;
  const std::size_t given = plan_->given_columns();
  if (columns.size() != fields.size() && columns.size() != given) {
    throw ArrowError("aggregation: a batch of " + std::to_string(columns.size()) + " columns, expected " +
                     std::to_string(fields.size()) +
                     (given != fields.size() ? " (or " + std::to_string(given) + " without the derived ones)" : ""));
  }
  const bool derive_here = columns.size() != fields.size();
  std::vector<std::shared_ptr<const ArrayData>> decoded(fields.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    arrow::validate(*columns[c], fields[c], fields[c].name);
    if (columns[c]->length != length) {
      throw ArrowError("aggregation: column '" + fields[c].name + "' has " + std::to_string(columns[c]->length) +
                       " rows, expected " + std::to_string(length));
    }
  }
  // Only the columns read are decoded; keys are hashed before decoding (a dictionary is
  // hashed once per value), and not decoded at all when they group by their codes.
  for (const auto& aggregate : plan_->aggregates_) {
    const int c = aggregate.column;
    if (c >= 0 && static_cast<std::size_t>(c) < columns.size() && !decoded[c]) {
      decoded[c] = decode_dictionary(columns[c], fields[c]);
    }
  }
  if (derive_here) {  // the programs' operands (never dictionary-encoded, see check_derived)
    for (const DerivedColumn& derived : plan_->derived_) {
      for (int c : derived.columns) {
        if (c >= 0 && static_cast<std::size_t>(c) < given) decoded[c] = columns[c];
      }
    }
  }
  const bool by_codes = group_by_codes(columns, length);
  if (!by_codes) {
    for (int key : plan_->keys_) {
      if (!decoded[key]) decoded[key] = decode_dictionary(columns[key], fields[key]);
    }
  }
  std::vector<ArrayData> original_chunk(fields.size()), decoded_chunk(fields.size());
  for (int64_t start = 0; start < length; start += kChunkRows) {
    const int64_t rows = std::min(kChunkRows, length - start);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (!decoded[c]) continue;
      original_chunk[c] = slice(*columns[c], start, rows);
      decoded_chunk[c] = slice(*decoded[c], start, rows);
    }
    if (derive_here && !derive(decoded_chunk, rows)) return start;
    const uint64_t base = ordinal_base + static_cast<uint64_t>(start);
    if (by_codes) {
      update_states(decoded_chunk, groups_.data() + start, static_cast<std::size_t>(rows), base);
    } else {
      sink_chunk(original_chunk, decoded_chunk, static_cast<std::size_t>(rows), base);
    }
  }
  return length;
}

bool AggregateLocalState::derive(std::vector<ArrayData>& chunk, int64_t rows) {
  const auto& derived = plan_->derived_;
  const std::size_t given = plan_->given_columns();
  derived_values_.resize(derived.size());
  derived_validity_.resize(derived.size());
  std::vector<DecimalOperand> operands;
  for (std::size_t d = 0; d < derived.size(); ++d) {
    const DerivedColumn& column = derived[d];
    operands.clear();
    for (std::size_t k = 0; k < column.columns.size(); ++k) {
      const int c = column.columns[k];
      operands.push_back(c < 0 ? DecimalOperand{nullptr, column.constants[k]} : DecimalOperand{&chunk[c], 0});
    }
    const bool nulls = std::any_of(operands.begin(), operands.end(),
                                   [](const DecimalOperand& o) { return o.array != nullptr && o.array->null_count != 0; });
    auto& values = derived_values_[d];
    auto& validity = derived_validity_[d];
    values.resize(16 * static_cast<std::size_t>(kChunkRows));
    validity.assign(nulls ? static_cast<std::size_t>(kChunkRows) / 8 : 0, 0);
    if (!decimal_int64_program(column.steps, operands, rows, values.data(), nulls ? validity.data() : nullptr)) {
      return false;
    }
    int64_t valid = rows;
    if (nulls) {
      valid = 0;
      for (int64_t w = 0; w < (rows + 63) / 64; ++w) {  // bits past `rows` stay 0
        uint64_t word;
        std::memcpy(&word, validity.data() + 8 * w, 8);
        valid += std::popcount(word);
      }
    }
    ArrayData& out = chunk[given + d];
    out.length = rows;
    out.offset = 0;
    out.null_count = rows - valid;
    out.buffers = {out.null_count != 0 ? validity.data() : nullptr, values.data()};
  }
  return true;
}

bool AggregateLocalState::group_by_codes(std::span<const std::shared_ptr<const ArrayData>> columns, int64_t length) {
  const auto& plan = *plan_;
  std::vector<const ArrayData*> keys;
  std::vector<const Field*> fields;
  for (int key : plan.keys_) {
    keys.push_back(columns[key].get());
    fields.push_back(&plan.input_[key]);
  }
  // A code table longer than the batch would cost more to clear than the rows to look up.
  const uint64_t domain = dictionary_code_domain(keys, fields, std::max<uint64_t>(length, kChunkRows));
  if (domain == 0) return false;
  const auto n = static_cast<std::size_t>(length);
  codes_.resize(n);
  for (std::size_t c = 0; c < keys.size(); ++c) add_dictionary_codes(*keys[c], *fields[c], c == 0, codes_.data());
  // The first row of every code present: those rows find or insert their groups.
  constexpr uint32_t kUnseen = HashIndex::kNoId;
  code_groups_.assign(domain, kUnseen);
  firsts_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t& group = code_groups_[codes_[i]];
    if (group == kUnseen) {
      group = 0;
      firsts_.push_back(static_cast<uint32_t>(i));
    }
  }
  const std::size_t distinct = firsts_.size();
  hashes_.resize(distinct);
  groups_.resize(distinct);
  std::vector<std::shared_ptr<const ArrayData>> decoded;  // the firsts' keys, which keys_ point into
  for (std::size_t c = 0; c < keys.size(); ++c) {
    const auto firsts = take_dictionary_rows(*keys[c], *fields[c], firsts_);
    hash_column(*firsts, *fields[c], c, hashes_);
    decoded.push_back(decode_dictionary(firsts, *fields[c]));
    normalize_keys(*decoded.back(), plan.decoded_[plan.keys_[c]], keys_[c]);
  }
  table_.find_or_insert(keys_, hashes_, groups_.data());
  states_.resize(table_.size());
  for (std::size_t k = 0; k < distinct; ++k) code_groups_[codes_[firsts_[k]]] = groups_[k];
  groups_.resize(n);
  for (std::size_t i = 0; i < n; ++i) groups_[i] = code_groups_[codes_[i]];
  return true;
}

void AggregateLocalState::sink_chunk(std::span<const ArrayData> original, std::span<const ArrayData> decoded,
                                     std::size_t n, uint64_t ordinal_base) {
  const auto& plan = *plan_;
  hashes_.resize(n);
  groups_.resize(n);
  for (std::size_t c = 0; c < plan.keys_.size(); ++c) {
    const int key = plan.keys_[c];
    hash_column(original[key], plan.input_[key], c, hashes_);
    normalize_keys(decoded[key], plan.decoded_[key], keys_[c]);
  }
  table_.find_or_insert(keys_, hashes_, groups_.data());
  states_.resize(table_.size());
  update_states(decoded, groups_.data(), n, ordinal_base);
}

void AggregateLocalState::update_states(std::span<const ArrayData> decoded, const uint32_t* groups, std::size_t n,
                                        uint64_t ordinal_base) {
  columns_.clear();
  for (const auto& unit : plan_->units_) columns_.push_back(unit.column < 0 ? nullptr : &decoded[unit.column]);
  states_.update(columns_, groups, n, ordinal_base);
}

AggregateGlobalState::AggregateGlobalState(std::shared_ptr<const AggregatePlan> plan) : plan_(std::move(plan)) {
  for (uint32_t p = 0; p < plan_->partitions(); ++p) {
    Partition partition{plan_->make_table(1), plan_->make_states(), false};
    partition.states.resize(partition.table.size());
    partitions_.push_back(std::move(partition));
  }
}

void AggregateGlobalState::combine(std::unique_ptr<AggregateLocalState> local) {
  if (local->plan_ != plan_) throw std::invalid_argument("aggregation: combining a local state of another plan");
  std::lock_guard lock(combine_mutex_);
  locals_.push_back(std::move(local));
}

void AggregateGlobalState::merge_partition(uint32_t p) {
  Partition& partition = partitions_.at(p);
  if (partition.merged) return;
  std::vector<uint32_t> targets;
  for (const auto& local : locals_) {
    const std::span<const uint32_t> sources = local->table_.partition_groups(p);
    targets.resize(sources.size());
    for (std::size_t k = 0; k < sources.size(); ++k) targets[k] = partition.table.find_or_insert(local->table_, sources[k]);
    partition.states.resize(partition.table.size());
    partition.states.merge(local->states_, sources, targets);
  }
  partition.merged = true;
}

std::vector<std::shared_ptr<const ArrayData>> AggregateGlobalState::finalize_partition(uint32_t p) {
  merge_partition(p);
  Partition& partition = partitions_[p];
  std::vector<std::shared_ptr<const ArrayData>> columns;
  const auto& keys = partition.table.keys();
  for (std::size_t c = 0; c < keys.size(); ++c) columns.push_back(build_key_column(keys[c], plan_->output_[c]));
  // The states' results come unit by unit; each goes to its aggregate's place.
  columns.resize(keys.size() + plan_->aggregates_.size());
  auto results = partition.states.finish();
  std::size_t r = 0;
  for (const auto& unit : plan_->units_) {
    for (std::size_t a : unit.aggregates) columns[keys.size() + a] = std::move(results[r++]);
  }
  return columns;
}

std::vector<std::vector<std::shared_ptr<const ArrayData>>> AggregateGlobalState::finalize() {
  std::vector<std::vector<std::shared_ptr<const ArrayData>>> out;
  for (uint32_t p = 0; p < partitions(); ++p) {
    auto columns = finalize_partition(p);
    if (partitions_[p].table.size() > 0 || (p + 1 == partitions() && out.empty())) out.push_back(std::move(columns));
  }
  locals_.clear();
  return out;
}

}  // namespace headrace::kernels

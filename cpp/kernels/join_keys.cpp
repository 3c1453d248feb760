#include "kernels/join_keys.h"

#include <string>

#include "kernels/dictionary.h"
#include "kernels/hash.h"

namespace headrace::kernels {

using arrow::ArrayData;
using arrow::ArrowError;
using arrow::Field;

void check_join_batch(const JoinPlan& plan, bool build_side, std::span<const std::shared_ptr<const ArrayData>> columns,
                      int64_t length) {
  const std::vector<Field>& fields = build_side ? plan.build_fields() : plan.probe_fields();
  const char* side = build_side ? "build" : "probe";
  if (columns.size() != fields.size()) {
    throw ArrowError(std::string("join: ") + side + " batch has " + std::to_string(columns.size()) +
                     " columns, expected " + std::to_string(fields.size()));
  }
  if (length < 0 || length >= (int64_t{1} << 32)) {
    throw ArrowError(std::string("join: ") + side + " batch of " + std::to_string(length) + " rows");
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (!columns[c] || columns[c]->length != length) {
      throw ArrowError(std::string("join: ") + side + " column '" + fields[c].name + "' does not have " +
                       std::to_string(length) + " rows");
    }
    arrow::validate(*columns[c], fields[c], fields[c].name);
  }
}

void prepare_join_keys(const JoinPlan& plan, bool build_side, std::span<const std::shared_ptr<const ArrayData>> columns,
                       int64_t length, JoinKeyBatch& out) {
  const std::vector<Field>& fields = build_side ? plan.build_fields() : plan.probe_fields();
  const std::vector<int>& key_columns = build_side ? plan.build_keys() : plan.probe_keys();
  const auto n = static_cast<std::size_t>(length);
  out.decoded.resize(key_columns.size());
  out.keys.resize(key_columns.size());
  out.hashes.resize(n);
  out.never.clear();
  for (std::size_t k = 0; k < key_columns.size(); ++k) {
    const Field& field = fields[key_columns[k]];
    out.decoded[k] = decode_dictionary(columns[key_columns[k]], field);
    const Field decoded = decoded_field(field);
    hash_column(*out.decoded[k], decoded, k, out.hashes);
    normalize_keys(*out.decoded[k], decoded, out.keys[k]);
    const KeyValues& keys = out.keys[k];
    const bool nulls = !plan.nulls_equal() && !keys.nulls.empty();
    const bool high = plan.excludes_high_words(k, build_side);
    if (!nulls && !high) continue;
    if (out.never.empty()) out.never.assign(n, 0);
    if (nulls) {
      for (std::size_t i = 0; i < n; ++i) out.never[i] |= keys.nulls[i];
    }
    if (high) {
      for (std::size_t i = 0; i < n; ++i) out.never[i] |= static_cast<uint8_t>(keys.words[i] >> 63) & !keys.is_null(i);
    }
  }
}

}  // namespace headrace::kernels

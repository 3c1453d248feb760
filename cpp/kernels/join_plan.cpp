#include "kernels/join_plan.h"

#include <stdexcept>

#include "kernels/dictionary.h"
#include "kernels/hash.h"
#include "kernels/join_gather.h"

namespace headrace::kernels {

using arrow::ArrowError;
using arrow::DataType;
using arrow::Field;
using arrow::TypeId;

namespace {

void check_column(int column, std::size_t columns, const char* what) {
  if (column < 0 || static_cast<std::size_t>(column) >= columns) {
    throw std::out_of_range(std::string("join: ") + what + " column index " + std::to_string(column) +
                            " out of range (" + std::to_string(columns) + " columns)");
  }
}

bool is_float(TypeId id) { return id == TypeId::kFloat32 || id == TypeId::kFloat64; }

// Whether values of `a` and `b` compare by their normalized keys (group_keys.h): integers
// of any width with each other (widened), floats with floats, strings in any layout, and
// otherwise the same type with the same meaning (date32; timestamps of one unit, both naive
// or both with a zone; decimals of one scale).
bool comparable(const DataType& a, const DataType& b) {
  if (a.is_integer() || b.is_integer()) return a.is_integer() && b.is_integer();
  if (is_float(a.id) || is_float(b.id)) return is_float(a.id) && is_float(b.id);
  if (a.is_string() || b.is_string()) return a.is_string() && b.is_string();
  if (a.id != b.id) return false;
  switch (a.id) {
    case TypeId::kTimestamp: return a.unit == b.unit && a.timezone.empty() == b.timezone.empty();
    case TypeId::kDecimal128: return a.scale == b.scale;
    case TypeId::kBool: case TypeId::kDate32: return true;
    default: return false;
  }
}

}  // namespace

JoinEmit parse_join_emit(const std::string& name) {
  if (name == "inner") return JoinEmit::kInner;
  if (name == "probe_outer") return JoinEmit::kProbeOuter;
  if (name == "probe_semi") return JoinEmit::kProbeSemi;
  if (name == "probe_anti") return JoinEmit::kProbeAnti;
  if (name == "build_outer") return JoinEmit::kBuildOuter;
  if (name == "full_outer") return JoinEmit::kFullOuter;
  if (name == "build_semi") return JoinEmit::kBuildSemi;
  if (name == "build_anti") return JoinEmit::kBuildAnti;
  throw ArrowError("join: unknown emit mode '" + name +
                   "' (inner, probe_outer, probe_semi, probe_anti, build_outer, full_outer, build_semi, build_anti)");
}

bool JoinPlan::emits_pairs() const noexcept {
  return emit_ == JoinEmit::kInner || emit_ == JoinEmit::kProbeOuter || emit_ == JoinEmit::kBuildOuter ||
         emit_ == JoinEmit::kFullOuter;
}

bool JoinPlan::tracks_build() const noexcept {
  return emit_ == JoinEmit::kBuildOuter || emit_ == JoinEmit::kFullOuter || emit_ == JoinEmit::kBuildSemi ||
         emit_ == JoinEmit::kBuildAnti;
}

JoinPlan::JoinPlan(std::vector<Field> build, std::vector<Field> probe, std::vector<int> build_keys,
                   std::vector<int> probe_keys, JoinEmit emit, bool nulls_equal, std::vector<int> build_output,
                   std::vector<int> probe_output)
    : build_(std::move(build)),
      probe_(std::move(probe)),
      build_keys_(std::move(build_keys)),
      probe_keys_(std::move(probe_keys)),
      emit_(emit),
      nulls_equal_(nulls_equal) {
  if (build_keys_.empty() || build_keys_.size() != probe_keys_.size()) {
    throw ArrowError("join: need the same number (at least one) of build and probe key columns, got " +
                     std::to_string(build_keys_.size()) + " and " + std::to_string(probe_keys_.size()));
  }
  for (std::size_t k = 0; k < build_keys_.size(); ++k) {
    check_column(build_keys_[k], build_.size(), "build key");
    check_column(probe_keys_[k], probe_.size(), "probe key");
    const Field& b = build_[build_keys_[k]];
    const Field& p = probe_[probe_keys_[k]];
    check_hashable(b, b.name);
    check_hashable(p, p.name);
    const Field bd = decoded_field(b), pd = decoded_field(p);
    if (!comparable(bd.type, pd.type)) {
      throw ArrowError("join: key column '" + b.name + "' (" + b.to_string() + ") cannot be compared with key column '" +
                       p.name + "' (" + p.to_string() + ")");
    }
    layouts_.push_back(key_layout(bd.type));
    const bool b64 = bd.type.id == TypeId::kUInt64, p64 = pd.type.id == TypeId::kUInt64;
    build_high_.push_back(b64 && !p64);
    probe_high_.push_back(p64 && !b64);
  }
  const bool probe_side = emit_ != JoinEmit::kBuildSemi && emit_ != JoinEmit::kBuildAnti;
  const bool build_side = emit_ != JoinEmit::kProbeSemi && emit_ != JoinEmit::kProbeAnti;
  auto add = [&](const std::vector<Field>& fields, const std::vector<int>& columns, std::vector<int>& out) {
    for (int c : columns) {
      check_column(c, fields.size(), "output");
      out.push_back(c);
      Field f = gathered_field(fields[c]);
      if (f.type.id == TypeId::kStruct) {
        throw ArrowError("join: column '" + f.name + "' (" + f.to_string() + ") cannot be gathered");
      }
      f.nullable = true;
      output_.push_back(std::move(f));
    }
  };
  if (probe_side) add(probe_, probe_output, probe_output_);
  if (build_side) add(build_, build_output, build_output_);
}

}  // namespace headrace::kernels

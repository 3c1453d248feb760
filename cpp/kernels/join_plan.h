// What a hash join computes, validated once before any batch: the build and probe sides'
// columns, their key columns (compatible pairwise), how matches are emitted, and which
// columns of each side the output gathers. See join.h for the kernel as a whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arrow/data_type.h"
#include "kernels/group_keys.h"

namespace headrace::kernels {

// How a join emits rows. "Probe"/"build" are the kernel's sides; the Python layer maps
// left/right onto them (e.g. a left join probing with the left side is kProbeOuter, with
// the left side building it is kBuildOuter).
enum class JoinEmit : uint8_t {
  kInner,       // (probe row, build row) for every match
  kProbeOuter,  // kInner + every probe row without a match, build columns null
  kProbeSemi,   // each probe row once if it has a match (probe columns only)
  kProbeAnti,   // each probe row once if it has no match (probe columns only)
  kBuildOuter,  // kInner while probing; then unmatched_build(): build rows never matched, probe columns null
  kFullOuter,   // kProbeOuter while probing; then unmatched_build() as kBuildOuter
  kBuildSemi,   // nothing while probing; then matched_build(): each matched build row once (build columns only)
  kBuildAnti,   // nothing while probing; then unmatched_build(): each never-matched build row once (build columns only)
};

// Parses "inner", "probe_outer", "probe_semi", "probe_anti", "build_outer", "full_outer",
// "build_semi", "build_anti"; anything else is an ArrowError.
JoinEmit parse_join_emit(const std::string& name);

class JoinPlan {
 public:
  // `build_keys[i]` is compared with `probe_keys[i]` (column indices of each side; at least
  // one pair). `build_output` / `probe_output`: the columns each output batch gathers, in
  // that order (a side that the mode does not emit is ignored: probe columns for
  // kBuildSemi/kBuildAnti, build columns for kProbeSemi/kProbeAnti).
  // Throws ArrowError for keys that cannot be compared (naming both columns and types: an
  // integer with a non-integer, utf8 with int64, decimals of different scales, timestamps
  // of different units, ...) and std::out_of_range for a column index outside its side.
  JoinPlan(std::vector<arrow::Field> build, std::vector<arrow::Field> probe, std::vector<int> build_keys,
           std::vector<int> probe_keys, JoinEmit emit, bool nulls_equal, std::vector<int> build_output,
           std::vector<int> probe_output);

  JoinEmit emit() const noexcept { return emit_; }
  bool nulls_equal() const noexcept { return nulls_equal_; }
  const std::vector<arrow::Field>& build_fields() const noexcept { return build_; }
  const std::vector<arrow::Field>& probe_fields() const noexcept { return probe_; }
  const std::vector<int>& build_keys() const noexcept { return build_keys_; }
  const std::vector<int>& probe_keys() const noexcept { return probe_keys_; }
  // The columns gathered (empty for a side the mode does not emit).
  const std::vector<int>& build_output() const noexcept { return build_output_; }
  const std::vector<int>& probe_output() const noexcept { return probe_output_; }
  // The output columns: the probe_output columns, then the build_output columns, with
  // dictionaries decoded and utf8_view as large_utf8; every column nullable.
  const std::vector<arrow::Field>& output_fields() const noexcept { return output_; }

  // Probing emits (probe, build) pairs (kInner, kProbeOuter, kBuildOuter, kFullOuter).
  bool emits_pairs() const noexcept;
  // Probing also emits the probe rows without a match (kProbeOuter, kFullOuter).
  bool emits_probe_unmatched() const noexcept { return emit_ == JoinEmit::kProbeOuter || emit_ == JoinEmit::kFullOuter; }
  // Probing marks the matched build rows (kBuildOuter, kFullOuter, kBuildSemi, kBuildAnti).
  bool tracks_build() const noexcept;
  // The key columns as the table stores them (one per key pair).
  const std::vector<KeyLayout>& key_layouts() const noexcept { return layouts_; }
  // One fixed-width key column: the table compares words (the fast path).
  bool word_key() const noexcept { return layouts_.size() == 1 && layouts_[0] == KeyLayout::kWord; }
  // Key pair i pairs a uint64 column with a signed or narrower one: uint64 values above
  // INT64_MAX cannot match and are excluded (their words would equal negative values).
  bool excludes_high_words(std::size_t key, bool build_side) const noexcept {
    return build_side ? build_high_[key] : probe_high_[key];
  }

 private:
  std::vector<arrow::Field> build_, probe_;
  std::vector<int> build_keys_, probe_keys_;
  JoinEmit emit_;
  bool nulls_equal_;
  std::vector<int> build_output_, probe_output_;
  std::vector<arrow::Field> output_;
  std::vector<KeyLayout> layouts_;
  std::vector<bool> build_high_, probe_high_;
};

}  // namespace headrace::kernels

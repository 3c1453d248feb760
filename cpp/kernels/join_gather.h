// Output columns of a join gathered in C++: row i of the result is row `refs[i]` of one of
// several arrays of the same type (the batches of a side), or null. A reference is
// (batch << 32) | row; kNullRef is a null row (a probe row without a build match, or the
// probe side of an unmatched build row).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "arrow/array_data.h"

namespace headrace::kernels {

inline constexpr uint64_t kNullRef = ~uint64_t{0};

inline constexpr uint64_t make_ref(uint64_t batch, uint64_t row) noexcept { return (batch << 32) | row; }
inline constexpr uint32_t ref_batch(uint64_t ref) noexcept { return static_cast<uint32_t>(ref >> 32); }
inline constexpr uint32_t ref_row(uint64_t ref) noexcept { return static_cast<uint32_t>(ref); }

// The type of a column gathered from a build or probe field: the decoded dictionary type,
// utf8_view as large_utf8.
arrow::Field gathered_field(const arrow::Field& field);

// The gathered column. `batches` are not dictionary-encoded and all of type `field` (any
// fixed-width type, bool, or a string layout; offsets of sliced arrays applied); the result
// has that type, except that utf8_view comes out as large_utf8. An exact null count, no
// bitmap when no row is null.
std::shared_ptr<const arrow::ArrayData> gather_column(std::span<const arrow::ArrayData* const> batches,
                                                      const arrow::Field& field, std::span<const uint64_t> refs);

}  // namespace headrace::kernels

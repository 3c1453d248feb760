#include "kernels/aggregate_function.h"

#include "kernels/accumulator_values.h"

namespace headrace::kernels {

using arrow::ArrowError;
using arrow::DataType;
using arrow::Field;
using arrow::TypeId;

namespace {

constexpr AggregateKind kKinds[] = {
    AggregateKind::kCount, AggregateKind::kCountAll, AggregateKind::kSum,  AggregateKind::kMean,
    AggregateKind::kMin,   AggregateKind::kMax,      AggregateKind::kFirst, AggregateKind::kLast,
    AggregateKind::kVar,   AggregateKind::kStd,      AggregateKind::kCountDistinct, AggregateKind::kAny,
    AggregateKind::kAll,
};

bool is_numeric(const DataType& t) {
  return t.is_integer() || t.id == TypeId::kFloat32 || t.id == TypeId::kFloat64 || t.id == TypeId::kDecimal128;
}

bool is_orderable(const DataType& t) {
  return is_numeric(t) || t.is_string() || t.id == TypeId::kBool || t.id == TypeId::kDate32 ||
         t.id == TypeId::kTimestamp;
}

// Which input types `kind` takes, and in words for errors.
bool takes(AggregateKind kind, const Field& input) {
  if (input.type.id == TypeId::kStruct) return kind == AggregateKind::kCount || kind == AggregateKind::kCountAll;
  switch (kind) {
    case AggregateKind::kCount: case AggregateKind::kCountAll: return true;
    case AggregateKind::kSum: case AggregateKind::kMean: case AggregateKind::kVar: case AggregateKind::kStd:
      return is_numeric(input.type);
    case AggregateKind::kMin: case AggregateKind::kMax: case AggregateKind::kFirst: case AggregateKind::kLast:
    case AggregateKind::kCountDistinct:
      return is_orderable(input.type);
    case AggregateKind::kAny: case AggregateKind::kAll: return input.type.id == TypeId::kBool;
  }
  return false;
}

const char* allowed(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCount: case AggregateKind::kCountAll: return "any type";
    case AggregateKind::kSum: case AggregateKind::kMean: case AggregateKind::kVar: case AggregateKind::kStd:
      return "integers, float32, float64, decimal128";
    case AggregateKind::kMin: case AggregateKind::kMax: case AggregateKind::kFirst: case AggregateKind::kLast:
    case AggregateKind::kCountDistinct:
      return "integers, float32, float64, decimal128, bool, utf8, large_utf8, utf8_view, date32, timestamp "
             "(or dictionaries of those)";
    case AggregateKind::kAny: case AggregateKind::kAll: return "bool";
  }
  return "";
}

Field result(const std::string& name, DataType type, bool nullable) { return Field{name, std::move(type), nullable, nullptr, {}}; }

}  // namespace

const char* aggregate_name(AggregateKind kind) noexcept {
  switch (kind) {
    case AggregateKind::kCount: return "count";
    case AggregateKind::kCountAll: return "count_all";
    case AggregateKind::kSum: return "sum";
    case AggregateKind::kMean: return "mean";
    case AggregateKind::kMin: return "min";
    case AggregateKind::kMax: return "max";
    case AggregateKind::kFirst: return "first";
    case AggregateKind::kLast: return "last";
    case AggregateKind::kVar: return "var";
    case AggregateKind::kStd: return "std";
    case AggregateKind::kCountDistinct: return "count_distinct";
    case AggregateKind::kAny: return "any";
    case AggregateKind::kAll: return "all";
  }
  return "?";
}

AggregateKind parse_aggregate(std::string_view name, const std::string& column) {
  for (AggregateKind kind : kKinds) {
    if (name == aggregate_name(kind)) return kind;
  }
  std::string names;
  for (AggregateKind kind : kKinds) names += (names.empty() ? "" : ", ") + std::string(aggregate_name(kind));
  throw ArrowError("unknown aggregate '" + std::string(name) + "' for column '" + column + "'; allowed: " + names);
}

Field aggregate_output_field(AggregateKind kind, const Field* input, const std::string& output_name) {
  if (input == nullptr) {
    if (kind != AggregateKind::kCountAll) {
      throw ArrowError(std::string("aggregate '") + aggregate_name(kind) + "' needs an input column");
    }
    return result(output_name, DataType(TypeId::kInt64), false);
  }
  if (!takes(kind, *input)) {
    throw ArrowError(std::string("aggregate '") + aggregate_name(kind) + "' cannot take column '" + input->name +
                     "' of type " + input->to_string() + "; " + aggregate_name(kind) + " takes " + allowed(kind));
  }
  const DataType& t = input->type;
  switch (kind) {
    case AggregateKind::kCount: case AggregateKind::kCountAll: case AggregateKind::kCountDistinct:
      return result(output_name, DataType(TypeId::kInt64), false);
    case AggregateKind::kAny: case AggregateKind::kAll:
      return result(output_name, DataType(TypeId::kBool), false);
    case AggregateKind::kMean: case AggregateKind::kVar: case AggregateKind::kStd:
      return result(output_name, DataType(TypeId::kFloat64), true);
    case AggregateKind::kSum: {
      if (t.id == TypeId::kDecimal128) {
        DataType decimal(TypeId::kDecimal128);
        decimal.precision = 38;
        decimal.scale = t.scale;
        return result(output_name, decimal, true);
      }
      if (!t.is_integer()) return result(output_name, DataType(TypeId::kFloat64), true);
      const bool is_unsigned = t.id == TypeId::kUInt8 || t.id == TypeId::kUInt16 || t.id == TypeId::kUInt32 ||
                               t.id == TypeId::kUInt64;
      return result(output_name, DataType(is_unsigned ? TypeId::kUInt64 : TypeId::kInt64), true);
    }
    case AggregateKind::kMin: case AggregateKind::kMax: case AggregateKind::kFirst: case AggregateKind::kLast: {
      DataType out = t;
      if (out.id == TypeId::kUtf8View) out = DataType(TypeId::kLargeUtf8);
      return result(output_name, out, true);
    }
  }
  return result(output_name, t, true);
}

std::unique_ptr<Accumulator> make_accumulator(AggregateKind kind, const Field* input, const Field& output) {
  aggregate_output_field(kind, input, output.name);  // validates
  switch (kind) {
    case AggregateKind::kCountAll: return make_count(true);
    case AggregateKind::kCount: return make_count(false);
    case AggregateKind::kAny: return make_any_all(false);
    case AggregateKind::kAll: return make_any_all(true);
    case AggregateKind::kSum: return make_sum(*input);
    case AggregateKind::kMean: case AggregateKind::kVar: case AggregateKind::kStd: return make_moments(kind, *input);
    case AggregateKind::kMin: case AggregateKind::kMax: case AggregateKind::kFirst: case AggregateKind::kLast:
      return make_select(kind, *input);
    case AggregateKind::kCountDistinct: return make_count_distinct(*input);
  }
  throw ArrowError("unknown aggregate");
}

}  // namespace headrace::kernels

#include "arrow/data_type.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace headrace::arrow {

namespace {

struct Primitive {
  const char* format;
  TypeId id;
  const char* name;
};

constexpr Primitive kPrimitives[] = {
    {"c", TypeId::kInt8, "int8"},        {"C", TypeId::kUInt8, "uint8"},
    {"s", TypeId::kInt16, "int16"},      {"S", TypeId::kUInt16, "uint16"},
    {"i", TypeId::kInt32, "int32"},      {"I", TypeId::kUInt32, "uint32"},
    {"l", TypeId::kInt64, "int64"},      {"L", TypeId::kUInt64, "uint64"},
    {"f", TypeId::kFloat32, "float32"},  {"g", TypeId::kFloat64, "float64"},
    {"b", TypeId::kBool, "bool"},        {"u", TypeId::kUtf8, "utf8"},
    {"U", TypeId::kLargeUtf8, "large_utf8"}, {"vu", TypeId::kUtf8View, "utf8_view"},
    {"tdD", TypeId::kDate32, "date32"},
    {"+s", TypeId::kStruct, "struct"},
};

constexpr const char* kUnitNames[] = {"s", "ms", "us", "ns"};
constexpr char kUnitFormats[] = {'s', 'm', 'u', 'n'};

// Names of the C Data Interface formats headrace does not read, for error messages.
struct Named {
  const char* format;
  const char* name;
};

constexpr Named kOtherTypes[] = {
    {"n", "null"},          {"e", "float16"},        {"z", "binary"},         {"Z", "large_binary"},
    {"vz", "binary_view"},  {"tdm", "date64"},       {"tts", "time32[s]"},    {"ttm", "time32[ms]"},
    {"ttu", "time64[us]"},  {"ttn", "time64[ns]"},   {"tDs", "duration[s]"},  {"tDm", "duration[ms]"},
    {"tDu", "duration[us]"}, {"tDn", "duration[ns]"}, {"tiM", "month_interval"}, {"tiD", "day_time_interval"},
    {"tin", "month_day_nano_interval"}, {"+l", "list"}, {"+L", "large_list"}, {"+vl", "list_view"},
    {"+vL", "large_list_view"}, {"+s", "struct"},     {"+m", "map"},           {"+r", "run_end_encoded"},
};

// What the part of `format` after `prefix` holds, or "" if it does not start with it.
std::string_view after(std::string_view format, std::string_view prefix) {
  return format.substr(0, prefix.size()) == prefix ? format.substr(prefix.size()) : std::string_view{};
}

// A decimal's name from "d:P,S" or "d:P,S,bits": "decimal256(40, 2)".
std::string decimal_name(std::string_view spec) {
  const auto comma = spec.find(',');
  if (comma == std::string_view::npos) return "decimal";
  const auto second = spec.find(',', comma + 1);
  const std::string bits = second == std::string_view::npos ? "128" : std::string(spec.substr(second + 1));
  return "decimal" + bits + "(" + std::string(spec.substr(0, comma)) + ", " +
         std::string(spec.substr(comma + 1, second == std::string_view::npos ? second : second - comma - 1)) + ")";
}

}  // namespace

std::string format_name(std::string_view format) {
  for (const auto& t : kOtherTypes) {
    if (format == t.format) return t.name;
  }
  for (const auto& p : kPrimitives) {
    if (format == p.format) return p.name;
  }
  if (!after(format, "d:").empty()) return decimal_name(after(format, "d:"));
  if (!after(format, "w:").empty()) return "fixed_size_binary(" + std::string(after(format, "w:")) + ")";
  if (!after(format, "+w:").empty()) return "fixed_size_list(" + std::string(after(format, "+w:")) + ")";
  if (!after(format, "+ud:").empty()) return "dense_union";
  if (!after(format, "+us:").empty()) return "sparse_union";
  if (!after(format, "ts").empty()) return "timestamp";
  return "";
}

namespace {

[[noreturn]] void unsupported(const std::string& where, std::string_view format) {
  const std::string name = format_name(format);
  const std::string type = (name.empty() ? "unknown" : name) + " (format '" + std::string(format) + "')";
  const std::string what = where.empty() ? "an array of type " + type + " is not supported"
                                         : "column '" + where + "' has an unsupported Arrow type: " + type;
  throw ArrowError(what + "; supported: " + supported_types());
}

int32_t parse_int(std::string_view text, const std::string& where, std::string_view format) {
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) unsupported(where, format);
  return value;
}

DataType parse_type(std::string_view format, const std::string& where) {
  DataType type;
  for (const auto& p : kPrimitives) {
    if (format == p.format) {
      type.id = p.id;
      return type;
    }
  }
  // Timestamps: "ts" + unit + ":" + timezone (possibly empty).
  if (format.size() >= 4 && format.substr(0, 2) == "ts" && format[3] == ':') {
    type.id = TypeId::kTimestamp;
    for (int u = 0; u < 4; ++u) {
      if (format[2] == kUnitFormats[u]) {
        type.unit = static_cast<TimeUnit>(u);
        type.timezone = std::string(format.substr(4));
        return type;
      }
    }
    unsupported(where, format);
  }
  // Decimals: "d:precision,scale" or "d:precision,scale,bitwidth" (128 only).
  if (format.size() > 2 && format.substr(0, 2) == "d:") {
    std::string_view rest = format.substr(2);
    auto comma = rest.find(',');
    if (comma == std::string_view::npos) unsupported(where, format);
    auto second = rest.find(',', comma + 1);
    type.id = TypeId::kDecimal128;
    type.precision = parse_int(rest.substr(0, comma), where, format);
    type.scale = parse_int(rest.substr(comma + 1, second == std::string_view::npos ? std::string_view::npos
                                                                                    : second - comma - 1),
                           where, format);
    if (second != std::string_view::npos && rest.substr(second + 1) != "128") unsupported(where, format);
    return type;
  }
  unsupported(where, format);
}

}  // namespace

const char* supported_types() {
  return "int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, bool, "
         "utf8, large_utf8, utf8_view, date32, timestamp, decimal128, dictionaries of those, struct";
}

int DataType::byte_width() const noexcept {
  switch (id) {
    case TypeId::kInt8: case TypeId::kUInt8: return 1;
    case TypeId::kInt16: case TypeId::kUInt16: return 2;
    case TypeId::kInt32: case TypeId::kUInt32: case TypeId::kFloat32: case TypeId::kDate32: return 4;
    case TypeId::kInt64: case TypeId::kUInt64: case TypeId::kFloat64: case TypeId::kTimestamp: return 8;
    case TypeId::kDecimal128: return 16;
    default: return 0;
  }
}

std::string DataType::format() const {
  if (id == TypeId::kTimestamp) {
    return std::string("ts") + kUnitFormats[static_cast<int>(unit)] + ":" + timezone;
  }
  if (id == TypeId::kDecimal128) {
    return "d:" + std::to_string(precision) + "," + std::to_string(scale);
  }
  for (const auto& p : kPrimitives) {
    if (p.id == id) return p.format;
  }
  return "?";
}

std::string DataType::to_string() const {
  if (id == TypeId::kTimestamp) {
    std::string s = std::string("timestamp[") + kUnitNames[static_cast<int>(unit)];
    if (!timezone.empty()) s += ", tz=" + timezone;
    return s + "]";
  }
  if (id == TypeId::kDecimal128) {
    return "decimal128(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
  }
  for (const auto& p : kPrimitives) {
    if (p.id == id) return p.name;
  }
  return "?";
}

std::string Field::to_string() const {
  if (dictionary) return "dictionary<values=" + dictionary->to_string() + ", indices=" + type.to_string() + ">";
  if (type.id == TypeId::kStruct) {
    std::string s = "struct<";
    for (std::size_t i = 0; i < children.size(); ++i) {
      s += (i ? ", " : "") + children[i].name + ": " + children[i].to_string();
    }
    return s + ">";
  }
  return type.to_string();
}

Field parse_field(const ArrowSchema& schema, const std::string& where) {
  if (schema.release == nullptr) throw ArrowError("cannot read a released ArrowSchema");
  if (schema.format == nullptr) throw ArrowError("an ArrowSchema has no format string");
  Field field;
  field.name = schema.name != nullptr ? schema.name : "";
  field.nullable = (schema.flags & ARROW_FLAG_NULLABLE) != 0;
  const std::string& label = where.empty() ? field.name : where;
  field.type = parse_type(schema.format, label);
  if (schema.dictionary != nullptr) {
    if (!field.type.is_integer()) {
      throw ArrowError("column '" + label + "': dictionary indices must be integers, got " +
                       field.type.to_string());
    }
    field.dictionary = std::make_shared<Field>(parse_field(*schema.dictionary, label));
  }
  if (field.type.id == TypeId::kStruct) {
    for (int64_t i = 0; i < schema.n_children; ++i) {
      const ArrowSchema& child = *schema.children[i];
      field.children.push_back(parse_field(child, child.name != nullptr ? child.name : ""));
    }
  } else if (schema.n_children != 0) {
    unsupported(label, schema.format);
  }
  return field;
}

}  // namespace headrace::arrow

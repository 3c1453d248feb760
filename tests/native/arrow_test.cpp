// Native test of the Arrow C Data Interface layer: arrays built here are exported, imported
// back without copies, read through ArrayView, and every struct is released exactly once.
#include "check.h"
#include <cstdio>
#include <cstring>
#include <string>

#include "arrow/array_data.h"

using namespace headrace::arrow;

namespace {

using headrace::testing::check;

// Memory for test arrays; counts how many are alive so that releases can be checked.
int alive = 0;
struct Memory {
  std::vector<int64_t> ints{10, 20, 30, 40, 50};
  std::vector<uint8_t> validity{0b11011};  // element 2 is null
  std::vector<int32_t> offsets{0, 1, 3, 3, 7};
  std::string chars = "abcdéf";  // "a", "bc", "", "déf" (é is two bytes)
  Memory() { ++alive; }
  ~Memory() { --alive; }
};

std::shared_ptr<ArrayData> make_struct(const std::shared_ptr<Memory>& memory, int64_t offset, int64_t length) {
  auto ints = std::make_shared<ArrayData>();
  ints->length = length;
  ints->offset = offset;
  ints->null_count = -1;  // unknown: readers must look at the bitmap
  ints->buffers = {memory->validity.data(), memory->ints.data()};
  ints->keepalive = memory;
  auto strings = std::make_shared<ArrayData>();
  strings->length = 4;
  strings->buffers = {nullptr, memory->offsets.data(), memory->chars.data()};
  strings->keepalive = memory;
  auto batch = std::make_shared<ArrayData>();
  batch->length = length;
  batch->buffers = {nullptr};
  batch->children = {ints, strings};
  return batch;
}

Field struct_field() {
  Field ints{"x", DataType{TypeId::kInt64}, true, nullptr, {}};
  Field strings{"s", DataType{TypeId::kUtf8}, true, nullptr, {}};
  return Field{"", DataType{TypeId::kStruct}, false, nullptr, {ints, strings}};
}

}  // namespace

int main() {
  {
    auto memory = std::make_shared<Memory>();
    ArrowArray c_array;
    ArrowSchema c_schema;
    export_array(make_struct(memory, 1, 4), &c_array);
    export_schema(struct_field(), &c_schema);
    memory.reset();
    check(alive == 1, "exported array keeps its memory alive");

    SchemaOwner schema = SchemaOwner::take(&c_schema);
    check(c_schema.release == nullptr, "taking a struct marks the source released");
    Field field = parse_field(*schema.get());
    check(field.to_string() == "struct<x: int64, s: utf8>", "schema round trip");
    auto data = import_array(ArrayOwner::take(&c_array));
    validate(*data, field, "");
    ArrayView x(*data->children[0], field.children[0]);
    // offset 1: values 20, 30 (null), 40, 50
    check(x.values<int64_t>()[0] == 20 && x.values<int64_t>()[3] == 50, "offset applied to values");
    check(x.is_valid(0) && !x.is_valid(1) && x.is_valid(2), "validity bitmap with offset");
    ArrayView s(*data->children[1], field.children[1]);
    check(s.string_value(1) == "bc" && s.string_value(2).empty() && s.string_value(3) == "déf", "utf8 values");
    data.reset();
    check(alive == 0, "releasing the import releases the producer's memory exactly once");
  }
  {
    ArrowSchema bad{};
    bad.format = "+l";
    bad.name = "tags";
    bad.release = [](ArrowSchema* s) { s->release = nullptr; };
    bool named = false;
    try {
      parse_field(bad);
    } catch (const ArrowError& e) {
      named = std::string(e.what()).find("column 'tags' has an unsupported Arrow type: list (format '+l')") !=
              std::string::npos;
    }
    check(named, "unsupported type names the column, the type in words and the format");
    bad.format = "tdm";
    bad.name = "";
    bool alone = false;
    try {
      parse_field(bad);
    } catch (const ArrowError& e) {
      alone = std::string(e.what()).rfind("an array of type date64 (format 'tdm') is not supported", 0) == 0;
    }
    check(alone, "an unnamed array reads naturally");
    bad.release(&bad);
    check(format_name("z") == "binary" && format_name("Z") == "large_binary" && format_name("+L") == "large_list",
          "binary and list formats in words");
    check(format_name("ttn") == "time64[ns]" && format_name("tts") == "time32[s]" && format_name("e") == "float16" &&
              format_name("n") == "null",
          "time, float16 and null formats in words");
    check(format_name("d:40,2,256") == "decimal256(40, 2)" && format_name("d:9,3") == "decimal128(9, 3)",
          "decimal formats in words");
    check(format_name("w:16") == "fixed_size_binary(16)" && format_name("+m") == "map" && format_name("?!").empty(),
          "other formats in words; unknown ones empty");
  }
  {
    ArrowSchema ts{};
    ts.format = "tsu:Europe/Paris";
    ts.release = [](ArrowSchema* s) { s->release = nullptr; };
    check(parse_field(ts).type.to_string() == "timestamp[us, tz=Europe/Paris]", "timestamp with zone");
    ts.format = "d:12,3";
    auto dec = parse_field(ts).type;
    check(dec.id == TypeId::kDecimal128 && dec.precision == 12 && dec.scale == 3, "decimal128");
    ts.release(&ts);
  }
  {
    auto memory = std::make_shared<Memory>();
    auto ints = std::make_shared<ArrayData>();
    ints->length = 5;
    ints->buffers = {nullptr, memory->ints.data()};
    Field field{"x", DataType{TypeId::kInt64}, true, nullptr, {}};
    bool missing = false;
    try {
      auto broken = *ints;
      broken.buffers.pop_back();
      validate(broken, field, "");
    } catch (const ArrowError& e) {
      missing = std::string(e.what()).find("expected 2 buffers") != std::string::npos;
    }
    check(missing, "a malformed array is rejected with the column named");
  }
  {
    // utf8_view: "short" inline, a long string in a variadic buffer, a null.
    std::string long_text = "a string longer than twelve bytes";
    uint8_t views[48] = {};
    int32_t n = 5;
    std::memcpy(views, &n, 4);
    std::memcpy(views + 4, "short", 5);
    n = static_cast<int32_t>(long_text.size());
    int32_t buffer = 0, offset = 0;
    std::memcpy(views + 16, &n, 4);
    std::memcpy(views + 20, long_text.data(), 4);
    std::memcpy(views + 24, &buffer, 4);
    std::memcpy(views + 28, &offset, 4);
    uint8_t validity = 0b011;
    int64_t sizes[1] = {static_cast<int64_t>(long_text.size())};
    ArrayData data;
    data.length = 3;
    data.null_count = 1;
    data.buffers = {&validity, views, long_text.data(), sizes};
    Field field{"s", DataType{TypeId::kUtf8View}, true, nullptr, {}};
    validate(data, field, "");
    ArrayView view(data, field);
    check(view.string_value(0) == "short" && view.string_value(1) == long_text && !view.is_valid(2),
          "utf8_view inline and out-of-line strings");
  }
  return headrace::testing::exit_code();
}

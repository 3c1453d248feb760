// Native test of the Parquet reader's low-level layer: the Thrift compact-protocol reader,
// Snappy decompression, the RLE / bit-packed hybrid decoder, and the decoding of file
// metadata and page headers. Hand-built byte strings cover every encoding form; vectors
// made by pyarrow's Snappy compressor and Parquet files written by pyarrow
// (tests/native/data/make_parquet_fixtures.py) check agreement with a real writer. Every
// truncation and many corruptions of each input must throw ParquetError and never crash
// (run under AddressSanitizer to check they never read or write out of bounds).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "parquet/column_values.h"
#include "parquet/metadata.h"
#include "parquet/parquet_error.h"
#include "parquet/rle_decoder.h"
#include "parquet/snappy.h"
#include "parquet/thrift_compact.h"
#include "thrift_writer.h"

using namespace headrace::parquet;
using headrace::testing::check;
using headrace::testing::ThriftWriter;

namespace {

using Bytes = std::vector<uint8_t>;

// Whether fn throws ParquetError (any other exception propagates and fails the run).
bool throws(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ParquetError&) {
    return true;
  }
  return false;
}

std::string data_path(const std::string& name) { return std::string(HEADRACE_TEST_DATA) + "/" + name; }

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------- Thrift compact protocol

// A struct with a field of every type, ids in both forms, and nested containers.
Bytes every_type_struct() {
  ThriftWriter w;
  w.begin_struct_value();
  w.boolean(1, true);
  w.boolean(2, false);
  w.field(3, ThriftType::Byte);
  w.byte(0xfe);  // -2
  w.field(4, ThriftType::I16);
  w.zigzag(-32768);
  w.i32(5, std::numeric_limits<int32_t>::min());
  w.i64(6, std::numeric_limits<int64_t>::max());
  w.field(7, ThriftType::Double);
  w.double_value(-2.5);
  w.binary(8, std::string("bin\0ary", 7));
  w.list(9, ThriftType::I32, 3);  // the short list form
  for (int v : {-1, 0, 1}) w.zigzag(v);
  w.list(10, ThriftType::Binary, 20);  // the long list form
  for (int i = 0; i < 20; ++i) w.binary_value(std::to_string(i));
  w.field(300, ThriftType::Set);  // a long-form id: a delta above 15
  w.list_header(ThriftType::BoolTrue, 2);
  w.byte(1);
  w.byte(2);
  w.field(301, ThriftType::Map);
  w.varint(2);
  w.byte(static_cast<uint8_t>(ThriftType::Binary) << 4 | static_cast<uint8_t>(ThriftType::I64));
  w.binary_value("a");
  w.zigzag(-7);
  w.binary_value("b");
  w.zigzag(7);
  w.field(302, ThriftType::Map);
  w.varint(0);  // an empty map has no type byte
  w.field(-5, ThriftType::I32);  // negative ids appear in unions of some writers
  w.zigzag(5);
  w.begin_struct(2);  // an id below the previous one: long form
  w.i32(1, 11);
  w.end_struct();
  w.end_struct();
  return w.bytes;
}

// Reads every_type_struct() field by field, checking each value; returns whether all matched.
bool read_every_type(const Bytes& bytes) {
  CompactReader r(bytes.data(), bytes.size());
  bool ok = true;
  int fields = 0;
  read_struct(r, [&](const FieldHeader& f) {
    ++fields;
    switch (f.id) {
      case 1: ok &= CompactReader::bool_field(f); break;
      case 2:
        if (f.type == ThriftType::Struct) {
          int inner = 0;
          read_struct(r, [&](const FieldHeader& g) {
            ok &= g.id == 1 && r.read_i32() == 11;
            ++inner;
          });
          ok &= inner == 1;
        } else {
          ok &= !CompactReader::bool_field(f);
        }
        break;
      case 3: ok &= f.type == ThriftType::Byte && r.read_byte() == -2; break;
      case 4: ok &= f.type == ThriftType::I16 && r.read_i16() == -32768; break;
      case 5: ok &= r.read_i32() == std::numeric_limits<int32_t>::min(); break;
      case 6: ok &= r.read_i64() == std::numeric_limits<int64_t>::max(); break;
      case 7: ok &= r.read_double() == -2.5; break;
      case 8: ok &= r.read_binary() == std::string_view("bin\0ary", 7); break;
      case 9: {
        const ListHeader h = r.read_list_header();
        ok &= h.element_type == ThriftType::I32 && h.size == 3;
        for (int v : {-1, 0, 1}) ok &= r.read_i32() == v;
        break;
      }
      case 10: {
        const ListHeader h = r.read_list_header();
        ok &= h.element_type == ThriftType::Binary && h.size == 20;
        for (int i = 0; i < 20; ++i) ok &= r.read_string() == std::to_string(i);
        break;
      }
      case 300: {
        const ListHeader h = r.read_list_header();
        ok &= f.type == ThriftType::Set && h.size == 2;
        ok &= r.read_bool_element();
        ok &= !r.read_bool_element();
        break;
      }
      case 301: {
        const MapHeader h = r.read_map_header();
        ok &= h.size == 2 && h.key_type == ThriftType::Binary && h.value_type == ThriftType::I64;
        ok &= r.read_string() == "a" && r.read_i64() == -7 && r.read_string() == "b" && r.read_i64() == 7;
        break;
      }
      case 302: ok &= r.read_map_header().size == 0; break;
      case -5: ok &= r.read_i32() == 5; break;
      default: ok = false; r.skip(f.type);
    }
  });
  return ok && fields == 15 && r.remaining() == 0;
}

void test_thrift_values() {
  const Bytes bytes = every_type_struct();
  check(read_every_type(bytes), "thrift: every type, short and long field ids and list forms read back");

  CompactReader skipper(bytes.data(), bytes.size());
  skipper.skip_struct();
  check(skipper.remaining() == 0, "thrift: skip_struct consumes exactly the struct");

  bool every_prefix_throws = true;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    every_prefix_throws &= throws([&] { read_every_type(prefix); });
    every_prefix_throws &= throws([&] { CompactReader(prefix.data(), prefix.size()).skip_struct(); });
  }
  check(every_prefix_throws, "thrift: truncation at every byte throws when reading and when skipping");

  // Corrupting any byte either still parses or throws ParquetError (anything else ends the
  // program; ASan checks the reads).
  int corrupt = 0, detected = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, uint8_t(bytes[i] ^ 0x0f), uint8_t(bytes[i] ^ 0xf0)}) {
      Bytes bad = bytes;
      bad[i] = value;
      ++corrupt;
      detected += throws([&] { CompactReader(bad.data(), bad.size()).skip_struct(); });
    }
  }
  std::printf("  %d of %d corrupted structs throw\n", detected, corrupt);
  check(detected > 0, "thrift: corrupting any byte parses or throws ParquetError");
}

void test_thrift_varints() {
  auto reader = [](const Bytes& b) { return CompactReader(b.data(), b.size()); };
  Bytes max64 = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  check(reader(max64).read_varint() == std::numeric_limits<uint64_t>::max(), "thrift: a 10-byte varint");
  Bytes over64 = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  check(throws([&] { reader(over64).read_varint(); }), "thrift: a varint beyond 64 bits throws");
  Bytes eleven(10, 0x80);
  eleven.push_back(0);
  check(throws([&] { reader(eleven).read_varint(); }), "thrift: an 11-byte varint throws");
  Bytes big32;
  {
    ThriftWriter w;
    w.varint(uint64_t{1} << 32);
    big32 = w.bytes;
  }
  check(throws([&] { reader(big32).read_i32(); }), "thrift: an i32 beyond 32 bits throws");
  Bytes big16 = {0x80, 0x80, 0x04};  // 65536
  check(throws([&] { reader(big16).read_i16(); }), "thrift: an i16 beyond 16 bits throws");
  Bytes zig = {0x03};  // zigzag 3 = -2
  check(reader(zig).read_i32() == -2, "thrift: zigzag decoding");
  Bytes long_binary = {0x05, 'a', 'b'};
  check(throws([&] { reader(long_binary).read_binary(); }), "thrift: a binary longer than the input throws");
  Bytes long_list = {0xf5, 0x10, 0x00};  // 16 i32 elements, one byte present
  check(throws([&] { reader(long_list).read_list_header(); }), "thrift: a list longer than the input throws");
  Bytes bad_type = {0x1e};  // field type 14 is unknown
  int16_t last = 0;
  check(throws([&] { reader(bad_type).read_field_header(last); }), "thrift: an unknown type code throws");
  // A long-form header (type i32, id 32766) with its value 0, then a header of delta 1.
  Bytes id_near_max = {0x05, 0xfc, 0xff, 0x03, 0x00, 0x15};
  {
    CompactReader r = reader(id_near_max);
    int16_t id = 0;
    const FieldHeader f = r.read_field_header(id);
    r.read_i32();
    check(f.id == 32766 && r.read_field_header(id).id == 32767, "thrift: long-form id then a delta");
  }
  Bytes past_max = {0x05, 0xfe, 0xff, 0x03, 0x00, 0x15};  // id 32767, then delta 1 overflows
  check(throws([&] {
          CompactReader r = reader(past_max);
          int16_t id = 0;
          r.read_field_header(id);
          r.read_i32();
          r.read_field_header(id);
        }),
        "thrift: a field id past 32767 throws");
}

void test_thrift_depth_limit() {
  // Structs nested deeper than the limit: skip throws instead of exhausting the stack.
  ThriftWriter deep;
  deep.begin_struct_value();
  for (int i = 0; i < 10000; ++i) deep.begin_struct(1);
  for (int i = 0; i < 10000; ++i) deep.end_struct();
  deep.end_struct();
  check(throws([&] { CompactReader(deep.bytes.data(), deep.bytes.size()).skip_struct(); }),
        "thrift: structs nested 10000 deep throw");
  ThriftWriter lists;  // list<list<list<...>>>
  lists.begin_struct_value();
  lists.list(1, ThriftType::List, 1);
  for (int i = 0; i < 10000; ++i) lists.list_header(ThriftType::List, 1);
  check(throws([&] { CompactReader(lists.bytes.data(), lists.bytes.size()).skip_struct(); }),
        "thrift: lists nested 10000 deep throw");
  ThriftWriter shallow;
  shallow.begin_struct_value();
  for (int i = 0; i < CompactReader::kMaxDepth - 1; ++i) shallow.begin_struct(1);
  for (int i = 0; i < CompactReader::kMaxDepth - 1; ++i) shallow.end_struct();
  shallow.end_struct();
  CompactReader r(shallow.bytes.data(), shallow.bytes.size());
  r.skip_struct();
  check(r.remaining() == 0, "thrift: nesting within the limit skips");
}

// ---------------------------------------------------------------- Snappy

struct SnappyVector {
  std::string name;
  Bytes raw, compressed;
};

std::vector<SnappyVector> load_snappy_vectors() {
  const Bytes file = read_file(data_path("snappy_vectors.bin"));
  std::vector<SnappyVector> vectors;
  std::size_t pos = 0;
  auto u32 = [&] {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(file.at(pos++)) << (8 * i);
    return v;
  };
  auto take = [&](std::size_t n) {
    Bytes out(file.begin() + static_cast<std::ptrdiff_t>(pos), file.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    return out;
  };
  while (pos < file.size()) {
    SnappyVector v;
    const std::size_t name_length = file.at(pos++);
    const Bytes name = take(name_length);
    v.name.assign(name.begin(), name.end());
    v.raw = take(u32());
    v.compressed = take(u32());
    vectors.push_back(std::move(v));
  }
  return vectors;
}

// Decompresses into a buffer of the preamble's length (refusing absurd lengths).
Bytes snappy(const Bytes& in) {
  const std::size_t length = snappy_uncompressed_length(in.data(), in.size());
  if (length > (1u << 24)) throw ParquetError("test: length too large to try");
  Bytes out(length);
  snappy_decompress(in.data(), in.size(), out.data(), out.size());
  return out;
}

void test_snappy_vectors() {
  const std::vector<SnappyVector> vectors = load_snappy_vectors();
  check(vectors.size() == 78, "snappy: 78 vectors made by pyarrow");
  bool all_equal = true, lengths = true;
  for (const SnappyVector& v : vectors) {
    lengths &= snappy_uncompressed_length(v.compressed.data(), v.compressed.size()) == v.raw.size();
    const bool equal = snappy(v.compressed) == v.raw;
    if (!equal) std::printf("  mismatch: %s\n", v.name.c_str());
    all_equal &= equal;
  }
  check(lengths, "snappy: preamble lengths of pyarrow's blocks");
  check(all_equal, "snappy: pyarrow's blocks decompress exactly (literals, offsets 1..70, 2-byte offsets, runs)");

  // Truncation at every byte throws; corrupting any byte throws or decodes, in bounds.
  bool truncations = true;
  int corrupt = 0, detected = 0;
  for (const SnappyVector& v : vectors) {
    for (std::size_t n = 0; n < v.compressed.size(); ++n) {
      const Bytes prefix(v.compressed.begin(), v.compressed.begin() + static_cast<std::ptrdiff_t>(n));
      // A cut that removes only literal bytes makes a literal overrun; any cut loses output.
      truncations &= throws([&] {
        Bytes out(v.raw.size());
        snappy_decompress(prefix.data(), prefix.size(), out.data(), out.size());
      });
    }
    for (std::size_t i = 0; i < v.compressed.size(); ++i) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x04}, uint8_t{0x20}, uint8_t{0x80}, uint8_t{0xff}}) {
        Bytes bad = v.compressed;
        bad[i] ^= flip;
        ++corrupt;
        detected += throws([&] { snappy(bad); });
      }
    }
  }
  check(truncations, "snappy: truncation at every byte throws");
  std::printf("  %d of %d corrupted blocks throw\n", detected, corrupt);
  check(detected > 0, "snappy: corrupting any byte decodes or throws ParquetError");
}

void test_snappy_hand_built() {
  // Empty output: a zero length and nothing else.
  const Bytes empty = {0x00};
  check(snappy_uncompressed_length(empty.data(), empty.size()) == 0, "snappy: empty block's length");
  check(!throws([&] { snappy_decompress(empty.data(), empty.size(), nullptr, 0); }),
        "snappy: empty block decompresses");
  check(throws([] { snappy_uncompressed_length(nullptr, 0); }), "snappy: empty input throws");
  const Bytes long_preamble = {0xff, 0xff, 0xff, 0xff, 0x7f};
  check(throws([&] { snappy_uncompressed_length(long_preamble.data(), long_preamble.size()); }),
        "snappy: a length beyond 32 bits throws");

  // Literal lengths in 3 and 4 bytes (tags 62 and 63), which Snappy's own compressor,
  // working in 64 KiB fragments, never writes.
  for (int bytes : {3, 4}) {
    const std::size_t n = 70000;
    ThriftWriter w;  // used for its varint only
    w.varint(n);
    w.byte(static_cast<uint8_t>((59 + bytes) << 2));
    for (int i = 0; i < bytes; ++i) w.byte(static_cast<uint8_t>((n - 1) >> (8 * i)));
    Bytes raw(n);
    for (std::size_t i = 0; i < n; ++i) raw[i] = static_cast<uint8_t>(i * 7);
    w.bytes.insert(w.bytes.end(), raw.begin(), raw.end());
    check(snappy(w.bytes) == raw, bytes == 3 ? "snappy: literal length in 3 bytes" : "snappy: literal length in 4 bytes");
  }
  // A copy with a 4-byte offset (tag 11) and a 2-byte offset copy of 64 bytes.
  {
    ThriftWriter w;
    w.varint(100 + 64 + 64);
    w.byte(static_cast<uint8_t>(60 << 2));
    w.byte(99);  // a 100-byte literal, its length in one byte
    Bytes expect;
    for (int i = 0; i < 100; ++i) expect.push_back(static_cast<uint8_t>(i * 13 + 1));
    w.bytes.insert(w.bytes.end(), expect.begin(), expect.end());
    w.byte(static_cast<uint8_t>(63 << 2 | 3));  // 64 bytes, 4-byte offset 100
    for (uint8_t b : {100, 0, 0, 0}) w.byte(b);
    w.byte(static_cast<uint8_t>(63 << 2 | 2));  // 64 bytes, 2-byte offset 30
    for (uint8_t b : {30, 0}) w.byte(b);
    for (int i = 0; i < 64; ++i) expect.push_back(expect[expect.size() - 100]);
    for (int i = 0; i < 64; ++i) expect.push_back(expect[expect.size() - 30]);
    check(snappy(w.bytes) == expect, "snappy: copies with 4-byte and 2-byte offsets");
  }
  // Errors: offset 0, an offset before the start, an overrun, a length mismatch.
  const Bytes offset_zero = {0x05, 0x00, 'a', 0x01, 0x00};          // literal "a", copy-1 len 4 offset 0
  const Bytes offset_far = {0x05, 0x00, 'a', 0x01, 0x02};           // offset 2 > 1 byte written
  const Bytes copy_overrun = {0x03, 0x00, 'a', 0x01, 0x01};         // copy of 4 into 2 bytes left
  const Bytes literal_overrun = {0x02, 0x08, 'a', 'b', 'c'};        // 3-byte literal, length 2
  const Bytes literal_short = {0x04, 0x0c, 'a', 'b'};               // 4-byte literal, 2 present
  const Bytes output_short = {0x04, 0x04, 'a', 'b'};                // 2 of 4 bytes
  const Bytes copy_truncated = {0x05, 0x00, 'a', 0x02, 0x01};       // 2-byte offset, 1 present
  for (const auto& [input, what] : std::vector<std::pair<Bytes, const char*>>{
           {offset_zero, "snappy: offset 0 throws"},
           {offset_far, "snappy: an offset before the output's start throws"},
           {copy_overrun, "snappy: a copy past the output's end throws"},
           {literal_overrun, "snappy: a literal past the output's end throws"},
           {literal_short, "snappy: a literal past the input's end throws"},
           {output_short, "snappy: output shorter than the stated length throws"},
           {copy_truncated, "snappy: a truncated copy throws"}}) {
    const Bytes& bad = input;  // clang 14 cannot capture a structured binding in a lambda
    check(throws([&] { snappy(bad); }), what);
  }
  const Bytes two = {0x02, 0x04, 'a', 'b'};
  check(throws([&] {
          Bytes out(3);
          snappy_decompress(two.data(), two.size(), out.data(), out.size());
        }),
        "snappy: an output size other than the stated length throws");
}

// Random valid blocks (literals of every length form, copies at every offset and length)
// against the output they must produce: the fast loop and the checked tail on many shapes.
void test_snappy_random_streams() {
  std::mt19937 rng(12345);
  bool all_equal = true;
  for (int round = 0; round < 300; ++round) {
    Bytes expect;
    ThriftWriter body;
    const int elements = 1 + static_cast<int>(rng() % 200);
    for (int e = 0; e < elements; ++e) {
      const unsigned kind = rng() % 4;
      if (expect.empty() || kind == 0) {
        const std::size_t len = rng() % 3 == 0 ? 1 + rng() % 300 : 1 + rng() % 20;
        if (len <= 60) {
          body.byte(static_cast<uint8_t>((len - 1) << 2));
        } else {
          body.byte(static_cast<uint8_t>(60 << 2 | (len - 1 > 255 ? 1 << 2 : 0)));
          body.byte(static_cast<uint8_t>(len - 1));
          if (len - 1 > 255) body.byte(static_cast<uint8_t>((len - 1) >> 8));
        }
        for (std::size_t i = 0; i < len; ++i) {
          const auto b = static_cast<uint8_t>(rng());
          body.byte(b);
          expect.push_back(b);
        }
        continue;
      }
      std::size_t offset = rng() % 2 ? 1 + rng() % std::min<std::size_t>(expect.size(), 70)
                                     : 1 + rng() % expect.size();
      std::size_t len;
      if (kind == 1 && offset < 2048) {
        len = 4 + rng() % 8;
        body.byte(static_cast<uint8_t>((offset >> 8) << 5 | (len - 4) << 2 | 1));
        body.byte(static_cast<uint8_t>(offset));
      } else if (kind == 2 || offset >= 2048) {
        len = 1 + rng() % 64;
        body.byte(static_cast<uint8_t>((len - 1) << 2 | 2));
        body.byte(static_cast<uint8_t>(offset));
        body.byte(static_cast<uint8_t>(offset >> 8));
      } else {
        len = 1 + rng() % 64;
        body.byte(static_cast<uint8_t>((len - 1) << 2 | 3));
        for (int i = 0; i < 4; ++i) body.byte(static_cast<uint8_t>(offset >> (8 * i)));
      }
      for (std::size_t i = 0; i < len; ++i) expect.push_back(expect[expect.size() - offset]);
    }
    ThriftWriter block;
    block.varint(expect.size());
    block.bytes.insert(block.bytes.end(), body.bytes.begin(), body.bytes.end());
    all_equal &= snappy(block.bytes) == expect;
  }
  check(all_equal, "snappy: 300 random blocks of every element form decode exactly");
}

// ---------------------------------------------------------------- RLE / bit-packed hybrid

// Encodes values as a sequence of runs: each entry of `plan` is {rle?, count}; a bit-packed
// run's count is rounded up to groups of 8 with zero padding appended to `values`.
Bytes rle_encode(std::vector<uint32_t>& values, int bit_width, const std::vector<std::pair<bool, std::size_t>>& plan) {
  ThriftWriter w;
  std::vector<uint32_t> padded;
  std::size_t pos = 0;
  for (const auto& [rle, count] : plan) {
    if (rle) {
      w.varint(count << 1);
      for (int i = 0; i < (bit_width + 7) / 8; ++i) w.byte(static_cast<uint8_t>(values[pos] >> (8 * i)));
      for (std::size_t i = 0; i < count; ++i) padded.push_back(values[pos]);
      pos += count;
      continue;
    }
    const std::size_t groups = (count + 7) / 8;
    w.varint(groups << 1 | 1);
    std::vector<uint8_t> bits(groups * static_cast<std::size_t>(bit_width), 0);
    for (std::size_t i = 0; i < groups * 8; ++i) {
      const uint32_t v = i < count ? values[pos + i] : 0;
      padded.push_back(v);
      for (int b = 0; b < bit_width; ++b) {
        const std::size_t bit = i * static_cast<std::size_t>(bit_width) + static_cast<std::size_t>(b);
        if ((v >> b) & 1) bits[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      }
    }
    w.bytes.insert(w.bytes.end(), bits.begin(), bits.end());
    pos += count;
  }
  values = padded;
  return w.bytes;
}

// Values for the plan: each RLE run repeats one random value, bit-packed runs are random.
std::vector<uint32_t> rle_values(int bit_width, const std::vector<std::pair<bool, std::size_t>>& plan,
                                 std::mt19937& rng) {
  const uint64_t mask = (uint64_t{1} << bit_width) - 1;
  std::vector<uint32_t> values;
  for (const auto& [rle, count] : plan) {
    const auto run_value = static_cast<uint32_t>(rng() & mask);
    for (std::size_t i = 0; i < count; ++i) values.push_back(rle ? run_value : static_cast<uint32_t>(rng() & mask));
  }
  // The extreme values appear at every width.
  if (!values.empty()) values.back() = static_cast<uint32_t>(mask);
  return values;
}

void test_rle_every_width() {
  std::mt19937 rng(99);
  const std::vector<std::pair<bool, std::size_t>> plan = {
      {true, 13}, {false, 24}, {true, 1}, {false, 5}, {true, 0}, {true, 1000}, {false, 400}, {false, 8}, {true, 3}};
  bool batches_ok = true, skips_ok = true, singles_ok = true, ends_ok = true;
  for (int width = 0; width <= 32; ++width) {
    std::vector<uint32_t> values = rle_values(width, plan, rng);
    const Bytes encoded = rle_encode(values, width, plan);
    // Batches of assorted sizes, crossing run and group boundaries.
    for (std::size_t batch : {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{9}, std::size_t{100}, std::size_t{5000}}) {
      RleBitPackedDecoder decoder(encoded.data(), encoded.size(), width);
      std::vector<uint32_t> got;
      std::vector<uint32_t> buffer(batch);
      while (std::size_t n = decoder.get_batch(buffer.data(), batch)) got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      batches_ok &= got == values;
    }
    // skip() and get_batch() alternating with changing sizes.
    RleBitPackedDecoder decoder(encoded.data(), encoded.size(), width);
    std::size_t pos = 0;
    for (int step = 0; pos < values.size(); ++step) {
      const std::size_t n = 1 + (rng() % 37);
      if (step % 2 == 0) {
        const std::size_t skipped = decoder.skip(n);
        skips_ok &= skipped == std::min(n, values.size() - pos);
        pos += skipped;
      } else {
        std::vector<uint32_t> out(n);
        const std::size_t got = decoder.get_batch(out.data(), n);
        skips_ok &= got == std::min(n, values.size() - pos);
        skips_ok &= std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(got), values.begin() + static_cast<std::ptrdiff_t>(pos));
        pos += got;
      }
    }
    uint32_t extra;
    ends_ok &= decoder.get_batch(&extra, 1) == 0 && decoder.skip(5) == 0;
    // next_value() one at a time between skips of changing sizes (0 included), to the end.
    RleBitPackedDecoder single(encoded.data(), encoded.size(), width);
    for (std::size_t at = 0; at < values.size();) {
      at += single.skip(rng() % 12);
      if (at >= values.size()) break;
      singles_ok &= single.next_value() == values[at++];
    }
    single.skip(values.size());
    ends_ok &= throws([&] { single.next_value(); });
  }
  check(batches_ok, "rle: every bit width 0..32 decodes in batches of 1, 3, 8, 9, 100, 5000");
  check(skips_ok, "rle: skip() and get_batch() mixed at every bit width");
  check(singles_ok, "rle: next_value() between skips at every bit width");
  check(ends_ok, "rle: nothing after the end of the data");
}

void test_rle_errors() {
  std::mt19937 rng(5);
  const std::vector<std::pair<bool, std::size_t>> plan = {{true, 20}, {false, 16}, {true, 7}, {false, 8}};
  bool truncation_ok = true;
  for (int width : {1, 3, 8, 13, 32}) {
    std::vector<uint32_t> values = rle_values(width, plan, rng);
    const Bytes encoded = rle_encode(values, width, plan);
    // A cut at a run boundary leaves fewer values; any other cut throws. Either way the
    // values returned are right.
    for (std::size_t n = 0; n < encoded.size(); ++n) {
      RleBitPackedDecoder decoder(encoded.data(), n, width);
      std::vector<uint32_t> out(values.size());
      try {
        const std::size_t got = decoder.get_batch(out.data(), out.size());
        truncation_ok &= got < values.size() && std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(got), values.begin());
      } catch (const ParquetError&) {
      }
    }
    // Inside the first bit-packed run's bytes: throws.
    const std::size_t inside = 1 + (width + 7) / 8 + 2;
    truncation_ok &= throws([&] {
      RleBitPackedDecoder decoder(encoded.data(), inside, width);
      std::vector<uint32_t> out(values.size());
      decoder.get_batch(out.data(), out.size());
    });
    truncation_ok &= throws([&] { RleBitPackedDecoder(encoded.data(), inside, width).skip(values.size()); });
  }
  check(truncation_ok, "rle: truncation returns the values before the cut or throws inside a run");
  const Bytes wide = {0x02, 0x05};  // an RLE run of 1 with value 5 at bit width 2
  check(throws([&] {
          uint32_t v;
          RleBitPackedDecoder(wide.data(), wide.size(), 2).get_batch(&v, 1);
        }),
        "rle: an RLE value wider than the bit width throws");
  check(throws([] { RleBitPackedDecoder(nullptr, 0, 33); }), "rle: bit width 33 throws");
  const Bytes endless = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  check(throws([&] {
          uint32_t v;
          RleBitPackedDecoder(endless.data(), endless.size(), 1).get_batch(&v, 1);
        }),
        "rle: a run header beyond 5 bytes throws");
}

// Dictionary indices: every index below the dictionary's size passes, the first one at or
// above it throws naming it, at every bit width (the check is skipped only where the width
// cannot hold an index out of range).
void test_dictionary_indices() {
  std::mt19937 rng(11);
  // 37 indices: 24 bit-packed, then a run of 13 copies of one.
  auto page_of = [](const std::vector<uint32_t>& values, int width, Bytes& bytes) {
    std::vector<uint32_t> copy = values;
    bytes = {static_cast<uint8_t>(width)};
    const Bytes encoded = rle_encode(copy, width, {{false, 24}, {true, 13}});
    bytes.insert(bytes.end(), encoded.begin(), encoded.end());
    const auto count = static_cast<int32_t>(values.size());
    return DataPage{count, count, Encoding::RleDictionary, {bytes.data(), bytes.size()}, nullptr};
  };
  bool in_range = true, named = true;
  for (int width = 1; width <= 32; ++width) {
    const uint64_t top = uint64_t{1} << width;  // indices of this width are below it
    for (uint64_t size : {top / 2 + 1, top - 1, top, top + 5}) {
      std::vector<uint32_t> values(37);
      for (auto& v : values) v = static_cast<uint32_t>(rng() % std::min(size, top));
      std::fill(values.begin() + 24, values.end(), values[24]);
      Bytes bytes;
      std::vector<uint32_t> out;
      detail::decode_indices(page_of(values, width, bytes), size, out);
      in_range &= out == values;
      if (size >= top) continue;
      // The index at the dictionary's size as value 5 (bit-packed), then as the run's value.
      for (const auto& [from, to] : {std::pair{5, 6}, std::pair{24, 37}}) {
        std::vector<uint32_t> bad = values;
        std::fill(bad.begin() + from, bad.begin() + to, static_cast<uint32_t>(size));
        std::string message;
        try {
          detail::decode_indices(page_of(bad, width, bytes), size, out);
        } catch (const ParquetError& e) {
          message = e.what();
        }
        named &= message.find("dictionary index " + std::to_string(size) + " out of range for a dictionary of " +
                              std::to_string(size) + " values") != std::string::npos;
      }
    }
  }
  check(in_range, "decode_indices: indices below the dictionary's size decode, every width");
  check(named, "decode_indices: an index at the dictionary's size throws naming it, every width");
}

// ---------------------------------------------------------------- metadata, hand-built

// A footer with legacy annotations (converted types only), legacy statistics, a long-form
// field id, unknown fields of nested types at every level, and an encryption algorithm.
Bytes hand_built_footer() {
  ThriftWriter w;
  w.begin_struct_value();
  w.i32(1, 1);
  w.list(2, ThriftType::Struct, 4);
  w.begin_struct_value();  // root
  w.binary(4, "schema");
  w.i32(5, 3);
  w.end_struct();
  w.begin_struct_value();  // a legacy decimal
  w.i32(1, 1);
  w.i32(3, 1);
  w.binary(4, "price");
  w.i32(6, 5);
  w.i32(7, 2);
  w.i32(8, 9);
  w.end_struct();
  w.begin_struct_value();  // a legacy timestamp with an unknown nested field
  w.i32(1, 2);
  w.i32(3, 0);
  w.binary(4, "ts");
  w.i32(6, 9);
  w.field(40, ThriftType::List);
  w.list_header(ThriftType::Struct, 1);
  w.begin_struct_value();
  w.field(1, ThriftType::Map);
  w.varint(1);
  w.byte(static_cast<uint8_t>(ThriftType::I32) << 4 | static_cast<uint8_t>(ThriftType::List));
  w.zigzag(1);
  w.list_header(ThriftType::Double, 1);
  w.double_value(1.0);
  w.end_struct();
  w.end_struct();
  w.begin_struct_value();  // a legacy UINT_16 with a field id
  w.i32(1, 1);
  w.i32(3, 1);
  w.binary(4, "u16");
  w.i32(6, 12);
  w.i32(9, 7);
  w.end_struct();
  w.i64(3, 5);
  w.list(4, ThriftType::Struct, 1);
  w.begin_struct_value();  // row group
  w.list(1, ThriftType::Struct, 1);
  w.begin_struct_value();  // column chunk
  w.binary(1, "other.parquet");
  w.i64(2, 4);
  w.begin_struct(3);
  w.i32(1, 1);
  w.list(2, ThriftType::I32, 2);
  w.zigzag(0);
  w.zigzag(3);
  w.list(3, ThriftType::Binary, 1);
  w.binary_value("price");
  w.i32(4, 1);
  w.i64(5, 5);
  w.i64(6, 100);
  w.i64(7, 80);
  w.i64(9, 4);
  w.begin_struct(12);
  w.binary(1, "MAX");
  w.binary(2, "MIN");
  w.i64(3, 2);
  w.end_struct();
  w.field(200, ThriftType::Set);  // an unknown field with a long-form id
  w.list_header(ThriftType::BoolTrue, 1);
  w.byte(1);
  w.end_struct();
  w.end_struct();
  w.i64(2, 100);
  w.i64(3, 5);
  w.end_struct();
  w.field(5, ThriftType::List);
  w.list_header(ThriftType::Struct, 1);
  w.begin_struct_value();
  w.binary(1, "k");
  w.end_struct();
  w.binary(6, "hand");
  w.begin_struct(8);  // encryption_algorithm
  w.begin_struct(1);
  w.end_struct();
  w.end_struct();
  w.end_struct();
  return w.bytes;
}

void test_metadata_hand_built() {
  using Kind = LogicalType::Kind;
  const Bytes footer = hand_built_footer();
  const FileMetaData meta = parse_file_metadata(footer.data(), footer.size());
  check(meta.version == 1 && meta.num_rows == 5 && meta.schema.size() == 4, "metadata: version, rows, schema size");
  check(meta.schema[0].name == "schema" && meta.schema[0].num_children == 3 && !meta.schema[0].type &&
            !meta.schema[0].repetition,
        "metadata: the root element");
  const LogicalType& price = meta.schema[1].logical;
  check(price.kind == Kind::Decimal && price.scale == 2 && price.precision == 9 && meta.schema[1].converted_type == 5,
        "metadata: DECIMAL converted type -> Decimal with the element's scale and precision");
  const LogicalType& ts = meta.schema[2].logical;
  check(ts.kind == Kind::Timestamp && ts.unit == TimeUnit::Millis && ts.adjusted_to_utc &&
            meta.schema[2].repetition == Repetition::Required,
        "metadata: TIMESTAMP_MILLIS -> Timestamp(ms, UTC); unknown nested fields skipped");
  const LogicalType& u16 = meta.schema[3].logical;
  check(u16.kind == Kind::Integer && u16.bit_width == 16 && !u16.is_signed && meta.schema[3].field_id == 7,
        "metadata: UINT_16 -> Integer(16, unsigned); field_id");
  const ColumnChunkMeta& column = meta.row_groups.at(0).columns.at(0);
  check(column.path == std::vector<std::string>{"price"} && column.type == PhysicalType::Int32 &&
            column.codec == Codec::Snappy && column.num_values == 5 && column.total_uncompressed_size == 100 &&
            column.total_compressed_size == 80 && column.data_page_offset == 4 && !column.dictionary_page_offset &&
            column.encodings == std::vector<Encoding>{Encoding::Plain, Encoding::Rle},
        "metadata: column chunk fields");
  check(column.file_path == "other.parquet", "metadata: a column chunk's file_path");
  check(column.statistics && column.statistics->min_value == "MIN" && column.statistics->max_value == "MAX" &&
            column.statistics->min_max_deprecated && column.statistics->null_count == 2,
        "metadata: legacy min/max statistics are used and marked deprecated");
  check(meta.key_value_metadata.size() == 1 && meta.key_value_metadata[0].first == "k" &&
            meta.key_value_metadata[0].second.empty(),
        "metadata: a key without a value");
  check(meta.created_by == "hand" && meta.encrypted, "metadata: created_by; encryption_algorithm marks it encrypted");

  bool truncations = true;
  for (std::size_t n = 0; n < footer.size(); ++n) truncations &= throws([&] { parse_file_metadata(footer.data(), n); });
  check(truncations, "metadata: a footer cut at every byte throws");

  // A required field missing: the row group's num_rows.
  ThriftWriter missing;
  missing.begin_struct_value();
  missing.i32(1, 1);
  missing.list(2, ThriftType::Struct, 1);
  missing.begin_struct_value();
  missing.binary(4, "root");
  missing.end_struct();
  missing.i64(3, 0);
  missing.list(4, ThriftType::Struct, 1);
  missing.begin_struct_value();
  missing.list(1, ThriftType::Struct, 0);
  missing.i64(2, 0);
  missing.end_struct();
  missing.end_struct();
  check(throws([&] { parse_file_metadata(missing.bytes.data(), missing.bytes.size()); }),
        "metadata: a missing required field throws");
  // A known field with the wrong Thrift type: version as a string.
  ThriftWriter wrong;
  wrong.begin_struct_value();
  wrong.binary(1, "x");
  wrong.end_struct();
  check(throws([&] { parse_file_metadata(wrong.bytes.data(), wrong.bytes.size()); }),
        "metadata: a field of the wrong Thrift type throws");
}

void test_page_header_hand_built() {
  ThriftWriter w;
  w.begin_struct_value();
  w.i32(1, 3);  // DATA_PAGE_V2
  w.i32(2, 120);
  w.i32(3, 100);
  w.i32(4, 12345);  // crc, skipped
  w.begin_struct(8);
  w.i32(1, 10);
  w.i32(2, 2);
  w.i32(3, 10);
  w.i32(4, 8);
  w.i32(5, 3);
  w.i32(6, 0);
  w.boolean(7, false);
  w.begin_struct(8);  // statistics, skipped
  w.binary(5, "max");
  w.end_struct();
  w.end_struct();
  w.end_struct();
  const std::size_t size = w.bytes.size();
  w.bytes.insert(w.bytes.end(), 100, 0xee);  // the page's data follows
  const PageHeader h = parse_page_header(w.bytes.data(), w.bytes.size());
  check(h.type == PageType::DataPageV2 && h.uncompressed_page_size == 120 && h.compressed_page_size == 100 &&
            h.header_size == size && !h.data && !h.dictionary,
        "page header: v2 type, sizes and header_size");
  check(h.data_v2 && h.data_v2->num_values == 10 && h.data_v2->num_nulls == 2 && h.data_v2->num_rows == 10 &&
            h.data_v2->encoding == Encoding::RleDictionary && h.data_v2->definition_levels_byte_length == 3 &&
            h.data_v2->repetition_levels_byte_length == 0 && !h.data_v2->is_compressed,
        "page header: DataPageHeaderV2 fields");
  bool truncations = true;
  for (std::size_t n = 0; n < size; ++n) truncations &= throws([&] { parse_page_header(w.bytes.data(), n); });
  check(truncations, "page header: cut at every byte throws");

  ThriftWriter no_data;  // a DATA_PAGE without its data_page_header
  no_data.begin_struct_value();
  no_data.i32(1, 0);
  no_data.i32(2, 1);
  no_data.i32(3, 1);
  no_data.end_struct();
  check(throws([&] { parse_page_header(no_data.bytes.data(), no_data.bytes.size()); }),
        "page header: a data page without its header throws");
  ThriftWriter negative;
  negative.begin_struct_value();
  negative.i32(1, 2);
  negative.i32(2, 1);
  negative.i32(3, -1);
  negative.end_struct();
  check(throws([&] { parse_page_header(negative.bytes.data(), negative.bytes.size()); }),
        "page header: a negative page size throws");
}

// ---------------------------------------------------------------- pyarrow's files

struct PageWalk {
  bool ok = true;  // headers parse, sizes stay in the chunk, Snappy pages decompress
  int dictionary_pages = 0, data_pages = 0, data_pages_v2 = 0;
  int64_t values = 0;
  std::vector<std::pair<PageHeader, Bytes>> pages;  // header, uncompressed page
};

// Walks every page of a column chunk of `file`, decompressing each.
PageWalk walk_pages(const Bytes& file, const ColumnChunkMeta& column) {
  PageWalk walk, failed;
  failed.ok = false;
  std::size_t pos = static_cast<std::size_t>(column.dictionary_page_offset.value_or(column.data_page_offset));
  const std::size_t end = pos + static_cast<std::size_t>(column.total_compressed_size);
  if (end > file.size()) return failed;
  while (pos < end) {
    const PageHeader h = parse_page_header(file.data() + pos, end - pos);
    pos += h.header_size;
    if (pos + static_cast<std::size_t>(h.compressed_page_size) > end) return failed;
    const uint8_t* page = file.data() + pos;
    pos += static_cast<std::size_t>(h.compressed_page_size);
    Bytes data(static_cast<std::size_t>(h.uncompressed_page_size));
    // A v2 page's levels precede the (maybe) compressed values, uncompressed.
    std::size_t levels = 0;
    if (h.data_v2) {
      levels = static_cast<std::size_t>(h.data_v2->definition_levels_byte_length + h.data_v2->repetition_levels_byte_length);
      std::memcpy(data.data(), page, levels);
    }
    const bool compressed = column.codec == Codec::Snappy && !(h.data_v2 && !h.data_v2->is_compressed);
    if (compressed) {
      snappy_decompress(page + levels, static_cast<std::size_t>(h.compressed_page_size) - levels, data.data() + levels,
                        data.size() - levels);
    } else {
      walk.ok &= h.compressed_page_size == h.uncompressed_page_size;
      std::memcpy(data.data(), page, data.size());
    }
    if (h.type == PageType::DictionaryPage) ++walk.dictionary_pages;
    if (h.data) {
      ++walk.data_pages;
      walk.values += h.data->num_values;
    }
    if (h.data_v2) {
      ++walk.data_pages_v2;
      walk.values += h.data_v2->num_values;
    }
    walk.pages.emplace_back(h, std::move(data));
  }
  walk.ok &= pos == end;
  return walk;
}

int column_index(const FileMetaData& meta, const std::string& name) {
  const auto& columns = meta.row_groups.at(0).columns;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].path.front() == name) return static_cast<int>(i);
  }
  return -1;
}

void check_typed_schema(const FileMetaData& meta, const char* file) {
  using Kind = LogicalType::Kind;
  const std::string prefix = std::string(file) + ": ";
  const std::vector<std::string> names = {"schema", "id", "qty", "price", "flag", "comment", "amount",
                                          "day",    "ts_utc", "ts_ms", "ok", "tiny", "u16"};
  bool names_ok = meta.schema.size() == names.size();
  for (std::size_t i = 0; names_ok && i < names.size(); ++i) names_ok &= meta.schema[i].name == names[i];
  check(names_ok && meta.schema[0].num_children == 12, (prefix + "schema names").c_str());
  auto element = [&](const char* name) -> const SchemaElement& {
    return *std::find_if(meta.schema.begin(), meta.schema.end(), [&](const auto& e) { return e.name == name; });
  };
  check(element("id").type == PhysicalType::Int32 && element("qty").type == PhysicalType::Int64 &&
            element("price").type == PhysicalType::Double && element("flag").type == PhysicalType::ByteArray &&
            element("ok").type == PhysicalType::Boolean && element("amount").type == PhysicalType::FixedLenByteArray &&
            element("amount").type_length == 7 && element("qty").repetition == Repetition::Optional,
        (prefix + "physical types and repetition").c_str());
  const LogicalType& amount = element("amount").logical;
  const LogicalType& ts_utc = element("ts_utc").logical;
  const LogicalType& ts_ms = element("ts_ms").logical;
  check(element("flag").logical.kind == Kind::String && element("id").logical.kind == Kind::None &&
            amount.kind == Kind::Decimal && amount.precision == 15 && amount.scale == 2 &&
            element("day").logical.kind == Kind::Date,
        (prefix + "logical types: String, Decimal(15, 2), Date").c_str());
  check(ts_utc.kind == Kind::Timestamp && ts_utc.unit == TimeUnit::Micros && ts_utc.adjusted_to_utc &&
            ts_ms.kind == Kind::Timestamp && ts_ms.unit == TimeUnit::Millis && !ts_ms.adjusted_to_utc,
        (prefix + "logical types: Timestamp(us, UTC), Timestamp(ms)").c_str());
  const LogicalType& tiny = element("tiny").logical;
  const LogicalType& u16 = element("u16").logical;
  check(tiny.kind == Kind::Integer && tiny.bit_width == 8 && tiny.is_signed && u16.kind == Kind::Integer &&
            u16.bit_width == 16 && !u16.is_signed,
        (prefix + "logical types: Integer(8, signed), Integer(16, unsigned)").c_str());
  bool arrow_schema = false;
  for (const auto& [key, value] : meta.key_value_metadata) arrow_schema |= key == "ARROW:schema" && !value.empty();
  check(arrow_schema && meta.created_by && meta.created_by->starts_with("parquet-cpp-arrow") && !meta.encrypted,
        (prefix + "key-value metadata and created_by").c_str());
}

// Decodes the definition levels of every data page of a v1 or v2 chunk with maximal
// definition level 1, returning the number of nulls (levels equal to 0).
int64_t count_nulls(const PageWalk& walk) {
  int64_t nulls = 0;
  for (const auto& [h, data] : walk.pages) {
    std::size_t levels_size = 0, offset = 0, values = 0;
    if (h.data) {  // v1: a 4-byte little-endian length, then the RLE levels
      levels_size = data[0] | data[1] << 8 | data[2] << 16 | static_cast<std::size_t>(data[3]) << 24;
      offset = 4;
      values = static_cast<std::size_t>(h.data->num_values);
    } else if (h.data_v2) {
      levels_size = static_cast<std::size_t>(h.data_v2->definition_levels_byte_length);
      values = static_cast<std::size_t>(h.data_v2->num_values);
    } else {
      continue;
    }
    std::vector<uint32_t> levels(values);
    RleBitPackedDecoder decoder(data.data() + offset, levels_size, 1);
    if (decoder.get_batch(levels.data(), values) != values) return -1;
    nulls += std::count(levels.begin(), levels.end(), 0u);
    if (h.data_v2 && std::count(levels.begin(), levels.end(), 0u) != h.data_v2->num_nulls) return -1;
  }
  return nulls;
}

void test_typed_snappy_v1() {
  const std::string path = data_path("typed_snappy_v1.parquet");
  const FileMetaData meta = read_file_metadata(path);
  check_typed_schema(meta, "typed_snappy_v1");
  check(meta.num_rows == 120 && meta.row_groups.size() == 3, "typed_snappy_v1: 120 rows in 3 row groups");
  bool groups_ok = true, walks_ok = true, codecs_ok = true, dictionaries_ok = true, nulls_ok = true;
  const Bytes file = read_file(path);
  for (const RowGroupMeta& group : meta.row_groups) {
    groups_ok &= group.num_rows == 40 && group.columns.size() == 12 && group.total_byte_size > 0;
    for (const ColumnChunkMeta& column : group.columns) {
      codecs_ok &= column.codec == Codec::Snappy && column.num_values == 40 && !column.file_path;
      const PageWalk walk = walk_pages(file, column);
      walks_ok &= walk.ok && walk.values == column.num_values && walk.data_pages >= 1 && walk.data_pages_v2 == 0;
      const bool dictionary = column.dictionary_page_offset.has_value();
      dictionaries_ok &= walk.dictionary_pages == (dictionary ? 1 : 0);
      if (dictionary) {
        dictionaries_ok &= walk.pages.front().first.dictionary.has_value() &&
                           walk.pages.at(1).first.data->encoding == Encoding::RleDictionary;
      }
      if (column.statistics && column.statistics->null_count) {
        nulls_ok &= count_nulls(walk) == *column.statistics->null_count;
      }
    }
  }
  check(groups_ok && codecs_ok, "typed_snappy_v1: row groups of 40 rows, Snappy chunks of 40 values");
  check(walks_ok, "typed_snappy_v1: every page of every chunk parses and decompresses; data-page values sum to num_values");
  check(dictionaries_ok, "typed_snappy_v1: a dictionary page first, then RLE_DICTIONARY data pages");
  check(nulls_ok, "typed_snappy_v1: definition levels (RLE decoder) count the statistics' nulls");

  // Dictionary indices of the first data page of `flag` (three distinct strings).
  const ColumnChunkMeta& flag = meta.row_groups[0].columns.at(static_cast<std::size_t>(column_index(meta, "flag")));
  const PageWalk walk = walk_pages(file, flag);
  const auto& [dict_header, dict_data] = walk.pages.at(0);
  const auto& [h, data] = walk.pages.at(1);
  const std::size_t levels = 4 + (data[0] | data[1] << 8 | data[2] << 16 | static_cast<std::size_t>(data[3]) << 24);
  const int bit_width = data.at(levels);
  RleBitPackedDecoder indices(data.data() + levels + 1, data.size() - levels - 1, bit_width);
  std::vector<uint32_t> ids(static_cast<std::size_t>(h.data->num_values));
  const std::size_t got = indices.get_batch(ids.data(), ids.size());
  check(dict_header.dictionary->num_values == 3 && got == ids.size() &&
            std::all_of(ids.begin(), ids.end(), [](uint32_t id) { return id < 3; }),
        "typed_snappy_v1: dictionary indices decode below the dictionary's size");

  const ColumnChunkMeta& id = meta.row_groups[1].columns.at(0);
  check(id.statistics && id.statistics->min_value == std::string("\x28\0\0\0", 4) &&
            id.statistics->max_value == std::string("\x4f\0\0\0", 4) && !id.statistics->min_max_deprecated &&
            id.statistics->null_count == 0,
        "typed_snappy_v1: statistics of id in row group 1 (40..79)");
}

void test_typed_plain_v2() {
  const std::string path = data_path("typed_plain_v2.parquet");
  const FileMetaData meta = read_file_metadata(path);
  check_typed_schema(meta, "typed_plain_v2");
  check(meta.num_rows == 160 && meta.row_groups.size() == 2, "typed_plain_v2: 160 rows in 2 row groups");
  const Bytes file = read_file(path);
  bool walks_ok = true, several_pages = false, plain = true;
  int64_t qty_nulls = 0;
  for (const RowGroupMeta& group : meta.row_groups) {
    for (const ColumnChunkMeta& column : group.columns) {
      const PageWalk walk = walk_pages(file, column);
      walks_ok &= column.codec == Codec::Uncompressed && !column.statistics && walk.ok &&
                  walk.values == column.num_values && walk.data_pages == 0 && walk.dictionary_pages == 0;
      several_pages |= walk.data_pages_v2 > 1;
      for (const auto& [h, data] : walk.pages) {
        plain &= h.data_v2->encoding == (column.type == PhysicalType::Boolean ? Encoding::Rle : Encoding::Plain);
      }
      if (column.path.front() == "qty") qty_nulls += count_nulls(walk);
    }
  }
  check(walks_ok, "typed_plain_v2: every page parses; v2 data-page values sum to num_values");
  check(several_pages, "typed_plain_v2: chunks of several pages");
  check(plain, "typed_plain_v2: PLAIN pages (RLE for booleans)");
  check(qty_nulls == 160 / 7 + 1, "typed_plain_v2: v2 definition levels count qty's nulls");
}

void test_nested_snappy_v2() {
  using Kind = LogicalType::Kind;
  const std::string path = data_path("nested_snappy_v2.parquet");
  const FileMetaData meta = read_file_metadata(path);
  check(meta.schema.size() == 5 && meta.schema[1].name == "key" && meta.schema[1].field_id == 42 &&
            meta.schema[1].repetition == Repetition::Required,
        "nested_snappy_v2: a required column with field id 42");
  check(meta.schema[2].name == "tags" && meta.schema[2].logical.kind == Kind::List && !meta.schema[2].type &&
            meta.schema[2].num_children == 1 && meta.schema[3].repetition == Repetition::Repeated &&
            meta.schema[4].name == "element" && meta.schema[4].type == PhysicalType::Int32,
        "nested_snappy_v2: a LIST group, its repeated group and element");
  const Bytes file = read_file(path);
  const ColumnChunkMeta& tags = meta.row_groups.at(0).columns.at(1);
  check(tags.path == std::vector<std::string>{"tags", "list", "element"}, "nested_snappy_v2: the element's path");
  bool walks_ok = true;
  for (const ColumnChunkMeta& column : meta.row_groups.at(0).columns) {
    const PageWalk walk = walk_pages(file, column);
    walks_ok &= column.codec == Codec::Snappy && walk.ok && walk.values == column.num_values && walk.data_pages_v2 >= 1;
  }
  check(walks_ok && tags.num_values > meta.num_rows, "nested_snappy_v2: v2 Snappy pages walk; a list has more values than rows");
}

void test_fixture_corruption() {
  // Every truncation of a real footer throws; corrupting any byte throws or parses.
  const Bytes file = read_file(data_path("typed_snappy_v1.parquet"));
  const std::size_t footer_size = file[file.size() - 8] | file[file.size() - 7] << 8 | file[file.size() - 6] << 16 |
                                  static_cast<std::size_t>(file[file.size() - 5]) << 24;
  const uint8_t* footer = file.data() + file.size() - 8 - footer_size;
  bool truncations = true;
  for (std::size_t n = 0; n < footer_size; ++n) truncations &= throws([&] { parse_file_metadata(footer, n); });
  check(truncations, "typed_snappy_v1: the footer cut at every byte throws");
  int corrupt = 0, detected = 0;
  for (std::size_t i = 0; i < footer_size; ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x10}, uint8_t{0x80}}) {
      Bytes bad(footer, footer + footer_size);
      bad[i] ^= flip;
      ++corrupt;
      detected += throws([&] { parse_file_metadata(bad.data(), bad.size()); });
    }
  }
  std::printf("  %d of %d corrupted footers throw\n", detected, corrupt);
  check(detected > 0, "typed_snappy_v1: corrupting any footer byte parses or throws ParquetError");

  // Files that are not Parquet, are encrypted, or are cut short.
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string stem = (dir / ("headrace_parquet_test_" + std::to_string(std::random_device{}()))).string();
  auto write = [&](const std::string& name, const Bytes& bytes) {
    std::ofstream(stem + name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                      static_cast<std::streamsize>(bytes.size()));
    return stem + name;
  };
  auto message = [](const std::string& p) {
    try {
      read_file_metadata(p);
    } catch (const ParquetError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  Bytes encrypted = file;
  std::memcpy(encrypted.data(), "PARE", 4);
  std::memcpy(encrypted.data() + encrypted.size() - 4, "PARE", 4);
  check(message(write("encrypted", encrypted)).find("encrypted") != std::string::npos,
        "read_file_metadata: an encrypted footer (PARE) throws saying so");
  Bytes not_parquet = file;
  not_parquet[0] = 'X';
  check(message(write("magic", not_parquet)).find("not a Parquet file") != std::string::npos,
        "read_file_metadata: a wrong magic throws");
  check(!message(write("short", Bytes(file.begin(), file.begin() + 10))).empty(), "read_file_metadata: a tiny file throws");
  Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(file.size() / 2));
  cut.insert(cut.end(), file.end() - 8, file.end());  // the trailer, its footer length now too long
  check(!message(write("cut", cut)).empty(), "read_file_metadata: a footer length beyond the file throws");
  check(!message(stem + "missing").empty(), "read_file_metadata: a missing file throws");
  for (const char* name : {"encrypted", "magic", "short", "cut"}) std::filesystem::remove(stem + name);
}

// The decoders share no mutable state: several threads decode the same inputs at once
// (ThreadSanitizer checks it) and all get the right answers.
void test_concurrent_decoding() {
  const std::vector<SnappyVector> vectors = load_snappy_vectors();
  const std::string path = data_path("typed_snappy_v1.parquet");
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      bool all = true;
      for (int round = 0; round < 5; ++round) {
        for (const SnappyVector& v : vectors) all &= snappy(v.compressed) == v.raw;
        all &= read_file_metadata(path).num_rows == 120;
        std::vector<uint32_t> values(100);
        std::vector<uint32_t> plan_values = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
        const Bytes encoded = rle_encode(plan_values, 4, {{true, 10}});
        all &= RleBitPackedDecoder(encoded.data(), encoded.size(), 4).get_batch(values.data(), 100) == 10;
      }
      ok[static_cast<std::size_t>(t)] = all;
    });
  }
  for (std::thread& thread : threads) thread.join();
  check(std::all_of(ok.begin(), ok.end(), [](int v) { return v == 1; }), "four threads decode the same inputs at once");
}

}  // namespace

int main() {
  test_thrift_values();
  test_thrift_varints();
  test_thrift_depth_limit();
  test_snappy_vectors();
  test_snappy_hand_built();
  test_snappy_random_streams();
  test_rle_every_width();
  test_rle_errors();
  test_dictionary_indices();
  test_metadata_hand_built();
  test_page_header_hand_built();
  test_typed_snappy_v1();
  test_typed_plain_v2();
  test_nested_snappy_v2();
  test_fixture_corruption();
  test_concurrent_decoding();
  return headrace::testing::exit_code();
}

// Native test of the CPU dispatch of the column-hash loops: every path this CPU can run
// (hash_path.h), the portable one included, gives the hashes of a row-by-row reference
// written here from hash.h's functions, bit for bit, for every fixed-width type,
// with and without nulls, sliced (offsets 0-9, so the validity bits start mid-byte), all
// lengths 0-67 (every tail of the 4- and 8-lane loops), as the first key column and mixed
// into a running hash, and through a dictionary. Buffers are exactly as long as the rows
// need, so AddressSanitizer catches a vector load past the end. HEADRACE_CPU=portable,
// set before the first hash, caps the path chosen for the process.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "kernels/cpu_features.h"
#include "kernels/hash.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using headrace::testing::check;

namespace {

Field field(TypeId id) { return Field{"k", DataType{id}, true, nullptr, {}}; }

// Random values of every width, with floats that include -0.0, 0.0, NaNs, infinities and
// subnormals so the canonicalization is exercised on every path.
std::vector<unsigned char> random_values(std::mt19937_64& rng, TypeId id, int64_t count) {
  const int width = DataType{id}.byte_width();
  std::vector<unsigned char> bytes(static_cast<std::size_t>(count * width));
  for (int64_t i = 0; i < count; ++i) {
    uint64_t bits = rng();
    if (id == TypeId::kFloat64) {
      const double specials[] = {0.0, -0.0, std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::infinity(), std::numeric_limits<double>::denorm_min(), 1.5};
      if (rng() % 2 == 0) std::memcpy(&bits, &specials[rng() % 7], 8);
      if (rng() % 8 == 0) bits |= 0x7ff0000000000000ULL;  // a NaN with a random payload (or an infinity)
    } else if (id == TypeId::kFloat32) {
      const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::signaling_NaN(),
                                -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(), 1.5f};
      uint32_t word = static_cast<uint32_t>(bits);
      if (rng() % 2 == 0) std::memcpy(&word, &specials[rng() % 7], 4);
      bits = word;
    }
    std::memcpy(bytes.data() + i * width, &bits, static_cast<std::size_t>(width));
  }
  return bytes;
}

// Rows [offset, offset + length) of the values, with a validity bitmap of exactly the bytes
// those rows need if `nulls`.
struct Column {
  std::vector<unsigned char> values;
  std::vector<uint8_t> validity;
  ArrayData data;

  Column(std::mt19937_64& rng, TypeId id, int64_t offset, int64_t length, bool nulls)
      : values(random_values(rng, id, offset + length)) {
    if (nulls) {
      validity.resize(static_cast<std::size_t>((offset + length + 7) / 8));
      for (auto& byte : validity) byte = static_cast<uint8_t>(rng());
    }
    data.length = length;
    data.offset = offset;
    data.null_count = nulls ? -1 : 0;
    data.buffers = {nulls ? validity.data() : nullptr, values.data()};
  }
};

// The 64 bits a value is hashed as (hash.h): integers widened, floats canonicalized.
uint64_t reference_bits(const unsigned char* p, TypeId id) {
  auto read = [p]<typename T>(T) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
  };
  auto float_bits = [](double d) {
    if (d == 0.0) d = 0.0;
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    return bits;
  };
  switch (id) {
    case TypeId::kInt8: return static_cast<uint64_t>(static_cast<int64_t>(read(int8_t{})));
    case TypeId::kUInt8: return read(uint8_t{});
    case TypeId::kInt16: return static_cast<uint64_t>(static_cast<int64_t>(read(int16_t{})));
    case TypeId::kUInt16: return read(uint16_t{});
    case TypeId::kInt32: case TypeId::kDate32: return static_cast<uint64_t>(static_cast<int64_t>(read(int32_t{})));
    case TypeId::kUInt32: return read(uint32_t{});
    case TypeId::kFloat32: return float_bits(read(float{}));
    case TypeId::kFloat64: return float_bits(read(double{}));
    default: return read(uint64_t{});
  }
}

std::vector<uint64_t> reference(const ArrayData& data, TypeId id, std::size_t position, std::vector<uint64_t> running) {
  const auto* values = static_cast<const unsigned char*>(data.buffers[1]);
  const auto* validity = static_cast<const uint8_t*>(data.buffers[0]);
  const int width = DataType{id}.byte_width();
  for (int64_t i = 0; i < data.length; ++i) {
    const int64_t row = data.offset + i;
    const bool valid = validity == nullptr || ((validity[row >> 3] >> (row & 7)) & 1);
    const uint64_t h = valid ? hash_u64(reference_bits(values + row * width, id)) : null_hash(position);
    auto& out = running[static_cast<std::size_t>(i)];
    out = position == 0 ? h : combine_hashes(out, h);
  }
  return running;
}

std::vector<uint64_t> hashed(const ArrayData& data, const Field& f, std::size_t position, HashPath path,
                             const std::vector<uint64_t>& running) {
  std::vector<uint64_t> out = running;
  hash_column(data, f, position, out, path);
  return out;
}

const TypeId kFixedTypes[] = {TypeId::kInt8,  TypeId::kUInt8,  TypeId::kInt16,  TypeId::kUInt16, TypeId::kInt32,
                              TypeId::kUInt32, TypeId::kInt64, TypeId::kUInt64, TypeId::kFloat32, TypeId::kFloat64,
                              TypeId::kDate32, TypeId::kTimestamp};

void test_paths_agree(HashPath path) {
  std::mt19937_64 rng(42);
  int cases = 0, mismatches = 0;
  for (TypeId id : kFixedTypes) {
    const Field f = field(id);
    for (int64_t length = 0; length <= 67; ++length) {
      for (int64_t offset : {0, 1, 3, 7, 8, 9}) {
        for (bool nulls : {false, true}) {
          const Column column(rng, id, offset, length, nulls);
          std::vector<uint64_t> running(static_cast<std::size_t>(length));
          for (auto& h : running) h = rng();
          for (std::size_t position : {0, 1}) {
            ++cases;
            if (hashed(column.data, f, position, path, running) != reference(column.data, id, position, running)) {
              ++mismatches;
            }
          }
        }
      }
    }
  }
  const std::string what = std::string(to_string(path)) + " gives the reference hashes in " + std::to_string(cases) +
                           " cases (" + std::to_string(mismatches) + " differ)";
  check(mismatches == 0, what.c_str());
}

// A dictionary's values are hashed by the fixed-width loop of the path too.
void test_dictionary(HashPath path) {
  std::mt19937_64 rng(7);
  const Column dictionary(rng, TypeId::kFloat64, 0, 29, true);
  std::vector<int32_t> indices(1000);
  for (auto& index : indices) index = static_cast<int32_t>(rng() % 29);
  ArrayData data;
  data.length = static_cast<int64_t>(indices.size());
  data.buffers = {nullptr, indices.data()};
  data.dictionary = std::make_shared<ArrayData>(dictionary.data);
  Field f = field(TypeId::kInt32);
  f.dictionary = std::make_shared<Field>(field(TypeId::kFloat64));
  const std::vector<uint64_t> zeros(indices.size());
  const std::string what = std::string(to_string(path)) + ": a float64 dictionary hashes as on the portable path";
  check(hashed(data, f, 0, path, zeros) == hashed(data, f, 0, HashPath::kPortable, zeros), what.c_str());
}

}  // namespace

int main() {
  // Before the first hash_column without a path: the process's path is chosen once.
#ifdef _WIN32
  _putenv_s("HEADRACE_CPU", "portable");
#else
  setenv("HEADRACE_CPU", "portable", 1);
#endif
  check(hash_path() == HashPath::kPortable, "HEADRACE_CPU=portable caps the chosen path");
  const std::vector<HashPath> paths = available_hash_paths();
  std::printf("cpu features: '%s'; paths:", to_string(cpu_features()).c_str());
  for (HashPath path : paths) std::printf(" %s", std::string(to_string(path)).c_str());
  std::printf("\n");
  check(paths.front() == HashPath::kPortable, "the portable path is always available");
  for (HashPath path : paths) {
    test_paths_agree(path);
    test_dictionary(path);
  }
  return headrace::testing::exit_code();
}

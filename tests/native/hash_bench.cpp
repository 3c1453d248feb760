// Times hash_column on every path this CPU can run (hash_path.h): 10M rows of int64,
// int32, float64, int64 with 10% nulls, short (8-12 bytes) and long (40-56 bytes) utf8
// strings, and a three-column key (int64, int32, float64: the later columns mixed into
// the running hash). Batches of 64K rows, as a scan delivers them, into one reused hash
// buffer; the best of five runs per path, in CPU time of the process (std::clock: on a
// shared machine, time spent descheduled would swamp the differences; on Windows clock()
// is wall time). Not a ctest test: run by hand,
// `hash_bench [int64] [int32] [float64] [nulls] [short] [long] [multi]`.
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "arrays.h"
#include "arrow/builder.h"
#include "bench.h"
#include "kernels/cpu_features.h"
#include "kernels/hash.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

constexpr int64_t kRows = 10'000'000;
constexpr int64_t kBatch = 65536;

// One key column over all rows and its field.
struct Key {
  Column data;
  Field field;
};

template <typename T, typename Make>
Key numbers(TypeId id, Make make) {
  std::mt19937_64 rng(1);
  std::vector<T> values(kRows);
  for (auto& v : values) v = make(rng);
  return {fixed(values, 0, kRows), field("k", id)};
}

Key with_nulls() {
  std::mt19937_64 rng(2);
  std::vector<std::optional<int64_t>> values(kRows);
  for (auto& v : values) {
    if (rng() % 10 != 0) v = static_cast<int64_t>(rng() % 1'000'000);
  }
  return {fixed(values), field("k", TypeId::kInt64)};
}

Key utf8(std::size_t min_length, std::size_t max_length) {
  std::mt19937_64 rng(3);
  StringBuilder builder(false, kRows, "k");
  std::string s;
  for (int64_t i = 0; i < kRows; ++i) {
    s.assign(min_length + rng() % (max_length - min_length + 1), 'x');
    for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
    builder.append(s);
  }
  return {builder.finish(), field("k", TypeId::kUtf8)};
}

// CPU milliseconds for hashing every batch of the key columns once on `path`.
double time_path(const std::vector<Key>& keys, HashPath path) {
  std::vector<uint64_t> hashes(kBatch);
  const std::clock_t start = std::clock();
  for (int64_t s = 0; s < kRows; s += kBatch) {
    const int64_t n = std::min(kBatch, kRows - s);
    const std::span<uint64_t> out(hashes.data(), static_cast<std::size_t>(n));
    for (std::size_t c = 0; c < keys.size(); ++c) hash_column(*slice(keys[c].data, s, n), keys[c].field, c, out, path);
  }
  return 1e3 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

// The best of five runs per path, the paths taking turns so that a busy spell on a shared
// machine does not fall on one path only.
void bench(const char* name, const std::vector<Key>& keys) {
  const std::vector<HashPath> paths = available_hash_paths();
  std::vector<double> best(paths.size(), 1e9);
  for (int run = 0; run < 5; ++run) {
    for (std::size_t p = 0; p < paths.size(); ++p) best[p] = std::min(best[p], time_path(keys, paths[p]));
  }
  std::printf("%-26s", name);
  for (std::size_t p = 0; p < paths.size(); ++p) {
    std::printf("  %s %6.1f ms (%5.2f ns/row, x%.2f)", std::string(to_string(paths[p])).c_str(), best[p],
                best[p] * 1e6 / kRows, best[0] / best[p]);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("cpu features: '%s'; 10M rows in batches of 64K; CPU ms, best of 5\n", to_string(cpu_features()).c_str());
  auto int64s = [](std::mt19937_64& rng) { return static_cast<int64_t>(rng()); };
  auto int32s = [](std::mt19937_64& rng) { return static_cast<int32_t>(rng()); };
  auto doubles = [](std::mt19937_64& rng) { return static_cast<double>(rng() % 1'000'000) / 100.0; };
  if (wanted(argc, argv, "int64")) bench("int64", {numbers<int64_t>(TypeId::kInt64, int64s)});
  if (wanted(argc, argv, "int32")) bench("int32", {numbers<int32_t>(TypeId::kInt32, int32s)});
  if (wanted(argc, argv, "float64")) bench("float64", {numbers<double>(TypeId::kFloat64, doubles)});
  if (wanted(argc, argv, "nulls")) bench("int64, 10% nulls", {with_nulls()});
  if (wanted(argc, argv, "short")) bench("utf8, 8-12 bytes", {utf8(8, 12)});
  if (wanted(argc, argv, "long")) bench("utf8, 40-56 bytes", {utf8(40, 56)});
  if (wanted(argc, argv, "multi")) {
    bench("int64 + int32 + float64", {numbers<int64_t>(TypeId::kInt64, int64s), numbers<int32_t>(TypeId::kInt32, int32s),
                                       numbers<double>(TypeId::kFloat64, doubles)});
  }
  return 0;
}

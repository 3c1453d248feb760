// Times the hash aggregation on generated data in one thread (sink into one local state,
// combine, merge every partition, finalize): 10M rows with an int64 key of 100 and of 1M
// groups and two float64 columns (sum, count, mean, min, max), and a utf8 key of 1000
// groups. Batches of 64K rows, as a scan would deliver them. Not a ctest test: run by hand,
// `aggregate_bench [int100] [int1m] [str1k]`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "arrays.h"
#include "arrow/builder.h"
#include "bench.h"
#include "kernels/aggregate.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

constexpr int64_t kRows = 10'000'000;
constexpr int64_t kBatch = 65536;

double run(const std::shared_ptr<const AggregatePlan>& plan, const std::vector<Columns>& batches,
           std::size_t& groups) {
  const auto start = std::chrono::steady_clock::now();
  auto local = std::make_unique<AggregateLocalState>(plan);
  for (std::size_t b = 0; b < batches.size(); ++b) local->sink(batches[b], batches[b].front()->length, static_cast<uint64_t>(b) << 32);
  AggregateGlobalState global(plan);
  global.combine(std::move(local));
  groups = 0;
  for (const auto& part : global.finalize()) groups += static_cast<std::size_t>(part[0]->length);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The best of three runs, in seconds, of grouping by column 0 (of type `key`) with sum,
// count, mean, min and max of the float64 columns 1 and 2.
double best_of_three(TypeId key, const std::vector<Columns>& batches, std::size_t& groups) {
  auto plan = std::make_shared<const AggregatePlan>(
      std::vector<Field>{field("k", key), field("a", TypeId::kFloat64), field("b", TypeId::kFloat64)},
      std::vector<int>{0},
      std::vector<AggregateSpec>{{"sum", 1, "sa"}, {"count", 1, "ca"}, {"mean", 1, "ma"}, {"min", 1, "mina"},
                                 {"max", 1, "maxa"}, {"sum", 2, "sb"}, {"count", 2, "cb"}, {"mean", 2, "mb"},
                                 {"min", 2, "minb"}, {"max", 2, "maxb"}});
  double best = 1e9;
  for (int r = 0; r < 3; ++r) best = std::min(best, run(plan, batches, groups));
  return best;
}

void bench_int_key(int64_t cardinality) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> keys(kRows);
  std::vector<double> a(kRows), b(kRows);
  for (int64_t i = 0; i < kRows; ++i) {
    keys[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(cardinality));
    a[i] = static_cast<double>(rng() % 1000000) / 100.0;
    b[i] = static_cast<double>(rng() % 1000) - 500.0;
  }
  std::vector<Columns> batches;
  for (int64_t s = 0; s < kRows; s += kBatch) {
    const int64_t n = std::min(kBatch, kRows - s);
    batches.push_back({fixed(keys, s, n), fixed(a, s, n), fixed(b, s, n)});
  }
  std::size_t groups = 0;
  const double best = best_of_three(TypeId::kInt64, batches, groups);
  std::printf("int64 key, %8lld groups, 10M rows, 2 float64 x (sum, count, mean, min, max): %7.1f ms (%zu groups)\n",
              static_cast<long long>(cardinality), best * 1e3, groups);
}

void bench_string_key() {
  std::mt19937_64 rng(2);
  std::vector<std::string> names;
  for (int g = 0; g < 1000; ++g) names.push_back("customer-" + std::to_string(g * 7919));
  std::vector<Columns> batches;
  for (int64_t s = 0; s < kRows; s += kBatch) {
    const int64_t n = std::min(kBatch, kRows - s);
    StringBuilder keys(false, n, "k");
    std::vector<double> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) {
      keys.append(names[rng() % names.size()]);
      a[i] = static_cast<double>(rng() % 1000000) / 100.0;
      b[i] = static_cast<double>(rng() % 1000) - 500.0;
    }
    batches.push_back({keys.finish(), fixed(a, 0, n), fixed(b, 0, n)});
  }
  std::size_t groups = 0;
  const double best = best_of_three(TypeId::kUtf8, batches, groups);
  std::printf("utf8 key,      1000 groups, 10M rows, 2 float64 x (sum, count, mean, min, max): %7.1f ms (%zu groups)\n",
              best * 1e3, groups);
}

}  // namespace

// Runs every case, or only those named: int100, int1m, str1k (e.g. for a profiler).
int main(int argc, char** argv) {
  if (wanted(argc, argv, "int100")) bench_int_key(100);
  if (wanted(argc, argv, "int1m")) bench_int_key(1'000'000);
  if (wanted(argc, argv, "str1k")) bench_string_key();
  return 0;
}

// Times the hash join kernel on generated data in one thread, end to end (sink the build
// side into one local state, combine, finalize every partition, probe every batch and
// gather the output columns): probe 10M rows with an int64 key uniform over [0, 1M), build
// 1M rows with unique int64 keys and a float64 payload; inner join, sum the gathered
// payload. Also a utf8-key variant and a probe_outer (left) variant. Batches of 64K rows.
// Not a ctest test: run by hand, `join_bench [int] [utf8] [left]`.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "arrays.h"
#include "arrow/builder.h"
#include "bench.h"
#include "kernels/join.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

constexpr int64_t kProbeRows = 10'000'000;
constexpr int64_t kBuildRows = 1'000'000;
constexpr int64_t kBatch = 65536;

Column utf8(const std::vector<int64_t>& values, int64_t start, int64_t n) {
  StringBuilder builder(false, n, "k");
  for (int64_t i = start; i < start + n; ++i) builder.append("key-" + std::to_string(values[i]));
  return builder.finish();
}

void bench(const char* name, bool strings, JoinEmit emit) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> build_keys(kBuildRows), probe_keys(kProbeRows);
  std::vector<double> payload(kBuildRows);
  for (int64_t i = 0; i < kBuildRows; ++i) {
    build_keys[i] = i;
    payload[i] = static_cast<double>(rng() % 1000) / 10.0;
  }
  std::shuffle(build_keys.begin(), build_keys.end(), rng);
  for (auto& k : probe_keys) k = static_cast<int64_t>(rng() % kBuildRows);
  if (emit == JoinEmit::kProbeOuter) {
    for (int64_t i = 0; i < kProbeRows; i += 10) probe_keys[i] += kBuildRows;  // 10% without a match
  }
  const TypeId key_type = strings ? TypeId::kUtf8 : TypeId::kInt64;
  std::vector<Columns> build, probe;
  for (int64_t s = 0; s < kBuildRows; s += kBatch) {
    const int64_t n = std::min(kBatch, kBuildRows - s);
    build.push_back({strings ? utf8(build_keys, s, n) : fixed(build_keys, s, n), fixed(payload, s, n)});
  }
  for (int64_t s = 0; s < kProbeRows; s += kBatch) {
    const int64_t n = std::min(kBatch, kProbeRows - s);
    probe.push_back({strings ? utf8(probe_keys, s, n) : fixed(probe_keys, s, n)});
  }
  auto plan = std::make_shared<const JoinPlan>(std::vector<Field>{field("k", key_type), field("v", TypeId::kFloat64)},
                                               std::vector<Field>{field("k", key_type)}, std::vector<int>{0},
                                               std::vector<int>{0}, emit, false, std::vector<int>{1},
                                               std::vector<int>{});
  for (int rep = 0; rep < 3; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    auto local = std::make_unique<JoinBuildLocal>(plan);
    for (const auto& batch : build) local->sink(batch, batch[0]->length);
    auto table = std::make_shared<JoinHashTable>(plan);
    table->combine(std::move(local));
    table->finalize();
    const auto built = std::chrono::steady_clock::now();
    JoinProber prober(table, kBatch);
    JoinBatch out;
    double sum = 0;
    int64_t rows = 0, nulls = 0;
    for (const auto& batch : probe) {
      prober.probe(batch, batch[0]->length);
      while (prober.next(out)) {
        const ArrayData& v = *out.columns[0];
        const double* values = static_cast<const double*>(v.buffers[1]) + v.offset;
        for (int64_t i = 0; i < v.length; ++i) sum += values[i];
        rows += out.length;
        nulls += v.null_count;
      }
    }
    const auto end = std::chrono::steady_clock::now();
    std::printf("%-6s total %.3f s (build %.3f s, probe+gather %.3f s): %lld rows, %lld null, sum %.1f\n", name,
                std::chrono::duration<double>(end - start).count(), std::chrono::duration<double>(built - start).count(),
                std::chrono::duration<double>(end - built).count(), static_cast<long long>(rows),
                static_cast<long long>(nulls), sum);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (wanted(argc, argv, "int")) bench("int", false, JoinEmit::kInner);
  if (wanted(argc, argv, "utf8")) bench("utf8", true, JoinEmit::kInner);
  if (wanted(argc, argv, "left")) bench("left", false, JoinEmit::kProbeOuter);
  return 0;
}

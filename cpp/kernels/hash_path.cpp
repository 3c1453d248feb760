#include "kernels/hash_path.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels/cpu_features.h"

namespace headrace::kernels {

namespace {

HashPath best_path() noexcept {
  const CpuFeatures& cpu = cpu_features();
  if (HEADRACE_HASH_X86 && cpu.avx512f && cpu.avx512dq) return HashPath::kAvx512;
  if (HEADRACE_HASH_X86 && cpu.avx2) return HashPath::kAvx2;
  return HashPath::kPortable;
}

HashPath choose_path() {
#ifdef _MSC_VER
#pragma warning(suppress : 4996)  // getenv: read once, before any thread could set it
#endif
  const char* cap = std::getenv("HEADRACE_CPU");
  const HashPath best = best_path();
  if (cap == nullptr || *cap == '\0') return best;
  for (HashPath path : {HashPath::kPortable, HashPath::kAvx2, HashPath::kAvx512}) {
    if (to_string(path) == cap) return path < best ? path : best;
  }
  throw std::invalid_argument("HEADRACE_CPU=" + std::string(cap) + ": expected portable, avx2 or avx512");
}

}  // namespace

std::string_view to_string(HashPath path) noexcept {
  switch (path) {
    case HashPath::kAvx2: return "avx2";
    case HashPath::kAvx512: return "avx512";
    case HashPath::kPortable: break;
  }
  return "portable";
}

HashPath hash_path() {
  static const HashPath path = choose_path();
  return path;
}

std::vector<HashPath> available_hash_paths() {
  std::vector<HashPath> paths{HashPath::kPortable};
  const HashPath best = best_path();
  if (best >= HashPath::kAvx2) paths.push_back(HashPath::kAvx2);
  if (best >= HashPath::kAvx512) paths.push_back(HashPath::kAvx512);
  return paths;
}

}  // namespace headrace::kernels

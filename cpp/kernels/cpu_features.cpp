#include "kernels/cpu_features.h"

#if defined(_MSC_VER) && !defined(__clang__) && defined(_M_X64)
#include <immintrin.h>
#include <intrin.h>
#endif

namespace headrace::kernels {

namespace {

CpuFeatures detect() noexcept {
  CpuFeatures f;
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  // GCC's and Clang's runtimes check the OS's XSAVE state (xgetbv) as well as cpuid.
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
#elif defined(_MSC_VER) && defined(_M_X64)
  int regs[4];
  __cpuid(regs, 0);
  if (regs[0] < 7) return f;
  __cpuid(regs, 1);
  const bool osxsave = (regs[2] >> 27) & 1;
  if (!osxsave) return f;
  const unsigned long long xcr0 = _xgetbv(0);
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
  const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;   // and the opmask and upper ZMM state
  __cpuidex(regs, 7, 0);
  f.avx2 = ymm_saved && ((regs[1] >> 5) & 1);
  f.avx512f = zmm_saved && ((regs[1] >> 16) & 1);
  f.avx512dq = zmm_saved && ((regs[1] >> 17) & 1);
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() noexcept {
  static const CpuFeatures features = detect();
  return features;
}

std::string to_string(const CpuFeatures& features) {
  std::string out;
  auto add = [&out](bool present, const char* name) {
    if (!present) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(features.avx2, "avx2");
  add(features.avx512f, "avx512f");
  add(features.avx512dq, "avx512dq");
  return out;
}

}  // namespace headrace::kernels

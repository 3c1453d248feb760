// The instruction sets of the CPU this process runs on that the kernels have vectorized
// paths for, detected once. A feature counts only if the operating system also saves its
// registers (XSAVE state for AVX and AVX-512), so a path chosen from these can run.
#pragma once

#include <string>

namespace headrace::kernels {

struct CpuFeatures {
  bool avx2 = false;
  bool avx512f = false;
  bool avx512dq = false;  // 64-bit lane multiplies (vpmullq)
};

// All false on a CPU other than x86-64.
const CpuFeatures& cpu_features() noexcept;

// The detected features by name, e.g. "avx2 avx512f avx512dq"; empty if none.
std::string to_string(const CpuFeatures& features);

}  // namespace headrace::kernels

// Which implementation of the column-hash loops runs: the portable scalar loops, or AVX2 /
// AVX-512 versions of the same functions (same hash values, bit for bit). The path is
// chosen once per process from the CPU's features; the environment variable HEADRACE_CPU
// (portable, avx2 or avx512) caps it, e.g. HEADRACE_CPU=portable to compare against the
// scalar loops. A cap above what the CPU can run is lowered to what it can.
#pragma once

#include <string_view>
#include <vector>

// The vectorized paths exist for x86-64 built by GCC, Clang or MSVC; elsewhere (aarch64,
// where the portable loops are what the compiler makes of them) only the portable one.
#if defined(__x86_64__) || defined(_M_X64)
#define HEADRACE_HASH_X86 1
#else
#define HEADRACE_HASH_X86 0
#endif

namespace headrace::kernels {

enum class HashPath { kPortable, kAvx2, kAvx512 };

// "portable", "avx2" or "avx512".
std::string_view to_string(HashPath path) noexcept;

// The path every hash_column call without an explicit path takes. Throws
// std::invalid_argument if HEADRACE_CPU holds another name.
HashPath hash_path();

// Every path this CPU can run, portable first (whatever HEADRACE_CPU says): for tests and
// benchmarks that compare them.
std::vector<HashPath> available_hash_paths();

}  // namespace headrace::kernels

#include "arrow/allocator_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace headrace::arrow {

namespace {

constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 128 << 20;

bool set_by_user() noexcept {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return true;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) return true;
  const char* ours = std::getenv("HEADRACE_MALLOC_TUNING");
  return ours != nullptr && std::strcmp(ours, "0") == 0;
}

}  // namespace

bool tune_allocator() noexcept {
#if defined(__GLIBC__)
  if (set_by_user()) return false;
  return mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
#else
  return false;
#endif
}

}  // namespace headrace::arrow

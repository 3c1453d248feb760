// The one assertion helper of the native tests: prints every check, counts failures, and
// exit_code() turns the count into the test program's exit status.
#pragma once

#include <cstdio>

namespace headrace::testing {

inline int& failures() {
  static int count = 0;
  return count;
}

inline void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures();
}

inline int exit_code() { return failures() == 0 ? 0 : 1; }

}  // namespace headrace::testing

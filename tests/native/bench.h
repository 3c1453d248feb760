// What the hand-run native benchmarks share: choosing cases from the command line.
#pragma once

#include <cstring>

namespace headrace::testing {

// Whether to run the case `name`: every case when none is named on the command line.
inline bool wanted(int argc, char** argv, const char* name) {
  if (argc < 2) return true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

}  // namespace headrace::testing

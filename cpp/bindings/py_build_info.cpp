#include "bindings/py_build_info.h"

#include <sstream>
#include <string>
#include <thread>
#include <vector>

// Set by CMakeLists.txt on this file only; a build without them (another build system) says so.
#ifndef HEADRACE_BUILD_TYPE
#define HEADRACE_BUILD_TYPE "unknown"
#endif
#ifndef HEADRACE_CXX_FLAGS
#define HEADRACE_CXX_FLAGS "unknown"
#endif
#ifndef HEADRACE_IPO
#define HEADRACE_IPO ""
#endif
#ifndef HEADRACE_SANITIZER
#define HEADRACE_SANITIZER "unknown"
#endif

namespace headrace::py {

namespace {

namespace pyb = pybind11;

std::string compiler() {
#if defined(__clang__) && defined(__apple_build_version__)
  return "AppleClang";
#elif defined(__clang__)
  return "Clang";
#elif defined(__GNUC__)
  return "GCC";
#elif defined(_MSC_VER)
  return "MSVC";
#else
  return "unknown";
#endif
}

std::string compiler_version() {
#if defined(__clang__)
  return std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." + std::to_string(__GNUC_PATCHLEVEL__);
#elif defined(_MSC_VER)
  return std::to_string(_MSC_FULL_VER);
#else
  return "unknown";
#endif
}

std::string cxx_standard() {
  // MSVC keeps __cplusplus at 199711L unless /Zc:__cplusplus; _MSVC_LANG tells the truth.
#if defined(_MSVC_LANG)
  constexpr long value = _MSVC_LANG;
#else
  constexpr long value = __cplusplus;
#endif
  const char* name = value > 202002L ? "C++23" : value == 202002L ? "C++20" : "before C++20";
  return std::string(name) + " (" + std::to_string(value) + ")";
}

std::string architecture() {
#if defined(__x86_64__) || defined(_M_X64)
  return "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  return "aarch64";
#elif defined(__i386__) || defined(_M_IX86)
  return "x86";
#elif defined(__arm__) || defined(_M_ARM)
  return "arm";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__s390x__)
  return "s390x";
#else
  return "unknown";
#endif
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

// CMake's IPO flags when it is on, else the LTO flags among the compile flags (pybind11 adds
// them to release builds of the module), else "off".
std::string lto() {
  if (std::string ipo = HEADRACE_IPO; !ipo.empty()) return ipo;
  std::vector<std::string> found;
  for (const auto& flag : words(HEADRACE_CXX_FLAGS)) {
    if (flag.starts_with("-flto") || flag.starts_with("-fno-fat-lto") || flag == "/GL" || flag == "-ipo") {
      found.push_back(flag);
    }
  }
  return found.empty() ? "off" : join(found);
}

pyb::dict build_info() {
  pyb::dict info;
  info["compiler"] = compiler();
  info["compiler_version"] = compiler_version();
  info["cxx_standard"] = cxx_standard();
  info["architecture"] = architecture();
  info["build_type"] = HEADRACE_BUILD_TYPE;
  info["cxx_flags"] = join(words(HEADRACE_CXX_FLAGS));
  info["lto"] = lto();
  info["sanitizer"] = HEADRACE_SANITIZER;
#ifdef NDEBUG
  info["assertions"] = false;
#else
  info["assertions"] = true;
#endif
  info["pybind11"] = std::to_string(PYBIND11_VERSION_MAJOR) + "." + std::to_string(PYBIND11_VERSION_MINOR) + "." +
                     std::to_string(PYBIND11_VERSION_PATCH);
  return info;
}

}  // namespace

void bind_build_info(pyb::module_& m) {
  m.def("build_info", &build_info,
        "How this module was built: compiler and version, C++ standard, target architecture, build type, "
        "compiler flags, link-time optimization, sanitizer, assertions, pybind11 version (a dict of str/bool).");
  m.def(
      "hardware_concurrency", [] { return std::thread::hardware_concurrency(); },
      "std::thread::hardware_concurrency(): the hardware threads the C++ runtime sees (0 if unknown).");
}

}  // namespace headrace::py

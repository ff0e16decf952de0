#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test:
#   1. the main build (warnings are errors) and every ctest suite (unit, emulator, integration)
#   2. the install check: install to a temporary prefix, build a consumer with find_package
#   3. unit + emulator + integration suites under AddressSanitizer + UBSan
#   4. the concurrency tests under ThreadSanitizer
# FALCON_SANITIZERS=0 skips 3 and 4 (a quicker local loop). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

jobs="${FALCON_JOBS:-$(nproc)}"
root="${FALCON_BUILD_ROOT:-build}"
start=$SECONDS
step() { echo; echo "== $* ($((SECONDS - start)) s)"; }

step "configure and build ($root/ci)"
cmake -S . -B "$root/ci" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFALCON_WERROR=ON \
      -DFALCON_BUILD_TESTS=ON >/dev/null
cmake --build "$root/ci" -j "$jobs"

step "tests"
ctest --test-dir "$root/ci" --output-on-failure -j "$jobs" --timeout 300

step "install check"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$root/ci" --prefix "$prefix/usr" >/dev/null
cmake -S tests/install -B "$prefix/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$prefix/build" >/dev/null
"$prefix/build/install_check"

if [ "${FALCON_SANITIZERS:-1}" = "0" ]; then
  step "sanitizers skipped (FALCON_SANITIZERS=0)"
  exit 0
fi

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
# -O1: sanitizers want some optimisation, and it compiles much faster than -O2 on 2 cores.
cmake -S . -B "$root/asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
      -DFALCON_WERROR=ON \
      -DFALCON_SANITIZE="address;undefined" -DFALCON_BUILD_EXAMPLES=OFF \
      -DFALCON_BUILD_TOOLS=OFF >/dev/null
cmake --build "$root/asan" -j "$jobs" --target falcon_unit_tests falcon_integration_tests \
      falcon_emulator_tests falcon_hostile_tests
step "AddressSanitizer + UndefinedBehaviorSanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/asan" --output-on-failure -j "$jobs" --timeout 600

step "ThreadSanitizer build"
cmake -S . -B "$root/tsan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
      -DFALCON_WERROR=ON \
      -DFALCON_SANITIZE=thread -DFALCON_BUILD_EXAMPLES=OFF -DFALCON_BUILD_TOOLS=OFF >/dev/null
cmake --build "$root/tsan" -j "$jobs" --target falcon_unit_tests falcon_integration_tests
step "ThreadSanitizer concurrency tests"
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
  ctest --test-dir "$root/tsan" --output-on-failure --timeout 600 \
  -R 'Concurrency|Threads'

step "all tests passed"

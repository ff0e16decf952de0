#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

jobs="${FALCON_JOBS:-$(nproc)}"
build="${FALCON_BUILD_DIR:-build/ci}"

echo "== configure ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFALCON_WERROR=ON \
      -DFALCON_BUILD_TESTS=ON >/dev/null
echo "== build"
cmake --build "$build" -j "$jobs"
echo "== test"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300

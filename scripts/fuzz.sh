#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60) with clang, from the committed seed
# corpus (copied, so the repository is not modified). Exits non-zero on any crash.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
FALCON_DEPS_EXTRA=fuzz bash scripts/deps.sh

build="${FALCON_FUZZ_BUILD_DIR:-build/fuzz}"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFALCON_SANITIZE="address;undefined" -DFALCON_BUILD_FUZZ=ON -DFALCON_BUILD_TESTS=OFF \
  -DFALCON_BUILD_EXAMPLES=OFF -DFALCON_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_response fuzz_fql \
  fuzz_feed_csv fuzz_feed_json fuzz_feed_ndjson fuzz_feed_text fuzz_feed_stix

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for target in response fql feed_csv feed_json feed_ndjson feed_text feed_stix; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  echo "== fuzz_$target for ${seconds}s"
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$work/" "$work/$target" 2>"$work/$target.log"; then
    status=1
    echo "fuzz_$target found a crash:" >&2
    tail -n 40 "$work/$target.log" >&2
    mkdir -p fuzz-out && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* fuzz-out/ 2>/dev/null || true
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/  /"
done
exit $status

#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60) from the committed seed corpus (copied,
# so the repository is not modified). Exits non-zero on any crash, leak or UBSan report.
#   scripts/fuzz.sh [SECONDS]                   builds them first (clang, ASan + UBSan)
#   scripts/fuzz.sh --prebuilt BUILD [SECONDS]  runs those of an existing build (test.sh's asan)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(response fql feed_csv feed_json feed_ndjson feed_text feed_stix)

if [ "${1:-}" = "--prebuilt" ]; then
  build="${2:?usage: scripts/fuzz.sh --prebuilt BUILD [SECONDS]}"
  seconds="${3:-60}"
else
  seconds="${1:-60}"
  bash scripts/deps.sh
  build="${FALCON_FUZZ_BUILD_DIR:-build/fuzz}"
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
    -DFALCON_SANITIZE="address;undefined" -DFALCON_BUILD_FUZZ=ON -DFALCON_BUILD_TESTS=OFF \
    -DFALCON_BUILD_EXAMPLES=OFF -DFALCON_BUILD_TOOLS=OFF >/dev/null
  cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  echo "== fuzz_$target for ${seconds}s"
  # The corpus is run first, every input of it, then mutations until the time is up.
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

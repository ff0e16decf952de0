#!/usr/bin/env bash
# Builds the benchmarks (Release, own build dir) and runs every one of them, in well under ten
# minutes on a 2-core machine, plus the sync scale benchmark at 1M (see BENCH_SYNC_SCALE).
# Writes bench/results/latest.json (machine-readable: each figure
# with its floor and ratio where one applies, the date, the commit, nproc) and
# bench/results/latest.md (markdown tables). See docs/performance.md.
#
#   scripts/bench.sh                 # build + run everything
#   BENCH_QUICK=1 scripts/bench.sh   # smaller counts, for trying the script itself
#
# Environment: BENCH_BUILD_DIR (default build/bench), BENCH_JOBS (default 2), BENCH_ROUNDS (7),
# BENCH_CALLS (2000), BENCH_ENCODINGS (sdk-default,identity,gzip), BENCH_SYNC_SCALE (the sync
# scale benchmark's feed: 1000000, which takes 15-30 minutes here; 100000 in the quick mode).
# Benchmarks are not tests: nothing here is run by ctest or CI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${BENCH_BUILD_DIR:-build/bench}"
JOBS="${BENCH_JOBS:-2}"
OUT="bench/results"
RAW="$BUILD/results"
mkdir -p "$OUT" "$RAW"

# Debian packages the benchmarks need beyond scripts/deps.sh, installed only when missing.
need=()
dpkg -s libbenchmark-dev >/dev/null 2>&1 || need+=(libbenchmark-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# Instructions per call come from callgrind: this VM has no hardware counter for perf.
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
if ((${#need[@]})); then
  echo "bench.sh: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$ROOT")}"
fi
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFALCON_BUILD_BENCH=ON \
  -DFALCON_BUILD_TESTS=OFF -DFALCON_BUILD_EXAMPLES=OFF -DFALCON_BUILD_TOOLS=ON \
  "${launcher[@]}" >"$RAW/configure.log"
TARGETS=(bench_client bench_e2e bench_decode bench_sdk bench_threads bench_emulator_rps bench_sync
         bench_page_encoding bench_emulator_scale bench_emulator_state bench_tls
         falcon-ioc falcon-emulator)
ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]}"
B="$BUILD/bench"

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  ROUNDS=2 CALLS=500 PAGE_SMALL=2000 PAGE_LARGE=5000 BULK=5000 THREAD_CALLS=1000 SYNC=2000
  SDK_MIN_TIME=0.05 SECS=1 TLS_ROUNDS=2 TLS_CALLS=100 TLS_IMPORT=2000 SYNC_SCALE=100000
else
  ROUNDS="${BENCH_ROUNDS:-7}" CALLS="${BENCH_CALLS:-2000}" PAGE_SMALL=10000 PAGE_LARGE=100000
  BULK=100000 THREAD_CALLS=4000 SYNC=100000 SDK_MIN_TIME=0.5 SECS=2
  TLS_ROUNDS=5 TLS_CALLS=500 TLS_IMPORT=20000 SYNC_SCALE="${BENCH_SYNC_SCALE:-1000000}"
fi
ENCODINGS="${BENCH_ENCODINGS:-sdk-default,identity,gzip}"

LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)"
start=$(date +%s)
step() { echo; echo "== $* ($(($(date +%s) - start)) s)"; }

step "bench_decode: a 2,000-record indicator_combined page"
"$B/bench_decode" --json "$RAW/decode.json" | tee "$RAW/decode.txt"

step "bench_e2e: floor vs SDK, threads, paging, bulk create"
"$B/bench_e2e" --client "$B/bench_client" --json "$RAW/e2e.json" --rounds "$ROUNDS" \
  --calls "$CALLS" --encodings "$ENCODINGS" --page-small "$PAGE_SMALL" \
  --page-large "$PAGE_LARGE" --bulk "$BULK" --thread-calls "$THREAD_CALLS" | tee "$RAW/e2e.txt"

step "bench_page_encoding: what accept_encoding costs and saves on a 2,000-record page"
"$B/bench_page_encoding" "$([[ "${BENCH_QUICK:-0}" == 1 ]] && echo 3 || echo 20)" |
  tee "$RAW/page_encoding.txt"

step "bench_sdk: SDK overhead per call over a FakeTransport"
"$B/bench_sdk" --benchmark_min_time="$SDK_MIN_TIME" | tee "$RAW/sdk.txt"

step "bench_emulator_rps: indicator_get, threads, emulator in-process"
"$B/bench_emulator_rps" "$SECS" 4 | tee "$RAW/emulator_rps.txt"

step "bench_threads: indicator_create from 1 and 16 threads"
"$B/bench_threads" "$SECS" 1 16 | tee "$RAW/threads_create.txt"

# The HTTPS emulator's certificate: self-signed, made here for 127.0.0.1. The clients' CA bundle
# (Config::ca_bundle, CURLOPT_CAINFO) is the system's bundle with that certificate added, the
# size of trust store a client of the real API loads; the system trust store itself is never
# touched.
TLS_DIR="$BUILD/tls"
mkdir -p "$TLS_DIR"
if [[ ! -s "$TLS_DIR/cert.pem" || ! -s "$TLS_DIR/key.pem" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" >/dev/null 2>&1
fi
SYSTEM_CA="$(curl-config --ca 2>/dev/null || true)"
[[ -r "$SYSTEM_CA" ]] || SYSTEM_CA=/etc/ssl/certs/ca-certificates.crt
cat "$SYSTEM_CA" "$TLS_DIR/cert.pem" >"$TLS_DIR/ca-bundle.pem" 2>/dev/null ||
  cp "$TLS_DIR/cert.pem" "$TLS_DIR/ca-bundle.pem"
step "bench_tls: indicator_get and indicator_create over HTTPS and HTTP, libcurl floors, import"
"$B/bench_tls" --client "$B/bench_client" --cert "$TLS_DIR/cert.pem" --key "$TLS_DIR/key.pem" \
  --ca "$TLS_DIR/ca-bundle.pem" --json "$RAW/tls.json" --rounds "$TLS_ROUNDS" \
  --calls "$TLS_CALLS" --import "$TLS_IMPORT" | tee "$RAW/tls.txt"

step "bench_sync: sync of $SYNC indicators"
"$B/bench_sync" "$SYNC" | tee "$RAW/sync.txt"

step "sync_scale: falcon-ioc sync of $SYNC_SCALE indicators against falcon-emulator (processes)"
python3 bench/sync_scale.py --cli "$BUILD/tools/cli/falcon-ioc" \
  --emulator "$BUILD/tools/emulator/falcon-emulator" --n "$SYNC_SCALE" \
  --json "$RAW/sync_scale.json" | tee "$RAW/sync_scale.txt"

# ---- emulator benchmarks (issue 8) --------------------------------------------------------
# The emulator's own benchmarks go here: add their command lines below, each writing its
# output to "$RAW/emulator_<name>.txt" (and .json if it has one). Every *.txt in $RAW named
# emulator_* is copied into latest.md's raw-output section.
# The quick forms (~30 s together); docs/benchmarks.md has the full runs' commands and figures.
step "bench_emulator_rps --slices: requests/s in slices of a long run"
"$B/bench_emulator_rps" --slices --quick | tee "$RAW/emulator_slices.txt"
step "bench_emulator_scale: bytes per indicator, emulator CPU per combined/queries page over HTTP (100k)"
"$B/bench_emulator_scale" --quick | tee "$RAW/emulator_scale.txt"
step "bench_emulator_scale --gzip: the same pages compressed, as the SDK asks by default (100k)"
"$B/bench_emulator_scale" --quick --gzip | tee "$RAW/emulator_scale_gzip.txt"
step "bench_emulator_state: --state write cost"
"$B/bench_emulator_state" --quick | tee "$RAW/emulator_state.txt"
# ---- end of emulator benchmarks -------------------------------------------------------------

elapsed=$(($(date +%s) - start))
step "writing $OUT/latest.json and $OUT/latest.md (benchmarks took ${elapsed} s)"
COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)"
python3 bench/report.py --raw "$RAW" --out "$OUT" --commit "$COMMIT" --dirty "$DIRTY" \
  --nproc "$(nproc)" --elapsed "$elapsed" --quick "${BENCH_QUICK:-0}" \
  --loadavg "$LOADAVG"
echo "bench.sh: done in $(($(date +%s) - start)) s"

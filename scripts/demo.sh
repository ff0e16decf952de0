#!/usr/bin/env bash
# The README's main job: build, start the local Falcon IOC emulator on a free port, run
# examples/quickstart against it, and stop the emulator whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

build="${FALCON_DEMO_BUILD_DIR:-build/demo}"
echo "== building falcon-emulator and quickstart in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFALCON_BUILD_TESTS=OFF \
      -DFALCON_BUILD_EMULATOR=ON -DFALCON_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target falcon-emulator quickstart

client_id="falcon-demo-client"
client_secret="falcon-demo-secret-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
log="$(mktemp)"
"$build/tools/emulator/falcon-emulator" --host 127.0.0.1 --port 0 \
  --client-id "$client_id" --client-secret "$client_secret" >"$log" 2>&1 &
emu_pid=$!
cleanup() {
  kill "$emu_pid" 2>/dev/null || true
  wait "$emu_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT INT TERM

url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$emu_pid" 2>/dev/null; then
    echo "demo.sh: the emulator exited:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "demo.sh: the emulator did not report its address:" >&2
  cat "$log" >&2
  exit 1
fi
echo "== emulator at $url"
echo

FALCON_BASE_URL="$url" FALCON_CLIENT_ID="$client_id" FALCON_CLIENT_SECRET="$client_secret" \
  "$build/examples/quickstart"

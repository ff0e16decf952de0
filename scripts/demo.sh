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

# ---- the falcon-ioc CLI: import, search, sync --dry-run, sync, export ---------------------
echo
echo "== falcon-ioc: a short CLI session"
cmake --build "$build" -j "$(nproc)" --target falcon-ioc >/dev/null
cli="$build/tools/cli/falcon-ioc"
feed_dir="$(mktemp -d)"
trap 'cleanup; rm -rf "$feed_dir"' EXIT
cat >"$feed_dir/feed.csv" <<'CSV'
type,value,action,severity,platforms,tags,description
sha256,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,prevent,high,windows;mac,demo,"dropper, stage 1"
domain,c2.demo-feed.example,detect,critical,,demo;c2,
,192.0.2.10,,,,,scanner
CSV
export FALCON_BASE_URL="$url" FALCON_CLIENT_ID="$client_id" FALCON_CLIENT_SECRET="$client_secret"
set -x
"$cli" --format table import "$feed_dir/feed.csv" --source demo-import --severity medium
"$cli" --format table search --filter "source:'demo-import'" --sort value.asc
set +x
# The feed changes: one value dropped, one added, one severity raised.
cat >"$feed_dir/feed2.csv" <<'CSV'
type,value,action,severity,platforms,tags,description
sha256,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,prevent,critical,windows;mac,demo,"dropper, stage 1"
domain,c2.demo-feed.example,detect,critical,,demo;c2,
domain,new.demo-feed.example,detect,high,,demo,
CSV
set -x
"$cli" --format table sync "$feed_dir/feed2.csv" --source demo-import --severity medium --dry-run
"$cli" --format table sync "$feed_dir/feed2.csv" --source demo-import --severity medium
"$cli" --format csv export --filter "source:'demo-import'" --sort value.asc
set +x

#!/usr/bin/env bash
# Runs one example against a fresh falcon-emulator on a free loopback port, with fresh random
# credentials in the environment, and stops the emulator whatever happens.
#   run_with_emulator.sh EMULATOR PROGRAM [ARGS...]
# Exits with the program's exit code (1 when the emulator does not start).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 EMULATOR PROGRAM [ARGS...]" >&2
  exit 2
fi
emulator="$1"
shift

client_id="falcon-example-client"
client_secret="falcon-example-secret-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
log="$(mktemp)"
"$emulator" --host 127.0.0.1 --port 0 --client-id "$client_id" \
  --client-secret "$client_secret" >"$log" 2>&1 &
emu_pid=$!
cleanup() {
  kill "$emu_pid" 2>/dev/null || true
  wait "$emu_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT INT TERM

url=""
for _ in $(seq 1 200); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$emu_pid" 2>/dev/null; then
    echo "run_with_emulator.sh: the emulator exited:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done
if [ -z "$url" ]; then
  echo "run_with_emulator.sh: the emulator did not report its address:" >&2
  cat "$log" >&2
  exit 1
fi

status=0
FALCON_BASE_URL="$url" FALCON_CLIENT_ID="$client_id" FALCON_CLIENT_SECRET="$client_secret" \
  "$@" || status=$?
exit "$status"

#!/usr/bin/env bash
# Runs PROGRAM with no FALCON_* variable in its environment; passes when it exits with CODE and
# its output (stdout and stderr) is exactly TEXT.
#   expect_exit.sh CODE TEXT PROGRAM [ARGS...]
set -uo pipefail
code="$1" text="$2"
shift 2
out="$(env -u FALCON_CLIENT_ID -u FALCON_CLIENT_SECRET -u FALCON_BASE_URL -u FALCON_MEMBER_CID \
       "$@" 2>&1)"
status=$?
printf '%s\n' "$out"
if [ "$status" -ne "$code" ]; then
  echo "expect_exit.sh: exit status $status, expected $code" >&2
  exit 1
fi
if [ "$out" != "$text" ]; then
  printf 'expect_exit.sh: output differs; expected:\n%s\n' "$text" >&2
  exit 1
fi

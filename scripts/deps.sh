#!/usr/bin/env bash
# Installs the Debian packages falcon-cpp needs to build, test and run the demo, when missing.
# Does nothing when everything is present. Needs root (or prints the apt-get line to run).
#   scripts/deps.sh          install what is missing (required and extras)
#   scripts/deps.sh --list   print the required packages, one a line (tests/docs checks that
#                            docs/getting-started.md's apt line and README.md name each of them)
set -euo pipefail

# Required: what `cmake -S . -B build && cmake --build build && ctest` needs (the library, the
# emulator, falcon-ioc and every test suite).
packages=(cmake ninja-build g++ pkgconf libcurl4-openssl-dev nlohmann-json3-dev libgtest-dev
          libgmock-dev libcpp-httplib-dev libssl-dev openssl ca-certificates)
# simdjson: the fast JSON validation and typed decoding of replies (src/response.cpp).
packages+=(libsimdjson-dev)
# Civil dates for RFC 3339 times (header-only): the rulebook (src/indicators.cpp) and the
# emulator's time parser (tools/emulator).
packages+=(libhowardhinnant-date-dev)

# The falcon-ioc CLI parses its arguments with CLI11 (header-only).
packages+=(libcli11-dev)
# groff (groff-base): the CLI tests check the generated man pages with `groff -man -ww`.
packages+=(groff-base)

# Extras for scripts/test.sh's further steps: the `docs` target (API reference); clang for the
# sanitizer passes and the libFuzzer targets, with libclang-rt-dev (libclang-rt-14-dev: the
# ASan, UBSan, TSan and libFuzzer runtimes); ccache, so its three builds rebuild from cache.
extras=(doxygen clang libclang-rt-dev ccache)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}" "${extras[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}" >&2
  echo "deps.sh: run as root:  $cmd" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the Debian packages falcon-cpp needs to build, test and run the demo, when missing.
# Does nothing when everything is present. Needs root (or prints the apt-get line to run).
set -euo pipefail

packages=(cmake ninja-build g++ pkgconf libcurl4-openssl-dev nlohmann-json3-dev libgtest-dev
          libgmock-dev libcpp-httplib-dev libssl-dev openssl ca-certificates)
# simdjson: the fast JSON validation and typed decoding of replies (src/response.cpp).
packages+=(libsimdjson-dev)
packages+=(doxygen)  # the `docs` target (API reference), run by test.sh

# Civil dates for RFC 3339 times (header-only): the rulebook (src/indicators.cpp) and the
# emulator's time parser (tools/emulator).
packages+=(libhowardhinnant-date-dev)

# The falcon-ioc CLI parses its arguments with CLI11 (header-only).
packages+=(libcli11-dev)
# Extra packages for the sanitizer/fuzzing steps (clang for libFuzzer).
if [[ "${FALCON_DEPS_EXTRA:-}" == *fuzz* ]]; then
  packages+=(clang libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
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

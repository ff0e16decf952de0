#!/usr/bin/env bash
# The install check (scripts/test.sh runs it after the main build):
#   1. static: installs the already-built tree BUILD_DIR to a temporary prefix; builds a consumer
#      with find_package and one with pkg-config against it; builds every example standalone
#      against the installed package and runs each against the installed falcon-emulator;
#   2. embedded: a parent project with its own `docs` target and include(CPack) takes the source
#      tree in by add_subdirectory, then by FetchContent from a local archive (URL file://, no
#      network); each builds and runs the consumer, and the parent's docs, CPack configuration
#      and install hold only the parent's things (tests/install/embed);
#   3. shared: builds libfalcon as a shared library (nothing else), installs it, builds the two
#      consumers against it, and checks the SONAME and that only the public API is exported.
#   tests/install/run.sh BUILD_DIR [JOBS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:?usage: tests/install/run.sh BUILD_DIR [JOBS]}"
jobs="${2:-$(nproc)}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

consumers() {  # PREFIX NAME
  local prefix="$1" name="$2" libdir
  libdir="$(dirname "$(find "$prefix" -name falcon-cpp.pc | head -n 1)")/.."
  echo "-- $name: find_package consumer"
  cmake -S tests/install -B "$work/$name-cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    "${launcher[@]}" >/dev/null
  cmake --build "$work/$name-cmake" >/dev/null
  "$work/$name-cmake/install_check"
  echo "-- $name: pkg-config consumer"
  # shellcheck disable=SC2046
  c++ -std=c++17 -Wall -Wextra -Werror tests/install/pkgconfig_main.cpp -o "$work/$name-pc" \
    $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs falcon-cpp)
  LD_LIBRARY_PATH="$libdir" "$work/$name-pc"
}

echo "== static library"
cmake --install "$build" --prefix "$work/static/usr" >/dev/null
consumers "$work/static/usr" static
if [ -x "$work/static/usr/bin/falcon-ioc" ]; then
  echo "-- static: man pages and completion scripts installed"
  for f in share/man/man1/falcon-ioc.1.gz share/man/man1/falcon-emulator.1.gz \
           share/bash-completion/completions/falcon-ioc share/zsh/vendor-completions/_falcon-ioc \
           share/fish/vendor_completions.d/falcon-ioc.fish; do
    [ -s "$work/static/usr/$f" ] || { echo "install check: $f is not installed" >&2; exit 1; }
  done
fi
echo "-- static: the examples, standalone against the installed package and emulator"
cmake -S "$work/static/usr/share/doc/falcon-cpp/examples" -B "$work/examples" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/static/usr" "${launcher[@]}" >/dev/null
cmake --build "$work/examples" -j "$jobs" >/dev/null
if ! ctest --test-dir "$work/examples" -j "$jobs" --output-on-failure --timeout 120 \
    >"$work/examples.log" 2>&1; then
  cat "$work/examples.log" >&2
  exit 1
fi
grep -E "tests passed|Passed" "$work/examples.log" | tail -n 1

echo "== embedded in a parent project (its own docs target and CPack)"
src="$work/embed-src/falcon-cpp"
mkdir -p "$src"
# The tree as a release archive holds it: no build trees, no .git.
tar -C . --exclude=./.git --exclude='./build*' --exclude=./out --exclude=./fuzz-out -cf - . \
  | tar -C "$src" -xf -
tar -C "$work/embed-src" -czf "$work/falcon-cpp.tar.gz" falcon-cpp
embedded() {  # MODE
  local mode="$1" b="$work/embed"
  echo "-- embedded by $mode"
  cmake -S tests/install/embed -B "$b" -G Ninja -DFALCON_EMBED="$mode" -DFALCON_SOURCE="$src" \
    -DFALCON_URL="file://$work/falcon-cpp.tar.gz" "${launcher[@]}" >"$work/embed.log" 2>&1 \
    || { cat "$work/embed.log" >&2; exit 1; }
  if grep -q "CMake Warning" "$work/embed.log"; then
    cat "$work/embed.log" >&2
    echo "install check: configuring the parent project warns" >&2
    exit 1
  fi
  cmake --build "$b" -j "$jobs" >/dev/null
  "$b/embed_check"
  local docs
  docs="$(cmake --build "$b" --target docs)"
  grep -q "embed_check: the parent docs target" <<<"$docs" \
    || { echo "install check: the parent's docs target is not its own: $docs" >&2; exit 1; }
  grep -q 'CPACK_PACKAGE_NAME "embed-check"' "$b/CPackConfig.cmake" \
    || { echo "install check: CPackConfig.cmake is not the parent's" >&2; exit 1; }
  cmake --install "$b" --prefix "$work/embed-install" >/dev/null
  local installed
  installed="$(cd "$work/embed-install" && find . -type f | sort | tr '\n' ' ')"
  if [ "$installed" != "./bin/embed_check " ]; then
    echo "install check: embedded falcon-cpp installed more than the parent's program: $installed" >&2
    exit 1
  fi
  rm -rf "$b" "$work/embed-install"
}
embedded subdirectory
# FetchContent unpacks the archive into the same place, so the compile lines match the first
# build's (ccache).
rm -rf "$src"
embedded fetchcontent

echo "== shared library"
cmake -S . -B "$work/shared-build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFALCON_WERROR=ON \
  -DBUILD_SHARED_LIBS=ON -DFALCON_BUILD_TESTS=OFF -DFALCON_BUILD_EXAMPLES=OFF \
  -DFALCON_BUILD_EMULATOR=OFF -DFALCON_BUILD_TOOLS=OFF "${launcher[@]}" >/dev/null
cmake --build "$work/shared-build" -j "$jobs" >/dev/null
cmake --install "$work/shared-build" --prefix "$work/shared/usr" >/dev/null
lib="$(find "$work/shared/usr" -name 'libfalcon.so.*.*.*' | head -n 1)"
soname="$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
version="$(sed -n 's/^project(falcon-cpp VERSION \([0-9]*\.[0-9]*\).*/\1/p' CMakeLists.txt)"
echo "-- shared: $(basename "$lib"), SONAME $soname"
if [ "$soname" != "libfalcon.so.$version" ]; then
  echo "install check: SONAME $soname, expected libfalcon.so.$version" >&2
  exit 1
fi
exported="$(nm -D --defined-only -C "$lib" | awk '{ $1=""; $2=""; print substr($0, 3) }')"
leaked="$(grep -v -E '^(typeinfo for |typeinfo name for |vtable for |VTT for |non-virtual thunk to |virtual thunk to |guard variable for )?falcon::' <<<"$exported" \
          | grep -v -E '^(falcon_[A-Za-z0-9_.]+|_init|_fini)$' || true)"
internal="$(grep -E 'falcon::internal::' <<<"$exported" || true)"
if [ -n "$leaked" ] || [ -n "$internal" ]; then
  echo "install check: libfalcon.so exports symbols outside the public API:" >&2
  printf '%s\n%s\n' "$leaked" "$internal" | head -n 20 >&2
  exit 1
fi
echo "-- shared: $(wc -l <<<"$exported") exported symbols, all in namespace falcon"
consumers "$work/shared/usr" shared
echo "== install check passed"

#!/usr/bin/env bash
# The Debian package check (slow, needs root and the Debian archive; not part of test.sh):
#   1. builds falcon-cpp shared + static with the programs, and the .deb files with CPack;
#   2. makes a clean Debian 12 root with debootstrap and installs the packages there with apt-get
#      (so their Depends must be right: nothing else is installed but g++, cmake and pkgconf);
#   3. in that root: builds a consumer with find_package and one with pkg-config and runs them,
#      runs `falcon-emulator --help` and `falcon-ioc --help` (when the CLI is packaged), shows
#      `man falcon-ioc` and `man falcon-emulator` (man-db is installed there for it) and checks
#      the installed bash completion: it loads, and completes `falcon-ioc se` to `search`.
# FALCON_DEB_BUILD (default build/deb) is the build directory; FALCON_DEB_MIRROR the archive;
# FALCON_DEB_KEEP=1 keeps the root. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "deb-check.sh: needs root (debootstrap, chroot)" >&2
  exit 1
fi
bash scripts/deps.sh
need=()
for p in dpkg-dev file debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

build="${FALCON_DEB_BUILD:-build/deb}"
mirror="${FALCON_DEB_MIRROR:-http://deb.debian.org/debian}"
start=$SECONDS
step() { echo; echo "== $* ($((SECONDS - start)) s)"; }

step "build (shared + static, Release, prefix /usr) in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DBUILD_SHARED_LIBS=ON -DFALCON_STATIC_TOO=ON -DFALCON_BUILD_TESTS=OFF \
  -DFALCON_BUILD_EXAMPLES=OFF -DFALCON_BUILD_EMULATOR=ON -DFALCON_BUILD_TOOLS=ON >/dev/null
cmake --build "$build" -j "${FALCON_JOBS:-$(nproc)}"

step "cpack -G DEB"
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB -B "$PWD/packages" >/dev/null)
debs=("$build"/packages/*.deb)
for d in "${debs[@]}"; do
  echo "-- $(basename "$d")"
  dpkg-deb -f "$d" Package Version Depends | sed 's/^/     /'
done
tools_deb=$(ls "$build"/packages/falcon-cpp-tools_*.deb)
echo "-- man pages and completion scripts in $(basename "$tools_deb"):"
dpkg-deb -c "$tools_deb" | grep -E 'man1/|completion' | awk '{print "     " $NF}'

root="$(mktemp -d /tmp/falcon-deb-root.XXXXXX)"
cleanup() {
  for m in proc dev/pts dev; do umount "$root/$m" 2>/dev/null || true; done
  if [ "${FALCON_DEB_KEEP:-0}" != "1" ]; then rm -rf "$root"; else echo "root kept: $root"; fi
}
trap cleanup EXIT

step "debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 20 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"

step "apt-get install the packages (and g++, cmake, pkgconf for the consumers)"
mkdir -p "$root/tmp/debs" "$root/tmp/consumer"
cp "${debs[@]}" "$root/tmp/debs/"
cp tests/install/CMakeLists.txt tests/install/main.cpp tests/install/pkgconfig_main.cpp \
  "$root/tmp/consumer/"
chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb g++ cmake make pkgconf man-db \
  >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; exit 1; }'

step "in the clean root"
chroot "$root" /bin/bash -euo pipefail -c '
cd /tmp/consumer
echo "-- installed:"; dpkg -l "libfalcon*" "falcon-cpp*" | sed -n "s/^ii  /     /p"
echo "-- find_package consumer"
cmake -S . -B build >/dev/null && cmake --build build >/dev/null && ./build/install_check
echo "-- pkg-config consumer"
c++ -std=c++17 -Wall -Wextra -Werror pkgconfig_main.cpp -o pc $(pkg-config --cflags --libs falcon-cpp)
./pc
ldd ./pc | grep -q "libfalcon.so.0" && echo "     linked to $(ldd ./pc | grep -o "libfalcon.so[^ ]*" | head -n 1)"
echo "-- falcon-emulator --help"; falcon-emulator --help | head -n 2
echo "-- man falcon-emulator"
MANPAGER=cat MANWIDTH=80 man falcon-emulator >/tmp/man-emulator.txt
head -n 6 /tmp/man-emulator.txt
if command -v falcon-ioc >/dev/null; then
  echo "-- falcon-ioc --help"; falcon-ioc --help | head -n 3
  echo "-- man falcon-ioc"
  MANPAGER=cat MANWIDTH=80 man falcon-ioc >/tmp/man.txt
  head -n 8 /tmp/man.txt
  grep -q "falcon-ioc sync" /tmp/man.txt
  warnings=$(MANPAGER=cat man --warnings -l /usr/share/man/man1/falcon-ioc.1.gz 2>&1 >/dev/null)
  [ -z "$warnings" ] || { echo "$warnings"; exit 1; }
  echo "-- bash completion (/usr/share/bash-completion/completions/falcon-ioc)"
  bash -c "source /usr/share/bash-completion/completions/falcon-ioc && complete -p falcon-ioc"
  got=$(bash -c "source /usr/share/bash-completion/completions/falcon-ioc
    COMP_WORDS=(falcon-ioc se); COMP_CWORD=1; _falcon_ioc; echo \${COMPREPLY[*]}")
  echo "     falcon-ioc se<TAB> -> $got"
  [ "$got" = search ]
  ls /usr/share/zsh/vendor-completions/_falcon-ioc /usr/share/fish/vendor_completions.d/falcon-ioc.fish
else
  echo "-- falcon-ioc is not packaged (tools/cli not built)"
fi
'
step "deb-check passed"

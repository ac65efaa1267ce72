#!/usr/bin/env bash
# Installs Augur's dependencies from Debian packages, selects the right BLAS, then configures
# and builds into build/. Idempotent: a second run installs nothing and rebuilds only what
# changed. Works as root on a fresh Debian 12 (bookworm), or as a user with sudo.
#
#   ./setup.sh                 install, configure, build
#   ./setup.sh --no-build      install and select BLAS only
#   ./setup.sh --with-bench    also install what the benchmarks compare against (python3-torch)
#
# Environment: BUILD_DIR (default build), JOBS (default: number of cores),
# CMAKE_ARGS (extra configure arguments, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch-cuda).
set -euo pipefail

cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
do_build=1
with_bench=0
for arg in "$@"; do
  case "$arg" in
    --no-build) do_build=0 ;;
    --with-bench) with_bench=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# Why each package is here: docs/dependencies.md.
packages=(
  build-essential cmake pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev libprotoc-dev protobuf-compiler
  libabsl-dev libsqlite3-dev sqlite3 libgtest-dev libgmock-dev
  libyaml-cpp-dev nlohmann-json3-dev
  libtorch-dev libopenblas0-openmp libgloo-dev
  bible-kjv bible-kjv-text
  libcpp-httplib-dev librsvg2-dev fonts-dejavu-core chromium
  libssl-dev openssl iproute2 python3-yaml systemd clang
)
# Node.js builds the dashboard page (web/); a Node.js from elsewhere (with its own npm) is kept.
if ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
if [ "$with_bench" = 1 ]; then
  packages+=(python3-torch python3-optuna python3-matplotlib hyperfine)
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "setup.sh: needs root (or sudo) to install packages" >&2; exit 1
  fi
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${#missing[@]} Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    "${missing[@]}" >/dev/null
else
  echo "==> all ${#packages[@]} Debian packages present"
fi

# Debian's LibTorch resolves BLAS through the libblas.so.3 alternative, which may point at
# the netlib reference BLAS (~20x slower training). Select OpenBLAS's OpenMP build: the
# pthreads build oversubscribes the cores against LibTorch's own OpenMP threads.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target="/usr/lib/$arch/openblas-openmp/$lib"
  current=$(update-alternatives --query "$lib-$arch" 2>/dev/null | sed -n 's/^Value: //p')
  if [ -e "$target" ] && [ "$current" != "$target" ]; then
    echo "==> selecting $target for $lib"
    $SUDO update-alternatives --set "$lib-$arch" "$target" >/dev/null
  fi
done

# npm packages at the versions their package-lock.json pins: the dashboard page's, and the
# Kubernetes API schema the deployment test checks the manifests against.
for dir in web tests/deploy/kubernetes_schema; do
  if [ ! -f $dir/node_modules/.package-lock.json ] ||
      [ $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]; then
    echo "==> installing npm packages ($dir/package-lock.json)"
    (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

[ "$do_build" = 1 ] || exit 0

echo "==> configuring $BUILD_DIR"
mkdir -p "$BUILD_DIR"
# shellcheck disable=SC2086
if ! cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} \
    > "$BUILD_DIR/configure.log" 2>&1; then
  cat "$BUILD_DIR/configure.log" >&2
  echo "setup.sh: configure failed (log: $BUILD_DIR/configure.log)" >&2
  exit 1
fi
grep -E '^-- (Augur|  )' "$BUILD_DIR/configure.log" || true
echo "==> building with $JOBS jobs"
start=$(date +%s)
# Let ccache share objects between clones in different folders (paths are made relative).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "==> build finished in $(( $(date +%s) - start )) s"

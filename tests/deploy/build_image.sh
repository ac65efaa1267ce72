#!/usr/bin/env bash
# Builds deploy/Containerfile into the CPU image and runs it, on a machine that reaches Debian's
# archive but no container registry and has no container daemon: the base image debian:bookworm
# is made here by debootstrap (minbase, from deb.debian.org) and the image is built with
# buildah's chroot isolation (no daemon, no cgroups, the host's network). Then, as the image's
# unprivileged user: `augur-scheduler --help`, and tests/deploy/image_smoke.sh (a two-trial
# sweep by `augur run`, then by a scheduler, a worker and the CLI over TLS with tokens), whose
# two sweeps must both end done.
#
# Usage (root; installs buildah and debootstrap from Debian if missing):
#   tests/deploy/build_image.sh [--run-only] [SOURCE_DIR]   (--run-only: run the built image)
# Environment:
#   AUGUR_IMAGE_STATE   buildah storage, the base root file system, logs (default /var/tmp/augur-image)
#   AUGUR_IMAGE         the image's name (default localhost/augur:cpu)
#   AUGUR_IMAGE_CCACHE  a ccache folder mounted into the build (a warm one makes a rebuild fast)
# Prints the build time and the image size. docs/cluster.md, "Container images".
set -euo pipefail
run_only=0
if [ "${1:-}" = --run-only ]; then run_only=1; shift; fi
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
state=${AUGUR_IMAGE_STATE:-/var/tmp/augur-image}
image=${AUGUR_IMAGE:-localhost/augur:cpu}
base=docker.io/library/debian:bookworm  # What `FROM debian:bookworm` resolves to.

if [ "$(id -u)" != 0 ]; then echo "build_image.sh: needs root" >&2; exit 77; fi
missing=()
for tool in buildah debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
mkdir -p "$state"
# Its own storage, apart from any other buildah or podman user of this machine.
bah() { buildah --root "$state/storage" --runroot "$state/run" --storage-driver vfs "$@"; }

# 1. The base image, unless this storage has it.
if [ $run_only = 0 ] && ! bah inspect --type image "$base" >/dev/null 2>&1; then
  echo "==> debootstrap bookworm (minbase) into $state/rootfs"
  t0=$(date +%s)
  rm -rf "$state/rootfs"
  debootstrap --variant=minbase bookworm "$state/rootfs" http://deb.debian.org/debian \
    > "$state/debootstrap.log"
  # The suites of Debian's own image: point releases and security updates too.
  rm -f "$state/rootfs/etc/apt/sources.list"
  cat > "$state/rootfs/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  chroot "$state/rootfs" apt-get clean
  rm -rf "$state/rootfs/var/lib/apt/lists/"*
  ctr=$(bah from scratch)
  mnt=$(bah mount "$ctr")
  tar -C "$state/rootfs" -cf - . | tar -C "$mnt" -xf -
  bah umount "$ctr" >/dev/null
  bah config --cmd /bin/bash "$ctr"
  bah commit --rm "$ctr" "$base" >/dev/null
  echo "==> $base made in $(($(date +%s) - t0)) s"
fi

# 2. The image, from the Containerfile as written.
if [ $run_only = 0 ]; then
mounts=()
if [ -n "${AUGUR_IMAGE_CCACHE:-}" ]; then mounts=(--volume "$AUGUR_IMAGE_CCACHE:/root/.cache/ccache"); fi
# Where HTTPS leaves this machine through an inspecting proxy, npm (setup.sh's `npm ci`) must
# trust the proxy's CA as the host's npm does: its cafile is lent to the build (mounted, so
# not kept in the image).
host_cafile=$(npm config get cafile 2>/dev/null || true)
if [ -f "$host_cafile" ]; then
  printf 'cafile=/run/augur-host-ca.crt\n' > "$state/npmrc"
  mounts+=(--volume "$host_cafile:/run/augur-host-ca.crt:ro" --volume "$state/npmrc:/root/.npmrc:ro")
fi
echo "==> building $image from deploy/Containerfile (log: $state/build.log)"
t0=$(date +%s)
if ! bah bud --isolation chroot --network host --pull=never "${mounts[@]}" \
    -f "$src/deploy/Containerfile" -t "$image" "$src" > "$state/build.log" 2>&1; then
  tail -30 "$state/build.log" >&2
  echo "build_image.sh: the image build failed (log: $state/build.log)" >&2
  exit 1
fi
build_s=$(($(date +%s) - t0))
size=$(bah images --format '{{.Size}}' "$image" | head -1)
echo "==> image built in ${build_s} s ($((build_s / 60)) min), size $size"
fi

# 3. Run it, as the image's own user (USER 10001:10001).
ctr=$(bah from --pull=never "$image")
trap 'bah rm "$ctr" >/dev/null 2>&1 || true' EXIT
inside() { bah run --isolation chroot --network host "$ctr" -- "$@"; }
uid=$(inside id -u)
[ "$uid" = 10001 ] || { echo "build_image.sh: the image runs as uid $uid, not 10001" >&2; exit 1; }
inside augur-scheduler --help > "$state/scheduler-help.txt"
grep -q -- '--tls-cert' "$state/scheduler-help.txt" ||
  { echo "build_image.sh: augur-scheduler --help says nothing of --tls-cert" >&2; exit 1; }
echo "==> augur-scheduler --help ran as uid $uid"

# The sweeps, inside.
t0=$(date +%s)
bah copy --chown 10001:10001 "$ctr" "$src/tests/deploy/image_smoke.sh" /tmp/image_smoke.sh > /dev/null
if ! inside bash /tmp/image_smoke.sh > "$state/smoke.log" 2>&1 ||
    [ "$(grep -c ' done ' "$state/smoke.log")" != 1 ] ||
    ! grep -q '^sweep .* done: completed 2' "$state/smoke.log"; then
  tail -30 "$state/smoke.log" >&2
  echo "build_image.sh: the sweeps did not both finish in the image (log: $state/smoke.log)" >&2
  exit 1
fi
echo "==> two sweeps in the image ($(($(date +%s) - t0)) s):"
grep -E '^(winner|s-.* done )' "$state/smoke.log"
[ $run_only = 1 ] || echo "image $image: built in ${build_s} s, $size, runs as uid 10001"

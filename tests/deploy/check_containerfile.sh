#!/usr/bin/env bash
# Checks deploy/Containerfile without a container runtime: every COPY source exists in the
# build context (the repository), the RUN step's script exists and is executable, every file it
# installs is a binary this build produces, and the image does not run as root.
# AUGUR_BUILD_IMAGE=1 also builds and runs the image (tests/deploy/build_image.sh; root).
# Usage: check_containerfile.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
file="$src/deploy/Containerfile"
status=0
while read -r source _; do
  [ -e "$src/$source" ] || { echo "COPY source $source missing" >&2; status=1; }
done < <(sed -n 's/^COPY \(--[^ ]* \)*//p' "$file")
[ -x "$src/setup.sh" ] || { echo "setup.sh missing or not executable" >&2; status=1; }
for b in $(grep -o 'build/[a-z]*/augur[a-z-]*' "$file"); do
  [ -x "$build/${b#build/}" ] || { echo "installs $b, which this build does not make" >&2; status=1; }
done
user=$(sed -n 's/^USER //p' "$file" | tail -1)
if [ -z "$user" ] || [ "${user%%:*}" = root ] || [ "${user%%:*}" = 0 ]; then
  echo "the image runs as root" >&2; status=1
fi
grep -q '^build$' "$src/.containerignore" || { echo ".containerignore must leave build/ out" >&2; status=1; }
if [ "${AUGUR_BUILD_IMAGE:-0}" = 1 ]; then  # Builds and runs it (about an hour on 2 cores).
  bash "$src/tests/deploy/build_image.sh" "$src" || status=1
fi
[ $status = 0 ] && echo "Containerfile: sources, setup.sh, installed binaries and USER checked"
exit $status

#!/usr/bin/env bash
# Usage: check_flags.sh BINARY FLAG...  Fails naming each flag BINARY --help does not list, so
# that a deployment file never passes a flag the binary would refuse at start.
set -euo pipefail
binary=$1; shift
help=$("$binary" --help)
status=0
for flag in "$@"; do
  if ! grep -q -- "^  $flag " <<<"$help"; then
    echo "$(basename "$binary") has no flag $flag" >&2
    status=1
  fi
done
exit $status

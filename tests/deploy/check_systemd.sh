#!/usr/bin/env bash
# Checks deploy/systemd/*.service: `systemd-analyze verify` (with ExecStart pointed at this
# build's binaries), an unprivileged User=, an exposure score from `systemd-analyze security
# --offline` at most MAX (sandboxing in place), and every flag of ExecStart known to the binary.
# Usage: check_systemd.sh SOURCE_DIR BUILD_DIR. Exit 77 (skipped) without systemd-analyze.
set -euo pipefail
src=$1 build=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
declare -A max=([augur-scheduler]=2.0 [augur-worker]=3.0)
declare -A bin=([augur-scheduler]=scheduler/augur-scheduler [augur-worker]=worker/augur-worker
                [augur-train]=trainer/augur-train)
status=0
for unit in "$src"/deploy/systemd/*.service; do
  name=$(basename "$unit" .service)
  sed -e "s#/usr/local/bin/\(augur-[a-z]*\)#$build/BIN_\1#g" "$unit" > "$tmp/$name.service"
  for b in "${!bin[@]}"; do sed -i "s#BIN_$b#${bin[$b]}#g" "$tmp/$name.service"; done
  if ! out=$(systemd-analyze verify "$tmp/$name.service" 2>&1) || [ -n "$out" ]; then
    echo "$name: systemd-analyze verify: $out" >&2; status=1
  fi
  user=$(sed -n 's/^User=//p' "$unit")
  if [ -z "$user" ] || [ "$user" = root ]; then echo "$name: runs as root" >&2; status=1; fi
  score=$(systemd-analyze security --offline=true "$tmp/$name.service" 2>/dev/null |
          sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
  echo "$name: exposure $score (at most ${max[$name]})"
  if ! awk -v s="$score" -v m="${max[$name]}" 'BEGIN { exit !(s != "" && s <= m) }'; then
    echo "$name: exposure $score above ${max[$name]}: sandboxing options missing" >&2; status=1
  fi
  # The flags of ExecStart (continuation lines joined).
  exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit" | tr -d '\\\n')
  flags=$(grep -o -- '--[a-z-]*' <<<"$exec_start" | sort -u)
  "$src/tests/deploy/check_flags.sh" "$build/${bin[$name]}" $flags || status=1
done
exit $status

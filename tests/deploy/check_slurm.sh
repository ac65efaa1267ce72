#!/usr/bin/env bash
# Runs deploy/slurm/augur-workers.sbatch against a fake srun and scontrol: it must start the
# worker through srun with one task per node and the TLS and token flags augur-worker knows;
# on USR1 (the time limit near) pass SIGTERM to the workers and `scontrol requeue` the job; on
# TERM (preemption) pass it on without requeueing (Slurm requeues a --requeue job itself).
# Usage: check_slurm.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
script="$src/deploy/slurm/augur-workers.sbatch"
bash -n "$script"
grep -q '^#SBATCH --requeue' "$script" || { echo "no #SBATCH --requeue" >&2; exit 1; }
grep -q '^#SBATCH --ntasks-per-node=1' "$script" || { echo "not one task per node" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
# The fake srun records its arguments and the command it would run on each node, then stands
# in for the workers until signalled.
cat > "$tmp/bin/srun" <<'FAKE'
#!/bin/bash
printf '%s\n' "$@" > "$LOG/srun.args"
trap 'echo TERM > "$LOG/srun.signal"; exit 0' TERM
touch "$LOG/srun.started"
while true; do sleep 0.05; done
FAKE
printf '#!/bin/bash\necho "$@" > "$LOG/scontrol"\n' > "$tmp/bin/scontrol"
chmod +x "$tmp/bin/srun" "$tmp/bin/scontrol"

run_case() {  # $1: signal to send; $2: whether scontrol requeue must follow.
  rm -f "$tmp"/srun.* "$tmp/scontrol"
  LOG=$tmp PATH="$tmp/bin:$PATH" AUGUR_SCHEDULER=head:7070 AUGUR_TLS_DIR=/tls \
    SLURM_JOB_ID=4242 HOME=$tmp bash "$script" > "$tmp/out" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do [ -e "$tmp/srun.started" ] && break; sleep 0.05; done
  [ -e "$tmp/srun.started" ] || { echo "srun never started" >&2; cat "$tmp/out" >&2; exit 1; }
  kill -"$1" "$pid"
  wait "$pid" || { echo "script failed after $1" >&2; cat "$tmp/out" >&2; exit 1; }
  [ "$(cat "$tmp/srun.signal" 2>/dev/null)" = TERM ] ||
    { echo "$1: the workers were not sent SIGTERM" >&2; exit 1; }
  if [ "$2" = requeue ]; then
    [ "$(cat "$tmp/scontrol" 2>/dev/null)" = "requeue 4242" ] ||
      { echo "$1: the job was not requeued" >&2; exit 1; }
  else
    [ ! -e "$tmp/scontrol" ] || { echo "$1: requeued by the script" >&2; exit 1; }
  fi
}
run_case USR1 requeue
run_case TERM no
# The worker command srun runs, with its flags checked against augur-worker --help.
command=$(tail -1 "$tmp/srun.args")
flags=$(grep -o -- '--[a-z-]*' <<<"$command" | sort -u)
"$src/tests/deploy/check_flags.sh" "$build/worker/augur-worker" $flags
grep -q -- '--ntasks-per-node=1' "$tmp/srun.args"
echo "slurm: srun starts one worker per node; USR1 requeues, TERM pauses; flags known"

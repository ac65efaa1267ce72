#!/usr/bin/env python3
"""A/B of `augur status SWEEP --limit 0 --output json` (every trial, paged) between two
augur-scheduler binaries on one store: a sweep of --trials trials with --points points each is
made once (with the first binary), then each binary in turn is started on that same file and
the command is timed --rounds times, alternating binaries, so both see the same data, page
cache and machine load. Prints each time (wall, and the CPU seconds of the CLI and of the
scheduler during it) and the medians.

  status_ab.py --augur build/cli/augur --a /tmp/base15/build/scheduler/augur-scheduler \\
      --b build/scheduler/augur-scheduler --trials 100000 --rounds 5
"""
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from bench_scale import ab_arguments, make_sweep, run, start_scheduler


def cpu_s(pid):
    """User + system CPU seconds of a running process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(args, sched_pid):
    """(wall s, CLI CPU s, scheduler CPU s) of one command."""
    sched0 = cpu_s(sched_pid)
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(args)}")
    return wall, usage.ru_utime + usage.ru_stime, cpu_s(sched_pid) - sched0


def main():
    a = ab_arguments(__doc__, rounds=5)
    work = tempfile.mkdtemp(prefix="augur_status_ab_")
    db = os.path.join(work, "augur.db")
    try:
        sweep = make_sweep(a.augur, a.a, db, a.trials, a.points)
        times = {"A": [], "B": []}
        for _ in range(a.rounds):
            for name, binary in (("A", a.a), ("B", a.b)):
                sched, address = start_scheduler(binary, db)
                run([a.augur, "status", sweep, "--scheduler", address])  # Warm: open, first read.
                took, cli_cpu, sched_cpu = timed(
                    [a.augur, "status", sweep, "--limit", "0", "--output", "json", "--scheduler",
                     address], sched.pid)
                times[name].append(took)
                print(json.dumps({"scheduler": name, "status_all_s": round(took, 3),
                                  "cli_cpu_s": round(cli_cpu, 3),
                                  "scheduler_cpu_s": round(sched_cpu, 3)}), flush=True)
                sched.terminate()
                sched.wait()
        for name in ("A", "B"):
            print(f"{name}: median {statistics.median(times[name]):.2f} s, "
                  f"min {min(times[name]):.2f} s over {len(times[name])}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

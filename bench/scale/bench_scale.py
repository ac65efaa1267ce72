#!/usr/bin/env python3
"""Sweep-size benchmark of the control plane (issue 15): a real augur-scheduler, sweeps of 1k,
10k and (with --sizes) 100k trials with P points each written straight into its SQLite store,
and the `augur` commands a user runs on them. Reports per size: submit time, the latency of
`status` (best 50), `status --limit 0 --output json` (every trial, paged), `ls` and `export`
(every point, streamed); the CLI's peak RSS for each, and the scheduler's RSS and peak.
With --train-seconds and --sim-workers, a sweep of the same size then trains for that long on
a fresh scheduler and store, on simulated workers (bench_sim_workers: 4 workers x 4 slots,
leasing, streaming points and completing trials): the scheduler's peak while it trains (VmHWM
reset after the submit) and the latency of `augur top` (one refresh), run back to back.
The training sweep's policy is none, or with --train-policy default the spec's default
(collapse, synchronous milestones 0.1 and 0.15, with its planned reference runs: the simulated
workers train through the milestones, so every trial ends COMPLETED and the scheduler holds
what it keeps of an ended trial of a milestone sweep); --train-points sets its points per trial.

Each size runs on a fresh scheduler and store, so the scheduler's peak (VmHWM) is that size's.
Everything is measured in this run: the ratio columns compare each size with the smallest one
(the baseline), so that what scales linearly and what stays flat can be read off one table.
With --baseline-scheduler (e.g. the previous commit's binary), every size is measured with both
schedulers in turn, and the scheduler's peak per size and its growth per trial are compared.

  bench_scale.py --augur build/cli/augur --scheduler build/scheduler/augur-scheduler
  bench_scale.py ... --sizes 1000,10000,100000 --points 10     # the 100k row takes minutes
  bench_scale.py ... --sim-workers build/bench/scheduler/bench_sim_workers --train-seconds 30
  bench_scale.py ... --train-seconds 60 --train-policy default --train-points 200
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

SPEC = """name: scale{n}
model:
  depth: 2
  heads: 2
  context: 32
  sizes: [{{name: w32, width: 32}}]
data: {{corpus: kjv}}
tokens_per_param: 5
optimizer: {{tau: 0.2}}
batch_sequences: 8
search:
  method: random
  trials: {n}
  parameters:
    lr: {{min: 0.001, max: 0.1, log: true}}
policy: {{kind: none}}
eval_interval_steps: 0
"""


def proc_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run(args, out=subprocess.DEVNULL):
    """Runs a command; returns (seconds, peak RSS in KiB, stdout bytes)."""
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE if out is None else out,
                         stderr=subprocess.PIPE)
    stdout = p.stdout.read() if out is None else b""
    _, status, usage = os.wait4(p.pid, 0)
    took = time.monotonic() - start
    err = p.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(args)}\n{err.decode()[:500]}")
    return took, usage.ru_maxrss, stdout


def add_points(db, sweep_id, points_per_trial):
    """Points for every trial of the sweep, written straight into the store (no worker needed):
    the export streams them like trained ones."""
    con = sqlite3.connect(db, timeout=60)
    trials = [r[0] for r in con.execute("SELECT trial_id FROM trials WHERE sweep_id = ?",
                                        (sweep_id,))]
    now = int(time.time() * 1000)
    rows = ((t, s, s * 256, s / points_per_trial, 5.0 - 0.1 * s, 1e-3, None, now + s)
            for t in trials for s in range(1, points_per_trial + 1))
    con.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return len(trials) * points_per_trial


def start_scheduler(scheduler, db):
    """Starts a scheduler on a fresh store; returns (process, address)."""
    sched = subprocess.Popen([scheduler, "--listen", "127.0.0.1:0", "--db", db],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    while True:  # The dashboard's line may come first.
        line = sched.stdout.readline()
        if not line:
            sys.exit(f"{scheduler} exited before listening")
        found = re.search(r"listening on (\S+)", line)
        if found:
            return sched, found.group(1)


def ab_arguments(doc, rounds):
    """The flags of an A/B of two augur-scheduler binaries on one store (status_ab.py,
    dashboard_ab.py)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--augur", required=True)
    ap.add_argument("--a", required=True, help="augur-scheduler A (e.g. the baseline)")
    ap.add_argument("--b", required=True, help="augur-scheduler B")
    ap.add_argument("--trials", type=int, default=100000)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=rounds)
    return ap.parse_args()


def make_sweep(augur, scheduler, db, trials, points_per_trial):
    """A sweep of `trials` trials submitted to `scheduler` on a fresh store at `db` (which is
    stopped again), then points for every trial written into the file; returns its id."""
    sched, address = start_scheduler(scheduler, db)
    try:
        spec = os.path.join(os.path.dirname(db), "scale.yaml")
        with open(spec, "w") as f:
            f.write(SPEC.format(n=trials))
        _, _, out = run([augur, "submit", spec, "--skip-path-checks", "--output", "json",
                         "--scheduler", address], out=None)
        sweep = json.loads(out)["sweep_id"]
    finally:
        sched.terminate()
        sched.wait()
    add_points(db, sweep, points_per_trial)
    return sweep


def train(augur, scheduler, sim_workers, n, seconds, policy="none", points=10):
    """A sweep of n trials (`policy` none or default, `points` per trial), submitted to a fresh
    scheduler, trains for `seconds` on simulated workers; returns the scheduler's peak while it
    trains (the submit's peak excluded) and the latency of `augur top` meanwhile."""
    work = tempfile.mkdtemp(prefix="augur_bench_train_")
    sched, address = start_scheduler(scheduler, os.path.join(work, "augur.db"))
    try:
        spec = os.path.join(work, f"train{n}.yaml")
        text = SPEC.format(n=n).replace("name: scale", "name: train")
        if policy == "default":
            text = text.replace("policy: {kind: none}\n", "")
        with open(spec, "w") as f:
            f.write(text)
        _, _, out = run([augur, "submit", spec, "--skip-path-checks", "--output", "json",
                         "--scheduler", address], out=None)
        sweep = json.loads(out)["sweep_id"]
        r = {"train_submit_peak_kb": proc_kb(sched.pid, "VmHWM")}
        with open(f"/proc/{sched.pid}/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS: the peak from here on is the training's.
        r["train_start_rss_kb"] = proc_kb(sched.pid, "VmRSS")
        workers = subprocess.Popen([sim_workers, f"--scheduler={address}", "--workers=4",
                                    "--slots=4", f"--seconds={seconds}",
                                    f"--points-per-trial={points}",
                                    f"--batch={max(5, points // 2)}"],
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(min(2.0, seconds / 4))  # The first leases load the sweep.
        tops = []
        while workers.poll() is None:
            took, _, _ = run([augur, "top", sweep, "--scheduler", address])
            tops.append(took)
        stats = json.loads(workers.stdout.read() or "{}")
        tops.sort()
        r.update({"train_peak_kb": proc_kb(sched.pid, "VmHWM"), "top_runs": len(tops),
                  "top_median_s": tops[len(tops) // 2] if tops else float("nan"),
                  "top_max_s": tops[-1] if tops else float("nan"),
                  "train_leases": stats.get("leases", 0),
                  "train_points_acked": stats.get("points_acked", 0),
                  "train_completed": stats.get("completed", 0),
                  "train_error": stats.get("error", "")})
        return r
    finally:
        sched.terminate()
        sched.wait()
        shutil.rmtree(work, ignore_errors=True)


def measure(augur, scheduler, n, points_per_trial, sim_workers=None, train_seconds=0,
            train_policy="none", train_points=10):
    """One size on a fresh scheduler and store; returns the row of measurements."""
    work = tempfile.mkdtemp(prefix="augur_bench_scale_")
    db = os.path.join(work, "augur.db")
    sched, address = start_scheduler(scheduler, db)
    try:
        env_args = ["--scheduler", address]
        spec = os.path.join(work, f"scale{n}.yaml")
        with open(spec, "w") as f:
            f.write(SPEC.format(n=n))
        t_submit, _, out = run([augur, "submit", spec, "--skip-path-checks", "--output",
                                "json"] + env_args, out=None)
        sweep = json.loads(out)["sweep_id"]
        points = add_points(db, sweep, points_per_trial)
        # Planning and storing the sweep has its own peak; the reads below add to it or not.
        r = {"trials": n, "points": points, "submit_s": t_submit,
             "sched_submit_peak_kb": proc_kb(sched.pid, "VmHWM")}
        r["status_s"], r["status_kb"], _ = run([augur, "status", sweep] + env_args)
        r["status_all_s"], r["status_all_kb"], _ = run(
            [augur, "status", sweep, "--limit", "0", "--output", "json"] + env_args)
        r["ls_s"], r["ls_kb"], _ = run([augur, "ls"] + env_args)
        r["export_s"], r["export_kb"], _ = run(
            [augur, "export", sweep, "--out", os.path.join(work, "x.csv")] + env_args)
        r["sched_rss_kb"] = proc_kb(sched.pid, "VmRSS")
        r["sched_peak_kb"] = proc_kb(sched.pid, "VmHWM")
    finally:
        sched.terminate()
        sched.wait()
        shutil.rmtree(work, ignore_errors=True)  # The 100k store is ~0.5 GB.
    if sim_workers and train_seconds > 0:
        r.update(train(augur, scheduler, sim_workers, n, train_seconds, train_policy,
                       train_points))
    return r


def print_table(title, rows):
    base = rows[0]
    print(f"\n{title}; baseline: the {base['trials']}-trial sweep of this run; x = ratio to it")
    cols = [("status_s", "status"), ("status_all_s", "status all"), ("ls_s", "ls"),
            ("export_s", "export")]
    print("| trials | points | submit s | " + " | ".join(f"{c} s (x)" for _, c in cols) +
          " | CLI peak MB (status all / export) | scheduler RSS / peak MB |")
    print("|" + "---|" * (5 + len(cols)))
    for r in rows:
        cells = [f"{r[k]:.2f} ({r[k] / base[k]:.1f}x)" for k, _ in cols]
        print(f"| {r['trials']} | {r['points']} | {r['submit_s']:.2f} | " + " | ".join(cells) +
              f" | {r['status_all_kb'] / 1024:.0f} / {r['export_kb'] / 1024:.0f}"
              f" | {r['sched_rss_kb'] / 1024:.0f} / {r['sched_peak_kb'] / 1024:.0f} |")


def growth_kb_per_trial(rows):
    """Scheduler peak growth per trial between the smallest and the largest size."""
    first, last = rows[0], rows[-1]
    if last["trials"] == first["trials"]:
        return 0.0
    return (last["sched_peak_kb"] - first["sched_peak_kb"]) / (last["trials"] - first["trials"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--augur", required=True)
    ap.add_argument("--scheduler", required=True)
    ap.add_argument("--baseline-scheduler", help="another augur-scheduler to compare with")
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--points", type=int, default=10, help="points per trial")
    ap.add_argument("--sim-workers", help="bench_sim_workers, for the training phase")
    ap.add_argument("--train-seconds", type=float, default=0,
                    help="how long a second sweep trains on simulated workers (0: no training)")
    ap.add_argument("--train-policy", choices=["none", "default"], default="none",
                    help="the training sweep's policy: none, or the spec's default (collapse, "
                    "synchronous milestones 0.1 and 0.15)")
    ap.add_argument("--train-points", type=int, default=10,
                    help="points per trial in the training phase")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    schedulers = [("this scheduler", a.scheduler)]
    if a.baseline_scheduler:
        schedulers.insert(0, ("baseline scheduler", a.baseline_scheduler))
    rows = {name: [] for name, _ in schedulers}
    for n in sizes:
        for name, binary in schedulers:  # Interleaved, so both see the same machine load.
            r = measure(a.augur, binary, n, a.points, a.sim_workers, a.train_seconds,
                        a.train_policy, a.train_points)
            rows[name].append(r)
            print(json.dumps({"scheduler": name, **r}), flush=True)
    for name, _ in schedulers:
        print_table(name, rows[name])
    print("\nscheduler peak MB after submit / after the reads")
    print("| trials | " + " | ".join(f"{name}" for name, _ in schedulers) + " |")
    print("|" + "---|" * (1 + len(schedulers)))
    for i, n in enumerate(sizes):
        print(f"| {n} | " + " | ".join(
            f"{rows[name][i]['sched_submit_peak_kb'] / 1024:.0f} / "
            f"{rows[name][i]['sched_peak_kb'] / 1024:.0f}" for name, _ in schedulers) + " |")
    print("| KB per trial (peak) | " + " | ".join(f"{growth_kb_per_trial(rows[name]):.2f}"
                                                 for name, _ in schedulers) + " |")
    if not (a.sim_workers and a.train_seconds > 0):
        return
    print(f"\nwhile a sweep of the same size trains on a fresh scheduler ({a.train_seconds:.0f} s,"
          f" 16 slots, policy {a.train_policy}, {a.train_points} points per trial): scheduler"
          " peak MB of the submit; RSS at the start of training / peak while training MB;"
          " `augur top` median / max s (runs); trials leased / completed; points acknowledged")
    print("| trials | " + " | ".join(f"{name}" for name, _ in schedulers) + " |")
    print("|" + "---|" * (1 + len(schedulers)))
    for i, n in enumerate(sizes):
        cells = []
        for name, _ in schedulers:
            r = rows[name][i]
            cells.append(f"{r['train_submit_peak_kb'] / 1024:.0f}; "
                         f"{r['train_start_rss_kb'] / 1024:.0f} / {r['train_peak_kb'] / 1024:.0f};"
                         f" {r['top_median_s']:.2f} / {r['top_max_s']:.2f} ({r['top_runs']});"
                         f" {r['train_leases']} / {r['train_completed']};"
                         f" {r['train_points_acked']}")
        print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

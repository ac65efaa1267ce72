#!/usr/bin/env python3
"""A/B of the dashboard's reads of a large sweep between two augur-scheduler binaries on one
store (issue 15): a sweep of --trials trials with --points points each is made once (with the
first binary), then each binary in turn is started on that same file and what the sweep page
asks for is timed --rounds times, alternating binaries, so both see the same data, page cache
and machine load: the sweep endpoint (GET /api/v1/sweeps/ID, as the page asks for it: its
first page on a paged server, every trial on an older one), the loss curves and the
normalized curves at the points per curve the page would ask, and one trial's page. Prints
each request's time and JSON size, the medians, and each scheduler's peak RSS (VmHWM).

  dashboard_ab.py --augur build/cli/augur --a /work/main/build/scheduler/augur-scheduler \\
      --b build/scheduler/augur-scheduler --trials 100000 --points 10 --rounds 3
"""
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_scale import ab_arguments, make_sweep, proc_kb


def start(scheduler, db):
    """A scheduler with its dashboard on loopback; returns (process, gRPC address, URL)."""
    sched = subprocess.Popen([scheduler, "--listen", "127.0.0.1:0", "--db", db,
                              "--dashboard", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = url = None
    while address is None or url is None:
        line = sched.stdout.readline()
        if not line:
            sys.exit(f"{scheduler} exited before listening")
        if m := re.search(r"dashboard at (\S+)", line):
            url = m.group(1).rstrip("/")
        if m := re.search(r"listening on (\S+)", line):
            address = m.group(1)
    return sched, address, url


def get(url):
    """(seconds, JSON bytes) of one GET, uncompressed."""
    start_t = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(
            url, headers={"Accept-Encoding": "identity"}), timeout=900) as r:
        body = r.read()
    took = time.monotonic() - start_t
    json.loads(body)  # A whole answer.
    return took, len(body)


def main():
    a = ab_arguments(__doc__, rounds=3)
    work = tempfile.mkdtemp(prefix="augur_dashboard_ab_")
    db = os.path.join(work, "augur.db")
    try:
        sweep = make_sweep(a.augur, a.a, db, a.trials, a.points)
        con = sqlite3.connect(db)
        middle = con.execute("SELECT trial_id FROM trials WHERE sweep_id = ? LIMIT 1 OFFSET ?",
                             (sweep, a.trials // 2)).fetchone()[0].split("/")[-1]
        con.close()
        print(f"sweep {sweep}: {a.trials} trials, {a.trials * a.points} points", flush=True)
        # What sweep_page.js asks for a 1000-pixel chart: 200,000 points over the trials it
        # draws (every trial before paging, a page of 100 after), in [50, 1500].
        per_curve = {"A": max(50, min(1500, 200000 // a.trials)), "B": 1500}
        paths = {
            "sweep": f"/api/v1/sweeps/{sweep}",
            "curves": f"/api/v1/sweeps/{sweep}/curves?points={{p}}",
            "normalized": f"/api/v1/sweeps/{sweep}/curves?points={{p}}&normalized=1",
            "trial": f"/api/v1/sweeps/{sweep}/trials/{middle}?points=2000",
        }
        times = {(n, k): [] for n in "AB" for k in paths}
        sizes, peaks = {}, {"A": [], "B": []}
        for _ in range(a.rounds):
            for name, binary in (("A", a.a), ("B", a.b)):
                sched, _, url = start(binary, db)
                get(url + "/api/v1/sweeps")  # Warm: open, first read.
                row = {"scheduler": name}
                for key, path in paths.items():
                    took, size = get(url + path.format(p=per_curve[name]))
                    times[(name, key)].append(took)
                    sizes[(name, key)] = size
                    row[f"{key}_s"], row[f"{key}_bytes"] = round(took, 3), size
                peaks[name].append(proc_kb(sched.pid, "VmHWM"))
                row["sched_peak_kb"] = peaks[name][-1]
                print(json.dumps(row), flush=True)
                sched.terminate()
                sched.wait()
        for name in "AB":
            cells = ", ".join(
                f"{k} {statistics.median(times[(name, k)]):.3f} s {sizes[(name, k)] / 1e6:.3f} MB"
                for k in paths)
            print(f"{name}: median {cells}; scheduler peak {max(peaks[name]) / 1024:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Issue 7: collapse and early-stopping accuracy measured on Augur's own training runs.

One command runs the whole experiment, resumably:

  python3 bench/evidence/run_evidence.py                 # train what is missing, then analyze
  python3 bench/evidence/run_evidence.py --analyze-only  # redo tables and plots from the CSVs
  python3 bench/evidence/run_evidence.py --preset small  # a smaller family (about an hour)

Curves: bench/data/evidence/<preset>/runs/*.csv (docs/curves.md format, kept in the repo).
Results: docs/evidence.md (full preset, the default) or docs/evidence-small.md, plots under
docs/evidence/. Trainings run under `nice -n 19` with one thread each, --jobs at a time.
Needs: augur-train and augur-predict (default: build-evidence/), python3; matplotlib for plots.
"""

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository

import argparse
import calendar
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(os.path.dirname(HERE))

import plan as plan_mod  # noqa: E402
import runner  # noqa: E402

PRIORITY = {"family": 0, "mismatch": 1, "sweep": 2, "batch": 3, "sweep_largest": 4}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--preset", default="full", choices=["small", "full"])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-evidence"))
    ap.add_argument("--trainer", help="augur-train (default BUILD/trainer/augur-train)")
    ap.add_argument("--predictor", help="augur-predict (default BUILD/predictor/augur-predict)")
    ap.add_argument("--jobs", type=int, default=2, help="trainings at once (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="threads per training (default 1)")
    ap.add_argument("--nice", type=int, default=19, help="nice level of trainings (default 19)")
    ap.add_argument("--work-dir", help="partial runs and checkpoints (default BUILD/evidence-work)")
    ap.add_argument("--stop-launching-after", type=float, default=0,
                    help="minutes after which no new training starts (0 = no limit)")
    ap.add_argument("--stop-launching-at", metavar="HH:MM",
                    help="UTC time of day after which no new training starts")
    ap.add_argument("--skip-roles", default="",
                    help="comma-separated roles not to train this time (e.g. sweep_largest)")
    ap.add_argument("--analyze-only", action="store_true")
    ap.add_argument("--train-only", action="store_true")
    args = ap.parse_args()

    p = plan_mod.build(args.preset)
    trainer = os.path.abspath(args.trainer or os.path.join(args.build_dir, "trainer", "augur-train"))
    predictor = os.path.abspath(
        args.predictor or os.path.join(args.build_dir, "predictor", "augur-predict"))
    data_dir = os.path.join(REPO, "bench", "data", "evidence", args.preset)
    runs_dir = os.path.join(data_dir, "runs")
    work_dir = args.work_dir or os.path.join(args.build_dir, "evidence-work", args.preset)

    if not args.analyze_only:
        skip = set(filter(None, args.skip_roles.split(",")))
        runs = sorted((r for r in p["runs"] if r["role"] not in skip),
                      key=lambda r: (PRIORITY[r["role"]], plan_mod.tokens(r)))
        stop_at = time.time() + 60 * args.stop_launching_after if args.stop_launching_after else 0
        if args.stop_launching_at:
            hh, mm = (int(v) for v in args.stop_launching_at.split(":"))
            now = time.gmtime()
            stop_at = calendar.timegm((now.tm_year, now.tm_mon, now.tm_mday, hh, mm, 0))
        runner.run_all(runs, trainer, runs_dir, work_dir, args.jobs, args.threads, args.nice,
                       stop_at)
    # Curves written before thinning existed (or by hand) are thinned in place; idempotent.
    if os.path.isdir(runs_dir):
        import curves  # noqa: E402
        for name in sorted(os.listdir(runs_dir)):
            path = os.path.join(runs_dir, name)
            if name.endswith(".csv"):
                with open(path) as f:
                    n = sum(1 for _ in f) - 1
                if n > curves.MAX_POINTS:
                    curves.thin_csv(path, path)
    if not args.train_only:
        import analyze  # noqa: E402  (kept separate: analysis needs no trainer)
        analyze.analyze(p, runs_dir, data_dir, predictor, REPO)


if __name__ == "__main__":
    main()

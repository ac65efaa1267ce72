#!/usr/bin/python3
"""Times Optuna's RDB storage on a SQLite file: trial.report(value, step) calls per second.

usage: optuna_report.py DB_PATH SECONDS
Prints one JSON line: {"version", "report": {"count", "seconds"}, "report_and_prune": {...}}.
Run by bench_scheduler (bench/scheduler/) as the baseline of the scheduler benchmark.
"""
import json
import math
import sys
import time


def main():
    try:
        import optuna
    except ImportError as e:  # The caller reports this and skips the baseline.
        print(json.dumps({"error": "optuna not importable: %s" % e}))
        return 0
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path, seconds = sys.argv[1], float(sys.argv[2])
    storage = "sqlite:///" + path
    out = {"version": optuna.__version__}

    # trial.report alone: one intermediate value written per call.
    study = optuna.create_study(storage=storage, study_name="report", direction="minimize")
    trial = study.ask()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trial.report(2.0 * (1.0 - 0.5 * n / 1e6) + 0.002 * math.sin(n), n)
        n += 1
    out["report"] = {"count": n, "seconds": time.perf_counter() - t0}

    # report + should_prune, as a pruning objective does each step, with a few finished
    # trials in the study so that the median pruner has something to compare against.
    study = optuna.create_study(storage=storage, study_name="prune", direction="minimize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    for k in range(3):
        t = study.ask()
        for s in range(50):
            t.report(2.0 + k * 0.1 - s * 0.001, s)
        study.tell(t, 2.0 + k * 0.1)
    trial = study.ask()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trial.report(2.05 - n * 1e-6, n)
        trial.should_prune()
        n += 1
    out["report_and_prune"] = {"count": n, "seconds": time.perf_counter() - t0}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

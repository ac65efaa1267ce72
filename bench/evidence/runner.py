"""Runs the plan's trainings with augur-train, resumably.

A finished run's curve is bench/data/evidence/<preset>/runs/<id>.csv, written only after
augur-train exited 0 (rename of a complete file), so its presence means "done". An unfinished
run keeps its partial CSV and checkpoints in a work directory outside the repository and is
resumed from its newest checkpoint (augur-train drops curve rows past the checkpoint).
"""

import concurrent.futures
import glob
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import curves

_PRINT_LOCK = threading.Lock()
_STOPPING = threading.Event()
_CHILDREN = set()


def _on_signal(signum, frame):
    """SIGTERM/SIGINT: stop launching and pause the running trainings (they checkpoint)."""
    del frame
    _STOPPING.set()
    log("signal %d: pausing %d running training(s)" % (signum, len(_CHILDREN)))
    for proc in list(_CHILDREN):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)


def log(msg):
    with _PRINT_LOCK:
        print(time.strftime("%H:%M:%S"), msg, flush=True)


def trainer_args(run, threads):
    return [
        "--model.width=%d" % run["width"],
        "--model.depth=%d" % run["depth"],
        "--model.heads=%d" % run["heads"],
        "--model.context_tokens=%d" % run["context"],
        "--model.base_width=%d" % run["base_width"],
        "--optimizer.peak_lr=%g" % run["peak_lr"],
        "--optimizer.tau=%g" % run["tau"],
        "--batch_sequences=%d" % run["batch"],
        "--tokens_per_param=%g" % run["tpp"],
        "--seed=%d" % run["seed"],
        "--data.data_seed=0",
        "--eval_interval_steps=%d" % run["eval_interval"],
        "--eval_sequences=16",
        "--checkpoint_interval_steps=%d" % run["checkpoint_interval"],
        "--threads=%d" % threads,
    ]


def _steps(run):
    from plan import params  # local import keeps this module importable alone
    return max(1, round(run["tpp"] * params(run["width"], run["depth"]) /
                        (run["batch"] * run["context"])))


def run_one(run, trainer, runs_dir, work_dir, threads, nice):
    out = os.path.join(runs_dir, run["id"] + ".csv")
    if os.path.exists(out):
        return "skip"
    steps = _steps(run)
    run = dict(run, eval_interval=max(10, steps // 25), checkpoint_interval=max(50, steps // 10))
    wd = os.path.join(work_dir, run["id"])
    ck = os.path.join(wd, "ckpt")
    os.makedirs(ck, exist_ok=True)
    partial = os.path.join(wd, "curve.csv")
    cmd = (["nice", "-n", str(nice)] if nice else []) + [
        trainer, "--config", "/dev/null", "--out", partial, "--quiet", "--run-id", run["id"],
        "--checkpoint-dir", ck] + trainer_args(run, threads)
    cks = sorted(glob.glob(os.path.join(ck, "step-*.ckpt")))
    if cks and os.path.exists(partial):
        cmd += ["--resume", cks[-1]]
        log("resume %s from %s" % (run["id"], os.path.basename(cks[-1])))
    else:
        if os.path.exists(partial):
            os.remove(partial)
        log("start  %s (%d steps)" % (run["id"], steps))
    t0 = time.time()
    with _PRINT_LOCK:
        if _STOPPING.is_set():
            return "paused"
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _CHILDREN.add(proc)
    _, err = proc.communicate()
    _CHILDREN.discard(proc)
    res = subprocess.CompletedProcess(cmd, proc.returncode, "", err)
    if res.returncode == 4:
        log("paused %s (checkpoint kept; rerun to resume)" % run["id"])
        return "paused"
    if res.returncode == 3:
        log("diverged %s (kept: a diverged trial is an outcome)" % run["id"])
    elif res.returncode != 0:
        log("FAIL   %s exit %d: %s" % (run["id"], res.returncode, res.stderr.strip()[-300:]))
        return "fail"
    curves.thin_csv(partial, out)  # at most curves.MAX_POINTS rows per run, atomically
    shutil.rmtree(wd, ignore_errors=True)
    log("done   %s in %.0f s" % (run["id"], time.time() - t0))
    return "done"


def run_all(runs, trainer, runs_dir, work_dir, jobs, threads, nice, stop_at):
    """Runs every missing run, `jobs` at a time; launches nothing after time `stop_at`."""
    os.makedirs(runs_dir, exist_ok=True)
    todo = [r for r in runs if not os.path.exists(os.path.join(runs_dir, r["id"] + ".csv"))]
    log("%d of %d runs to do" % (len(todo), len(runs)))
    if not todo:
        return
    if not os.access(trainer, os.X_OK):
        sys.exit("run_evidence: trainer %s not found; build augur-train or pass --trainer" % trainer)
    results = {}
    lock = threading.Lock()
    queue = list(todo)

    def worker():
        while True:
            with lock:
                if not queue or _STOPPING.is_set() or (stop_at and time.time() > stop_at):
                    return
                r = queue.pop(0)
            results[r["id"]] = run_one(r, trainer, runs_dir, work_dir, threads, nice)

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        futures = [ex.submit(worker) for _ in range(jobs)]
        while not all(f.done() for f in futures):  # the main thread stays free for signals
            time.sleep(0.5)
        for f in futures:
            f.result()
    left = [r["id"] for r in todo if results.get(r["id"]) not in ("done", "skip")]
    if left:
        log("not finished this time: %s" % " ".join(left))

"""Curve reading and the collapse arithmetic of METHOD.md section 2 (standard library only)."""

import csv
import math
import os
import shutil


def read_run(path):
    """One augur-train curve CSV -> {"id", "controls": {...}, "x": [...], "loss": [...]}."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    r0 = rows[0]
    ctl = {k: r0[k] for k in ("tpp", "tau", "schedule", "warmup_fraction", "peak_lr",
                              "weight_decay", "batch_tokens", "params", "seed", "total_steps")}
    xs, ls = [], []
    for r in rows:
        xs.append(float(r["fraction"]))
        ls.append(float(r["loss"]))
    return {"id": r0["run_id"], "path": path, "controls": ctl, "x": xs, "loss": ls,
            "total_steps": int(r0["total_steps"]), "diverged": any(not math.isfinite(v) for v in ls)}


def read_runs(runs_dir):
    out = {}
    if not os.path.isdir(runs_dir):
        return out
    for name in sorted(os.listdir(runs_dir)):
        if name.endswith(".csv"):
            run = read_run(os.path.join(runs_dir, name))
            if run:
                out[run["id"]] = run
    return out


def concat_csv(paths, dest):
    """Concatenates curve CSVs that share augur-train's header."""
    header = None
    with open(dest, "w") as out:
        for p in paths:
            with open(p) as f:
                h = f.readline()
                if header is None:
                    header = h
                    out.write(h)
                elif h != header:
                    raise ValueError("%s: header differs from the first file" % p)
                out.write(f.read())


def smooth(values, window):
    """Centered moving average, `window` points (odd), shrinking at the ends."""
    half = max(0, window // 2)
    n = len(values)
    pre = [0.0]
    for v in values:
        pre.append(pre[-1] + v)
    out = []
    for i in range(n):
        a, b = max(0, i - half), min(n, i + half + 1)
        out.append((pre[b] - pre[a]) / (b - a))
    return out


def smooth_window(run, fraction=0.02, min_points=5):
    w = max(min_points, int(round(fraction * len(run["x"]))))  # points, not steps (thinned)
    return w if w % 2 else w + 1


def final_loss(run, fraction=0.02, min_points=8):
    """End value of a least-squares line over the last 2% of training (as the predictor does)."""
    n = max(min_points, int(round(fraction * len(run["x"]))))
    xs, ys = run["x"][-n:], run["loss"][-n:]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0
    return my + slope * (1.0 - mx)


def interp(xs, ys, x):
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    lo, hi = 0, len(xs) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    t = (x - xs[lo]) / (xs[hi] - xs[lo])
    return ys[lo] + t * (ys[hi] - ys[lo])


GRID = [round(0.02 * i, 2) for i in range(1, 51)]  # x = 0.02 ... 1.00


def on_grid(run, normalized=True):
    """Smoothed (normalized) loss on GRID."""
    s = smooth(run["loss"], smooth_window(run))
    div = final_loss(run) if normalized else 1.0
    return [interp(run["x"], s, x) / div for x in GRID]


def mean(v):
    return sum(v) / len(v)


def std(v):
    if len(v) < 2:
        return 0.0
    m = mean(v)
    return math.sqrt(sum((a - m) ** 2 for a in v) / (len(v) - 1))


def delta(curves_on_grid):
    """Delta(x) = std/mean over curves at each grid point ([Q], METHOD.md section 2)."""
    return [std(col) / mean(col) for col in zip(*curves_on_grid)]


def window_mean(series, lo, hi):
    vals = [v for x, v in zip(GRID, series) if lo - 1e-9 <= x <= hi + 1e-9]
    return mean(vals)


# The normalized form of METHOD.md section 3, evaluated like predictor/normalized_form.cc.
M, E1, E2 = 0.05, 0.001, 0.1


def form_eta_d2z(x, warmup):
    x = min(1.0, max(0.0, x))
    x = max(x, warmup)  # warmup replaced by the peak (docs/method.md, FormEta)
    return (1.0 - x) / (1.0 - warmup) if warmup < 1 else 1.0


def form(x, tau, tpp, cal, warmup=0.1):
    b = cal["b_c"] * (tau ** cal["b_e"])
    q = cal["q_c"] * (tpp ** cal["q_e"])

    def raw(z):
        return ((1 + E1) / (z + E1)) ** M + b * (form_eta_d2z(z, warmup) + E2) ** q

    return raw(x) / raw(1.0)


MAX_POINTS = 400


def thin_csv(src, dst, max_points=MAX_POINTS):
    """Writes `src` to `dst` with at most `max_points` rows per run.

    A run of T steps is cut into min(T, max_points) blocks of near-equal size; each block
    becomes its middle row (step, tokens, fraction, lr) with `loss` replaced by the block's mean
    training loss, placed at the block's centre so that it is not lagged, and `val_loss` the
    block's last evaluation. The last point lies within half a block of the end, so the
    predictor still infers the run complete; a NaN anywhere in a block makes its mean NaN.
    Keeps the repository's curves small; the per-step files are in git history (0d01d9f).
    """
    with open(src, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    li, vi = header.index("loss"), header.index("val_loss")
    n = len(rows)
    if n <= max_points:
        if os.path.abspath(src) != os.path.abspath(dst):
            shutil.copyfile(src, dst)
        return
    nb = max_points  # blocks of near-equal size (no short last block)
    bounds = [round(i * n / nb) for i in range(nb + 1)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        block = rows[a:b]
        row = list(block[len(block) // 2])
        losses = [float(r[li]) for r in block]
        row[li] = "%.6g" % (sum(losses) / len(losses))
        vals = [r[vi] for r in block if r[vi] != ""]
        row[vi] = vals[-1] if vals else ""
        out.append(row)
    tmp = dst + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(out)
    os.replace(tmp, dst)

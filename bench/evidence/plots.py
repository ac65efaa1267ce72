"""PNG plots of the evidence (matplotlib, Debian's python3-matplotlib). Small files: dpi 80."""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import curves as cv  # noqa: E402

DPI = 80


def _save(fig, fig_dir, name):
    fig.tight_layout()
    fig.savefig(os.path.join(fig_dir, name), dpi=DPI)
    plt.close(fig)
    return name


def family(fig_dir, fam, planned, delta, sig):
    widths = sorted({planned[r]["width"] for r in fam})
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for rid, run in sorted(fam.items()):
        w = planned[rid]["width"]
        c = cmap(widths.index(w) / max(1, len(widths) - 1))
        label = "w%d" % w if planned[rid]["seed"] == 0 else None
        axes[0].plot(cv.GRID, cv.on_grid(run, normalized=False), color=c, lw=1, label=label)
        axes[1].plot(cv.GRID, cv.on_grid(run), color=c, lw=1, label=label)
    axes[0].set(title="raw (smoothed) training loss", xlabel="fraction of training x",
                ylabel="loss (nats/byte)")
    axes[1].set(title="normalized l(x) = L(x) / L(T)", xlabel="fraction of training x",
                ylim=(0.98, 1.5))
    axes[1].legend()
    _save(fig, fig_dir, "family_collapse.png")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(cv.GRID, [100 * v for v in delta], color="k", label="Delta(x), all sizes and seeds")
    for w, s in sorted(sig.items()):
        ax.plot(cv.GRID, [100 * v for v in s], ls="--", label="sigma(x), seeds at w%d" % w)
    ax.set(xlabel="fraction of training x", ylabel="%", yscale="log",
           title="collapse quality vs seed noise floor")
    ax.legend()
    _save(fig, fig_dir, "family_delta.png")


def mismatch(fig_dir, base, mis):
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, run in enumerate(base):
        ax.plot(cv.GRID, cv.on_grid(run), color="k", lw=1,
                label="family (tau 0.175, TPP 20)" if i == 0 else None)
    for rid, run in sorted(mis.items()):
        ax.plot(cv.GRID, cv.on_grid(run), lw=1.2, label=rid)
    ax.set(xlabel="fraction of training x", ylabel="l(x) = L(x)/L(T)", ylim=(0.98, 1.5),
           title="mismatched tau / TPP leave the family's curve")
    ax.legend(fontsize=8)
    _save(fig, fig_dir, "mismatch.png")


def sweep(fig_dir, role, runs, planned):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for rid, run in sorted(runs.items()):
        pr = planned[rid]
        label = ("lr %g tau %g" % (pr["peak_lr"], pr["tau"]) if role.startswith("sweep")
                 else "batch %d" % pr["batch"])
        if run["diverged"]:
            continue
        axes[0].plot(cv.GRID, cv.on_grid(run, normalized=False), lw=1, label=label)
        axes[1].plot(cv.GRID, cv.on_grid(run), lw=1, label=label)
    axes[0].set(title="%s: raw (smoothed) loss" % role, xlabel="fraction of training x",
                ylabel="loss")
    axes[1].set(title="normalized", xlabel="fraction of training x", ylim=(0.98, 1.5))
    axes[0].legend(fontsize=6, ncol=2)
    return _save(fig, fig_dir, "%s_curves.png" % role)

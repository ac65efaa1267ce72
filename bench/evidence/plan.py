"""The run plan of issue 7: which trainings make up the evidence, as data.

Every run is one `augur-train` invocation, named by a stable id; its curve lands in
bench/data/evidence/<preset>/runs/<id>.csv. Changing a run's settings means changing its id
(the runner skips a run whose CSV exists, so it must never describe different settings).

Two presets:
  small  what fits one session on 2 shared CPU cores (measured in docs/evidence-small.md);
  full   the issue's target scale (widths 32..96), to run when the machine is free.
"""

TAU_RULE_20TPP = 0.175  # 0.78 * 20^-0.5, METHOD.md section 1.


def params(width, depth):
    """Non-embedding parameters, common/model_params.h (mlp_ratio 4)."""
    return depth * (12 * width * width + 4 * width) + 2 * width


def _run(rid, role, width, lr, tau, tpp, seed, batch, shape, group):
    return {
        "id": rid,
        "role": role,      # family | mismatch | sweep | sweep_largest | batch
        "group": group,    # replay / comparison group
        "width": width,
        "depth": shape["depth"],
        "heads": shape["heads"],
        "context": shape["context"],
        "base_width": shape["base_width"],
        "peak_lr": lr,
        "tau": tau,
        "tpp": tpp,
        "seed": seed,
        "batch": batch,
    }


def build(preset):
    if preset == "small":
        shape = {"depth": 2, "heads": 2, "context": 64, "base_width": 16}
        widths = [16, 24, 32, 48]
        batch = 8
        lr = 0.01
        sweep_widths = [32, 48]  # second-largest first (fits a session), then the largest
        sweep_lrs = [0.003, 0.01, 0.03, 0.06]
        batch_width = 24
        batch_sizes = [4, 16, 32]  # 8 is the family run itself
        mismatch_width = 24
    elif preset == "full":
        shape = {"depth": 2, "heads": 4, "context": 64, "base_width": 32}
        widths = [32, 48, 64, 96]
        batch = 16
        lr = 0.01
        sweep_widths = [64, 96]  # 96: 12 x 4.4M tokens, about 40 min on 2 free cores
        sweep_lrs = [0.003, 0.01, 0.03, 0.06]
        batch_width = 48
        batch_sizes = [8, 32, 64]
        mismatch_width = 48
    else:
        raise ValueError("unknown preset " + preset)

    runs = []
    # 1. The family at fixed TPP and the tau rule; three seeds at the two smallest sizes.
    for i, w in enumerate(widths):
        seeds = [0, 1, 2] if i < 2 else [0]
        for s in seeds:
            runs.append(_run("fam_w%d_s%d" % (w, s), "family", w, lr, TAU_RULE_20TPP, 20, s,
                             batch, shape, "family"))
    # 2. Deliberate mismatches (small size, so they may also serve as fit references).
    mw = mismatch_width
    for tau in (0.06, 0.5):
        runs.append(_run("mis_w%d_tau%g" % (mw, tau), "mismatch", mw, lr, tau, 20, 0, batch,
                         shape, "mismatch"))
    for tpp in (10, 40):
        runs.append(_run("mis_w%d_tpp%d" % (mw, tpp), "mismatch", mw, lr, TAU_RULE_20TPP, tpp, 0,
                         batch, shape, "mismatch"))
    # 3. Batch-size sweep at fixed tau (weight decay re-solved per batch size).
    for b in batch_sizes:
        runs.append(_run("bs_w%d_b%d" % (batch_width, b), "batch", batch_width, lr,
                         TAU_RULE_20TPP, 20, 0, b, shape, "batch"))
    # 4. LR x tau sweeps, 12 trials each, common data order (same data_seed), model seed 0.
    #    "sweep" at the second-largest width, "sweep_largest" at the largest (run last).
    for sweep_width, role in zip(sweep_widths, ("sweep", "sweep_largest")):
        for tau in (0.06, 0.175, 0.5):
            for slr in sweep_lrs:
                runs.append(_run("sw_w%d_lr%g_tau%g" % (sweep_width, slr, tau), role,
                                 sweep_width, slr, tau, 20, 0, batch, shape,
                                 "sweep_w%d" % sweep_width))
    return {
        "preset": preset,
        "widths": widths,
        "small_widths": widths[:2],
        "large_widths": widths[2:],
        "sweep_widths": sweep_widths,
        "batch_width": batch_width,
        "family_batch": batch,
        "runs": runs,
    }


def tokens(run):
    return run["tpp"] * params(run["width"], run["depth"])

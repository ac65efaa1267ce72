#!/usr/bin/python3
"""Tokens per second of augur-train against the same GPT written in PyTorch Python.

Both train the same model (docs/trainer.md architecture), batch, optimizer (AdamW, muP
per-layer learning rates, gradient clipping) and schedule on the same corpus, on the same CPU
with the same number of threads, one after the other. The Python side is the straightforward
program an ML engineer would write with Debian's python3-torch (1.13): nn.Linear/LayerNorm/
Embedding, attention as matmul + masked_fill + softmax + matmul, torch.optim.AdamW.

Prints both throughputs (excluding the first, warm-up step and evaluation) and the ratio
augur / python: the median over alternating pairs of runs, and best of each.
By default both run at the same time with one thread each (the machine has 2 cores and other
load: running concurrently exposes both to the same interference); --mode alternate runs them
one after the other, e.g. with --threads 2.
Usage: bench_trainer.py --augur-train PATH [--mode concurrent|alternate --width 256 --depth 4
       --heads 4 --context 256 --batch 16 --steps 6 --threads 1 --repeats 3]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time


def corpus_path():
    if os.environ.get("AUGUR_CORPUS"):
        return os.environ["AUGUR_CORPUS"]
    path = os.path.join(tempfile.gettempdir(), "augur-kjv-%d.txt" % os.getuid())
    if not os.path.exists(path):
        out = subprocess.run(["/usr/bin/bible", "-f", "gen1:1-rev22:21"], check=True,
                             capture_output=True).stdout.decode()
        text = "".join(line.split(" ", 1)[1] + "\n" for line in out.splitlines() if " " in line)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return path


def run_python(args, data):
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    W, H, T, V = args.width, args.heads, args.context, 256
    m = W / args.base_width

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(W), nn.LayerNorm(W)
            self.qkv = nn.Linear(W, 3 * W, bias=False)
            self.proj = nn.Linear(W, W, bias=False)
            self.up = nn.Linear(W, 4 * W, bias=False)
            self.down = nn.Linear(4 * W, W, bias=False)
            self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

        def forward(self, x):
            B, L, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q = q.view(B, L, H, C // H).transpose(1, 2)
            k = k.view(B, L, H, C // H).transpose(1, 2)
            v = v.view(B, L, H, C // H).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (math.sqrt(args.base_width / H) / (C // H))
            att = att.masked_fill(~self.mask[:L, :L], float("-inf")).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, L, C)
            x = x + self.proj(y)
            return x + self.down(F.gelu(self.up(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, W), nn.Embedding(T, W)
            self.blocks = nn.ModuleList([Block() for _ in range(args.depth)])
            self.ln_f = nn.LayerNorm(W)
            self.head = nn.Linear(W, V, bias=False)

        def forward(self, idx, targets):
            x = self.tok(idx) + self.pos.weight[: idx.shape[1]]
            for b in self.blocks:
                x = b(x)
            logits = self.head(self.ln_f(x)) / m
            return F.cross_entropy(logits.view(-1, V), targets.reshape(-1))

    model = GPT()
    hidden = [p for n, p in model.named_parameters() if n.startswith("blocks") and p.dim() == 2]
    norms = [p for n, p in model.named_parameters() if p.dim() == 1]
    other = [p for n, p in model.named_parameters() if not n.startswith("blocks") and p.dim() == 2]
    lr = 3e-3
    opt = torch.optim.AdamW([
        {"params": hidden, "lr": lr / m, "weight_decay": 0.1},
        {"params": other, "lr": lr, "weight_decay": 0.1},
        {"params": norms, "lr": lr, "weight_decay": 0.0}], betas=(0.9, 0.95), eps=1e-8)
    base_lrs = [g["lr"] for g in opt.param_groups]
    tokens = np.memmap(data, dtype=np.uint8, mode="r")
    n_train = int(len(tokens) * 0.99)
    rng = np.random.default_rng(0)
    tokens_per_step = args.batch * T
    start = cpu_start = None
    for step in range(args.steps):
        if step == 1:
            start, cpu_start = time.perf_counter(), time.process_time()
        offsets = rng.integers(0, n_train - T - 1, args.batch)
        batch = torch.from_numpy(np.stack([tokens[o:o + T + 1] for o in offsets]).astype(np.int64))
        x = (step + 0.5) / args.steps
        factor = x / 0.1 if x < 0.1 else (1 - x) / 0.9
        for g, base in zip(opt.param_groups, base_lrs):
            g["lr"] = base * factor
        loss = model(batch[:, :-1], batch[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
    tokens = tokens_per_step * (args.steps - 1)
    return tokens / (time.perf_counter() - start), tokens / (time.process_time() - cpu_start)


def best_blas_core():
    """The OpenBLAS core type augur-train selects on this CPU (trainer/blas_core.h), or None."""
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def start_augur(args, data, env=None):
    cmd = [args.augur_train, "--emit-jsonl", "--quiet",
           "--model.width=%d" % args.width, "--model.depth=%d" % args.depth,
           "--model.heads=%d" % args.heads, "--model.context_tokens=%d" % args.context,
           "--model.base_width=%d" % args.base_width,
           "--batch_sequences=%d" % args.batch, "--total_steps=%d" % args.steps,
           "--eval_sequences=%d" % args.batch, "--optimizer.peak_lr=3e-3",
           "--optimizer.weight_decay=0.1", "--data.path=%s" % data,
           "--resources.cpu_threads=%d" % args.threads]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)


def finish_augur(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("augur-train exited %d" % proc.returncode)
    for line in out.splitlines():
        event = json.loads(line)
        if event["event"] == "end":
            return event["tokens_per_second"], event["tokens_per_cpu_second"]
    raise RuntimeError("augur-train printed no end event")


def start_python(args, env=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--python-only", "--augur-train", "-",
           "--width", str(args.width), "--base-width", str(args.base_width),
           "--depth", str(args.depth), "--heads", str(args.heads), "--context", str(args.context),
           "--batch", str(args.batch), "--steps", str(args.steps), "--threads", str(args.threads)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)


def finish_python(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("python baseline exited %d" % proc.returncode)
    wall, cpu = out.split()[-2:]
    return float(wall), float(cpu)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--augur-train", required=True)
    p.add_argument("--mode", choices=["concurrent", "alternate"], default="concurrent",
                   help="concurrent: both run at once, one process each, so other load on the "
                        "machine hits both alike; alternate: one after the other")
    p.add_argument("--python-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--base-width", type=int, default=128)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads of each side")
    p.add_argument("--repeats", type=int, default=3, help="alternating pairs of runs")
    args = p.parse_args()
    data = corpus_path()
    if args.python_only:
        print("%f %f" % run_python(args, data))
        return 0
    print("model: width %d depth %d heads %d context %d, batch %d sequences, %d steps, "
          "%d threads each, %s" % (args.width, args.depth, args.heads, args.context, args.batch,
                                   args.steps, args.threads, args.mode), flush=True)
    # 1. As shipped: the environment as it is. augur-train re-executes itself with the OpenBLAS
    #    kernels the CPU supports when OpenBLAS fell back to SSE3 ones (trainer/blas_core.h);
    #    the plain Python program keeps what OpenBLAS chose.
    # 2. Same kernels: OPENBLAS_CORETYPE forced alike for both, isolating the trainer's own work.
    configs = [("as shipped", None)]
    core = best_blas_core()
    if core and not os.environ.get("OPENBLAS_CORETYPE"):
        configs.append(("same BLAS kernels (OPENBLAS_CORETYPE=%s for both)" % core,
                        dict(os.environ, OPENBLAS_CORETYPE=core)))
    for name, env in configs:
        print("%s:" % name, flush=True)
        bench_pairs(args, data, env)


def bench_pairs(args, data, env):
    augur, python = [], []
    for _ in range(args.repeats):
        if args.mode == "concurrent":
            a, b = start_augur(args, data, env), start_python(args, env)
            augur.append(finish_augur(a))
            python.append(finish_python(b))
        else:
            augur.append(finish_augur(start_augur(args, data, env)))
            python.append(finish_python(start_python(args, env)))
        print("  augur-train %.0f tok/s (%.0f per CPU-s), pytorch-python %.0f tok/s (%.0f per CPU-s)"
              % (augur[-1] + python[-1]), flush=True)
    # Other load on the machine moves both numbers a lot; runs of a pair share most of it, so
    # the median of the per-pair ratios is the headline, with best-of-each beside it.
    def median(xs):
        xs = sorted(xs)
        return 0.5 * (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2])
    pair_wall = median([a[0] / p[0] for a, p in zip(augur, python)])
    pair_cpu = median([a[1] / p[1] for a, p in zip(augur, python)])
    a, b = max(x[0] for x in augur), max(x[0] for x in python)
    ac, bc = max(x[1] for x in augur), max(x[1] for x in python)
    print("  augur-train: best %.0f tokens/s (%.0f tokens per CPU-second)" % (a, ac))
    print("  pytorch-python: best %.0f tokens/s (%.0f tokens per CPU-second)" % (b, bc))
    print("  ratio (augur / python), median of %d pairs: %.3f wall-clock, %.3f CPU time"
          % (args.repeats, pair_wall, pair_cpu))
    print("  ratio (augur / python), best of each: %.3f wall-clock, %.3f CPU time"
          % (a / b, ac / bc), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

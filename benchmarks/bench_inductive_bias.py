"""Speed (and accuracy) of the inductive-bias samplers against the published routes, measured fairly.

How each ratio is measured (the "Benchmarks" section of the design notes): one warm-up call per
side, then repeats that ALTERNATE the two sides (A, B, A, B, ...); the table shows the median and
the minimum wall time of each side and the median CPU time (``time.process_time``) next to it; torch
and BLAS run on ONE thread on both sides (``limit_threads(1)``); both sides answer the same question
and the table shows how far apart the answers are. No side is extrapolated from a smaller run.

1. GP posterior at the test points: exact Cholesky solve vs the published Adam fit of
   (K + .)^-1 Y and (K + .)^-1 K_x* (kernel_inductive_bias.py), at the published 10,000 epochs
   (its default: the headline) and at 1,000 epochs. No number of Adam epochs reaches the
   Cholesky's round-off-level accuracy; the "difference" column shows how far Adam stays.
2. Test losses of S sampled GP hypotheses, on a size ladder of S (stopped by a time budget
   checked before the next size): the chi2 route and the eigen route (torch) of
   ``sample_gaussian_losses`` against the published route written as a competent numpy user
   would (``scipy.linalg.sqrtm`` of the covariance, then every hypothesis f = mu + A z
   materialised and its MSE taken, vectorised in blocks of 10,000 hypotheses), and chi2 vs eigen.
   The answers are random: "same answer" is the difference of the mean losses in units of its
   standard error (|z| < 4 expected).
3. An ensemble of E MLPs trained as one batched model vs the published pattern, one network at a
   time, written as a competent torch user would (``nn.Sequential`` of ``nn.Linear`` + Adam, full
   batch), from the same initial weights; "same answer" is the max difference of training MSEs.

Usage: python benchmarks/bench_inductive_bias.py [--device auto|cpu|cuda] [--quick] [--budget S]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from analysis._core.device import resolve_device
from analysis._core.execution import limit_threads
from analysis.inductive_bias import (
    digits_task,
    gp_posterior,
    init_mlp_ensemble,
    rbf_kernel,
    sample_gaussian_losses,
    train_mlp_ensemble,
)


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _once(fn):
    _sync()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    _sync()
    return time.perf_counter() - w0, time.process_time() - c0, out


def compare(sides: dict, repeats: int, warmups: dict | None = None):
    """Warm up every side, then run them in rotation (A, B, C, A, B, C, ...) ``repeats`` times.

    ``warmups`` may give a cheaper warm-up call for a side (the same code on fewer epochs: it pays
    the first-call costs without a full extra run). Returns ``{side: (median wall, min wall,
    median CPU)}`` and ``{side: last output}``.
    """
    warmups = warmups or {}
    for name, fn in sides.items():
        _once(warmups.get(name, fn))
    wall = {name: [] for name in sides}
    cpu = {name: [] for name in sides}
    outs = {}
    for _ in range(repeats):
        for name, fn in sides.items():
            w, c, outs[name] = _once(fn)
            wall[name].append(w)
            cpu[name].append(c)
    stats = {name: (statistics.median(wall[name]), min(wall[name]), statistics.median(cpu[name]))
             for name in sides}
    return stats, outs


HEADER = (f"{'task':44s} {'reference':44s} {'n':>2s} {'ref med/min s':>15s} {'ref cpu':>8s} "
          f"{'ours med/min s':>15s} {'ours cpu':>8s} {'x wall':>7s} {'x cpu':>6s}  same answer")


def row(task: str, reference: str, ref_stats, our_stats, repeats: int, note: str) -> str:
    (rm, rmin, rc), (om, omin, oc) = ref_stats, our_stats
    line = (f"{task:44s} {reference:44s} {repeats:2d} {rm:7.3f}/{rmin:7.3f} {rc:8.3f} "
            f"{om:7.3f}/{omin:7.3f} {oc:8.3f} {rm / om:6.1f}x {rc / max(oc, 1e-9):5.1f}x  {note}")
    print(line, flush=True)
    return line


def adam_posterior(task, epochs: int, device):
    """The published approach: fit alpha = (K)^-1 Y and A = (K)^-1 K_x* by Adam on the MSE."""
    dt = torch.float64

    def kernel(A, B):
        return torch.as_tensor(rbf_kernel(A, B, task.lengthscale), device=device, dtype=dt)

    K, Kx, Kss = kernel(task.X_train, task.X_train), kernel(task.X_train, task.X_test), kernel(
        task.X_test, task.X_test)
    Y = torch.as_tensor(task.Y_train, device=device, dtype=dt)
    alpha = torch.zeros_like(Y, requires_grad=True)
    A = torch.zeros_like(Kx, requires_grad=True)
    opt_a = torch.optim.Adam([alpha], lr=1e-2)  # the published learning rates
    opt_x = torch.optim.Adam([A], lr=1e-3)
    for _ in range(epochs):
        opt_a.zero_grad()
        ((K @ alpha - Y) ** 2).mean().backward()
        opt_a.step()
        opt_x.zero_grad()
        ((K @ A - Kx) ** 2).mean().backward()
        opt_x.step()
    with torch.no_grad():
        mean = (Kx.T @ alpha).cpu().numpy()
        cov = (Kss - Kx.T @ A).cpu().numpy()
    return mean, cov


def published_losses(mean, cov, target, n, seed, block: int = 10_000):
    """sqrtm of the covariance, then every hypothesis materialised (vectorised, in blocks)."""
    from scipy.linalg import sqrtm

    root = np.real(sqrtm(cov))  # complex on numerically indefinite input: the real part, as used
    rng = np.random.default_rng(seed)
    out = np.empty(n)
    for start in range(0, n, block):
        size = min(block, n - start)
        z = rng.standard_normal((size, cov.shape[0], mean.shape[1]))
        f = mean[None] + np.einsum("ab,sbc->sac", root, z)
        out[start:start + size] = np.mean((f - target[None]) ** 2, axis=(1, 2))
    return out


def mean_gap_z(a: np.ndarray, b: np.ndarray) -> float:
    """Difference of two sample means in units of its standard error."""
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float((a.mean() - b.mean()) / se)


def plain_torch_loop(X, Y, init, steps: int, lr: float = 1e-2):
    """One network at a time with nn.Linear layers and Adam (the published pattern), same start."""
    dev, dt = init.weights[0].device, init.weights[0].dtype
    Xt, Yt = torch.as_tensor(X, device=dev, dtype=dt), torch.as_tensor(Y, device=dev, dtype=dt)
    mse = []
    for e in range(init.n_models):
        layers = []
        for i, (W, b) in enumerate(zip(init.weights, init.biases, strict=True)):
            lin = torch.nn.Linear(W.shape[1], W.shape[2], device=dev, dtype=dt)
            with torch.no_grad():
                lin.weight.copy_(W[e].T)
                lin.bias.copy_(b[e, 0])
            layers.append(lin)
            if i < len(init.weights) - 1:
                layers.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(net(Xt), Yt).backward()
            opt.step()
        with torch.no_grad():
            mse.append(float(torch.nn.functional.mse_loss(net(Xt), Yt)))
    return np.array(mse)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["all", "mlp"], default="all")
    parser.add_argument("--budget", type=float, default=270.0, help="seconds for the whole script")
    args = parser.parse_args()
    limit_threads(1)
    device = resolve_device(args.device)
    t_start = time.perf_counter()
    repeats = 3
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, repeats: {repeats} alternating "
          "after one warm-up each; times: median/min wall, median CPU")
    print(HEADER, flush=True)
    lines = []

    task = digits_task(16, 100, 50, rng=0)
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    if args.only == "all":
        # 1. exact posterior vs Adam: an epoch ladder up to the published 10,000 (the headline),
        # stopped by the time budget checked before each size (Adam's time is linear in epochs)
        section_budget = 0.3 * args.budget
        last_cost, last_epochs = 0.0, 1
        for epochs in ((100, 500) if args.quick else (1_000, 10_000)):
            spent = time.perf_counter() - t_start
            need = last_cost * epochs / last_epochs
            if spent + need > section_budget:
                print(f"  (Adam ladder stopped before {epochs} epochs: {spent:.0f} s spent, next needs "
                      f"about {need:.0f} s of a {section_budget:.0f} s budget)")
                break
            size_start = time.perf_counter()
            stats, outs = compare(
                {"adam": lambda e=epochs: adam_posterior(task, e, device),
                 "chol": lambda: gp_posterior(task.X_train, task.Y_train, task.X_test,
                                              lengthscale=task.lengthscale)},
                repeats, warmups={"adam": lambda: adam_posterior(task, 20, device)})
            (mean_a, cov_a), p = outs["adam"], outs["chol"]
            note = (f"Adam max |error|: mean {np.abs(mean_a - p.mean).max():.1e}, "
                    f"cov {np.abs(cov_a - p.cov).max():.1e}")
            lines.append(row("GP posterior: Cholesky", f"Adam, {epochs} epochs (published: 10000)",
                             stats["adam"], stats["chol"], repeats, note))
            last_cost, last_epochs = time.perf_counter() - size_start, epochs

        # 2. S hypotheses' losses, size ladder stopped by the time budget
        ladder = ((10_000, 30_000, 100_000) if args.quick
                  else (10_000, 30_000, 100_000, 300_000, 1_000_000))
        section_budget = 0.55 * args.budget
        section_start = time.perf_counter()
        last_cost, last_size = 0.0, 1
        for n_hyp in ladder:
            spent = time.perf_counter() - section_start
            if spent + last_cost * n_hyp / last_size > section_budget:
                print(f"  (ladder stopped before S={n_hyp}: {spent:.0f} s spent, next size needs about "
                      f"{last_cost * n_hyp / last_size:.0f} s of a {section_budget:.0f} s budget)")
                break
            size_start = time.perf_counter()

            def chi2(n=n_hyp):
                return sample_gaussian_losses(post.mean, post.cov, task.Y_test, n, rng=1)

            def eigen(n=n_hyp):
                return sample_gaussian_losses(post.mean, post.cov, task.Y_test, n, rng=1, method="eigen",
                                              device=str(device))

            def naive(n=n_hyp):
                return published_losses(post.mean, post.cov, task.Y_test, n, 2)

            stats, outs = compare({"naive": naive, "chi2": chi2, "eigen": eigen}, repeats)
            rate = {k: f"{n_hyp / stats[k][0]:.3g}/s" for k in stats}
            for name in ("chi2", "eigen"):
                lines.append(row(f"S={n_hyp:.0e} losses: {name} route ({device.type})",
                                 "sqrtm + materialised f (numpy)", stats["naive"], stats[name], repeats,
                                 f"mean gap {mean_gap_z(outs['naive'], outs[name]):+.1f} SE; "
                                 f"{rate[name]} vs {rate['naive']}"))
            lines.append(row(f"S={n_hyp:.0e} losses: chi2 route", f"eigen route ({device.type})",
                             stats["eigen"], stats["chi2"], repeats,
                             f"mean gap {mean_gap_z(outs['eigen'], outs['chi2']):+.1f} SE"))
            last_cost, last_size = time.perf_counter() - size_start, n_hyp

    # 3. batched MLP ensemble vs one network at a time (plain torch), same initial weights
    n_models, steps = (16, 50) if args.quick else (32, 200)
    for dtype in ("float64", "float32"):
        init = init_mlp_ensemble(n_models, 16, 32, 2, 10, seed=0, device=str(device), dtype=dtype)
        # time budget checked BEFORE the run: a 5-step probe of both sides, scaled to the
        # (1 warm-up + repeats) full runs of each
        w_probe, _, _ = _once(lambda i=init: plain_torch_loop(task.X_train, task.Y_train, i, 5))
        w_probe += _once(lambda i=init, d=dtype: train_mlp_ensemble(
            task.X_train, task.Y_train, n_models=n_models, width=32, depth=2, steps=5, tol=1e-300,
            init=i, device=str(device), dtype=d))[0]
        spent = time.perf_counter() - t_start
        need = (repeats + 1) * w_probe * steps / 5
        if spent + need > args.budget:
            print(f"  (MLP {dtype} skipped: {spent:.0f} s spent, it needs about {need:.0f} s of a "
                  f"{args.budget:.0f} s budget)")
            break
        stats, outs = compare({
            "loop": lambda i=init: plain_torch_loop(task.X_train, task.Y_train, i, steps),
            "batched":
            lambda i=init, d=dtype: train_mlp_ensemble(
                task.X_train, task.Y_train, n_models=n_models, width=32, depth=2, steps=steps,
                tol=1e-300, init=i, device=str(device), dtype=d)},
            repeats)
        gap = float(np.abs(outs["batched"].train_mse - outs["loop"]).max())
        lines.append(row(f"MLP ensemble E={n_models}, {steps} steps ({dtype})",
                         "nn.Sequential + Adam, one net at a time", stats["loop"], stats["batched"],
                         repeats,
                         f"max |train MSE gap| {gap:.1e}"))
    print(f"total {time.perf_counter() - t_start:.0f} s wall")


if __name__ == "__main__":
    main()

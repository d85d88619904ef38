"""Benchmarks of the contrastive topic (not run by the tests), measured fairly.

Every comparison follows "Benchmarks: how to measure a ratio fairly" (/work/shared/DESIGN.md):
one warm-up call per side, then repeats *alternating* the sides (A, B, A, B, ...); the tables show
the median and the minimum of each side, in CPU time (``time.process_time``) next to wall time;
BLAS/torch threads are pinned to one for both sides (``limit_threads(1)``, same process); each
row first shows that the two sides give the same answer (their difference next to the timings);
the naive side is vectorised numpy as a competent user writes it, defined in this file, never our
library code called in a loop; every size ladder checks a time budget *before* starting the next
size, so the whole script stays under ~4 minutes on 2 cores.

1. L_un with k = 1000 negatives: straightforward vectorised numpy (materialise every anchor's k
   negatives at once) vs ``unsupervised_loss`` streamed (independent negatives per anchor, chunked)
   at the SAME number of anchors; same answer = |difference| / combined standard error.
2. Coverage probability v(C, K): the float64 alternating sum (fast, wrong) vs the log-space
   recursion vs exact rationals (the reference; relative errors against it).
3. A3 sufficiency gaps: closed form vs Monte Carlo (vectorised numpy per-X divergences). The
   reference at its default (n = 2000 draws) and at matched accuracy (n such that the standard error
   reaches a target relative accuracy); the headline ratio is the matched-accuracy one.
4. A4 simplicity bias: closed-form minimisers vs full-batch gradient descent written in vectorised
   numpy here, at the library's default number of steps and run until the loss is within a relative
   1e-6 of the closed-form minimum (steps doubled); the headline ratio is the 1e-6 one.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_contrastive.py [--quick] [--only ...]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from analysis._core.execution import limit_threads
from analysis.contrastive.data import (
    coverage_probability,
    coverage_probability_naive_float,
    make_latent_class_model,
)
from analysis.contrastive.losses import linear_encoder, unsupervised_loss
from analysis.contrastive.simplicity_bias import (
    feature_moments,
    gram_distance,
    make_subclass_dataset,
    min_norm_supervised_minimiser,
    spectral_minimiser,
    spectral_population_loss,
    supervised_spectral_loss,
)
from analysis.contrastive.sufficiency import (
    chi2_monte_carlo_variance_finite,
    chi2_sufficiency_gap,
    conditional_given_encoder,
    gaussian_chi2,
    kl_sufficiency_gap,
    make_gaussian_view_model,
    top_pca_encoder,
)

START = time.monotonic()
BUDGET_S = {"losses": 70.0, "coverage": 25.0, "sufficiency": 60.0, "simplicity": 70.0}


# ---------------------------------------------------------------------------------------------
# Fair timing
# ---------------------------------------------------------------------------------------------


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def compare(sides: dict, repeats: int = 3) -> dict:
    """Warm up each side once, then ``repeats`` rounds alternating the sides (A, B, A, B, ...).

    ``sides`` = {name: zero-argument callable}. Returns {name: {"out", "wall_med", "wall_min",
    "cpu_med", "cpu_min"}} (the output of the last call).
    """
    outs = {name: fn() for name, fn in sides.items()}  # warm-up, same treatment for every side
    walls: dict = {name: [] for name in sides}
    cpus: dict = {name: [] for name in sides}
    for _ in range(repeats):
        for name, fn in sides.items():
            outs[name], wall, cpu = _timed(fn)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {
        name: {"out": outs[name], "wall_med": statistics.median(walls[name]),
               "wall_min": min(walls[name]), "cpu_med": statistics.median(cpus[name]),
               "cpu_min": min(cpus[name])}
        for name in sides
    }


def _t(stats) -> str:
    """'median/min wall | median/min cpu' of one side, seconds."""
    return (f"{stats['wall_med']:8.2e}/{stats['wall_min']:8.2e} "
            f"{stats['cpu_med']:8.2e}/{stats['cpu_min']:8.2e}")


T_HEAD = f"{'wall med/min s':>17s} {'cpu med/min s':>17s}"


def _ratio(slow, fast) -> str:
    """Ratio of CPU medians (the headline) and of wall medians."""
    return (f"{slow['cpu_med'] / max(fast['cpu_med'], 1e-9):9.1f}"
            f" {slow['wall_med'] / max(fast['wall_med'], 1e-9):9.1f}")


def _over_budget(section: str, section_start: float, last_seconds: float, growth: float) -> bool:
    """True when the next size (about ``growth`` times the last one) would pass the budget."""
    spent = time.monotonic() - section_start
    if spent + growth * last_seconds > BUDGET_S[section]:
        print(f"  (ladder stopped: {spent:.0f} s spent, next size ~{growth * last_seconds:.0f} s, "
              f"budget {BUDGET_S[section]:.0f} s)")
        return True
    return False


# ---------------------------------------------------------------------------------------------
# 1. L_un with many negatives
# ---------------------------------------------------------------------------------------------


def straightforward_loss(W, model, n, k, seed):
    """What a user writes in numpy: materialise all n * k negatives, encode, score; O(n k d) memory."""
    rng = np.random.default_rng(seed)
    c_pos = rng.choice(model.n_classes, size=n, p=model.rho)
    c_neg = rng.choice(model.n_classes, size=(n, k), p=model.rho)
    d = model.dim
    x = model.means[c_pos] + model.sigma * rng.standard_normal((n, d))
    x_pos = model.means[c_pos] + model.sigma * rng.standard_normal((n, d))
    x_neg = model.means[c_neg] + model.sigma * rng.standard_normal((n, k, d))
    fx, f_pos, f_neg = x @ W.T, x_pos @ W.T, x_neg @ W.T
    v = (fx * f_pos).sum(-1)[:, None] - np.einsum("np,nkp->nk", fx, f_neg)
    neg = np.concatenate([np.zeros((n, 1)), -v], axis=1)  # log2(1 + sum_i e^{-v_i}), stable
    top = neg.max(axis=1, keepdims=True)
    values = (top[:, 0] + np.log(np.exp(neg - top).sum(axis=1))) / math.log(2.0)
    return values.mean(), values.std(ddof=1) / math.sqrt(n)


def bench_unsupervised(quick: bool) -> None:
    C, d, p, k = 100, 32, 16, 1000
    model = make_latent_class_model(C, d, sigma=1.0, rng=0, separation=3.0)
    W = np.random.default_rng(1).standard_normal((p, d)) / math.sqrt(d)
    enc = linear_encoder(W)
    print(f"\n1. L_un (logistic, base 2), k = {k} negatives, C = {C}, d = {d}, p = {p}; both sides "
          "at the same n; ratio = CPU median, then wall median")
    print(f"{'n anchors':>9s} {'numpy est':>10s} {'streamed est':>12s} {'|diff|/SE':>9s} "
          f"{'numpy ' + T_HEAD:>42s} {'streamed ' + T_HEAD:>45s} {'cpu ratio':>9s} {'wall ratio':>9s}")
    start = time.monotonic()
    for n in ([200] if quick else [200, 400, 800]):
        res = compare({
            "numpy": lambda n=n: straightforward_loss(W, model, n, k, 2),
            "streamed": lambda n=n: unsupervised_loss(enc, model, n, k=k, rng=3, chunk_size=64),
        })
        (m_a, se_a), est = res["numpy"]["out"], res["streamed"]["out"]
        z = abs(m_a - est.mean) / math.hypot(se_a, est.stderr)
        print(f"{n:9d} {m_a:10.4f} {est.mean:12.4f} {z:9.2f} {_t(res['numpy']):>42s} "
              f"{_t(res['streamed']):>45s} {_ratio(res['numpy'], res['streamed'])}")
        if _over_budget("losses", start, 4 * 2 * (res["numpy"]["wall_med"]
                                                  + res["streamed"]["wall_med"]), 2.0):
            break
    print("(ratio > 1: streamed faster. Memory: numpy holds n*k*d floats (n = 800: 200 MB), the "
          "streamed estimator one chunk of 64 anchors whatever n.)")


# ---------------------------------------------------------------------------------------------
# 2. Coverage probability
# ---------------------------------------------------------------------------------------------


def bench_coverage(quick: bool) -> None:
    print("\n2. Coverage probability v(C, K): relative error vs exact rationals (the reference)")
    print(f"{'C':>4s} {'K':>5s} {'exact v':>10s} {'float err':>9s} {'recur err':>9s} "
          f"{'float ' + T_HEAD:>42s} {'recursion ' + T_HEAD:>45s} {'exact ' + T_HEAD:>42s}")
    start = time.monotonic()
    sizes = [(10, 20), (100, 150)] if quick else [(10, 20), (100, 150), (100, 1000), (300, 600),
                                                  (300, 3000)]
    for C, K in sizes:
        res = compare({
            "float": lambda C=C, K=K: coverage_probability_naive_float(C, K),
            "recursion": lambda C=C, K=K: coverage_probability(C, K),
            "exact": lambda C=C, K=K: coverage_probability(C, K, method="exact"),
        })
        exact = res["exact"]["out"]
        e_f = abs(res["float"]["out"] - exact) / exact
        e_r = abs(res["recursion"]["out"] - exact) / exact
        print(f"{C:4d} {K:5d} {exact:10.3e} {e_f:9.1e} {e_r:9.1e} {_t(res['float']):>42s} "
              f"{_t(res['recursion']):>45s} {_t(res['exact']):>42s}")
        if _over_budget("coverage", start, 4 * sum(r["wall_med"] for r in res.values()), 5.0):
            break


# ---------------------------------------------------------------------------------------------
# 3. A3 sufficiency gaps
# ---------------------------------------------------------------------------------------------


def _draws(model, n, seed):
    return np.random.default_rng(seed).multivariate_normal(np.zeros(model.dim), model.view_cov, size=n)


def chi2_monte_carlo(model, H, n, seed=1, chunk=100_000):
    """Mean and SE of the per-X Gaussian chi^2 over n draws of X (vectorised, in chunks)."""
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    vals = np.concatenate([gaussian_chi2(_draws(model, min(chunk, n - s), seed + s) @ (R_x - R_h).T,
                                         C_x, C_h) for s in range(0, n, chunk)])
    return vals.mean(), vals.std(ddof=1) / math.sqrt(n)


def kl_monte_carlo(model, H, n, seed=1, chunk=100_000):
    """Mean and SE of the per-X Gaussian KL(P_{Z|X} || P_{Z|HX}) over n draws of X."""
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    inv = np.linalg.inv(C_h)
    const = np.trace(inv @ C_x) - model.dim + np.linalg.slogdet(C_h)[1] - np.linalg.slogdet(C_x)[1]
    parts = []
    for s in range(0, n, chunk):
        delta = _draws(model, min(chunk, n - s), seed + s) @ (R_x - R_h).T
        parts.append(0.5 * (const + np.einsum("ij,ij->i", delta, delta @ inv)))
    vals = np.concatenate(parts)
    return vals.mean(), vals.std(ddof=1) / math.sqrt(n)


def bench_sufficiency(quick: bool) -> None:
    target = 1e-2 if quick else 1e-3
    print("\n3. A3 sufficiency gaps: closed form vs Monte Carlo, at the MC default (n = 2000) and at "
          f"matched accuracy (relative SE {target:g}; the headline)")
    print(f"{'gap':4s} {'d':>3s} {'closed form':>12s} {'n MC':>8s} {'MC est':>11s} {'|MC-CF|/SE':>10s} "
          f"{'closed ' + T_HEAD:>42s} {'MC ' + T_HEAD:>42s} {'cpu ratio':>9s} {'wall ratio':>9s}")
    start = time.monotonic()
    for d in ([10] if quick else [10, 20, 50]):
        model = make_gaussian_view_model(d, 1.0, rng=d)
        H = top_pca_encoder(model, d // 5)
        if not chi2_monte_carlo_variance_finite(model, H):
            print(f"d={d}: per-X chi^2 has infinite variance, no Monte-Carlo SE; skipped")
            continue
        last = 0.0
        for name, closed, mc in (("chi2", chi2_sufficiency_gap, chi2_monte_carlo),
                                 ("KL", kl_sufficiency_gap, kl_monte_carlo)):
            value = closed(model, H)
            pilot_sd = mc(model, H, 2000, seed=0)[1] * math.sqrt(2000)
            n_matched = min(2_000_000, max(2000, math.ceil((pilot_sd / (target * value)) ** 2)))
            for n in (2000, n_matched):
                res = compare({"closed": lambda closed=closed, model=model, H=H: closed(model, H),
                               "mc": lambda mc=mc, n=n, model=model, H=H: mc(model, H, n)})
                est, se = res["mc"]["out"]
                z = abs(est - value) / se
                print(f"{name:4s} {d:3d} {value:12.6g} {n:8d} {est:11.6g} {z:10.2f} "
                      f"{_t(res['closed']):>42s} {_t(res['mc']):>42s} "
                      f"{_ratio(res['mc'], res['closed'])}")
                last += 4 * res["mc"]["wall_med"]
        if _over_budget("sufficiency", start, last, 3.0):
            break
    print("(n MC matched = (pilot SD / (target * value))^2 from a 2000-draw pilot, capped at 2e6; "
          "|MC-CF|/SE should be O(1); ratio = MC time / closed-form time)")


# ---------------------------------------------------------------------------------------------
# 4. A4 simplicity bias
# ---------------------------------------------------------------------------------------------


def gd_supervised_numpy(X, y, p, steps, init_scale=1e-6, lr=0.3, seed=1):
    """Full-batch GD on the supervised spectral loss, as a user writes it in numpy."""
    n = X.shape[0]
    same = (y[:, None] == y[None, :]).astype(float)
    P = same / same.sum(axis=1, keepdims=True)
    W = init_scale * np.random.default_rng(seed).standard_normal((p, X.shape[1]))
    Xs = X / math.sqrt(n)
    step = lr / np.linalg.norm(Xs, 2) ** 2
    for _ in range(steps):
        G = Xs @ W.T
        W = W - step * ((-4.0 * P @ G + 4.0 * G @ (G.T @ G)).T @ Xs)
    return W


def gd_unsupervised_numpy(M, Sigma, p, steps, init_scale=1e-4, lr=0.02, seed=1):
    """Full-batch GD on the population spectral loss, as a user writes it in numpy."""
    W = init_scale * np.random.default_rng(seed).standard_normal((p, M.shape[0]))
    for _ in range(steps):
        W = W - lr * (-4.0 * W @ M + 4.0 * (W @ Sigma @ W.T) @ W @ Sigma)
    return W


def _steps_to(train, loss, target, start_steps, max_steps):
    steps = start_steps
    while loss(train(steps)) > target and steps < max_steps:
        steps *= 2
    return steps


def bench_simplicity(quick: bool) -> None:
    rel = 1e-6
    print(f"\n4. A4 closed-form minimisers vs numpy gradient descent (small init), at the library's "
          f"default steps and at the first 2^j-multiple reaching a loss within {rel:g} (relative) of "
          "the minimum (the headline)")
    print(f"{'problem':30s} {'GD steps':>8s} {'GD loss gap':>11s} {'Gram dist':>9s} "
          f"{'closed ' + T_HEAD:>42s} {'GD ' + T_HEAD:>42s} {'cpu ratio':>9s} {'wall ratio':>9s}")
    start = time.monotonic()
    problems = [("sup", 15, 200, 3)] if quick else [("sup", 15, 200, 3), ("sup", 50, 1000, 3),
                                                    ("uns", 1.0, 1), ("uns", 1.0, 2), ("uns", 8.0, 1)]
    for prob in problems:
        if prob[0] == "sup":
            _, n_per_group, dim, p = prob
            ds = make_subclass_dataset(n_per_group, dim, rng=0)

            def closed(ds=ds, p=p):
                return min_norm_supervised_minimiser(ds.X, ds.y, p)

            def gd(s, ds=ds, p=p):
                return gd_supervised_numpy(ds.X, ds.y, p, s)

            def loss(W, ds=ds):
                return supervised_spectral_loss(W, ds.X, ds.y)

            default, first, cap = 1500, 100, 200_000
            label = f"supervised n={4 * n_per_group} d={dim} p={p}"
        else:
            _, nu, p = prob
            M, Sigma = feature_moments(aug_noise=(nu, 1.0, 1.0))

            def closed(M=M, Sigma=Sigma, p=p):
                return spectral_minimiser(M, Sigma, p)

            def gd(s, M=M, Sigma=Sigma, p=p):
                return gd_unsupervised_numpy(M, Sigma, p, s)

            def loss(W, M=M, Sigma=Sigma):
                return spectral_population_loss(W, M, Sigma)

            default, first, cap = 2000, 250, 1_000_000
            label = f"unsupervised nu_easy={nu:g} p={p}"
        best = loss(closed())
        tol_steps = _steps_to(gd, loss, best + rel * abs(best), first, cap)
        for steps in (default, tol_steps):
            res = compare({"closed": closed, "gd": lambda gd=gd, steps=steps: gd(steps)})
            W_gd, W_cf = res["gd"]["out"], res["closed"]["out"]
            gap = (loss(W_gd) - best) / abs(best)
            print(f"{label:30s} {steps:8d} {gap:11.1e} {gram_distance(W_gd, W_cf):9.1e} "
                  f"{_t(res['closed']):>42s} {_t(res['gd']):>42s} {_ratio(res['gd'], res['closed'])}")
        if _over_budget("simplicity", start, 4 * res["gd"]["wall_med"], 3.0):
            break
    print("(GD loss gap = (loss(W_gd) - min) / |min|; Gram dist = ||W_gd^T W_gd - W^T W||_F / "
          "||W^T W||_F; ratio = GD time / closed-form time)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (seconds)")
    parser.add_argument(
        "--only", choices=("losses", "coverage", "sufficiency", "simplicity"), help="run one section"
    )
    args = parser.parse_args()
    limit_threads(1)  # both sides of every comparison run in this process with one thread
    sections = {
        "losses": bench_unsupervised,
        "coverage": bench_coverage,
        "sufficiency": bench_sufficiency,
        "simplicity": bench_simplicity,
    }
    for name, run in sections.items():
        if args.only in (None, name):
            run(args.quick)
    print(f"\ntotal {time.monotonic() - START:.0f} s (budget per section: {BUDGET_S})")

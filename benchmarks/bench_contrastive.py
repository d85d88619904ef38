"""Benchmarks of the contrastive topic (not run by the tests).

1. The unsupervised loss L_un with k = 1000 negatives: the straightforward estimator (materialise
   every anchor's k negatives at once) vs the streamed estimators of
   ``analysis.contrastive.unsupervised_loss`` (independent negatives per anchor, chunked; and
   negatives shared within a chunk, one matrix product per chunk) up to 10^6 anchors.
   Throughput = anchors per second; memory = peak of numpy allocations (tracemalloc).
2. The coverage probability v(C, K): the float64 alternating sum (fast, wrong) vs the log-space
   recursion vs exact rationals.
3. A3 (approximate sufficiency, Gaussian views): the closed-form chi^2 and KL sufficiency gaps vs
   Monte-Carlo averages of the per-X divergence (chi^2: ``chi2_sufficiency_gap_monte_carlo``;
   KL: the per-X Gaussian KL averaged here) with n chosen from a pilot run so that the standard
   error reaches a target relative accuracy ("matched accuracy"); the closed form itself is exact
   to round-off (checked against exact sympy integrals in proofs_checks/check_contrastive.py).
4. A4 (simplicity bias): the closed-form minimisers (min-norm supervised minimiser, spectral
   population minimiser) vs full-batch gradient descent from a small initialisation, run until
   its loss is within a relative 1e-6 of the closed-form minimum (steps doubled until it is).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_contrastive.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
from functools import partial

import numpy as np

from analysis.contrastive.data import (
    coverage_probability,
    coverage_probability_naive_float,
    make_latent_class_model,
)
from analysis.contrastive.losses import linear_encoder, logistic_loss, unsupervised_loss
from analysis.contrastive.simplicity_bias import (
    feature_moments,
    gram_distance,
    make_subclass_dataset,
    min_norm_supervised_minimiser,
    spectral_minimiser,
    spectral_population_loss,
    supervised_spectral_loss,
    train_supervised_gd,
    train_unsupervised_gd,
)
from analysis.contrastive.sufficiency import (
    chi2_monte_carlo_variance_finite,
    chi2_sufficiency_gap,
    chi2_sufficiency_gap_monte_carlo,
    conditional_given_encoder,
    kl_sufficiency_gap,
    make_gaussian_view_model,
    top_pca_encoder,
)


def straightforward_loss(encoder, model, n, k, rng):
    """Materialise all n * k negatives, encode, score: memory O(n k d)."""
    rng = np.random.default_rng(rng)
    c_pos = model.sample_classes((n,), rng)
    c_neg = model.sample_classes((n, k), rng)
    fx = encoder(model.sample_inputs(c_pos, rng))
    f_pos = encoder(model.sample_inputs(c_pos, rng))
    f_neg = encoder(model.sample_inputs(c_neg, rng))  # (n, k, p)
    v = (fx * f_pos).sum(-1)[:, None] - np.einsum("np,nkp->nk", fx, f_neg)
    values = logistic_loss(v)
    return values.mean(), values.std(ddof=1) / math.sqrt(n)


def measure(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak / 2**20


def bench_unsupervised(quick: bool) -> None:
    C, d, p, k = 100, 32, 16, 1000
    model = make_latent_class_model(C, d, sigma=1.0, rng=0, separation=3.0)
    enc = linear_encoder(np.random.default_rng(1).standard_normal((p, d)) / math.sqrt(d))
    n_naive = 200 if quick else 1000
    n_indep = 2000 if quick else 20_000
    n_shared = 100_000 if quick else 1_000_000
    rows = []
    (m, se), s, mb = measure(lambda: straightforward_loss(enc, model, n_naive, k, 2))
    rows.append(("straightforward (all n*k negatives)", n_naive, m, se, s, mb))
    est, s, mb = measure(lambda: unsupervised_loss(enc, model, n_indep, k=k, rng=3, chunk_size=64))
    rows.append(("streamed, independent negatives", n_indep, est.mean, est.stderr, s, mb))
    est, s, mb = measure(
        lambda: unsupervised_loss(
            enc, model, n_shared, k=k, rng=4, chunk_size=4096, shared_negatives=True
        )
    )
    rows.append(("streamed, shared per chunk", n_shared, est.mean, est.stderr, s, mb))
    base_rate = rows[0][1] / rows[0][4]
    print(f"\nL_un (logistic, base 2) with k = {k} negatives, C = {C}, d = {d}, p = {p}")
    print(
        f"{'method':38s} {'anchors':>9s} {'estimate':>9s} {'SE':>8s} {'seconds':>8s} {'anchors/s':>10s}"
        f" {'x faster':>8s} {'peak MB':>8s} {'MB/1e6 anchors':>15s}"
    )
    for name, n, m, se, s, mb in rows:
        rate = n / s
        print(
            f"{name:38s} {n:9d} {m:9.4f} {se:8.1e} {s:8.2f} {rate:10.0f} {rate / base_rate:8.1f}"
            f" {mb:8.1f} {mb * 1e6 / n if 'straightforward' in name else mb:15.1f}"
        )
    print(
        "(MB/1e6 anchors: memory the method needs for 10^6 anchors; linear in n only for the "
        "straightforward one, constant for the streamed ones)"
    )


def bench_coverage() -> None:
    print("\nCoverage probability v(C, K): relative error vs exact rationals, and time")
    print(
        f"{'C':>5s} {'K':>6s} {'exact v':>11s} {'naive err':>10s} {'recursion err':>14s} {'t naive':>9s}"
        f" {'t recursion':>12s} {'t exact':>9s}"
    )
    for C, K in [(10, 20), (100, 150), (100, 1000), (300, 600), (300, 3000), (500, 5000)]:
        t0 = time.perf_counter()
        exact = coverage_probability(C, K, method="exact")
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        naive = coverage_probability_naive_float(C, K)
        t_naive = time.perf_counter() - t0
        t0 = time.perf_counter()
        rec = coverage_probability(C, K)
        t_rec = time.perf_counter() - t0
        print(
            f"{C:5d} {K:6d} {exact:11.3e} {abs(naive - exact) / exact:10.1e}"
            f" {abs(rec - exact) / exact:14.1e} {t_naive:9.1e} {t_rec:12.1e} {t_exact:9.1e}"
        )


def best_time(fn, repeats, *args):
    """Smallest wall time of ``repeats`` calls ``fn(*args)`` (one ~0.1 ms call is noise)."""
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return out, best


def kl_gap_monte_carlo(model, H, n, rng=0):
    """Average over n draws X ~ N(0, Sigma_x) of the Gaussian KL(P_{Z|X} || P_{Z|HX}); (mean, SE)."""
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    inv = np.linalg.inv(C_h)
    constant = np.trace(inv @ C_x) - model.dim + np.linalg.slogdet(C_h)[1] - np.linalg.slogdet(C_x)[1]
    X = np.random.default_rng(rng).multivariate_normal(np.zeros(model.dim), model.view_cov, size=n)
    delta = X @ (R_x - R_h).T
    values = 0.5 * (constant + np.einsum("ij,ij->i", delta, delta @ inv))
    return values.mean(), values.std(ddof=1) / math.sqrt(n)


SUFFICIENCY_ROUTES = (
    ("chi2", chi2_sufficiency_gap, chi2_sufficiency_gap_monte_carlo),
    ("KL", kl_sufficiency_gap, kl_gap_monte_carlo),
)


def chunked_monte_carlo(monte_carlo, model, H, n, chunk=100_000):
    """Pool equal-sized independent chunks (seeds 1, 2, ...): mean of means, SE = sqrt(sum SE^2)/m.

    Keeps memory at O(chunk * d) whatever n; n is rounded up to a multiple of the chunk size.
    """
    size = min(n, chunk)
    results = [monte_carlo(model, H, size, rng=seed) for seed in range(1, -(-n // size) + 1)]
    means, ses = np.array(results).T
    return means.mean(), math.sqrt(np.sum(ses**2)) / len(ses), size * len(ses)


def bench_sufficiency(quick: bool) -> None:
    targets = (1e-2,) if quick else (1e-2, 1e-3)
    print("\nA3 sufficiency gaps: closed form vs Monte Carlo at matched accuracy (relative SE target)")
    print(
        f"{'gap':4s} {'d':>3s} {'k':>3s} {'closed form':>12s} {'t closed':>9s} {'target':>7s}"
        f" {'n MC':>9s} {'MC estimate':>12s} {'MC SE':>9s} {'|MC-CF|/SE':>10s} {'t MC':>8s}"
        f" {'t MC / t CF':>11s}"
    )
    for d in (10, 20, 50):
        model = make_gaussian_view_model(d, 1.0, rng=d)
        H = top_pca_encoder(model, d // 5)
        if not chi2_monte_carlo_variance_finite(model, H):
            print(f"d={d}: per-X chi^2 has infinite variance, no Monte-Carlo SE; skipped")
            continue
        for name, closed, monte_carlo in SUFFICIENCY_ROUTES:
            value, t_closed = best_time(closed, 20, model, H)
            _, pilot_se = monte_carlo(model, H, 2000, rng=0)
            pilot_sd = pilot_se * math.sqrt(2000)
            for target in targets:
                n = max(2000, math.ceil((pilot_sd / (target * value)) ** 2))
                t0 = time.perf_counter()
                est, se, n = chunked_monte_carlo(monte_carlo, model, H, n)
                t_mc = time.perf_counter() - t0
                print(
                    f"{name:4s} {d:3d} {d // 5:3d} {value:12.6g} {t_closed:9.1e} {target:7.0e} {n:9d}"
                    f" {est:12.6g} {se:9.2e} {abs(est - value) / se:10.2f} {t_mc:8.3f}"
                    f" {t_mc / t_closed:11.0f}"
                )
    print(
        "(t in seconds; closed form = best of 20 calls; n MC = (pilot SD / (target * value))^2 from a "
        "2000-draw pilot, in chunks of <= 1e5 draws; |MC-CF|/SE should be O(1))"
    )


def _gd_to_loss(train, loss, target, start_steps, max_steps):
    """Run ``train(steps)`` with steps doubled until ``loss(W) <= target``; (W, steps, seconds)."""
    steps = start_steps
    while True:
        t0 = time.perf_counter()
        W = train(steps)
        seconds = time.perf_counter() - t0
        if loss(W) <= target or steps >= max_steps:
            return W, steps, seconds
        steps *= 2


def _supervised_row(n_per_group, dim, p, rel):
    ds = make_subclass_dataset(n_per_group, dim, rng=0)
    W_mn, t_closed = best_time(min_norm_supervised_minimiser, 5, ds.X, ds.y, p)
    best = supervised_spectral_loss(W_mn, ds.X, ds.y)
    W_gd, steps, t_gd = _gd_to_loss(
        lambda s: train_supervised_gd(ds.X, ds.y, p, steps=s, rng=1),
        partial(supervised_spectral_loss, X=ds.X, y=ds.y),
        best + rel * abs(best),
        100,
        200_000,
    )
    gap = (supervised_spectral_loss(W_gd, ds.X, ds.y) - best) / abs(best)
    name = f"supervised min-norm n={4 * n_per_group} d={dim} p={p}"
    return name, t_closed, best, steps, t_gd, gap, gram_distance(W_gd, W_mn)


def _unsupervised_row(easy_aug_var, p, rel):
    M, Sigma = feature_moments(aug_noise=(easy_aug_var, 1.0, 1.0))
    W_star, t_closed = best_time(spectral_minimiser, 20, M, Sigma, p)
    best = spectral_population_loss(W_star, M, Sigma)
    W_gd, steps, t_gd = _gd_to_loss(
        lambda s: train_unsupervised_gd(M, Sigma, p, steps=s, rng=1)[0],
        partial(spectral_population_loss, M=M, Sigma=Sigma),
        best + rel * abs(best),
        250,
        1_000_000,
    )
    gap = (spectral_population_loss(W_gd, M, Sigma) - best) / abs(best)
    name = f"unsupervised spectral nu_easy={easy_aug_var:g} p={p}"
    return name, t_closed, best, steps, t_gd, gap, gram_distance(W_gd, W_star)


def bench_simplicity(quick: bool) -> None:
    rel = 1e-6
    print(
        "\nA4 closed-form minimisers vs gradient descent (small init) run to a loss within "
        f"{rel:g} (relative) of the minimum"
    )
    print(
        f"{'problem':38s} {'t closed':>9s} {'min loss':>10s} {'GD steps':>9s} {'t GD':>8s}"
        f" {'GD loss gap':>11s} {'Gram dist':>9s} {'t GD / t closed':>15s}"
    )
    sizes = [(15, 200, 3)] if quick else [(15, 200, 3), (50, 1000, 3), (100, 3000, 4)]
    rows = [_supervised_row(n_per_group, dim, p, rel) for n_per_group, dim, p in sizes]
    rows += [_unsupervised_row(nu, p, rel) for nu, p in [(1.0, 1), (1.0, 2), (8.0, 1)]]
    for name, t_closed, best, steps, t_gd, gap, gram in rows:
        print(
            f"{name:38s} {t_closed:9.1e} {best:10.5f} {steps:9d} {t_gd:8.3f} {gap:11.1e}"
            f" {gram:9.1e} {t_gd / t_closed:15.0f}"
        )
    print(
        "(GD steps: the first of 100 (supervised) / 250 (unsupervised) * 2^j steps that reaches the "
        "loss; t GD = that run only; Gram dist = ||W_gd^T W_gd - W^T W||_F / ||W^T W||_F)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (seconds)")
    parser.add_argument(
        "--only", choices=("losses", "coverage", "sufficiency", "simplicity"), help="run one section"
    )
    args = parser.parse_args()
    sections = {
        "losses": lambda: bench_unsupervised(args.quick),
        "coverage": bench_coverage,
        "sufficiency": lambda: bench_sufficiency(args.quick),
        "simplicity": lambda: bench_simplicity(args.quick),
    }
    for name, run in sections.items():
        if args.only in (None, name):
            run()

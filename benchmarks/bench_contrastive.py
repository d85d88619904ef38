"""Benchmarks of the contrastive topic (not run by the tests).

1. The unsupervised loss L_un with k = 1000 negatives: the straightforward estimator (materialise
   every anchor's k negatives at once) vs the streamed estimators of
   ``analysis.contrastive.unsupervised_loss`` (independent negatives per anchor, chunked; and
   negatives shared within a chunk, one matrix product per chunk) up to 10^6 anchors.
   Throughput = anchors per second; memory = peak of numpy allocations (tracemalloc).
2. The coverage probability v(C, K): the float64 alternating sum (fast, wrong) vs the log-space
   recursion vs exact rationals.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_contrastive.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np

from analysis.contrastive.data import (
    coverage_probability,
    coverage_probability_naive_float,
    make_latent_class_model,
)
from analysis.contrastive.losses import linear_encoder, logistic_loss, unsupervised_loss


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


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (seconds)")
    args = parser.parse_args()
    bench_unsupervised(args.quick)
    bench_coverage()

"""Benchmarks of the implicit-regularisation topic (prints ratio tables; not run by the tests).

1. FFT (rfft) t-product vs the block-circulant definition.
2. Tubal-sensing GD in the Fig. 4 setting: batched (seeds x alphas, R-independent "gram"
   propagation) vs the same code per seed and alpha, vs a straightforward per-seed numpy loop.
3. Wall time of the three paper figures (10 independent seeds each).

Times are CPU seconds of this (single-threaded) process (``time.process_time``): on a shared
machine the wall clock measures the neighbours' load; the wall time is printed alongside.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_implicit_reg.py [--iters 300]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

clock = time.process_time


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def bench_tproduct():
    from analysis.implicit_reg.talgebra import t_product, t_product_block_circulant

    rng = np.random.default_rng(0)
    print("\n== t-product: rfft route vs block-circulant definition ==")
    print(f"{'n':>4} {'k':>4} {'fft [ms]':>10} {'bcirc [ms]':>11} {'ratio':>7} {'max diff':>9}")
    for n, k in ((10, 4), (20, 16), (40, 32), (64, 64)):
        A, B = rng.standard_normal((n, n, k)), rng.standard_normal((n, n, k))
        t_fft = best_of(lambda A=A, B=B: t_product(A, B))
        t_bc = best_of(lambda A=A, B=B: t_product_block_circulant(A, B), repeat=1)
        diff = np.abs(t_product(A, B) - t_product_block_circulant(A, B)).max()
        print(f"{n:4d} {k:4d} {1e3 * t_fft:10.3f} {1e3 * t_bc:11.3f} {t_bc / t_fft:7.1f} {diff:9.1e}")


def naive_numpy_gd(A, y, U0, step, n_iter, X_star):
    """The straightforward implementation: one seed, real-domain t-products, U of width R."""
    from analysis.implicit_reg.talgebra import t_product, t_transpose

    n, _, k = U0.shape
    U = U0.copy()
    errs = []
    for _ in range(n_iter):
        X = t_product(U, t_transpose(U))
        errs.append(np.linalg.norm(X - X_star))
        r = A @ X.ravel() - y
        M = (A.T @ r).reshape(n, n, k)
        U = U - step * t_product(M + t_transpose(M), U)
    return np.asarray(errs)


def bench_gd(n_iter):
    import torch

    from analysis.implicit_reg.sensing import (
        PAPER_SETTINGS,
        init_directions,
        make_tubal_sensing_problem,
        run_tubal_gd,
    )

    torch.set_num_threads(1)
    s = PAPER_SETTINGS["fig4"]
    prob = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=10, seed=0,
                                      symmetric=True)
    alphas, R = list(s["alphas"]), s["width"]
    kw = dict(step=s["step"], n_iter=n_iter, record_every=max(1, n_iter // 20), track_power=False)
    print(f"\n== tubal GD, Fig. 4 setting (n=10, k=4, R={R}, m={prob.m}), 10 seeds x 4 alphas, "
          f"{n_iter} steps ==")
    t0 = clock()
    batched = run_tubal_gd(prob, width=R, alpha=alphas, method="gram", **kw)
    t_batched = clock() - t0

    t0 = clock()
    factor = run_tubal_gd(prob, width=R, alpha=alphas, method="factor", **kw)
    t_factor = clock() - t0

    # per (seed, alpha) loop of the same code: one instance at a time
    single = [make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=1, seed=0,
                                         symmetric=True)]
    one = single[0]
    t0 = clock()
    for _ in range(2):  # 2 of the 40 runs, extrapolated
        run_tubal_gd(one, width=R, alpha=alphas[0], method="gram", **kw)
    t_loop = (clock() - t0) / 2 * 40

    # straightforward numpy loop (real-domain t-products on U of width R), one seed, extrapolated
    A, y = prob.A[0].numpy(), prob.y[0].numpy()
    U0 = alphas[0] * init_directions(prob, R, 0).numpy()[0]
    X_star = prob.X_star[0].numpy()
    n_naive = max(20, n_iter // 10)
    t0 = clock()
    naive_numpy_gd(A, y, U0, s["step"], n_naive, X_star)
    t_naive = (clock() - t0) / n_naive * n_iter * 40

    agree = np.abs(batched.test_error - factor.test_error).max()
    print(f"{'route':<52} {'CPU s':>9} {'vs batched':>11}")
    for name, t in (("batched, gram (R-independent), one call", t_batched),
                    ("batched, factor (updates U of width R)", t_factor),
                    ("per (seed, alpha) loop of the gram code (x40)", t_loop),
                    ("naive numpy per seed, real-domain t-products (x40)", t_naive)):
        print(f"{name:<52} {t:9.2f} {t / t_batched:11.1f}")
    print(f"max |test error| difference gram vs factor: {agree:.1e}")
    full = t_batched / n_iter * s["n_iter"]
    print(f"-> batched Fig. 4 at its {s['n_iter']} steps: ~{full:.1f} s; naive loop: ~"
          f"{t_naive / n_iter * s['n_iter']:.0f} s")


def bench_figures():
    import matplotlib

    matplotlib.use("Agg")
    from analysis._core.registry import render_figure

    print("\n== paper-scale figures (10 independent seeds each) ==")
    total = total_wall = 0.0
    print(f"{'figure':<24} {'CPU s':>7} {'wall s':>7}")
    for name in ("ir_fig2_two_phases", "ir_fig3_overparam", "ir_fig4_init_scale"):
        t0, w0 = clock(), time.perf_counter()
        render_figure(name, scale="paper", seed=0)
        dt, dw = clock() - t0, time.perf_counter() - w0
        total, total_wall = total + dt, total_wall + dw
        print(f"{name:<24} {dt:7.1f} {dw:7.1f}")
    print(f"{'total':<24} {total:7.1f} {total_wall:7.1f}   (target: < 60 s on a 2-core CPU)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=300)
    parser.add_argument("--skip-figures", action="store_true")
    args = parser.parse_args()
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load average {os.getloadavg()}")
    bench_tproduct()
    bench_gd(args.iters)
    if not args.skip_figures:
        bench_figures()

"""Benchmarks of the implicit-regularisation topic (prints ratio tables; not run by the tests).

Every ratio is measured as ../shared/DESIGN.md asks: a warm-up call of each side, then repeats
*alternating* the sides (A, B, A, B, ...), CPU seconds of this single-threaded process
(``time.process_time``; the machine is shared, so wall time, printed alongside, is mostly the
neighbours' load), median and minimum of each side, and the difference of the answers.

1. t-product: the rfft route vs the block-circulant definition.
2. One tubal-sensing GD run (one instance, one alpha; Fig. 4 setting n = 10, k = 4, r* = 3,
   R = 200, m = 285, 4000 steps, a record every 10 steps as in the figure): ``run_tubal_gd``
   vs the plain vectorised numpy loop a competent user writes from the definitions
   (:func:`naive_numpy_gd`: rfft t-products on the width-R factor, ``A x`` and ``A^T r`` every
   step, one instance at a time) vs the reference loop (the GD loop before issue 18, kept as
   ``sensing._run_tubal_gd(..., loop="reference")``; it gives the same numbers bit for bit as
   the code before the change).
3. The batched Fig. 4 run (10 instances x 4 alphas) for ``--iters`` steps: fast vs reference
   loop, and the naive loop over the 40 (instance, alpha) runs.
4. The three paper figures (10 independent instances each): the GD behind each figure
   (instances + run, as ``figures._tubal_run``) with the reference loop (before) and the fast
   loop (after), and how far their curves are apart. The warm-up call here is a 20-step run of
   each loop (the same code paths and caches), since a full one takes up to 25 s.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_implicit_reg.py [--repeats 3]
[--fig-repeats 2] [--iters 300] [--skip-figures] [--budget 280]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

clock, wall = time.process_time, time.perf_counter
EPS = np.finfo(np.float64).eps
START = wall()


def alternate(sides: dict, repeats: int, warmup: dict | None = None):
    """Warm up each side once, then run the sides in turn ``repeats`` times.

    Returns ``({name: (cpu_seconds, wall_seconds)}, {name: result of its last call})``.
    """
    for fn in (warmup or sides).values():
        fn()
    times = {name: ([], []) for name in sides}
    results = {}
    for _ in range(repeats):
        for name, fn in sides.items():
            c0, w0 = clock(), wall()
            results[name] = fn()
            times[name][0].append(clock() - c0)
            times[name][1].append(wall() - w0)
    return times, results


def print_table(times: dict, ref: str, answers: dict | None = None, title: str = "") -> None:
    """Median / min CPU s, median wall s, and the median CPU ratio of each side to ``ref``."""
    answers = answers or {}
    med = {name: statistics.median(c) for name, (c, _) in times.items()}
    print(f"{title:<46} {'CPU med':>8} {'CPU min':>8} {'wall med':>9} {'ratio':>7}  answer")
    for name, (c, w) in times.items():
        print(f"{name:<46} {med[name]:8.3f} {min(c):8.3f} {statistics.median(w):9.3f} "
              f"{med[name] / med[ref]:7.2f}  {answers.get(name, '')}")


def bench_tproduct(repeats):
    from analysis.implicit_reg.talgebra import t_product, t_product_block_circulant

    rng = np.random.default_rng(0)
    print("\n== t-product: rfft route vs block-circulant definition (CPU ms per product) ==")
    print(f"{'n':>4} {'k':>4} {'fft med':>9} {'bcirc med':>10} {'ratio':>7} {'max diff':>9}")
    for n, k in ((10, 4), (20, 16), (40, 32), (64, 64)):
        A, B = rng.standard_normal((n, n, k)), rng.standard_normal((n, n, k))
        reps = 20 if n <= 20 else 3
        times, res = alternate(
            {"fft": lambda A=A, B=B, reps=reps: [t_product(A, B) for _ in range(reps)][-1],
             "bcirc": lambda A=A, B=B: t_product_block_circulant(A, B)}, repeats)
        t_fft = statistics.median(times["fft"][0]) / reps
        t_bc = statistics.median(times["bcirc"][0])
        diff = np.abs(res["fft"] - res["bcirc"]).max()
        print(f"{n:4d} {k:4d} {1e3 * t_fft:9.3f} {1e3 * t_bc:10.3f} {t_bc / t_fft:7.1f} {diff:9.1e}")


def naive_numpy_gd(A, y, U0, step, n_iter, X_star, record_every):
    """The plain implementation of tubal-sensing GD for one instance, vectorised numpy.

    What a competent user writes from the definitions: t-products through rfft along the tubes
    (page-wise products of the ``k // 2 + 1`` slices), the factor U (n x R x k) updated in the
    real domain, ``A x`` and ``A^T r`` as matrix-vector products, the relative test error
    recorded every ``record_every`` steps.
    """
    n, R, k = U0.shape
    rev = (-np.arange(k)) % k  # t-transpose: transpose the slices, reverse slices 1..k-1
    U = U0.copy()
    x_star_norm = np.linalg.norm(X_star)
    errors = []
    for t in range(n_iter + 1):
        U_hat = np.fft.rfft(U, axis=-1).transpose(2, 0, 1)  # (kh, n, R)
        X = np.fft.irfft((U_hat @ U_hat.conj().transpose(0, 2, 1)).transpose(1, 2, 0), n=k, axis=-1)
        if t % record_every == 0 or t == n_iter:
            errors.append(np.linalg.norm(X - X_star) / x_star_norm)
        if t == n_iter:
            break
        r = A @ X.ravel() - y
        M = (A.T @ r).reshape(n, n, k)
        G_hat = np.fft.rfft(M + M[:, :, rev].transpose(1, 0, 2), axis=-1).transpose(2, 0, 1)
        U = U - step * np.fft.irfft((G_hat @ U_hat).transpose(1, 2, 0), n=k, axis=-1)
    return np.asarray(errors)


def bench_single(repeats):
    import torch

    from analysis.implicit_reg.sensing import (
        PAPER_SETTINGS,
        _run_tubal_gd,
        init_directions,
        make_tubal_sensing_problem,
    )

    torch.set_num_threads(1)
    s = PAPER_SETTINGS["fig4"]
    n_iter, every, alpha, R = s["n_iter"], s["n_iter"] // 400, s["alphas"][0], s["width"]
    prob = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=1, seed=0,
                                      symmetric=True)
    kw = dict(width=R, alpha=alpha, step=s["step"], n_iter=n_iter, record_every=every,
              init_seed=0, track_power=False)
    A, y, X_star = prob.A[0].numpy(), prob.y[0].numpy(), prob.X_star[0].numpy()
    U0 = alpha * init_directions(prob, R, 0).numpy()[0]
    print(f"\n== one GD run: Fig. 4 setting (n=10, k=4, R={R}, m={prob.m}, alpha={alpha:g}), "
          f"{n_iter} steps, a record every {every} ==")
    ours, naive, before = ("ours: run_tubal_gd (fast loop)",
                           "plain vectorised numpy loop (naive_numpy_gd)", "reference loop (before)")
    times, res = alternate({
        ours: lambda: _run_tubal_gd(prob, loop="fast", **kw),
        naive: lambda: naive_numpy_gd(A, y, U0, s["step"], n_iter, X_star, every),
        before: lambda: _run_tubal_gd(prob, loop="reference", **kw),
    }, repeats)
    curve = res[ours].test_error[0, 0, 0]
    answers = {naive: f"max |test error diff| {np.abs(res[naive] - curve).max():.1e}",
               before: "max |test error diff| "
                       f"{np.abs(res[before].test_error[0, 0, 0] - curve).max():.1e}"}
    print_table(times, ours, answers, "side (ratio = its CPU / ours)")


def bench_batched(n_iter, repeats):
    import torch

    from analysis.implicit_reg.sensing import (
        PAPER_SETTINGS,
        _run_tubal_gd,
        init_directions,
        make_tubal_sensing_problem,
    )

    torch.set_num_threads(1)
    s = PAPER_SETTINGS["fig4"]
    prob = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=10, seed=0,
                                      symmetric=True)
    alphas, R, every = list(s["alphas"]), s["width"], max(1, n_iter // 20)
    kw = dict(width=R, alpha=alphas, step=s["step"], n_iter=n_iter, record_every=every,
              track_power=False)
    dirs = init_directions(prob, R, 0).numpy()
    A, y, X_star = prob.A.numpy(), prob.y.numpy(), prob.X_star.numpy()

    def naive_all():  # (alpha, seed) loop of the plain numpy implementation
        return np.stack([[naive_numpy_gd(A[i], y[i], a * dirs[i], s["step"], n_iter, X_star[i], every)
                          for i in range(prob.n_seeds)] for a in alphas])

    print(f"\n== batched GD, Fig. 4 setting: 10 instances x 4 alphas, R={R}, {n_iter} steps ==")
    ours, before, naive = ("ours: one batched call (fast loop)",
                           "reference loop, one batched call (before)",
                           "plain numpy loop over the 40 runs")
    times, res = alternate({
        ours: lambda: _run_tubal_gd(prob, loop="fast", **kw),
        before: lambda: _run_tubal_gd(prob, loop="reference", **kw),
        naive: naive_all,
    }, repeats)
    curves = res[ours].test_error[0]
    answers = {before: f"max |test error diff| {np.abs(res[before].test_error[0] - curves).max():.1e}",
               naive: f"max |test error diff| {np.abs(res[naive] - curves).max():.1e}"}
    print_table(times, ours, answers, "side (ratio = its CPU / ours)")


def curve_differences(fast, ref, rank):
    """Max |difference| of the curves relative to their scale; angles against their conditioning.

    The angles of the top-r* eigenspace are resolved only to eps * kappa, kappa = lambda_1 /
    (lambda_r* - lambda_r*+1) per slice (Davis-Kahan), whatever the loop: reported as the largest
    |difference| / (T eps kappa) with T the number of steps (the test's tolerance is 1e-12 + that).
    """
    out = {}
    for name in ("test_error", "train_error", "slice_singular_values"):
        a, b = getattr(fast, name), getattr(ref, name)
        out[name] = np.abs(a - b).max() / np.abs(b).max()
    lam = ref.slice_singular_values**2
    gap = lam[..., rank - 1] - lam[..., rank]
    kappa = np.max(lam[..., 0] / np.maximum(gap, np.finfo(float).tiny), axis=-1)
    T = int(ref.iterations[-1])
    for name in ("angle_spectral", "angle_truth"):
        d = np.abs(getattr(fast, name) - getattr(ref, name))
        out[name] = d.max()
        out[name + " / (T eps kappa)"] = np.max(d / (T * EPS * kappa))
    out["angle_power"] = np.nanmax(np.abs(fast.angle_power - ref.angle_power), initial=0.0)
    return out


def bench_figures(repeats, budget):
    import torch

    from analysis.implicit_reg import figures
    from analysis.implicit_reg.sensing import (
        _run_tubal_gd,
        figure_settings,
        make_tubal_sensing_problem,
        settings_step,
    )

    torch.set_num_threads(1)
    print("\n== paper-scale figures (10 independent instances each): the GD behind each figure ==")
    summary = []
    for fig, name in (("fig2", "ir_fig2_two_phases"), ("fig3", "ir_fig3_overparam"),
                      ("fig4", "ir_fig4_init_scale")):
        if wall() - START > budget:
            print(f"{name}: skipped, the {budget:.0f} s budget is spent")
            continue
        s = figure_settings(fig, "paper")

        def run(loop, n_iter=s["n_iter"], s=s, fig=fig):  # what figures._tubal_run does
            prob = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"],
                                              n_seeds=figures.N_SEEDS, seed=0,
                                              symmetric=s["symmetric"])
            return _run_tubal_gd(prob, width=s.get("widths", s.get("width")),
                                 alpha=s.get("alphas", s.get("alpha")), step=settings_step(s, prob.m),
                                 n_iter=n_iter, record_every=max(1, s["n_iter"] // 400),
                                 init_seed=1, track_power=(fig == "fig2"), loop=loop)

        times, res = alternate(
            {"after (fast loop)": lambda run=run: run("fast"),
             "before (reference loop)": lambda run=run: run("reference")}, repeats,
            warmup={"fast": lambda run=run: run("fast", 20),
                    "reference": lambda run=run: run("reference", 20)})
        print(f"\n{name}: {s['n_iter']} steps")
        print_table(times, "after (fast loop)", title="loop (ratio = its CPU / after)")
        diffs = curve_differences(res["after (fast loop)"], res["before (reference loop)"], s["rank"])
        print("  curves after vs before: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
        summary.append((name, statistics.median(times["before (reference loop)"][0]),
                        statistics.median(times["after (fast loop)"][0])))
    if summary:
        print(f"\n{'figure':<24} {'before CPU s':>13} {'after CPU s':>12} {'speed-up':>9}")
        for name, before, after in summary:
            print(f"{name:<24} {before:13.2f} {after:12.2f} {before / after:9.2f}")
        before, after = sum(b for _, b, _ in summary), sum(a for _, _, a in summary)
        print(f"{'total':<24} {before:13.2f} {after:12.2f} {before / after:9.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3, help="alternating repeats per side")
    parser.add_argument("--fig-repeats", type=int, default=2, help="repeats of the paper figures")
    parser.add_argument("--iters", type=int, default=300, help="steps of the batched comparison")
    parser.add_argument("--skip-figures", action="store_true")
    parser.add_argument("--budget", type=float, default=280.0,
                        help="wall seconds after which no further figure is started")
    args = parser.parse_args()
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load average {os.getloadavg()}")
    bench_tproduct(args.repeats)
    bench_single(args.repeats)
    bench_batched(args.iters, args.repeats)
    if not args.skip_figures:
        bench_figures(args.fig_repeats, args.budget - 60.0)
    print(f"\ntotal wall {wall() - START:.0f} s")

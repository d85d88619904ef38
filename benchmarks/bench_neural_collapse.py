"""Benchmark of the convex SCL UFM: the N x N Gram program vs our exact class-block reduction.

Side A (reference, "naive"): the direct program a competent cvxpy user writes for the
full-batch SCL UFM, an N x N PSD Gram with unit diagonal (and G >= 0 for ReLU features) and the
objective built with vectorised numpy masks (:func:`naive_full_gram`, written here, not our
library). Side B (ours): ``solve_scl_ufm(..., reduction="class_block")``, a C x C program.

Method (the "Benchmarks: how to measure a ratio fairly" rules of DESIGN.md):

- one BLAS/torch thread on both sides (``limit_threads(1)``, same process);
- per size, one warm-up call of each side, then ``--repeats`` rounds alternating A, B, A, B;
  the table shows the median and the minimum CPU seconds (``time.process_time``, solver threads
  included) of each side, and the median wall seconds next to them;
- same answer first: the relative objective gap between the two sides' optimal values;
- the reference at Clarabel's defaults (gap/feasibility tolerances 1e-8, as ours) -- the
  headline ratio -- and at ``tol=1e-6`` (looser, so faster, with its own gap shown);
- a size ladder N = 8, 16, ... that predicts the next size's cost from the last two (a
  power-law fit of the reference time) and stops *before* a size that would overrun the time
  budget (``--budget``, default 150 s for the ladder); the whole script stays under 5 minutes on
  two cores.

Then how far the class-block route alone goes (N up to 1e6, its cost does not grow with N) and
the time of the CE UFM at the paper scale (C = 10, 100 samples per class, 2000 GD steps).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_neural_collapse.py [--budget S]``.
Not run by the tests (no timing assertion anywhere).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import numpy as np

from analysis._core.execution import limit_threads
from analysis.neural_collapse import solve_scl_ufm, train_ce_ufm

TAU = 0.1


def _counts(n_total: int, C: int = 4, ratio: float = 3.0) -> np.ndarray:
    # half majority, half minority with n_major / n_minor ~ ratio, summing to ~n_total
    n_minor = max(2, int(round(2 * n_total / (C * (1 + ratio)))))
    n_major = max(2, int(round(ratio * n_minor)))
    return np.array([n_major] * (C // 2) + [n_minor] * (C - C // 2))


def naive_full_gram(counts: np.ndarray, tau: float, nonneg: bool, tol: float | None = None) -> float:
    """The N x N SCL UFM program as written directly in cvxpy; returns the optimal value."""
    import cvxpy as cp

    labels = np.repeat(np.arange(counts.size), counts)
    N = labels.size
    G = cp.Variable((N, N), PSD=True)
    constraints = [cp.diag(G) == 1] + ([G >= 0] if nonneg else [])
    off = ~np.eye(N, dtype=bool)
    rows, cols = np.nonzero(off)
    off_diag = cp.reshape(G[rows, cols], (N, N - 1), order="C")
    P = np.where((labels[:, None] == labels[None, :]) & off,
                 1.0 / (counts[labels] - 1.0)[:, None], 0.0)
    objective = cp.sum(cp.log_sum_exp(off_diag / tau, axis=1)) - cp.sum(cp.multiply(P, G)) / tau
    problem = cp.Problem(cp.Minimize(objective), constraints)
    options = {} if tol is None else {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol}
    problem.solve(solver="CLARABEL", **options)
    if problem.status != "optimal":
        raise RuntimeError(f"reference N x N solve ended {problem.status} at N = {N}")
    return float(problem.value)


def _timed(fn):
    """``(result, cpu seconds, wall seconds)`` of one call."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def _alternate(sides: dict, repeats: int) -> dict:
    """Warm up each side once, then ``repeats`` rounds alternating the sides; cpu/wall lists."""
    results, times = {}, {k: {"cpu": [], "wall": []} for k in sides}
    for k, fn in sides.items():
        results[k] = fn()  # warm-up (cvxpy canonicalisation caches, imports)
    for _ in range(repeats):
        for k, fn in sides.items():
            _, cpu, wall = _timed(fn)
            times[k]["cpu"].append(cpu)
            times[k]["wall"].append(wall)
    return {"results": results, "times": times}


def ladder(budget: float, repeats: int) -> None:
    print(f"SCL UFM, tau = {TAU}, C = 4, step imbalance R = 3; one thread; warm-up + {repeats} "
          "alternating repeats per side; CPU s median/min, wall s median")
    print("A = naive N x N cvxpy program (Clarabel defaults, tol 1e-8); A6 = same at tol 1e-6; "
          "B = ours, class-block reduction (Clarabel defaults). Headline ratio: A / B.")
    head = (f"{'N':>5} {'ReLU':>5} | {'A cpu med/min':>15} {'A wall':>7} | {'A6 cpu med':>10} | "
            f"{'B cpu med/min':>15} {'B wall':>7} | {'A/B':>6} {'A6/B':>6} | "
            f"{'gap A-B':>8} {'gap A6-B':>8}")
    print(head)
    print("-" * len(head))
    start = time.perf_counter()
    history: list[tuple[int, float]] = []  # (N, cost of one size's whole measurement)
    seen = set()
    for target in (8, 16, 24, 32, 48, 64, 96, 128, 192, 256):
        counts = _counts(target)
        N = int(counts.sum())
        if N in seen:
            continue
        if len(history) >= 2:
            (n1, t1), (n2, t2) = history[-2:]
            exponent = max(np.log(t2 / t1) / np.log(n2 / n1), 1.0)
            predicted = t2 * (N / n2) ** exponent
            elapsed = time.perf_counter() - start
            if elapsed + predicted > budget:
                print(f"stop before N = {N}: predicted {predicted:.0f} s (cost ~ N^{exponent:.1f}) "
                      f"after {elapsed:.0f} s would pass the {budget:g} s budget")
                break
        seen.add(N)
        t_size = time.perf_counter()
        for nonneg in (True, False):
            sides = {
                "A": lambda c=counts, nn=nonneg: naive_full_gram(c, TAU, nn),
                "A6": lambda c=counts, nn=nonneg: naive_full_gram(c, TAU, nn, tol=1e-6),
                "B": lambda c=counts, nn=nonneg: solve_scl_ufm(
                    c, TAU, nn, reduction="class_block").objective,
            }
            m = _alternate(sides, repeats)
            cpu = {k: v["cpu"] for k, v in m["times"].items()}
            wall = {k: v["wall"] for k, v in m["times"].items()}
            med = {k: statistics.median(v) for k, v in cpu.items()}
            ref = m["results"]["B"]
            gap = {k: abs(m["results"][k] - ref) / abs(ref) for k in ("A", "A6")}
            print(f"{N:5d} {nonneg!s:>5} | {med['A']:7.3f}/{min(cpu['A']):7.3f} "
                  f"{statistics.median(wall['A']):7.3f} | {med['A6']:10.3f} | "
                  f"{med['B']:7.4f}/{min(cpu['B']):7.4f} {statistics.median(wall['B']):7.3f} | "
                  f"{med['A'] / med['B']:6.0f} {med['A6'] / med['B']:6.0f} | "
                  f"{gap['A']:8.1e} {gap['A6']:8.1e}", flush=True)
        history.append((N, time.perf_counter() - t_size))


def block_route_reach(repeats: int) -> None:
    print(f"\n{'N (class-block route)':>22} {'cpu med [s]':>11} {'cpu min [s]':>11} {'wall [s]':>9}")
    for target in (10**3, 10**4, 10**5, 10**6):
        counts = _counts(target)
        fn = functools.partial(solve_scl_ufm, counts, TAU, False, reduction="class_block")
        fn()
        runs = [_timed(fn) for _ in range(repeats)]
        cpu = [r[1] for r in runs]
        print(f"{int(counts.sum()):22d} {statistics.median(cpu):11.3f} {min(cpu):11.3f} "
              f"{statistics.median([r[2] for r in runs]):9.3f}", flush=True)


def ce_ufm_paper_scale(repeats: int) -> None:
    fn = functools.partial(train_ce_ufm, [100] * 10, 16, epochs=2000, record_every=2000)
    fn()
    runs = [_timed(fn) for _ in range(repeats)]
    cpu = [r[1] for r in runs]
    print(f"\nCE UFM at paper scale (C=10, n=100, d=16, 2000 GD steps, float64, one thread): "
          f"CPU median {statistics.median(cpu):.2f} s, min {min(cpu):.2f} s, wall median "
          f"{statistics.median([r[2] for r in runs]):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=150.0,
                        help="seconds for the N x N ladder (checked before each size)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds per size")
    args = parser.parse_args()
    limit_threads(1)
    t0 = time.perf_counter()
    ladder(args.budget, args.repeats)
    block_route_reach(args.repeats)
    ce_ufm_paper_scale(args.repeats)
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: the SMM projection step, ours (LDP / Lawson-Hanson NNLS) vs cvxpy (Clarabel).

Measured as /work/shared/DESIGN.md ("Benchmarks: how to measure a ratio fairly") asks:

- one BLAS thread on both sides (``limit_threads(1)``), a warm-up call of each side, then
  ``--repeats`` rounds alternating the sides (ours, cvxpy, ours, cvxpy, ...); the table shows the
  median and the minimum CPU time (``time.process_time``) of each side, and the median wall time;
- same answer first: ``|dw|`` is max |w_ours - w_cvxpy| / max(1, |w_cvxpy|) per row;
- the reference is a plain cvxpy problem solved by Clarabel at its DEFAULT settings (what a user
  writes; the headline ratio) and, in a second column, at the tight tolerances of our
  ``method="cvxpy"`` reference (1e-12 gaps, comparable to our 1e-10 KKT tolerance);
- the floor: the Gram matrix ``A A^T`` (numpy), which any dual method must at least form;
- "before" is the previous default (NNLS on the full (d + 1) x n LDP dual), "after" the current
  one (NNLS on the QR-reduced (n + 1) x n problem, with R cached per task across SMM visits);
- a size ladder that stops when the time budget (``--budget`` seconds) is spent, checked before
  each next size.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_continual.py [--repeats N] [--budget S]

Not run by the tests: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numpy as np

from analysis._core.execution import limit_threads
from analysis.continual import (
    cyclic_order,
    make_separable_tasks,
    project_onto_task,
    sequential_max_margin,
)
from analysis.continual import projection as _projection


@contextlib.contextmanager
def _before():
    """The previous default: no QR reduction of the LDP dual (the full (d + 1) x n NNLS)."""
    saved = _projection._reduced_factor
    _projection._reduced_factor = lambda A: None
    try:
        yield
    finally:
        _projection._reduced_factor = saved


def _timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def _alternate(sides: dict, repeats: int) -> dict:
    """Warm up each side, then ``repeats`` alternating rounds; {name: (cpu list, wall list, out)}."""
    res = {}
    for name, fn in sides.items():
        res[name] = ([], [], fn())  # warm-up
    for _ in range(repeats):
        for name, fn in sides.items():
            cpu, wall, out = _timed(fn)
            res[name][0].append(cpu)
            res[name][1].append(wall)
    return res


def _cvxpy_default(w, A):
    import cvxpy as cp

    v = cp.Variable(A.shape[1])
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(v - w)), [A @ v >= 1]).solve(solver="CLARABEL")
    return np.asarray(v.value)


def _dw(a, b) -> float:
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="add d = n = 2000 (slow cvxpy)")
    parser.add_argument("--budget", type=float, default=150.0,
                        help="CPU seconds for the ladder (wall time is several times more on a "
                             "loaded machine)")
    parser.add_argument("--cases", default="", help="only these sizes, e.g. 2000x500,200x2000")
    parser.add_argument("--no-cyclic", action="store_true", help="skip the cyclic SMM runs")
    args = parser.parse_args()
    limit_threads(1)
    cases = [(20, 50), (200, 50), (20, 500), (200, 500), (2000, 50), (200, 2000), (2000, 500)]
    if args.full:
        cases.append((2000, 2000))  # cvxpy takes minutes per solve here
    if args.cases:
        cases = [tuple(int(v) for v in c.split("x")) for c in args.cases.split(",")]
    print("CPU seconds (median / min over alternating repeats); ratios of medians; |dw| vs "
          "cvxpy default")
    head = ("d", "n", "floor AA^T", "before", "after", "cvxpy dflt", "cvxpy tight",
            "x dflt", "x tight", "after/floor", "before/after", "|dw| dflt", "|dw| tight",
            "wall after", "wall dflt")
    print("{:>5} {:>5} {:>10} {:>15} {:>15} {:>15} {:>15} {:>7} {:>7} {:>11} {:>12} {:>9} "
          "{:>10} {:>10} {:>9}".format(*head), flush=True)
    start, cpu_start = time.perf_counter(), time.process_time()
    for d, n in cases:
        if time.process_time() - cpu_start > args.budget:
            print(f"(CPU budget of {args.budget:.0f} s spent: stopping before d = {d}, n = {n})")
            break
        (task,), _ = make_separable_tasks(1, n, d, seed=d + n, min_margin=0.05)
        X, y = task
        A = y[:, None] * X
        w = np.random.default_rng(d * n).standard_normal(d) / np.sqrt(d)

        def before(w=w, X=X, y=y):
            with _before():
                return project_onto_task(w, X, y)

        sides = {
            "floor": lambda A=A: A @ A.T,
            "before": before,
            "after": lambda w=w, X=X, y=y: project_onto_task(w, X, y),
            "dflt": lambda w=w, A=A: _cvxpy_default(w, A),
            "tight": lambda w=w, X=X, y=y: project_onto_task(w, X, y, method="cvxpy"),
        }
        r = _alternate(sides, args.repeats)
        med = {k: statistics.median(v[0]) for k, v in r.items()}
        mn = {k: min(v[0]) for k, v in r.items()}
        wall = {k: statistics.median(v[1]) for k, v in r.items()}
        v_after = r["after"][2]
        assert _dw(r["before"][2], v_after) < 1e-8, "before and after disagree"

        def cell(k, med=med, mn=mn):
            return f"{med[k]:.4f}/{mn[k]:.4f}"

        print(f"{d:5d} {n:5d} {med['floor']:10.4f} {cell('before'):>15} {cell('after'):>15} "
              f"{cell('dflt'):>15} {cell('tight'):>15} {med['dflt'] / med['after']:6.1f}x "
              f"{med['tight'] / med['after']:6.1f}x {med['after'] / max(med['floor'], 1e-9):10.1f}x "
              f"{med['before'] / med['after']:11.2f}x {_dw(v_after, r['dflt'][2]):9.1e} "
              f"{_dw(v_after, r['tight'][2]):10.1e} {wall['after']:10.4f} {wall['dflt']:9.3f}",
              flush=True)

    if args.no_cyclic:
        return
    print("\n1000 cyclic SMM iterations over 10 tasks (CPU s, median / min of alternating repeats)")
    order = cyclic_order(10, 1000)
    for T_seed, n, d in ((0, 50, 100), (1, 200, 500)):
        tasks, _ = make_separable_tasks(10, n, d, seed=T_seed)

        def run_before(tasks=tasks):
            with _before():
                return sequential_max_margin(tasks, order)

        r = _alternate({"before": run_before,
                        "after": lambda tasks=tasks: sequential_max_margin(tasks, order)},
                       max(2, args.repeats - 1))
        diff = float(np.max(np.abs(r["before"][2] - r["after"][2])))
        b, a = statistics.median(r["before"][0]), statistics.median(r["after"][0])
        print(f"  d = {d:4d}, {n:3d} samples/task: before {b:.2f} / {min(r['before'][0]):.2f} s, "
              f"after {a:.2f} / {min(r['after'][0]):.2f} s ({b / a:.2f}x), max |dW| {diff:.1e}",
              flush=True)
    print(f"\ntotal {time.perf_counter() - start:.0f} s wall, "
          f"{time.process_time() - cpu_start:.0f} s CPU")


if __name__ == "__main__":
    main()

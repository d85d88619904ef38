"""Benchmark: the SMM projection step, default (LDP / Lawson-Hanson active set) vs cvxpy (Clarabel).

Prints a ratio table (seconds, speed-up, relative agreement) for d in {20, 200, 2000} and 50..2000
samples per task, then times a 1000-iteration cyclic SMM run over 10 tasks.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_continual.py [--full] [--repeats N]

``--full`` adds the largest cvxpy case (d = 2000, n = 2000), whose cvxpy solve takes minutes.
Not run by the tests: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.continual import (
    cyclic_order,
    make_separable_tasks,
    project_onto_task,
    sequential_max_margin,
)


def _time(fn, repeats):
    best = np.inf
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="include d = n = 2000 for cvxpy")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cases = [(20, 50), (20, 500), (200, 50), (200, 500), (200, 2000), (2000, 50), (2000, 500)]
    if args.full:
        cases.append((2000, 2000))
    header = ("d", "n", "default s", "cvxpy s", "speed-up", "rel. diff", "active")
    print("{:>5} {:>5} {:>10} {:>9} {:>9} {:>9} {:>6}".format(*header))
    (warm,), _ = make_separable_tasks(1, 5, 3, seed=0)
    project_onto_task(np.zeros(3), *warm, method="cvxpy")  # import and compile cvxpy once
    for d, n in cases:
        (task,), _ = make_separable_tasks(1, n, d, seed=d + n, min_margin=0.05)
        w = np.random.default_rng(d * n).standard_normal(d) / np.sqrt(d)
        t_fast, (v_fast, alpha) = _time(lambda t=task, w=w: project_onto_task(w, *t, return_dual=True),
                                        args.repeats)
        t_ref, v_ref = _time(lambda t=task, w=w: project_onto_task(w, *t, method="cvxpy"), 1)
        rel = np.linalg.norm(v_fast - v_ref) / np.linalg.norm(v_ref)
        print(f"{d:5d} {n:5d} {t_fast:10.4f} {t_ref:9.3f} {t_ref / t_fast:8.1f}x {rel:9.1e} "
              f"{int(np.count_nonzero(alpha)):6d}", flush=True)

    tasks, _ = make_separable_tasks(10, 50, 100, seed=0)
    order = cyclic_order(10, 1000)
    t_run, W = _time(lambda: sequential_max_margin(tasks, order), 1)
    print(f"\n1000 cyclic SMM iterations over 10 tasks (d = 100, 50 samples/task): {t_run:.2f} s")
    tasks2, _ = make_separable_tasks(10, 200, 500, seed=1)
    t_run2, _ = _time(lambda: sequential_max_margin(tasks2, order), 1)
    print(f"1000 cyclic SMM iterations over 10 tasks (d = 500, 200 samples/task): {t_run2:.2f} s")


if __name__ == "__main__":
    main()

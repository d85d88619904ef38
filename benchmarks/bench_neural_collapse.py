"""Benchmark of the convex SCL UFM: N x N Gram program vs the exact class-block reduction.

Prints, for growing N (C = 4 classes, step imbalance R = 3, tau = 0.1, non-negative and
plain), the wall time of the N x N program (Clarabel), the time of the C x C class-block
program, their ratio and the relative objective gap; then the largest N the N x N route solves
within the time limit, and how far the class-block route goes. Also times the CE UFM at the
paper scale (C = 10, 100 samples per class, 2000 full-batch GD steps).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_neural_collapse.py [limit_seconds]``.
Not run by the tests.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from analysis.neural_collapse import solve_scl_ufm, train_ce_ufm


def _counts(n_total: int, C: int = 4, ratio: float = 3.0) -> np.ndarray:
    # half majority, half minority with n_major / n_minor ~ ratio, summing to ~n_total
    n_minor = max(2, int(round(2 * n_total / (C * (1 + ratio)))))
    n_major = max(2, int(round(ratio * n_minor)))
    return np.array([n_major] * (C // 2) + [n_minor] * (C - C // 2))


def _timed(fn):
    # CPU seconds of this process: on a shared machine wall time measures the neighbours too
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def main(limit: float = 60.0) -> None:
    solve_scl_ufm([2, 2], 0.1, reduction="class_block")  # import and compile cvxpy once
    print(f"SCL UFM, tau = 0.1, C = 4, R = 3; limit {limit:g} CPU s per N x N solve (times: CPU s)")
    print(f"{'N':>6} {'nonneg':>6} {'full [s]':>9} {'block [s]':>9} {'ratio':>7} {'rel. gap':>9}")
    largest = {True: 0, False: 0}
    seen = set()
    for target in (8, 16, 24, 32, 48, 64, 96, 128, 192):
        counts = _counts(target)
        N = int(counts.sum())
        if N in seen:
            continue
        seen.add(N)
        for nonneg in (True, False):
            if largest[nonneg] < 0:
                continue
            block, t_block = _timed(lambda c=counts, nn=nonneg: solve_scl_ufm(
                c, 0.1, nn, reduction="class_block"))
            full, t_full = _timed(lambda c=counts, nn=nonneg: solve_scl_ufm(c, 0.1, nn))
            gap = abs(full.objective - block.objective) / abs(full.objective)
            print(f"{N:6d} {nonneg!s:>6} {t_full:9.2f} {t_block:9.3f} {t_full / t_block:7.0f} "
                  f"{gap:9.1e}", flush=True)
            if t_full <= limit:
                largest[nonneg] = N
            else:
                largest[nonneg] = -largest[nonneg]  # stop growing this setting
        if any(v < 0 for v in largest.values()):
            break  # the next N costs ~4x more: stop at the first solve over the limit
    for nonneg, n in largest.items():
        print(f"largest N solved by the N x N route within {limit:g} s (nonneg={nonneg}): {abs(n)}")
    print(f"\n{'N (block route)':>16} {'time [s]':>9}")
    for target in (10**3, 10**4, 10**5, 10**6):
        counts = _counts(target)
        _, t = _timed(lambda c=counts: solve_scl_ufm(c, 0.1, False, reduction="class_block"))
        print(f"{int(counts.sum()):16d} {t:9.3f}")
    _, t = _timed(lambda: train_ce_ufm([100] * 10, 16, epochs=2000, record_every=2000))
    print(f"\nCE UFM at paper scale (C=10, n=100, d=16, 2000 GD steps): {t:.2f} s")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)

"""Benchmark: the full LP vs column generation (brute-force, MILP, class-subset pricing) for Q(M).

k = 10 AwA-like classes, n in {8, 10, 12, 15, 20, 40, 85} attributes. Prints seconds per method,
the certified interval when a method stops on its time budget, and the spread of Q across the
methods that finished exactly. Seconds are CPU seconds of this process (``time.process_time``,
HiGHS threads included): on a shared machine wall-clock time mostly measures the other jobs;
wall-clock seconds are recorded too. ``--record`` also writes ``analysis/zsl/benchmark_record.json``
(shown by the ``zsl_solver_cost`` figure). Not run by the tests.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py [--ns 8,10,12] [--budget 600] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from analysis.zsl.bound import worst_case_lower_bound
from analysis.zsl.data import awa_like_matrix

METHODS = ("full", "colgen-bruteforce", "colgen-milp", "colgen-subsets")
LIMITS = {"full": 12, "colgen-bruteforce": 20}  # beyond: 2^n enumeration is out of reach


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--ns", default="8,10,12,15,20,40,85")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--budget", type=float, default=900.0,
                        help="wall-clock seconds per column-generation run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    ns = [int(x) for x in args.ns.split(",")]
    methods = args.methods.split(",")
    rows = []
    head = f"{'n':>3} " + " ".join(f"{m:>19}" for m in methods) + f" {'Q spread':>9} {'Q':>12}"
    print(head)
    print("-" * len(head))
    for n in ns:
        M = awa_like_matrix(args.k, n, seed=args.seed)
        seconds, wall, Q, interval, exact = {}, {}, {}, {}, {}
        for m in methods:
            if n > LIMITS.get(m, 10**9):
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            r = worst_case_lower_bound(M, m, time_limit=None if m == "full" else args.budget)
            seconds[m] = time.process_time() - c0
            wall[m] = time.perf_counter() - t0
            Q[m], interval[m], exact[m] = r.Q, (r.lower, r.upper), r.exact
        done = [Q[m] for m in Q if exact[m]]
        spread = float(np.ptp(done)) if len(done) > 1 else float("nan")
        cells = []
        for m in methods:
            if m not in seconds:
                cells.append(f"{'skipped':>19}")
            elif exact[m]:
                cells.append(f"{seconds[m]:>18.2f}s")
            else:
                lo, hi = interval[m]
                text = f">{seconds[m]:.0f}s [{lo:.3f},{hi:.3f}]"
                cells.append(f"{text:>19}")
        best = min(done) if done else float("nan")
        print(f"{n:>3} " + " ".join(cells) + f" {spread:>9.1e} {best:>12.9f}", flush=True)
        rows.append({"n": n, "seconds": seconds, "wall_seconds": wall, "Q": Q, "exact": exact,
                     "interval": {m: list(v) for m, v in interval.items()},
                     "Q_spread": spread if np.isfinite(spread) else None})
    if args.record:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        record = {
            "k": args.k,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f}, CPU s",
            "budget_s": args.budget,
            "rows": rows,
        }
        path = Path(__file__).resolve().parents[1] / "analysis" / "zsl" / "benchmark_record.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1, allow_nan=False, default=float))
        tmp.replace(path)
        print(f"recorded in {path}")


if __name__ == "__main__":
    main()

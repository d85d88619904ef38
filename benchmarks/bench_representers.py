"""Benchmark of the representer topic (not run by the tests).

1. l1 solves: default (FISTA + active-set Newton) vs cvxpy/Clarabel, logistic and least squares.
2. Nuclear-norm solves: accelerated soft-impute with the Newton polish (default) and without it vs
   cvxpy/Clarabel (SDP), small shapes.
3. Representer values of one test point (l1 at n=2000, d=5000; nuclear at ML-100k shape) vs the
   exact-Hessian influence function.
4. Case-deletion experiments: l1 (n=300, d=1000, 40 test points x 5 levels x 5 explainers x 2
   directions) and matrix completion at MovieLens-100k's shape (40 held-out ratings x 5 levels x
   {representer, random} proponents), with refits warm-started from the full solution.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_representers.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from analysis.representers import (
    hold_out_ratings,
    influence_values,
    l1_representers,
    make_lowrank_ratings,
    make_sparse_logistic,
    mc_deletion_changes,
    nuclear_representers,
    solve_l1,
    solve_l1_cvxpy,
    solve_nuclear,
    solve_nuclear_cvxpy,
)
from analysis.representers.evaluation import DELETION_FRACTIONS, deletion_auc, mean_ci
from analysis.representers.figures import deletion_experiment
from analysis.representers.l1 import CLARABEL_TIGHT
from analysis.representers.nuclear import CLARABEL_SDP_TIGHT, nuclear_objective


def timed(fn, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_l1(sizes):
    print("\n## l1 solves: default vs cvxpy (Clarabel, tol 1e-9)")
    print(
        f"{'loss':9s} {'n':>5s} {'d':>5s} {'|supp|':>6s} {'default s':>10s} {'cvxpy s':>9s} "
        f"{'ratio':>7s} "
        f"{'rel. obj. diff':>14s}"
    )
    for loss in ("logistic", "squared"):
        for n, d in sizes:
            data = make_sparse_logistic(n, d, rng=0)
            y = (
                data.y
                if loss == "logistic"
                else data.X @ data.theta_true + 0.3 * np.random.default_rng(0).standard_normal(n)
            )
            lam = 0.04 if loss == "logistic" else 0.1
            t_fast, fast = timed(lambda: solve_l1(data.X, y, lam, loss), repeat=3)  # noqa: B023
            t_ref, (_, ref) = timed(lambda: solve_l1_cvxpy(data.X, y, lam, loss, **CLARABEL_TIGHT))  # noqa: B023
            print(
                f"{loss:9s} {n:5d} {d:5d} {np.count_nonzero(fast.theta):6d} {t_fast:10.4f} {t_ref:9.3f} "
                f"{t_ref / t_fast:7.0f} {abs(fast.objective - ref) / ref:14.1e}"
            )


def bench_nuclear(shapes):
    print(
        "\n## nuclear-norm solves: default (soft-impute + Newton polish) and plain soft-impute vs "
        "cvxpy (Clarabel SDP, tol 1e-10; best of 2, so cvxpy's first-call set-up is not counted)"
    )
    print(
        f"{'shape':>9s} {'n':>4s} {'rank':>4s} {'iters':>9s} {'default s':>10s} {'plain s':>9s} "
        f"{'cvxpy s':>9s} {'ratio':>7s} {'plain ratio':>11s} {'KKT':>8s} {'rel. obj. diff':>14s}"
    )
    for m, k in shapes:
        ratings, _ = make_lowrank_ratings(
            (m, k), n_ratings=int(0.4 * m * k), rank=3, min_per_user=3, rng=0
        )
        args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.005)
        t_fast, fast = timed(lambda: solve_nuclear(*args, tol=1e-11), repeat=3)  # noqa: B023
        t_plain, plain = timed(lambda: solve_nuclear(*args, tol=1e-11, newton=False), repeat=3)  # noqa: B023
        t_ref, (_, ref) = timed(lambda: solve_nuclear_cvxpy(*args, **CLARABEL_SDP_TIGHT), repeat=2)  # noqa: B023
        ours = nuclear_objective(fast.theta, *args[:3], args[4])
        iters = f"{fast.n_iter}+{fast.n_newton}/{plain.n_iter}"
        print(
            f"{m:4d}x{k:<4d} {ratings.n:4d} {fast.rank:4d} {iters:>9s} {t_fast:10.4f} {t_plain:9.4f} "
            f"{t_ref:9.3f} {t_ref / t_fast:7.1f} {t_ref / t_plain:11.2f} {fast.kkt_residual:8.1e} "
            f"{abs(ours - ref) / ref:14.1e}"
        )
    print("(iters: soft-impute + Newton steps of the default / iterations of plain soft-impute)")


def bench_one_test_point(ml_train, ml_solution, lam_ml):
    print("\n## representer values of one test point (all training points)")
    data = make_sparse_logistic(2000, 5000, n_test=1, rng=1)
    sol = solve_l1(data.X, data.y, 0.04)
    res = l1_representers(data.X, data.y, 0.04, data.X_test, theta=sol.theta)
    t_rep, _ = timed(lambda: res.explain(data.X_test[0]), repeat=20)
    t_inf, _ = timed(lambda: influence_values(data.X, data.y, sol.theta, 0.04, data.X_test), repeat=5)
    print(
        f"l1 logistic n=2000, d=5000, |supp|={res.support.size}: representer {1e3 * t_rep:.3f} ms, "
        f"influence (exact Hessian, incl. validation) {1e3 * t_inf:.2f} ms"
    )
    r = ml_train
    nres = nuclear_representers(r.rows, r.cols, r.values, r.shape, lam_ml, [0], [5],
                                solution=ml_solution)
    t_nuc, (entries, _) = timed(lambda: nres.explain(7, 11), repeat=20)
    print(
        f"nuclear, {r.shape[0]}x{r.shape[1]}, {r.n} ratings, rank {ml_solution.rank}: "
        f"the {entries.size} "
        f"non-zero values (same user or item) of one query in {1e3 * t_nuc:.2f} ms"
    )


def bench_l1_deletion(n_test, n_seeds):
    print(
        f"\n## l1 deletion experiment: n=300, d=1000, {n_test * n_seeds} test points x 5 levels "
        "x 5 explainers x 2"
    )
    start = time.perf_counter()
    _, aucs, info = deletion_experiment(
        300, 1000, n_test, 0.04, DELETION_FRACTIONS, list(range(n_seeds))
    )
    elapsed = time.perf_counter() - start
    refits = n_test * n_seeds * 5 * 5 * 2
    print(
        f"{refits} warm-started refits in {elapsed:.1f} s ({1e3 * elapsed / refits:.1f} ms each); "
        f"|supp| = {info['support']}"
    )
    print(f"{'explainer':28s} {'AUC proponents':>16s} {'AUC opponents':>16s} {'values s':>9s}")
    for e in aucs["proponents"]:
        p, o = aucs["proponents"][e], aucs["opponents"][e]
        print(
            f"{e:28s} {p[0]:9.3f} +- {p[1]:.3f} {o[0]:9.3f} +- {o[1]:.3f} "
            f"{info['seconds_values'][e]:9.4f}"
        )


def bench_mc_deletion(train, test, solution, lam, n_queries):
    print(
        f"\n## matrix-completion deletion at {train.shape[0]}x{train.shape[1]} ({train.n} ratings), "
        f"{n_queries} held-out ratings x 5 levels, proponents"
    )
    q_rows, q_cols = test.rows[:n_queries], test.cols[:n_queries]
    start = time.perf_counter()
    res = nuclear_representers(
        train.rows, train.cols, train.values, train.shape, lam, q_rows, q_cols, solution=solution
    )
    t_values = time.perf_counter() - start
    rng = np.random.default_rng(0)
    explainers = {
        "nuclear representer": res.values,
        "random (same user/item)": rng.standard_normal(res.values.shape),
    }
    print(f"{'explainer':26s} {'AUC':>16s} {'refit s':>8s}")
    for name, values in explainers.items():
        start = time.perf_counter()
        ch = mc_deletion_changes(
            train.rows,
            train.cols,
            train.values,
            train.shape,
            lam,
            solution,
            q_rows,
            q_cols,
            values,
            tol=1e-6,
        )
        elapsed = time.perf_counter() - start
        auc = mean_ci(deletion_auc(ch))
        print(f"{name:26s} {auc[0]:9.4f} +- {auc[1]:.4f} {elapsed:8.1f}")
    print(f"(representer values of all {n_queries} queries: {t_values:.2f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a minute)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    l1_sizes = [(100, 200), (200, 500)] if args.quick else [(100, 200), (200, 500), (300, 1000)]
    nuc_shapes = [(12, 10), (25, 20)] if args.quick else [(12, 10), (25, 20), (40, 35)]
    bench_l1(l1_sizes)
    bench_nuclear(nuc_shapes)
    ratings, _ = make_lowrank_ratings(rng=0)
    train, test = hold_out_ratings(ratings, 40, rng=0)
    lam_ml = 1.2e-4
    t_ml, ml_solution = timed(
        lambda: solve_nuclear(train.rows, train.cols, train.values, train.shape, lam_ml, tol=1e-8)
    )
    print(
        f"\nML-100k-shape soft-impute (cold, tol 1e-8): {t_ml:.1f} s, rank {ml_solution.rank}, "
        f"KKT {ml_solution.kkt_residual:.1e}"
    )
    bench_one_test_point(train, ml_solution, lam_ml)
    bench_l1_deletion(10 if args.quick else 20, 1 if args.quick else 2)
    bench_mc_deletion(train, test, ml_solution, lam_ml, 8 if args.quick else 40)


if __name__ == "__main__":
    main()

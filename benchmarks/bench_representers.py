"""Benchmark of the representer topic (not run by the tests).

1. l1 solves: default (FISTA + active-set Newton) vs cvxpy/Clarabel, logistic and least squares.
2. Nuclear-norm solves: accelerated soft-impute with the Newton polish (default) and without it vs
   cvxpy/Clarabel (SDP), small shapes.
3. Representer values of one test point (l1 at n=2000, d=5000; nuclear at ML-100k shape) vs the
   exact-Hessian influence function.
4. Case-deletion experiments: l1 (n=300, d=1000, 40 test points x 5 levels x 5 explainers x 2
   directions) and matrix completion at MovieLens-100k's shape (40 held-out ratings x 5 levels x
   {representer, random} proponents), with refits warm-started from the full solution.

5. ``--only cf-refits``: the refits of the ``rep_cf_deletion`` figure, before (the solver of commit
   84213a5, loaded with ``git show``) vs after (ratings validated once, CSR structure built once
   and reused by every soft-impute iteration of every refit, ``np.take`` gathers), measured as
   DESIGN.md asks: one BLAS thread, a warm-up of each side, alternating repeats, median / min CPU
   (``process_time``) and median wall, the two sides' deletion changes compared.

   Recorded here (2 cores shared with 3 other jobs, so wall is ~3x CPU; MovieLens-100k, 2 of
   the figure's 8 queries x 5 levels x 2 directions = 20 refits per run, 3 repeats)::

       side     median CPU s  min CPU s median wall s CPU s / refit
       before          17.54      16.57         51.85         0.877
       after            8.05       7.99         31.47         0.403
       before/after: 2.18x median CPU; max |change before - after| = 0.0e+00

   The full solve (tol 1e-8, cold, continuation path) went from 7.7 to 3.0-4.7 CPU s. The 3x
   target of issue 18 is not reached: per soft-impute iteration (~10 ms) what is left is the
   gather of Theta at the 100k observed entries (~45 %) and the block power SVT (~45 %), and a
   refit needs 26-52 iterations to KKT 1e-6 (warm-starting each level from the previous one
   saved only ~10 % of them). ``jobs=2`` (run_many) divides the wall time only on idle cores.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_representers.py [--quick]``;
``OMP_NUM_THREADS=1 python benchmarks/bench_representers.py --only cf-refits [--queries 2]``.
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


# ----------------------------------------------------------------------------------------------
# rep_cf_deletion refits: before / after (issue 18, lever 4), measured as DESIGN.md asks

#: The commit whose solver is "before": the last one before the shared index (validation once,
#: CSR structure built once, np.take gathers).
BEFORE_COMMIT = "84213a5"


def _load_before_solver():
    """``solve_nuclear`` of :data:`BEFORE_COMMIT`, loaded from git (None outside a checkout)."""
    import importlib.util
    import pathlib
    import subprocess
    import sys
    import tempfile

    root = pathlib.Path(__file__).resolve().parents[1]
    try:
        src = subprocess.run(
            ["git", "show", f"{BEFORE_COMMIT}:analysis/representers/nuclear.py"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = pathlib.Path(tempfile.mkdtemp()) / "nuclear_before.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("nuclear_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["nuclear_before"] = module
    spec.loader.exec_module(module)
    return module.solve_nuclear


def _cpu_wall(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def bench_cf_refits(repeats: int, n_queries: int, jobs: int):
    """The refits of ``rep_cf_deletion`` (paper scale), before vs after, alternating repeats.

    Workload: the figure's data (MovieLens-100k when cached, else its stand-in), its hold-out
    (8 ratings), lambda and tolerances; ``n_queries`` of its 8 queries x 5 levels x
    {proponents, opponents} of the representer = 10 ``n_queries`` warm-started refits per run.
    The figure runs 160 (8 queries x 2 explainers). One BLAS thread both sides (the caller sets
    OMP_NUM_THREADS=1; threadpoolctl pins it here too).
    """
    import statistics

    from threadpoolctl import threadpool_limits

    from analysis._core.rng import spawn_seeds
    from analysis.representers.evaluation import DIRECTIONS, deletion_order, n_deleted
    from analysis.representers.figures import _cf_ratings

    before_solve = _load_before_solver()
    (s_data,) = spawn_seeds(0, 1)
    ratings, source, label = _cf_ratings(False, (943, 1682), 100_000, 10, 20, s_data)
    train, test = hold_out_ratings(ratings, 8, rng=s_data)
    lam = 1.2e-4
    args = (train.rows, train.cols, train.values, train.shape, lam)
    print(f"\n## rep_cf_deletion refits, before ({BEFORE_COMMIT}) vs after: {label}, "
          f"{train.n} training ratings, {n_queries} queries x 5 levels x 2 directions "
          f"= {10 * n_queries} refits per run (the figure: 160)")
    with threadpool_limits(1):
        c_sol, _, sol = _cpu_wall(lambda: solve_nuclear(*args, tol=1e-8))
        res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
        q_rows, q_cols, vals = test.rows[:n_queries], test.cols[:n_queries], res.values[:n_queries]
        print(f"full solve (tol 1e-8, shared by both sides, not in the ratio): {c_sol:.1f} CPU s, "
              f"rank {sol.rank}, KKT {sol.kkt_residual:.1e}")

        def after(fractions=DELETION_FRACTIONS):
            return np.array([mc_deletion_changes(*args, sol, q_rows, q_cols, vals,
                                                 fractions=fractions, direction=d)
                             for d in DIRECTIONS])

        def before(fractions=DELETION_FRACTIONS):
            # the previous mc_deletion_changes loop: one validating public solve per refit
            out = np.empty((len(DIRECTIONS), n_queries, len(fractions)))
            base = sol.entries(q_rows, q_cols)
            for a, d in enumerate(DIRECTIONS):
                for q in range(n_queries):
                    cand = np.flatnonzero((train.rows == q_rows[q]) | (train.cols == q_cols[q]))
                    order = cand[deletion_order(vals[q, cand], d)]
                    for j, p in enumerate(fractions):
                        w = np.ones(train.n)
                        w[order[: n_deleted(cand.size, p)]] = 0.0
                        refit = before_solve(*args, sample_weight=w, warm_start=sol, tol=1e-6,
                                             check_every=2)
                        out[a, q, j] = refit.entries(q_rows[q:q + 1], q_cols[q:q + 1])[0] - base[q]
            return out

        sides = {"after": after} if before_solve is None else {"before": before, "after": after}
        if before_solve is None:
            print(f"(git show {BEFORE_COMMIT} failed: no 'before' side outside a git checkout)")
        for fn in sides.values():
            fn((0.01,))  # warm-up: one level
        cpu = {k: [] for k in sides}
        wall = {k: [] for k in sides}
        outs = {}
        for _ in range(repeats):
            for name, fn in sides.items():
                c, w_, outs[name] = _cpu_wall(fn)
                cpu[name].append(c)
                wall[name].append(w_)
    print(f"{'side':8s} {'median CPU s':>12s} {'min CPU s':>10s} {'median wall s':>13s} "
          f"{'CPU s / refit':>13s}")
    for name in sides:
        print(f"{name:8s} {statistics.median(cpu[name]):12.2f} {min(cpu[name]):10.2f} "
              f"{statistics.median(wall[name]):13.2f} "
              f"{statistics.median(cpu[name]) / (10 * n_queries):13.3f}")
    if "before" in sides:
        ratio = statistics.median(cpu["before"]) / statistics.median(cpu["after"])
        diff = float(np.max(np.abs(outs["before"] - outs["after"])))
        print(f"before/after: {ratio:.2f}x median CPU; max |change before - after| = {diff:.1e} "
              f"(largest |change| {np.abs(outs['after']).max():.3f}; refit tolerance 1e-6)")
    if jobs > 1:
        def parallel():
            return np.array([mc_deletion_changes(*args, sol, q_rows, q_cols, vals,
                                                 direction=d, jobs=jobs) for d in DIRECTIONS])

        parallel()  # warm-up: starts the workers
        walls = [_cpu_wall(parallel)[1] for _ in range(repeats)]
        print(f"after, jobs={jobs} (run_many, one BLAS thread per worker): median wall "
              f"{statistics.median(walls):.2f} s vs {statistics.median(wall['after']):.2f} s "
              f"serial ({statistics.median(wall['after']) / statistics.median(walls):.2f}x; "
              f"wall only: the workers' CPU is not this process's)")
    return source


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a minute)")
    parser.add_argument("--only", choices=["cf-refits"], default=None,
                        help="run one section only")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repeats per side")
    parser.add_argument("--queries", type=int, default=1,
                        help="cf-refits: queries of the figure's 8 (10 refits each)")
    parser.add_argument("--jobs", type=int, default=2, help="cf-refits: workers for run_many")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    if args.only == "cf-refits":
        bench_cf_refits(args.repeats, args.queries, args.jobs)
        return
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

"""Valid calls of the representers public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np


def _Xy(rng, n=12, d=5):
    X = rng.standard_normal((n, d))
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    return X, y


def _l1(rng, **extra):
    X, y = _Xy(rng)
    return {"X": X, "y": y, "lam": 0.05, "X_test": rng.standard_normal((3, 5)), "loss": "logistic",
            **extra}


def _fitted(rng, penalty="l1"):
    from analysis.representers import solve_l1

    X, y = _Xy(rng)
    theta = solve_l1(X, y, 0.05).theta
    return {"X": X, "y": y, "theta": theta, "lam": 0.05, "X_test": rng.standard_normal((3, 5)),
            "loss": "logistic"}


def _ratings(rng):
    shape = (6, 5)
    rows, cols = np.divmod(np.arange(30), 5)
    keep = rng.random(30) < 0.7
    keep[:6] = True
    rows, cols = rows[keep].astype(np.int64), cols[keep].astype(np.int64)
    values = rng.standard_normal(rows.size)
    return {"rows": rows, "cols": cols, "values": values, "shape": shape, "lam": 0.1}


def _nuclear_representers(rng):
    return {**_ratings(rng), "query_rows": np.array([0, 1], dtype=np.int64),
            "query_cols": np.array([1, 2], dtype=np.int64), "tol": 1e-8, "max_iter": 500}


def _nuclear_kkt(rng):
    from analysis.representers import solve_nuclear

    r = _ratings(rng)
    sol = solve_nuclear(r["rows"], r["cols"], r["values"], r["shape"], r["lam"], tol=1e-8)
    return {"U": sol.U, "s": sol.s, "V": sol.V, "rows": r["rows"], "cols": r["cols"],
            "values": r["values"], "lam": r["lam"]}


def _mc_deletion(rng):
    from analysis.representers import nuclear_representers

    r = _ratings(rng)
    qr, qc = np.array([0, 1], dtype=np.int64), np.array([1, 2], dtype=np.int64)
    res = nuclear_representers(r["rows"], r["cols"], r["values"], r["shape"], r["lam"], qr, qc,
                               tol=1e-8)
    return {**r, "solution": res.solution, "query_rows": qr, "query_cols": qc,
            "explainer_values": res.values, "fractions": (0.1, 0.2), "direction": "proponents",
            "tol": 1e-6}


def _deletion_changes(rng):
    kw = _l1(rng)
    kw["values"] = rng.standard_normal((3, 12))
    kw["fractions"] = (0.1, 0.2)
    kw["direction"] = "proponents"
    return kw


def _tracin(rng):
    from analysis.representers import training_checkpoints

    X, y = _Xy(rng)
    checkpoints, step = training_checkpoints(X, y, 0.05, n_steps=20, n_checkpoints=3)
    return {"X": X, "y": y, "X_test": rng.standard_normal((3, 5)), "checkpoints": checkpoints,
            "step": step, "loss": "logistic"}


def _csv(rng):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp(prefix="rep_fuzz_")) / "ratings.csv"
    path.write_text("1,1,5\n1,2,3\n2,1,4\n2,3,1\n3,2,2\n")
    return {"path": str(path), "n_users": 3, "n_items": 3, "index_base": 1, "delimiter": ","}


def _hold_out(rng):
    from analysis.representers import make_lowrank_ratings

    ratings, _ = make_lowrank_ratings((30, 20), n_ratings=300, rank=2, min_per_user=8, rng=0)
    return {"ratings": ratings, "n_test": 10, "min_left": 5, "rng": 0}


def _mf(rng):
    return {**_ratings(rng), "rank": 2, "tol": 1e-8, "max_iter": 300, "seed": 0}


def _mf_fitted(rng):
    from analysis.representers import solve_mf

    r = _ratings(rng)
    sol = solve_mf(r["rows"], r["cols"], r["values"], r["shape"], r["lam"], rank=2, tol=1e-8)
    return r, sol


def _mf_representers(rng):
    return {**_mf(rng), "query_rows": np.array([0, 1], dtype=np.int64),
            "query_cols": np.array([1, 2], dtype=np.int64)}


def _mf_gradient(rng):
    r, sol = _mf_fitted(rng)
    return {"P": sol.P, "Q": sol.Q, "rows": r["rows"], "cols": r["cols"], "values": r["values"],
            "lam": r["lam"]}


def _mf_deletion(rng):
    from analysis.representers import mf_representers

    r, sol = _mf_fitted(rng)
    qr, qc = np.array([0, 1], dtype=np.int64), np.array([1, 2], dtype=np.int64)
    res = mf_representers(r["rows"], r["cols"], r["values"], r["shape"], r["lam"], qr, qc,
                          solution=sol)
    return {**r, "solution": sol, "query_rows": qr, "query_cols": qc,
            "explainer_values": res.values, "counts": (1, 2), "direction": "proponents",
            "candidates": "both", "tol": 1e-6, "max_iter": 200}


CASES = {
    "deletion_auc": lambda rng: {"changes": rng.standard_normal((3, 2)), "fractions": (0.1, 0.2),
                                 "direction": "proponents"},
    "counts_auc": lambda rng: {"changes": rng.standard_normal((3, 2)), "counts": (5, 10),
                               "direction": "proponents"},
    "deletion_changes": _deletion_changes,
    "hold_out_ratings": _hold_out,
    "influence_values": lambda rng: {**_fitted(rng), "penalty": "l1", "damping": 1e-6},
    "l1_kkt_residual": lambda rng: {k: v for k, v in _fitted(rng).items() if k != "X_test"},
    "l1_representers": lambda rng: _l1(rng, tol=1e-10, max_iter=2000),
    "l2_representers": lambda rng: _l1(rng, tol=1e-10),
    "l2_style_values": _fitted,
    "load_ratings_csv": _csv,
    "load_sklearn_binary": lambda rng: {"name": "breast_cancer", "test_fraction": 0.25, "rng": 0},
    "loo_values": lambda rng: _l1(rng, penalty="l1", tol=1e-10),
    "make_lowrank_ratings": lambda rng: {"shape": (30, 20), "n_ratings": 300, "rank": 2,
                                         "min_per_user": 8, "noise": 0.5, "rng": 0},
    "make_sparse_logistic": lambda rng: {"n_train": 20, "d": 10, "n_test": 5, "n_informative": 3,
                                         "signal": 3.0, "rng": 0},
    "make_sparse_text_logistic": lambda rng: {"n_train": 50, "d": 2000, "nnz_per_row": 20,
                                              "n_test": 5, "n_informative": 5, "signal": 4.0,
                                              "rng": 0},
    "mc_deletion_changes": _mc_deletion,
    "paper_deletion_experiment": lambda rng: {"data": _Xy(rng, n=20), "setting": "gisette",
                                              "runs": 1, "test_points": 2, "fractions": (0.05,),
                                              "seed": 0, "tol": 1e-8},
    "mf_deletion_changes": _mf_deletion,
    "mf_gradient": _mf_gradient,
    "mf_representers": _mf_representers,
    "normalised_embeddings": lambda rng: {"P": rng.standard_normal((6, 2)),
                                          "Q": rng.standard_normal((5, 2))},
    "nuclear_kkt_residual": _nuclear_kkt,
    "nuclear_representers": _nuclear_representers,
    "random_values": lambda rng: {"n_test": 3, "n_train": 10, "rng": 0},
    "sign_agreement": lambda rng: {"values": rng.standard_normal((3, 10)),
                                   "reference": rng.standard_normal((3, 10))},
    "solve_l1": lambda rng: {k: v for k, v in _l1(rng, tol=1e-10, max_iter=2000).items()
                             if k != "X_test"},
    "solve_l1_cvxpy": lambda rng: {k: v for k, v in _l1(rng).items() if k != "X_test"},
    "solve_l2": lambda rng: {k: v for k, v in _l1(rng, max_iter=100).items() if k != "X_test"},
    "solve_l2_cvxpy": lambda rng: {k: v for k, v in _l1(rng).items() if k != "X_test"},
    "solve_mf": _mf,
    "solve_nuclear": lambda rng: {**_ratings(rng), "tol": 1e-8, "max_iter": 500, "check_every": 10},
    "solve_nuclear_cvxpy": _ratings,
    "tracin_values": _tracin,
    "training_checkpoints": lambda rng: {**{k: v for k, v in _l1(rng).items() if k != "X_test"},
                                         "n_steps": 20, "n_checkpoints": 3},
}
EXEMPT = {
    "ClassificationData": "result container returned by the data makers",
    "MFRepresenterResult": "result container returned by mf_representers",
    "MFSolution": "result container returned by solve_mf",
    "NuclearRepresenterResult": "result container returned by nuclear_representers",
    "NuclearSolution": "result container returned by solve_nuclear",
    "PaperSetting": "settings record of PAPER_SETTINGS (no validation: the table is fixed)",
    "Ratings": "result container returned by make_lowrank_ratings / load_ratings_csv",
    "RepresenterResult": "result container returned by l1_representers / l2_representers",
}
ALLOW = {
    # max_iter is a cap on iterations, not a size: nothing is allocated from it and a converged
    # solve stops long before it
    "l1_representers": {"max_iter": {"huge"}},
    "nuclear_representers": {"max_iter": {"huge"}},
    "solve_l1": {"max_iter": {"huge"}},
    "solve_l2": {"max_iter": {"huge"}},
    # check_every beyond max_iter means "check only at the end": valid, nothing allocated
    "solve_nuclear": {"max_iter": {"huge"}, "check_every": {"huge"}},
    "solve_mf": {"max_iter": {"huge"}},
    "mf_representers": {"max_iter": {"huge"}},
    "mf_deletion_changes": {"max_iter": {"huge"}},
}

# the interactive explorer: every argument is checked before the data are drawn
CASES["explore"] = lambda rng: {"dataset": "synthetic", "lam": 0.05, "test_index": 1,
                                "n_test": 3, "seed": 0}
ALLOW["explore"] = {"test_index": {"zero"}}  # the first test point (the default)

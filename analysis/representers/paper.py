r"""The case-deletion experiment of Tsai et al. (ICML 2023) on the paper's own libsvm datasets.

Settings of the published code (``chepingt/High-dimensional-Representer``, read there and quoted
in issue 15): l1-regularised logistic regression without intercept, ``C = 1`` for rcv1 and
gisette and ``C = 10`` for news20, a 20 % validation split for rcv1 / gisette and 10 %
validation + 11 % test for news20, 40 runs x 40 test points, deletion of the top 1..5 % of
proponents and of opponents, retraining, and the change of the test prediction.

Conventions here (stated, because the published code leaves them implicit):

* liblinear's objective ``||theta||_1 + C sum_i loss_i``, divided by ``C n``, is our mean-loss
  objective ``(1/n) sum_i loss_i + lambda ||theta||_1`` with ``lambda = 1 / (C n)``, ``n`` the
  number of training rows of the run;
* run ``r`` draws its own random split (seeded by ``spawn_seeds(seed, runs)[r]``) and its test
  points uniformly without replacement from the held-out rows: the validation split for
  rcv1 / gisette, the test split for news20;
* every refit is warm-started from the run's full solution (:func:`deletion_changes`), and
  the explainers are those of the synthetic experiment (l1 representer, exact-Hessian influence
  on the support, l2 representer, TracIn, random).

At the paper's size the experiment is hours of refits: ``cache`` (a
:class:`analysis._core.result_cache.ResultCache`) stores each (run, test point) row of changes as
it is done, so an interrupted run resumes with the same numbers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.validate import check_budget, check_int, check_positive
from analysis.representers.evaluation import (
    DELETION_FRACTIONS,
    DIRECTIONS,
    _check_fractions,
    deletion_auc,
    deletion_changes,
    mean_ci,
)
from analysis.representers.l1 import check_design, solve_l1

__all__ = ["PAPER_SETTINGS", "PaperSetting", "paper_deletion_experiment"]


@dataclass(frozen=True)
class PaperSetting:
    """Regularisation and splits of one dataset in the published deletion experiment.

    Examples
    --------
    >>> from analysis.representers import PAPER_SETTINGS
    >>> PAPER_SETTINGS["news20"]
    PaperSetting(C=10.0, validation=0.1, test=0.11)
    """

    C: float
    validation: float
    test: float = 0.0


#: The published settings per dataset (see the module docstring).
PAPER_SETTINGS = {
    "rcv1": PaperSetting(C=1.0, validation=0.2),
    "gisette": PaperSetting(C=1.0, validation=0.2),
    "news20": PaperSetting(C=10.0, validation=0.1, test=0.11),
}


def paper_deletion_experiment(
    data,
    *,
    setting: str | None = None,
    runs: int = 40,
    test_points: int = 40,
    fractions=DELETION_FRACTIONS,
    seed: int = 0,
    tol: float = 1e-6,
    cache=None,
    progress: bool = False,
) -> dict:
    r"""Deletion curves and AUCs of every explainer on a libsvm dataset, with the paper's protocol.

    Parameters
    ----------
    data : {"rcv1", "gisette", "news20"} or (X, y)
        A dataset name (loaded with :func:`analysis._core.datasets.load_libsvm`: from the cache,
        or ``python -m analysis data fetch NAME --from FILE`` first) or a design (dense or
        scipy.sparse) with labels in {-1, +1}.
    setting : {"rcv1", "gisette", "news20"}, optional
        Whose ``C`` and splits to use; defaults to ``data`` when it is a name (required for a
        design).
    runs, test_points : int
        Random splits, and test points per split (the paper: 40 and 40).
    fractions : sequence of float
        Fractions of the training rows deleted (the paper: 1..5 %).
    seed : int
    tol : float
        KKT tolerance of the full fit and of every refit.
    cache : ResultCache, optional
        Store each (run, test point) as it is done; a rerun recomputes only what is missing.
    progress : bool
        A progress bar of finished test points on stderr.

    Returns
    -------
    dict
        ``changes[direction][explainer]``: (runs * test_points, n_levels) prediction changes;
        ``auc[direction][explainer] = (mean, 95 % half-width)`` of :func:`deletion_auc`;
        ``lam`` per run (``1 / (C n_train)``), ``support`` sizes, ``setting``, ``n_train``.

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic, paper_deletion_experiment
    >>> d = make_sparse_logistic(120, 40, n_test=1, rng=0)
    >>> out = paper_deletion_experiment((d.X, d.y), setting="gisette", runs=1, test_points=2,
    ...                                 fractions=(0.02, 0.05))
    >>> out["changes"]["proponents"]["l1 representer"].shape, out["n_train"]
    ((2, 2), [96])
    """
    from analysis._core.result_cache import check_cache_and_progress, result_key, source_digest
    from analysis.representers.figures import EXPLAINERS, l1_explainer_values

    if isinstance(data, str):
        from analysis._core.datasets import load_libsvm

        if data not in PAPER_SETTINGS:
            raise ValueError(f"data: expected one of {sorted(PAPER_SETTINGS)} or (X, y), got {data!r}")
        setting = data if setting is None else setting
        X, y = load_libsvm(data)
    else:
        if not (isinstance(data, tuple | list) and len(data) == 2):
            raise ValueError(
                f"data: expected a dataset name or an (X, y) pair, got {type(data).__name__}")
        X, y = data
    if setting not in PAPER_SETTINGS:
        raise ValueError(f"setting: expected one of {sorted(PAPER_SETTINGS)}, got {setting!r}")
    X, y = check_design(X, y, "logistic")
    if sp.issparse(X):
        X = sp.csr_matrix(X)
    runs = check_int(runs, "runs", minimum=1)
    test_points = check_int(test_points, "test_points", minimum=1)
    fr = _check_fractions(fractions)
    # the number of refits (runs x test points x 2 directions x 5 explainers x levels): the
    # paper's 40 x 40 x 10 x 5 = 80 000 are hours on 2 cores; a billion is refused up front
    check_budget("runs" if runs >= test_points else "test_points",
                 n_operations=10.0 * runs * test_points * fr.size, max_operations=1e9,
                 what="deletion refits")
    seed = check_int(seed, "seed", minimum=0)
    tol = check_positive(tol, "tol")
    check_cache_and_progress(cache, progress)
    spec = PAPER_SETTINGS[setting]
    n = X.shape[0]
    n_val, n_test = int(round(spec.validation * n)), int(round(spec.test * n))
    n_train = n - n_val - n_test
    pool_size = n_test if spec.test > 0 else n_val
    if n_train < 2 or pool_size < test_points:
        raise ValueError(
            f"test_points: {n} rows give {n_train} training rows and {pool_size} held-out rows "
            f"for setting {setting!r}; expected at least {test_points} held-out rows"
        )
    if cache is not None:
        import analysis.representers.baselines as baselines
        import analysis.representers.l1 as l1

        parts = (X.data, X.indices, X.indptr, X.shape) if sp.issparse(X) else (np.asarray(X),)
        common = ("paper_deletion_experiment",
                  tuple(source_digest(m) for m in (sys.modules[__name__], baselines, l1)),
                  *parts, y, setting, fr, tol)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=runs * test_points, desc=f"deletion refits ({setting})", unit="test point",
                   file=sys.stderr)
    changes = {dr: {e: [] for e in EXPLAINERS} for dr in DIRECTIONS}
    lams, supports = [], []
    try:
        for run_seed in spawn_seeds(seed, runs):
            gen = make_rng(run_seed)
            perm = gen.permutation(n)
            train, held = perm[:n_train], perm[n_train:]
            pool = held[n_val:] if spec.test > 0 else held[:n_val]
            chosen = np.sort(gen.choice(pool, size=test_points, replace=False))
            Xtr, ytr, Xte = X[train], y[train], X[chosen]
            lam = 1.0 / (spec.C * n_train)
            theta = solve_l1(Xtr, ytr, lam, "logistic", tol=tol).theta
            if not np.any(theta):
                raise ValueError(
                    f"setting: C = {spec.C} gives lambda = {lam:.3g}, at which the l1 model of run "
                    f"{len(lams)} is all zero (empty support: lambda >= ||X^T l'(0)||_inf / n); "
                    f"every l1 representer value would be 0. Use a setting with a larger C."
                )
            lams.append(lam)
            supports.append(int(np.count_nonzero(theta)))
            values, _ = l1_explainer_values(Xtr, ytr, lam, Xte, theta, run_seed + 1)
            for t in range(test_points):
                key = result_key(*common, run_seed, t) if cache is not None else None
                stored = cache.get(key) if cache is not None else None
                if stored is not None and stored.shape == (len(DIRECTIONS), len(EXPLAINERS), fr.size):
                    rows = stored
                else:
                    rows = np.array([[deletion_changes(Xtr, ytr, lam, Xte[t:t + 1], values[e][t:t + 1],
                                                       theta=theta, fractions=fr, direction=dr,
                                                       tol=tol)[0]
                                      for e in EXPLAINERS] for dr in DIRECTIONS])
                    if cache is not None:
                        cache.put(key, rows)
                for a, dr in enumerate(DIRECTIONS):
                    for b, e in enumerate(EXPLAINERS):
                        changes[dr][e].append(rows[a, b])
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    changes = {dr: {e: np.array(v) for e, v in by.items()} for dr, by in changes.items()}
    return {
        "setting": {"name": setting, "C": spec.C, "validation": spec.validation, "test": spec.test},
        "n_train": [n_train] * runs,
        "lam": lams,
        "support": supports,
        "fractions": fr.tolist(),
        "changes": changes,
        "auc": {dr: {e: mean_ci(deletion_auc(ch, fr, dr)) for e, ch in by.items()}
                for dr, by in changes.items()},
    }

r"""Evaluation of explainers.

Case-deletion curves, their AUC with confidence intervals, and sign agreement with
leave-one-out retraining.

Case deletion (Tsai et al. 2023, Sec. 5; protocol of their ``del_curve_*`` scripts): for a test
point ``t`` rank the training points by an explainer's value, delete the top ``p`` share
(``p = 1..5 %``) of proponents (largest values) or opponents (smallest values), retrain, and record
the change of the prediction ``f_t``. A good explainer's proponents, once deleted, lower ``f_t``
most; its opponents raise it most. We summarise a curve by its normalised area

.. math:: \mathrm{AUC} = \frac{1}{p_{\max}} \int_0^{p_{\max}} s\,\Delta f_t(p)\,dp,

(trapezoid rule, ``Delta f_t(0) = 0``, ``s = -1`` for proponents and ``+1`` for opponents, so
larger is better) and report the mean and a 95 % Student-t interval over test points.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from analysis._core.execution import run_many
from analysis._core.validate import as_array, check_choice, check_int, check_positive, check_real
from analysis.representers.l1 import check_design, check_test_design, solve_l1
from analysis.representers.losses import check_loss
from analysis.representers.nuclear import (
    NuclearSolution,
    ObservedEntries,
    _solve_nuclear,
    check_ratings,
    observed_entries,
)

#: Deletion levels of the paper: 1, 2, 3, 4, 5 % of the training set.
DELETION_FRACTIONS = (0.01, 0.02, 0.03, 0.04, 0.05)
DIRECTIONS = ("proponents", "opponents")
#: Pools of :func:`mc_deletion_changes`: the query's whole neighbourhood, its row, its column.
CANDIDATE_POOLS = ("both", "same user", "same item")


def n_deleted(n: int, fraction: float) -> int:
    """Points deleted at level ``fraction`` of ``n``: ``n - floor(n (1 - fraction))`` (at least 1)."""
    return max(1, n - int(np.floor(n * (1.0 - fraction) + 1e-9)))


def _check_fractions(fractions) -> np.ndarray:
    fr = as_array(fractions, "fractions", ndim=1, min_size=1)
    if np.any(fr <= 0) or np.any(fr >= 1) or np.any(np.diff(fr) <= 0):
        raise ValueError(f"fractions: expected increasing shares in (0, 1), got {fr.tolist()}")
    return fr


def ranked_candidates(rows, cols, q: int, u: int, v: int, scores, candidates: str, direction: str):
    """The entries of query ``q = (u, v)``'s pool, most important first, and its neighbourhood size.

    The pool is the observed entries in row ``u`` (``"same user"``), column ``v``
    (``"same item"``) or either (``"both"``); they are ordered by ``scores`` (one per entry) with
    :func:`deletion_order`. Returns ``(ranked entry indices, |row u or column v|)``.
    """
    same_u, same_i = rows == u, cols == v
    pool = {"both": same_u | same_i, "same user": same_u, "same item": same_i}[candidates]
    cand = np.flatnonzero(pool)
    if cand.size == 0:
        raise ValueError(
            f"candidates: query {q} ({u}, {v}) has no observed entries in its {candidates!r} pool"
        )
    return cand[deletion_order(scores[cand], direction)], int(np.count_nonzero(same_u | same_i))


def deletion_order(values: np.ndarray, direction: str) -> np.ndarray:
    """Training indices in deletion order: largest values first for proponents, smallest for opponents.

    Ties are broken by index (stable sort), so the order is deterministic.
    """
    direction = check_choice(direction, "direction", DIRECTIONS)
    key = -values if direction == "proponents" else values
    return np.argsort(key, kind="stable")


def deletion_changes(
    X,
    y,
    lam,
    X_test,
    values,
    *,
    loss: str = "logistic",
    theta=None,
    fractions=DELETION_FRACTIONS,
    direction: str = "proponents",
    tol: float = 1e-9,
) -> np.ndarray:
    """Prediction changes ``f_t(after deletion) - f_t`` of an l1 model for each test point and level.

    Parameters
    ----------
    X, y, lam, loss
        The l1-regularised training problem (see :func:`analysis.representers.l1.solve_l1`).
    X_test : array_like, shape (n_test, d)
    values : array_like, shape (n_test, n_train)
        An explainer's values.
    theta : array_like, optional
        The full-data solution (warm start of every refit); solved if omitted.
    fractions : sequence of float
        Deletion levels.
    direction : {"proponents", "opponents"}
    tol : float
        KKT tolerance of the refits.

    Returns
    -------
    ndarray, shape (n_test, n_levels)

    Examples
    --------
    >>> from analysis.representers import deletion_changes, l1_representers, make_sparse_logistic
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> res = l1_representers(data.X, data.y, 0.05, data.X_test)
    >>> changes = deletion_changes(data.X, data.y, 0.05, data.X_test, res.values, theta=res.theta)
    >>> changes.shape, bool(np.all(changes < 0))  # here deleting proponents lowers every prediction
    ((3, 5), True)
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    X_test = check_test_design(X_test, X.shape[1])
    n = X.shape[0]
    values = as_array(values, "values", ndim=2, shape=(X_test.shape[0], n))
    fr = _check_fractions(fractions)
    direction = check_choice(direction, "direction", DIRECTIONS)
    if theta is None:
        theta = solve_l1(X, y, lam, loss).theta
    theta = as_array(theta, "theta", ndim=1, shape=(X.shape[1],))
    base = X_test @ theta
    out = np.empty((X_test.shape[0], fr.size))
    for t in range(X_test.shape[0]):
        order = deletion_order(values[t], direction)
        for j, p in enumerate(fr):
            w = np.ones(n)
            w[order[: n_deleted(n, p)]] = 0.0
            refit = solve_l1(X, y, lam, loss, sample_weight=w, theta0=theta, tol=tol).theta
            out[t, j] = float(np.ravel(X_test[t] @ refit)[0]) - base[t]  # dense or sparse row
    return out


def deletion_auc(changes, fractions=DELETION_FRACTIONS, direction: str = "proponents") -> np.ndarray:
    """Normalised area under each deletion curve (larger = better explainer); shape (n_test,).

    Examples
    --------
    >>> from analysis.representers import deletion_auc
    >>> deletion_auc([[-1.0, -2.0]], fractions=(0.25, 0.5))  # (0.25 * 1/2 + 0.25 * 3/2) / 0.5
    array([1.])
    >>> deletion_auc([[-1.0, -2.0]], fractions=(0.25, 0.5), direction="opponents")
    array([-1.])
    """
    changes = as_array(changes, "changes", ndim=2, min_size=1)
    fr = _check_fractions(fractions)
    if changes.shape[1] != fr.size:
        raise ValueError(f"changes: expected {fr.size} columns (one per fraction), got {changes.shape}")
    sign = -1.0 if check_choice(direction, "direction", DIRECTIONS) == "proponents" else 1.0
    xs = np.concatenate([[0.0], fr])
    ys = np.hstack([np.zeros((changes.shape[0], 1)), sign * changes])
    return np.trapezoid(ys, xs, axis=1) / fr[-1]


def mean_ci(samples, confidence: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of a Student-t confidence interval (half-width 0 for one sample)."""
    x = as_array(samples, "samples", min_size=1).ravel()
    confidence = check_real(
        confidence, "confidence", minimum=0.0, maximum=1.0, strict_min=True, strict_max=True
    )
    if x.size < 2:
        return float(x.mean()), 0.0
    sem = x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * sem)


def sign_agreement(values, reference) -> float:
    """Share of entries where ``sign(values) == sign(reference)``, over entries with reference != 0.

    Examples
    --------
    >>> from analysis.representers import sign_agreement
    >>> sign_agreement([[1.0, -2.0, 3.0]], [[2.0, 1.0, 0.0]])  # the third entry is not counted
    0.5
    """
    values = as_array(values, "values")
    reference = as_array(reference, "reference")
    if values.shape != reference.shape:
        raise ValueError(
            f"reference: expected shape {values.shape} to match values, got {reference.shape}"
        )
    mask = reference != 0
    if not np.any(mask):
        raise ValueError("reference: expected some non-zero entries, got all zeros")
    return float(np.mean(np.sign(values[mask]) == np.sign(reference[mask])))


@dataclass
class DeletionExperiment:
    """Deletion curves of several explainers.

    Attributes
    ----------
    fractions : ndarray
    changes : dict
        ``changes[direction][explainer]``: array (n_test, n_levels) of prediction changes.
    auc : dict
        ``auc[direction][explainer] = (mean, half_width)``.
    seconds : dict
        Time to compute each explainer's values for all test points.
    """

    fractions: np.ndarray
    changes: dict = field(default_factory=dict)
    auc: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def summarise(experiment: DeletionExperiment) -> DeletionExperiment:
    """Fill ``experiment.auc`` from its changes."""
    for direction, by_explainer in experiment.changes.items():
        experiment.auc[direction] = {
            name: mean_ci(deletion_auc(ch, experiment.fractions, direction))
            for name, ch in by_explainer.items()
        }
    return experiment


# ----------------------------------------------------------------------------------------------
# matrix completion


def mc_deletion_changes(
    rows,
    cols,
    values,
    shape,
    lam,
    solution: NuclearSolution,
    query_rows,
    query_cols,
    explainer_values,
    *,
    fractions=DELETION_FRACTIONS,
    direction="proponents",
    tol: float = 1e-6,
    jobs: int = 1,
    candidates: str = "both",
    cache=None,
    progress: bool = False,
) -> np.ndarray:
    """Case deletion for matrix completion: delete top entries among those sharing the user or item.

    For query ``(u, v)`` the neighbourhood is the observed entries in row ``u`` or column ``v``
    (the only ones with non-zero representer weight); ``n_deleted(|neighbourhood|, p)`` entries
    (at least 1) with the largest (proponents) or smallest (opponents) ``explainer_values[q]``
    are given weight 0 and the model is refitted by soft-impute, warm-started from ``solution``.

    ``candidates`` restricts the pool the entries are chosen from: ``"same user"`` (row ``u``:
    an item-based explanation), ``"same item"`` (column ``v``: user-based) or ``"both"``. The
    number deleted is always counted on the whole neighbourhood (capped at the pool's size), so
    explainers that draw from different pools delete the same number of ratings.

    The ratings are validated and indexed once (:func:`analysis.representers.nuclear.observed_entries`)
    and every refit reuses that structure. ``jobs > 1`` runs the queries' refits in worker
    processes through :func:`analysis._core.execution.run_many` (one BLAS thread each); the
    results are those of ``jobs=1`` run with one BLAS thread, bit for bit (each refit is a
    deterministic function of its weights and warm start). It pays when the refits outweigh
    starting the workers (seconds): the paper-scale figure's 160 refits, not a toy.

    ``cache`` (an :class:`analysis._core.result_cache.ResultCache`) makes the experiment
    resumable: each query's refits are stored as soon as they finish (in any worker), keyed by
    the ratings, ``lam``, the warm start, the query, the deleted sets, ``tol`` and the source of
    the solver and of this module; a rerun refits only what is not stored and returns the same
    numbers. ``progress`` shows a bar of finished queries on stderr.

    Returns
    -------
    ndarray, shape (n_query, n_levels)
        ``Theta_uv(after) - Theta_uv``.

    Examples
    --------
    >>> from analysis.representers import make_lowrank_ratings, mc_deletion_changes
    >>> from analysis.representers import nuclear_representers
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> res = nuclear_representers(*args, [0, 3], [1, 5])
    >>> changes = mc_deletion_changes(*args, res.solution, [0, 3], [1, 5], res.values)
    >>> changes.shape, bool(np.all(changes < 0))  # here deleting proponents lowers both entries
    ((2, 5), True)
    """
    obs = observed_entries(rows, cols, values, shape)
    lam = check_positive(lam, "lam")
    tol = check_positive(tol, "tol")
    jobs = check_int(jobs, "jobs", minimum=1)
    q_rows, q_cols, _, _ = check_ratings(
        query_rows, query_cols, None, obs.shape, names=("query_rows", "query_cols", "values")
    )
    ev = as_array(explainer_values, "explainer_values", ndim=2, shape=(q_rows.size, obs.n))
    fr = _check_fractions(fractions)
    direction = check_choice(direction, "direction", DIRECTIONS)
    candidates = check_choice(candidates, "candidates", CANDIDATE_POOLS)
    # deletion sets in the caller's entry numbering: candidates are the entries sharing the
    # query's row or column, ordered by the explainer
    orig_rows, orig_cols = np.empty_like(obs.rows), np.empty_like(obs.cols)
    orig_rows[obs.order], orig_cols[obs.order] = obs.rows, obs.cols
    tasks = []
    for q in range(q_rows.size):
        order, size = ranked_candidates(orig_rows, orig_cols, q, int(q_rows[q]), int(q_cols[q]),
                                        ev[q], candidates, direction)
        deleted = [order[: min(n_deleted(size, p), order.size)] for p in fr]
        tasks.append((obs, lam, solution, int(q_rows[q]), int(q_cols[q]), deleted, tol))
    from analysis._core.result_cache import check_cache_and_progress, result_key, source_digest

    check_cache_and_progress(cache, progress)
    out: list = [None] * len(tasks)
    keys: list = [None] * len(tasks)
    if cache is not None:
        import analysis.representers.nuclear as nuclear_module

        code = (source_digest(sys.modules[__name__]), source_digest(nuclear_module))
        common = ("mc_deletion_changes", code, orig_rows, orig_cols, obs.values[np.argsort(obs.order)],
                  tuple(int(x) for x in obs.shape), lam, solution.U, solution.s, solution.V, tol)
        for i, (_, _, _, u, v, deleted, _) in enumerate(tasks):
            keys[i] = result_key(*common, u, v, [np.sort(d) for d in deleted])
            stored = cache.get(keys[i])
            if stored is not None and stored.shape == (fr.size,):
                out[i] = stored.tolist()
    todo = [i for i in range(len(tasks)) if out[i] is None]

    def store(j, changes):
        out[todo[j]] = changes
        if cache is not None:
            cache.put(keys[todo[j]], np.asarray(changes, dtype=float))

    if jobs == 1 and not progress:  # in this process, leaving its BLAS threads as the caller set them
        for j, i in enumerate(todo):
            store(j, _mc_refits(*tasks[i]))
    else:
        run_many(_mc_refits, [tasks[i] for i in todo], jobs=jobs, progress=progress,
                 desc="deletion refits", on_result=store)
    return np.asarray(out, dtype=float).reshape(q_rows.size, fr.size)


def _mc_refits(obs: ObservedEntries, lam, solution, u, v, deleted, tol) -> list[float]:
    """``Theta_uv`` after deleting each set in ``deleted`` (caller's numbering), minus before."""
    rank_of = np.empty(obs.n, dtype=np.int64)
    rank_of[obs.order] = np.arange(obs.n)  # caller's entry -> position in obs
    base = float(solution.entries([u], [v])[0])
    changes = []
    for gone in deleted:
        w = np.ones(obs.n)
        w[rank_of[gone]] = 0.0
        refit = _solve_nuclear(obs, w, lam, solution, tol, 5000, 2, True)
        changes.append(float(refit.entries([u], [v])[0]) - base)
    return changes

r"""The supervised-contrastive-loss (SCL) unconstrained-features model: convex and GD routes.

Normalised features :math:`h_i` (:math:`\|h_i\| = 1`), labels :math:`y_i`, temperature
:math:`\tau`. For a batch :math:`B` and an anchor :math:`i \in B` with positives
:math:`P_i = \{j \in B\setminus\{i\}: y_j = y_i\}` (Khosla et al., 2020, :math:`L^{sup}_{out}`):

.. math::

    \ell_i(B) = -\frac{1}{|P_i|}\sum_{j\in P_i}
    \log\frac{\exp(h_i^\top h_j/\tau)}{\sum_{k\in B\setminus\{i\}}\exp(h_i^\top h_k/\tau)},
    \qquad \mathcal L = \sum_{B}\sum_{i \in B,\, |P_i| \ge 1} \ell_i(B).

Full batch (:math:`B` = all samples), :math:`\mathcal L` is a function of the Gram matrix
:math:`G = [h_i^\top h_j]` alone,

.. math::

    \mathcal L(G) = \sum_i \Big[-\frac{1}{n_{y_i}-1}\sum_{j\in P_i}\frac{G_{ij}}{\tau}
    + \log\sum_{k\ne i} e^{G_{ik}/\tau}\Big],

linear plus log-sum-exp of linear functions, hence convex over the convex set
:math:`\{G \succeq 0,\ \operatorname{diag} G = 1\}` (rank is free when :math:`d \ge N`).
Non-negative (post-ReLU) features add :math:`G \ge 0` entry-wise. With it the minimiser is
the orthogonal frame :math:`G_{ij} = \mathbb 1[y_i = y_j]` for *any* class counts: every anchor's
term decreases in its positive entries and increases in its negative entries, and the OF puts
all of them at their bounds 1 and 0 (Kini et al., 2024, Thm. 1).

Class-block reduction. The objective and the constraints are invariant under permutations of
the samples within a class; by convexity the average of a minimiser over that group is a
minimiser, so one may restrict to :math:`G_{ij} = a_c` (:math:`i\ne j`, both in class c) and
:math:`G_{ij} = B_{cc'}` (classes :math:`c\ne c'`). With :math:`K_{cc} = a_c`,
:math:`K_{cc'} = B_{cc'}`, :math:`D = \operatorname{diag}(\sqrt{n_c})`:

.. math::

    G \succeq 0 \iff 1 - a_c \ge 0 \ \forall c \ \text{ and }\
    \operatorname{diag}(1 - a) + D K D \succeq 0,

    \mathcal L = \sum_c n_c\Big[-\frac{a_c}{\tau} + \log\Big((n_c-1)e^{a_c/\tau}
    + \sum_{c'\ne c} n_{c'} e^{B_{cc'}/\tau}\Big)\Big],

a C x C problem whatever the number of samples N.

References
----------
.. [1] G. R. Kini, V. Vakilian, T. Behnia, J. Gill, C. Thrampoulidis, "Symmetric
   Neural-Collapse Representations with Supervised Contrastive Loss: The Impact of ReLU and
   Batching", ICLR 2024. Thm. 1 (OF with non-negativity), batching conditions and
   batch-binding (Sec. 4).
.. [2] P. Khosla et al., "Supervised contrastive learning", NeurIPS 2020, Eq. (2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_rng, make_torch_generator
from analysis._core.solve import solve_problem
from analysis._core.validate import as_array, check_budget, check_int, check_labels, check_real
from analysis.neural_collapse.data import labels_from_counts, validate_counts
from analysis.neural_collapse.metrics import class_means, of_distance_from_gram


@dataclass
class SCLResult:
    r"""Minimiser of the full-batch SCL UFM from the convex route.

    Attributes
    ----------
    gram : numpy.ndarray, shape (N, N)
        Gram matrix of the normalised features (for the class-block route it is expanded from
        the C x C solution on first access, so large N costs no N x N memory until asked).
    labels : numpy.ndarray, shape (N,)
    counts : numpy.ndarray, shape (C,)
    class_gram : numpy.ndarray, shape (C, C)
        Gram of the uncentred class means (block averages of ``gram``).
    of_distance : float
        :func:`~analysis.neural_collapse.metrics.of_distance_from_gram` of ``class_gram``.
    objective : float
        :math:`\mathcal L(G)` at the solution.
    route : str
        ``"convex_full"`` (N x N SDP) or ``"convex_block"`` (class-block reduction).
    block : numpy.ndarray or None
        The C x C block values K (diagonal: within-class off-diagonal Gram entries) for the
        class-block route.
    """

    labels: np.ndarray
    counts: np.ndarray
    class_gram: np.ndarray
    of_distance: float
    objective: float
    route: str
    block: np.ndarray | None = None
    _gram: np.ndarray | None = field(default=None, repr=False)

    @property
    def gram(self) -> np.ndarray:
        """The N x N feature Gram (expanded from ``block`` for the class-block route)."""
        if self._gram is None:
            gram = self.block[self.labels][:, self.labels]
            np.fill_diagonal(gram, 1.0)
            self._gram = gram
        return self._gram


def _block_objective(K: np.ndarray, counts: np.ndarray, tau: float) -> float:
    """The class-block form of the SCL objective (module docstring), in float64."""
    C = counts.size
    total = 0.0
    for c in range(C):
        others = np.arange(C) != c
        terms = np.concatenate(([K[c, c] / tau + np.log(counts[c] - 1.0)],
                                K[c, others] / tau + np.log(counts[others].astype(float))))
        top = terms.max()
        total += counts[c] * (top + np.log(np.exp(terms - top).sum()) - K[c, c] / tau)
    return float(total)


def class_block_average(G: np.ndarray, labels: np.ndarray, C: int) -> np.ndarray:
    r"""Average of each class block of an N x N Gram, :math:`E^\top G E` with normalised indicators.

    For a feature Gram this is the Gram of the class means,
    :math:`\mu_c^\top\mu_{c'} = \frac{1}{n_c n_{c'}}\sum_{y_i=c,\,y_j=c'} G_{ij}`.
    """
    E = np.zeros((labels.size, C))
    E[np.arange(labels.size), labels] = 1.0
    E /= E.sum(axis=0)
    return E.T @ G @ E


def _check_scl_labels(labels: object, name: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """Integer labels 0..C-1 with every class holding >= 2 samples; return (labels, counts)."""
    labels = check_labels(labels, name)
    if labels.size < 2:
        raise ValueError(f"{name}: expected at least 2 labels, got {labels.size}")
    if labels.max() >= labels.size:
        raise ValueError(
            f"{name}: expected every class 0..{int(labels.max())} to have a sample, but there are "
            f"only {labels.size} labels"
        )
    counts = validate_counts(np.bincount(labels), f"{name} (class counts)", minimum=2)
    return labels, counts


def _check_unit_gram(G: np.ndarray, name: str = "G", *, atol: float = 1e-6) -> None:
    """Check that ``G`` is a Gram of unit vectors: symmetric, unit diagonal, PSD (within ``atol``)."""
    asym = float(np.max(np.abs(G - G.T)))
    if asym > atol:
        raise ValueError(f"{name}: expected a symmetric Gram matrix, got max |G - G^T| = {asym:.3g}")
    diag = float(np.max(np.abs(np.diag(G) - 1.0)))
    if diag > atol:
        raise ValueError(
            f"{name}: expected the Gram of unit-norm features (diagonal 1), got max |G_ii - 1| = "
            f"{diag:.3g}"
        )
    lam_min = float(np.linalg.eigvalsh(0.5 * (G + G.T))[0])
    if lam_min < -atol * G.shape[0]:
        raise ValueError(
            f"{name}: expected a positive semidefinite Gram matrix, got eigenvalue {lam_min:.3g}"
        )


def scl_loss_from_gram(G: object, labels: object, temperature: float = 0.1) -> float:
    r"""Full-batch SCL UFM objective :math:`\mathcal L(G)` (module docstring), in float64.

    Parameters
    ----------
    G : array_like, shape (N, N)
        Gram of the normalised features: symmetric, unit diagonal and positive semidefinite
        (checked to 1e-6; a matrix that is not such a Gram is refused).
    labels : array_like of int, shape (N,)
        Labels 0..C-1; every class needs >= 2 samples (an anchor needs a positive).
    temperature : float
        :math:`\tau > 0`.

    Returns
    -------
    float

    Examples
    --------
    >>> from analysis.neural_collapse import scl_loss_from_gram
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> G_of = (y[:, None] == y[None, :]).astype(float)  # orthogonal frame
    >>> loss = scl_loss_from_gram(G_of, y, temperature=0.1)
    >>> bool(np.isclose(loss, 6 * np.log1p(4 * np.exp(-10))))  # each anchor: log(1 + 4 e^{-1/tau})
    True
    >>> bool(np.isclose(scl_loss_from_gram(np.eye(6), y), 6 * np.log(5)))  # orthonormal features
    True
    """
    labels, counts = _check_scl_labels(labels, "labels")
    G = as_array(G, "G", shape=(labels.size, labels.size))
    tau = check_real(temperature, "temperature", minimum=0.0, strict_min=True)
    _check_unit_gram(G, "G")
    return _scl_loss(G, labels, counts, tau)


def _scl_loss(G: np.ndarray, labels: np.ndarray, counts: np.ndarray, tau: float) -> float:
    """:func:`scl_loss_from_gram` on checked inputs."""
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(labels.size, dtype=bool)
    pos = same & off
    logits = np.where(off, G / tau, -np.inf)
    row_max = logits.max(axis=1, keepdims=True)
    lse = row_max[:, 0] + np.log(np.exp(logits - row_max).sum(axis=1))
    attract = (np.where(pos, G, 0.0).sum(axis=1) / (counts[labels] - 1)) / tau
    return float(np.sum(lse - attract))


def solve_scl_ufm(
    counts: object,
    temperature: float = 0.1,
    nonnegative: bool = True,
    *,
    reduction: str = "none",
    solver: str = "CLARABEL",
    tol: float | None = None,
) -> SCLResult:
    r"""Solve the full-batch SCL UFM as a convex program over the feature Gram (cvxpy).

    .. math::

        \min_G\ \mathcal L(G)\quad\text{s.t.}\quad G \succeq 0,\ \operatorname{diag}G = 1
        \ (,\ G \ge 0 \text{ if nonnegative}).

    Parameters
    ----------
    counts : array_like of int, shape (C,)
        Samples per class, each >= 2 (every anchor needs a positive).
    temperature : float
        :math:`\tau > 0` (Kini et al. use 0.1).
    nonnegative : bool
        Add the entry-wise constraint :math:`G \ge 0` (features after a ReLU).
    reduction : {"none", "class_block"}
        ``"none"``: the N x N problem (N(N-1) exponential cones and an N x N PSD cone; see
        ``benchmarks/bench_neural_collapse.py`` for the largest N it solves in a minute).
        ``"class_block"``: the exact C x C reduction of the module docstring; ``gram`` is then
        expanded back to N x N.
    solver : str
        cvxpy solver (Clarabel: interior point, about 1e-8 accuracy).
    tol : float, optional
        Clarabel's gap and feasibility tolerances (``tol_gap_abs``, ``tol_gap_rel``,
        ``tol_feas``; default: Clarabel's 1e-8). The objective is O(N) and the OF distance
        error of an interior-point solution scales like the gap over the active constraints'
        multipliers: at the default, the non-negative optimum (exactly an OF) comes back with
        OF distances up to ~4e-4 at N = 2.5e3, at ``tol=1e-12`` up to ~4e-8. Very tight values
        can end "inaccurate"; the solve is then repeated at ten times the tolerance (up to
        1e-8), so the result is always at least as accurate as the default. Extreme count
        ratios: the gap is relative to the whole objective, so classes holding a fraction
        below ~tol of the samples are barely constrained. Measured with ReLU (exact OF
        distance 0): counts [2, 2, 1e4] give 2.8e-2 at the default and 1.5e-6 at 1e-12;
        [2, 2, 1e5] give 0.82 and 2.5e-4. Keep N / min(counts) well below 1 / tol.

    Returns
    -------
    SCLResult

    Raises
    ------
    ValueError
        On counts < 2, a non-positive temperature, an unknown reduction or a solver that is
        not installed, or an N x N program too large to plan (``reduction="none"`` with N
        beyond ~3.7e3: about 1e12 operations; the class-block route has no such limit).
    analysis._core.solve.SolverError
        If the solver does not reach an optimal status.

    References
    ----------
    .. [1] Kini et al. (2024), ICLR, Sec. 3 (SCL UFM) and Thm. 1.

    Examples
    --------
    >>> from analysis.neural_collapse import solve_scl_ufm
    >>> res = solve_scl_ufm([2, 3, 4])  # imbalanced, with ReLU: still an orthogonal frame
    >>> res.route, res.gram.shape, round(res.of_distance, 3)
    ('convex_full', (9, 9), 0.0)
    >>> round(solve_scl_ufm([2, 3, 4], reduction="class_block").of_distance, 3)
    0.0
    """
    import cvxpy as cp

    counts = validate_counts(counts, "counts", minimum=2)
    tau = check_real(temperature, "temperature", minimum=0.0, strict_min=True)
    if not isinstance(nonnegative, (bool, np.bool_)):
        raise ValueError(f"nonnegative: expected a bool, got {type(nonnegative).__name__}")
    if reduction not in ("none", "class_block"):
        raise ValueError(f"reduction: expected 'none' or 'class_block', got {reduction!r}")
    if not isinstance(solver, str) or solver.upper() not in cp.installed_solvers():
        raise ValueError(f"solver: expected an installed cvxpy solver {cp.installed_solvers()}, "
                         f"got {solver!r}")
    if tol is not None:
        tol = check_real(tol, "tol", minimum=1e-15, maximum=1e-3)
    C, N = counts.size, int(counts.sum())
    if reduction == "none":
        # N x N PSD variable, N(N-1) exponential cones: an interior-point step is O(N^3)-O(N^6)
        check_budget("counts", n_bytes=64.0 * N * N, n_operations=20.0 * float(N) ** 3,
                     what=f"an N x N Gram program with N = {N}; try reduction='class_block'")
    else:
        check_budget("counts", n_bytes=8.0 * N, what=f"labels of {N} samples")
    labels = labels_from_counts(counts)
    if reduction == "class_block":
        K = cp.Variable((C, C), symmetric=True)
        a = cp.diag(K)
        D = np.diag(np.sqrt(counts.astype(float)))
        constraints = [a <= 1, cp.diag(1 - a) + D @ K @ D >> 0]
        if nonnegative:
            constraints.append(K >= 0)
        off = ~np.eye(C, dtype=bool)
        rows = []
        for c in range(C):
            others = np.flatnonzero(off[c])
            terms = cp.hstack([a[c] / tau + np.log(counts[c] - 1.0),
                               K[c, others] / tau + np.log(counts[others].astype(float))])
            rows.append(counts[c] * (cp.log_sum_exp(terms) - a[c] / tau))
        problem = cp.Problem(cp.Minimize(cp.sum(cp.hstack(rows))), constraints)
        _solve_to_tolerance(problem, solver, tol, "SCL UFM (class-block reduction)")
        Kv = np.asarray(K.value)
        Kv = 0.5 * (Kv + Kv.T)
        av = np.clip(np.diag(Kv), None, 1.0)
        class_gram = Kv.copy()
        np.fill_diagonal(class_gram, (1.0 + (counts - 1) * av) / counts)
        return SCLResult(
            labels=labels,
            counts=counts,
            class_gram=class_gram,
            of_distance=of_distance_from_gram(class_gram),
            objective=_block_objective(Kv, counts, tau),
            route="convex_block",
            block=Kv,
        )
    else:
        G = cp.Variable((N, N), PSD=True)
        constraints = [cp.diag(G) == 1]
        if nonnegative:
            constraints.append(G >= 0)
        rows, cols = np.nonzero(~np.eye(N, dtype=bool))  # row-major: row i's N-1 entries
        off_diag = cp.reshape(G[rows, cols], (N, N - 1), order="C")
        same = labels[:, None] == labels[None, :]
        P = np.where(same & ~np.eye(N, dtype=bool), 1.0 / (counts[labels] - 1.0)[:, None], 0.0)
        objective = cp.sum(cp.log_sum_exp(off_diag / tau, axis=1)) - cp.sum(cp.multiply(P, G)) / tau
        problem = cp.Problem(cp.Minimize(objective), constraints)
        _solve_to_tolerance(problem, solver, tol, f"SCL UFM (N x N Gram, N={N})")
        gram = np.asarray(G.value)
        gram = 0.5 * (gram + gram.T)
        class_gram = class_block_average(gram, labels, C)
    return SCLResult(
        labels=labels,
        counts=counts,
        class_gram=class_gram,
        of_distance=of_distance_from_gram(class_gram),
        objective=_scl_loss(gram, labels, counts, tau),
        route="convex_full",
        _gram=gram,
    )


def _solve_to_tolerance(problem, solver: str, tol: float | None, what: str) -> None:
    """Solve with Clarabel tolerances ``tol`` (see :func:`solve_scl_ufm`), loosening x10 on failure."""
    from analysis._core.solve import SolverError

    if tol is None or solver != "CLARABEL":
        solve_problem(problem, solver, what=what)
        return
    while True:
        options = {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol,
                   "tol_ktratio": min(1e-6, 100 * tol), "max_iter": 400}
        try:
            with warnings.catch_warnings():
                # an inaccurate tight solve is retried below, not reported
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                solve_problem(problem, solver, what=what, **options)
            return
        except SolverError:
            if tol >= 1e-8:
                raise
            tol = min(10 * tol, 1e-8)


# ----------------------------------------------------------------------------------------------
# Batches: random partitions, batch-binding and the batching condition
# ----------------------------------------------------------------------------------------------


def random_batches(n_samples: int, batch_size: int, rng: int | np.random.Generator) -> list[np.ndarray]:
    """A random partition of ``range(n_samples)`` into batches of ``batch_size``.

    The last batch holds the remainder; a remainder of one sample (which could not form a
    pair, see :func:`validate_batches`) joins the previous batch instead, so every batch has
    at least 2 samples for every ``n_samples >= 2``.

    Examples
    --------
    >>> from analysis.neural_collapse import random_batches
    >>> batches = random_batches(7, 3, rng=0)
    >>> [b.size for b in batches]  # the one-sample remainder joins the last batch
    [3, 4]
    >>> bool(np.array_equal(np.sort(np.concatenate(batches)), np.arange(7)))
    True
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    check_budget("n_samples", n_bytes=24.0 * n_samples, what=f"a permutation of {n_samples}")
    perm = make_rng(rng, name="rng").permutation(n_samples)
    starts = list(range(0, n_samples, batch_size))
    if n_samples - starts[-1] == 1 and len(starts) > 1:
        starts.pop()
    ends = starts[1:] + [n_samples]
    return [np.sort(perm[s:e]) for s, e in zip(starts, ends, strict=True)]


def bind_batches(
    batches: list, labels: object, rng: int | np.random.Generator = 0
) -> list[np.ndarray]:
    """Batch-binding: append one fixed example of every class to every batch.

    The same C examples (one per class, drawn once from ``rng``) join every batch (samples already
    in a batch are not duplicated), so every class co-occurs with every other class and every
    example of a class shares a batch with the bound example of its class.

    References
    ----------
    .. [1] Kini et al. (2024), ICLR, Sec. 4, batch-binding.

    Examples
    --------
    >>> from analysis.neural_collapse import bind_batches, random_batches
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> bound = bind_batches(random_batches(6, 2, rng=0), y, rng=0)
    >>> [sorted(set(y[b].tolist())) for b in bound]  # every class in every batch
    [[0, 1, 2], [0, 1, 2], [0, 1, 2]]
    """
    labels = _check_batch_labels(labels)
    batches = validate_batches(batches, labels.size)
    gen = make_rng(rng, name="rng")
    C = int(labels.max()) + 1
    bound = np.array([gen.choice(np.flatnonzero(labels == c)) for c in range(C)])
    return [np.union1d(batch, bound) for batch in batches]


def _check_batch_labels(labels: object) -> np.ndarray:
    """Integer labels 0..C-1 (C >= 2) with every class present; return int64."""
    labels = check_labels(labels, "labels")
    if labels.size < 2:
        raise ValueError(f"labels: expected at least 2 labels, got {labels.size}")
    C = int(labels.max()) + 1
    present = np.unique(labels)
    if C < 2 or present.size != C:
        missing = sorted(set(range(C)) - set(present.tolist()))[:5]
        raise ValueError(
            f"labels: expected classes 0..C-1 (C >= 2) each with a sample, got max {C - 1} "
            f"and missing classes {missing}"
        )
    return labels


def validate_batches(batches: object, n_samples: int) -> list[np.ndarray]:
    """Check a list of integer index arrays covering ``0..n_samples-1`` (each batch >= 2)."""
    if not isinstance(batches, (list, tuple)) or len(batches) == 0:
        raise ValueError("batches: expected a non-empty list of index arrays")
    out = []
    for k, batch in enumerate(batches):
        arr = np.asarray(batch)
        if arr.ndim != 1 or arr.size < 2 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"batches: batch {k} must be a 1-D integer array of >= 2 indices")
        if arr.min() < 0 or arr.max() >= n_samples or np.unique(arr).size != arr.size:
            raise ValueError(f"batches: batch {k} has indices outside 0..{n_samples - 1} or repeats")
        out.append(arr.astype(np.int64))
    covered = np.unique(np.concatenate(out))
    if covered.size != n_samples:
        raise ValueError(
            f"batches: expected to cover all {n_samples} samples (of the labels or counts), cover "
            f"{covered.size}"
        )
    return out


def batching_condition(batches: list, labels: object) -> dict[str, bool]:
    r"""Check the batch-interaction conditions for a symmetric (OF) SCL + ReLU geometry.

    Two conditions on a fixed set of batches:

    - ``within_connected``: for every class c, the graph on the examples of c with an edge
      between two examples that share a batch is connected (otherwise two groups of c can
      collapse to different points at zero loss cost);
    - ``between_covered``: every pair of classes appears together in some batch (otherwise
      nothing in the loss pushes those two classes apart).

    Our reading of Kini et al. (2024), Sec. 4: the batch-interaction graph conditions are
    necessary and sufficient for every minimiser of the batched loss to be an OF. The exact
    statement could not be re-read here; the simulation (figure ``nc_batching_of_distance`` and
    claim ``nc.scl.batch_binding_restores_of``) is the check we rely on.

    Returns
    -------
    dict
        ``{"within_connected", "between_covered", "holds"}``.

    Examples
    --------
    >>> from analysis.neural_collapse import batching_condition, bind_batches, random_batches
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> batches = random_batches(6, 2, rng=0)  # here each batch holds one class only
    >>> batching_condition(batches, y)
    {'within_connected': True, 'between_covered': False, 'holds': False}
    >>> batching_condition(bind_batches(batches, y, rng=0), y)["holds"]
    True
    """
    labels = _check_batch_labels(labels)
    batches = validate_batches(batches, labels.size)
    C = int(labels.max()) + 1
    N = labels.size
    # union-find over samples, joining same-class samples that share a batch
    parent = np.arange(N)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    together = np.zeros((C, C), dtype=bool)
    for batch in batches:
        present = np.unique(labels[batch])
        together[np.ix_(present, present)] = True
        for c in present:
            members = batch[labels[batch] == c]
            root = find(int(members[0]))
            for m in members[1:]:
                parent[find(int(m))] = root
    roots = np.array([find(i) for i in range(N)])
    within = all(np.unique(roots[labels == c]).size == 1 for c in range(C))
    between = bool(together.all())
    return {"within_connected": within, "between_covered": between, "holds": within and between}


# ----------------------------------------------------------------------------------------------
# Gradient route (torch)
# ----------------------------------------------------------------------------------------------


@dataclass
class SCLTrainResult:
    """Result of :func:`train_scl_ufm`.

    Attributes
    ----------
    features : numpy.ndarray, shape (N, d)
        Final normalised features :math:`h_i`.
    labels, counts : numpy.ndarray
    gram, class_gram : numpy.ndarray
        Feature Gram (N, N) and uncentred class-mean Gram (C, C).
    epochs : numpy.ndarray
        Recorded epochs.
    history : dict of str to numpy.ndarray
        ``"of_distance"`` and ``"loss"`` at the recorded epochs.
    """

    features: np.ndarray
    labels: np.ndarray
    counts: np.ndarray
    gram: np.ndarray
    class_gram: np.ndarray
    epochs: np.ndarray
    history: dict[str, np.ndarray] = field(default_factory=dict)


def _padded_batches(batches: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    size = max(b.size for b in batches)
    index = np.zeros((len(batches), size), dtype=np.int64)
    valid = np.zeros((len(batches), size), dtype=bool)
    for k, b in enumerate(batches):
        index[k, : b.size] = b
        valid[k, : b.size] = True
    return index, valid


def batched_scl_loss(features, labels, index, valid, temperature: float):
    r"""Sum over batches of the SCL loss (module docstring), vectorised over padded batches (torch).

    ``index`` (n_batches, size) holds sample indices, ``valid`` marks real entries; anchors
    without a positive in their batch contribute 0 (as in Khosla et al.'s reference code).
    Returns the sum over contributing anchors (divide by their number for the mean).
    """
    import torch

    h = features[index]  # (nb, s, d)
    lab = labels[index]
    logits = h @ h.transpose(1, 2) / temperature
    size = index.shape[1]
    eye = torch.eye(size, dtype=torch.bool, device=features.device)
    pair_ok = valid[:, :, None] & valid[:, None, :] & ~eye
    pos = pair_ok & (lab[:, :, None] == lab[:, None, :])
    n_pos = pos.sum(dim=2)
    masked = logits.masked_fill(~pair_ok, float("-inf"))
    lse = torch.logsumexp(masked, dim=2)
    lse = torch.where(valid, lse, torch.zeros_like(lse))
    attract = (logits * pos).sum(dim=2) / n_pos.clamp_min(1)
    anchor = (n_pos > 0) & valid
    per_anchor = torch.where(anchor, lse - attract, torch.zeros_like(lse))
    return per_anchor.sum(), anchor.sum()


def train_scl_ufm(
    counts: object,
    d: int,
    *,
    temperature: float = 0.1,
    relu: bool = True,
    batches: object = None,
    epochs: int = 400,
    lr: float = 0.3,
    record_every: int = 25,
    seed: int = 0,
    device: str = "cpu",
    dtype: str = "float64",
) -> SCLTrainResult:
    r"""Minimise the (batched) SCL UFM by gradient descent on free features (torch).

    Features :math:`h_i = \phi(z_i)/\|\phi(z_i)\|` with :math:`\phi` = ReLU (``relu=True``) or
    the identity; GD on :math:`Z` with the loss summed over the fixed ``batches`` (full batch
    when ``None``) and over their anchors. One epoch = one GD step on that sum. The step of
    :math:`z_i` is divided by the number of batches that contain sample i (a diagonal
    preconditioner: bound examples sit in every batch), which keeps the step size independent
    of N and of the batching. The recorded ``loss`` is the mean over contributing anchors.

    Parameters
    ----------
    counts : array_like of int, shape (C,)
        Samples per class, each >= 2.
    d : int
        Feature dimension (>= C for an OF).
    temperature : float
        :math:`\tau > 0`.
    relu : bool
        Non-negative features through a ReLU.
    batches : list of index arrays, optional
        A fixed partition (or cover) of the samples, e.g. :func:`random_batches` or
        :func:`bind_batches`.
    epochs, lr, record_every, seed : int, float, int, int
        GD steps, step size, recording period, initialisation seed (a CPU torch generator
        whatever the device, so the initial features do not depend on it). The rows of Z are
        renormalised after each step (the loss is invariant to their scale), so ``lr`` is a
        step on the sphere. Conditioning: at :math:`\tau = 0.1` the loss is flat to
        :math:`\sim e^{-1/\tau}` along the between-class directions and GD needs far more
        steps to settle the geometry; :math:`\tau = 0.5` converges in a few hundred steps.
        Non-convexity: with a ReLU, GD can stall at a spurious stationary point where two
        small classes share one direction (seen for 2-sample minority classes at C = 10); the
        convex route has no such points.
    device, dtype : str
        torch device and dtype.

    Returns
    -------
    SCLTrainResult

    References
    ----------
    .. [1] Kini et al. (2024), ICLR, Sec. 5 (UFM experiments with and without ReLU, batching).

    Examples
    --------
    >>> from analysis.neural_collapse import train_scl_ufm
    >>> res = train_scl_ufm([3, 3, 3], d=3, temperature=0.5, epochs=50)
    >>> res.features.shape, round(float(res.history["of_distance"][-1]), 3)
    ((9, 3), 0.0)
    """
    import torch

    counts = validate_counts(counts, "counts", minimum=2)
    C = counts.size
    d = check_int(d, "d", minimum=1)
    tau = check_real(temperature, "temperature", minimum=0.0, strict_min=True)
    if not isinstance(relu, (bool, np.bool_)):
        raise ValueError(f"relu: expected a bool, got {type(relu).__name__}")
    epochs = check_int(epochs, "epochs", minimum=0)
    lr = check_real(lr, "lr", minimum=0.0, strict_min=True)
    record_every = check_int(record_every, "record_every", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    N = int(counts.sum())
    check_budget("d", n_bytes=8.0 * 6 * N * d, what=f"features ({N}, {d}) and their gradients")
    if batches is None:
        check_budget("counts", n_bytes=8.0 * 8 * N * N, what=f"a full batch of {N} samples")
        batches = [np.arange(N)]
    index_np, valid_np = _padded_batches(validate_batches(batches, N))
    n_batches, size = index_np.shape
    check_budget("batches", n_bytes=8.0 * n_batches * size * (8 * size + 2 * d),
                 what=f"{n_batches} padded batches of {size} samples")
    n_records = min(epochs // record_every + 2, epochs + 1)
    check_budget("epochs", n_operations=(epochs + 1) * 30.0 * n_batches * size * size * d
                 + n_records * 10.0 * N * d,
                 what=f"{epochs} steps on {n_batches} batches of {size} samples, d = {d}")
    labels_np = labels_from_counts(counts)

    # Drawn from a CPU generator and then moved: the same seed gives the same initial features
    # on every device (a CUDA generator draws a different stream).
    gen = make_torch_generator(seed, "cpu")
    Z = torch.randn(N, d, generator=gen, dtype=dt).to(dev)
    if relu:
        # start inside the positive orthant: a Gaussian start leaves about half the
        # coordinates dead behind the ReLU and GD then stalls far from the OF far more often
        Z = Z.abs()
    Z.requires_grad_()
    labels = torch.as_tensor(labels_np, device=dev)
    index = torch.as_tensor(index_np, device=dev)
    valid = torch.as_tensor(valid_np, device=dev)
    counts_in_batches = np.bincount(index_np[valid_np], minlength=N).astype(np.float64)
    multiplicity = torch.as_tensor(counts_in_batches, device=dev, dtype=dt)[:, None]

    def features():
        phi = torch.relu(Z) if relu else Z
        return phi / phi.norm(dim=1, keepdim=True).clamp_min(1e-30)

    recorded, of_hist, loss_hist = [], [], []
    for epoch in range(epochs + 1):
        h = features()
        value, n_anchors = batched_scl_loss(h, labels, index, valid, tau)
        if epoch % record_every == 0 or epoch == epochs:
            hn = h.detach().cpu().numpy().astype(np.float64)
            means = class_means(hn, labels_np, C)
            recorded.append(epoch)
            of_hist.append(of_distance_from_gram(means @ means.T))
            loss_hist.append(float(value.detach()) / max(int(n_anchors), 1))
        if epoch == epochs:
            break
        (grad,) = torch.autograd.grad(value, (Z,))
        with torch.no_grad():
            Z -= (lr / multiplicity) * grad
            # The loss depends on each z_i only through its direction (ReLU is positively
            # homogeneous), so rescaling rows changes nothing but keeps the effective step
            # size from shrinking as the norms grow.
            Z /= Z.norm(dim=1, keepdim=True).clamp_min(1e-30)
    hn = features().detach().cpu().numpy().astype(np.float64)
    means = class_means(hn, labels_np, C)
    return SCLTrainResult(
        features=hn,
        labels=labels_np,
        counts=counts,
        gram=hn @ hn.T,
        class_gram=means @ means.T,
        epochs=np.array(recorded),
        history={"of_distance": np.array(of_hist), "loss": np.array(loss_hist)},
    )

r"""The tight worst-case lower bound for zero-shot learning with attributes.

With ``k`` equiprobable unseen classes, ``n`` perfectly detected binary attributes and a
class-attribute matrix ``M`` (``M[j, i] = P(v_i = 1 | j)``), an adversary picks any joint law
``P(j, v)`` consistent with ``M``; the best attribute-to-class map then has accuracy
``sum_v max_j P(j, v)``. The adversary's minimum is the linear program (Mazzetto et al., 2022,
Sec. 4)

.. math::

    Q(M) = \min_{P \ge 0} \sum_v \max_j P(j, v) \quad \text{s.t.} \quad
    \sum_v P(j, v) = \tfrac1k,\; \sum_{v: v_i = 1} P(j, v) = \tfrac{M_{ji}}{k},

and every attribute-based classifier has worst-case error at least ``1 - Q(M)``. Its dual is

.. math::

    Q(M) = \max_{a, b} \tfrac1k \sum_j (a_j + b_j^\top M_j) \quad \text{s.t.} \quad
    \sum_j \max(0, a_j + b_j^\top v) \le 1 \;\; \forall v \in \{0,1\}^n,

and ``h(j | v) >= max(0, a_j + b_j^T v)``, completed to a distribution, is a randomized map
whose accuracy is at least ``Q(M)`` against every consistent ``P``: the bound is tight.

Solvers: the full LP over all ``2^n`` vectors, and column generation whose pricing problem
``rho = max_v sum_j max(0, a_j + b_j^T v)`` is solved by brute force over ``{0,1}^n``, by a
mixed-integer program (HiGHS through :func:`scipy.optimize.milp`), or by enumerating the ``2^k``
class subsets ``T`` (``rho = max_T sum_{j in T} a_j + sum_i max(0, sum_{j in T} b_ji)``, exact
and independent of ``n``). Each round certifies ``Q`` in ``[D / rho, U]`` (``U`` the restricted
master's value, ``D`` its dual objective). Column generation lifts the master's duals off the
vectors a class cannot emit (:func:`lift_duals`), prices also at a Wentges-smoothed dual point
and parks long-idle columns. Up to 2000 master rows its restricted master is the layer form of
:class:`_LiveMaster` (columns ``(v, T)``, ``k (n + 1)`` rows) kept in one HiGHS model through
``highspy`` and re-solved from the previous basis after each round's new columns (10 classes x
85 attributes, AwA-sized, exactly in about 12 CPU seconds, 4x the epigraph master); beyond
(SUN, CUB) and with ``master="linprog"`` it is the epigraph form rebuilt and solved by
:func:`scipy.optimize.linprog` each round, the independent reference
(``benchmarks/bench_zsl.py --real --masters live,linprog``).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from analysis._core.solve import SolverError
from analysis._core.validate import as_array, check_choice, check_int, check_real
from analysis.zsl.data import (
    MAX_ENUMERATED_ATTRIBUTES,
    all_attribute_vectors,
    attribute_vectors,
    comonotone_coupling,
    validate_class_attribute_matrix,
)

METHODS = ("auto", "full", "colgen-bruteforce", "colgen-milp", "colgen-subsets")
#: HiGHS feasibility tolerances: tight, so that the methods agree on Q to 1e-7 and better.
_HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
_PRICING_TOL = 1e-9  # a vector enters when its pricing value exceeds 1 + this
_BRUTE_CHUNK = 2**15
#: column generation's master LPs: HiGHS interior point + crossover (about 2x the dual simplex)
_MASTER_METHOD = "highs-ipm"
#: a column leaves the master after _IDLE_ROUNDS rounds without mass and with reduced cost
#: (1 - its pricing value) of at least _DROP_SLACK; never after round _DROP_ROUNDS (without
#: dropping, column generation terminates: each round adds a new vector of a finite set)
_IDLE_ROUNDS = 5
_DROP_SLACK = 0.2
_DROP_ROUNDS = 100
#: column generation's master: "live" (the layer form in one highspy model, warm-started
#: between rounds), "linprog" (the epigraph form re-solved from scratch by
#: scipy.optimize.linprog each round: the independent reference), or "auto" (live up to
#: _LIVE_SIMPLEX_MAX_ROWS rows, linprog beyond: measured in benchmarks/bench_zsl.py --real)
MASTERS = ("auto", "live", "linprog")
#: the live master uses the warm primal simplex up to this many rows, interior point beyond
_LIVE_SIMPLEX_MAX_ROWS = 2000
#: a warm live-master simplex run stops after max(these) iterations and the round is
#: re-solved from scratch by the interior point (a stalled warm start)
_WARM_SIMPLEX_MIN_ITERATIONS = 10_000
_WARM_SIMPLEX_ROW_FACTOR = 20
#: MILP pricing's local search starts from the vectors of class pairs among this many classes
_PAIR_CLASSES = 16


# --------------------------------------------------------------------------- result objects
@dataclass(frozen=True)
class RandomizedMap:
    r"""The randomized attribute-to-class map read off the dual.

    .. math::

        h(j \mid v) = \max(0, a_j + b_j^\top v) + r(v)\,[j = \arg\max_l (a_l + b_l^\top v)],

    where ``r(v) = 1 - sum_j max(0, a_j + b_j^T v) >= 0`` by dual feasibility (the remainder goes
    to the most plausible class). Against every joint law consistent with ``M`` its accuracy is
    at least the dual objective, i.e. ``Q(M)`` at optimality.

    Attributes
    ----------
    a : numpy.ndarray, shape (k,)
        Duals of the class-mass constraints.
    b : numpy.ndarray, shape (k, n)
        Duals of the attribute-marginal constraints.

    Examples
    --------
    The dual point :math:`a = (1, 0)`, :math:`b = ((-1, 0), (1, 0))` gives the deterministic map
    "class 1 if attribute 0 is present, else class 0":

    >>> from analysis.zsl import RandomizedMap
    >>> h = RandomizedMap(a=np.array([1.0, 0.0]), b=np.array([[-1.0, 0.0], [1.0, 0.0]]))
    >>> h([[0, 0], [1, 0]])  # rows: h(. | v)
    array([[1., 0.],
           [0., 1.]])
    """

    a: np.ndarray
    b: np.ndarray

    @property
    def n_classes(self) -> int:
        """Number of classes ``k``."""
        return int(self.a.shape[0])

    @property
    def n_attributes(self) -> int:
        """Number of attributes ``n``."""
        return int(self.b.shape[1])

    def __call__(self, v: object) -> np.ndarray:
        """``h(. | v)`` for one vector (shape (n,)) or a batch (shape (N, n)) of 0/1 vectors."""
        V = as_array(v, "v", ndim=(1, 2))
        single = V.ndim == 1
        V = V.reshape(1, -1) if single else V
        if V.shape[1] != self.n_attributes or not np.isin(V, (0.0, 1.0)).all():
            raise ValueError(
                f"v: expected 0/1 vectors of length {self.n_attributes}, got shape {V.shape}"
            )
        scores = self.a[None, :] + V @ self.b.T
        h = np.maximum(scores, 0.0)
        total = h.sum(axis=1)
        # a solver-accuracy excess (total slightly above 1) is normalised away
        over = total > 1.0
        h[over] /= total[over, None]
        rows = np.flatnonzero(~over)
        h[rows, np.argmax(scores[rows], axis=1)] += 1.0 - total[rows]
        return h[0] if single else h

    def predict(self, v: object, rng: np.random.Generator) -> np.ndarray:
        """Sample a class for each row of ``v`` from ``h(. | v)``."""
        h = np.atleast_2d(self(v))
        u = rng.random(h.shape[0])
        return np.minimum((np.cumsum(h, axis=1) < u[:, None]).sum(axis=1), h.shape[1] - 1)


@dataclass(frozen=True)
class AdversarialJoint:
    """A joint law ``P(j, v)`` on its support: ``probabilities[j, s] = P(j, vectors[s])``.

    Examples
    --------
    The adversary of :func:`worst_case_lower_bound` is consistent with ``M`` and its Bayes
    accuracy is ``Q(M)``:

    >>> from analysis.zsl import worst_case_lower_bound
    >>> M = np.array([[0.9, 0.2], [0.1, 0.7]])
    >>> res = worst_case_lower_bound(M)
    >>> P = res.adversary
    >>> bool(np.allclose(P.class_attribute_matrix(), M)), round(P.best_map_accuracy(), 6)
    (True, 0.9)
    """

    vectors: np.ndarray
    probabilities: np.ndarray

    @property
    def support_size(self) -> int:
        """Number of attribute vectors in the support."""
        return int(self.vectors.shape[0])

    def class_attribute_matrix(self) -> np.ndarray:
        """``k * sum_{v: v_i = 1} P(j, v)``: the matrix this joint law is consistent with."""
        k = self.probabilities.shape[0]
        return k * self.probabilities @ self.vectors.astype(np.float64)

    def best_map_accuracy(self) -> float:
        """``sum_v max_j P(j, v)``: the Bayes accuracy under this law."""
        return float(self.probabilities.max(axis=0).sum())

    def sample(self, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``size`` pairs ``(j, v)``; returns ``labels`` (size,) and ``V`` (size, n) uint8."""
        size = check_int(size, "size", minimum=1)
        flat = np.clip(self.probabilities.ravel(), 0.0, None)
        idx = rng.choice(flat.size, size=size, p=flat / flat.sum())
        labels, cols = np.divmod(idx, self.vectors.shape[0])
        return labels.astype(np.int64), self.vectors[cols]

    def pairwise_overlap(self) -> np.ndarray:
        """``O[j, l] = k * sum_v min(P(j, v), P(l, v))``: class mass the adversary makes shared."""
        P = self.probabilities
        k = P.shape[0]
        return k * np.minimum(P[:, None, :], P[None, :, :]).sum(axis=2)


@dataclass(frozen=True)
class LowerBoundResult:
    """The outcome of :func:`worst_case_lower_bound`.

    Attributes
    ----------
    Q : float
        The adversary's minimum of the best map's accuracy (the restricted master's value, an
        upper bound on ``Q(M)`` that equals it when ``exact``).
    lower, upper : float
        The certified interval ``lower <= Q(M) <= upper``.
    exact : bool
        Whether the certified gap ``upper - lower`` is at most the requested ``tol``.
    randomized_map : RandomizedMap
        The map from the dual point that certifies ``lower``, scaled by ``max(1, rho)`` (the
        uniform map, ``lower = 1/k``, if no round certified more); its worst-case accuracy is
        at least ``lower``.
    adversary : AdversarialJoint
        The optimal joint law ``P*`` on its support.
    method : str
        Method actually used.
    iterations : int
        Master solves (1 for the full LP).
    primal_value, dual_value : float
        Final master objective and the dual objective ``(1/k) sum_j (a_j + b_j . M_j)``.
    pricing_max : float
        ``rho = max_v sum_j max(0, a_j + b_j . v)`` (<= 1 at optimality).
    n_columns : int
        Attribute vectors in the final master.
    history : list of dict
        Per round: ``iteration``, ``lower``, ``upper``, ``n_columns``, ``seconds``.
    seconds : float

    Examples
    --------
    >>> from analysis.zsl import worst_case_lower_bound
    >>> res = worst_case_lower_bound([[0.9, 0.2], [0.1, 0.7]])
    >>> res.method, res.exact, round(res.lower, 6), round(res.upper, 6)
    ('full', True, 0.9, 0.9)
    """

    Q: float
    lower: float
    upper: float
    exact: bool
    randomized_map: RandomizedMap
    adversary: AdversarialJoint
    method: str
    iterations: int
    primal_value: float
    dual_value: float
    pricing_max: float
    n_columns: int
    history: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def error_lower_bound(self) -> float:
        """``1 - upper``: a certified lower bound on every map's worst-case error."""
        return 1.0 - self.upper

    @property
    def gap(self) -> float:
        """Certified gap ``upper - lower``."""
        return self.upper - self.lower


# --------------------------------------------------------------------------- the master LP
@dataclass
class _MasterSolution:
    value: float  # k * (restricted Q)
    R: np.ndarray  # (k, S) = k * P(j, v_s)
    a: np.ndarray
    b: np.ndarray


def _solve_master(M: np.ndarray, V: np.ndarray, what: str, method: str = "highs") -> _MasterSolution:
    """Solve the restricted master over the attribute vectors ``V`` (rows), scaled by ``k``.

    Variables ``R[j, s] = k P(j, v_s) >= 0`` and free ``delta_s``; minimise ``sum_s delta_s``
    subject to ``sum_s R[j, s] = 1``, ``sum_s R[j, s] v_si = M_ji``, ``R[j, s] <= delta_s``.
    The equality duals are the ``(a_j, b_ji)`` of the module docstring (the objective is ``k Q``).
    ``method`` is the :func:`scipy.optimize.linprog` HiGHS method; column generation uses the
    interior-point solver (with HiGHS' crossover to a vertex), about twice as fast as the dual
    simplex on these masters; a non-optimal interior-point run is retried with the simplex.
    """
    k, n = M.shape
    S = V.shape[0]
    block = sp.vstack([sp.csr_matrix(np.ones((1, S))), sp.csr_matrix(V.T.astype(np.float64))])
    A_eq = sp.hstack([sp.kron(sp.identity(k, format="csr"), block), sp.csr_matrix((k * (n + 1), S))])
    b_eq = np.concatenate([np.ones((k, 1)), M], axis=1).ravel()
    A_ub = sp.hstack([sp.identity(k * S, format="csr"), -sp.kron(np.ones((k, 1)), sp.identity(S))])
    c = np.concatenate([np.zeros(k * S), np.ones(S)])
    bounds = [(0, None)] * (k * S) + [(None, None)] * S
    A_ub, A_eq = A_ub.tocsr(), A_eq.tocsr()
    for attempt in dict.fromkeys((method, "highs")):
        res = linprog(
            c, A_ub=A_ub, b_ub=np.zeros(k * S), A_eq=A_eq, b_eq=b_eq,
            bounds=bounds, method=attempt, options=dict(_HIGHS_OPTIONS),
        )
        if res.status == 0:
            break
    if res.status != 0:
        raise SolverError(
            f"{what}: HiGHS (scipy.optimize.linprog) ended with status {res.status} "
            f"({res.message.strip()}), not optimal"
        )
    y = np.asarray(res.eqlin.marginals).reshape(k, n + 1)
    R = np.clip(res.x[: k * S].reshape(k, S), 0.0, None)
    return _MasterSolution(float(res.fun), R, y[:, 0].copy(), y[:, 1:].copy())


def lift_duals(a: np.ndarray, b: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""An equivalent dual point that gives no score to attribute vectors a class cannot emit.

    Where ``M_ji = 0`` class ``j`` puts no mass on vectors with ``v_i = 1``, and where
    ``M_ji = 1`` none on vectors with ``v_i = 0``; the restricted master leaves the matching
    duals ``b_ji`` arbitrary along these directions, and a vertex dual that happens to make
    such impossible pairs ``(j, v)`` score high stalls column generation (pricing keeps finding
    vectors that no optimal ``P`` can use). With ``C_j = 1 + |a_j| + sum_i |b_ji|``,

    .. math::

        b'_{ji} = b_{ji} - C_j [M_{ji} = 0] + C_j [M_{ji} = 1], \qquad
        a'_j = a_j - C_j \#\{i : M_{ji} = 1\},

    leaves ``a_j + b_j . v`` unchanged on every vector class ``j`` can emit, makes it negative on
    every other one, and leaves the dual objective ``sum_j (a_j + b_j . M_j)`` unchanged (the
    shifts are multiplied by ``M_ji - [M_ji = 1] = 0``). So ``(a', b')`` is as good a dual point
    for the restricted master, and the certificate ``D / rho`` computed from it is valid by the
    same weak-duality argument as for any dual point (``(a', b') / rho`` is dual feasible).
    """
    zero, one = M == 0.0, M == 1.0
    if not (zero.any() or one.any()):
        return a, b
    C = 1.0 + np.abs(a) + np.abs(b).sum(axis=1)
    return a - C * one.sum(axis=1), b + C[:, None] * (one.astype(np.float64) - zero)


def dual_objective(a: np.ndarray, b: np.ndarray, M: np.ndarray) -> float:
    r"""``(1/k) sum_j (a_j + b_j^T M_j)``: the dual objective of a point ``(a, b)``."""
    return float(np.mean(a + np.einsum("ji,ji->j", b, M)))


class _LiveMaster:
    r"""The restricted master in layer form: one HiGHS model (``highspy``) kept between rounds.

    A column is a pair ``(v, T)`` of an attribute vector and a set of classes that can all emit
    ``v``; its variable ``x_{v,T} >= 0`` puts mass ``x`` on ``(j, v)`` for every ``j in T``, at
    cost ``x``:

    .. math::

        \min \sum x_{v,T} \quad \text{s.t.} \quad \sum_{(v,T) \ni j} x_{v,T} = 1, \quad
        \sum_{(v,T) \ni j} x_{v,T}\, v_i = M_{ji} \;\; (0 < M_{ji} < 1).

    ``R[j, v] = sum_{T \ni j} x_{v,T}`` is ``k`` times a law consistent with ``M`` whose best map
    has accuracy ``sum_v max_j R[j, v] / k <= sum x / k``, so the value is an upper bound on
    ``Q``; with every ``(v, T)`` it is ``Q``'s LP (the layers ``{j : R[j, v] >= t}`` of an optimal
    ``R`` are nested sets whose masses add up to ``max_j R[j, v]``). Its dual has the same
    ``(a, b)`` as the epigraph form of :func:`_solve_master`, with the constraints
    ``sum_{j in T} (a_j + b_j . v) <= 1``, i.e. ``sum_j max(0, a_j + b_j . v) <= 1``: the same
    pricing problem, entering set ``T = {j : a_j + b_j . v > 0}``. The rows have a fixed count
    ``k (n + 1)`` (the epigraph form adds ``k`` rows per vector), and rows with ``M_ji`` in
    ``{0, 1}`` are left out: a column holds only classes that can emit its vector, for which
    these rows read ``0 = 0`` or repeat the class row; their duals are reported as 0.

    Columns are added between rounds to the same model, so HiGHS re-solves from the previous
    optimal basis (which stays primal feasible: new columns enter at 0) with the primal simplex;
    masters with more than ``_LIVE_SIMPLEX_MAX_ROWS`` rows are solved by interior point +
    crossover instead (measured on SUN's 72 x 102, second round, 7416 rows: interior point 1.6
    CPU s, warm dual simplex 15.6 s, warm primal simplex unfinished after 18.7 s and 5619
    degenerate pivots; on AwA2's 10 x 85 the warm primal simplex is 3x faster than the
    interior point over a whole solve).
    """

    def __init__(self, M: np.ndarray, scope: np.ndarray | None = None):
        import highspy

        try:  # the bare binding: no start-up banner on stdout, no Python callback layer
            from highspy._core import _Highs as highs_model
        except ImportError:  # pragma: no cover - a highspy without the private module
            highs_model = highspy.Highs
        self._highspy = highspy
        k, n = M.shape
        self.M, self.k, self.n = M, k, n
        # scope[j, i]: whether class j is held to M_ji (all pairs unless a relaxation of
        # analysis.zsl.certify leaves some free: those pairs get no row and no compatibility test)
        scope = np.ones(M.shape, dtype=bool) if scope is None else np.asarray(scope, dtype=bool)
        frac = (M > 0.0) & (M < 1.0) & scope
        self.rowid = np.full((k, n + 1), -1, dtype=np.int64)
        rhs, r = [], 0
        for j in range(k):
            self.rowid[j, 0] = r
            rhs.append(1.0)
            r += 1
            cols = np.flatnonzero(frac[j])
            self.rowid[j, cols + 1] = r + np.arange(cols.size)
            rhs.extend(M[j, cols].tolist())
            r += cols.size
        self.n_rows = r
        self._zero = ((M == 0.0) & scope).astype(np.float64)
        self._one = ((M == 1.0) & scope).astype(np.float64)
        h = highs_model()
        h.setOptionValue("output_flag", False)
        for key, value in _HIGHS_OPTIONS.items():
            h.setOptionValue(key, value)
        h.setOptionValue("simplex_strategy", 4)  # primal simplex: a warm basis stays feasible
        h.setOptionValue("solver", "simplex" if r <= _LIVE_SIMPLEX_MAX_ROWS else "ipm")
        # a warm primal simplex that stalls (seen on a 12-class SUN group: one round ran for
        # minutes of CPU at round 24, after 23 rounds of well under a second) is cut off and the
        # round re-solved by the interior point (see solve)
        self._iteration_limit = max(_WARM_SIMPLEX_MIN_ITERATIONS, _WARM_SIMPLEX_ROW_FACTOR * r)
        h.setOptionValue("simplex_iteration_limit", self._iteration_limit)
        rhs = np.asarray(rhs)
        h.addRows(r, rhs, rhs, 0, np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0))
        self.h = h
        self.pool = np.zeros((0, n), dtype=np.uint8)  # every vector seen (column pool)
        self._pool_index: dict = {}
        self.col_vec = np.zeros(0, dtype=np.int64)  # per LP column: its vector's pool index
        self.col_T = np.zeros((0, k), dtype=bool)
        self.protected = 0  # the initial columns (a feasible master) are never dropped
        self._idle = np.zeros(0, dtype=np.int64)
        self._keys: set = set()

    def compatible(self, V: np.ndarray) -> np.ndarray:
        """``C[s, j]``: class ``j`` can emit ``V[s]`` (``v_i = 0`` where ``M_ji = 0``, 1 where 1)."""
        Vf = V.astype(np.float64)
        return (Vf @ self._zero.T == 0) & ((1.0 - Vf) @ self._one.T == 0)

    def remember(self, V: np.ndarray) -> np.ndarray:
        """Add the rows of ``V`` to the pool; returns their pool indices."""
        idx = np.empty(V.shape[0], dtype=np.int64)
        fresh = []
        for s, key in enumerate(_row_keys(V).tolist()):
            if key not in self._pool_index:
                self._pool_index[key] = self.pool.shape[0] + len(fresh)
                fresh.append(s)
            idx[s] = self._pool_index[key]
        if fresh:
            self.pool = np.concatenate([self.pool, V[fresh].astype(np.uint8)], axis=0)
        return idx

    def add(self, V: np.ndarray, T: np.ndarray) -> int:
        """Add the columns ``(V[s], T[s])`` (classes that cannot emit ``V[s]`` are removed)."""
        if V.shape[0] == 0:
            return 0
        T = np.asarray(T, dtype=bool) & self.compatible(V)
        vec = self.remember(V)
        n1 = self.n + 1
        starts, index, keep = [], [], []
        nnz = 0
        for s in range(V.shape[0]):
            if not T[s].any():
                continue
            key = (int(vec[s]), np.packbits(T[s]).tobytes())
            if key in self._keys:
                continue
            self._keys.add(key)
            on = np.concatenate([[0], 1 + np.flatnonzero(V[s])])
            rows = self.rowid.ravel()[(np.flatnonzero(T[s])[:, None] * n1 + on[None, :]).ravel()]
            rows = rows[rows >= 0]
            starts.append(nnz)
            index.append(rows)
            nnz += rows.size
            keep.append(s)
        if not keep:
            return 0
        c = len(keep)
        index = np.concatenate(index).astype(np.int32)
        self.h.addCols(c, np.ones(c), np.zeros(c), np.full(c, self._highspy.kHighsInf),
                       index.size, np.asarray(starts, dtype=np.int32), index, np.ones(index.size))
        self.col_vec = np.concatenate([self.col_vec, vec[keep]])
        self.col_T = np.concatenate([self.col_T, T[keep]], axis=0)
        self._idle = np.concatenate([self._idle, np.zeros(c, dtype=np.int64)])
        return c

    def add_initial(self, M: np.ndarray) -> None:
        """Each class's comonotone atoms alone (a feasible master), and their nested layers.

        For every atom ``v`` of the union support the classes that can emit it, sorted by
        their comonotone mass on ``v`` (ties by index), give the layers ``T_2 subset T_3 ...``
        (their prefixes): the master can then share ``v`` between classes from the first round.
        """
        pieces = [comonotone_coupling(row) for row in M]
        for j, (Vj, _) in enumerate(pieces):
            T = np.zeros((Vj.shape[0], self.k), dtype=bool)
            T[:, j] = True
            self.add(Vj, T)
        self.protected = self.col_vec.size
        W = np.zeros((self.k, self.pool.shape[0]))
        for j, (Vj, wj) in enumerate(pieces):
            W[j, self.remember(Vj)] = wj
        C = self.compatible(self.pool).T
        score = W + 1e-3 * C  # comonotone mass first, then the other classes that can emit v
        order = np.argsort(-score, axis=0, kind="stable")
        Vs, Ts = [], []
        for s in range(self.pool.shape[0]):
            c = int(C[:, s].sum())
            for r in range(2, c + 1):
                T = np.zeros(self.k, dtype=bool)
                T[order[:r, s]] = True
                Vs.append(self.pool[s])
                Ts.append(T)
        if Vs:
            self.add(np.array(Vs), np.array(Ts))

    def add_layers(self, R: np.ndarray, V: np.ndarray) -> int:
        """Add the layer-cake decomposition of a law ``R`` (``k x S``) on the vectors ``V``.

        For each vector, the classes sorted by ``R[:, s]`` give nested sets ``T_1 subset T_2
        ...`` (the top ``r`` classes) with masses ``R_(r) - R_(r+1)``: the master can then
        represent ``R`` itself, at cost ``sum_s max_j R[j, s]``.
        """
        Vs, Ts = [], []
        for s in np.flatnonzero(R.max(axis=0) > 0):
            order = np.argsort(-R[:, s], kind="stable")
            mass = R[order, s]
            for r in range(1, int((mass > 0).sum()) + 1):
                if mass[r - 1] > (mass[r] if r < mass.size else 0.0):
                    T = np.zeros(self.k, dtype=bool)
                    T[order[:r]] = True
                    Vs.append(V[s])
                    Ts.append(T)
        return self.add(np.array(Vs), np.array(Ts)) if Vs else 0

    def solve(self, what: str) -> tuple[_MasterSolution, np.ndarray]:
        """Re-solve from the current basis; returns the solution and its vectors (``R``'s columns)."""
        h = self.h
        h.run()
        status = h.getModelStatus()
        if status != self._highspy.HighsModelStatus.kOptimal:
            # a failed or stalled warm start (iteration limit): once more from scratch with the
            # interior point + crossover, without the limit
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("simplex_iteration_limit", 2**31 - 1)
            h.clearSolver()
            h.run()
            h.setOptionValue("solver", "simplex" if self.n_rows <= _LIVE_SIMPLEX_MAX_ROWS else "ipm")
            h.setOptionValue("simplex_iteration_limit", self._iteration_limit)
            status = h.getModelStatus()
        if status != self._highspy.HighsModelStatus.kOptimal:
            raise SolverError(
                f"{what}: HiGHS (highspy) ended with model status "
                f"{h.modelStatusToString(status)!r}, not optimal"
            )
        sol = h.getSolution()
        y = np.asarray(sol.row_dual)
        x = np.clip(np.asarray(sol.col_value), 0.0, None)
        self.reduced = np.asarray(sol.col_dual)
        a = y[self.rowid[:, 0]]
        b = np.where(self.rowid[:, 1:] >= 0, y[np.maximum(self.rowid[:, 1:], 0)], 0.0)
        used = np.unique(self.col_vec)
        where = np.searchsorted(used, self.col_vec)
        R = np.zeros((self.k, used.size))
        cols, classes = np.nonzero(self.col_T)
        np.add.at(R, (classes, where[cols]), x[cols])
        self.x = x
        value = float(h.getInfo().objective_function_value)
        return _MasterSolution(value, R, a, b), self.pool[used]

    def grow(self, entering: np.ndarray, a: np.ndarray, b: np.ndarray, per_round: int,
             drop: bool) -> int:
        """Add ``(v, {j : a_j + b_j . v > 0})`` for the entering vectors and the pool's best.

        Pool vectors (seen before, e.g. parked, warm-start or checkpoint columns) whose pricing
        value exceeds ``1`` at ``(a, b)`` re-enter with their current set (at most
        ``per_round``). With ``drop``, columns that carried no mass with reduced cost at least
        ``_DROP_SLACK`` for ``_IDLE_ROUNDS`` rounds leave the model first (nonbasic columns:
        the basis stays valid). Returns the number of new columns.
        """
        if drop:
            self._idle = np.where((self.x > 0) | (self.reduced < _DROP_SLACK), 0, self._idle + 1)
            out = np.flatnonzero((self._idle >= _IDLE_ROUNDS)
                                 & (np.arange(self._idle.size) >= self.protected))
            if out.size:
                self.h.deleteCols(out.size, out.astype(np.int32))
                keep = np.ones(self._idle.size, dtype=bool)
                keep[out] = False
                for s in out.tolist():
                    self._keys.discard((int(self.col_vec[s]), np.packbits(self.col_T[s]).tobytes()))
                self.col_vec, self.col_T = self.col_vec[keep], self.col_T[keep]
                self._idle, self.x, self.reduced = self._idle[keep], self.x[keep], self.reduced[keep]
        values = pricing_values(a, b, self.pool.astype(np.float64))
        best = np.argsort(-values, kind="stable")[:per_round]
        best = best[values[best] > 1.0 + _PRICING_TOL]
        V = np.concatenate([entering.astype(np.uint8), self.pool[best]], axis=0)
        return self.add(V, a[None, :] + V.astype(np.float64) @ b.T > 0.0)


# --------------------------------------------------------------------------- pricing
def pricing_values(a: np.ndarray, b: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``sum_j max(0, a_j + b_j . v)`` for each row ``v`` of ``V``."""
    return np.maximum(a[None, :] + V @ b.T, 0.0).sum(axis=1)


def price_bruteforce(a: np.ndarray, b: np.ndarray, n_best: int = 1) -> tuple[float, np.ndarray]:
    """Exact pricing by scoring all ``2^n`` vectors (chunked matrix products).

    Returns
    -------
    rho : float
        ``max_v sum_j max(0, a_j + b_j . v)``.
    best : numpy.ndarray of uint8, shape (<= n_best, n)
        The best-scoring vectors, best first.
    """
    n = b.shape[1]
    if n > MAX_ENUMERATED_ATTRIBUTES:
        raise ValueError(f"M: brute-force pricing enumerates 2^n vectors; n={n} is too large")
    best_vals = np.empty(0)
    best_codes = np.empty(0, dtype=np.int64)
    for start in range(0, 2**n, _BRUTE_CHUNK):
        codes = np.arange(start, min(start + _BRUTE_CHUNK, 2**n), dtype=np.int64)
        vals = pricing_values(a, b, attribute_vectors(codes, n).astype(np.float64))
        top = np.argsort(-vals, kind="stable")[:n_best]
        best_vals = np.concatenate([best_vals, vals[top]])
        best_codes = np.concatenate([best_codes, codes[top]])
        order = np.argsort(-best_vals, kind="stable")[:n_best]
        best_vals, best_codes = best_vals[order], best_codes[order]
    return float(best_vals[0]), attribute_vectors(best_codes, n)


def _class_subsets(k: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=k)))[1:]


def price_class_subsets(
    a: np.ndarray, b: np.ndarray, n_best: int = 1, subsets: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    r"""Exact pricing by enumerating the ``2^k - 1`` non-empty class subsets ``T``.

    .. math::

        \max_v \sum_j \max(0, a_j + b_j^\top v)
        = \max_{T} \Big[\sum_{j\in T} a_j + \sum_i \max\big(0, \textstyle\sum_{j\in T} b_{ji}\big)\Big],

    attained at ``v_i = 1[sum_{j in T} b_ji > 0]``; the cost is ``O(2^k k n)``, independent of
    ``2^n``.
    """
    T = _class_subsets(a.shape[0]) if subsets is None else subsets
    B = T @ b
    vals = T @ a + np.maximum(B, 0.0).sum(axis=1)
    V = (B > 0).astype(np.uint8)
    # the vector of a subset may score higher than the subset itself: rescore the vectors
    true_vals = pricing_values(a, b, V.astype(np.float64))
    order = np.argsort(-true_vals, kind="stable")
    _, first = np.unique(_row_keys(V[order]), return_index=True)
    order = order[np.sort(first)][:n_best]
    return float(max(vals.max(), true_vals.max())), V[order]


def price_milp(
    a: np.ndarray, b: np.ndarray, *, time_limit: float | None = None, mip_rel_gap: float = 1e-10
) -> tuple[float, float, np.ndarray]:
    r"""Pricing as a mixed-integer program solved by HiGHS (:func:`scipy.optimize.milp`).

    Maximise ``sum_j z_j`` over ``v in {0,1}^n``, ``y in {0,1}^k``, ``z >= 0`` with
    ``z_j <= s_j(v) - L_j (1 - y_j)`` and ``z_j <= U_j y_j``, where ``s_j(v) = a_j + b_j . v``
    and ``[L_j, U_j]`` is its range over the hypercube (so ``z_j = max(0, s_j(v))`` at optimum).

    Returns
    -------
    rho_found : float
        Exact pricing value of the incumbent vector.
    rho_upper : float
        The MILP's proven upper bound on ``rho`` (its dual bound).
    v : numpy.ndarray of uint8, shape (1, n)
    """
    k, n = b.shape
    lo = a + np.minimum(b, 0.0).sum(axis=1)
    hi = a + np.maximum(b, 0.0).sum(axis=1)
    live = np.flatnonzero(hi > 0)
    if live.size == 0:
        return 0.0, 0.0, np.zeros((1, n), dtype=np.uint8)
    m = live.size
    # variable order: v (n, binary), y (m, binary), z (m, continuous)
    nv = n + 2 * m
    c = np.concatenate([np.zeros(n + m), -np.ones(m)])
    rows, lbs, ubs = [], [], []
    for r, j in enumerate(live):
        row = np.zeros(nv)
        # z_j - b_j . v - L_j y_j <= a_j - L_j   (z <= s - L (1 - y))
        row[:n] = -b[j]
        row[n + r] = -min(lo[j], 0.0)
        row[n + m + r] = 1.0
        rows.append(row)
        lbs.append(-np.inf)
        ubs.append(a[j] - min(lo[j], 0.0))
        row = np.zeros(nv)
        # z_j - U_j y_j <= 0
        row[n + r] = -hi[j]
        row[n + m + r] = 1.0
        rows.append(row)
        lbs.append(-np.inf)
        ubs.append(0.0)
    integrality = np.concatenate([np.ones(n + m), np.zeros(m)])
    upper = np.concatenate([np.ones(n + m), hi[live]])
    options = {"mip_rel_gap": mip_rel_gap}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = milp(
        c, constraints=LinearConstraint(np.array(rows), lbs, ubs), integrality=integrality,
        bounds=Bounds(np.zeros(nv), upper), options=options,
    )
    if res.x is None or res.status not in (0, 1):
        raise SolverError(
            f"MILP pricing: HiGHS (scipy.optimize.milp) ended with status {res.status} "
            f"({res.message.strip()}), without a usable solution"
        )
    v = (res.x[:n] > 0.5).astype(np.uint8)[None, :]
    found = float(pricing_values(a, b, v.astype(np.float64))[0])
    bound = -float(res.mip_dual_bound) if res.mip_dual_bound is not None else np.inf
    if res.status == 0:
        bound = max(bound, found)
    return found, max(bound, found), v


# --------------------------------------------------------------------------- drivers
def _row_keys(V: np.ndarray) -> np.ndarray:
    """Hashable byte keys of 0/1 rows (any n), for de-duplication."""
    packed = np.packbits(np.ascontiguousarray(V, dtype=np.uint8), axis=1)
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def _unique_rows(V: np.ndarray) -> np.ndarray:
    _, first = np.unique(_row_keys(V), return_index=True)
    return V[np.sort(first)]


def initial_support(M: np.ndarray) -> np.ndarray:
    """Union of the per-class comonotone couplings' atoms: a feasible master support."""
    return _unique_rows(np.concatenate([comonotone_coupling(row)[0] for row in M], axis=0))


def price_local_search(
    a: np.ndarray, b: np.ndarray, starts: np.ndarray, n_best: int = 1
) -> tuple[float, np.ndarray]:
    """Heuristic pricing: best-improvement bit flips from each start vector to a local maximum.

    Returns the best value found (a lower bound on ``rho``) and the distinct local maxima,
    best first. Used before the exact MILP so that the MILP runs only when the heuristic finds
    no entering vector.
    """
    X = starts.astype(np.float64).copy()
    for _ in range(4 * b.shape[1]):
        s = a[None, :] + X @ b.T  # (m, k)
        base = np.maximum(s, 0.0).sum(axis=1)
        flipped = s[:, None, :] + (1.0 - 2.0 * X)[:, :, None] * b.T[None, :, :]  # (m, n, k)
        gain = np.maximum(flipped, 0.0).sum(axis=2) - base[:, None]
        best = np.argmax(gain, axis=1)
        moving = gain[np.arange(X.shape[0]), best] > 1e-12
        if not moving.any():
            break
        rows = np.flatnonzero(moving)
        X[rows, best[rows]] = 1.0 - X[rows, best[rows]]
    V = X.astype(np.uint8)
    vals = pricing_values(a, b, X)
    order = np.argsort(-vals, kind="stable")
    _, first = np.unique(_row_keys(V[order]), return_index=True)
    order = order[np.sort(first)][:n_best]
    return float(vals.max()), V[order]


def _choose_method(k: int, n: int) -> str:
    # from benchmarks/bench_zsl.py (k = 10): the full LP wins up to n = 8; class-subset pricing
    # is exact at every n (10 x 85 in about half a CPU minute) and at least as fast as MILP
    # pricing from n = 40 on; MILP only when 2^k subsets are too many
    if n <= 8:
        return "full"
    if k <= 14:
        return "colgen-subsets"
    return "colgen-milp"


def worst_case_lower_bound(
    M: object,
    method: str = "auto",
    *,
    tol: float = 1e-9,
    max_iterations: int = 10_000,
    columns_per_round: int | None = None,
    warm_start: object | None = None,
    milp_time_limit: float | None = None,
    time_limit: float | None = None,
    smoothing: float = 0.5,
    duplicate_columns: str = "keep",
    callback: Callable[[dict], None] | None = None,
    cpu_time_limit: float | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = False,
    master: str = "auto",
) -> LowerBoundResult:
    r"""The tight worst-case lower bound ``1 - Q(M)`` on the error of attribute-based ZSL.

    .. math::

        Q(M) = \min_{P \text{ consistent with } M} \sum_{v\in\{0,1\}^n} \max_j P(j, v)

    Parameters
    ----------
    M : array_like, shape (k, n)
        Class-attribute matrix with entries in [0, 1], ``k >= 2``, ``n >= 1``.
    method : {"auto", "full", "colgen-bruteforce", "colgen-milp", "colgen-subsets"}
        ``"full"``: one LP over all ``2^n`` vectors (``n <= ~12``). ``"colgen-*"``: column
        generation from the comonotone support with exact pricing by brute force over
        ``2^n`` vectors, by a MILP (HiGHS), or by enumerating the ``2^k`` class subsets.
        ``"auto"``: full for ``n <= 8``, class subsets for ``k <= 14``, else MILP (see
        ``benchmarks/bench_zsl.py``: 10 classes x 85 attributes exactly in about half a CPU
        minute with class subsets).
    tol : float
        Stop when the certified gap ``upper - lower`` is at most ``tol``; ``exact`` is set
        only when the final gap is at most ``tol``.
    max_iterations : int
        Maximum master solves (column generation).
    columns_per_round : int, optional
        Best-priced vectors taken per pricing call (default ``4 k``); each round prices at the
        master's duals and at the smoothed point, and the vectors that improve the master at
        its own duals enter.
    warm_start : array_like of 0/1, shape (s, n), optional
        Extra initial columns (e.g. a previous optimum's support).
    milp_time_limit : float, optional
        Seconds per MILP pricing solve; its proven dual bound then certifies the interval.
    time_limit : float, optional
        Wall-clock budget for column generation; on expiry the certified interval is returned
        with ``exact=False``.
    smoothing : float
        Wentges dual smoothing weight ``alpha`` in [0, 0.99]: each round also prices at
        ``alpha pi_best + (1 - alpha) pi_master`` (``pi_best`` the dual point with the best
        certified bound so far), which damps the oscillation of the master's vertex duals and
        cuts the rounds (0 disables). It changes the path, not the answer: optimality is still
        certified by exact pricing at the master's own duals.
    duplicate_columns : {"keep", "merge", "error"}
        See :func:`analysis.zsl.data.validate_class_attribute_matrix`.
    callback : callable, optional
        Called with each round's history record (iteration, lower, upper, columns, seconds).
    cpu_time_limit : float, optional
        Budget in CPU seconds of this process (``time.process_time``), checked after each
        round like ``time_limit``: on a shared, loaded machine wall time is mostly waiting.
    checkpoint : path-like, optional
        A ``.npz`` file written atomically (temporary file, then rename) after every round with
        the column pool and the best certified dual point. If it exists when the call starts
        and was written for the same ``M``, the solve resumes from it: its columns are the
        initial support (so ``upper`` starts at the saved value or below) and its dual point is
        the initial certificate (so ``lower`` never falls below the saved value). A file for
        another matrix is refused.
    progress : bool
        Show a tqdm progress bar with the current certified interval.
    master : {"auto", "live", "linprog"}
        Column generation's restricted master. ``"live"``: the layer form (columns ``(v, T)``,
        ``k (n + 1)`` rows, see :class:`_LiveMaster`) in one HiGHS model (``highspy``) to which
        each round adds columns, re-solved from the previous basis. ``"linprog"``: the epigraph
        form over the vectors (``R[j, v] <= delta_v``) built and solved from scratch by
        :func:`scipy.optimize.linprog` every round, the independent reference. Both certify the
        same ``Q``. ``"auto"``: live when ``k (n + 1) <= 2000`` (AwA2 10 x 85 exact in 12.0
        CPU s vs 50.3 s with linprog, aPY 0.1 vs 0.4 s), linprog beyond (SUN 72 x 102: the
        live master reached ``Q <= 0.5178`` after 668 CPU s, linprog ``Q <= 0.5039`` after
        190 s); ``benchmarks/bench_zsl.py --real NAMES --masters live,linprog``.

    Returns
    -------
    LowerBoundResult
        ``.Q``, ``.error_lower_bound``, ``.randomized_map``, ``.adversary`` and diagnostics.

    Notes
    -----
    Column generation solves each restricted master (the warm-started live layer master, or
    with ``master="linprog"`` HiGHS' interior point + crossover on the epigraph form),
    replaces its duals by the equivalent point of :func:`lift_duals` (no score on vectors a
    class cannot emit because ``M_ji`` is exactly 0 or 1: these made vertex duals stall),
    prices at the master's duals and at a Wentges-smoothed point, and parks columns that stayed
    massless and clearly unattractive for 5 rounds (early rounds only). None of this changes
    what is certified: every reported ``lower`` is ``D(a, b) / max(1, rho(a, b))`` for a dual
    point and its exact (or MILP-proven) pricing maximum, every ``upper`` the value of a
    feasible joint law.

    Raises
    ------
    ValueError
        Bad ``M`` (see validation) or arguments.
    SolverError
        A linear or mixed-integer solve that did not end optimal.

    References
    ----------
    Mazzetto, Menghini, Yuan, Upfal & Bach (2022), "Tight Lower Bounds on Worst-Case Guarantees
    for Zero-Shot Learning with Attributes", NeurIPS, Sec. 4 (the LP and its tightness).

    Examples
    --------
    For two classes ``Q = (1 + max_i |M_1i - M_2i|) / 2`` (:mod:`analysis.zsl.closed_forms`):

    >>> from analysis.zsl import worst_case_lower_bound
    >>> M = np.array([[0.9, 0.2], [0.1, 0.7]])
    >>> res = worst_case_lower_bound(M)
    >>> round(res.Q, 6), round(res.error_lower_bound, 6), res.exact
    (0.9, 0.1, True)
    >>> sub = worst_case_lower_bound(M, method="colgen-subsets")  # column generation
    >>> bool(np.isclose(sub.Q, (1 + np.abs(M[0] - M[1]).max()) / 2))
    True
    """
    M = validate_class_attribute_matrix(M, "M", duplicate_columns=duplicate_columns)
    check_choice(method, "method", METHODS)
    check_choice(master, "master", MASTERS)
    if master == "auto":
        master = "live" if M.shape[0] * (M.shape[1] + 1) <= _LIVE_SIMPLEX_MAX_ROWS else "linprog"
    tol = check_real(tol, "tol", minimum=0.0)
    max_iterations = check_int(max_iterations, "max_iterations", minimum=1)
    smoothing = check_real(smoothing, "smoothing", minimum=0.0, maximum=0.99)
    time_limit = _check_seconds(time_limit, "time_limit")
    milp_time_limit = _check_seconds(milp_time_limit, "milp_time_limit")
    k, n = M.shape
    if method == "auto":
        method = _choose_method(k, n)
    enumerable = 16 if method == "full" else MAX_ENUMERATED_ATTRIBUTES
    if method in ("full", "colgen-bruteforce") and n > enumerable:
        raise ValueError(f"method: {method!r} enumerates 2^n vectors; n={n} is too large, use 'auto'")
    if columns_per_round is None:
        per_round = 4 * k
    else:
        per_round = check_int(columns_per_round, "columns_per_round", minimum=1)
    start = time.perf_counter()
    history: list[dict] = []

    if method == "full":
        V = all_attribute_vectors(n)
        sol = _solve_master(M, V, "full LP")
        rho = float(pricing_values(sol.a, sol.b, V.astype(np.float64)).max())
        best = _Certificate.trivial(k, n).improved(sol.a, sol.b, M, rho)
        record = _record(1, sol, rho, best.lower, M, V.shape[0], start)
        history.append(record)
        if callback is not None:
            callback(record)
        return _finish(M, V, sol, rho, rho, best, method, 1, history, start, tol)

    cpu_time_limit = _check_seconds(cpu_time_limit, "cpu_time_limit")
    cpu_start = time.process_time()
    V = initial_support(M)
    best = _Certificate.trivial(k, n)
    if checkpoint is not None:
        saved = _load_checkpoint(checkpoint, M)
        if saved is not None:
            V = _merge_columns(V, saved[0])
            best = saved[1]
    if warm_start is not None:
        W = as_array(warm_start, "warm_start", ndim=2)
        if W.shape[1] != n or not np.isin(W, (0.0, 1.0)).all():
            raise ValueError(f"warm_start: expected 0/1 vectors of length {n}, got shape {W.shape}")
        V = _merge_columns(V, W.astype(np.uint8))
    subsets = _class_subsets(k) if method == "colgen-subsets" else None
    live = None
    seed_cpu = 0.0  # CPU seconds of the initial epigraph master of a large live master
    if master == "live":
        # the comonotone atoms and their layers, then every other initial vector in the pool
        # (it re-enters through the pool's pricing when it prices out)
        live = _LiveMaster(M)
        live.add_initial(M)
        live.remember(V)
        if k * (n + 1) > _LIVE_SIMPLEX_MAX_ROWS:
            # large masters start from the epigraph master's optimum over the initial vectors
            # (one linprog solve, in its layers): every vector shared by all classes at once
            tick = time.process_time()
            first = _solve_master(M, V, "initial epigraph master", _MASTER_METHOD)
            live.add_layers(first.R, V)
            seed_cpu = time.process_time() - tick
    idle = np.zeros(V.shape[0], dtype=np.int64)  # rounds each column has been dispensable
    protected = V.shape[0]  # the initial (feasible) support is never dropped
    iteration = 0
    master_cpu, pricing_cpu = seed_cpu, 0.0  # CPU s in master solves and pricing (cumulative)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=f"Q({k}x{n})", unit="round", leave=False)
    while True:
        iteration += 1
        tick = time.process_time()
        if live is None:
            sol = _solve_master(M, V, f"restricted master (round {iteration})", _MASTER_METHOD)
        else:
            sol, V = live.solve(f"restricted master (round {iteration})")
        master_cpu += time.process_time() - tick
        tick = time.process_time()
        a, b = lift_duals(sol.a, sol.b, M)
        rho, new, rho_upper = _price(method, a, b, V, sol.R, subsets, per_round, milp_time_limit,
                                     exact_needed=True)
        best = best.improved(a, b, M, rho_upper)
        done = rho_upper <= 1.0 + _PRICING_TOL or sol.value / k - best.lower <= tol
        if not done and smoothing > 0:
            # Wentges smoothing: also price at a point between the master's (vertex) duals and
            # the best certified dual point; its columns damp the oscillation of vertex duals.
            # Columns still enter only if they improve the master at its own duals.
            a_s = smoothing * best.a + (1.0 - smoothing) * a
            b_s = smoothing * best.b + (1.0 - smoothing) * b
            _, new_s, rho_s_upper = _price(method, a_s, b_s, V, sol.R, subsets, per_round,
                                           milp_time_limit, exact_needed=False)
            best = best.improved(a_s, b_s, M, rho_s_upper)
            new = np.concatenate([new_s, new])
        record = _record(iteration, sol, rho_upper, best.lower, M, V.shape[0], start)
        pricing_cpu += time.process_time() - tick
        record["cpu_seconds"] = time.process_time() - cpu_start
        record["master_cpu_seconds"] = master_cpu
        record["pricing_cpu_seconds"] = pricing_cpu
        history.append(record)
        if checkpoint is not None:
            _save_checkpoint(checkpoint, M, V if live is None else live.pool, best)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"Q in [{record['lower']:.6f}, {record['upper']:.6f}], "
                                f"{V.shape[0]} columns")
        if callback is not None:
            callback(record)
        done = done or record["upper"] - record["lower"] <= tol
        out_of_time = (time_limit is not None and time.perf_counter() - start > time_limit) or (
            cpu_time_limit is not None and record["cpu_seconds"] > cpu_time_limit)
        if done or iteration >= max_iterations or out_of_time:
            break
        entering = new[pricing_values(a, b, new.astype(np.float64)) > 1.0 + _PRICING_TOL]
        if live is not None:
            if live.grow(entering, a, b, per_round, drop=iteration <= _DROP_ROUNDS) == 0:
                break  # no new column prices out: optimal up to the pricing tolerance
            continue
        # park columns that carried no mass and priced well below 1 for several rounds (they
        # return through pricing if needed); only early on, so that termination is finite
        slack = 1.0 - pricing_values(a, b, V.astype(np.float64))
        idle = np.where((sol.R.max(axis=0) > 0) | (slack < _DROP_SLACK), 0, idle + 1)
        keep = (idle < _IDLE_ROUNDS) | (np.arange(V.shape[0]) < protected)
        if iteration > _DROP_ROUNDS:
            keep[:] = True
        grown = _merge_columns(V[keep], entering)
        if grown.shape[0] == int(keep.sum()):
            break  # no new vector prices out: optimal up to the pricing tolerance
        idle = np.concatenate([idle[keep], np.zeros(grown.shape[0] - int(keep.sum()), dtype=np.int64)])
        V = grown
    if bar is not None:
        bar.close()
    return _finish(M, V, sol, rho, rho_upper, best, method, iteration, history, start, tol)


def _matrix_key(M: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(M, dtype=np.float64).tobytes()
                          + str(M.shape).encode()).hexdigest()


def _save_checkpoint(path, M: np.ndarray, V: np.ndarray, best: _Certificate) -> None:
    """Column pool and best certificate, written atomically (temporary file, then rename)."""
    from analysis._core.figio import write_atomically

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, matrix_key=np.array(_matrix_key(M)), columns=np.packbits(V, axis=1),
                     n=np.array(V.shape[1]), a=best.a, b=best.b, rho=np.array(best.rho),
                     lower=np.array(best.lower))

    write_atomically(path, write)


def _load_checkpoint(path, M: np.ndarray) -> tuple[np.ndarray, _Certificate] | None:
    """``(columns, certificate)`` from a checkpoint of the same ``M``; None if there is none."""
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            key, n = str(z["matrix_key"]), int(z["n"])
            V = np.unpackbits(z["columns"], axis=1)[:, :n]
            a, b, rho = z["a"], z["b"], float(z["rho"])
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(
            f"checkpoint: {p} is not a checkpoint of worst_case_lower_bound ({exc})"
        ) from exc
    if key != _matrix_key(M):
        raise ValueError(f"checkpoint: {p} was written for another class-attribute matrix")
    # the certificate is recomputed from the saved dual point and its proven pricing bound
    lower = dual_objective(a, b, M) / max(1.0, rho)
    return V.astype(np.uint8), _Certificate(lower, a, b, rho)


def _check_seconds(x: object, name: str) -> float | None:
    """``None`` (no limit), ``inf`` (no limit) or a number of seconds > 0."""
    if x is None:
        return None
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) \
            and np.isposinf(x):
        return None
    return check_real(x, name, minimum=0.0, strict_min=True)


@dataclass(frozen=True)
class _Certificate:
    """The best certified dual point so far: ``lower = D(a, b) / max(1, rho)``."""

    lower: float
    a: np.ndarray
    b: np.ndarray
    rho: float

    @classmethod
    def trivial(cls, k: int, n: int) -> _Certificate:
        """``a_j = 1/k, b = 0``: the uniform map, whose accuracy ``1/k`` bounds ``Q`` below."""
        return cls(1.0 / k, np.full(k, 1.0 / k), np.zeros((k, n)), 1.0)

    def improved(self, a: np.ndarray, b: np.ndarray, M: np.ndarray, rho_upper: float) -> _Certificate:
        if not np.isfinite(rho_upper):
            return self  # heuristic pricing certifies nothing
        lower = dual_objective(a, b, M) / max(1.0, rho_upper)
        return _Certificate(lower, a, b, rho_upper) if lower > self.lower else self


def _price(method, a, b, V, R, subsets, per_round, milp_time_limit, *, exact_needed):
    """Pricing at the dual point ``(a, b)``: ``(rho_found, entering candidates, rho_upper)``.

    ``rho_upper`` is a proven upper bound on ``rho`` (``inf`` when only a heuristic ran).
    """
    if method == "colgen-bruteforce":
        rho, new = price_bruteforce(a, b, per_round)
        return rho, new, rho
    if method == "colgen-subsets":
        rho, new = price_class_subsets(a, b, per_round, subsets)
        return rho, new, rho
    # MILP pricing: cheap local search from many starts first (the master's heaviest
    # vectors, each class's best vector, and the vectors of class pairs); the exact MILP only
    # when the heuristic finds no entering vector and a certificate is needed
    k = a.shape[0]
    heaviest = V[np.argsort(-R.max(axis=0), kind="stable")[: 2 * k]]
    starts = _unique_rows(np.concatenate([heaviest, (b > 0).astype(np.uint8),
                                          _pair_vectors(b, a)]))
    rho, new = price_local_search(a, b, starts, per_round)
    if rho > 1.0 + _PRICING_TOL or not exact_needed:
        return rho, new, _separable_rho_bound(a, b)
    rho, rho_upper, v = price_milp(a, b, time_limit=milp_time_limit)
    if rho > 1.0 + _PRICING_TOL:
        # continue the search from the MILP's vector: its neighbourhood often holds more
        rho_ls, more = price_local_search(a, b, _unique_rows(np.concatenate([v, starts])), per_round)
        return max(rho, rho_ls), np.concatenate([v, more]), rho_upper
    return rho, v, rho_upper


def _separable_rho_bound(a: np.ndarray, b: np.ndarray) -> float:
    r"""``sum_j max(0, a_j + sum_i max(0, b_ji)) >= rho``: each class maximised on its own.

    A proven (if loose) upper bound on the pricing maximum at no cost, so that a round whose
    pricing only ran the heuristic still certifies ``D / max(1, bound)``.
    """
    return float(np.maximum(a + np.maximum(b, 0.0).sum(axis=1), 0.0).sum())


def _pair_vectors(b: np.ndarray, a: np.ndarray | None = None) -> np.ndarray:
    """``1[b_j + b_l > 0]`` for class pairs ``j < l``: start vectors shared by two classes.

    Every pair for ``k <= _PAIR_CLASSES``; beyond, the pairs among the ``_PAIR_CLASSES`` classes
    with the largest separable maxima ``a_j + sum_i max(0, b_ji)`` (at k = 72 all 2556 pairs
    made the local search cost seconds per round; it is a heuristic, the MILP stays exact).
    """
    top = np.arange(b.shape[0])
    if a is not None and b.shape[0] > _PAIR_CLASSES:
        reach = a + np.maximum(b, 0.0).sum(axis=1)
        top = np.sort(np.argsort(-reach, kind="stable")[:_PAIR_CLASSES])
    first, second = np.triu_indices(top.size, 1)
    return (b[top[first]] + b[top[second]] > 0).astype(np.uint8)


def _merge_columns(V: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``V`` followed by the rows of ``W`` that are new (order kept, duplicates dropped)."""
    known = set(_row_keys(V).tolist())
    keys = _row_keys(W)
    fresh, seen = [], set()
    for i, key in enumerate(keys.tolist()):
        if key not in known and key not in seen:
            fresh.append(i)
            seen.add(key)
    return np.concatenate([V, W[fresh]], axis=0) if fresh else V


def _record(iteration, sol, rho_upper, lower, M, n_columns, start) -> dict:
    upper = sol.value / M.shape[0]
    return {
        "iteration": iteration,
        "lower": min(lower, upper),
        "upper": upper,
        "pricing_max": rho_upper,
        "n_columns": int(n_columns),
        "seconds": time.perf_counter() - start,
    }


def _finish(
    M, V, sol, rho, rho_upper, best, method, iterations, history, start, tol
) -> LowerBoundResult:
    k = M.shape[0]
    used = sol.R.max(axis=0) > 0
    adversary = AdversarialJoint(V[used].copy(), sol.R[:, used] / k)
    last = history[-1]
    scale = max(1.0, best.rho)
    randomized_map = RandomizedMap(best.a / scale, best.b / scale)
    return LowerBoundResult(
        Q=sol.value / k,
        lower=last["lower"],
        upper=last["upper"],
        exact=bool(last["upper"] - last["lower"] <= tol),
        randomized_map=randomized_map,
        adversary=adversary,
        method=method,
        iterations=int(iterations),
        primal_value=sol.value / k,
        dual_value=dual_objective(sol.a, sol.b, M),
        pricing_max=float(rho),
        n_columns=int(V.shape[0]),
        history=history,
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------- tightness
def _map_table(h: object, k: int, n: int) -> np.ndarray:
    """``H[c, j] = h(j | v_c)`` for all ``2^n`` codes ``c``, from a map object, callable or array."""
    if isinstance(h, np.ndarray) or isinstance(h, (list, tuple)):
        H = as_array(h, "h", shape=(2**n, k))
    elif callable(h):
        H = as_array(h(all_attribute_vectors(n)), "h", shape=(2**n, k))
    else:
        raise ValueError(
            f"h: expected a RandomizedMap, a callable or a (2^n, k) array, got {type(h).__name__}"
        )
    if H.min() < -1e-9 or np.abs(H.sum(axis=1) - 1.0).max() > 1e-7:
        raise ValueError("h: expected h(. | v) a probability vector over the k classes at every v")
    return np.clip(H, 0.0, None)


def worst_case_accuracy(h: object, M: object, *, per_class: bool = False) -> float | np.ndarray:
    r"""Worst-case accuracy of a randomized map ``h`` over all joint laws consistent with ``M``.

    .. math::

        \min_{P} \sum_{j, v} P(j, v)\, h(j \mid v)
        = \frac1k \sum_j \min_{R_j \in \Delta(\{0,1\}^n):\ \mathbb E_{R_j}[v] = M_j}
          \sum_v R_j(v)\, h(j \mid v),

    an LP that separates over the classes (``k`` LPs with ``2^n`` variables and ``n + 1``
    constraints each, HiGHS). For the map of :func:`worst_case_lower_bound` it equals ``Q(M)``.

    Parameters
    ----------
    h : RandomizedMap, callable or array_like of shape (2^n, k)
        ``h(j | v)``; a callable takes a (N, n) 0/1 array and returns (N, k) probabilities; an
        array is indexed by the vector code ``sum_i v_i 2^i``.
    M : array_like, shape (k, n)
    per_class : bool
        Return the ``k`` per-class worst-case accuracies (each weighted ``1``) instead.

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    Mazzetto et al. (2022), NeurIPS, Sec. 4 (tightness of the bound via minimax duality).

    Examples
    --------
    The bound's map attains ``Q(M)``; the uniform map only ``1/k``:

    >>> from analysis.zsl import worst_case_accuracy, worst_case_lower_bound
    >>> M = np.array([[0.9, 0.2], [0.1, 0.7]])
    >>> res = worst_case_lower_bound(M)
    >>> round(worst_case_accuracy(res.randomized_map, M), 6), round(res.Q, 6)
    (0.9, 0.9)
    >>> round(worst_case_accuracy(np.full((4, 2), 0.5), M), 6)
    0.5
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    if n > 16:
        raise ValueError(f"M: worst_case_accuracy enumerates 2^n vectors; n={n} > 16 is too large")
    H = _map_table(h, k, n)
    V = all_attribute_vectors(n).astype(np.float64)
    A_eq = np.vstack([np.ones((1, V.shape[0])), V.T])
    values = np.empty(k)
    for j in range(k):
        res = linprog(
            H[:, j], A_eq=A_eq, b_eq=np.concatenate([[1.0], M[j]]), bounds=(0, None),
            method="highs", options=dict(_HIGHS_OPTIONS),
        )
        if res.status != 0:
            raise SolverError(
                f"worst-case accuracy (class {j}): HiGHS ended with status {res.status} "
                f"({res.message.strip()}), not optimal"
            )
        values[j] = res.fun
    return values if per_class else float(values.mean())


# --------------------------------------------------------------------------- greedy selection
@dataclass(frozen=True)
class GreedyPath:
    """Greedily chosen attributes and the bound after each addition.

    Attributes
    ----------
    order : list of int
        Attribute indices in the order chosen.
    Q : numpy.ndarray, shape (steps,)
        ``Q`` on the first ``t`` chosen attributes, t = 1..steps.
    results : list of LowerBoundResult
        Each step's solve.
    n_solves : int
        LP solves in all.
    seconds : float

    Examples
    --------
    >>> from analysis.zsl import awa_like_matrix, greedy_attribute_selection
    >>> path = greedy_attribute_selection(awa_like_matrix(4, 6, seed=0), 3)
    >>> len(path.order), path.n_solves  # 6 + 5 + 4 candidate solves
    (3, 15)
    >>> bool(np.all(path.error_lower_bound == 1.0 - path.Q))
    True
    """

    order: list
    Q: np.ndarray
    results: list
    n_solves: int
    seconds: float

    @property
    def error_lower_bound(self) -> np.ndarray:
        """``1 - Q`` after each step."""
        return 1.0 - self.Q


def greedy_attribute_selection(
    M: object,
    n_select: int,
    *,
    method: str = "auto",
    warm_start: bool = True,
    tie_tol: float = 1e-9,
    cpu_budget: float | None = None,
) -> GreedyPath:
    r"""Add attributes one at a time, each time the one that most increases ``Q``.

    Step ``t`` solves ``Q(M[:, S_{t-1} + [i]])`` for every unused ``i`` and keeps the best
    (ties within ``tie_tol`` go to the lowest index). With ``cpu_budget`` (CPU seconds of this
    process) the path stops early: a step that would end past the budget is abandoned, so the
    path may hold fewer than ``n_select`` steps, each still a full greedy step. With
    ``warm_start`` each solve starts
    column generation from the previous optimum's support extended by both values of the new
    attribute (a column warm start: these vectors enter the column pool of the next solve).

    Returns
    -------
    GreedyPath
        ``order`` (attribute indices), ``Q`` after each step, each step's
        :class:`LowerBoundResult`, the number of LP solves and the time.

    References
    ----------
    Mazzetto et al. (2022), NeurIPS, Sec. 5 (greedy attribute selection; the bound vs the
    number of attributes).

    Examples
    --------
    Adding an attribute never lowers ``Q``:

    >>> from analysis.zsl import awa_like_matrix, greedy_attribute_selection
    >>> path = greedy_attribute_selection(awa_like_matrix(4, 6, seed=0), 3)
    >>> path.Q.shape, bool(np.all(np.diff(path.Q) >= -1e-9))
    ((3,), True)
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    n_select = check_int(n_select, "n_select", minimum=1, maximum=n)
    check_choice(method, "method", METHODS)
    tie_tol = check_real(tie_tol, "tie_tol", minimum=0.0)
    cpu_budget = _check_seconds(cpu_budget, "cpu_budget")
    cpu_start = time.process_time()
    start = time.perf_counter()
    chosen: list[int] = []
    Qs, results = [], []
    n_solves = 0
    previous: LowerBoundResult | None = None
    for _ in range(n_select):
        best_i, best = -1, None
        for i in range(n):
            if i in chosen:
                continue
            if cpu_budget is not None and time.process_time() - cpu_start > cpu_budget:
                best = None
                break
            cols = chosen + [i]
            warm = None
            if warm_start and previous is not None:
                S = previous.adversary.vectors
                warm = np.concatenate(
                    [np.hstack([S, np.zeros((S.shape[0], 1), np.uint8)]),
                     np.hstack([S, np.ones((S.shape[0], 1), np.uint8)])]
                )
            res = worst_case_lower_bound(M[:, cols], method=method, warm_start=warm)
            n_solves += 1
            if best is None or res.Q > best.Q + tie_tol:
                best_i, best = i, res
        if best is None:
            break  # out of budget mid-step: the step is abandoned
        chosen.append(best_i)
        Qs.append(best.Q)
        results.append(best)
        previous = best
    return GreedyPath(chosen, np.array(Qs), results, n_solves, time.perf_counter() - start)

r"""Re-checkable certificates for ``Q(M)`` when the exact value is out of reach (SUN, CUB).

Two stored objects certify an interval ``lower <= Q(M) <= upper``, each re-checked from the
matrix alone, without trusting the solver that produced it:

* **Upper end: a joint law.** Any law ``P`` consistent with ``M`` gives
  ``Q(M) <= sum_v max_j P(j, v)``. A solver's law matches ``M`` only to its feasibility
  tolerance; :func:`primal_upper_bound` repairs it exactly on paper: with class laws ``R_j``
  (normalised to mass 1) of means ``mu_j``, the mixture ``(1 - t) R_j + t C_j`` with ``C_j``
  the comonotone law of mean ``(m_j - (1 - t) mu_j) / t`` is consistent with ``M`` as soon as
  that mean lies in ``[0, 1]^n``, i.e. for
  ``t >= max_ji |m_ji - mu_ji| / (mu_ji if m_ji < mu_ji else 1 - mu_ji)``, and its value is at
  most ``(1 - t) V + t`` (``C_j`` adds at most ``t`` of mass to each class). So
  ``Q(M) <= (1 - t) V + t`` with ``V`` the stored law's value: no tolerance is left to state.
* **Lower end: a dual point.** For any ``(a, b)``, ``D(a, b) / rho(a, b)`` with
  ``D = (1/k) sum_j (a_j + b_j . m_j)`` and ``rho = max_v sum_j max(0, a_j + b_j . v)`` is a
  lower bound (``(a, b) / rho`` is dual feasible; weak duality). :func:`dual_lower_bound`
  computes ``rho`` exactly, or bounds it above, by dynamic programming over a *star*: classes
  in groups ``g``, attributes in a shared hub ``H`` and per-group private sets ``P_g`` (the
  attributes outside ``H`` on which ``b`` of group ``g`` is not zero),

  .. math::

      \rho \le \max_{v_H} \sum_g \max_{v_{P_g}} \sum_{j \in g} \max(0, a_j + b_j \cdot v),

  with equality when the private sets are disjoint (an attribute private to two groups is
  maximised separately in each: a relaxation). The cost is ``sum_g 2^{|H| + |P_g|} |g|``.
  A dual point can instead carry a decision tree whose leaves cover ``{0,1}^n``
  (:mod:`analysis.zsl.partition`): ``rho`` is then bounded cell by cell in
  ``O(nodes * k)``, with no enumeration (stored with ``kind = "tree"``).

Producers (both certified by the checks above):

* :func:`grouped_upper_bound`: the classes split into groups of at most 14 similar classes,
  each group's exact ``Q(M_g)`` (class-subset pricing); the union of the group adversaries is
  a law for ``M`` with ``k Q(M) <= sum_v max_j P(j, v) <= sum_g |g| Q(M_g)``.
* :func:`star_lower_bound`: the exact optimum of the relaxation in which class ``j`` of group
  ``g`` is held only to its marginals on ``H`` and ``P_g`` (each group sees its own copy of
  its private attributes): any law for ``M``, with the copies set equal, is feasible for it,
  so its value is at most ``Q(M)``; its dual point is a certificate of the kind above. With
  one group and no private sets it is ``Q(M[:, H])`` (the greedy-subset bound).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from analysis._core.figio import write_atomically
from analysis._core.validate import as_array, check_int, check_real
from analysis.zsl.bound import _matrix_key
from analysis.zsl.data import all_attribute_vectors, validate_class_attribute_matrix
from analysis.zsl.partition import PartitionTree, TreeCertificate, tree_dual_bound

__all__ = [
    "DualCertificate",
    "PrimalCertificate",
    "check_certificate_file",
    "class_groups",
    "dual_lower_bound",
    "grouped_upper_bound",
    "master_upper_bound",
    "primal_upper_bound",
    "save_certificate",
    "star_lower_bound",
    "support_upper_bound",
]

#: most attributes a star block (hub plus one group's private set) may enumerate
MAX_STAR_ATTRIBUTES = 22
_CHUNK = 2**22  # score entries held at once by the star enumeration


# --------------------------------------------------------------------------- upper end
@dataclass(frozen=True)
class PrimalCertificate:
    """A joint law ``P(j, vectors[s]) = probabilities[j, s]`` and the upper bound it certifies.

    Attributes
    ----------
    vectors : numpy.ndarray of uint8, shape (S, n)
    probabilities : numpy.ndarray, shape (k, S)
    value : float
        ``sum_s max_j P(j, s)`` after normalising each class to mass ``1/k``.
    repair : float
        The mixing weight ``t`` that makes the law exactly consistent with ``M``.
    upper : float
        ``(1 - t) value + t`` plus a rounding margin: ``Q(M) <= upper``.
    """

    vectors: np.ndarray
    probabilities: np.ndarray
    value: float
    repair: float
    upper: float


def primal_upper_bound(M: object, vectors: object, probabilities: object) -> PrimalCertificate:
    r"""Certified ``Q(M) <= upper`` from a joint law on a support, repaired exactly.

    .. math::

        Q(M) \le (1 - t) \sum_s \max_j P(j, v_s) + t, \qquad
        t = \max_{j, i} \frac{|m_{ji} - \mu_{ji}|}{\mu_{ji}\,[m_{ji} < \mu_{ji}]
            + (1 - \mu_{ji})\,[m_{ji} > \mu_{ji}]},

    where ``mu_j`` is the attribute mean of class ``j``'s law normalised to mass 1 (see the
    module docstring for the repair). ``t >= 1`` (e.g. mass on a vector a class cannot emit
    because ``M_ji`` is exactly 0 or 1) certifies nothing: ``upper = 1``.

    Parameters
    ----------
    M : array_like, shape (k, n)
    vectors : array_like of 0/1, shape (S, n)
    probabilities : array_like, shape (k, S)
        Nonnegative up to round-off (entries below ``-1e-12`` are refused); each row is
        rescaled to mass ``1/k``.

    Returns
    -------
    PrimalCertificate

    Examples
    --------
    The product law of two independent fair attributes for both classes of an all-0.5 matrix
    has value ``4 * 1/8 = 1/2 = Q``:

    >>> from analysis.zsl.certify import primal_upper_bound
    >>> V = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> cert = primal_upper_bound(np.full((2, 2), 0.5), V, np.full((2, 4), 0.125))
    >>> round(cert.upper, 9), cert.repair
    (0.5, 0.0)
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    V = as_array(vectors, "vectors", ndim=2)
    if V.shape[1] != n or not np.isin(V, (0.0, 1.0)).all():
        raise ValueError(f"vectors: expected 0/1 rows of length {n}, got shape {V.shape}")
    P = as_array(probabilities, "probabilities", shape=(k, V.shape[0]))
    if P.min(initial=0.0) < -1e-12:
        raise ValueError(f"probabilities: expected nonnegative entries, got min {P.min():.3g}")
    # where M_ji is exactly 0 or 1 the marginal holds exactly (not to round-off) once class j
    # has no mass on vectors with v_i != M_ji: such mass is dropped first, and what it moves
    # elsewhere is covered by the repair like any other mismatch
    zero, one = (M == 0.0).astype(np.float64), (M == 1.0).astype(np.float64)
    can_emit = ((V @ zero.T) == 0) & (((1.0 - V) @ one.T) == 0)  # (S, k)
    P = np.where(can_emit.T, P.clip(0.0, None), 0.0)
    mass = P.sum(axis=1)
    if (mass <= 0).any():
        raise ValueError("probabilities: every class needs positive mass on vectors it can emit")
    R = P / mass[:, None]  # class laws, mass 1 each
    mu = R @ V
    delta = np.where((M > 0.0) & (M < 1.0), M - mu, 0.0)
    room = np.where(delta < 0, mu, 1.0 - mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(delta == 0, 0.0, np.abs(delta) / room)
    t = float(np.nan_to_num(need, nan=np.inf).max(initial=0.0))
    value = float(_merged_max_sum(V, R)) / k
    # rounding: each of the S maxima and the sum carry a few ulps of magnitude <= 1
    margin = 8 * np.finfo(float).eps * (V.shape[0] + k * n)
    upper = 1.0 if t >= 1.0 else float(min(1.0, (1.0 - t) * value + t + margin))
    return PrimalCertificate(V.astype(np.uint8), P, value, t, upper)


def _merged_max_sum(V: np.ndarray, R: np.ndarray) -> float:
    """``sum_v max_j R[j, v]`` with duplicate rows of ``V`` merged first."""
    packed = np.packbits(np.ascontiguousarray(V, dtype=np.uint8), axis=1)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, inverse = np.unique(keys, return_inverse=True)
    merged = np.zeros((R.shape[0], int(inverse.max()) + 1))
    np.add.at(merged.T, inverse.ravel(), R.T)
    return float(merged.max(axis=0).sum())


def class_groups(M: object, size: int) -> list[np.ndarray]:
    """Split the classes into groups of at most ``size`` similar classes (deterministic).

    Repeatedly the unassigned class farthest (L1 over attributes) from the other unassigned
    ones seeds a group with its nearest unassigned classes; sizes are balanced
    (``ceil(k / ceil(k / size))`` or one fewer). Ties go to the lower index.

    Examples
    --------
    >>> from analysis.zsl.certify import class_groups
    >>> M = np.array([[0.0], [0.1], [0.9], [1.0]])
    >>> [g.tolist() for g in class_groups(M, 2)]
    [[0, 1], [2, 3]]
    """
    M = validate_class_attribute_matrix(M, "M")
    k = M.shape[0]
    size = check_int(size, "size", minimum=1)
    n_groups = -(-k // size)
    sizes = [k // n_groups + (1 if g < k % n_groups else 0) for g in range(n_groups)]
    D = np.abs(M[:, None, :] - M[None, :, :]).sum(axis=2)
    left = list(range(k))
    groups = []
    for s in sorted(sizes, reverse=True):
        sub = D[np.ix_(left, left)].sum(axis=1)
        seed = left[int(np.argmax(sub))]
        near = sorted(left, key=lambda j: (D[seed, j], j))[:s]
        groups.append(np.array(sorted(near)))
        left = [j for j in left if j not in near]
    return groups


def _side_by_side(k: int, parts: list) -> tuple[float, np.ndarray, np.ndarray]:
    """The union of the adversaries of a partition of ``k`` classes: ``(value, V, P)``.

    ``parts`` holds ``(classes, LowerBoundResult)`` pairs; class ``j`` of part ``s`` keeps its
    law, scaled to mass ``1 / k``, so ``P`` is a law for the whole matrix of value at most
    ``sum_s |s| Q_s / k`` (returned as the value).
    """
    V = np.concatenate([r.adversary.vectors for _, r in parts])
    P = np.zeros((k, V.shape[0]))
    col = 0
    for s, r in parts:
        w = r.adversary.vectors.shape[0]
        P[s, col:col + w] = r.adversary.probabilities * (len(s) / k)
        col += w
    return sum(len(s) * r.Q for s, r in parts) / k, V, P


def grouped_upper_bound(
    M: object,
    groups: list | None = None,
    *,
    group_size: int = 12,
    subgroup_size: int | None = None,
    cpu_time_limit: float | None = None,
    callback=None,
) -> tuple[PrimalCertificate, list[dict]]:
    r"""``Q(M) <= (1/k) sum_v max_j P(j, v) <= (1/k) sum_g |g| Q(M_g)`` from per-group adversaries.

    Each group's ``Q(M_g)`` is solved by :func:`analysis.zsl.worst_case_lower_bound` (exact:
    class-subset pricing for groups of at most 14); the group's adversary ``P_g`` (mass
    ``1/|g|`` per class) enters the union law with weight ``|g| / k``. The union's value never
    exceeds the weighted group values (``max`` over all classes is at most the sum of the
    group maxima) and is smaller when groups share vectors.

    Parameters
    ----------
    M : array_like, shape (k, n)
    groups : list of array_like of int, optional
        A partition of the classes; default :func:`class_groups` with ``group_size``.
    group_size : int
    subgroup_size : int, optional
        Hierarchical warm start for groups too large to solve exactly: a group of more than
        ``subgroup_size`` classes first solves its own groups of at most ``subgroup_size``
        (:func:`class_groups` of ``M_g``, each within ``cpu_time_limit``); the union of their
        adversaries (value ``sum_s |s| Q(M_s) / |g|``) seeds the group's column generation with
        its vectors, and the group contributes the better of that union law and its own
        master's law. Either is a law for ``M_g``, so the bound stays certified. Measured on
        SUN (a 24-class group): the master started at 0.398 from the subgroups' union 0.450,
        against about 0.6 from the comonotone start.
    cpu_time_limit : float, optional
        CPU seconds per group solve (a time-limited group contributes its master's law,
        still a valid law: the bound stays certified, only looser).
    callback : callable, optional
        Called with each group's record.

    Returns
    -------
    certificate : PrimalCertificate
    records : list of dict
        Per group: ``classes``, ``Q`` (the value of the law it contributes), ``lower``,
        ``exact``, ``rounds``, ``n_columns``, ``master_cpu_seconds``, ``pricing_cpu_seconds``,
        ``cpu_seconds`` (subgroup solves included) and, with subgroups, ``subgroups_Q``.

    Examples
    --------
    >>> from analysis.zsl import awa_like_matrix, worst_case_lower_bound
    >>> from analysis.zsl.certify import grouped_upper_bound
    >>> M = awa_like_matrix(6, 5, seed=0)
    >>> cert, recs = grouped_upper_bound(M, group_size=3)
    >>> Q = worst_case_lower_bound(M).Q
    >>> bool(Q <= cert.upper + 1e-9), len(recs)
    (True, 2)
    """
    from analysis.zsl.bound import worst_case_lower_bound

    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    if groups is None:
        groups = class_groups(M, group_size)
    groups = [np.asarray(g, dtype=np.int64) for g in groups]
    flat = np.sort(np.concatenate(groups))
    if flat.shape != (k,) or not np.array_equal(flat, np.arange(k)):
        raise ValueError(f"groups: expected a partition of the {k} classes, got {groups!r}")
    if subgroup_size is not None:
        subgroup_size = check_int(subgroup_size, "subgroup_size", minimum=1)
    Vs, Ps, records = [], [], []
    for g in groups:
        tick = time.process_time()
        seed_law = None
        if subgroup_size is not None and g.size > subgroup_size:
            # the subgroups' adversaries, side by side: a law for M_g (mass 1/|g| per class)
            parts = [(s, worst_case_lower_bound(M[g][s], cpu_time_limit=cpu_time_limit))
                     for s in class_groups(M[g], subgroup_size)]
            seed_law = _side_by_side(g.size, parts)
        res = worst_case_lower_bound(M[g], cpu_time_limit=cpu_time_limit,
                                     warm_start=None if seed_law is None else seed_law[1])
        value, vectors, probs = res.Q, res.adversary.vectors, res.adversary.probabilities
        if seed_law is not None and seed_law[0] < value:
            value, vectors, probs = seed_law
        P = np.zeros((k, vectors.shape[0]))
        P[g] = probs * (g.size / k)
        Vs.append(vectors)
        Ps.append(P)
        last = res.history[-1]
        rec = {"classes": g.tolist(), "Q": value, "lower": res.lower, "exact": res.exact,
               "rounds": res.iterations, "n_columns": res.n_columns,
               "master_cpu_seconds": last.get("master_cpu_seconds"),
               "pricing_cpu_seconds": last.get("pricing_cpu_seconds"),
               "cpu_seconds": time.process_time() - tick}
        if seed_law is not None:
            rec["subgroups_Q"] = seed_law[0]
        records.append(rec)
        if callback is not None:
            callback(rec)
    cert = primal_upper_bound(M, np.concatenate(Vs), np.concatenate(Ps, axis=1))
    return cert, records


def master_upper_bound(
    M: object,
    *,
    cpu_time_limit: float | None = 120.0,
    max_iterations: int = 10_000,
    method: str = "auto",
    master: str = "auto",
    milp_time_limit: float | None = 30.0,
    warm_start: object | None = None,
    callback=None,
) -> tuple[PrimalCertificate, object]:
    r"""``Q(M) <= (1 - t) U + t`` from the law of a (time-limited) column-generation master.

    Runs :func:`analysis.zsl.worst_case_lower_bound` on all of ``M`` within the budget; its
    restricted master's optimal law (``result.adversary``, value ``U``, an upper bound on
    ``Q`` up to the master's feasibility tolerance) is repaired exactly by
    :func:`primal_upper_bound`, so the bound no longer rests on the solver's tolerance and can
    be stored and re-checked (:func:`save_certificate`, :func:`check_certificate_file`). The
    budget is checked after each round (a round can run past it).

    Parameters
    ----------
    M : array_like, shape (k, n)
    cpu_time_limit, max_iterations, method, master, milp_time_limit, warm_start, callback
        See :func:`analysis.zsl.worst_case_lower_bound`.

    Returns
    -------
    certificate : PrimalCertificate
    result : LowerBoundResult
        The column-generation run (``result.Q`` is the unrepaired master value ``U``).

    Examples
    --------
    >>> from analysis.zsl import awa_like_matrix, worst_case_lower_bound
    >>> from analysis.zsl.certify import master_upper_bound
    >>> M = awa_like_matrix(6, 12, seed=0)
    >>> cert, res = master_upper_bound(M, max_iterations=2)  # stopped early: above Q
    >>> Q = worst_case_lower_bound(M).Q
    >>> bool(Q <= cert.upper + 1e-9), bool(cert.upper <= res.Q + 1e-6)
    (True, True)
    """
    from analysis.zsl.bound import worst_case_lower_bound

    M = validate_class_attribute_matrix(M, "M")
    res = worst_case_lower_bound(M, method, cpu_time_limit=cpu_time_limit,
                                 max_iterations=max_iterations, master=master,
                                 milp_time_limit=milp_time_limit, warm_start=warm_start,
                                 callback=callback)
    adv = res.adversary
    return primal_upper_bound(M, adv.vectors, adv.probabilities), res


def support_upper_bound(M: object, vectors: object) -> PrimalCertificate:
    r"""The best law on a given support, repaired: ``Q(M) <= min_{P on V} sum_v max_j P(j, v)``.

    Solves the restricted master (epigraph form, HiGHS interior point + crossover through
    :func:`scipy.optimize.linprog`) over the attribute vectors ``V`` with every class of ``M``
    and repairs its optimal law with :func:`primal_upper_bound`. Any law on ``V`` (e.g. the
    union of group adversaries of :func:`grouped_upper_bound`, or a stored certificate's) is
    feasible there, so the result is at most that law's value (up to the repair, of the order
    of the solver's feasibility tolerance): the classes of different groups now share the
    vectors optimally, a primal improvement at the cost of one master solve.

    Parameters
    ----------
    M : array_like, shape (k, n)
    vectors : array_like of 0/1, shape (S, n)
        A support on which a law consistent with ``M`` exists.

    Returns
    -------
    PrimalCertificate

    Raises
    ------
    SolverError
        If no law consistent with ``M`` lives on ``vectors`` (the master is infeasible).

    Examples
    --------
    The union law of two groups of 3, re-solved on its own support with all 6 classes:

    >>> from analysis.zsl import awa_like_matrix, worst_case_lower_bound
    >>> from analysis.zsl.certify import grouped_upper_bound, support_upper_bound
    >>> M = awa_like_matrix(6, 5, seed=0)
    >>> union, _ = grouped_upper_bound(M, group_size=3)
    >>> merged = support_upper_bound(M, union.vectors)
    >>> Q = worst_case_lower_bound(M).Q
    >>> bool(Q - 1e-9 <= merged.upper <= union.upper + 1e-9)
    True
    """
    from analysis.zsl.bound import _MASTER_METHOD, _solve_master

    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    V = as_array(vectors, "vectors", ndim=2)
    if V.shape[1] != n or not np.isin(V, (0.0, 1.0)).all():
        raise ValueError(f"vectors: expected 0/1 rows of length {n}, got shape {V.shape}")
    V = np.unique(V.astype(np.uint8), axis=0)
    sol = _solve_master(M, V, "master on the given support", _MASTER_METHOD)
    used = sol.R.max(axis=0) > 0
    return primal_upper_bound(M, V[used], sol.R[:, used] / k)


# --------------------------------------------------------------------------- lower end
@dataclass(frozen=True)
class DualCertificate:
    """A dual point ``(a, b)``, the star it is evaluated on, and the lower bound it certifies.

    Attributes
    ----------
    a : numpy.ndarray, shape (k,)
    b : numpy.ndarray, shape (k, n)
    groups : list of numpy.ndarray
        Class partition of the star.
    hub : numpy.ndarray of int
        Hub attributes.
    dual_value : float
        ``D(a, b)``.
    rho : float
        Certified upper bound on ``max_v sum_j max(0, a_j + b_j . v)`` (rounding included).
    lower : float
        ``D / max(rho, tiny)``: ``Q(M) >= lower``.
    """

    a: np.ndarray
    b: np.ndarray
    groups: list
    hub: np.ndarray
    dual_value: float
    rho: float
    lower: float
    history: list = field(default_factory=list)


def _star_blocks(b: np.ndarray, groups: list, hub: np.ndarray) -> list:
    """Per group: ``(classes, private attributes)`` (nonzero ``b`` of the group outside the hub)."""
    in_hub = np.zeros(b.shape[1], dtype=bool)
    in_hub[hub] = True
    return [(g, np.flatnonzero((b[g] != 0).any(axis=0) & ~in_hub)) for g in groups]


def _vectors(p: int) -> np.ndarray:
    """All ``2^p`` 0/1 vectors of length ``p`` (one empty vector for ``p = 0``)."""
    return np.zeros((1, 0), dtype=np.uint8) if p == 0 else all_attribute_vectors(p)


def _star_max(a, b, hub, blocks):
    """``(values over v_H, per-group argmax codes of the private part, hub vectors)``."""
    h = hub.size
    VH = _vectors(h).astype(np.float64)
    total = np.zeros(VH.shape[0])
    args = []
    for g, priv in blocks:
        VP = _vectors(priv.size).astype(np.float64)
        sH = a[g][None, :] + VH @ b[np.ix_(g, hub)].T  # (2^h, |g|)
        sP = VP @ b[np.ix_(g, priv)].T  # (2^p, |g|)
        best = np.full(VH.shape[0], -np.inf)
        barg = np.zeros(VH.shape[0], dtype=np.int64)
        step_p = max(1, min(VP.shape[0], _CHUNK // max(1, g.size)))
        step_h = max(1, _CHUNK // (step_p * max(1, g.size)))
        for i0 in range(0, VH.shape[0], step_h):
            rows = slice(i0, i0 + step_h)
            for p0 in range(0, VP.shape[0], step_p):
                F = np.maximum(sH[rows, None, :] + sP[None, p0:p0 + step_p, :], 0.0).sum(axis=2)
                j = np.argmax(F, axis=1)
                val = F[np.arange(F.shape[0]), j]
                better = val > best[rows]
                best[rows] = np.where(better, val, best[rows])
                barg[rows] = np.where(better, j + p0, barg[rows])
        total += best
        args.append(barg)
    return total, args, VH


def dual_lower_bound(M: object, a: object, b: object, groups: list | None = None,
                     hub: object | None = None) -> DualCertificate:
    r"""Certified ``Q(M) >= D(a, b) / rho`` with ``rho`` bounded by the star decomposition.

    .. math::

        \rho(a, b) = \max_{v \in \{0,1\}^n} \sum_j \max(0, a_j + b_j \cdot v)
        \le \max_{v_H} \sum_g \max_{v_{P_g}} \sum_{j\in g} \max(0, a_j + b_j \cdot v),

    ``P_g`` the attributes outside ``hub`` where ``b`` of group ``g`` is nonzero (equality when
    they are disjoint). Default: one group of all classes and an empty hub, i.e. exact ``rho``
    by enumerating the ``2^p`` vectors of the ``p`` attributes ``b`` uses. A rounding margin
    ``64 eps sum_j (|a_j| + sum_i |b_ji|)`` is added to ``rho`` and taken off ``D``.

    Parameters
    ----------
    M : array_like, shape (k, n)
    a : array_like, shape (k,)
    b : array_like, shape (k, n)
    groups : list of array_like of int, optional
        A partition of the classes.
    hub : array_like of int, optional
        Hub attributes (default none).

    Returns
    -------
    DualCertificate

    Raises
    ------
    ValueError
        A block ``|H| + |P_g|`` beyond ``MAX_STAR_ATTRIBUTES`` (22), or bad shapes.

    Examples
    --------
    The optimal dual point of the full LP certifies ``Q`` itself:

    >>> from analysis.zsl import awa_like_matrix, worst_case_lower_bound
    >>> from analysis.zsl.certify import dual_lower_bound
    >>> M = awa_like_matrix(4, 6, seed=1)
    >>> res = worst_case_lower_bound(M)
    >>> h = res.randomized_map
    >>> bool(abs(dual_lower_bound(M, h.a, h.b).lower - res.Q) < 1e-7)
    True
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    a = as_array(a, "a", shape=(k,))
    b = as_array(b, "b", shape=(k, n))
    if groups is None:
        groups = [np.arange(k)]
    groups = [np.asarray(g, dtype=np.int64) for g in groups]
    flat = np.sort(np.concatenate(groups))
    if flat.shape != (k,) or not np.array_equal(flat, np.arange(k)):
        raise ValueError(f"groups: expected a partition of the {k} classes")
    hub = np.zeros(0, dtype=np.int64) if hub is None else np.unique(
        as_array(hub, "hub", ndim=1).astype(np.int64))
    if hub.size and (hub.min() < 0 or hub.max() >= n):
        raise ValueError(f"hub: expected attribute indices in [0, {n}), got {hub.tolist()}")
    blocks = _star_blocks(b, groups, hub)
    widest = hub.size + max(p.size for _, p in blocks)
    if widest > MAX_STAR_ATTRIBUTES:
        raise ValueError(f"b: a star block spans {widest} attributes (hub {hub.size} + private); "
                         f"at most {MAX_STAR_ATTRIBUTES} are enumerated")
    total, _, _ = _star_max(a, b, hub, blocks)
    scale = float(np.abs(a).sum() + np.abs(b).sum())
    margin = 64 * np.finfo(float).eps * scale
    rho = float(total.max()) + margin
    D = float(np.mean(a + np.einsum("ji,ji->j", b, M))) - margin
    lower = D / rho if rho > 0 else 0.0
    return DualCertificate(a.copy(), b.copy(), groups, hub, D, rho, lower)


def _expand(M, groups, hub, private):
    """The relaxation's matrix: hub columns, then each group's own copy of its private set."""
    k = M.shape[0]
    cols = [np.asarray(hub, dtype=np.int64)] + [np.asarray(p, dtype=np.int64) for p in private]
    orig = np.concatenate(cols)
    owner = np.concatenate([np.full(hub.size, -1)] + [np.full(len(p), g)
                                                       for g, p in enumerate(private)])
    group_of = np.empty(k, dtype=np.int64)
    for gi, g in enumerate(groups):
        group_of[g] = gi
    scope = (owner[None, :] == -1) | (owner[None, :] == group_of[:, None])
    Mx = np.where(scope, M[:, orig], 0.0)
    return Mx, scope, orig, owner


def star_lower_bound(
    M: object,
    groups: list,
    hub: object,
    private: list,
    *,
    tol: float = 1e-9,
    max_iterations: int = 2000,
    cpu_time_limit: float | None = None,
    smoothing: float = 0.5,
    callback=None,
) -> DualCertificate:
    r"""The exact optimum of the star relaxation of ``Q(M)``: a certified lower bound.

    Class ``j`` of group ``g`` is held to its marginals on ``hub`` and on its own copy of
    ``private[g]`` only; any law consistent with ``M`` (copies set equal) is feasible, so the
    relaxation's value is at most ``Q(M)``. Solved by column generation on the layer master
    (:class:`analysis.zsl.bound._LiveMaster`, rows only in scope) with exact pricing by the star
    dynamic programme (:func:`dual_lower_bound`'s bound, exact on the relaxation), Wentges
    smoothing around the best certified point. The returned certificate is in the original
    attribute space: ``b[j, i]`` for ``i`` in ``hub`` or ``private[g(j)]``, zero elsewhere, and
    is re-checked by :func:`dual_lower_bound` before it is returned.

    Parameters
    ----------
    M : array_like, shape (k, n)
    groups : list of array_like of int
        A partition of the classes.
    hub : array_like of int
        Attributes every class is held to.
    private : list of array_like of int
        Per group, extra attributes (outside the hub) its classes are held to.
    tol : float
        Stop when the master's value minus the certified lower end is at most ``tol``.
    max_iterations : int
    cpu_time_limit : float, optional
        CPU seconds (checked after each round); the best certificate so far is returned.
    smoothing : float
        Wentges weight in [0, 0.99].
    callback : callable, optional
        Called with each round's record (``iteration``, ``lower``, ``upper`` of the
        relaxation, ``cpu_seconds``, ``master_cpu_seconds``, ``pricing_cpu_seconds``).

    Returns
    -------
    DualCertificate
        ``lower <= Q(M)``; ``history`` holds the per-round records.

    Examples
    --------
    With one group and no private attributes it is ``Q`` on the hub's attributes:

    >>> from analysis.zsl import awa_like_matrix, worst_case_lower_bound
    >>> from analysis.zsl.certify import star_lower_bound
    >>> M = awa_like_matrix(5, 8, seed=2)
    >>> cert = star_lower_bound(M, [range(5)], [0, 3, 5], [[]])
    >>> bool(abs(cert.lower - worst_case_lower_bound(M[:, [0, 3, 5]]).Q) < 1e-7)
    True
    """
    from analysis.zsl.bound import _PRICING_TOL, _LiveMaster, dual_objective

    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    groups = [np.asarray(list(g), dtype=np.int64) for g in groups]
    flat = np.sort(np.concatenate(groups))
    if flat.shape != (k,) or not np.array_equal(flat, np.arange(k)):
        raise ValueError(f"groups: expected a partition of the {k} classes")
    hub = np.asarray(list(hub) if not isinstance(hub, np.ndarray) else hub, dtype=np.int64)
    private = [np.asarray(list(p), dtype=np.int64) for p in private]
    if len(private) != len(groups):
        raise ValueError(f"private: expected one attribute list per group ({len(groups)}), "
                         f"got {len(private)}")
    for p in [hub] + private:
        if p.size and (p.min() < 0 or p.max() >= n):
            raise ValueError(f"hub/private: attribute indices must lie in [0, {n})")
    if len(np.unique(hub)) != hub.size or any(
            len(np.unique(p)) != p.size or np.isin(p, hub).any() for p in private):
        raise ValueError("hub/private: expected distinct attributes, private ones outside the hub")
    widest = hub.size + max(p.size for p in private)
    if widest > MAX_STAR_ATTRIBUTES:
        raise ValueError(f"hub/private: a block spans {widest} attributes; at most "
                         f"{MAX_STAR_ATTRIBUTES} are enumerated")
    tol = check_real(tol, "tol", minimum=0.0)
    max_iterations = check_int(max_iterations, "max_iterations", minimum=1)
    smoothing = check_real(smoothing, "smoothing", minimum=0.0, maximum=0.99)
    if cpu_time_limit is not None:
        cpu_time_limit = check_real(cpu_time_limit, "cpu_time_limit", minimum=0.0,
                                    strict_min=True)

    Mx, scope, orig, owner = _expand(M, groups, hub, private)
    nx = Mx.shape[1]
    hub_x = np.flatnonzero(owner == -1)
    blocks_x = [(g, np.flatnonzero(owner == gi)) for gi, g in enumerate(groups)]
    zero = ((Mx == 0.0) & scope).astype(np.float64)
    one = ((Mx == 1.0) & scope).astype(np.float64)
    per_round = 4 * k

    def lift(a, b):  # lift_duals restricted to the scope (b stays zero outside it)
        C = 1.0 + np.abs(a) + np.abs(b).sum(axis=1)
        return a - C * one.sum(axis=1), b + C[:, None] * (one - zero)

    def price(a, b, n_best):
        total, args, VH = _star_max(a, b, hub_x, blocks_x)
        order = np.argsort(-total, kind="stable")[:n_best]
        V = np.zeros((order.size, nx), dtype=np.uint8)
        V[:, hub_x] = VH[order].astype(np.uint8)
        for (_, cols), barg in zip(blocks_x, args, strict=True):
            V[:, cols] = _vectors(cols.size)[barg[order]]
        return float(total.max()), V

    cpu_start = time.process_time()
    live = _LiveMaster(Mx, scope)
    live.add_initial(Mx)
    best_a, best_b, best_lower, best_rho = np.full(k, 1.0 / k), np.zeros((k, nx)), 1.0 / k, 1.0
    history = []
    master_cpu = pricing_cpu = 0.0
    for iteration in range(1, max_iterations + 1):
        tick = time.process_time()
        sol, _ = live.solve(f"star relaxation master (round {iteration})")
        master_cpu += time.process_time() - tick
        tick = time.process_time()
        a, b = lift(sol.a, sol.b)
        rho, new = price(a, b, per_round)
        cand = [(a, b, rho)]
        if smoothing > 0 and rho > 1.0 + _PRICING_TOL:
            a_s = smoothing * best_a + (1 - smoothing) * a
            b_s = smoothing * best_b + (1 - smoothing) * b
            rho_s, new_s = price(a_s, b_s, per_round)
            cand.append((a_s, b_s, rho_s))
            new = np.concatenate([new_s, new])
        for ca, cb, crho in cand:
            low = dual_objective(ca, cb, Mx) / max(crho, 1.0)
            if low > best_lower:
                best_a, best_b, best_lower, best_rho = ca, cb, low, crho
        pricing_cpu += time.process_time() - tick
        upper = sol.value / k
        rec = {"iteration": iteration, "lower": min(best_lower, upper), "upper": upper,
               "pricing_max": rho, "n_columns": int(live.col_vec.size),
               "cpu_seconds": time.process_time() - cpu_start,
               "master_cpu_seconds": master_cpu, "pricing_cpu_seconds": pricing_cpu}
        history.append(rec)
        if callback is not None:
            callback(rec)
        if rho <= 1.0 + _PRICING_TOL or upper - best_lower <= tol:
            break
        if cpu_time_limit is not None and rec["cpu_seconds"] > cpu_time_limit:
            break
        if live.grow(new, a, b, per_round, drop=iteration <= 100) == 0:
            break
    # back to the original attributes: each class has one copy of each attribute it sees
    b_orig = np.zeros((k, n))
    for j in range(k):
        cols = np.flatnonzero(scope[j])
        b_orig[j, orig[cols]] = best_b[j, cols]
    scale = max(best_rho, 1.0)
    cert = dual_lower_bound(M, best_a / scale, b_orig / scale, groups, hub)
    return DualCertificate(cert.a, cert.b, cert.groups, cert.hub, cert.dual_value, cert.rho,
                           cert.lower, history)


# --------------------------------------------------------------------------- storage
def save_certificate(path, M: object,
                     cert: PrimalCertificate | DualCertificate | TreeCertificate) -> None:
    """Write a certificate to ``path`` (``.npz``) with the SHA-256 of the matrix it is for.

    A :class:`PrimalCertificate` is stored as its support (bit-packed) and the nonzero
    probabilities (row, column, value); a :class:`DualCertificate` as ``a``, ``b``, the groups
    and the hub; a :class:`analysis.zsl.partition.TreeCertificate` as ``a``, ``b`` and its tree
    (per node the split attribute, -1 at leaves, and the two child ids).
    :func:`check_certificate_file` recomputes the bound from these alone.
    """
    M = validate_class_attribute_matrix(M, "M")
    if isinstance(cert, PrimalCertificate):
        rows, cols = np.nonzero(cert.probabilities)
        data = dict(kind=np.array("primal"), n=np.array(cert.vectors.shape[1]),
                    vectors=np.packbits(cert.vectors, axis=1), rows=rows.astype(np.int32),
                    cols=cols.astype(np.int32), values=cert.probabilities[rows, cols],
                    n_support=np.array(cert.vectors.shape[0]))
    elif isinstance(cert, DualCertificate):
        data = dict(kind=np.array("dual"), a=cert.a, b=cert.b, hub=cert.hub,
                    groups=np.concatenate(cert.groups),
                    sizes=np.array([len(g) for g in cert.groups]))
    elif isinstance(cert, TreeCertificate):
        data = dict(kind=np.array("tree"), a=cert.a, b=cert.b, n=np.array(cert.tree.n),
                    attribute=cert.tree.attribute.astype(np.int32),
                    children=cert.tree.children.astype(np.int32))
    else:
        raise ValueError(f"cert: expected a PrimalCertificate, DualCertificate or "
                         f"TreeCertificate, got {type(cert).__name__}")
    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, matrix_key=np.array(_matrix_key(M)), **data)

    write_atomically(path, write)


def check_certificate_file(path, M: object
                           ) -> PrimalCertificate | DualCertificate | TreeCertificate:
    """Re-check a stored certificate against ``M``: the bound recomputed from the file alone.

    Returns the recomputed :class:`PrimalCertificate` (``.upper``), :class:`DualCertificate`
    or :class:`analysis.zsl.partition.TreeCertificate` (``.lower``; the stored tree is rebuilt
    by :class:`analysis.zsl.partition.PartitionTree`, which refuses one whose leaves do not
    partition the cube, and ``rho`` is bounded over its cells by
    :func:`analysis.zsl.partition.tree_dual_bound`). A file written for another matrix is
    refused.

    Examples
    --------
    >>> import tempfile, os
    >>> from analysis.zsl import awa_like_matrix
    >>> from analysis.zsl.certify import (check_certificate_file, grouped_upper_bound,
    ...                                   save_certificate)
    >>> M = awa_like_matrix(4, 5, seed=0)
    >>> cert, _ = grouped_upper_bound(M, group_size=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "upper.npz")
    >>> save_certificate(path, M, cert)
    >>> bool(check_certificate_file(path, M).upper == cert.upper)
    True
    """
    M = validate_class_attribute_matrix(M, "M")
    k = M.shape[0]
    with np.load(path, allow_pickle=False) as z:
        if str(z["matrix_key"]) != _matrix_key(M):
            raise ValueError(f"path: {path} holds a certificate for another class-attribute matrix")
        kind = str(z["kind"])
        if kind == "primal":
            n, S = int(z["n"]), int(z["n_support"])
            V = np.unpackbits(z["vectors"], axis=1)[:, :n]
            P = np.zeros((k, S))
            P[z["rows"], z["cols"]] = z["values"]
            return primal_upper_bound(M, V, P)
        if kind == "tree":
            tree = PartitionTree(int(z["n"]), z["attribute"].astype(np.int64),
                                 z["children"].astype(np.int64))
            return tree_dual_bound(M, z["a"], z["b"], tree)
        sizes = np.cumsum(z["sizes"])[:-1]
        groups = np.split(z["groups"].astype(np.int64), sizes)
        return dual_lower_bound(M, z["a"], z["b"], groups, z["hub"])

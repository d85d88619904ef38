r"""Subcube-partition (decision-tree) lower bounds for ``Q(M)``, certified by a dual point.

The observer of a coarser experiment cannot do better. Let a decision tree on the attributes
(every internal node splits one attribute not yet fixed on its path) partition ``{0,1}^n``
into cells ``c = (F1_c, F0_c)``: the attributes fixed to 1 and to 0 on the path to leaf ``c``.
If the best map sees only the cell of ``v``, the adversary needs only the leaf masses
``q_j(c) = P(v in c | j)``, and since ``M`` constrains single-attribute marginals only, a
vector of leaf masses is realisable by a law consistent with ``M`` exactly when

.. math::

    q_j(c) \ge 0, \quad \sum_c q_j(c) = 1, \quad
    \sum_{c:\, i \in F1_c} q_j(c) \;\le\; M_{ji} \;\le\; 1 - \sum_{c:\, i \in F0_c} q_j(c)
    \quad \text{for all } j, i

(necessary: attribute ``i`` is 1 on all of a cell with ``i in F1_c``, 0 on one with
``i in F0_c``; sufficient: fill each cell with independent attributes, the unfixed ones at
conditional rates that make up the rest of ``M_ji``, which lies between the two sums). So

.. math::

    Q_T(M) = \min_q \frac1k \sum_c \max_j q_j(c) \;\le\; Q(M)

is an exact LP (any law for ``M`` induces feasible leaf masses, and
``sum_v max_j P(j, v) >= sum_c max_j P(j, c)``). The complete tree on a set ``H`` of
attributes gives ``Q(M[:, H])`` (the greedy-subset bound); splitting a leaf never lowers
``Q_T`` (the finer tree's leaf masses aggregate to feasible ones for the coarser tree). The
LP is solved in node-flow form: a mass ``x_j(u)`` per tree node, ``x_j(root) = 1``,
``x_j(u) = x_j(u_0) + x_j(u_1)`` at internal nodes, and the marginal rows
``sum_{u splits i} x_j(u_1) <= M_ji`` and ``sum_{u splits i} x_j(u_0) <= 1 - M_ji`` (on every
path ``i`` is split at most once, so these are the cell sums above).

**Certificate.** With ``y_j`` the dual of ``x_j(root) = 1`` and ``mu^+_ji, mu^-_ji >= 0`` those
of the two marginal rows, ``a_j = k y_j - k sum_i mu^-_ji`` and ``b_ji = k (mu^-_ji - mu^+_ji)``
form a dual point of the original LP (:mod:`analysis.zsl.certify`): ``Q(M) >= D(a, b) / rho``,
``D = (1/k) sum_j (a_j + b_j . m_j)``, ``rho >= max_v sum_j max(0, a_j + b_j . v)``. Since the
leaves cover ``{0,1}^n``,

.. math::

    \rho(a, b) \;\le\; \max_c \sum_j \max\Big(0,\ a_j + \sum_{i \in F1_c} b_{ji}
        + \sum_{i \notin F1_c \cup F0_c} \max(b_{ji}, 0)\Big),

computed in ``O(nodes * k)`` by one walk down the tree, with no enumeration of vectors. This
bound is exactly the leaf LP's dual constraint, so at the LP optimum ``D / rho`` equals
``Q_T`` up to the solver's tolerance. :func:`tree_dual_bound` re-checks a stored ``(a, b,
tree)`` from the matrix alone, refusing a tree whose leaves do not partition the cube (a
missing child, a node reached twice or never, an attribute split twice on one path).

:func:`grow_partition_tree` grows the tree greedily: each round solves the leaf LP, splits the
most confused leaves (largest ``sum_j q_j(c) - max_j q_j(c)``) on the unfixed attribute that
best separates the classes carrying mass there, and keeps the best certificate. Every tree
gives a valid bound; the heuristic only decides how fast it rises.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from analysis._core.solve import SolverError
from analysis._core.validate import as_array, check_choice, check_int, check_real
from analysis.zsl.data import validate_class_attribute_matrix

__all__ = [
    "HEURISTICS",
    "PartitionTree",
    "TreeCertificate",
    "grow_partition_tree",
    "tree_dual_bound",
    "tree_lower_bound",
]

#: split-attribute rules of :func:`grow_partition_tree`
HEURISTICS = ("variance", "gain")
_HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


# --------------------------------------------------------------------------- the tree
@dataclass(frozen=True, eq=False)
class PartitionTree:
    """A decision tree on ``n`` binary attributes; its leaves partition ``{0,1}^n``.

    Node 0 is the root. Node ``u`` is a leaf when ``attribute[u] == -1`` (and
    ``children[u] == (-1, -1)``), else it splits attribute ``attribute[u]`` into
    ``children[u, 0]`` (attribute 0) and ``children[u, 1]`` (attribute 1). The constructor
    checks that every node is reached exactly once from the root, that no attribute is split
    twice on one path and that every index is in range, so the leaves are a partition.

    Attributes
    ----------
    n : int
    attribute : numpy.ndarray of int64, shape (N,)
    children : numpy.ndarray of int64, shape (N, 2)
    leaves : numpy.ndarray of int64
        Leaf node ids in depth-first order (0-child first).
    depth : int
        Longest root-to-leaf path.

    Examples
    --------
    >>> from analysis.zsl import PartitionTree
    >>> t = PartitionTree.complete(3, [2, 0])
    >>> t.n_leaves, t.depth
    (4, 2)
    >>> PartitionTree(3, [1, -1], [[1, -1], [-1, -1]])
    Traceback (most recent call last):
    ...
    ValueError: tree: node 0 (attribute 1) has child 1 = -1, ...: a cell is missing
    """

    n: int
    attribute: np.ndarray
    children: np.ndarray
    leaves: np.ndarray = field(init=False, repr=False)
    depth: int = field(init=False)

    def __post_init__(self):
        n = check_int(self.n, "n", minimum=1)
        attr = np.asarray(self.attribute)
        kids = np.asarray(self.children)
        if attr.ndim != 1 or attr.size == 0 or not np.issubdtype(attr.dtype, np.integer):
            raise ValueError(f"tree: expected a non-empty 1-d integer array of node attributes, "
                             f"got {attr.dtype} of shape {attr.shape}")
        N = attr.size
        if kids.shape != (N, 2) or not np.issubdtype(kids.dtype, np.integer):
            raise ValueError(f"tree: expected children of shape ({N}, 2) (integers), got "
                             f"{kids.dtype} of shape {kids.shape}")
        attr, kids = attr.astype(np.int64), kids.astype(np.int64)
        seen = np.zeros(N, dtype=bool)
        leaves, depth = [], 0
        stack = [(0, frozenset(), 0)]
        while stack:
            u, fixed, d = stack.pop()
            if seen[u]:
                raise ValueError(f"tree: node {u} is reached twice (cells would overlap)")
            seen[u] = True
            i = int(attr[u])
            if i == -1:
                if (kids[u] != -1).any():
                    raise ValueError(f"tree: leaf {u} has children {kids[u].tolist()}, "
                                     f"expected (-1, -1)")
                leaves.append(u)
                depth = max(depth, d)
                continue
            if not 0 <= i < n:
                raise ValueError(f"tree: node {u} splits attribute {i}, expected -1 (leaf) or "
                                 f"an index in [0, {n})")
            if i in fixed:
                raise ValueError(f"tree: node {u} splits attribute {i} again on its path "
                                 f"(one of its cells would be empty)")
            for side in (1, 0):  # pushed 1 first: the 0-child is walked first
                c = int(kids[u, side])
                if not 0 <= c < N:
                    raise ValueError(f"tree: node {u} (attribute {i}) has child {side} = "
                                     f"{c}, not a node id in [0, {N}): a cell is missing")
                stack.append((c, fixed | {i}, d + 1))
        if not seen.all():
            raise ValueError(f"tree: nodes {np.flatnonzero(~seen)[:5].tolist()} are not reached "
                             f"from the root")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "attribute", attr)
        object.__setattr__(self, "children", kids)
        object.__setattr__(self, "leaves", np.asarray(leaves, dtype=np.int64))
        object.__setattr__(self, "depth", depth)

    @property
    def n_leaves(self) -> int:
        """Number of cells."""
        return int(self.leaves.size)

    @classmethod
    def complete(cls, n: int, attributes: object = ()) -> PartitionTree:
        """The complete tree splitting ``attributes`` in order (``2^len`` leaves; () one leaf)."""
        n = check_int(n, "n", minimum=1)
        attrs = [int(i) for i in attributes]
        if len(attrs) > 20:
            raise ValueError(f"attributes: a complete tree on {len(attrs)} attributes has "
                             f"2^{len(attrs)} leaves; at most 20 are allowed")
        attr, kids = [-1], [[-1, -1]]
        frontier = [0]
        for i in attrs:
            nxt = []
            for u in frontier:
                attr[u] = i
                kids[u] = [len(attr), len(attr) + 1]
                attr += [-1, -1]
                kids += [[-1, -1], [-1, -1]]
                nxt += kids[u]
            frontier = nxt
        return cls(n, np.array(attr), np.array(kids))

    def split(self, leaves: object, attributes: object) -> PartitionTree:
        """A new tree with each leaf node ``leaves[r]`` split on ``attributes[r]``."""
        attr = list(self.attribute)
        kids = [list(c) for c in self.children]
        for u, i in zip(leaves, attributes, strict=True):
            u, i = int(u), int(i)
            if not (0 <= u < len(self.attribute)) or self.attribute[u] != -1:
                raise ValueError(f"leaves: node {u} is not a leaf of this tree")
            attr[u] = i
            kids[u] = [len(attr), len(attr) + 1]
            attr += [-1, -1]
            kids += [[-1, -1], [-1, -1]]
        return PartitionTree(self.n, np.array(attr), np.array(kids))

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean ``(F1, F0)``, each of shape ``(n_leaves, n)``, in the order of ``leaves``."""
        F1 = np.zeros((self.n_leaves, self.n), dtype=bool)
        F0 = np.zeros_like(F1)
        row = {int(u): r for r, u in enumerate(self.leaves)}
        stack = [(0, [], [])]
        while stack:
            u, ones, zeros = stack.pop()
            i = int(self.attribute[u])
            if i == -1:
                F1[row[u], ones] = True
                F0[row[u], zeros] = True
                continue
            stack.append((int(self.children[u, 0]), ones, zeros + [i]))
            stack.append((int(self.children[u, 1]), ones + [i], zeros))
        return F1, F0


def _check_tree(tree: object, n: int) -> PartitionTree:
    if not isinstance(tree, PartitionTree):
        raise ValueError(f"tree: expected a PartitionTree, got {type(tree).__name__}")
    if tree.n != n:
        raise ValueError(f"tree: expected a tree on the matrix's {n} attributes, got one on "
                         f"{tree.n}")
    return tree


# --------------------------------------------------------------------------- certificate
@dataclass(frozen=True)
class TreeCertificate:
    """A dual point ``(a, b)``, the tree whose cells bound its ``rho``, and the bound.

    Attributes
    ----------
    tree : PartitionTree
    a : numpy.ndarray, shape (k,)
    b : numpy.ndarray, shape (k, n)
    dual_value : float
        ``D(a, b)`` less its rounding margin.
    rho : float
        The cell bound on ``max_v sum_j max(0, a_j + b_j . v)`` plus its rounding margin.
    lower : float
        ``D / rho``: ``Q(M) >= lower``.
    value : float or None
        The leaf LP's optimum ``Q_T(M)`` (None when only re-checked).
    leaf_mass : numpy.ndarray or None, shape (k, n_leaves)
        The LP's ``q_j(c)`` in the order of ``tree.leaves``.
    history : list of dict
        :func:`grow_partition_tree`'s per-round records.

    Examples
    --------
    One split of two classes on the attribute that separates them:

    >>> from analysis.zsl import PartitionTree, tree_lower_bound
    >>> cert = tree_lower_bound(np.array([[0.9], [0.1]]), PartitionTree.complete(1, [0]))
    >>> round(cert.lower, 9), round(cert.value, 9)  # (1 + |0.9 - 0.1|) / 2
    (0.9, 0.9)
    """

    tree: PartitionTree
    a: np.ndarray
    b: np.ndarray
    dual_value: float
    rho: float
    lower: float
    value: float | None = None
    leaf_mass: np.ndarray | None = None
    history: list = field(default_factory=list)


def _cell_rho(a: np.ndarray, b: np.ndarray, tree: PartitionTree) -> float:
    """``max_c sum_j max(0, a_j + sum_{F1_c} b_j + sum_{free} max(b_j, 0))`` by one tree walk."""
    pos = np.maximum(b, 0.0)
    neg = np.minimum(b, 0.0)
    best = -np.inf
    stack = [(0, a + pos.sum(axis=1))]
    while stack:
        u, s = stack.pop()
        i = int(tree.attribute[u])
        if i == -1:
            best = max(best, float(np.maximum(s, 0.0).sum()))
            continue
        stack.append((int(tree.children[u, 0]), s - pos[:, i]))
        stack.append((int(tree.children[u, 1]), s + neg[:, i]))
    return best


def tree_dual_bound(M: object, a: object, b: object, tree: object) -> TreeCertificate:
    r"""Certified ``Q(M) >= D(a, b) / rho`` with ``rho`` bounded over the cells of ``tree``.

    .. math::

        \rho = \max_{v} \sum_j \max(0, a_j + b_j \cdot v) \le \max_{c}
        \sum_j \max\Big(0, a_j + \sum_{i\in F1_c} b_{ji}
        + \sum_{i \notin F1_c\cup F0_c} \max(b_{ji}, 0)\Big),

    valid because the leaves of a :class:`PartitionTree` cover ``{0,1}^n`` (checked when the
    tree is built). ``D = (1/k) sum_j (a_j + b_j . m_j)``; ``(a, b) / rho`` is dual feasible,
    so weak duality gives the bound for any ``(a, b)``. A rounding margin
    ``4 eps (n + depth + k + 4) (sum |a| + sum |b|)`` (each class's score is a sum of at most
    ``n + depth + 1`` terms, the total one of ``k``) is added to ``rho`` and taken off ``D``.

    Parameters
    ----------
    M : array_like, shape (k, n)
    a : array_like, shape (k,)
    b : array_like, shape (k, n)
    tree : PartitionTree
        On ``n`` attributes.

    Returns
    -------
    TreeCertificate
        ``value`` and ``leaf_mass`` None.

    Examples
    --------
    The dual point of the leaf LP certifies its value:

    >>> from analysis.zsl import (PartitionTree, awa_like_matrix, tree_dual_bound,
    ...                           tree_lower_bound)
    >>> M = awa_like_matrix(4, 6, seed=1)
    >>> cert = tree_lower_bound(M, PartitionTree.complete(6, [0, 1, 2]))
    >>> again = tree_dual_bound(M, cert.a, cert.b, cert.tree)
    >>> bool(again.lower == cert.lower and abs(again.lower - cert.value) < 1e-8)
    True
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    a = as_array(a, "a", shape=(k,))
    b = as_array(b, "b", shape=(k, n))
    tree = _check_tree(tree, n)
    scale = float(np.abs(a).sum() + np.abs(b).sum())
    margin = 4 * float(np.finfo(float).eps) * (n + tree.depth + k + 4) * scale
    rho = _cell_rho(a, b, tree) + margin
    D = float(np.mean(a + np.einsum("ji,ji->j", b, M))) - margin
    lower = float(D / rho) if rho > 0 else 0.0
    return TreeCertificate(tree, a.copy(), b.copy(), D, float(rho), lower)


# --------------------------------------------------------------------------- the leaf LP
def _solve_leaf_lp(M: np.ndarray, tree: PartitionTree, method: str = "highs-ipm"):
    """Node-flow LP of ``Q_T``: returns ``(value, leaf masses (k, C), a, b)``."""
    k, n = M.shape
    N = tree.attribute.size
    internal = np.flatnonzero(tree.attribute >= 0)
    leaves = tree.leaves
    C = leaves.size
    nx = k * N + C  # x_j(u) at j * N + u, then t_c
    J = np.arange(k)
    # equalities: root, then flow at each internal node
    rows, cols, vals = [J], [J * N], [np.ones(k)]
    r0 = k
    for side_sign, col in ((1.0, None), (-1.0, 0), (-1.0, 1)):
        u = internal if col is None else tree.children[internal, col]
        rr = r0 + (J[:, None] * internal.size + np.arange(internal.size)[None, :])
        rows.append(rr.ravel())
        cols.append((J[:, None] * N + u[None, :]).ravel())
        vals.append(np.full(rr.size, side_sign))
    A_eq = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(k + k * internal.size, nx))
    b_eq = np.concatenate([np.ones(k), np.zeros(k * internal.size)])
    # inequalities: epigraph x_j(leaf c) - t_c <= 0, then the marginal rows
    er = (J[:, None] * C + np.arange(C)[None, :]).ravel()
    rows = [er, er]
    cols = [(J[:, None] * N + leaves[None, :]).ravel(), np.tile(k * N + np.arange(C), k)]
    vals = [np.ones(k * C), -np.ones(k * C)]
    used = np.unique(tree.attribute[internal])
    u_of = {int(i): internal[tree.attribute[internal] == i] for i in used}
    r0 = k * C
    rhs = [np.zeros(k * C)]
    for side in (1, 0):
        for pos, i in enumerate(used):
            kid = tree.children[u_of[int(i)], side]
            rr = r0 + (side == 0) * k * used.size + J * used.size + pos  # row of (side, j, i)
            rows.append(np.repeat(rr, kid.size))
            cols.append((J[:, None] * N + kid[None, :]).ravel())
            vals.append(np.ones(k * kid.size))
        m = M[:, used] if side == 1 else 1.0 - M[:, used]
        rhs.append(m.ravel())
    n_ub = k * C + 2 * k * used.size
    A_ub = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_ub, nx))
    c = np.concatenate([np.zeros(k * N), np.full(C, 1.0 / k)])
    # class j cannot reach node u when u's path fixes i to 1 where M_ji = 0 (or to 0 where
    # M_ji = 1): the marginal rows force x_j(u) = 0; fixing it in the bounds is the same LP
    # with fewer live variables (SUN's matrix is 47% zeros)
    blocked = _blocked(M, tree)  # (k, N)
    upper = np.concatenate([np.where(blocked, 0.0, np.inf).ravel(), np.full(C, np.inf)])
    bounds = np.stack([np.zeros(nx), upper], axis=1)
    for attempt in dict.fromkeys((method, "highs")):  # interior point, then the default
        res = linprog(c, A_ub=A_ub, b_ub=np.concatenate(rhs), A_eq=A_eq, b_eq=b_eq,
                      bounds=bounds, method=attempt, options=dict(_HIGHS_OPTIONS))
        if res.status == 0:
            break
    if res.status != 0:
        raise SolverError(f"leaf LP of a {C}-cell tree: HiGHS (scipy.optimize.linprog) ended "
                          f"with status {res.status} ({res.message.strip()}), not optimal")
    q = np.clip(res.x[: k * N].reshape(k, N)[:, leaves], 0.0, None)
    y = np.asarray(res.eqlin.marginals)[:k]
    lam = -np.asarray(res.ineqlin.marginals)[k * C:].clip(None, 0.0)  # mu >= 0
    mu_plus = np.zeros((k, n))
    mu_minus = np.zeros((k, n))
    mu_plus[:, used] = lam[: k * used.size].reshape(k, used.size)
    mu_minus[:, used] = lam[k * used.size:].reshape(k, used.size)
    # the dual constraints of the fixed variables were dropped; restore them as bound.py's
    # lift_duals does: raising mu+_ji where M_ji = 0 (mu-_ji where M_ji = 1) leaves the dual
    # objective unchanged and lowers every cell score with i fixed that way (never a free one)
    a, lift = k * y, 1.0 + np.abs(k * y) + k * (mu_plus + mu_minus).sum(axis=1)
    on = np.zeros(n, dtype=bool)
    on[used] = True
    mu_plus = k * mu_plus + np.where((M == 0.0) & on, lift[:, None], 0.0)
    mu_minus = k * mu_minus + np.where((M == 1.0) & on, lift[:, None], 0.0)
    return float(res.fun), q, a - mu_minus.sum(axis=1), mu_minus - mu_plus


def _blocked(M: np.ndarray, tree: PartitionTree) -> np.ndarray:
    """``(k, N)``: class ``j`` cannot emit any vector of node ``u``'s subcube."""
    k = M.shape[0]
    out = np.zeros((k, tree.attribute.size), dtype=bool)
    zero, one = M == 0.0, M == 1.0
    stack = [0]
    while stack:
        u = stack.pop()
        i = int(tree.attribute[u])
        if i == -1:
            continue
        c0, c1 = int(tree.children[u, 0]), int(tree.children[u, 1])
        out[:, c0] = out[:, u] | one[:, i]
        out[:, c1] = out[:, u] | zero[:, i]
        stack += [c0, c1]
    return out


def tree_lower_bound(M: object, tree: object) -> TreeCertificate:
    r"""``Q_T(M)``, the exact value of the game in which the map sees only the cell of ``v``.

    .. math::

        Q_T(M) = \min_{q} \frac1k \sum_c \max_j q_j(c) \quad\text{s.t.}\quad
        q \ge 0,\ \sum_c q_j(c) = 1,\
        \sum_{c: i\in F1_c} q_j(c) \le M_{ji} \le 1 - \sum_{c: i\in F0_c} q_j(c),

    with ``Q_T(M) <= Q(M)`` (see the module docstring). Solved by HiGHS
    (:func:`scipy.optimize.linprog`, feasibility tolerances 1e-10); the duals give ``(a, b)``
    and the returned ``lower`` is re-checked by :func:`tree_dual_bound`, so it is a certified
    lower bound whatever the solver's accuracy (equal to ``value`` to about 1e-9 when the
    duals are exact).

    Parameters
    ----------
    M : array_like, shape (k, n)
    tree : PartitionTree

    Returns
    -------
    TreeCertificate

    Raises
    ------
    analysis._core.solve.SolverError
        HiGHS does not report an optimum.

    Examples
    --------
    The complete tree on attributes ``H`` gives ``Q(M[:, H])``:

    >>> from analysis.zsl import (PartitionTree, awa_like_matrix, tree_lower_bound,
    ...                           worst_case_lower_bound)
    >>> M = awa_like_matrix(5, 8, seed=2)
    >>> cert = tree_lower_bound(M, PartitionTree.complete(8, [0, 3, 5]))
    >>> bool(abs(cert.lower - worst_case_lower_bound(M[:, [0, 3, 5]]).Q) < 1e-8)
    True
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    tree = _check_tree(tree, n)
    value, q, a, b = _solve_leaf_lp(M, tree)
    cert = tree_dual_bound(M, a, b, tree)
    return TreeCertificate(tree, cert.a, cert.b, cert.dual_value, cert.rho, cert.lower,
                           value, q)


# --------------------------------------------------------------------------- growth
def _split_attributes(M: np.ndarray, q: np.ndarray, F: np.ndarray,
                      heuristic: str) -> tuple[np.ndarray, np.ndarray]:
    """Per cell (rows of ``q.T``): the unfixed attribute that best separates its classes.

    Returns the attributes and their scores (the leaves are ranked by the score).

    ``variance``: the ``q``-weighted variance of ``M[:, i]`` over the classes in the cell.
    ``gain``: ``max_j q_j M_ji + max_j q_j (1 - M_ji) - max_j q_j`` (the purity gain if each
    class split at its marginal rate), ties broken by the variance.
    """
    w = q.T / np.maximum(q.sum(axis=0), 1e-300)[:, None]  # (r, k)
    mean = w @ M
    score = w @ (M * M) - mean**2  # (r, n)
    if heuristic == "gain":
        qt = q.T  # (r, k)
        gain = ((qt[:, :, None] * M[None]).max(axis=1) + (qt[:, :, None] * (1 - M)[None]).max(axis=1)
                - qt.max(axis=1)[:, None])
        score = gain + 1e-6 * score / max(float(score.max(initial=0.0)), 1e-300) * max(
            float(gain.max(initial=0.0)), 1e-12)
    score = np.where(F, -np.inf, score)
    best = np.argmax(score, axis=1)
    return best, score[np.arange(best.size), best]


def grow_partition_tree(
    M: object,
    *,
    hub: object | None = None,
    cpu_budget: float | None = 60.0,
    max_leaves: int = 4096,
    max_rounds: int = 1000,
    split_fraction: float = 0.25,
    heuristic: str = "variance",
    callback=None,
) -> TreeCertificate:
    r"""Grow a decision tree greedily and return its best certified lower bound on ``Q(M)``.

    Starts from the complete tree on ``hub`` (default: a single leaf, ``Q_T = 1/k``). Each
    round solves the leaf LP (:func:`tree_lower_bound`), ranks the leaves by their confusion
    ``sum_j q_j(c) - max_j q_j(c)`` (mass the best map loses there) and splits the top
    ``ceil(split_fraction * #confused leaves)`` (at most up to ``max_leaves`` leaves in all),
    each on the unfixed attribute chosen by ``heuristic`` (``"variance"``: largest
    ``q``-weighted variance of ``M[:, i]`` over the cell's classes; ``"gain"``: largest
    ``max_j q_j M_ji + max_j q_j (1 - M_ji) - max_j q_j``). Every round's certificate is a
    valid lower bound (``Q_T <= Q``); the best is returned. Refining never lowers ``Q_T``.

    Parameters
    ----------
    M : array_like, shape (k, n)
    hub : array_like of int, optional
        Distinct attributes of the starting complete tree (at most 16).
    cpu_budget : float, optional
        CPU seconds (``time.process_time``, checked after each round; None: no limit).
    max_leaves : int
    max_rounds : int
    split_fraction : float
        In ``(0, 1]``.
    heuristic : {"variance", "gain"}
    callback : callable, optional
        Called with each round's record (``round``, ``leaves``, ``depth``, ``value``,
        ``lower``, ``best``, ``cpu_seconds``, ``lp_cpu_seconds``).

    Returns
    -------
    TreeCertificate
        The best round's certificate; ``history`` holds every round's record.

    Examples
    --------
    >>> from analysis.zsl import awa_like_matrix, grow_partition_tree, worst_case_lower_bound
    >>> M = awa_like_matrix(4, 6, seed=0)
    >>> cert = grow_partition_tree(M, max_leaves=64, cpu_budget=None)
    >>> Q = worst_case_lower_bound(M).Q
    >>> bool(cert.lower <= Q + 1e-9), bool(cert.lower > 1 / 4)
    (True, True)
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    if hub is None:
        hub = np.zeros(0, dtype=np.int64)
    else:
        given = np.asarray(hub)
        if (given.ndim != 1 or given.dtype == bool
                or (given.size and not np.issubdtype(given.dtype, np.integer))):
            raise ValueError(f"hub: expected a 1-d array of attribute indices (integers), got "
                             f"{given.dtype} of shape {given.shape}")
        if given.size and (given.min() < 0 or given.max() >= n
                           or np.unique(given).size != given.size):
            raise ValueError(f"hub: expected distinct attribute indices in [0, {n}), got "
                             f"{given.tolist()}")
        if given.size > 16:
            raise ValueError(f"hub: at most 16 attributes (2^16 starting leaves), got {given.size}")
        hub = given.astype(np.int64)
    if cpu_budget is not None:
        cpu_budget = check_real(cpu_budget, "cpu_budget", minimum=0.0, strict_min=True)
    max_leaves = check_int(max_leaves, "max_leaves", minimum=1)
    max_rounds = check_int(max_rounds, "max_rounds", minimum=1)
    split_fraction = check_real(split_fraction, "split_fraction", minimum=0.0, maximum=1.0,
                                strict_min=True)
    heuristic = check_choice(heuristic, "heuristic", HEURISTICS)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback: expected a callable or None, got {type(callback).__name__}")
    start = time.process_time()
    tree = PartitionTree.complete(n, hub)
    best = None
    history = []
    lp_cpu = 0.0
    for rnd in range(1, max_rounds + 1):
        tick = time.process_time()
        cert = tree_lower_bound(M, tree)
        lp_cpu += time.process_time() - tick
        if best is None or cert.lower > best.lower:
            best = cert
        rec = {"round": rnd, "leaves": tree.n_leaves, "depth": tree.depth, "value": cert.value,
               "lower": cert.lower, "best": best.lower,
               "cpu_seconds": time.process_time() - start, "lp_cpu_seconds": lp_cpu}
        history.append(rec)
        if callback is not None:
            callback(rec)
        if cpu_budget is not None and rec["cpu_seconds"] >= cpu_budget:
            break
        room = max_leaves - tree.n_leaves
        if room <= 0:
            break
        q = cert.leaf_mass
        F1, F0 = tree.cells()
        fixed = F1 | F0
        confusion = q.sum(axis=0) - q.max(axis=0)
        tol = 1e-9
        cand = np.flatnonzero((confusion > tol) & ~fixed.all(axis=1))
        if cand.size == 0:
            break
        attrs, score = _split_attributes(M, q[:, cand], fixed[cand], heuristic)
        rank = confusion[cand] if heuristic == "variance" else score
        count = min(room, max(1, int(np.ceil(split_fraction * cand.size))))
        top = np.argsort(-rank, kind="stable")[:count]
        tree = tree.split(tree.leaves[cand[top]], attrs[top])
    return TreeCertificate(best.tree, best.a, best.b, best.dual_value, best.rho, best.lower,
                           best.value, best.leaf_mass, history)

r"""Nuclear-norm matrix completion and its representer decomposition (collaborative filtering).

Model: observed entries ``Omega = {(i_e, j_e)}``, ``e = 1..n``, ratings ``y_e``, squared loss,

.. math:: \hat\Theta = \arg\min_\Theta \frac1n \sum_{e} w_e\,\tfrac12 (\Theta_{i_e j_e} - y_e)^2
   + \lambda \|\Theta\|_* .

With ``Theta = U S V^T`` (compact SVD), ``U~ = U S^{1/2}``, ``V~ = V S^{1/2}`` and
``alpha_e = -w_e (Theta_{i_e j_e} - y_e) / (lambda n)``, the KKT condition
``A := sum_e alpha_e e_{i_e} e_{j_e}^T = U V^T + W`` (``U^T W = 0``, ``W V = 0``, ``||W||_2 <= 1``)
gives ``Theta = A V S V^T = U S U^T A``; averaging the two (Tsai et al. 2023, Thm 2),

.. math:: \hat\Theta_{uv} = \frac12 \sum_{e \in \Omega} \alpha_e
   \big(\mathbf 1[i_e = u] \langle \tilde V_{j_e}, \tilde V_v\rangle
   + \mathbf 1[j_e = v] \langle \tilde U_{i_e}, \tilde U_u\rangle\big).

Only entries in row ``u`` (same user) or column ``v`` (same item) get weight. Off the optimum the
identity fails by ``(1/2)[((U - A V) S V^T)_{uv} + (U S (V - A^T U)^T)_{uv}]``, which the
first two parts of :func:`nuclear_kkt_residual` control.

The default solver is soft-impute (Mazumder, Hastie & Tibshirani 2010) = proximal gradient with
step ``n`` (the Lipschitz constant of the data term is ``1/n``):
``Theta <- SVT_{lambda n}(P_Omega(y) + P_Omega^perp(Theta))``, accelerated (FISTA with adaptive
restart), with a truncated SVD of the "sparse + low rank" matrix for large shapes and warm starts.

On small dense shapes, once the rank has settled, a Newton polish finishes the solve: with
``Theta = L R^T`` and ``||Theta||_* = min (||L||_F^2 + ||R||_F^2) / 2`` (Srebro et al. 2005) the
problem at the identified rank is smooth, and a damped Newton method on ``(L, R)`` converges
quadratically where proximal gradient crawls. The polished point is kept only if the full convex KKT
residual (:func:`nuclear_kkt_residual`, including the spectral condition off the identified
subspaces) is below ``tol``, so it certifies the same optimum; otherwise soft-impute continues.

References
----------
.. [1] Tsai et al., "Representer Point Selection for Explaining Regularized High-dimensional
   Models", ICML 2023, Sec. 4 (nuclear norm / collaborative filtering).
.. [2] R. Mazumder, T. Hastie, R. Tibshirani, "Spectral Regularization Algorithms for Learning
   Large Incomplete Matrices", JMLR 2010 (soft-impute).
.. [3] N. Srebro, J. Rennie, T. Jaakkola, "Maximum-Margin Matrix Factorization", NIPS 2005
   (the factored form of the nuclear norm).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse.linalg import LinearOperator, svds

from analysis._core.validate import as_array, check_int, check_positive

#: Clarabel tolerances for the SDP reference: with 1e-9 the SDP's relative objective error reached
#: 8e-9 on random 8-16 x 8-16 instances; 1e-10 kept it below 5e-10 on 30 of them.
CLARABEL_SDP_TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}

#: Above this many entries the solver uses a truncated SVD of a sparse + low-rank operator.
DENSE_LIMIT = 40_000

#: Newton polish (dense path only) when the factors ``(L, R)`` have at most this many entries,
#: ``(m + k) r``: a dense Hessian of that order costs about 10 ms to factor.
NEWTON_LIMIT = 600

#: Soft-impute iterations before the first Newton polish, and iterations the rank must have been
#: unchanged for (well-conditioned shapes converge before the polish is tried).
NEWTON_START = 30
NEWTON_RANK_STABLE = 20
#: extra directions carried by the warm-started block power SVT beyond the current rank: 20
#: gave 626 iterations for the 20 refits of `bench_representers.py --only cf-refits` (10: 830,
#: 4: ~1700; 26: 628), the least CPU of those tried
SUBSPACE_MARGIN = 20


def check_ratings(rows, cols, values, shape, *, names=("rows", "cols", "values")):
    """Validate observed entries of a ``shape`` matrix; return ``(rows, cols, values, shape)``.

    Errors name the argument: out-of-range indices, non-integer indices, mismatched lengths,
    NaN ratings and duplicated ``(row, col)`` pairs are rejected.
    """
    if not (isinstance(shape, tuple | list) and len(shape) == 2):
        raise ValueError(f"shape: expected a (n_rows, n_cols) pair, got {shape!r}")
    m = check_int(shape[0], "shape[0]", minimum=1)
    k = check_int(shape[1], "shape[1]", minimum=1)
    out = []
    for arr, name, hi in ((rows, names[0], m), (cols, names[1], k)):
        raw = np.asarray(arr)
        if raw.ndim != 1 or raw.size == 0:
            raise ValueError(f"{name}: expected a non-empty 1-D array of indices, got shape {raw.shape}")
        if not np.issubdtype(raw.dtype, np.integer):
            if not (
                np.issubdtype(raw.dtype, np.floating)
                and np.all(np.isfinite(raw))
                and np.all(raw == np.round(raw))
            ):
                raise ValueError(f"{name}: expected integer indices, got dtype {raw.dtype}")
        idx = raw.astype(np.int64)
        if idx.min() < 0 or idx.max() >= hi:
            raise ValueError(
                f"{name}: expected indices in 0..{hi - 1}, got range [{idx.min()}, {idx.max()}]"
            )
        out.append(idx)
    rows_i, cols_i = out
    if rows_i.shape != cols_i.shape:
        raise ValueError(
            f"{names[1]}: expected {rows_i.size} indices to match {names[0]}, got {cols_i.size}"
        )
    vals = None
    if values is not None:
        vals = as_array(values, names[2], ndim=1)
        if vals.shape[0] != rows_i.shape[0]:
            raise ValueError(
                f"{names[2]}: expected {rows_i.size} ratings to match {names[0]}, got {vals.size}"
            )
        linear = rows_i * k + cols_i
        if np.unique(linear).size != linear.size:
            raise ValueError(
                f"{names[0]}, {names[1]}: expected distinct (row, col) pairs, got duplicates"
            )
    return rows_i, cols_i, vals, (m, k)


# ----------------------------------------------------------------------------------------------
# low-rank iterates


@dataclass(frozen=True)
class NuclearSolution:
    """Output of :func:`solve_nuclear`: ``Theta = U diag(s) V^T``.

    Attributes
    ----------
    U : ndarray, shape (m, r)
    s : ndarray, shape (r,)
        Positive singular values (after soft-thresholding), decreasing.
    V : ndarray, shape (k, r)
    objective : float
    kkt_residual : float
        :func:`nuclear_kkt_residual`.
    n_iter : int
        Soft-impute (proximal-gradient) iterations.
    n_newton : int
        Newton steps of the accepted polish (0 when soft-impute alone met ``tol``).

    Examples
    --------
    >>> from analysis.representers import NuclearSolution, make_lowrank_ratings, solve_nuclear
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> sol = solve_nuclear(*args)
    >>> isinstance(sol, NuclearSolution), sol.theta.shape, sol.rank, sol.U.shape, sol.V.shape
    (True, (8, 10), 4, (8, 4), (10, 4))
    >>> bool(np.allclose(sol.entries([0, 7], [1, 9]), sol.theta[[0, 7], [1, 9]]))
    True
    """

    U: np.ndarray
    s: np.ndarray
    V: np.ndarray
    objective: float
    kkt_residual: float
    n_iter: int
    n_newton: int = 0

    @property
    def theta(self) -> np.ndarray:
        """The dense matrix ``U diag(s) V^T``."""
        return (self.U * self.s) @ self.V.T

    @property
    def rank(self) -> int:
        """Number of non-zero singular values."""
        return int(self.s.size)

    def entries(self, rows, cols) -> np.ndarray:
        """``Theta[rows, cols]`` without forming the dense matrix."""
        return np.einsum("er,er->e", self.U[rows] * self.s, self.V[cols])


#: Entries per block of :func:`_entries`: two (block, r) gathers stay in the L2 cache.
ENTRY_BLOCK = 8192


def _entries(U, s, V, rows, cols):
    # np.take + einsum: 2.4x faster than U[rows] * s, V[cols] at ML-100k size (3.6 vs 8.8 ms);
    # in blocks of ENTRY_BLOCK entries the gathered rows stay in cache: another 3.3x (median
    # 6.8 -> 2.1 ms under load, issue 18 lever 4). Each entry is the same r-term einsum of the
    # same products, so the numbers are identical, bit for bit.
    Us = U * s
    n = rows.size
    if n <= ENTRY_BLOCK:
        return np.einsum("er,er->e", np.take(Us, rows, axis=0), np.take(V, cols, axis=0))
    out = np.empty(n, dtype=np.result_type(Us, V))
    for a in range(0, n, ENTRY_BLOCK):
        b = a + ENTRY_BLOCK
        out[a:b] = np.einsum("er,er->e", np.take(Us, rows[a:b], axis=0), np.take(V, cols[a:b], axis=0))
    return out


@dataclass(frozen=True, eq=False)
class ObservedEntries:
    """Validated observed entries in row-major order, with their CSR structure built once.

    Made by :func:`observed_entries`. A case-deletion experiment refits the same ratings ~160
    times with different weights: validating them (``np.unique`` over 100 000 pairs) and sorting
    them into a sparse matrix at every soft-impute iteration cost a third of each refit (issue
    18); with this structure an iteration only writes the new data array.

    Attributes
    ----------
    order : ndarray of int, shape (n,)
        ``rows[k] = caller_rows[order[k]]``: the caller's entries in row-major order.
    rows, cols, values : ndarrays, shape (n,)
        The entries in that order.
    shape : (int, int)
    indptr : ndarray of int32, shape (m + 1,)
        CSR row pointers (column indices are ``cols``).
    """

    order: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    shape: tuple
    indptr: np.ndarray
    indices: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        """Number of observed entries."""
        return int(self.rows.size)

    def csr(self, data: np.ndarray) -> sp.csr_matrix:
        """The sparse matrix with ``data`` (in this object's order) at the observed entries.

        Equal to ``csr_matrix((data, (rows, cols)))`` (scipy sorts COO input into this same
        row-major, column-sorted order), without the sort.
        """
        return sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape, copy=False)

    def entries(self, U, s, V) -> np.ndarray:
        """``Theta[rows, cols]`` of ``Theta = U diag(s) V^T``, in this object's order."""
        return _entries(U, s, V, self.rows, self.cols)


def observed_entries(rows, cols, values, shape) -> ObservedEntries:
    """Validate ratings once (:func:`check_ratings`) and build their :class:`ObservedEntries`."""
    rows, cols, values, shape = check_ratings(rows, cols, values, shape)
    return _observed(rows, cols, values, shape)


def _observed(rows, cols, values, shape) -> ObservedEntries:
    # rows/cols are validated and distinct: a lexsort gives scipy's CSR order exactly
    order = np.lexsort((cols, rows))
    r, c = rows[order], cols[order]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=indptr[1:])
    idx_type = np.int32 if max(r.size, shape[1]) < 2**31 - 1 else np.int64
    return ObservedEntries(
        order=order,
        rows=r,
        cols=c,
        values=None if values is None else values[order],
        shape=(int(shape[0]), int(shape[1])),
        indptr=indptr.astype(idx_type),
        indices=c.astype(idx_type),
    )


def _nuclear_objective(U, s, V, rows, cols, y, w, lam, n):
    resid = _entries(U, s, V, rows, cols) - y
    return float(0.5 * (w @ resid**2) / n + lam * s.sum())


def nuclear_objective(theta, rows, cols, values, lam, sample_weight=None) -> float:
    """Objective ``(1/n) sum_e w_e (Theta_e - y_e)^2 / 2 + lam ||Theta||_*`` for a dense ``theta``."""
    theta = as_array(theta, "theta", ndim=2)
    rows, cols, values, _ = check_ratings(rows, cols, values, theta.shape)
    n = rows.size
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    resid = theta[rows, cols] - values
    return float(0.5 * (w @ resid**2) / n + lam * np.linalg.svd(theta, compute_uv=False).sum())


def _svt_dense(Z, thresh):
    U, sv, Vt = np.linalg.svd(Z, full_matrices=False)
    keep = sv > thresh
    return U[:, keep], sv[keep] - thresh, Vt[keep].T


def _svt_truncated(sparse_part, factors, shape, thresh, rank_guess):
    """SVT of ``sparse_part + sum_f L_f R_f^T`` via ARPACK, growing ``k`` until the tail is cut."""
    m, k = shape
    Ls = [f[0] for f in factors]
    Rs = [f[1] for f in factors]
    L = np.hstack(Ls) if Ls else np.zeros((m, 0))
    R = np.hstack(Rs) if Rs else np.zeros((k, 0))
    csr = sparse_part.tocsr()
    csr_t = csr.T.tocsr()

    def matvec(v):
        v = np.ravel(v)
        return csr @ v + L @ (R.T @ v)

    def rmatvec(u):
        u = np.ravel(u)
        return csr_t @ u + R @ (L.T @ u)

    op = LinearOperator((m, k), matvec=matvec, rmatvec=rmatvec, dtype=float)
    n_sv = min(max(rank_guess + 6, 8), min(m, k) - 1)
    v0 = np.ones(min(m, k)) / np.sqrt(min(m, k))  # fixed start: deterministic results
    while True:
        U, sv, Vt = svds(op, k=n_sv, v0=v0, tol=0, solver="arpack")
        order = np.argsort(-sv)
        U, sv, Vt = U[:, order], sv[order], Vt[order]
        if sv[-1] <= thresh or n_sv >= min(m, k) - 1:
            break
        n_sv = min(2 * n_sv, min(m, k) - 1)
    keep = sv > thresh
    return U[:, keep], sv[keep] - thresh, Vt[keep].T


def _svt_subspace(sparse_part, factors, shape, thresh, basis):
    """Approximate SVT by one warm-started block power iteration on the right basis ``basis``.

    The outer soft-impute loop refines ``basis`` at every step (as in soft-impute-ALS), so the
    kept singular triplets converge together with the iterate; the final KKT residual is
    computed exactly. The ``p x k`` projection ``B = Q^T Z`` is decomposed through its ``p x p``
    Gram matrix, ``B B^T = W diag(sigma^2) W^T`` (half the cost of ``svd(B)`` at ``p = 36``,
    ``k = 1682``); the kept values, ``sigma > thresh``, are then accurate to
    ``eps (sigma_1 / thresh)^2`` relative, and ``V = B^T W / sigma``. Returns
    ``(U, s, V, new_basis)``; ``new_basis`` is None when the basis was too small (every singular
    value above the threshold) and the caller must fall back to ARPACK.
    """
    L = np.hstack([f[0] for f in factors])
    R = np.hstack([f[1] for f in factors])
    csr = sparse_part.tocsr()
    Y = csr @ basis + L @ (R.T @ basis)
    Q, _ = np.linalg.qr(Y)
    B = (csr.T @ Q + R @ (L.T @ Q)).T  # Q^T Z, shape (p, k)
    evals, W = np.linalg.eigh(B @ B.T)
    W = W[:, ::-1]
    sv = np.sqrt(np.maximum(evals[::-1], 0.0))
    if sv[-1] > thresh:
        return None
    keep = sv > thresh
    n_keep = int(keep.sum())
    # carry the kept directions plus a margin: the basis shrinks as the rank settles. The basis
    # only has to span them (the next step orthonormalises Z @ basis), so B^T W needs no QR.
    margin = min(n_keep + SUBSPACE_MARGIN, sv.size)
    BW = B.T @ W[:, :margin]
    V = BW[:, :n_keep] / sv[:n_keep]
    return Q @ W[:, :n_keep], sv[:n_keep] - thresh, V, BW


def nuclear_kkt_residual(U, s, V, rows, cols, values, lam, sample_weight=None, n=None) -> float:
    r"""KKT residual of ``Theta = U diag(s) V^T`` for nuclear-norm matrix completion.

    With ``A = -(1/(lam n)) P_Omega(w (Theta - y))`` the optimality conditions are
    ``A V = U``, ``A^T U = V`` and ``||(I - UU^T) A (I - VV^T)||_2 <= 1``; the residual is

    .. math:: \max(\|AV - U\|_{\max}, \|A^\top U - V\|_{\max},
       (\|P_U^\perp A P_V^\perp\|_2 - 1)_+).

    Parameters
    ----------
    U, s, V : arrays of shapes (m, r), (r,), (k, r)
        The factors of ``Theta`` (``s >= 0``).
    rows, cols, values : observed entries of the ``(m, k)`` matrix
    lam : float
    sample_weight : array_like, shape (n,), optional
    n : int, optional
        The normaliser (the number of observed entries of the full problem; default ``rows.size``).

    Returns
    -------
    float

    Examples
    --------
    >>> from analysis.representers import make_lowrank_ratings, nuclear_kkt_residual, solve_nuclear
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> sol = solve_nuclear(*args)
    >>> bool(nuclear_kkt_residual(sol.U, sol.s, sol.V, *args[:3], 0.02) < 1e-8)
    True
    >>> bool(nuclear_kkt_residual(sol.U, 2 * sol.s, sol.V, *args[:3], 0.02) > 0.1)  # not optimal
    True
    """
    U = as_array(U, "U", ndim=2, min_size=1)
    s = as_array(s, "s", ndim=1, shape=(U.shape[1],))
    if np.any(s < 0):
        raise ValueError("s: expected non-negative singular values")
    V = as_array(V, "V", ndim=2, shape=(None, U.shape[1]), min_size=1)
    rows, cols, values, _ = check_ratings(rows, cols, values, (U.shape[0], V.shape[0]))
    lam = check_positive(lam, "lam")
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, "sample_weight", ndim=1, shape=(rows.size,))
    n = rows.size if n is None else check_int(n, "n", minimum=rows.size)
    return _kkt_residual(U, s, V, rows, cols, values, lam, sample_weight, n)


def _kkt_residual(U, s, V, rows, cols, values, lam, sample_weight=None, n=None, structure=None) -> float:
    m, k = U.shape[0], V.shape[0]
    n = rows.size if n is None else n
    w = np.ones(rows.size) if sample_weight is None else sample_weight
    alpha = -w * (_entries(U, s, V, rows, cols) - values) / (lam * n)
    if structure is None:
        A = sp.csr_matrix((alpha, (rows, cols)), shape=(m, k))
    else:  # rows, cols, values, w are in the structure's order
        A = structure.csr(alpha)
    r1 = np.abs(A @ V - U).max() if U.size else 0.0
    r2 = np.abs(A.T @ U - V).max() if U.size else 0.0

    def proj_matvec(v):
        v = np.ravel(v)
        v = v - V @ (V.T @ v)
        u = A @ v
        return u - U @ (U.T @ u)

    def proj_rmatvec(u):
        u = np.ravel(u)
        u = u - U @ (U.T @ u)
        v = A.T @ u
        return v - V @ (V.T @ v)

    if m * k <= DENSE_LIMIT:
        Ad = A.toarray()
        P = Ad - U @ (U.T @ Ad)
        P = P - (P @ V) @ V.T
        top = np.linalg.norm(P, 2)
    else:
        op = LinearOperator((m, k), matvec=proj_matvec, rmatvec=proj_rmatvec, dtype=float)
        v0 = np.ones(min(m, k)) / np.sqrt(min(m, k))
        top = float(svds(op, k=1, v0=v0, tol=1e-10, return_singular_vectors=False)[0])
    return float(max(r1, r2, max(top - 1.0, 0.0)))


def solve_nuclear(
    rows,
    cols,
    values,
    shape,
    lam,
    *,
    sample_weight=None,
    warm_start: NuclearSolution | None = None,
    tol: float = 1e-10,
    max_iter: int = 5000,
    check_every: int = 10,
    newton: bool = True,
) -> NuclearSolution:
    r"""Nuclear-norm matrix completion by accelerated soft-impute.

    .. math:: \Theta_{t+1} = \mathrm{SVT}_{\lambda n}\big(Z_t - n \nabla F(Z_t)\big)
       = \mathrm{SVT}_{\lambda n}\big(P_\Omega(y) + P_\Omega^\perp(Z_t)\big)
       \text{ (unit weights)},

    with ``Z_t`` the FISTA extrapolation (restarted when it points uphill). Shapes with more than
    :data:`DENSE_LIMIT` entries use ARPACK on the sparse + low-rank operator. On the dense path,
    when soft-impute has not converged after :data:`NEWTON_START` iterations and the rank has been
    stable for :data:`NEWTON_RANK_STABLE`, a Newton polish of the factored problem at that rank
    (:func:`_newton_polish`) is tried (then again after twice as many iterations, if it failed);
    it is accepted only if the full KKT residual is ``<= tol``.

    Parameters
    ----------
    rows, cols : array_like of int, shape (n,)
        Observed entries.
    values : array_like, shape (n,)
        Ratings.
    shape : (int, int)
    lam : float
        Regularisation ``lambda > 0`` (objective with ``1/n``).
    sample_weight : array_like, shape (n,), optional
        Non-negative weights (0 deletes an entry; ``1/n`` is kept).
    warm_start : NuclearSolution, optional
        Start from this solution (case-deletion refits).
    tol : float
        Stop when the cheap KKT parts ``||AV - U||``, ``||A^T U - V||`` and the relative change
        of the iterate fall below ``tol`` (or when a Newton-polished point has the full
        :func:`nuclear_kkt_residual` below ``tol``).
    max_iter : int
    check_every : int
        Iterations between KKT checks.
    newton : bool
        Allow the Newton polish (dense path); ``False`` gives plain accelerated soft-impute.

    Returns
    -------
    NuclearSolution

    Examples
    --------
    >>> from analysis.representers import make_lowrank_ratings, solve_nuclear
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> sol = solve_nuclear(*args)
    >>> sol.theta.shape, bool(sol.kkt_residual < 1e-8)
    ((8, 10), True)
    >>> bool(np.all(sol.s > 0) and np.all(np.diff(sol.s) <= 0))  # soft-thresholded, decreasing
    True
    """
    rows, cols, values, shape = check_ratings(rows, cols, values, shape)
    lam = check_positive(lam, "lam")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_every = check_int(check_every, "check_every", minimum=1)
    if not isinstance(newton, bool | np.bool_):
        raise ValueError(f"newton: expected True or False, got {newton!r}")
    n = rows.size
    w = (
        np.ones(n)
        if sample_weight is None
        else as_array(sample_weight, "sample_weight", ndim=1, shape=(n,))
    )
    if np.any(w < 0) or np.any(w > 1):
        raise ValueError("sample_weight: expected weights in [0, 1] (soft-impute step size 1/max w)")
    obs = _observed(rows, cols, values, shape)
    return _solve_nuclear(obs, w[obs.order], lam, warm_start, tol, max_iter, check_every, newton)


def _solve_nuclear(obs: ObservedEntries, w, lam, warm_start, tol, max_iter, check_every, newton):
    """:func:`solve_nuclear` on validated entries (``w`` in ``obs``'s order; no validation)."""
    rows, cols, values, shape = obs.rows, obs.cols, obs.values, obs.shape
    n = rows.size
    m, k = shape
    dense = m * k <= DENSE_LIMIT
    thresh = lam * n

    if warm_start is None and not dense:
        # continuation from lambda_max (where Theta = 0) down to lam keeps every iterate low rank,
        # so each truncated SVD stays cheap (Mazumder et al. 2010, Sec. 5: warm starts on a path)
        observed = obs.csr(w * values)
        v0 = np.ones(min(m, k)) / np.sqrt(min(m, k))
        lam_max = float(svds(observed, k=1, v0=v0, return_singular_vectors=False)[0]) / n
        path = np.geomspace(0.5 * lam_max, lam, 8)[:-1] if lam < 0.5 * lam_max else []
        for lam_stage in path:
            warm_start = _solve_nuclear(
                obs, w, float(lam_stage), warm_start, max(tol, 1e-4), 200, 5, newton
            )
    if warm_start is None:
        U, s, V = np.zeros((m, 0)), np.zeros(0), np.zeros((k, 0))
    else:
        U, s, V = warm_start.U.copy(), warm_start.s.copy(), warm_start.V.copy()
    # extrapolated point Z = (1 + beta) Theta_t - beta Theta_{t-1}, kept as factors
    Z_factors = [(U * s, V)]
    prev = (U, s, V)
    basis = None if (dense or warm_start is None) else _extend_basis(V, k, s.size + SUBSPACE_MARGIN)
    t_mom = 1.0
    it = 0
    newton_steps, kkt = 0, None
    # the polish needs the rank settled: count iterations since it last changed
    rank_since, next_newton = 0, NEWTON_START
    # observed entries of the current iterate, cached: Z's entries are (1 + beta) cur - beta old
    obs_cur = _entries(U, s, V, rows, cols)
    z_obs = obs_cur
    for it in range(1, max_iter + 1):
        ZL = np.hstack([f[0] for f in Z_factors])
        ZR = np.hstack([f[1] for f in Z_factors])
        # gradient step with step size n: Z - n * (1/n) P_Omega(w (Z - y))
        step_values = -w * (z_obs - values)
        if dense:
            Zd = ZL @ ZR.T
            Zd[rows, cols] += step_values  # entries are distinct, so fancy indexing adds once
            U_new, s_new, V_new = _svt_dense(Zd, thresh)
        else:
            step_sparse = obs.csr(step_values)
            out = None if basis is None else _svt_subspace(step_sparse, Z_factors, shape, thresh, basis)
            if out is None:
                U_new, s_new, V_new = _svt_truncated(
                    step_sparse, Z_factors, shape, thresh, max(s.size, 1)
                )
                basis = _extend_basis(V_new, k, s_new.size + SUBSPACE_MARGIN)
            else:
                U_new, s_new, V_new, basis = out
        Up, sp_, Vp = prev = (U, s, V)
        # adaptive restart: (Z - Theta_new) . (Theta_new - Theta_old) > 0 means uphill momentum
        inner_zn = _frob_inner(ZL, ZR, U_new * s_new, V_new) - _frob_inner(
            U_new * s_new, V_new, U_new * s_new, V_new
        )
        inner_zo = _frob_inner(ZL, ZR, Up * sp_, Vp) - _frob_inner(U_new * s_new, V_new, Up * sp_, Vp)
        if inner_zn - inner_zo > 0:
            t_mom = 1.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t_mom * t_mom))
        beta = (t_mom - 1.0) / t_next
        if s_new.size != s.size:
            rank_since = it
        U, s, V = U_new, s_new, V_new
        Z_factors = [(U * ((1.0 + beta) * s), V)]
        obs_old, obs_cur = obs_cur, _entries(U, s, V, rows, cols)
        z_obs = obs_cur
        if beta > 0 and sp_.size:
            Z_factors.append((Up * (-beta * sp_), Vp))
            z_obs = (1.0 + beta) * obs_cur - beta * obs_old
        t_mom = t_next
        if it % check_every == 0 or it == max_iter:
            change = _frob_dist(U, s, V, *prev)
            scale = max(1.0, float(np.sqrt((s**2).sum())))
            if change <= tol * scale:
                if _cheap_kkt(U, V, obs_cur, rows, cols, values, w, lam, n, shape, obs) <= tol:
                    break
            if (
                newton
                and dense
                and it >= next_newton
                and it - rank_since >= NEWTON_RANK_STABLE
                and 0 < (m + k) * s.size <= NEWTON_LIMIT
            ):
                next_newton = 2 * it
                U_p, s_p, V_p, steps = _newton_polish(U, s, V, rows, cols, values, w, lam, n)
                kkt_p = _kkt_residual(U_p, s_p, V_p, rows, cols, values, lam, w, n, obs)
                if kkt_p <= tol:
                    U, s, V, newton_steps, kkt = U_p, s_p, V_p, steps, kkt_p
                    break
    if kkt is None:
        kkt = _kkt_residual(U, s, V, rows, cols, values, lam, w, n, obs)
    obj = _nuclear_objective(U, s, V, rows, cols, values, w, lam, n)
    return NuclearSolution(U, s, V, obj, kkt, it, newton_steps)


def _newton_polish(U, s, V, rows, cols, values, w, lam, n, max_steps=50):
    r"""Damped Newton on the factored problem at the rank of ``U diag(s) V^T``.

    .. math:: \min_{L, R}\ g(L, R) = \frac1{2n} \sum_e w_e
       \big(\langle L_{i_e}, R_{j_e}\rangle - y_e\big)^2
       + \frac\lambda2 \big(\|L\|_F^2 + \|R\|_F^2\big),

    whose minimisers at the optimal rank are the convex problem's, since
    ``||Theta||_* = min_{L R^T = Theta} (||L||^2 + ||R||^2) / 2`` (Srebro et al. 2005). With
    ``G = (1/n) P_Omega(w (L R^T - y))`` the gradient is ``(G R + lam L, G^T L + lam R)`` and the
    Hessian is block-sparse: ``(w_e/n) R_j R_j^T`` (row blocks of ``L``), ``(w_e/n) L_i L_i^T``
    (of ``R``), ``(w_e/n) R_j L_i^T + G_ij I`` (cross blocks), plus ``lam I``. ``g`` is constant
    along ``(L Omega, R Omega)``, ``Omega`` skew, so those directions are lifted out of the null
    space; Levenberg-Marquardt damping ``||grad||`` keeps the steps safe where the Hessian is
    indefinite. Returns ``(U, s, V, n_steps)`` of ``L R^T``; the caller certifies it.
    """
    m, k, r = U.shape[0], V.shape[0], s.size
    root = np.sqrt(s)
    L, R = U * root, V * root
    n_l, n_x = m * r, (m + k) * r
    ar = np.arange(r)
    ew = w / n
    i_up, j_up = np.triu_indices(r, 1)
    n_orbit = i_up.size

    def value_and_grad(L, R):
        resid = np.einsum("er,er->e", L[rows], R[cols]) - values
        f = 0.5 * (ew @ resid**2) + 0.5 * lam * (np.sum(L * L) + np.sum(R * R))
        G = np.zeros((m, k))
        G[rows, cols] = ew * resid
        grad = np.concatenate([(G @ R + lam * L).ravel(), (G.T @ L + lam * R).ravel()])
        return f, grad

    f, grad = value_and_grad(L, R)
    gnorm = float(np.linalg.norm(grad))
    n_steps = 0
    for _ in range(max_steps):
        grad_scale = lam * float(np.sqrt(np.sum(L * L) + np.sum(R * R)))
        if gnorm <= 1e-14 * grad_scale:
            break
        Lr, Rc = L[rows], R[cols]
        H = np.zeros((n_x, n_x))
        blocks_l = np.zeros((m, r, r))
        np.add.at(blocks_l, rows, ew[:, None, None] * Rc[:, :, None] * Rc[:, None, :])
        blocks_r = np.zeros((k, r, r))
        np.add.at(blocks_r, cols, ew[:, None, None] * Lr[:, :, None] * Lr[:, None, :])
        first_l = np.arange(m)[:, None, None] * r
        H[first_l + ar[:, None], first_l + ar] = blocks_l
        first_r = n_l + np.arange(k)[:, None, None] * r
        H[first_r + ar[:, None], first_r + ar] = blocks_r
        cross = np.zeros((m, k, r, r))
        cross[rows, cols] = ew[:, None, None] * Rc[:, :, None] * Lr[:, None, :]
        cross[rows, cols] += (ew * (np.einsum("er,er->e", Lr, Rc) - values))[:, None, None] * np.eye(r)
        cross = cross.transpose(0, 2, 1, 3).reshape(n_l, k * r)
        H[:n_l, n_l:] = cross
        H[n_l:, :n_l] = cross.T
        H[np.diag_indices(n_x)] += lam
        if n_orbit:
            orbit_l = np.zeros((m, r, n_orbit))
            orbit_l[:, j_up, np.arange(n_orbit)] = L[:, i_up]
            orbit_l[:, i_up, np.arange(n_orbit)] = -L[:, j_up]
            orbit_r = np.zeros((k, r, n_orbit))
            orbit_r[:, j_up, np.arange(n_orbit)] = R[:, i_up]
            orbit_r[:, i_up, np.arange(n_orbit)] = -R[:, j_up]
            Q, _ = np.linalg.qr(np.vstack([orbit_l.reshape(n_l, -1), orbit_r.reshape(k * r, -1)]))
            H += (np.trace(H) / n_x) * (Q @ Q.T)
        damping, factor = gnorm, None
        for _ in range(40):  # raise the damping until H + damping I is positive definite
            try:
                factor = cho_factor(H + damping * np.eye(n_x))
                break
            except np.linalg.LinAlgError:
                damping = max(10.0 * damping, 1e-8 * np.trace(H) / n_x)
        if factor is None:
            break
        direction = -cho_solve(factor, grad)
        slope = float(grad @ direction)
        t, accepted = 1.0, False
        while t >= 1e-3:
            L_new = L + t * direction[:n_l].reshape(m, r)
            R_new = R + t * direction[n_l:].reshape(k, r)
            f_new, grad_new = value_and_grad(L_new, R_new)
            # Armijo, with round-off slack: near the optimum f cannot resolve the decrease
            if f_new <= f + 1e-4 * t * slope + 4e-16 * abs(f):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break  # no descent along the damped Newton direction: hand back for certification
        gnorm_new = float(np.linalg.norm(grad_new))
        if gnorm_new >= gnorm and gnorm <= 1e-10 * grad_scale:
            break  # at the round-off floor: keep the better point
        L, R, f, grad, gnorm = L_new, R_new, f_new, grad_new, gnorm_new
        n_steps += 1
    # back to an SVD: L R^T = Q_L (T_L T_R^T) Q_R^T
    Q_l, T_l = np.linalg.qr(L)
    Q_r, T_r = np.linalg.qr(R)
    U_c, s_c, Vt_c = np.linalg.svd(T_l @ T_r.T)
    keep = s_c > s_c[0] * max(m, k) * np.finfo(float).eps if s_c.size else s_c > 0
    return Q_l @ U_c[:, keep], s_c[keep], Q_r @ Vt_c[keep].T, n_steps


def _extend_basis(V, k, p):
    """An orthonormal ``(k, p)`` basis whose first columns span ``V`` (deterministic filler)."""
    p = min(p, k)
    filler = np.cos(np.outer(np.arange(k) + 0.5, np.arange(1, p + 1)) * np.pi / k)
    Q, _ = np.linalg.qr(np.hstack([V, filler])[:, : max(p, V.shape[1])])
    return Q


def _frob_inner(L1, R1, L2, R2):
    """<L1 R1^T, L2 R2^T>_F without forming the matrices."""
    return float(np.sum((L1.T @ L2) * (R1.T @ R2)))


def _frob_dist(U, s, V, U0, s0, V0):
    sq = (
        _frob_inner(U * s, V, U * s, V)
        - 2 * _frob_inner(U * s, V, U0 * s0, V0)
        + _frob_inner(U0 * s0, V0, U0 * s0, V0)
    )
    return float(np.sqrt(max(sq, 0.0)))


def _cheap_kkt(U, V, obs, rows, cols, values, w, lam, n, shape, structure=None):
    if U.shape[1] == 0:
        return 0.0
    alpha = -w * (obs - values) / (lam * n)
    if structure is None:
        A = sp.csr_matrix((alpha, (rows, cols)), shape=shape)
    else:
        A = structure.csr(alpha)
    return float(max(np.abs(A @ V - U).max(), np.abs(A.T @ U - V).max()))


def solve_nuclear_cvxpy(
    rows, cols, values, shape, lam, *, sample_weight=None, solver="CLARABEL", **solver_options
):
    """Reference cvxpy (SDP) solve of the same problem (small shapes); returns ``(Theta, objective)``.

    Examples
    --------
    >>> from analysis.representers import make_lowrank_ratings, solve_nuclear, solve_nuclear_cvxpy
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> theta, objective = solve_nuclear_cvxpy(*args)
    >>> theta.shape, bool(np.isclose(objective, solve_nuclear(*args).objective, rtol=1e-6))
    ((8, 10), True)
    """
    import cvxpy as cp

    from analysis._core.solve import solve_problem

    rows, cols, values, shape = check_ratings(rows, cols, values, shape)
    lam = check_positive(lam, "lam")
    n = rows.size
    w = (
        np.ones(n)
        if sample_weight is None
        else as_array(sample_weight, "sample_weight", ndim=1, shape=(n,))
    )
    Theta = cp.Variable(shape)
    resid = Theta[rows, cols] - values
    problem = cp.Problem(
        cp.Minimize(0.5 * cp.sum(cp.multiply(w, cp.square(resid))) / n + lam * cp.normNuc(Theta))
    )
    solve_problem(problem, solver, what="nuclear-norm matrix completion", **solver_options)
    theta = np.asarray(Theta.value, dtype=float)
    return theta, nuclear_objective(theta, rows, cols, values, lam, w)


# ----------------------------------------------------------------------------------------------
# the decomposition


@dataclass(frozen=True)
class NuclearRepresenterResult:
    """Representer decomposition of queried entries of a nuclear-norm completion.

    Attributes
    ----------
    solution : NuclearSolution
    alpha : ndarray, shape (n_obs,)
        ``alpha_e = -(Theta_e - y_e) / (lambda n)``.
    values : ndarray, shape (n_query, n_obs)
        Contribution of observed entry ``e`` to query ``q``.
    same_user, same_item : ndarray of bool, shape (n_query, n_obs)
        Whether entry ``e`` shares the query's row (user) / column (item).
    predictions, reconstruction : ndarray, shape (n_query,)
    identity_residual, kkt_residual : float
    query_rows, query_cols : ndarray of int, shape (n_query,), optional
        The queried entries (used by :meth:`parts`).

    Examples
    --------
    >>> from analysis.representers import NuclearRepresenterResult, make_lowrank_ratings
    >>> from analysis.representers import nuclear_representers
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> res = nuclear_representers(*args, [0, 3], [1, 5])  # explain Theta[0, 1] and Theta[3, 5]
    >>> item_part, user_part = res.parts()
    >>> isinstance(res, NuclearRepresenterResult), bool(np.allclose(item_part + user_part, res.values))
    (True, True)
    >>> entries, values = res.explain(0, 1)  # the neighbourhood of (0, 1) only
    >>> bool(np.allclose(values, res.values[0, entries]))
    True
    """

    solution: NuclearSolution
    alpha: np.ndarray
    values: np.ndarray
    same_user: np.ndarray
    same_item: np.ndarray
    predictions: np.ndarray
    reconstruction: np.ndarray
    identity_residual: float
    kkt_residual: float
    rows: np.ndarray | None = field(default=None, repr=False)
    cols: np.ndarray | None = field(default=None, repr=False)
    query_rows: np.ndarray | None = field(default=None, repr=False)
    query_cols: np.ndarray | None = field(default=None, repr=False)

    def parts(self) -> tuple[np.ndarray, np.ndarray]:
        r"""The two parts of :attr:`values`: item-based (same user) and user-based (same item).

        .. math:: \text{item}_{q,e} = \tfrac12 \alpha_e \mathbf 1[i_e = u_q]
           \langle \tilde V_{j_e}, \tilde V_{v_q}\rangle, \qquad
           \text{user}_{q,e} = \tfrac12 \alpha_e \mathbf 1[j_e = v_q]
           \langle \tilde U_{i_e}, \tilde U_{u_q}\rangle,

        ``item + user = values``. The item part explains ``Theta_uv`` by the other items the user
        rated (weighted by item-embedding similarity), the user part by the other users who rated
        the item: the two sums of the decomposition in this module's docstring.

        Returns
        -------
        (item_part, user_part) : ndarrays, shape (n_query, n_obs)
        """
        if self.rows is None or self.query_rows is None:
            raise ValueError("values: this result stores no entries / queries to split its values")
        root = np.sqrt(self.solution.s)
        Ut, Vt = self.solution.U * root, self.solution.V * root
        half = 0.5 * self.alpha[None, :]
        item = half * self.same_user * (Vt[self.query_cols] @ Vt[self.cols].T)
        user = half * self.same_item * (Ut[self.query_rows] @ Ut[self.rows].T)
        return item, user

    def explain(self, user: int, item: int) -> tuple[np.ndarray, np.ndarray]:
        """Values of the observed entries sharing ``user`` or ``item`` (the only non-zero ones).

        Costs ``O(n + |N(u, v)| r)``: a scan for the neighbourhood, then one small product.

        Returns
        -------
        (entries, values) : (ndarray of int, ndarray)
            Indices into the observed entries and their representer values for ``(user, item)``.
        """
        m, k = self.solution.U.shape[0], self.solution.V.shape[0]
        user = check_int(user, "user", minimum=0, maximum=m - 1)
        item = check_int(item, "item", minimum=0, maximum=k - 1)
        if self.rows is None or self.cols is None:
            raise ValueError("user: this result stores no observed entries to explain new queries")
        entries = np.flatnonzero((self.rows == user) | (self.cols == item))
        root = np.sqrt(self.solution.s)
        Ut, Vt = self.solution.U * root, self.solution.V * root
        r, c = self.rows[entries], self.cols[entries]
        vals = (
            0.5
            * self.alpha[entries]
            * ((r == user) * (Vt[c] @ Vt[item]) + (c == item) * (Ut[r] @ Ut[user]))
        )
        return entries, vals


def nuclear_representer_values(U, s, V, rows, cols, alpha, query_rows, query_cols):
    """``values[q, e]`` of the nuclear-norm decomposition (no validation); also the masks.

    Returns
    -------
    (values, same_user, same_item)
    """
    root = np.sqrt(s)
    Ut, Vt = U * root, V * root
    same_user = rows[None, :] == query_rows[:, None]
    same_item = cols[None, :] == query_cols[:, None]
    item_sim = Vt[query_cols] @ Vt[cols].T  # <V~_v, V~_j> for each query and entry
    user_sim = Ut[query_rows] @ Ut[rows].T  # <U~_u, U~_i>
    values = 0.5 * alpha[None, :] * (same_user * item_sim + same_item * user_sim)
    return values, same_user, same_item


def nuclear_representers(
    rows,
    cols,
    values,
    shape,
    lam,
    query_rows,
    query_cols,
    *,
    solution: NuclearSolution | None = None,
    tol: float = 1e-10,
    max_iter: int = 5000,
) -> NuclearRepresenterResult:
    r"""Representer values of nuclear-norm matrix completion for queried ``(user, item)`` pairs.

    .. math:: \hat\Theta_{uv} = \frac12 \sum_{(i,j) \in \Omega} \alpha_{ij}
       \big(\mathbf 1[i = u]\langle \tilde V_j, \tilde V_v\rangle
       + \mathbf 1[j = v]\langle \tilde U_i, \tilde U_u\rangle\big),
       \quad \alpha_{ij} = -\frac{\Theta_{ij} - y_{ij}}{\lambda n}.

    Parameters
    ----------
    rows, cols, values, shape, lam
        As in :func:`solve_nuclear`.
    query_rows, query_cols : array_like of int, shape (n_query,)
        Entries to explain.
    solution : NuclearSolution, optional
        A fitted solution (skips the solve).
    tol, max_iter
        Passed to :func:`solve_nuclear`.

    Returns
    -------
    NuclearRepresenterResult

    References
    ----------
    .. [1] Tsai et al., ICML 2023, Thm 2 (nuclear-norm representer).

    Examples
    --------
    >>> from analysis.representers import make_lowrank_ratings, nuclear_representers
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> args = (ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.02)  # ..., shape, lam
    >>> res = nuclear_representers(*args, [0, 3], [1, 5])  # explain Theta[0, 1] and Theta[3, 5]
    >>> res.values.shape, bool(np.allclose(res.values.sum(axis=1), res.predictions, rtol=0, atol=1e-8))
    ((2, 40), True)
    >>> bool(np.all(res.values[~(res.same_user | res.same_item)] == 0))  # only row u and column v
    True
    """
    rows, cols, values, shape = check_ratings(rows, cols, values, shape)
    lam = check_positive(lam, "lam")
    q_rows, q_cols, _, _ = check_ratings(
        query_rows, query_cols, None, shape, names=("query_rows", "query_cols", "values")
    )
    if solution is None:
        solution = solve_nuclear(rows, cols, values, shape, lam, tol=tol, max_iter=max_iter)
    U, s, V = solution.U, solution.s, solution.V
    n = rows.size
    alpha = -(solution.entries(rows, cols) - values) / (lam * n)
    vals, same_user, same_item = nuclear_representer_values(U, s, V, rows, cols, alpha, q_rows, q_cols)
    predictions = solution.entries(q_rows, q_cols)
    reconstruction = vals.sum(axis=1)
    return NuclearRepresenterResult(
        solution=solution,
        alpha=alpha,
        values=vals,
        same_user=same_user,
        same_item=same_item,
        predictions=predictions,
        reconstruction=reconstruction,
        identity_residual=float(np.abs(predictions - reconstruction).max()),
        kkt_residual=_kkt_residual(U, s, V, rows, cols, values, lam),
        rows=rows,
        cols=cols,
        query_rows=q_rows,
        query_cols=q_cols,
    )

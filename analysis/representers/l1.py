r"""High-dimensional (l1) representers: the lasso / sparse logistic model and its decomposition.

Model (no intercept), with sample weights ``w`` (all ones unless a case-deletion refit sets some
to zero) and ``n`` the number of rows of ``X``:

.. math:: \hat\theta = \arg\min_\theta \frac1n \sum_i w_i\,\ell(\theta^\top x_i, y_i)
   + \lambda \|\theta\|_1 .

Keeping the ``1/n`` of the full data when weights are zeroed means a deleted point is dropped from
the sum without rescaling the regulariser, which is the perturbation influence functions
linearise (a uniform rescaling would shift every prediction at once and blur the ground truth).

The KKT conditions give, for every ``k`` in the support,
``theta_k = sum_i alpha_i |theta_k| x_ik`` with ``alpha_i = -w_i l'(theta . x_i, y_i) / (lambda n)``,
hence the representer decomposition of Tsai et al. (2023), Thm 1:

.. math:: \hat\theta^\top x_t = \sum_i \alpha_i \langle x_i, x_t\rangle_{|\hat\theta|},
   \qquad \langle a, b\rangle_{|\theta|} = \sum_{k \in \mathrm{supp}(\theta)} |\theta_k| a_k b_k .

Away from the optimum the identity fails by exactly
``sum_k |theta_k| x_tk (g_k + lambda sign theta_k) / lambda`` (``g`` the loss gradient), so the
identity residual is bounded by ``||theta * x_t||_1 * KKT / lambda``
(:func:`identity_residual_bound`).

References
----------
.. [1] C.-P. Tsai, J. Zhang, E. Chien, H.-F. Yu, C.-J. Hsieh, P. Ravikumar, "Representer Point
   Selection for Explaining Regularized High-dimensional Models", ICML 2023, Sec. 3, Thm 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, cg

from analysis._core.validate import as_array, check_int, check_positive
from analysis.representers.losses import (
    check_binary_labels,
    check_loss,
    curvature_bound,
    loss_derivative,
    loss_second_derivative,
    loss_value,
)
from analysis.representers.roundoff import EPS, abs_design, gamma, gradient_floor

# ----------------------------------------------------------------------------------------------
# input checks shared by the l1 and l2 modules


def check_matrix(X: object, name: str = "X"):
    """A 2-D float64 design: a dense array, or a scipy.sparse matrix kept sparse (CSR).

    A sparse input is converted to CSR float64 without densifying; its stored values must be
    finite (an explicit NaN is an error, not a missing entry) and duplicates are summed on a
    copy, so the caller's matrix is never modified.
    """
    if sp.issparse(X):
        if X.ndim != 2 or min(X.shape) == 0:
            raise ValueError(f"{name}: expected a non-empty 2-D matrix, got shape {X.shape}")
        if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)
                or X.dtype == bool):
            raise ValueError(f"{name}: expected real entries, got dtype {X.dtype}")
        out = sp.csr_matrix(X, dtype=np.float64)  # a copy unless X is CSR float64 already
        if not out.has_canonical_format:
            out = out.copy()
            out.sum_duplicates()
        bad = ~np.isfinite(out.data)
        if np.any(bad):
            raise ValueError(
                f"{name}: expected finite entries, got {int(bad.sum())} stored NaN/inf values"
            )
        return out
    return as_array(X, name, ndim=2, min_size=1)


def check_design(X: object, y: object, loss: str, name_X: str = "X", name_y: str = "y"):
    """Validate a design matrix (dense or scipy.sparse) and its targets; return ``(X, y)``.

    ``X`` comes back as float64: an ndarray, or a CSR matrix if it was sparse (see
    :func:`check_matrix`); ``y`` as a float64 array.
    """
    X = check_matrix(X, name_X)
    if loss == "logistic":
        y = check_binary_labels(y, name_y, n_samples=X.shape[0])
    else:
        y = as_array(y, name_y, ndim=1, min_size=1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"{name_y}: expected {X.shape[0]} targets to match {name_X}, got {y.shape[0]}"
            )
    return X, y


def check_test_design(X_test: object, d: int, name: str = "X_test") -> np.ndarray:
    """Validate test inputs (a 1-D vector is one test point) against ``d`` features."""
    if sp.issparse(X_test):
        X_test = check_matrix(X_test, name)
        if X_test.shape[1] != d:
            raise ValueError(f"{name}: expected {d} columns to match X, got shape {X_test.shape}")
        return X_test
    X_test = as_array(X_test, name, ndim=(1, 2), min_size=1)
    if X_test.ndim == 1:
        X_test = X_test[None, :]
    if X_test.shape[1] != d:
        raise ValueError(f"{name}: expected {d} columns to match X, got shape {X_test.shape}")
    return X_test


def check_sample_weight(sample_weight: object, n: int) -> np.ndarray:
    """Validate non-negative sample weights of length ``n`` (``None`` means all ones)."""
    if sample_weight is None:
        return np.ones(n)
    w = as_array(sample_weight, "sample_weight", ndim=1, shape=(n,))
    if np.any(w < 0):
        raise ValueError(f"sample_weight: expected non-negative weights, got min {w.min():.3g}")
    return w


#: Clarabel tolerances for the cvxpy references: its defaults (1e-8) leave ~1e-9 relative
#: objective error on these problems, too close to the 1e-8 agreement we check; 1e-10 sometimes
#: ends "optimal_inaccurate" on the logistic exp-cone form, 1e-9 did not in 50 random instances.
CLARABEL_TIGHT = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9}

# ----------------------------------------------------------------------------------------------
# objective, gradient, KKT


def l1_objective(X, y, theta, lam, loss="logistic", sample_weight=None) -> float:
    """The objective ``(1/n) sum_i w_i l(theta . x_i, y_i) + lam ||theta||_1`` (no validation)."""
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else sample_weight
    return float(w @ loss_value(X @ theta, y, loss) / n + lam * np.abs(theta).sum())


def _loss_gradient(X, y, w, theta, loss):
    n = X.shape[0]
    return X.T @ (w * loss_derivative(X @ theta, y, loss)) / n


def _kkt_violation(g: np.ndarray, theta: np.ndarray, lam: float) -> np.ndarray:
    # on the support the subgradient is exactly lam sign(theta); off it |g_k| <= lam
    on = theta != 0
    viol = np.maximum(np.abs(g) - lam, 0.0)
    viol[on] = np.abs(g[on] + lam * np.sign(theta[on]))
    return viol


def l1_kkt_residual(X, y, theta, lam, loss="logistic", sample_weight=None) -> float:
    r"""Largest violation of the l1 KKT conditions at ``theta``.

    .. math:: r = \max\Big(\max_{k:\theta_k \ne 0} |g_k + \lambda\,\mathrm{sign}\,\theta_k|,
       \ \max_{k:\theta_k = 0} (|g_k| - \lambda)_+\Big), \quad
       g = \frac1n X^\top (w \odot \ell'(X\theta, y)).

    Returns
    -------
    float
        Zero exactly at the optimum; the representer identity residual is at most
        ``||theta * x_t||_1 r / lam``.

    Examples
    --------
    >>> from analysis.representers import l1_kkt_residual, make_sparse_logistic, solve_l1
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> theta = solve_l1(data.X, data.y, 0.05).theta
    >>> bool(l1_kkt_residual(data.X, data.y, theta, 0.05) <= 1e-11)  # solve_l1's default tol
    True
    >>> bool(l1_kkt_residual(data.X, data.y, np.zeros(8), 0.05) > 0)  # theta = 0 is not optimal
    True
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    theta = as_array(theta, "theta", ndim=1, shape=(X.shape[1],))
    lam = check_positive(lam, "lam")
    w = check_sample_weight(sample_weight, X.shape[0])
    return float(_kkt_violation(_loss_gradient(X, y, w, theta, loss), theta, lam).max())


def identity_residual_bound(x_test: np.ndarray, theta: np.ndarray, kkt: float, lam: float) -> np.ndarray:
    """Bound ``||theta * x_t||_1 * kkt / lam`` on the l1 representer identity residual per test row."""
    x_test = np.atleast_2d(x_test)
    return np.abs(x_test * theta).sum(axis=1) * kkt / lam


# ----------------------------------------------------------------------------------------------
# the fast default solver: accelerated proximal gradient, then an active-set Newton polish


@dataclass(frozen=True)
class L1Solution:
    """Output of :func:`solve_l1`.

    Attributes
    ----------
    theta : ndarray, shape (d,)
    objective : float
    kkt_residual : float
        :func:`l1_kkt_residual` at ``theta``.
    n_prox_iter : int
        Proximal-gradient iterations run (0 when the warm-start polish succeeded at once).
    polished : bool
        Whether the active-set Newton polish certified the solution.
    """

    theta: np.ndarray
    objective: float
    kkt_residual: float
    n_prox_iter: int
    polished: bool


def _soft_threshold(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def _spectral_norm_sq(X: np.ndarray, w: np.ndarray) -> float:
    # ||X^T diag(w) X||_2 by power iteration from a fixed start (deterministic); the
    # backtracking in the proximal loop corrects any underestimate
    v = np.ones(X.shape[1]) / np.sqrt(X.shape[1])
    est = 0.0
    for _ in range(30):
        u = X.T @ (w * (X @ v))
        est = float(np.linalg.norm(u))
        if est == 0:
            return 1.0
        v = u / est
    return est


def _proximal_gradient(X, y, w, lam, loss, theta, tol, max_iter, abs_X=None):
    """FISTA with backtracking and gradient-based adaptive restart (O'Donoghue & Candes 2015)."""
    n = X.shape[0]
    L = max(curvature_bound(loss) * _spectral_norm_sq(X, w) / n, 1e-12)
    z = theta.copy()
    t_mom = 1.0

    def smooth(v):
        f = X @ v
        return float(w @ loss_value(f, y, loss) / n), X.T @ (w * loss_derivative(f, y, loss)) / n

    it = 0
    for it in range(1, max_iter + 1):
        fz, gz = smooth(z)
        while True:
            new = _soft_threshold(z - gz / L, lam / L)
            diff = new - z
            f_new = float(w @ loss_value(X @ new, y, loss) / n)
            if f_new <= fz + gz @ diff + 0.5 * L * (diff @ diff) + 1e-15 * abs(fz):
                break
            L *= 2.0
        if (z - new) @ (new - theta) > 0:  # momentum points uphill: restart
            t_mom = 1.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t_mom * t_mom))
        z = new + ((t_mom - 1.0) / t_next) * (new - theta)
        theta, t_mom = new, t_next
        if it % 10 == 0:
            kkt = _kkt_violation(_loss_gradient(X, y, w, theta, loss), theta, lam).max()
            if kkt <= tol or kkt <= _certifiable(X, y, w, lam, loss, theta, tol, abs_X):
                break
    return theta, it


def _value_noise(XS, y, w, lam, loss, t) -> float:
    r"""Round-off bound on the computed value of ``h(t) = (1/n) sum w l(X_S t) + lam signs . t``.

    ``gamma_{n+|S|+2}`` times the absolute sum of the terms, plus the prediction error
    ``gamma_{|S|+1} |X_S||t|`` carried through ``|l'|`` (Higham Thm 3.1, as in
    :mod:`analysis.representers.roundoff`). A decrease predicted below this cannot be seen in
    float64 function values.
    """
    n = XS.shape[0]
    f = XS @ t
    terms = float(w @ np.abs(loss_value(f, y, loss))) / n + lam * float(np.abs(t).sum())
    df = gamma(XS.shape[1] + 1) * (abs(XS) @ np.abs(t))
    return gamma(n + XS.shape[1] + 2) * terms + float(w @ (np.abs(loss_derivative(f, y, loss)) * df)) / n


#: Above this support size the Newton step on the support is solved by conjugate gradients with
#: Hessian-vector products (two sparse products each) instead of a dense ``|S| x |S|`` Hessian.
NEWTON_DENSE_LIMIT = 1500


def _newton_direction(XS, d2, g):
    """Solve ``(X_S^T diag(d2) X_S) step = g`` (dense factorisation or CG for large supports)."""
    k = XS.shape[1]
    if k <= NEWTON_DENSE_LIMIT:
        if sp.issparse(XS):
            H = (XS.T @ XS.multiply(d2[:, None])).toarray()
        else:
            H = (XS * d2[:, None]).T @ XS
        try:
            return np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(H, g, rcond=None)[0]
    op = LinearOperator((k, k), matvec=lambda v: XS.T @ (d2 * (XS @ np.ravel(v))), dtype=float)
    step, _ = cg(op, g, rtol=1e-12, atol=0.0, maxiter=max(200, k))
    return step


def _newton_on_support(X, y, w, lam, loss, support, signs, theta_s):
    """Minimise the smooth restriction ``(1/n) sum w l(X_S t) + lam signs . t`` by damped Newton.

    Steps never leave the orthant of ``signs``: a step that crosses zero is projected back onto
    it, and a point with zeroed coordinates is returned (the polish then drops them). Steps are
    damped by an Armijo line search on ``h`` while the predicted decrease ``g . step``
    is above the round-off of ``h`` (:func:`_value_noise`). Below it the function values are
    noise and cannot rank candidates (issue 13: with ``X`` scaled by 1e6 the predicted decrease
    was 1.6e-17 against ``h`` = 0.16, the search accepted a random fraction of the step and the
    polish stopped at KKT 1.8e-3 under one BLAS kernel); there the full Newton step is taken
    and kept while it lowers the gradient's max norm (Newton's local, quadratically convergent
    regime), and the iteration stops when it no longer does.
    """
    n = X.shape[0]
    XS = X[:, support]  # CSR column selection stays sparse

    def h(t):
        return float(w @ loss_value(XS @ t, y, loss) / n + lam * signs @ t)

    def grad(t):
        f = XS @ t
        return XS.T @ (w * loss_derivative(f, y, loss)) / n + lam * signs, f

    t = theta_s.copy()
    value = h(t)
    g, f = grad(t)
    for _ in range(100):
        g_max = np.abs(g).max()
        if g_max == 0.0:
            break
        step = _newton_direction(XS, w * loss_second_derivative(f, y, loss) / n, g)
        decrease = g @ step
        if not np.all(np.isfinite(step)) or not np.isfinite(decrease) or decrease <= 0:
            break
        # stay in the orthant of ``signs``: h is linear along a null direction of a
        # rank-deficient X_S and unbounded below across a coordinate's zero (a rank-3 design with
        # 4 support columns sent t to 3e13). A step that crosses zero is projected back onto the
        # orthant (those coordinates set to 0) and searched along that arc (projected Newton,
        # Bertsekas 1982); the projected point has h <= the current one, hence
        # ||t||_1 <= h / lam, and the polish drops every zeroed coordinate at once
        if np.any(step * t > 0) and np.any((t - step) * signs <= 0):
            size = 1.0
            for _ in range(60):
                cand = t - size * step
                cand[cand * signs <= 0] = 0.0
                v_c = h(cand)
                if v_c <= value - 1e-4 * (g @ (t - cand)):
                    break
                size *= 0.5
            else:
                break
            if np.any(cand == 0):
                return cand
            t, value = cand, v_c
            g, f = grad(t)
            continue
        if decrease <= 8.0 * _value_noise(XS, y, w, lam, loss, t):
            cand = t - step
            g_c, f_c = grad(cand)
            if not np.abs(g_c).max() < g_max:
                break  # Newton has converged as far as float64 allows
            t, g, f = cand, g_c, f_c
            value = h(t)
            continue
        size = 1.0
        for _ in range(40):
            cand = t - size * step
            v_c = h(cand)
            if v_c <= value - 1e-4 * size * decrease:
                break
            size *= 0.5
        else:
            break
        t, value = cand, v_c
        g, f = grad(t)
        if np.all(np.abs(size * step) <= EPS * np.abs(t)):
            break  # the step no longer changes t: nothing left to gain
    return t


def _certifiable(X, y, w, lam, loss, theta, tol, abs_X=None):
    """``max(tol, 4 x round-off floor of the KKT residual at theta)``.

    The floor (:func:`analysis.representers.roundoff.gradient_floor`) is the smallest residual
    float64 can certify. Without it an absolute ``tol`` is out of reach when ``X`` is large
    (entries ~1e6: floor ~1e-10), and the solve ran 20 000 proximal iterations and returned
    uncertified.
    """
    return max(tol, 4.0 * (gradient_floor(X, y, theta, loss, w, abs_X) + 2 * EPS * lam))


def _active_set_polish(X, y, w, lam, loss, theta, tol, max_rounds=30, abs_X=None):
    """Certify (or refine) ``theta`` by Newton on its support with fixed signs.

    The support and signs are taken from ``theta``; coordinates whose sign flips are dropped and
    off-support KKT violators are added, until the KKT residual is below ``tol``.
    Returns ``(theta, ok)``.
    """
    d = X.shape[1]
    support = np.flatnonzero(theta)
    signs = np.sign(theta[support])
    current = theta.copy()
    for _ in range(max_rounds):
        candidate = np.zeros(d)
        if support.size:
            t = _newton_on_support(X, y, w, lam, loss, support, signs, current[support])
            flipped = np.sign(t) != signs
            if np.any(flipped):
                # Newton crossed zero: drop those coordinates (they leave the support)
                keep = ~flipped
                support, signs = support[keep], signs[keep]
                current = np.zeros(d)
                current[support] = t[keep]
                continue
            candidate[support] = t
        g = _loss_gradient(X, y, w, candidate, loss)
        viol = _kkt_violation(g, candidate, lam)
        tol_c = _certifiable(X, y, w, lam, loss, candidate, tol, abs_X)
        if viol.max() <= tol_c:
            return candidate, True
        off = np.flatnonzero((candidate == 0) & (np.abs(g) > lam + tol_c))
        if off.size == 0:
            return candidate, False
        # enter the most violated coordinates, with the sign the subgradient demands
        worst = off[np.argsort(-np.abs(g[off]))[: max(1, off.size // 4 + 1)]]
        support = np.concatenate([support, worst])
        signs = np.concatenate([signs, -np.sign(g[worst])])
        current = candidate
        current[worst] = 0.0
    return current, False


def solve_l1(
    X,
    y,
    lam,
    loss: str = "logistic",
    *,
    sample_weight=None,
    theta0=None,
    tol: float = 1e-11,
    max_iter: int = 20000,
) -> L1Solution:
    r"""Solve the l1-regularised problem with the fast default solver.

    .. math:: \min_\theta \frac1n \sum_i w_i \ell(\theta^\top x_i, y_i) + \lambda\|\theta\|_1

    Accelerated proximal gradient (FISTA with backtracking and adaptive restart) identifies the
    support; an active-set Newton step on the support with fixed signs then solves the KKT
    system to float64 accuracy. With a warm start ``theta0`` (a case-deletion refit) the polish
    is tried first and usually certifies the new optimum without any proximal iteration.

    A scipy.sparse ``X`` stays sparse throughout (CSR; products, the support's columns and the
    round-off floor ``|X|`` are sparse; supports above :data:`NEWTON_DENSE_LIMIT` columns take
    conjugate-gradient Newton steps), so news20's 1 355 192 columns cost memory in proportion
    to the stored values, not to ``n d``.

    **liblinear's C.** ``LogisticRegression(penalty="l1", solver="liblinear",
    fit_intercept=False, C=C)`` minimises ``||theta||_1 + C sum_i l(theta . x_i, y_i)``; divided
    by ``C n`` this is the objective above with

    .. math:: \lambda = \frac{1}{C\,n}, \qquad C = \frac{1}{\lambda\,n},

    the same minimiser (``n`` the number of training rows). The published code runs C = 1 on
    rcv1 and gisette and C = 10 on news20 (``run_del_curve_l1_classification.sh`` of
    chepingt/High-dimensional-Representer): ``lam = 1 / n`` and ``1 / (10 n)``. On large sparse
    problems liblinear is much faster than the proximal stage here (21x at news20's size, see
    ``benchmarks/bench_representers.py``); its ``theta`` passed as ``theta0`` is certified by the
    active-set polish alone (5000 x 338 798, C = 10: 0.7 CPU s after liblinear's 2.2 s, KKT 1e-19,
    against 26 s from zero).

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, d)
    y : array_like, shape (n,)
        Labels in {-1, +1} for ``loss="logistic"``; real targets for ``"squared"``.
    lam : float
        Regularisation ``lambda > 0``.
    loss : {"logistic", "squared"}
    sample_weight : array_like, shape (n,), optional
        Non-negative weights ``w``; a deleted point has weight 0 (the ``1/n`` is kept).
    theta0 : array_like, shape (d,), optional
        Warm start.
    tol : float
        Target KKT residual (gradient units). Where float64 cannot certify that much (the
        round-off floor of the gradient, :func:`analysis.representers.roundoff.gradient_floor`,
        scales with ``|X|``), the target is 4x that floor instead.
    max_iter : int
        Cap on proximal-gradient iterations.

    Returns
    -------
    L1Solution

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm", SIAM J.
       Imaging Sci. 2009; B. O'Donoghue, E. Candes, "Adaptive restart for accelerated gradient
       schemes", Found. Comput. Math. 2015.

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic, solve_l1
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> sol = solve_l1(data.X, data.y, 0.05)
    >>> sol.polished, bool(sol.kkt_residual <= 1e-11), sol.theta.shape
    (True, True, (8,))
    >>> lam_max = np.abs(data.X.T @ data.y).max() / (2 * 30)  # ||grad at 0||_inf: l'(0) = -y / 2
    >>> bool(np.all(solve_l1(data.X, data.y, 1.01 * lam_max).theta == 0))
    True
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    w = check_sample_weight(sample_weight, X.shape[0])
    d = X.shape[1]
    theta = np.zeros(d) if theta0 is None else as_array(theta0, "theta0", ndim=1, shape=(d,)).copy()

    n_iter = 0
    ok = False
    # |X| for the round-off floor, once per solve (a sparse X would copy its data at every check)
    abs_X = abs_design(X) if sp.issparse(X) else None
    if theta0 is not None and np.any(theta != 0):
        theta, ok = _active_set_polish(X, y, w, lam, loss, theta, tol, abs_X=abs_X)
    if not ok:
        # identify the support roughly (KKT within 10 % of lam: relative, so the same at any
        # scale of X), let the active-set polish correct it, tighten if the polish fails.
        # The first stage was 1e-6 max(lam, 1e-3) absolute: at lam = 5e-5 (C = 10 on 2000 rows)
        # it ran 2250 iterations (15 CPU s) where 470 (5 s with the polish) suffice
        for stage_tol in (1e-1 * lam, 1e-5 * lam, tol):
            theta, its = _proximal_gradient(
                X, y, w, lam, loss, theta, max(stage_tol, tol), max_iter, abs_X
            )
            n_iter += its
            polished, ok = _active_set_polish(X, y, w, lam, loss, theta, tol, abs_X=abs_X)
            if ok:
                theta = polished
                break
    g = _loss_gradient(X, y, w, theta, loss)
    kkt = float(_kkt_violation(g, theta, lam).max())
    return L1Solution(theta, l1_objective(X, y, theta, lam, loss, w), kkt, n_iter, ok)


def solve_l1_cvxpy(
    X, y, lam, loss: str = "logistic", *, sample_weight=None, solver: str = "CLARABEL", **solver_options
):
    """Reference solve of the same l1 problem with cvxpy (small instances).

    Returns
    -------
    (theta, objective) : (ndarray, float)
        ``objective`` is re-evaluated in numpy at the returned ``theta``.

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic, solve_l1, solve_l1_cvxpy
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> theta, objective = solve_l1_cvxpy(data.X, data.y, 0.05)
    >>> ours = solve_l1(data.X, data.y, 0.05).objective
    >>> bool(np.isclose(objective, ours, rtol=1e-7))  # Clarabel's gap tolerance is 1e-8
    True
    """
    import cvxpy as cp

    from analysis._core.solve import solve_problem

    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    w = check_sample_weight(sample_weight, X.shape[0])
    n, d = X.shape
    theta = cp.Variable(d)
    f = X @ theta
    if loss == "logistic":
        data_term = cp.sum(cp.multiply(w, cp.logistic(-cp.multiply(y, f)))) / n
    else:
        data_term = 0.5 * cp.sum(cp.multiply(w, cp.square(f - y))) / n
    problem = cp.Problem(cp.Minimize(data_term + lam * cp.norm1(theta)))
    solve_problem(problem, solver, what=f"l1-regularised {loss} regression", **solver_options)
    value = np.asarray(theta.value, dtype=float)
    return value, l1_objective(X, y, value, lam, loss, w)


# ----------------------------------------------------------------------------------------------
# the representer decomposition


@dataclass(frozen=True)
class RepresenterResult:
    """A representer decomposition of test predictions into training-point contributions.

    Attributes
    ----------
    theta : ndarray, shape (d,)
        The fitted parameter.
    alpha : ndarray, shape (n_train,)
        Global importances ``alpha_i = -l'(theta . x_i, y_i) / (lambda n)``.
    values : ndarray, shape (n_test, n_train)
        ``values[t, i]``: contribution of training point ``i`` to prediction ``t``.
    predictions : ndarray, shape (n_test,)
        ``X_test @ theta``.
    reconstruction : ndarray, shape (n_test,)
        ``values.sum(axis=1)``; equal to ``predictions`` at the optimum.
    identity_residual : float
        ``max_t |predictions_t - reconstruction_t|``.
    kkt_residual : float
        KKT residual of ``theta`` (the identity residual tracks it).
    lam : float
    loss : str

    Examples
    --------
    >>> from analysis.representers import RepresenterResult, l1_representers, make_sparse_logistic
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> res = l1_representers(data.X, data.y, 0.05, data.X_test)
    >>> isinstance(res, RepresenterResult), res.support.size, res.alpha.shape
    (True, 3, (30,))
    >>> bool(np.allclose(res.explain(data.X_test), res.values))  # from the stored kernel features
    True
    """

    theta: np.ndarray
    alpha: np.ndarray
    values: np.ndarray
    predictions: np.ndarray
    reconstruction: np.ndarray
    identity_residual: float
    kkt_residual: float
    lam: float
    loss: str
    #: training features on the kernel's coordinates, pre-weighted (``|theta_S| * X_S`` for l1,
    #: ``X / 2`` for l2), so that explaining a new test point costs one ``(n, |S|)`` product
    kernel_features: np.ndarray | None = field(default=None, repr=False)
    kernel_index: np.ndarray | None = field(default=None, repr=False)

    @property
    def support(self) -> np.ndarray:
        """Indices of the non-zero coordinates of ``theta``."""
        return np.flatnonzero(self.theta)

    def explain(self, X_test) -> np.ndarray:
        """Representer values of new test points, shape ``(n_test, n_train)``.

        Uses the stored kernel features: ``O(n |supp|)`` per test point for the l1 model.
        """
        if self.kernel_features is None or self.kernel_index is None:
            raise ValueError("X_test: this result stores no kernel features to explain new points")
        X_test = check_test_design(X_test, self.theta.shape[0])
        return (_dense_columns(X_test, self.kernel_index) @ self.kernel_features.T) * self.alpha[None, :]


def l1_representer_values(X, alpha, theta, X_test) -> np.ndarray:
    """Representer values ``alpha_i <x_i, x_t>_{|theta|}`` for each test row (no validation).

    Only the support of ``theta`` enters, so one test point costs ``O(n |supp|)``; sparse
    inputs have their support columns densified (``n x |supp|``).
    """
    support = np.flatnonzero(theta)
    weighted = _dense_columns(X_test, support) * np.abs(theta[support])
    return (weighted @ _dense_columns(X, support).T) * alpha[None, :]


def _dense_columns(X, columns) -> np.ndarray:
    """``X[:, columns]`` as a dense array (a scipy.sparse ``*`` would be a matrix product)."""
    out = X[:, columns]
    return out.toarray() if sp.issparse(out) else out


def l1_representers(
    X,
    y,
    lam,
    X_test,
    loss: str = "logistic",
    *,
    theta=None,
    tol: float = 1e-11,
    max_iter: int = 20000,
) -> RepresenterResult:
    r"""High-dimensional representers of an l1-regularised linear model.

    .. math:: \hat\theta^\top x_t = \sum_{i=1}^n \alpha_i\,
       \langle x_i, x_t\rangle_{|\hat\theta|}, \qquad
       \alpha_i = -\frac{\ell'(\hat\theta^\top x_i, y_i)}{\lambda n}

    for :math:`\hat\theta = \arg\min \frac1n\sum_i \ell(\theta^\top x_i, y_i) +
    \lambda\|\theta\|_1` (no intercept).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Training inputs.
    y : array_like, shape (n,)
        Labels in {-1, +1} (logistic) or real targets (squared).
    lam : float
        Regularisation ``lambda > 0``.
    X_test : array_like, shape (n_test, d) or (d,)
        Points to explain.
    loss : {"logistic", "squared"}
    theta : array_like, shape (d,), optional
        A parameter already fitted (skips the solve; the KKT residual then says how good it is).
    tol, max_iter
        Passed to :func:`solve_l1`.

    Returns
    -------
    RepresenterResult

    References
    ----------
    .. [1] Tsai et al., ICML 2023, Thm 1 (high-dimensional representer for l1 regularisation).

    Examples
    --------
    >>> from analysis.representers import l1_representers, make_sparse_logistic
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> res = l1_representers(data.X, data.y, 0.05, data.X_test)
    >>> res.values.shape  # values[t, i]: training point i's share of prediction t
    (3, 30)
    >>> bool(np.allclose(res.values.sum(axis=1), res.predictions, rtol=0, atol=1e-8))
    True
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    X_test = check_test_design(X_test, X.shape[1])
    if theta is None:
        theta = solve_l1(X, y, lam, loss, tol=tol, max_iter=max_iter).theta
    else:
        theta = as_array(theta, "theta", ndim=1, shape=(X.shape[1],)).copy()
    n = X.shape[0]
    alpha = -loss_derivative(X @ theta, y, loss) / (lam * n)
    values = l1_representer_values(X, alpha, theta, X_test)
    predictions = X_test @ theta
    reconstruction = values.sum(axis=1)
    kkt = float(_kkt_violation(_loss_gradient(X, y, np.ones(n), theta, loss), theta, lam).max())
    support = np.flatnonzero(theta)
    return RepresenterResult(
        theta=theta,
        alpha=alpha,
        values=values,
        predictions=predictions,
        reconstruction=reconstruction,
        identity_residual=float(np.abs(predictions - reconstruction).max()),
        kkt_residual=kkt,
        lam=lam,
        loss=loss,
        kernel_features=_dense_columns(X, support) * np.abs(theta[support]),
        kernel_index=support,
    )

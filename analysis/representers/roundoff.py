r"""Float64 error models for the representer identities, KKT residuals and solver agreement.

Every tolerance of this topic's checks comes from here, so it is relative to the problem's scale
and holds for any BLAS kernel and thread count. The model is the standard worst-case bound for a
floating-point sum (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., Thm 3.1 /
Eq. 3.5): whatever order a kernel adds in,

.. math:: |\mathrm{fl}(\textstyle\sum_{i=1}^N a_i) - \sum_i a_i| \le \gamma_N \sum_i |a_i|,
   \qquad \gamma_N = N \epsilon / (1 - N \epsilon) \approx N \epsilon ,

with ``epsilon = 2.2e-16`` (we use the machine epsilon, twice the unit round-off, as a safety
factor of 2). A matrix product ``X @ theta`` therefore errs by at most ``gamma_d |X| |theta|``
entrywise, and errors are propagated through the loss derivative with its Lipschitz constant
(``l'' <= 1/4`` logistic, ``1`` squared). These bounds are deterministic worst cases, typically
10-1000x above the observed error, and never read off a run.

References
----------
.. [1] N. J. Higham, "Accuracy and Stability of Numerical Algorithms", SIAM 2002, Sec. 3.1.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from analysis.representers.losses import curvature_bound, loss_derivative

EPS = float(np.finfo(float).eps)


def abs_design(X):
    """``|X|`` entrywise; a scipy.sparse ``X`` stays sparse (its index arrays are shared)."""
    if sp.issparse(X):
        X = X.tocsr()
        return sp.csr_matrix((np.abs(X.data), X.indices, X.indptr), shape=X.shape)
    return np.abs(X)


def gamma(n: int | float) -> float:
    """``gamma_N = N eps / (1 - N eps)``: worst-case relative error of an ``N``-term sum."""
    ne = float(n) * EPS
    return ne / (1.0 - ne)


def derivative_error(X, y, theta, loss, abs_X=None) -> np.ndarray:
    r"""Bound on ``|fl(l'(fl(X theta))) - l'(X theta)|`` per sample.

    ``gamma_d |X||theta|`` on the prediction, times the Lipschitz constant of ``l'``, plus a few
    ulps of ``l'`` itself (``expit`` / the subtraction ``f - y``).
    """
    f = X @ theta
    abs_X = abs_design(X) if abs_X is None else abs_X
    df = gamma(X.shape[1] + 1) * (abs_X @ np.abs(theta))
    own = np.abs(loss_derivative(f, y, loss))
    if loss == "squared":
        own = own + np.abs(f) + np.abs(y)
    own = 4 * EPS * own
    return curvature_bound(loss) * df + own


def gradient_floor(X, y, theta, loss, sample_weight=None, abs_X=None) -> float:
    r"""Bound on the round-off of the computed loss gradient ``g = X^T (w l') / n`` (max norm).

    .. math:: \max_k\ \frac1n\Big[\gamma_{n+2} (|X|^\top |w \ell'|)_k
       + (|X|^\top (w\,\delta\ell'))_k\Big]

    with ``delta l'`` from :func:`derivative_error`. A KKT residual below this floor is as
    small as float64 can certify; the solvers reach it (they stop on round-off, not on an
    absolute tolerance). ``X`` may be scipy.sparse; ``abs_X`` (``|X|``, :func:`abs_design`)
    saves recomputing it when the floor is evaluated many times.
    """
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    absX = abs_design(X) if abs_X is None else abs_X
    d1 = np.abs(w * loss_derivative(X @ theta, y, loss))
    dd = w * derivative_error(X, y, theta, loss, absX)
    return float(((gamma(n + 2) * (absX.T @ d1) + absX.T @ dd) / n).max())


def l1_identity_tolerance(X, y, theta, lam, X_test, loss, kkt: float) -> np.ndarray:
    r"""Allowed ``|theta.x_t - sum_i alpha_i <x_i, x_t>_{|theta|}|`` per test row.

    Two parts: the exact-arithmetic effect of a KKT residual ``kkt`` (the bound
    ``||theta * x_t||_1 kkt / lambda`` of :func:`analysis.representers.l1.identity_residual_bound`),
    and the round-off of evaluating both sides: ``gamma_d |x_t||theta|`` for the prediction and
    ``gamma_{n+|S|+2} sum_i |alpha_i| K_it + sum_i |delta alpha_i| K_it`` for the sum, with
    ``K_it = sum_{k in S} |theta_k x_ik x_tk|`` and ``delta alpha`` from :func:`derivative_error`.
    """
    n = X.shape[0]
    S = np.flatnonzero(theta)
    Xt = np.atleast_2d(X_test)
    kernel = (np.abs(Xt[:, S]) * np.abs(theta[S])) @ np.abs(X[:, S]).T  # K_it >= 0
    alpha = np.abs(loss_derivative(X @ theta, y, loss)) / (lam * n)
    d_alpha = derivative_error(X, y, theta, loss) / (lam * n) + 2 * EPS * alpha
    pred = gamma(X.shape[1]) * (np.abs(Xt) @ np.abs(theta))
    recon = gamma(n + S.size + 2) * (kernel @ alpha) + kernel @ d_alpha
    bound = np.abs(Xt * theta).sum(axis=1) * kkt / lam
    return bound + pred + recon


def l2_identity_tolerance(X, y, theta, lam, X_test, loss, grad: float) -> np.ndarray:
    r"""Allowed ``|theta.x_t - sum_i (alpha_i/2) <x_i, x_t>|`` per test row.

    In exact arithmetic the residual is ``x_t . g / (2 lambda)`` with ``g`` the gradient of the
    objective, so ``||x_t||_1 grad / (2 lambda)`` bounds it (``grad`` the max-norm stationarity
    residual); round-off as in :func:`l1_identity_tolerance` with the full kernel.
    """
    n, d = X.shape
    Xt = np.atleast_2d(X_test)
    kernel = 0.5 * np.abs(Xt) @ np.abs(X).T
    alpha = np.abs(loss_derivative(X @ theta, y, loss)) / (lam * n)
    d_alpha = derivative_error(X, y, theta, loss) / (lam * n) + 2 * EPS * alpha
    pred = gamma(d) * (np.abs(Xt) @ np.abs(theta))
    recon = gamma(n + d + 2) * (kernel @ alpha) + kernel @ d_alpha
    return np.abs(Xt).sum(axis=1) * grad / (2 * lam) + pred + recon


def _entry_error(U, s, V, rows, cols, values):
    # |fl(Theta_e - y_e) - (Theta_e - y_e)| for Theta_e = sum_r U_ir s_r V_jr
    r = s.size
    mag = (np.abs(U[rows]) * s * np.abs(V[cols])).sum(axis=1)
    return gamma(r + 2) * mag + EPS * np.abs(values)


def nuclear_kkt_floor(U, s, V, rows, cols, values, lam, sample_weight=None, n=None) -> float:
    r"""Bound on the round-off of the first two KKT parts ``||AV - U||_max``, ``||A^T U - V||_max``.

    ``A = -(1/(lam n)) P_Omega(w (Theta - y))``: each ``alpha_e`` errs by
    ``|delta(Theta_e - y_e)| / (lam n)`` (:func:`_entry_error`) plus an ulp; each entry of ``AV``
    is a sum over the row's observed entries (``gamma_{deg+1}``), then ``U`` is subtracted.
    """
    m, k = U.shape[0], V.shape[0]
    n = rows.size if n is None else n
    w = np.ones(rows.size) if sample_weight is None else np.asarray(sample_weight, float)
    if s.size == 0:
        return 0.0
    resid = np.abs((U[rows] * s * V[cols]).sum(axis=1) - values)
    a = w * resid / (lam * n)
    da = w * _entry_error(U, s, V, rows, cols, values) / (lam * n) + 2 * EPS * a
    deg_r = np.bincount(rows, minlength=m)
    deg_c = np.bincount(cols, minlength=k)
    av = np.zeros((m, s.size))
    np.add.at(av, rows, (a[:, None] * gamma(deg_r.max() + 1) + da[:, None]) * np.abs(V[cols]))
    atu = np.zeros((k, s.size))
    np.add.at(atu, cols, (a[:, None] * gamma(deg_c.max() + 1) + da[:, None]) * np.abs(U[rows]))
    return float(max((av + EPS * np.abs(U)).max(), (atu + EPS * np.abs(V)).max()))


def nuclear_identity_tolerance(
    U, s, V, rows, cols, values, lam, q_rows, q_cols, kkt_parts
) -> np.ndarray:
    r"""Allowed identity residual per query for the nuclear-norm decomposition.

    Exact-arithmetic part: the residual is ``(1/2)[((U - AV) S V^T)_uv + (U S (V - A^T U)^T)_uv]``,
    at most ``(1/2)(||s V_v||_1 + ||U_u s||_1) r`` for KKT parts ``r`` (``kkt_parts``: the max of
    ``||AV - U||_max`` and ``||A^T U - V||_max``). Round-off: ``gamma_{n+r+2}`` times the absolute
    sum of all terms, the ``alpha`` errors times the kernel, and ``gamma_{r+2}`` on the prediction.
    """
    n = rows.size
    root = np.sqrt(s)
    Ua, Va = np.abs(U) * root, np.abs(V) * root
    resid = np.abs((U[rows] * s * V[cols]).sum(axis=1) - values)
    a = resid / (lam * n)
    da = _entry_error(U, s, V, rows, cols, values) / (lam * n) + 2 * EPS * a
    same_u = rows[None, :] == q_rows[:, None]
    same_i = cols[None, :] == q_cols[:, None]
    kernel = 0.5 * (same_u * (Va[q_cols] @ Va[cols].T) + same_i * (Ua[q_rows] @ Ua[rows].T))
    pred = gamma(s.size + 2) * (np.abs(U[q_rows]) * s * np.abs(V[q_cols])).sum(axis=1)
    recon = gamma(n + s.size + 2) * (kernel @ a) + kernel @ da
    exact = 0.5 * ((np.abs(V[q_cols]) * s).sum(axis=1) + (np.abs(U[q_rows]) * s).sum(axis=1)) * kkt_parts
    return exact + pred + recon


def restricted_curvature(X, y, theta, loss, sample_weight=None) -> float:
    r"""Smallest eigenvalue ``mu`` of the loss Hessian on the support of ``theta``.

    .. math:: \mu = \lambda_{\min}\Big(\frac1n X_S^\top \mathrm{diag}(w\,\ell'') X_S\Big)

    Two points of the same support whose KKT residuals (max norm) are ``r_1``, ``r_2`` differ by
    at most ``sqrt(|S|) (r_1 + r_2) / mu`` in the Euclidean norm (strong convexity on the
    support); :func:`l1_distance_bound` returns that.
    """
    from analysis.representers.losses import loss_second_derivative

    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    S = np.flatnonzero(theta)
    if S.size == 0:
        return np.inf
    XS = X[:, S]
    if sp.issparse(XS):
        XS = XS.toarray()  # n x |S|: the support is small where this bound is used
    H = (XS * (w * loss_second_derivative(X @ theta, y, loss))[:, None]).T @ XS / n
    return float(np.linalg.eigvalsh(H)[0])


def l1_distance_bound(X, y, theta, loss, kkt_sum: float, sample_weight=None) -> float:
    """``sqrt(|S|) kkt_sum / mu``: distance between two KKT points of the same support."""
    mu = restricted_curvature(X, y, theta, loss, sample_weight)
    return float(np.sqrt(max(np.count_nonzero(theta), 1)) * kkt_sum / mu)


def clarabel_gap(settings: dict, objective: float) -> float:
    """Clarabel's objective accuracy ``tol_gap_abs + tol_gap_rel |obj|`` (defaults 1e-8)."""
    return settings.get("tol_gap_abs", 1e-8) + settings.get("tol_gap_rel", 1e-8) * abs(objective)


def nuclear_suboptimality(sol, lam: float) -> float:
    r"""Bound on ``F(Theta) - F*`` for a solution whose KKT residual is ``sol.kkt_residual``.

    With ``A = U V^T + W - E`` (``E`` collects the KKT violations), convexity gives
    ``F(Theta) - F* <= lam <E~, Theta - Theta*>`` for the residual subgradient ``E~``, at most
    ``lam ||E~||_2 ||Theta - Theta*||_*``; we bound ``||E~||_2 <= sqrt(m k) r`` and
    ``||Theta - Theta*||_* <= 2 ||Theta||_*`` (a near-optimal point and the optimum have nuclear
    norms of the same size; the factor 2 is a safety margin), and add the objective's round-off.
    """
    m, k = sol.U.shape[0], sol.V.shape[0]
    nuc = max(float(sol.s.sum()), EPS)
    return 2 * lam * np.sqrt(m * k) * sol.kkt_residual * nuc + gamma(m * k) * abs(sol.objective)


def observed_distance_bound(n: int, suboptimality: float) -> float:
    r"""``||P_Omega(Theta_1 - Theta_2)||_2 <= sqrt(2 n g_1) + sqrt(2 n g_2)``.

    The data term ``(1/2n)||P_Omega(Theta) - y||^2`` is exactly quadratic in the observed
    entries and the nuclear norm is convex, so ``F(Theta) - F* >= ||P_Omega(Theta - Theta*)||^2
    / (2n)``; pass ``g_1 + g_2`` (sum of suboptimalities) for a conservative single number.
    """
    return float(2 * np.sqrt(2 * n * max(suboptimality, 0.0)))

r"""The l2 representer theorem of Yeh et al. (2018) for a linear last layer.

Model (no intercept):

.. math:: \hat\theta = \arg\min_\theta \frac1n \sum_i \ell(\theta^\top x_i, y_i)
   + \lambda \|\theta\|_2^2 .

Stationarity ``(1/n) sum_i l'_i x_i + 2 lambda theta = 0`` gives, with
``alpha_i = -l'(theta . x_i, y_i) / (lambda n)`` (the spec's scaling),

.. math:: \hat\theta^\top x_t = \sum_i \frac{\alpha_i}{2} \langle x_i, x_t\rangle .

Yeh et al. write the same thing with ``alpha_i = -l'_i / (2 lambda n)``; the values are identical.
In a deep network ``x`` is the last-layer feature; here the features are given.

References
----------
.. [1] C.-K. Yeh, J. S. Kim, I. E. H. Yen, P. Ravikumar, "Representer Point Selection for
   Explaining Deep Neural Networks", NeurIPS 2018, Thm 3.1.
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import as_array, check_int, check_positive
from analysis.representers.l1 import (
    RepresenterResult,
    check_design,
    check_sample_weight,
    check_test_design,
)
from analysis.representers.losses import (
    check_loss,
    loss_derivative,
    loss_second_derivative,
    loss_value,
)
from analysis.representers.roundoff import gamma


def l2_objective(X, y, theta, lam, loss="logistic", sample_weight=None) -> float:
    """``(1/n) sum_i w_i l(theta . x_i, y_i) + lam ||theta||_2^2`` (no validation)."""
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else sample_weight
    return float(w @ loss_value(X @ theta, y, loss) / n + lam * theta @ theta)


def l2_gradient_norm(X, y, theta, lam, loss="logistic", sample_weight=None) -> float:
    """Stationarity residual ``||(1/n) X^T (w l') + 2 lam theta||_inf`` (no validation)."""
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else sample_weight
    g = X.T @ (w * loss_derivative(X @ theta, y, loss)) / n + 2 * lam * theta
    return float(np.abs(g).max())


def _solve_or_lstsq(A, b):
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


def solve_l2(
    X,
    y,
    lam,
    loss: str = "logistic",
    *,
    sample_weight=None,
    theta0=None,
    tol: float | None = None,
    max_iter: int = 100,
) -> np.ndarray:
    """Solve the l2-regularised problem by damped Newton (strongly convex, so it converges fast).

    With ``tol=None`` (default) Newton runs to the round-off floor: it stops when a step that
    the objective can no longer resolve fails to shrink the stationarity residual, so the result
    is as stationary as float64 allows on any BLAS kernel (an absolute ``tol`` such as 1e-13
    would stop at a kernel-dependent point above that floor). A number ``tol`` stops as soon as
    ``||grad||_inf <= tol``.

    Works in the dual dimension ``min(n, d)``: when ``d > n`` the Newton system is solved via
    the Woodbury identity so a step costs ``O(n^2 d)``.

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> from analysis.representers import solve_l2
    >>> X = np.random.default_rng(0).standard_normal((20, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5])
    >>> theta = solve_l2(X, y, 0.1, loss="squared")  # ridge: (X^T X / n + 2 lam I) theta = X^T y / n
    >>> bool(np.allclose(theta, np.linalg.solve(X.T @ X / 20 + 0.2 * np.eye(3), X.T @ y / 20)))
    True
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = 0.0 if tol is None else check_positive(tol, "tol")
    n, d = X.shape
    w = check_sample_weight(sample_weight, n)
    theta = np.zeros(d) if theta0 is None else as_array(theta0, "theta0", ndim=1, shape=(d,)).copy()

    def objective(t):
        return l2_objective(X, y, t, lam, loss, w)

    value = objective(theta)
    gnorm, previous, roundoff_step = np.inf, theta, False
    for _ in range(max_iter):
        f = X @ theta
        g = X.T @ (w * loss_derivative(f, y, loss)) / n + 2 * lam * theta
        g_new = float(np.abs(g).max())
        if g_new <= tol:
            break
        if roundoff_step and g_new >= gnorm:
            # a step accepted on round-off did not shrink the gradient: the previous point is
            # as stationary as float64 can make it
            theta = previous
            break
        gnorm, previous = g_new, theta
        c = w * loss_second_derivative(f, y, loss) / n
        # lam can be negligible against |X|^2 (features of size 1e6): the Hessian is then
        # singular in float64 although strongly convex in exact arithmetic, and LU may report it
        # (kernel-dependent: OPENBLAS_CORETYPE=Haswell did); least squares gives the Newton step
        if d <= n:
            H = (X * c[:, None]).T @ X + 2 * lam * np.eye(d)
            step = _solve_or_lstsq(H, g)
        else:
            # (2 lam I + X^T C X)^{-1} g = (g - X^T (C^{-1} 2 lam + X X^T)^{-1} X g) / (2 lam),
            # written with sqrt(C) to stay stable when some curvatures vanish
            s = np.sqrt(c)
            Xs = X * s[:, None]
            K = Xs @ Xs.T + 2 * lam * np.eye(n)
            step = (g - Xs.T @ _solve_or_lstsq(K, Xs @ g)) / (2 * lam)
        size, decrease = 1.0, g @ step
        # near the optimum the decrease (~ |g|^2 / lam) falls below the round-off of the
        # objective; Armijo then rejects every step and the solve would stall at |g| ~ 1e-10
        # depending on the BLAS kernel. Allow that round-off (gamma_{n+d} of the objective's
        # absolute terms) and let the gradient test above decide whether the step helped.
        slack = gamma(n + d + 2) * (float(w @ np.abs(loss_value(f, y, loss))) / n + lam * theta @ theta)
        for _ in range(40):
            cand = theta - size * step
            v_c = objective(cand)
            if v_c <= value - 1e-4 * size * decrease + slack:
                break
            size *= 0.5
        else:
            break
        roundoff_step = v_c > value - 1e-4 * size * decrease
        theta, value = cand, v_c
    return theta


def solve_l2_cvxpy(X, y, lam, loss: str = "logistic", *, solver: str = "CLARABEL", **solver_options):
    """Reference cvxpy solve of the l2 problem; returns ``(theta, objective)``.

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic, solve_l2, solve_l2_cvxpy
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> theta, objective = solve_l2_cvxpy(data.X, data.y, 0.05)
    >>> t = solve_l2(data.X, data.y, 0.05)
    >>> ours = np.mean(np.logaddexp(0.0, -data.y * (data.X @ t))) + 0.05 * t @ t
    >>> bool(np.isclose(objective, ours, rtol=1e-7))  # Clarabel's gap tolerance is 1e-8
    True
    """
    import cvxpy as cp

    from analysis._core.solve import solve_problem

    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    n, d = X.shape
    theta = cp.Variable(d)
    f = X @ theta
    if loss == "logistic":
        data_term = cp.sum(cp.logistic(-cp.multiply(y, f))) / n
    else:
        data_term = 0.5 * cp.sum_squares(f - y) / n
    problem = cp.Problem(cp.Minimize(data_term + lam * cp.sum_squares(theta)))
    solve_problem(problem, solver, what=f"l2-regularised {loss} regression", **solver_options)
    value = np.asarray(theta.value, dtype=float)
    return value, l2_objective(X, y, value, lam, loss)


def l2_representer_values(X, alpha, X_test) -> np.ndarray:
    """``values[t, i] = (alpha_i / 2) <x_i, x_t>`` (no validation)."""
    return 0.5 * (X_test @ X.T) * alpha[None, :]


def l2_representers(
    X, y, lam, X_test, loss: str = "logistic", *, theta=None, tol: float | None = None
) -> RepresenterResult:
    r"""Representer points of Yeh et al. (2018) for an l2-regularised linear model.

    .. math:: \hat\theta^\top x_t = \sum_i \frac{\alpha_i}{2}\langle x_i, x_t\rangle,
       \qquad \alpha_i = -\frac{\ell'(\hat\theta^\top x_i, y_i)}{\lambda n}

    Parameters
    ----------
    X, y, lam, X_test, loss
        As in :func:`analysis.representers.l1.l1_representers`, with ``lam ||theta||_2^2``.
    theta : array_like, optional
        A fitted parameter (skips the solve).
    tol : float, optional
        Stationarity tolerance of :func:`solve_l2` (default: run to the round-off floor).

    Returns
    -------
    RepresenterResult
        ``kkt_residual`` is the stationarity residual ``||grad||_inf``.

    References
    ----------
    .. [1] Yeh et al., NeurIPS 2018, Thm 3.1.

    Examples
    --------
    >>> from analysis.representers import l2_representers, make_sparse_logistic
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> res = l2_representers(data.X, data.y, 0.05, data.X_test)
    >>> res.values.shape  # values[t, i]: training point i's share of prediction t
    (3, 30)
    >>> bool(np.allclose(res.values.sum(axis=1), data.X_test @ res.theta, rtol=0, atol=1e-10))
    True
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    X_test = check_test_design(X_test, X.shape[1])
    if theta is None:
        theta = solve_l2(X, y, lam, loss, tol=tol)
    else:
        theta = as_array(theta, "theta", ndim=1, shape=(X.shape[1],)).copy()
    n = X.shape[0]
    alpha = -loss_derivative(X @ theta, y, loss) / (lam * n)
    values = l2_representer_values(X, alpha, X_test)
    predictions = X_test @ theta
    reconstruction = values.sum(axis=1)
    return RepresenterResult(
        theta=theta,
        alpha=alpha,
        values=values,
        predictions=predictions,
        reconstruction=reconstruction,
        identity_residual=float(np.abs(predictions - reconstruction).max()),
        kkt_residual=l2_gradient_norm(X, y, theta, lam, loss),
        lam=lam,
        loss=loss,
        kernel_features=0.5 * X,
        kernel_index=np.arange(X.shape[1]),
    )

r"""Weakly regularised continual learning and its :math:`\lambda \to 0` reduction to SMM.

Evron et al. (2023), Scheme 1: at iteration :math:`t` the learner minimises the current task's
loss plus a proximity term to the previous iterate,

.. math:: w_t^\lambda = \arg\min_w \; \mathcal L_{\tau(t)}(w) + \tfrac{\lambda}{2}
          \|w - w_{t-1}^\lambda\|^2, \qquad
          \mathcal L_m(w) = \sum_{(x, y) \in S_m} \ell(y\, w^\top x),

with the logistic loss :math:`\ell(m) = \log(1 + e^{-m})` (or the exponential loss
:math:`e^{-m}`). Their main reduction is
:math:`\lim_{\lambda \to 0} w_t^\lambda / \ln(1/\lambda) = w_t`, the SMM iterate. The
correction is of order :math:`\ln\ln(1/\lambda) / \ln(1/\lambda)`, so convergence is
logarithmically slow.

Numerics. Every minimiser has norm :math:`\approx \ln(1/\lambda)\|w_t\|` and losses of order
:math:`\lambda`, far below float64 resolution relative to 1. We therefore minimise the
equivalent objective divided by :math:`\lambda`,

.. math:: f(w) = \sum_i \exp\!\big(\ln(1/\lambda) + \log \ell(m_i)\big) + \tfrac12 \|w - w_{t-1}\|^2,

computing :math:`\log \ell`, :math:`\log(-\ell')` and :math:`\log \ell''` in log space, by damped
Newton's method to a relative gradient norm of ``tol``. This keeps every term O(1) down to
:math:`\lambda = 10^{-300}`; a direct float64 fit of the loss plus :math:`\lambda/2\|\cdot\|^2`
loses all precision around :math:`\lambda \approx 10^{-16}` and breaks near :math:`10^{-48}`.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._core.validate import as_array, check_choice, check_int, check_positive
from analysis.continual.data import validate_order, validate_tasks

LOSSES = ("logistic", "exp")


def _log_loss_terms(m: np.ndarray, loss: str):
    """Return log l(m), log(-l'(m)), log l''(m), each computed without overflow or underflow."""
    if loss == "exp":
        return -m, -m, -m
    u = np.exp(-np.abs(m))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u > 0, np.log1p(u) / np.where(u > 0, u, 1.0), 1.0)
    # log(log(1 + e^{-m})): for m > 0 it is -m + log(log1p(u)/u); else log(logaddexp(0, -m))
    log_l = np.where(m > 0, -m + np.log(ratio), np.log(np.logaddexp(0.0, -np.minimum(m, 0.0))))
    log_dl = -np.logaddexp(0.0, m)  # log sigma(-m)
    log_d2l = -np.logaddexp(0.0, m) - np.logaddexp(0.0, -m)  # log sigma(m) sigma(-m)
    return log_l, log_dl, log_d2l


def regularised_step(
    w_prev: object,
    X: object,
    y: object,
    lam: float,
    *,
    loss: str = "logistic",
    tol: float = 1e-11,
    max_iter: int = 2000,
    w_init: object | None = None,
) -> np.ndarray:
    r"""One step of weakly regularised continual learning, solved to high precision.

    .. math:: w^\lambda = \arg\min_w \sum_i \ell(y_i x_i^\top w) + \tfrac\lambda2 \|w - w_{prev}\|^2

    Parameters
    ----------
    w_prev : array_like, shape (d,)
    X : array_like, shape (n, d)
    y : array_like, shape (n,), labels in {-1, +1}
    lam : float
        Regularisation strength :math:`\lambda > 0` (any positive float64, down to 1e-300).
    loss : {"logistic", "exp"}
    tol : float
        Stop when :math:`\|\nabla f\| \le` ``tol`` :math:`\cdot \max(1, \|w - w_{prev}\|)`.
    max_iter : int
        Newton iterations cap; reaching it raises (never a silently inaccurate answer).
    w_init : array_like, shape (d,), optional
        Newton's starting point (default ``w_prev``). The minimiser is unique, so this only
        changes the cost; for tiny ``lam`` start near the answer (see
        :func:`regularised_continual_path`, which continues in :math:`\ln(1/\lambda)`).

    Returns
    -------
    numpy.ndarray, shape (d,)

    References
    ----------
    Evron et al. (2023), ICML, Scheme 1 (weakly-regularised continual learning).

    Examples
    --------
    One sample :math:`x = e_1`: the minimiser solves :math:`\sigma(-w_1) = \lambda w_1`:

    >>> from analysis.continual import regularised_step
    >>> w = regularised_step(np.zeros(2), [[1.0, 0.0]], [1.0], lam=0.01)
    >>> round(float(w[0]), 3), bool(np.isclose(1.0 / (1.0 + np.exp(w[0])), 0.01 * w[0]))
    (3.359, True)
    """
    X = as_array(X, "X", ndim=2, min_size=1)
    y = as_array(y, "y", shape=(X.shape[0],))
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"y: expected labels in {{-1, +1}}, got values {np.unique(y)[:5]}")
    w_prev = as_array(w_prev, "w_prev", shape=(X.shape[1],))
    lam = check_positive(lam, "lam")
    loss = check_choice(loss, "loss", LOSSES)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    A = y[:, None] * X
    w_init = w_prev if w_init is None else as_array(w_init, "w_init", shape=w_prev.shape)
    return _newton(w_init.copy(), w_prev, A, -math.log(lam), loss, tol, max_iter, lam)


def _newton(w, w_prev, A, log_inv, loss, tol, max_iter, lam):
    """Damped Newton on f(w) = sum_i exp(log_inv + log l(m_i)) + |w - w_prev|^2 / 2."""

    def objective(v):
        log_l, _, _ = _log_loss_terms(A @ v, loss)
        with np.errstate(over="ignore"):
            return float(np.sum(np.exp(log_inv + log_l)) + 0.5 * np.sum((v - w_prev) ** 2))

    row_norms = np.linalg.norm(A, axis=1)
    max_step = (1.0 + log_inv) * (1.0 + float(np.linalg.norm(w_prev)))
    max_step /= max(float(row_norms.min()), 1e-12)
    f = objective(w)
    eye = np.eye(A.shape[1])
    grad = np.full(A.shape[1], np.nan)
    for _ in range(max_iter):
        log_l, log_dl, log_d2l = _log_loss_terms(A @ w, loss)
        with np.errstate(over="ignore"):
            coef = np.exp(log_inv + log_dl)
            grad = -A.T @ coef + (w - w_prev)
            weights = np.exp(log_inv + log_d2l)
        # the gradient is a difference of O(||w - w_prev||) terms: measure it against their size
        scale = max(1.0, float(np.linalg.norm(w - w_prev)), float(coef @ row_norms))
        if np.linalg.norm(grad) <= tol * scale:
            return w
        # Newton step s = -(A^T W A + I)^{-1} grad as the least-squares problem
        # min ||[W^{1/2} A; I] s - [0; -grad]||: the weights span ~1e300, so forming the Hessian
        # would lose the identity term to round-off
        B = np.vstack([np.sqrt(weights)[:, None] * A, eye])
        rhs = np.concatenate([np.zeros(A.shape[0]), -grad])
        step = np.linalg.lstsq(B, rhs, rcond=None)[0]
        # misclassified samples have vanishing logistic curvature, so far from the optimum the
        # Newton step can be astronomically long: cap it at the problem's natural length scale
        step_norm = float(np.linalg.norm(step))
        if step_norm > max_step:
            step *= max_step / step_norm
        if np.linalg.norm(step) <= 1e-15 * max(1.0, float(np.linalg.norm(w))):
            return w  # converged to float64 resolution
        slope = float(grad @ step)
        if -slope <= 1e-10 * (1.0 + abs(f)) and np.linalg.norm(grad) <= 1e-6 * scale:
            # the predicted decrease is below f's float64 resolution: we are in Newton's
            # quadratic region, where the full step is safe and a line search cannot see progress
            w = w + step
            f = objective(w)
            continue
        t = 1.0
        while True:
            w_try = w + t * step
            f_try = objective(w_try)
            if np.isfinite(f_try) and f_try < f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-40:
                raise RuntimeError(
                    f"regularised_step: line search failed (lam={lam:g}, "
                    f"|grad|={np.linalg.norm(grad):.3e})"
                )
        w, f = w_try, f_try
    raise RuntimeError(
        f"regularised_step: Newton did not converge in {max_iter} iterations (lam={lam:g}, "
        f"gradient norm {np.linalg.norm(grad):.2e})"
    )


def regularised_continual_path(
    tasks: object,
    order: object,
    lam: float,
    w0: object | None = None,
    *,
    loss: str = "logistic",
    tol: float = 1e-11,
) -> np.ndarray:
    r"""Iterates :math:`w_0^\lambda, \dots, w_k^\lambda` of Scheme 1 (weakly regularised CL).

    Parameters
    ----------
    tasks : list of (X, y)
    order : array_like of int
    lam : float
        :math:`\lambda > 0`.
    w0 : array_like, optional
        Initial point (default 0).
    loss, tol
        See :func:`regularised_step`.

    Returns
    -------
    numpy.ndarray, shape (k + 1, d)
        Unnormalised iterates; divide by :math:`\ln(1/\lambda)` to compare with SMM.

    Examples
    --------
    >>> from analysis.continual import counterexample_tasks, cyclic_order
    >>> from analysis.continual import regularised_continual_path, sequential_max_margin
    >>> tasks, order = counterexample_tasks(c=0.5), cyclic_order(2, 2)
    >>> path = regularised_continual_path(tasks, order, lam=1e-30) / np.log(1e30)
    >>> smm = sequential_max_margin(tasks, order)
    >>> round(float(np.linalg.norm(path[-1] - smm[-1]) / np.linalg.norm(smm[-1])), 2)
    0.05
    """
    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    d = tasks[0][0].shape[1]
    start = np.zeros(d) if w0 is None else as_array(w0, "w0", shape=(d,)).copy()
    lam = check_positive(lam, "lam")
    log_inv_target = -math.log(lam)
    # Continuation in ln(1/lambda): the whole path is solved for a geometric ladder of
    # ln(1/lambda) values ending at the target, each warm-started from the previous rung's path
    # rescaled by the ratio of ln(1/lambda) (iterates grow like ln(1/lambda) times SMM's).
    # Started cold at tiny lambda, Newton would crawl through the region where the new task's
    # samples are misclassified and the logistic loss is linear with slope 1/lambda.
    ladder = [log_inv_target]
    while ladder[-1] > 3.0:
        ladder.append(ladder[-1] / 1.5)
    ladder = ladder[::-1]
    path = None
    for j, log_inv in enumerate(ladder):
        tol_j = tol if j == len(ladder) - 1 else 1e-8
        new = np.empty((order.size + 1, d))
        new[0] = start
        for t, m in enumerate(order, start=1):
            X, y = tasks[m]
            guess = None
            if path is not None:
                guess = new[t - 1] + (log_inv / ladder[j - 1]) * (path[t] - path[t - 1])
            new[t] = regularised_step(new[t - 1], X, y, math.exp(-log_inv), loss=loss, tol=tol_j,
                                      w_init=guess)
        path = new
    return path


def lambda_reduction_errors(
    tasks: object, order: object, lams: object, smm_iterates: object, *, loss: str = "logistic"
) -> dict:
    r"""Relative error and cosine between :math:`w_t^\lambda/\ln(1/\lambda)` and SMM's :math:`w_t`.

    Parameters
    ----------
    tasks, order
        The continual problem.
    lams : array_like, shape (L,)
        Grid of :math:`\lambda` values in (0, 1).
    smm_iterates : array_like, shape (k + 1, d)
        SMM iterates on the same tasks and order (from :func:`sequential_max_margin`).
    loss : {"logistic", "exp"}

    Returns
    -------
    dict
        ``log_inv_lambda`` (L,), ``rel_error`` (L, k) with
        :math:`\|w_t^\lambda/\ln(1/\lambda) - w_t\| / \|w_t\|`, ``cosine`` (L, k).

    References
    ----------
    Evron et al. (2023), ICML: :math:`\lim_{\lambda\to 0} w_t^\lambda/\ln(1/\lambda) = w_t`.

    Examples
    --------
    >>> from analysis.continual import counterexample_tasks, cyclic_order
    >>> from analysis.continual import lambda_reduction_errors, sequential_max_margin
    >>> tasks, order = counterexample_tasks(c=0.5), cyclic_order(2, 2)
    >>> out = lambda_reduction_errors(tasks, order, [1e-5, 1e-50], sequential_max_margin(tasks, order))
    >>> np.round(out["rel_error"], 2)  # rows: lambda; columns: t = 1, 2
    array([[0.19, 0.16],
           [0.04, 0.04]])
    """
    lams = as_array(lams, "lams", ndim=1, min_size=1)
    if np.any(lams <= 0) or np.any(lams >= 1):
        raise ValueError(f"lams: expected values in (0, 1), got range [{lams.min():g}, {lams.max():g}]")
    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    smm = as_array(smm_iterates, "smm_iterates", shape=(order.size + 1, tasks[0][0].shape[1]))
    L = -np.log(lams)
    rel = np.empty((lams.size, order.size))
    cos = np.empty((lams.size, order.size))
    for i, lam in enumerate(lams):
        path = regularised_continual_path(tasks, order, float(lam), loss=loss)[1:] / L[i]
        ref = smm[1:]
        rel[i] = np.linalg.norm(path - ref, axis=1) / np.linalg.norm(ref, axis=1)
        norms = np.linalg.norm(path, axis=1) * np.linalg.norm(ref, axis=1)
        cos[i] = np.sum(path * ref, axis=1) / norms
    return {"log_inv_lambda": L, "rel_error": rel, "cosine": cos}


def scheduled_smm(
    tasks: object, order: object, anchor_scale: object, w0: object | None = None
) -> np.ndarray:
    r"""Scaled SMM, the small-:math:`\lambda` limit of a regularisation *schedule* :math:`\lambda_t`.

    With :math:`\ell_t = \ln(1/\lambda_t)` and :math:`w_{t-1}^\lambda \approx \ell_{t-1} u_{t-1}`,
    the same expansion as in the paper's reduction gives :math:`w_t^\lambda \approx \ell_t u_t` with

    .. math:: u_t = P_{\mathcal W_{\tau(t)}}(\rho_t\, u_{t-1}), \qquad
              \rho_t = \ell_{t-1}/\ell_t = \ln\lambda_{t-1} / \ln\lambda_t .

    A schedule that weakens the regularisation over time (:math:`\lambda_t \downarrow`,
    :math:`\rho_t < 1`) shrinks the anchor towards 0 before each projection, pulling every step
    towards the current task's own max-margin solution, hence more forgetting; :math:`\rho_t = 1`
    is SMM. This is our derivation of the paper's remark on regularisation scheduling (Evron et
    al., 2023, whose text we could not check), checked against the regularised path in the tests.

    Parameters
    ----------
    tasks : list of (X, y)
    order : array_like of int, shape (k,)
    anchor_scale : float or array_like, shape (k,)
        :math:`\rho_t > 0`.
    w0 : array_like, optional

    Returns
    -------
    numpy.ndarray, shape (k + 1, d)

    Examples
    --------
    :math:`\rho_t = 1` is SMM; :math:`\rho_t = 1/2` pulls each step towards the current task's
    own max-margin solution:

    >>> from analysis.continual import counterexample_tasks, cyclic_order
    >>> from analysis.continual import scheduled_smm, sequential_max_margin
    >>> tasks, order = counterexample_tasks(c=0.5), cyclic_order(2, 4)
    >>> bool(np.allclose(scheduled_smm(tasks, order, 1.0), sequential_max_margin(tasks, order)))
    True
    >>> np.round(scheduled_smm(tasks, order, 0.5)[-1], 3)
    array([0.74, 0.63])
    """
    from analysis.continual.projection import sequential_max_margin

    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    rho = as_array(anchor_scale, "anchor_scale", ndim=(0, 1))
    if rho.ndim == 1 and rho.shape != order.shape:
        raise ValueError(f"anchor_scale: expected a number or shape {order.shape} (one per "
                         f"iteration), got shape {rho.shape}")
    rho = np.broadcast_to(rho, order.shape)
    if np.any(rho <= 0):
        raise ValueError(f"anchor_scale: expected positive values, got min {rho.min():g}")
    d = tasks[0][0].shape[1]
    w = np.zeros(d) if w0 is None else as_array(w0, "w0", shape=(d,)).copy()
    out = np.empty((order.size + 1, d))
    out[0] = w
    for t, m in enumerate(order, start=1):
        w = sequential_max_margin([tasks[m]], np.array([0]), w0=rho[t - 1] * w)[1]
        out[t] = w
    return out


def scheduled_regularised_path(
    tasks: object, order: object, lams: object, *, loss: str = "logistic", tol: float = 1e-11
) -> np.ndarray:
    r"""Scheme 1 with a per-iteration strength :math:`\lambda_t` (warm-started Newton per step).

    Returns the unnormalised iterates, shape (k + 1, d); compare :math:`w_t/\ln(1/\lambda_t)` with
    :func:`scheduled_smm` at :math:`\rho_t = \ln\lambda_{t-1}/\ln\lambda_t`.

    Examples
    --------
    A constant schedule is :func:`regularised_continual_path`:

    >>> from analysis.continual import counterexample_tasks, cyclic_order
    >>> from analysis.continual import regularised_continual_path, scheduled_regularised_path
    >>> tasks, order = counterexample_tasks(c=0.5), cyclic_order(2, 2)
    >>> W = scheduled_regularised_path(tasks, order, [1e-8, 1e-8])
    >>> W.shape, bool(np.allclose(W, regularised_continual_path(tasks, order, 1e-8)))
    ((3, 2), True)
    """
    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    lams = as_array(lams, "lams", shape=order.shape)
    if np.any(lams <= 0) or np.any(lams >= 1):
        raise ValueError(f"lams: expected values in (0, 1), got range [{lams.min():g}, {lams.max():g}]")
    d = tasks[0][0].shape[1]
    ells = -np.log(lams)
    # continuation: solve the whole path for the schedule s * ln(1/lam_t), s = 1.5^-j ... 1, each
    # rung warm-started from the previous rung's path with its steps rescaled (as in
    # regularised_continual_path)
    factors = [1.0]
    while ells.min() * factors[-1] > 3.0:
        factors.append(factors[-1] / 1.5)
    factors = factors[::-1]
    path = None
    for j, s in enumerate(factors):
        new = np.zeros((order.size + 1, d))
        for t, m in enumerate(order, start=1):
            X, y = tasks[m]
            guess = None
            if path is not None:
                guess = new[t - 1] + (s / factors[j - 1]) * (path[t] - path[t - 1])
            new[t] = regularised_step(new[t - 1], X, y, math.exp(-s * ells[t - 1]), loss=loss,
                                      tol=tol if s == 1.0 else 1e-8, w_init=guess)
        path = new
    return path

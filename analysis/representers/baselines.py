"""Baseline explainers for a fitted l1 (or l2) linear model, and leave-one-out ground truth.

Every function returns ``values`` of shape ``(n_test, n_train)``: the contribution of training
point ``i`` to the prediction ``theta . x_t`` (positive: a proponent, it pushes the prediction
up), on the same scale convention as the representer values.

References
----------
.. [1] P. W. Koh, P. Liang, "Understanding Black-box Predictions via Influence Functions",
   ICML 2017 (influence functions).
.. [2] G. Pruthi, F. Liu, S. Kale, M. Sundararajan, "Estimating Training Data Influence by
   Tracing Gradient Descent", NeurIPS 2020 (TracIn / TracInCP).
.. [3] Tsai et al., ICML 2023, Sec. 5 (the baselines of the case-deletion experiments).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from analysis._core.rng import make_rng
from analysis._core.validate import (
    as_array,
    check_budget,
    check_choice,
    check_int,
    check_positive,
    check_real,
)
from analysis.representers.l1 import check_design, check_test_design, solve_l1
from analysis.representers.l2 import solve_l2
from analysis.representers.losses import (
    check_loss,
    curvature_bound,
    loss_derivative,
    loss_second_derivative,
)


def _dense(A) -> np.ndarray:
    """A dense ndarray of ``A`` (scipy.sparse or array)."""
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def _gram(X_test, X) -> np.ndarray:
    """``X_test X^T`` as a dense (n_test, n_train) array, for dense or sparse designs."""
    return _dense(X_test @ X.T)


def _spectral_norm(X) -> float:
    """``||X||_2``, the largest singular value (ARPACK on sparse designs).

    ARPACK's relative error (~1e-10 at ``tol=1e-12``) moves the step ``1 / L`` of
    :func:`training_checkpoints` by as much; the dense route is exact to round-off.
    """
    if not sp.issparse(X):
        return float(np.linalg.norm(X, 2))
    if min(X.shape) <= 2:
        return float(np.linalg.norm(X.toarray(), 2))
    from scipy.sparse.linalg import svds

    return float(svds(X.astype(np.float64), k=1, return_singular_vectors=False, tol=1e-12,
                      random_state=0)[0])

#: Damping added to the (mean-scale) Hessian on the support; the official code adds 1e-6 to the
#: sum-scale Hessian, i.e. 1e-6 / n on ours. Ours is larger so that a support whose Hessian is
#: singular (|supp| > n or collinear columns) still gives finite influences.
DEFAULT_DAMPING = 1e-6


def _fitted(X, y, lam, loss, theta, penalty):
    penalty = check_choice(penalty, "penalty", ("l1", "l2"))
    if theta is not None:
        return as_array(theta, "theta", ndim=1, shape=(X.shape[1],))
    if penalty == "l1":
        return solve_l1(X, y, lam, loss).theta
    return solve_l2(X, y, lam, loss)


def influence_values(
    X,
    y,
    theta,
    lam,
    X_test,
    loss: str = "logistic",
    *,
    penalty: str = "l1",
    damping: float = DEFAULT_DAMPING,
) -> np.ndarray:
    r"""Influence-function estimate of each training point's contribution to each prediction.

    Removing point ``i`` moves ``theta`` by about ``(1/n) H^{-1} l'_i x_i`` (Koh & Liang 2017),
    so its contribution ``f_t - f_t^{(-i)}`` is

    .. math:: I_{ti} = -\frac{\ell'_i}{n}\, x_{t,S}^\top (H_S + \delta I)^{-1} x_{i,S},
       \qquad H_S = \frac1n \sum_j \ell''_j\, x_{j,S} x_{j,S}^\top ,

    with ``S`` the support of ``theta`` for the l1 model (the exact Hessian of the smooth part
    restricted to the support; off it the l1 model is locally constant) and all features plus
    ``2 lambda I`` for the l2 model.

    Parameters
    ----------
    X, y : training data
    theta : array_like, shape (d,)
        Fitted parameter.
    lam : float
        Regularisation (used by the l2 Hessian).
    X_test : array_like
    loss : {"logistic", "squared"}
    penalty : {"l1", "l2"}
    damping : float
        ``delta >= 0`` (default :data:`DEFAULT_DAMPING`).

    Returns
    -------
    ndarray, shape (n_test, n_train)

    Examples
    --------
    >>> from analysis.representers import influence_values, loo_values, make_sparse_logistic
    >>> from analysis.representers import sign_agreement, solve_l1
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> theta = solve_l1(data.X, data.y, 0.05).theta
    >>> infl = influence_values(data.X, data.y, theta, 0.05, data.X_test)
    >>> loo = loo_values(data.X, data.y, 0.05, data.X_test, theta=theta)
    >>> infl.shape, round(sign_agreement(infl, loo), 2)  # the linearisation mostly gets the sign
    ((3, 30), 0.99)
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    theta = as_array(theta, "theta", ndim=1, shape=(X.shape[1],))
    lam = check_positive(lam, "lam")
    X_test = check_test_design(X_test, X.shape[1])
    damping = check_real(damping, "damping", minimum=0.0)
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty: expected 'l1' or 'l2', got {penalty!r}")
    n = X.shape[0]
    f = X @ theta
    if penalty == "l1":
        S = np.flatnonzero(theta)
        if S.size == 0:
            return np.zeros((X_test.shape[0], n))
        extra = damping
    else:
        S = np.arange(X.shape[1])
        extra = 2 * lam + damping
    if sp.issparse(X) and penalty == "l2":
        raise ValueError("X: the l2 influence needs the full d x d Hessian; pass a dense X "
                         "(sparse designs are supported for penalty='l1', on the support)")
    XS, XtS = _dense(X[:, S]), _dense(X_test[:, S])  # sparse designs: only the support columns
    H = (XS * loss_second_derivative(f, y, loss)[:, None]).T @ XS / n + extra * np.eye(S.size)
    solved = np.linalg.solve(H, XtS.T)  # H^{-1} x_t for every test point
    return -(XS @ solved).T * loss_derivative(f, y, loss)[None, :] / n


def l2_style_values(X, y, theta, lam, X_test, loss: str = "logistic") -> np.ndarray:
    """The "l2 representer" baseline of Tsai et al. (2023): ``alpha_i <x_i, x_t>``, plain inner product.

    Uses the l1 model's ``alpha_i = -l'_i / (lambda n)`` but ignores the ``|theta|`` weighting and
    the support, i.e. what Yeh et al.'s formula gives when applied to a sparse model.

    Examples
    --------
    >>> from analysis.representers import l2_representers, l2_style_values, make_sparse_logistic
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> res = l2_representers(data.X, data.y, 0.05, data.X_test)
    >>> values = l2_style_values(data.X, data.y, res.theta, 0.05, data.X_test)
    >>> values.shape, bool(np.allclose(values, 2 * res.values))  # Yeh et al. halve alpha_i <x_i, x_t>
    ((3, 30), True)
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    theta = as_array(theta, "theta", ndim=1, shape=(X.shape[1],))
    lam = check_positive(lam, "lam")
    X_test = check_test_design(X_test, X.shape[1])
    alpha = -loss_derivative(X @ theta, y, loss) / (lam * X.shape[0])
    return _gram(X_test, X) * alpha[None, :]


def training_checkpoints(
    X, y, lam, loss: str = "logistic", *, n_steps: int = 200, n_checkpoints: int = 10
):
    """Checkpoints of proximal gradient descent (ISTA, constant step ``1/L``) from ``theta = 0``.

    Returns
    -------
    (checkpoints, step) : (ndarray of shape (n_checkpoints, d), float)
        Iterates at evenly spaced steps and the learning rate, as TracInCP needs.

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic, training_checkpoints
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> checkpoints, step = training_checkpoints(data.X, data.y, 0.05, n_steps=50, n_checkpoints=5)
    >>> checkpoints.shape, bool(np.all(checkpoints[0] == 0))  # the first is theta = 0
    ((5, 8), True)
    >>> bool(np.isclose(step, 4 * 30 / np.linalg.norm(data.X, 2) ** 2))  # 1 / L, L = ||X||_2^2 / (4n)
    True
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    check_budget("n_steps", n_operations=4.0 * n_steps * X.size, what="proximal gradient steps")
    n_checkpoints = check_int(n_checkpoints, "n_checkpoints", minimum=1, maximum=n_steps)
    n = X.shape[0]
    L = curvature_bound(loss) * _spectral_norm(X) ** 2 / n
    step = 1.0 / L
    theta = np.zeros(X.shape[1])
    marks = set(np.linspace(0, n_steps - 1, n_checkpoints).astype(int).tolist())
    saved = []
    for it in range(n_steps):
        if it in marks:
            saved.append(theta.copy())
        v = theta - step * (X.T @ loss_derivative(X @ theta, y, loss)) / n
        theta = np.sign(v) * np.maximum(np.abs(v) - step * lam, 0.0)
    return np.array(saved), step


def tracin_values(X, y, X_test, checkpoints, step, loss: str = "logistic") -> np.ndarray:
    r"""TracInCP-style gradient products summed over training checkpoints.

    .. math:: T_{ti} = \sum_c \eta\, \big(-\tfrac1n \ell'(\theta_c^\top x_i, y_i)\big)\,
       \langle x_i, x_t\rangle ,

    the first-order change of ``theta_c . x_t`` caused by the gradient step on point ``i``
    (the gradient of the prediction in ``theta`` is ``x_t``; the l1 prox is not differentiated).

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic, tracin_values
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> X, y, X_test = data.X, data.y, data.X_test
    >>> values = tracin_values(X, y, X_test, np.zeros((1, 8)), 1.0)  # one checkpoint, theta = 0
    >>> values.shape, bool(np.allclose(values, (X_test @ X.T) * y / (2 * 30)))  # l'(0) = -y / 2
    ((3, 30), True)
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    X_test = check_test_design(X_test, X.shape[1])
    checkpoints = as_array(checkpoints, "checkpoints", ndim=2, min_size=1)
    if checkpoints.shape[1] != X.shape[1]:
        raise ValueError(f"checkpoints: expected {X.shape[1]} columns, got shape {checkpoints.shape}")
    step = check_positive(step, "step")
    n = X.shape[0]
    weights = -step * loss_derivative(_dense(X @ checkpoints.T), y[:, None], loss).sum(axis=1) / n
    return _gram(X_test, X) * weights[None, :]


def random_values(n_test: int, n_train: int, rng=0) -> np.ndarray:
    """The random explainer: i.i.d. standard normal values (a random ranking).

    Examples
    --------
    >>> from analysis.representers import random_values
    >>> values = random_values(2, 5, rng=0)
    >>> values.shape, bool(np.array_equal(values, random_values(2, 5, rng=0)))  # seeded
    ((2, 5), True)
    """
    n_test = check_int(n_test, "n_test", minimum=1)
    n_train = check_int(n_train, "n_train", minimum=1)
    check_budget("n_test" if n_test >= n_train else "n_train", n_bytes=8.0 * n_test * n_train,
                 what="the (n_test, n_train) values")
    return make_rng(rng, name="rng").standard_normal((n_test, n_train))


def loo_values(
    X, y, lam, X_test, loss: str = "logistic", *, penalty: str = "l1", theta=None, tol: float = 1e-11
) -> np.ndarray:
    """Leave-one-out ground truth: ``f_t - f_t^{(-i)}`` by retraining without each point.

    Point ``i`` gets weight 0 while the ``1/n`` and ``lambda`` stay (the perturbation influence
    functions linearise). Each refit is warm-started from the full solution.

    Returns
    -------
    ndarray, shape (n_test, n_train)

    Examples
    --------
    >>> from analysis.representers import l1_representers, loo_values, make_sparse_logistic
    >>> from analysis.representers import sign_agreement
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> res = l1_representers(data.X, data.y, 0.05, data.X_test)
    >>> loo = loo_values(data.X, data.y, 0.05, data.X_test, theta=res.theta)  # 30 refits
    >>> loo.shape, round(sign_agreement(res.values, loo), 2)
    ((3, 30), 0.93)
    """
    loss = check_loss(loss)
    X, y = check_design(X, y, loss)
    lam = check_positive(lam, "lam")
    X_test = check_test_design(X_test, X.shape[1])
    theta = _fitted(X, y, lam, loss, theta, penalty)
    base = X_test @ theta
    n = X.shape[0]
    out = np.empty((X_test.shape[0], n))
    w = np.ones(n)
    for i in range(n):
        w[i] = 0.0
        if penalty == "l1":
            refit = solve_l1(X, y, lam, loss, sample_weight=w, theta0=theta, tol=tol).theta
        else:
            refit = solve_l2(X, y, lam, loss, sample_weight=w, theta0=theta)
        out[:, i] = base - X_test @ refit
        w[i] = 1.0
    return out

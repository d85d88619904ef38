r"""Continual linear regression: fitting each task to convergence is an affine projection.

Evron et al. (2022): minimising task :math:`m`'s squared loss from :math:`w_{t-1}` by
(S)GD to convergence gives the closest interpolator,

.. math:: w_t = w_{t-1} + X_m^+ (y_m - X_m w_{t-1}), \qquad
          w_t - w^\star = (I - X_m^+ X_m)(w_{t-1} - w^\star) = P_m (w_{t-1} - w^\star),

for any joint solution :math:`w^\star` (jointly realizable tasks). Forgetting after :math:`k`
iterations is

.. math:: F_{\tau}(k) = \frac1k \sum_{t=1}^k \|X_{\tau(t)} w_k - y_{\tau(t)}\|^2,

and for :math:`T` tasks presented cyclically they prove (stated in their abstract)
:math:`F(k) \le T^2 \min\{1/\sqrt k,\ d/k\}\, \|w^\star\|^2 R^2` with
:math:`R = \max_m \|X_m\|_2`. The same definition of forgetting (its realizable form, the
loss at :math:`w_k` of the tasks seen so far) and the same normalisation by
:math:`\|w^\star\|^2 R^2` with :math:`R = \max_m \|X_m\|` are restated by Tsipory, Levinstein,
Evron, Kong, Needell & Soudry (2025), "Are greedy task orderings better than random in continual
linear regression?", Def. 2.3 and Remark 2.4, which cite Evron et al. (2022) for them.

References
----------
.. [1] I. Evron, E. Moroshko, R. Ward, N. Srebro, D. Soudry, "How catastrophic can catastrophic
   forgetting be in linear regression?", COLT 2022.
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import as_array, check_int, check_positive
from analysis.continual.data import validate_order, validate_tasks


def continual_regression(tasks: object, order: object, w0: object | None = None) -> np.ndarray:
    r"""Iterates :math:`w_t = w_{t-1} + X_{\tau(t)}^+(y_{\tau(t)} - X_{\tau(t)} w_{t-1})`.

    Parameters
    ----------
    tasks : list of (X, y)
        Regression tasks with a common dimension d (any finite targets).
    order : array_like of int, shape (k,)
        Task ordering :math:`\tau(1..k)`.
    w0 : array_like, shape (d,), optional
        Initial point (default 0).

    Returns
    -------
    numpy.ndarray, shape (k + 1, d)

    Examples
    --------
    Each step fits the current task exactly:

    >>> from analysis.continual import continual_regression, cyclic_order, make_regression_tasks
    >>> tasks, _ = make_regression_tasks(2, 3, 8, seed=0)
    >>> W = continual_regression(tasks, cyclic_order(2, 6))
    >>> X, y = tasks[1]
    >>> W.shape, bool(np.allclose(X @ W[-1], y))
    ((7, 8), True)
    """
    tasks = validate_tasks(tasks, labels=False)
    order = validate_order(order, len(tasks))
    d = tasks[0][0].shape[1]
    pinvs = [np.linalg.pinv(X) for X, _ in tasks]
    w = np.zeros(d) if w0 is None else as_array(w0, "w0", shape=(d,)).copy()
    out = np.empty((order.size + 1, d))
    out[0] = w
    for t, m in enumerate(order, start=1):
        X, y = tasks[m]
        w = w + pinvs[m] @ (y - X @ w)
        out[t] = w
    return out


def joint_min_norm_solution(tasks: object) -> np.ndarray:
    r"""Minimum-norm least-squares solution of the stacked system (the offline :math:`w^\star`).

    Examples
    --------
    >>> from analysis.continual import joint_min_norm_solution, make_regression_tasks
    >>> tasks, u = make_regression_tasks(2, 3, 8, seed=0)
    >>> w = joint_min_norm_solution(tasks)
    >>> bool(all(np.allclose(X @ w, y) for X, y in tasks)), bool(np.linalg.norm(w) <= np.linalg.norm(u))
    (True, True)
    """
    tasks = validate_tasks(tasks, labels=False)
    X = np.concatenate([X for X, _ in tasks])
    y = np.concatenate([y for _, y in tasks])
    return np.linalg.lstsq(X, y, rcond=None)[0]


def regression_task_losses(tasks: object, iterates: object) -> np.ndarray:
    r"""Matrix of task losses :math:`\|X_m w_t - y_m\|^2`, shape (k + 1, T).

    Examples
    --------
    >>> from analysis.continual import continual_regression, cyclic_order
    >>> from analysis.continual import make_regression_tasks, regression_task_losses
    >>> tasks, _ = make_regression_tasks(2, 3, 8, seed=0)
    >>> L = regression_task_losses(tasks, continual_regression(tasks, cyclic_order(2, 6)))
    >>> L.shape, round(float(L[-1, 1]), 12)  # the last task seen (task 1) is fitted exactly
    ((7, 2), 0.0)
    """
    tasks = validate_tasks(tasks, labels=False)
    W = as_array(iterates, "iterates", ndim=2, min_size=1)
    if W.shape[1] != tasks[0][0].shape[1]:
        raise ValueError(f"iterates: expected {tasks[0][0].shape[1]} columns, got {W.shape[1]}")
    return np.stack([np.sum((W @ X.T - y) ** 2, axis=1) for X, y in tasks], axis=1)


def regression_forgetting_bound_cyclic(k: object, n_tasks: int, d: int, w_star_norm: float, R: float):
    r"""The cyclic-ordering bound :math:`T^2 \min\{1/\sqrt k, d/k\}\|w^\star\|^2 R^2`.

    Evron et al. (2022), COLT, abstract (cyclic orderings). The abstract states the rate
    without constants; we use the constant 1 as printed there.

    Examples
    --------
    >>> from analysis.continual import regression_forgetting_bound_cyclic
    >>> regression_forgetting_bound_cyclic([1, 4, 100], n_tasks=2, d=8, w_star_norm=1.0, R=1.0)
    array([4.  , 2.  , 0.32])
    """
    k = as_array(k, "k", ndim=(0, 1), min_size=1)
    if np.any(k < 1):
        raise ValueError(f"k: expected iteration counts >= 1, got min {k.min():g}")
    T = check_int(n_tasks, "n_tasks", minimum=1)
    d = check_int(d, "d", minimum=1)
    w2 = check_positive(w_star_norm, "w_star_norm") ** 2
    R2 = check_positive(R, "R") ** 2
    return T**2 * np.minimum(1 / np.sqrt(k), d / k) * w2 * R2

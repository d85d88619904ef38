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

    Returns
    -------
    numpy.ndarray, shape (k + 1, d)
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
    r"""Minimum-norm least-squares solution of the stacked system (the offline :math:`w^\star`)."""
    tasks = validate_tasks(tasks, labels=False)
    X = np.concatenate([X for X, _ in tasks])
    y = np.concatenate([y for _, y in tasks])
    return np.linalg.lstsq(X, y, rcond=None)[0]


def regression_task_losses(tasks: object, iterates: object) -> np.ndarray:
    r"""Matrix of task losses :math:`\|X_m w_t - y_m\|^2`, shape (k + 1, T)."""
    tasks = validate_tasks(tasks, labels=False)
    W = as_array(iterates, "iterates", ndim=2, min_size=1)
    if W.shape[1] != tasks[0][0].shape[1]:
        raise ValueError(f"iterates: expected {tasks[0][0].shape[1]} columns, got {W.shape[1]}")
    return np.stack([np.sum((W @ X.T - y) ** 2, axis=1) for X, y in tasks], axis=1)


def regression_forgetting_bound_cyclic(k: object, n_tasks: int, d: int, w_star_norm: float, R: float):
    r"""The cyclic-ordering bound :math:`T^2 \min\{1/\sqrt k, d/k\}\|w^\star\|^2 R^2`.

    Evron et al. (2022), COLT, abstract (cyclic orderings). The abstract states the rate
    without constants; we use the constant 1 as printed there.
    """
    k = as_array(k, "k", ndim=(0, 1), min_size=1)
    if np.any(k < 1):
        raise ValueError(f"k: expected iteration counts >= 1, got min {k.min():g}")
    T = check_int(n_tasks, "n_tasks", minimum=1)
    d = check_int(d, "d", minimum=1)
    w2 = check_positive(w_star_norm, "w_star_norm") ** 2
    R2 = check_positive(R, "R") ** 2
    return T**2 * np.minimum(1 / np.sqrt(k), d / k) * w2 * R2

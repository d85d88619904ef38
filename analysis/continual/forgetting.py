r"""Forgetting of continual linear classification and the POCS bounds we check it against.

Definitions (classification). For an iterate :math:`w` and task :math:`m`, the task's *margin
violation* is the largest squared hinge of its samples,

.. math:: V_m(w) = \max_{(x, y) \in S_m} (1 - y\, w^\top x)_+^2 ,

which is zero exactly on the feasible set :math:`\mathcal W_m`. Forgetting after :math:`k`
iterations is the violation on the tasks seen so far, evaluated at the last iterate, as in the
regression definition of Evron et al. (2022):

.. math:: F_\tau(k) = \frac1k \sum_{t=1}^k V_{\tau(t)}(w_k),

and the *all-task loss* is :math:`\bar G(w) = \frac1T \sum_m V_m(w)`. We could not retrieve the
full text of Evron et al. (2023) in this environment, so the exact normalisation of their
forgetting definition and the constants of their cyclic / random bounds are not quoted here; the bounds
below are derived from the same POCS facts and proved in ``proofs_checks/check_continual.py``:

1. :math:`(1 - y w^\top x)_+ = \|x\| \operatorname{dist}(w, \{y v^\top x \ge 1\}) \le R\,
   \operatorname{dist}(w, \mathcal W_m)` with :math:`R = \max \|x\|`.
2. Fejer monotonicity of projections: for any :math:`u \in \mathcal W^\star`,
   :math:`\sum_{t=1}^k \|w_t - w_{t-1}\|^2 \le \|w_0 - u\|^2 - \|w_k - u\|^2`.
3. Cyclic order: the last visit of any task is within :math:`T - 1` steps, so
   :math:`F(j) \le R^2 (T-1) \sum_{s=j-T+2}^{j} \|w_s - w_{s-1}\|^2` (a-posteriori bound) and,
   summing, :math:`\frac1k\sum_{j=1}^k F(j) \le (T-1)^2 R^2 \|w_0 - u\|^2 / k`.
4. Random (i.i.d. uniform) order: :math:`\mathbb E\|w_{t+1} - w_t\|^2 = \mathbb E\,\frac1T\sum_m
   \operatorname{dist}^2(w_t, \mathcal W_m)`, hence
   :math:`\mathbb E\,\frac1k \sum_{t=0}^{k-1} \bar G(w_t) \le R^2 \|w_0 - u\|^2 / k`, free of T.

The same four facts hold for regression (affine projections, :math:`R = \max_m \|X_m\|_2`).

References
----------
.. [1] Evron et al., ICML 2023 (SMM as POCS, forgetting under cyclic / random orderings).
.. [2] Evron et al., COLT 2022 (forgetting of continual regression).
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import as_array, check_int, check_real
from analysis.continual.data import validate_order, validate_tasks


def _check_k(k: object) -> np.ndarray:
    """Iteration counts: a number or a non-empty 1-D array of values >= 1."""
    k = as_array(k, "k", ndim=(0, 1), min_size=1)
    if np.any(k < 1):
        raise ValueError(f"k: expected iteration counts >= 1, got min {k.min():g}")
    return k


def task_violations(tasks: object, iterates: object) -> np.ndarray:
    r"""Matrix :math:`V[t, m] = \max_{(x,y)\in S_m} (1 - y\,w_t^\top x)_+^2`, shape (k + 1, T).

    Examples
    --------
    >>> from analysis.continual import task_violations
    >>> tasks = [([[1.0, 0.0]], [1.0]), ([[0.0, 1.0]], [1.0])]
    >>> task_violations(tasks, [[0.0, 0.0], [1.0, 0.5]])
    array([[1.  , 1.  ],
           [0.  , 0.25]])
    """
    tasks = validate_tasks(tasks)
    W = as_array(iterates, "iterates", ndim=2, min_size=1)
    if W.shape[1] != tasks[0][0].shape[1]:
        raise ValueError(f"iterates: expected {tasks[0][0].shape[1]} columns, got {W.shape[1]}")
    cols = [np.max(np.maximum(1.0 - (W @ X.T) * y, 0.0), axis=1) ** 2 for X, y in tasks]
    return np.stack(cols, axis=1)


def forgetting_from_losses(losses: object, order: object) -> np.ndarray:
    r"""Forgetting :math:`F(k) = \frac1k\sum_{t\le k} \text{loss}_{\tau(t)}(w_k)` for k = 1..K.

    Parameters
    ----------
    losses : array_like, shape (K + 1, T)
        Per-iterate, per-task losses (row 0 is :math:`w_0`).
    order : array_like of int, shape (K,)

    Returns
    -------
    numpy.ndarray, shape (K,)

    Examples
    --------
    >>> from analysis.continual import forgetting_from_losses
    >>> losses = [[1.0, 1.0], [0.0, 2.0], [3.0, 0.0]]  # rows w_0, w_1, w_2; columns tasks
    >>> forgetting_from_losses(losses, [0, 1])  # F(1) = 0, F(2) = (3 + 0) / 2
    array([0. , 1.5])
    """
    losses = as_array(losses, "losses", ndim=2)
    order = validate_order(order, losses.shape[1])
    if losses.shape[0] != order.size + 1:
        raise ValueError(f"losses: expected {order.size + 1} rows (k + 1), got {losses.shape[0]}")
    counts = np.cumsum(np.eye(losses.shape[1])[order], axis=0)  # visits of each task up to k
    k = np.arange(1, order.size + 1)
    return np.sum(counts * losses[1:], axis=1) / k


def classification_forgetting(tasks: object, order: object, iterates: object) -> np.ndarray:
    r"""Forgetting :math:`F(k) = \frac1k\sum_{t=1}^k V_{\tau(t)}(w_k)`, k = 1..K (module docstring).

    Examples
    --------
    >>> from analysis.continual import classification_forgetting, cyclic_order
    >>> from analysis.continual import make_separable_tasks, sequential_max_margin
    >>> tasks, _ = make_separable_tasks(3, 5, 4, seed=0)
    >>> order = cyclic_order(3, 9)
    >>> F = classification_forgetting(tasks, order, sequential_max_margin(tasks, order))
    >>> F.shape, bool(np.all(F >= 0))
    ((9,), True)
    """
    return forgetting_from_losses(task_violations(tasks, iterates), order)


def data_radius(tasks: object) -> float:
    r""":math:`R = \max_{m, i} \|x_i\|` over all tasks' samples.

    Examples
    --------
    >>> from analysis.continual import data_radius
    >>> data_radius([([[3.0, 4.0], [1.0, 0.0]], [1.0, -1.0]), ([[0.0, 2.0]], [1.0])])
    5.0
    """
    tasks = validate_tasks(tasks)
    return float(max(np.linalg.norm(X, axis=1).max() for X, _ in tasks))


def step_energy(iterates: object) -> np.ndarray:
    r"""Squared step lengths :math:`\|w_t - w_{t-1}\|^2`, t = 1..K."""
    W = as_array(iterates, "iterates", ndim=2)
    if W.shape[0] < 2:
        raise ValueError(f"iterates: expected at least 2 rows (w_0 and w_1), got {W.shape[0]}")
    return np.sum(np.diff(W, axis=0) ** 2, axis=1)


def cyclic_posterior_bound(iterates: object, n_tasks: int, R: float) -> np.ndarray:
    r"""A-posteriori cyclic bound :math:`F(j) \le R^2 (T-1)\sum_{s=j-T+2}^{j}\|w_s - w_{s-1}\|^2`.

    Examples
    --------
    >>> from analysis.continual import classification_forgetting, cyclic_order
    >>> from analysis.continual import cyclic_posterior_bound, data_radius
    >>> from analysis.continual import make_separable_tasks, sequential_max_margin
    >>> tasks, _ = make_separable_tasks(3, 5, 4, seed=0)
    >>> order = cyclic_order(3, 9)
    >>> W = sequential_max_margin(tasks, order)
    >>> bound = cyclic_posterior_bound(W, 3, data_radius(tasks))
    >>> bool(np.all(classification_forgetting(tasks, order, W) <= bound))
    True
    """
    T = check_int(n_tasks, "n_tasks", minimum=1)
    R = check_real(R, "R", minimum=0.0)
    e = step_energy(iterates)
    # window[j] = sum of the last T - 1 step energies up to j (a cumulative-sum difference: no
    # array of length T, so any T is cheap)
    c = np.concatenate([[0.0], np.cumsum(e)])
    j = np.arange(1, e.size + 1)
    window = c[j] - c[np.maximum(j - (T - 1), 0)]
    return R**2 * (T - 1) * window


def cyclic_average_bound(k: object, n_tasks: int, R: float, dist0: float) -> np.ndarray:
    r"""A-priori cyclic bound :math:`\frac1k\sum_{j\le k}F(j) \le (T-1)^2 R^2 \|w_0 - u\|^2 / k`.

    Examples
    --------
    >>> from analysis.continual import cyclic_average_bound
    >>> cyclic_average_bound([1, 10], n_tasks=3, R=1.0, dist0=2.0)  # (3 - 1)^2 * 2^2 / k
    array([16. ,  1.6])
    """
    k = _check_k(k)
    T = check_int(n_tasks, "n_tasks", minimum=1)
    R = check_real(R, "R", minimum=0.0)
    dist0 = check_real(dist0, "dist0", minimum=0.0)
    return (T - 1) ** 2 * R**2 * dist0**2 / k


def random_average_bound(k: object, R: float, dist0: float) -> np.ndarray:
    r"""Random-order bound :math:`\mathbb E\frac1k\sum_{t<k}\bar G(w_t) \le R^2\|w_0 - u\|^2/k`.

    Examples
    --------
    >>> from analysis.continual import random_average_bound
    >>> random_average_bound([1, 10], R=1.0, dist0=2.0)  # no dependence on the number of tasks
    array([4. , 0.4])
    """
    k = _check_k(k)
    R = check_real(R, "R", minimum=0.0)
    dist0 = check_real(dist0, "dist0", minimum=0.0)
    return R**2 * dist0**2 / k


def running_mean(values: object) -> np.ndarray:
    r"""Running average :math:`\frac1k\sum_{j\le k} v_j`."""
    v = as_array(values, "values", ndim=1)
    return np.cumsum(v) / np.arange(1, v.size + 1)


def expected_all_task_loss_two_tasks(tasks: object, n_iterations: int) -> np.ndarray:
    r"""Exact :math:`\mathbb E\,\bar G(w_t)`, t = 0..k-1, of SMM under i.i.d. uniform orders of 2 tasks.

    A projection onto the task just projected onto is the identity, so with two tasks the
    iterate :math:`w_t` depends on the order only through the first task :math:`f` and the number
    :math:`s \sim \mathrm{Bin}(t - 1, 1/2)` of task switches among iterations 2..t: it is the
    iterate :math:`1 + s` of the *cyclic* order starting with :math:`f`. Hence, with
    :math:`A^{(f)}` the cyclic SMM iterates starting with task :math:`f`,

    .. math:: \mathbb E\,\bar G(w_t) = \frac12 \sum_{f\in\{0,1\}} \sum_{s=0}^{t-1}
              \binom{t-1}{s} 2^{-(t-1)}\, \bar G(A^{(f)}_{1+s}) ,

    an exact expectation over the :math:`2^k` orders (no Monte Carlo).

    Parameters
    ----------
    tasks : list of two (X, y)
    n_iterations : int
        k (>= 1).

    Returns
    -------
    numpy.ndarray, shape (k,)
    """
    from scipy.stats import binom

    from analysis.continual.projection import sequential_max_margin

    tasks = validate_tasks(tasks)
    if len(tasks) != 2:
        raise ValueError(f"tasks: expected exactly 2 tasks, got {len(tasks)}")
    k = check_int(n_iterations, "n_iterations", minimum=1)
    G = []
    for first in (0, 1):
        order = (np.arange(k, dtype=np.int64) + first) % 2
        G.append(task_violations(tasks, sequential_max_margin(tasks, order)).mean(axis=1))
    G_mean = 0.5 * (G[0] + G[1])  # G_mean[j]: after j iterations of a cyclic order, averaged over f
    out = np.empty(k)
    out[0] = G_mean[0]
    t = np.arange(1, k)
    s = np.arange(k - 1)
    weights = binom.pmf(s[None, :], t[:, None] - 1, 0.5)  # row t-1: Bin(t-1, 1/2) over s
    out[1:] = weights @ G_mean[1:k]
    return out

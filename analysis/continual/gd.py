r"""Unregularised gradient descent with a fixed budget of steps per task (Jung, Cho & Yun, 2025).

At iteration :math:`t` the learner runs ``n_steps`` steps of gradient descent on the current
task's logistic loss :math:`\mathcal L_m(w) = \frac1{n_m}\sum_{i} \log(1 + e^{-y_i x_i^\top w})`
starting from :math:`w_{t-1}`, with step size :math:`\eta \le 1/\beta_m`,
:math:`\beta_m = \|X_m\|_2^2 / (4 n_m)` (the smoothness of :math:`\mathcal L_m`). For jointly
separable tasks in cyclic or random order, the iterates diverge in norm and converge *in
direction* to the offline max-margin :math:`w^\star/\|w^\star\|` (their main theorems, cyclic
and random orders), unlike SMM, whose limit can differ from :math:`w^\star` (see
:func:`counterexample_tasks`).

References
----------
.. [1] H. Jung, H. Cho, C. Yun, "Convergence and Implicit Bias of Gradient Descent on Continual
   Linear Classification", ICLR 2025.
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import as_array, check_int, check_positive
from analysis.continual.data import validate_order, validate_tasks


def fixed_budget_gd(
    tasks: object,
    order: object,
    n_steps: int,
    *,
    step_size: float | None = None,
    w0: object | None = None,
) -> np.ndarray:
    r"""Sequential GD with ``n_steps`` logistic-loss steps per task; the iterate after each task.

    .. math:: w \leftarrow w - \eta\, \nabla \mathcal L_{\tau(t)}(w) \quad (\text{``n_steps''}
              \text{ times}), \qquad \nabla\mathcal L_m(w) = -\frac{1}{n_m}\sum_i
              \sigma(-y_i x_i^\top w)\, y_i x_i.

    Parameters
    ----------
    tasks : list of (X, y)
    order : array_like of int, shape (k,)
    n_steps : int
        Budget of GD steps per task (>= 1).
    step_size : float, optional
        :math:`\eta`; default :math:`1/\max_m \beta_m` (stable for every task).
    w0 : array_like, optional
        Initial point (default 0).

    Returns
    -------
    numpy.ndarray, shape (k + 1, d)
    """
    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    d = tasks[0][0].shape[1]
    betas = [np.linalg.norm(X, 2) ** 2 / (4 * X.shape[0]) for X, _ in tasks]
    eta = 1.0 / max(betas) if step_size is None else check_positive(step_size, "step_size")
    A_list = [y[:, None] * X for X, y in tasks]
    w = np.zeros(d) if w0 is None else as_array(w0, "w0", shape=(d,)).copy()
    out = np.empty((order.size + 1, d))
    out[0] = w
    for t, m in enumerate(order, start=1):
        A = A_list[m]
        scale = eta / A.shape[0]
        for _ in range(n_steps):
            # sigma(-margin) computed as exp(-logaddexp(0, margin)): no overflow for any margin
            w = w + scale * (A.T @ np.exp(-np.logaddexp(0.0, A @ w)))
        out[t] = w
    return out

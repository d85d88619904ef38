r"""Unregularised gradient descent with a fixed budget of steps per task (Jung, Cho & Yun, 2025).

At iteration :math:`t` the learner runs ``n_steps`` steps of gradient descent on the current
task's logistic loss :math:`\mathcal L_m(w) = \frac1{n_m}\sum_{i} \log(1 + e^{-y_i x_i^\top w})`
starting from :math:`w_{t-1}`, with step size :math:`\eta \le 1/\beta_m`,
:math:`\beta_m = \|X_m\|_2^2 / (4 n_m)` (the smoothness of :math:`\mathcal L_m`). For jointly
separable tasks in cyclic or random order, the iterates diverge in norm and converge *in
direction* to the offline max-margin :math:`w^\star/\|w^\star\|` (their main theorems, cyclic
and random orders), unlike SMM, whose limit can differ from :math:`w^\star` (see
:func:`counterexample_tasks`).

The form of the result we check (:func:`log_growth_coefficients`, claim
``cont.gd.log_growth_along_w_star``) is their Theorem 3.2 for cyclic orders,
:math:`w^{(t)} = \ln\big(\tfrac{K}{M} t\big)\,\hat w + \rho^{(t)}` with :math:`\rho^{(t)}`
bounded (:math:`M` tasks, :math:`K` steps per task, :math:`\hat w = w^\star` the offline
max-margin solution at margin 1), which their Theorems 4.1-4.2 extend to random orders almost
surely, as the public ICLR 2025 review of the paper states them; the paper's own text was not
available here, so the constants in its step-size condition are not used (our step size is the
classical :math:`1/\beta`).

References
----------
.. [1] H. Jung, H. Cho, C. Yun, "Convergence and Implicit Bias of Gradient Descent on Continual
   Linear Classification", ICLR 2025.
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import as_array, check_budget, check_int, check_positive
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

    Examples
    --------
    On :func:`counterexample_tasks` the direction of GD is closer to the offline :math:`w^\star`
    than the SMM limit is:

    >>> from analysis.continual import counterexample_closed_form, counterexample_tasks
    >>> from analysis.continual import cyclic_order, fixed_budget_gd
    >>> W = fixed_budget_gd(counterexample_tasks(c=0.5), cyclic_order(2, 40), n_steps=5)
    >>> smm_limit, w_star = counterexample_closed_form(c=0.5)
    >>> cos = lambda u, v: float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
    >>> W.shape, cos(W[-1], w_star) > cos(smm_limit, w_star)
    ((41, 2), True)
    """
    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    d = tasks[0][0].shape[1]
    n_max = max(X.shape[0] for X, _ in tasks)
    # Python-loop steps cost ~1e3 elementary operations of overhead each on top of the 4 n d flops
    check_budget("n_steps", n_operations=float(order.size) * n_steps * (4.0 * n_max * d + 1e3),
                 max_operations=1e11, what=f"{order.size} tasks x {n_steps} GD steps")
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


def fixed_budget_gd_batch(problems: list, n_steps: int) -> list[np.ndarray]:
    r""":func:`fixed_budget_gd` on many independent problems at once (vectorised over problems).

    Each problem is ``(tasks, order)``; problems may differ in the number of tasks, samples and
    dimension (they are zero-padded: a zero sample adds nothing to the gradient, and each task keeps
    its own :math:`1/n_m` and step size :math:`\eta = 1/\max_m \beta_m`). One Python loop over the
    longest order drives all problems, so R problems cost about as much as one.

    Returns
    -------
    list of numpy.ndarray
        For each problem, the iterates of shape (k + 1, d), equal to :func:`fixed_budget_gd`'s up to
        float64 round-off (summation order).

    Examples
    --------
    >>> from analysis.continual import cone_counterexample_tasks, counterexample_tasks
    >>> from analysis.continual import cyclic_order, fixed_budget_gd, fixed_budget_gd_batch
    >>> problems = [(counterexample_tasks(), cyclic_order(2, 6)),
    ...             (cone_counterexample_tasks(), cyclic_order(2, 4))]
    >>> out = fixed_budget_gd_batch(problems, n_steps=5)
    >>> [W.shape for W in out], bool(np.allclose(out[1], fixed_budget_gd(*problems[1], n_steps=5)))
    ([(7, 2), (5, 2)], True)
    """
    if not isinstance(problems, (list, tuple)) or len(problems) == 0:
        raise ValueError(f"problems: expected a non-empty list of (tasks, order), got {problems!r}")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    checked = []
    for i, prob in enumerate(problems):
        if not isinstance(prob, (list, tuple)) or len(prob) != 2:
            raise ValueError(f"problems[{i}]: expected a (tasks, order) pair")
        tasks = validate_tasks(prob[0], f"problems[{i}] tasks")
        checked.append((tasks, validate_order(prob[1], len(tasks), f"problems[{i}] order")))
    R = len(checked)
    T = max(len(t) for t, _ in checked)
    n = max(X.shape[0] for t, _ in checked for X, _ in t)
    d = max(t[0][0].shape[1] for t, _ in checked)
    L = max(o.size for _, o in checked)
    check_budget("n_steps", n_bytes=8.0 * (R * (T + 1) * n * d + (L + 1) * R * d),
                 n_operations=float(L) * n_steps * (4.0 * R * n * d + 1e3), max_operations=1e11,
                 what=f"{L} tasks x {n_steps} GD steps on {R} problems")
    A = np.zeros((R, T, n, d))
    scale = np.zeros((R, T + 1))  # column T: "no task" (padding after a short order ends)
    orders = np.full((R, L), T, dtype=np.int64)
    for r, (tasks, order) in enumerate(checked):
        eta = 1.0 / max(np.linalg.norm(X, 2) ** 2 / (4 * X.shape[0]) for X, _ in tasks)
        for m, (X, y) in enumerate(tasks):
            A[r, m, : X.shape[0], : X.shape[1]] = y[:, None] * X
            scale[r, m] = eta / X.shape[0]
        orders[r, : order.size] = order
    A = np.concatenate([A, np.zeros((R, 1, n, d))], axis=1)
    rows = np.arange(R)
    w = np.zeros((R, d))
    out = np.empty((L + 1, R, d))
    out[0] = w
    for t in range(L):
        m = orders[:, t]
        A_t = A[rows, m]
        s_t = scale[rows, m][:, None]
        for _ in range(n_steps):
            g = np.exp(-np.logaddexp(0.0, np.einsum("rnd,rd->rn", A_t, w)))
            w = w + s_t * np.einsum("rnd,rn->rd", A_t, g)
        out[t + 1] = w
    return [out[: o.size + 1, r, : tasks[0][0].shape[1]].copy()
            for r, (tasks, o) in enumerate(checked)]


def log_growth_coefficients(iterates: object, w_star: object, t1: int, t2: int) -> tuple[float, float]:
    r"""Coefficients of :math:`\ln t` of the iterates along and orthogonal to :math:`w^\star`.

    .. math:: a = \frac{\langle w_{t_2} - w_{t_1}, w^\star\rangle}{\|w^\star\|^2 \ln(t_2/t_1)},
              \qquad
              p = \frac{\|P_\perp w_{t_2}\| - \|P_\perp w_{t_1}\|}{\ln(t_2/t_1)},

    with :math:`P_\perp` the projection orthogonal to :math:`w^\star`. If
    :math:`w_t = \ln(c\,t)\, w^\star + \rho_t` with :math:`\rho_t` bounded (Jung et al., 2025,
    Thm 3.2 for cyclic orders; Soudry et al., 2018, Thm 3 for one task), then :math:`a \to 1` and
    :math:`p \to 0` as :math:`t_1 \to \infty` with :math:`t_2/t_1` fixed, whatever :math:`c`.

    Parameters
    ----------
    iterates : array_like, shape (k + 1, d)
        Row ``t`` is :math:`w_t` (e.g. the iterate after cycle ``t``).
    w_star : array_like, shape (d,)
        The offline max-margin solution (margin 1), non-zero.
    t1, t2 : int
        Times with ``1 <= t1 < t2 <= k``.

    Returns
    -------
    (a, p) : tuple of float

    Examples
    --------
    Iterates :math:`w_t = \ln(2t)\, w^\star + \rho` with a constant :math:`\rho` give
    :math:`a = 1`, :math:`p = 0`:

    >>> from analysis.continual import log_growth_coefficients
    >>> t = np.arange(9)
    >>> W = np.outer(np.log(2.0 * np.maximum(t, 1)), [1.0, 0.5]) + [-0.3, 0.6]
    >>> a, p = log_growth_coefficients(W, [1.0, 0.5], t1=2, t2=8)
    >>> bool(np.allclose([a, p], [1.0, 0.0]))
    True
    """
    W = as_array(iterates, "iterates", ndim=2)
    if W.shape[0] < 3:
        raise ValueError(f"iterates: expected at least 3 rows (t1 < t2 <= k), got {W.shape[0]}")
    u = as_array(w_star, "w_star", shape=(W.shape[1],))
    uu = float(u @ u)
    if uu == 0.0:
        raise ValueError("w_star: expected a non-zero vector, got the zero vector")
    t1 = check_int(t1, "t1", minimum=1, maximum=W.shape[0] - 2)
    t2 = check_int(t2, "t2", minimum=t1 + 1)
    if t2 >= W.shape[0]:
        raise ValueError(f"t2: expected at most {W.shape[0] - 1} (rows of iterates - 1), got {t2}")
    along = W[[t1, t2]] @ u / uu
    perp = np.linalg.norm(W[[t1, t2]] - np.outer(along, u), axis=1)
    log_ratio = np.log(t2 / t1)
    return float((along[1] - along[0]) / log_ratio), float((perp[1] - perp[0]) / log_ratio)

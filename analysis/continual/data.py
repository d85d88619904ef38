r"""Generators of the continual-learning settings: tasks, orderings, the two counterexamples.

A *task* is a pair ``(X, y)`` with ``X`` of shape ``(n, d)`` and, for classification, labels
``y`` in {-1, +1} (for regression, real targets). A *task ordering* is an integer array
``order`` with ``order[t - 1]`` the task seen at iteration ``t`` (Evron et al., 2023:
:math:`\\tau(t)`).
"""

from __future__ import annotations

import numpy as np

from analysis._core.rng import make_rng, random_orthogonal
from analysis._core.validate import as_array, check_budget, check_int, check_positive, check_real

Task = tuple[np.ndarray, np.ndarray]


def validate_tasks(tasks: object, name: str = "tasks", *, labels: bool = True) -> list[Task]:
    """Check a list of tasks ``[(X_m, y_m), ...]`` with a common dimension; return float copies.

    Parameters
    ----------
    tasks : sequence of (array_like, array_like)
        ``X_m`` of shape ``(n_m, d)`` and ``y_m`` of shape ``(n_m,)``.
    name : str
        Argument name for error messages.
    labels : bool
        Require ``y_m`` in {-1, +1} (classification); otherwise any finite targets (regression).

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
    """
    if not isinstance(tasks, (list, tuple)) or len(tasks) == 0:
        raise ValueError(
            f"{name}: expected a non-empty list of (X, y) pairs, got {type(tasks).__name__}"
        )
    out: list[Task] = []
    d = None
    for m, task in enumerate(tasks):
        if not isinstance(task, (list, tuple)) or len(task) != 2:
            raise ValueError(f"{name}[{m}]: expected an (X, y) pair, got {type(task).__name__}")
        X = as_array(task[0], f"{name}[{m}] X", ndim=2, min_size=1)
        y = as_array(task[1], f"{name}[{m}] y", shape=(X.shape[0],))
        if d is None:
            d = X.shape[1]
        elif X.shape[1] != d:
            raise ValueError(f"{name}[{m}] X: expected {d} columns like task 0, got {X.shape[1]}")
        if labels and not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError(
                f"{name}[{m}] y: expected labels in {{-1, +1}}, got values {np.unique(y)[:5]}"
            )
        out.append((X, y))
    return out


def validate_order(order: object, n_tasks: int, name: str = "order") -> np.ndarray:
    """Check a task ordering: a 1-D integer array with entries in ``0..n_tasks-1``."""
    raw = np.asarray(order)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(
            f"{name}: expected a non-empty 1-D array of task indices, got shape {raw.shape}"
        )
    if not np.issubdtype(raw.dtype, np.integer):
        raise ValueError(f"{name}: expected integer task indices, got dtype {raw.dtype}")
    if raw.min() < 0 or raw.max() >= n_tasks:
        raise ValueError(
            f"{name}: expected task indices in 0..{n_tasks - 1}, got range [{raw.min()}, {raw.max()}]"
        )
    return raw.astype(np.int64)


def cyclic_order(n_tasks: int, n_iterations: int) -> np.ndarray:
    r"""Cyclic task ordering :math:`\tau(t) = (t - 1) \bmod T` for :math:`t = 1..k`.

    Parameters
    ----------
    n_tasks : int
        Number of tasks T (>= 1).
    n_iterations : int
        Number of iterations k (>= 1).

    Returns
    -------
    numpy.ndarray of int64, shape (k,)

    Examples
    --------
    >>> from analysis.continual import cyclic_order
    >>> cyclic_order(3, 7)
    array([0, 1, 2, 0, 1, 2, 0])
    """
    T = check_int(n_tasks, "n_tasks", minimum=1)
    k = check_int(n_iterations, "n_iterations", minimum=1)
    check_budget("n_iterations", n_bytes=8.0 * k, what="an order of k int64 indices")
    return np.arange(k, dtype=np.int64) % T


def random_order(n_tasks: int, n_iterations: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Random task ordering: i.i.d. uniform task indices (with replacement).

    This is the random ordering of Evron et al. (2022, 2023): at every iteration the task is drawn
    uniformly from the T tasks, independently of the past.

    Parameters
    ----------
    n_tasks : int
        Number of tasks T (>= 1).
    n_iterations : int
        Number of iterations k (>= 1).
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int64, shape (k,)

    Examples
    --------
    >>> from analysis.continual import random_order
    >>> order = random_order(3, 1000, seed=0)
    >>> order.shape, sorted(set(order.tolist()))
    ((1000,), [0, 1, 2])
    >>> bool(np.array_equal(order, random_order(3, 1000, seed=0)))  # same seed, same order
    True
    """
    T = check_int(n_tasks, "n_tasks", minimum=1)
    k = check_int(n_iterations, "n_iterations", minimum=1)
    check_budget("n_iterations", n_bytes=16.0 * k, what="an order of k int64 indices")
    return make_rng(seed, name="seed").integers(0, T, size=k).astype(np.int64)


def make_separable_tasks(
    n_tasks: int,
    n_per_task: int,
    d: int,
    seed: int | np.random.Generator = 0,
    *,
    min_margin: float = 0.1,
    task_shift: float = 1.0,
) -> tuple[list[Task], np.ndarray]:
    r"""Jointly separable classification tasks with a planted separator.

    A unit planted direction :math:`u` is drawn; each task has its own input distribution
    (Gaussian with a task-specific random mean of norm ``task_shift``, so tasks differ), labels
    :math:`y = \operatorname{sign}(u^\top x)`, and samples with :math:`|u^\top x| < ` ``min_margin``
    rejected. The planted separator scaled to unit functional margin,
    :math:`u / \min_i |u^\top x_i|`, lies in every task's feasible set :math:`\mathcal W_m`, so
    :math:`\mathcal W^\star \ne \emptyset` (joint separability,
    the standing assumption of Evron et al. 2023).

    Parameters
    ----------
    n_tasks, n_per_task, d : int
        Number of tasks T, samples per task, dimension.
    seed : int or numpy.random.Generator
    min_margin : float
        Minimal geometric margin of the planted direction (> 0).
    task_shift : float
        Norm of each task's mean shift (>= 0); larger means more dissimilar tasks.

    Returns
    -------
    tasks : list of (X, y)
    planted : numpy.ndarray, shape (d,)
        A point of :math:`\mathcal W^\star` (the planted direction with unit functional margin).

    Examples
    --------
    >>> from analysis.continual import make_separable_tasks
    >>> tasks, planted = make_separable_tasks(3, 5, 4, seed=0)
    >>> len(tasks), tasks[0][0].shape
    (3, (5, 4))
    >>> margins = np.concatenate([y * (X @ planted) for X, y in tasks])
    >>> round(float(margins.min()), 6)  # the planted point has unit functional margin
    1.0
    """
    T = check_int(n_tasks, "n_tasks", minimum=1)
    n = check_int(n_per_task, "n_per_task", minimum=1)
    d = check_int(d, "d", minimum=1)
    gamma = check_positive(min_margin, "min_margin")
    shift = check_real(task_shift, "task_shift", minimum=0.0)
    # the task list (T, n, d) plus a (2n, d) draw; the size is the product of the three
    check_budget("n_tasks * n_per_task * d", n_bytes=8.0 * (T + 4) * n * d,
                 n_operations=4.0 * T * n * d, what=f"{T} tasks of shape ({n}, {d})")
    rng = make_rng(seed, name="seed")
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    tasks: list[Task] = []
    for _ in range(T):
        mean = rng.standard_normal(d)
        mean *= shift / max(np.linalg.norm(mean), 1e-300)
        rows: list[np.ndarray] = []
        while sum(len(r) for r in rows) < n:
            Z = rng.standard_normal((2 * n, d)) + mean
            rows.append(Z[np.abs(Z @ u) >= gamma])
        X = np.concatenate(rows)[:n]
        tasks.append((X, np.sign(X @ u)))
    margin = min(float(np.min(np.abs(X @ u))) for X, _ in tasks)
    return tasks, u / margin


def _rotate_plane(seed: int | np.random.Generator | None, *arrays: np.ndarray) -> list[np.ndarray]:
    """Apply one seeded random rotation of the plane to points (rows or 1-D); identity if no seed."""
    if seed is None:
        return list(arrays)
    Q = random_orthogonal(2, make_rng(seed, name="seed"))
    return [a @ Q.T for a in arrays]


def counterexample_tasks(c: float = 0.5, seed: int | np.random.Generator | None = None) -> list[Task]:
    r"""Two one-sample tasks on which sequential max-margin stops short of the offline :math:`w^\star`.

    Task 1: :math:`x_1 = e_1`; task 2: :math:`x_2 = c\,(e_1 + 2 e_2)`, both with label +1, for
    :math:`c \in (1/5, 1)`. From :math:`w_0 = 0`, SMM projects onto :math:`\{w_1 \ge 1\}` giving
    :math:`e_1`, which violates task 2; projecting onto :math:`\{c(w_1 + 2 w_2) \ge 1\}` gives

    .. math:: w_2 = e_1 + \tfrac{1 - c}{5c}(e_1 + 2 e_2) \in \mathcal W^\star,

    after which every projection is the identity. The offline solution has both constraints
    active, :math:`w^\star = e_1 + \tfrac{1 - c}{2c} e_2 \ne w_2` (see
    :func:`counterexample_closed_form`). This reproduces the phenomenon of Evron et al. (2023),
    (SMM converges to a point of :math:`\mathcal W^\star` that is not the offline
    max-margin solution); the exact instance of the paper's figure could not be retrieved, so this
    is the simplest instance we could derive with the same property.

    Parameters
    ----------
    c : float
        Scale of task 2, in (0.2, 1).
    seed : int, numpy.random.Generator or None
        If given, the instance is rotated by a random orthogonal matrix of this seed (the
        geometry, hence every distance, is rotation invariant).

    Returns
    -------
    list of (X, y), two tasks in 2-D.

    Examples
    --------
    >>> from analysis.continual import counterexample_tasks
    >>> (X1, y1), (X2, y2) = counterexample_tasks(c=0.5)
    >>> X1, X2, y2
    (array([[1., 0.]]), array([[0.5, 1. ]]), array([1.]))
    """
    c = check_real(c, "c", minimum=0.2, maximum=1.0, strict_min=True, strict_max=True)
    X1 = np.array([[1.0, 0.0]])
    X2 = c * np.array([[1.0, 2.0]])
    X1, X2 = _rotate_plane(seed, X1, X2)
    return [(X1, np.ones(1)), (X2, np.ones(1))]


def counterexample_closed_form(c: float = 0.5, seed: int | np.random.Generator | None = None):
    r"""Closed forms for :func:`counterexample_tasks`: the SMM limit and the offline :math:`w^\star`.

    Returns
    -------
    smm_limit, w_star : numpy.ndarray, shape (2,)
        :math:`e_1 + \frac{1-c}{5c}(e_1 + 2e_2)` and :math:`e_1 + \frac{1-c}{2c} e_2` (rotated
        like the tasks when ``seed`` is given).

    Examples
    --------
    >>> from analysis.continual import counterexample_closed_form, counterexample_tasks
    >>> from analysis.continual import cyclic_order, sequential_max_margin
    >>> smm_limit, w_star = counterexample_closed_form(c=0.5)
    >>> smm_limit, w_star
    (array([1.2, 0.4]), array([1. , 0.5]))
    >>> W = sequential_max_margin(counterexample_tasks(c=0.5), cyclic_order(2, 4))
    >>> bool(np.allclose(W[-1], smm_limit))
    True
    """
    c = check_real(c, "c", minimum=0.2, maximum=1.0, strict_min=True, strict_max=True)
    smm = np.array([1.0, 0.0]) + (1 - c) / (5 * c) * np.array([1.0, 2.0])
    w_star = np.array([1.0, (1 - c) / (2 * c)])
    smm, w_star = _rotate_plane(seed, smm, w_star)
    return smm, w_star


def _check_cone_parameters(a: object, b: object) -> tuple[float, float]:
    a = check_real(a, "a", minimum=0.0, strict_min=True)
    b = check_real(b, "b", minimum=0.0, strict_min=True)
    s = a * a + b * b
    if not a + b < 1.0:
        raise ValueError(
            f"a, b: expected a + b < 1 (task 2 violated at the apex (1, 1) of task 1's cone), "
            f"got a + b = {a + b:.6g}"
        )
    if not (a >= s and b >= s):
        raise ValueError(
            "a, b: expected a >= a^2 + b^2 and b >= a^2 + b^2 (w* = (a, b)/(a^2 + b^2) inside "
            f"task 1's cone), got a = {a:.6g}, b = {b:.6g}, a^2 + b^2 = {s:.6g}"
        )
    return a, b


def cone_counterexample_tasks(
    a: float = 0.25, b: float = 0.35, seed: int | np.random.Generator | None = None
) -> list[Task]:
    r"""Two 2-D tasks shaped like the paper's Figure 1 on which SMM stops short of :math:`w^\star`.

    Task 1 has one positive and one negative sample, :math:`(e_1, +1)` and :math:`(-e_2, -1)`, so
    its feasible set is the polyhedral cone :math:`\mathcal W_1 = \{w_1 \ge 1, w_2 \ge 1\}` with
    apex :math:`(1, 1)`; task 2 has the single sample :math:`((a, b), +1)`. This is the structure
    the caption of Evron et al. (2023), Fig. 1(a)-(b), describes (a 2-D task with one positive
    and one negative sample; a second task with a single sample); the figure's coordinates are
    not stated in the text we could read, so ``a`` and ``b`` are ours.

    With :math:`a, b > 0`, :math:`a + b < 1` and :math:`a, b \ge s := a^2 + b^2`, SMM from
    :math:`0` goes to the apex, then projects it onto :math:`\{a w_1 + b w_2 \ge 1\}`:

    .. math:: w_{SMM} = (1, 1) + \frac{1 - a - b}{s}\,(a, b) \in \mathcal W^\star,

    and stays there, while :math:`w^\star = (a, b)/s` (only task 2's constraint active). The gap
    is the component of :math:`(1, 1)` orthogonal to :math:`(a, b)`:

    .. math:: \|w_{SMM} - w^\star\| = \frac{|a - b|}{\sqrt{a^2 + b^2}},

    zero only when :math:`a = b` (proved in ``proofs_checks/check_continual.py``).

    Parameters
    ----------
    a, b : float
        Task 2's sample, in the region above.
    seed : int, numpy.random.Generator or None
        If given, the instance is rotated by a random orthogonal matrix of this seed.

    Returns
    -------
    list of (X, y), two tasks in 2-D.

    Examples
    --------
    >>> from analysis.continual import cone_counterexample_tasks
    >>> (X1, y1), (X2, y2) = cone_counterexample_tasks(a=0.25, b=0.35)
    >>> X1, y1, X2
    (array([[ 1.,  0.], [ 0., -1.]]), array([ 1., -1.]), array([[0.25, 0.35]]))
    """
    a, b = _check_cone_parameters(a, b)
    X1 = np.array([[1.0, 0.0], [0.0, -1.0]])
    X2 = np.array([[a, b]])
    X1, X2 = _rotate_plane(seed, X1, X2)
    return [(X1, np.array([1.0, -1.0])), (X2, np.ones(1))]


def cone_counterexample_closed_form(
    a: float = 0.25, b: float = 0.35, seed: int | np.random.Generator | None = None
):
    r"""Closed forms for :func:`cone_counterexample_tasks`.

    Returns
    -------
    smm_limit, w_star : numpy.ndarray, shape (2,)
        :math:`(1,1) + \frac{1-a-b}{a^2+b^2}(a, b)` and :math:`(a, b)/(a^2+b^2)` (rotated like
        the tasks when ``seed`` is given).
    gap : float
        :math:`|a - b| / \sqrt{a^2 + b^2}`.

    Examples
    --------
    >>> from analysis.continual import cone_counterexample_closed_form
    >>> smm_limit, w_star, gap = cone_counterexample_closed_form(a=0.25, b=0.35)
    >>> round(float(gap), 3), bool(np.isclose(np.linalg.norm(smm_limit - w_star), gap))
    (0.232, True)
    """
    a, b = _check_cone_parameters(a, b)
    s = a * a + b * b
    x2 = np.array([a, b])
    smm = np.ones(2) + (1.0 - a - b) / s * x2
    w_star = x2 / s
    smm, w_star = _rotate_plane(seed, smm, w_star)
    return smm, w_star, abs(a - b) / np.sqrt(s)


def make_regression_tasks(
    n_tasks: int, n_per_task: int, d: int, seed: int | np.random.Generator = 0, *, noise: float = 0.0
) -> tuple[list[Task], np.ndarray]:
    r"""Jointly realizable linear-regression tasks :math:`y_m = X_m u` (Evron et al., 2022).

    Each task has Gaussian inputs with its own random covariance scaling (so tasks differ).
    ``noise > 0`` adds Gaussian noise to the targets, which breaks joint realizability when
    ``n_tasks * n_per_task > d`` (used to show the bounds' hypothesis matters).

    Parameters
    ----------
    n_tasks, n_per_task, d : int
        Number of tasks T, samples per task, dimension.
    seed : int or numpy.random.Generator
    noise : float
        Standard deviation of the Gaussian target noise (>= 0).

    Returns
    -------
    tasks : list of (X, y)
    planted : numpy.ndarray, shape (d,)
        The planted joint solution :math:`u` (exact when ``noise == 0``).

    Examples
    --------
    >>> from analysis.continual import make_regression_tasks
    >>> tasks, u = make_regression_tasks(2, 3, 8, seed=0)
    >>> tasks[0][0].shape, bool(all(np.allclose(X @ u, y) for X, y in tasks))
    ((3, 8), True)
    """
    T = check_int(n_tasks, "n_tasks", minimum=1)
    n = check_int(n_per_task, "n_per_task", minimum=1)
    d = check_int(d, "d", minimum=1)
    noise = check_real(noise, "noise", minimum=0.0)
    check_budget("n_tasks * n_per_task * d", n_bytes=8.0 * (T + 2) * n * d,
                 n_operations=4.0 * T * n * d, what=f"{T} tasks of shape ({n}, {d})")
    rng = make_rng(seed, name="seed")
    u = rng.standard_normal(d) / np.sqrt(d)
    tasks: list[Task] = []
    for _ in range(T):
        scales = np.exp(rng.uniform(-1.0, 1.0, size=d))
        X = rng.standard_normal((n, d)) * scales / np.sqrt(d)
        y = X @ u + noise * rng.standard_normal(n)
        tasks.append((X, y))
    return tasks, u


def wedge_tasks(
    theta: float, radius: float = 1.0, seed: int | np.random.Generator | None = None
) -> tuple[list[Task], np.ndarray]:
    r"""Two one-sample tasks whose feasible sets meet in a thin wedge: the forgetting bounds' tight case.

    Task :math:`m` is the single sample :math:`(R\,n_m, +1)` with unit normals
    :math:`n_{1,2} = (\pm\cos\tfrac\theta2, \sin\tfrac\theta2)` at angle :math:`\pi - \theta`, so
    :math:`\mathcal W_m = \{R\, n_m^\top w \ge 1\}` and :math:`\mathcal W^\star` is a wedge of
    opening :math:`\theta` with apex :math:`p = e_2 / (R \sin\tfrac\theta2)`, which is also the
    offline max-margin solution :math:`w^\star` (the origin lies in the opposite wedge). Read as
    regression tasks (targets 1) they are two lines through :math:`p`.

    From :math:`w_0 = 0` every SMM (or affine-projection) step lands on the boundary ray of its task
    that violates the other task, at distance :math:`r_1 = \|p\|\cos\tfrac\theta2` from :math:`p`
    after the first step and :math:`r_{j} = r_{j-1}\cos\theta` after every task switch; the other
    task's hinge is :math:`R\, r_j \sin\theta`. So every inequality of the derivation in
    :mod:`analysis.continual.forgetting` is an equality here (hinge = :math:`R` times the distance,
    Fejer's inequality for hyperplanes through :math:`p`), except the cyclic bound's replacement of
    the average over tasks by the maximum (a factor 2 for two tasks).

    Parameters
    ----------
    theta : float
        Opening angle of the wedge, in (0, pi/2].
    radius : float
        Sample norm :math:`R` (> 0); every measured ratio is invariant to it.
    seed : int, numpy.random.Generator or None
        If given, the instance is rotated by a random orthogonal matrix of this seed.

    Returns
    -------
    tasks : list of (X, y), two tasks in 2-D.
    apex : numpy.ndarray, shape (2,)
        :math:`p = w^\star`, rotated like the tasks.
    """
    theta = check_real(theta, "theta", minimum=0.0, maximum=np.pi / 2, strict_min=True)
    R = check_positive(radius, "radius")
    h = theta / 2
    X1 = R * np.array([[np.cos(h), np.sin(h)]])
    X2 = R * np.array([[-np.cos(h), np.sin(h)]])
    apex = np.array([0.0, 1.0 / (R * np.sin(h))])
    X1, X2, apex = _rotate_plane(seed, X1, X2, apex)
    return [(X1, np.ones(1)), (X2, np.ones(1))], apex


def wedge_closed_forms(theta: float, n_iterations: int) -> dict:
    r"""Closed forms of forgetting on :func:`wedge_tasks`, in units of :math:`R^2 \|w^\star\|^2`.

    With :math:`r_j` the distance of the SMM iterate :math:`w_j` (cyclic order, task 1 first) to
    the apex and :math:`c_j` the fraction of the first :math:`j` iterations spent on the other task
    (:math:`c_j = 1/2` for even :math:`j`, :math:`(j-1)/(2j)` for odd :math:`j`):

    .. math:: \frac{F(j)}{R^2\|w^\star\|^2} = c_j\, \frac{r_j^2}{\|p\|^2} \sin^2\theta, \qquad
              \frac{r_j^2}{\|p\|^2} = \cos^2\tfrac\theta2 \cos^{2(j-1)}\theta .

    For i.i.d. uniform orders the iterate after :math:`t` steps is at
    :math:`r_t = r_1\cos^{s}\theta` with :math:`s \sim \mathrm{Bin}(t-1, 1/2)` switches, so
    :math:`\mathbb E\, r_t^2 = r_1^2 q^{t-1}`, :math:`q = (1 + \cos^2\theta)/2`, and

    .. math:: \frac{\mathbb E \sum_{t<k} \bar G(w_t)}{R^2\|w^\star\|^2}
              = 1 - \cos^2\tfrac\theta2\, q^{k-1} \;\to\; 1 ,

    i.e. the random-order bound is attained in the limit (derived in
    ``proofs_checks/check_continual.py``).

    Returns
    -------
    dict
        ``cyclic_forgetting`` (k,): :math:`F(j)/(R^2\|w^\star\|^2)`, j = 1..k;
        ``random_cumulative`` (k,): :math:`\mathbb E\sum_{t<j}\bar G(w_t)/(R^2\|w^\star\|^2)`.
    """
    theta = check_real(theta, "theta", minimum=0.0, maximum=np.pi / 2, strict_min=True)
    k = check_int(n_iterations, "n_iterations", minimum=1)
    j = np.arange(1, k + 1)
    c = np.where(j % 2 == 0, 0.5, (j - 1) / (2.0 * j))
    r2 = np.cos(theta / 2) ** 2 * np.cos(theta) ** (2 * (j - 1))
    q = (1 + np.cos(theta) ** 2) / 2
    return {
        "cyclic_forgetting": c * r2 * np.sin(theta) ** 2,
        "random_cumulative": 1.0 - np.cos(theta / 2) ** 2 * q ** (j - 1),
    }

r"""The sequential max-margin (SMM) step: Euclidean projection onto a task's feasible polyhedron.

Task :math:`m` with samples :math:`(x_i, y_i)` has the feasible set
:math:`\mathcal W_m = \{w : y_i x_i^\top w \ge 1\ \forall i\}` (an intersection of halfspaces);
the SMM step (Evron et al., 2023, Scheme 2) is

.. math:: w_t = \arg\min_w \|w - w_{t-1}\|^2 \quad\text{s.t.}\quad y_i x_i^\top w \ge 1
          \ \ \forall (x_i, y_i) \in S_{\tau(t)},

i.e. :math:`w_t = P_{\mathcal W_{\tau(t)}}(w_{t-1})`. Writing :math:`a_i = y_i x_i` and
:math:`A` the matrix of rows :math:`a_i`, its dual is the non-negative quadratic program

.. math:: \min_{\alpha \ge 0}\ \tfrac12 \|A^\top \alpha\|^2 - \alpha^\top (\mathbf 1 - A w_{t-1}),
          \qquad w_t = w_{t-1} + A^\top \alpha,

whose gradient is the primal slack :math:`A w_t - \mathbf 1`. Three solvers are provided:

``"active_set"`` (default)
    The least-distance program (LDP) reduction of Lawson & Hanson (1974, Ch. 23): with
    :math:`z = w - w_{t-1}` and :math:`b = \mathbf 1 - A w_{t-1}`, solve the non-negative least
    squares :math:`\min_{u \ge 0} \|E u - f\|`, :math:`E = [A^\top; b^\top]`,
    :math:`f = e_{d+1}`, by the Lawson-Hanson dual active-set method (compiled, in SciPy); then
    :math:`z = -r_{1:d}/r_{d+1}` with :math:`r = E u - f`, and :math:`r = 0` certifies that the
    task is not separable (Farkas). The multipliers are then polished on the active set. It is
    warm-started from the previous visit's active set: if that set still satisfies the KKT
    conditions, one small linear solve replaces the NNLS.
``"hildreth"``
    Hildreth's (1957) dual coordinate ascent: :math:`\alpha_i \leftarrow \max(0, \alpha_i -
    (a_i^\top w - 1)/\|a_i\|^2)`, warm-startable from any :math:`\alpha \ge 0`. Exact but slow to
    converge on ill-conditioned tasks; kept as the classical method and as a second route.
``"cvxpy"``
    Clarabel through cvxpy: the reference every other route is tested against.

References
----------
.. [1] I. Evron, E. Moroshko, G. Buzaglo, M. Khriesh, B. Marjieh, N. Srebro, D. Soudry,
   "Continual Learning in Linear Classification on Separable Data", ICML 2023, Scheme 2.
.. [2] C. L. Lawson, R. J. Hanson, "Solving Least Squares Problems", 1974, Ch. 23 (LDP).
.. [3] C. Hildreth, "A quadratic programming procedure", Naval Res. Logist. Q. 4, 1957.
"""

from __future__ import annotations

import numpy as np

from analysis._core.solve import SolverError, solve_problem
from analysis._core.validate import as_array, check_choice, check_int, check_positive, check_real
from analysis.continual.data import validate_order, validate_tasks

METHODS = ("active_set", "hildreth", "cvxpy")
_CLARABEL_TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10}
_CLARABEL_MEDIUM = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "tol_ktratio": 1e-8}


class NotSeparableError(ValueError):
    """A task (or the union of tasks) has an empty feasible set: no w with y x.w >= 1 for all samples.

    A subclass of ``ValueError``, raised by the SMM projection and everything built on it; the
    message names the task.

    Examples
    --------
    >>> from analysis.continual import NotSeparableError, project_onto_task
    >>> try:  # w >= 1 and -w >= 1 at once: an empty feasible set
    ...     project_onto_task(np.zeros(1), [[1.0], [1.0]], [1.0, -1.0], task_name="tasks[0]")
    ... except NotSeparableError as exc:
    ...     print(str(exc).split(";")[0])
    tasks[0]: expected a linearly separable task (through the origin)
    """


def _constraint_matrix(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y[:, None] * X


def _check_inputs(w, X, y, task_name, w_name="w"):
    X = as_array(X, f"{task_name} X", ndim=2, min_size=1)
    y = as_array(y, f"{task_name} y", shape=(X.shape[0],))
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"{task_name} y: expected labels in {{-1, +1}}, got values {np.unique(y)[:5]}")
    w = as_array(w, w_name, shape=(X.shape[1],))
    return w, X, y


def project_onto_task(
    w: object,
    X: object,
    y: object,
    *,
    method: str = "active_set",
    tol: float = 1e-10,
    alpha0: object | None = None,
    return_dual: bool = False,
    task_name: str = "task",
    max_sweeps: int = 100_000,
):
    r"""Euclidean projection of ``w`` onto a task's feasible set (one SMM step).

    .. math:: P_{\mathcal W}(w) = \arg\min_v \|v - w\|^2 \ \text{s.t.}\ y_i x_i^\top v \ge 1.

    Parameters
    ----------
    w : array_like, shape (d,)
        Point to project (the previous iterate :math:`w_{t-1}`).
    X : array_like, shape (n, d)
        The task's inputs.
    y : array_like, shape (n,)
        Labels in {-1, +1}.
    method : {"active_set", "hildreth", "cvxpy"}
        Solver (see the module docstring); ``"active_set"`` is the fast default.
    tol : float
        Feasibility / KKT tolerance relative to the scale of the data (default 1e-10).
    alpha0 : array_like, shape (n,), optional
        Warm start: previous dual multipliers (``"hildreth"``) or any vector whose positive
        entries mark the guessed active set (``"active_set"``).
    return_dual : bool
        Also return the multipliers :math:`\alpha \ge 0` with :math:`v = w + A^\top \alpha`.
    task_name : str
        Name used in error messages (``"tasks[3]"``).
    max_sweeps : int
        Iteration cap for ``"hildreth"``.

    Returns
    -------
    v : numpy.ndarray, shape (d,)
    alpha : numpy.ndarray, shape (n,)
        Only when ``return_dual``.

    Raises
    ------
    NotSeparableError
        If the task's samples are not linearly separable through the origin (empty feasible set);
        the message names the task and the certificate.
    ValueError
        On malformed input.

    References
    ----------
    Evron et al. (2023), ICML, Scheme 2 (sequential max-margin); Lawson & Hanson (1974), Ch. 23.

    Examples
    --------
    Projecting 0 onto :math:`\{2 v_1 \ge 1\}` moves it to :math:`(1/2, 0)`, multiplier 1/4:

    >>> from analysis.continual import project_onto_task
    >>> project_onto_task(np.zeros(2), [[2.0, 0.0]], [1.0], return_dual=True)
    (array([0.5, 0. ]), array([0.25]))
    """
    w, X, y = _check_inputs(w, X, y, task_name)
    method = check_choice(method, "method", METHODS)
    tol = check_positive(tol, "tol")
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    A = _constraint_matrix(X, y)
    if alpha0 is not None:
        alpha0 = as_array(alpha0, "alpha0", shape=(X.shape[0],))
        if np.any(alpha0 < 0):
            raise ValueError(f"alpha0: expected non-negative multipliers, got min {alpha0.min():.3g}")
    v, alpha = _project(w, A, method, tol, alpha0, max_sweeps, task_name)
    return (v, alpha) if return_dual else v


def _project(w, A, method, tol, alpha0, max_sweeps, task_name, R_A=None):
    """Dispatch on validated inputs (the inner loop of SMM calls this directly)."""
    if method == "cvxpy":
        return _project_cvxpy(w, A, task_name)
    if method == "hildreth":
        return _project_hildreth(w, A, tol, alpha0, max_sweeps, task_name)
    return _project_active_set(w, A, tol, alpha0, task_name, R_A)


def _reduced_factor(A: np.ndarray) -> np.ndarray | None:
    """R of A^T = Q R (n x n) when d > n: the LDP dual then needs only R, not the d x n A^T.

    ||A^T u||^2 = ||R u||^2, so the NNLS problem min ||[A^T; b^T] u - e_{d+1}|| of the LDP dual
    has the same objective (hence the same solution) as min ||[R; b^T] u - e_{n+1}||, an
    (n + 1) x n problem instead of (d + 1) x n. R depends on the task only, so SMM computes it
    once per task and reuses it at every visit. None when d <= n (no reduction).
    """
    n, d = A.shape
    if d <= n:
        return None
    # R^T R = A A^T: the Cholesky factor of the Gram matrix costs the Gram product (the floor of
    # any dual method) plus n^3/3, about 2.5x less than Householder QR at d = 4n; QR when the Gram
    # matrix is numerically singular (repeated or dependent samples).
    try:
        return np.linalg.cholesky(A @ A.T).T
    except np.linalg.LinAlgError:
        return np.linalg.qr(A.T, mode="r")


def _scale(A: np.ndarray, w: np.ndarray) -> float:
    """Scale of the constraint values a_i.w (slack units): invariant to rescaling (A, w) -> (sA, w/s).

    (It was 1 + max|A| (1 + max|w|), which grows with the data's scale: at entries ~1e6 a slack of
    -1e-4 passed as feasible and Hildreth stopped at feasibility 1e-8.)
    """
    return 1.0 + float(np.max(np.abs(A @ w)))


def _try_active_set(w, A, active, tol, R_A=None):
    """Projection onto {a_i.v = 1, i in active}; return (v, alpha) if it satisfies the KKT conditions.

    ``R_A`` (R^T R = A A^T, n x n) forms the active Gram matrix in n |S|^2 instead of d |S|^2.
    """
    if active.size == 0:
        return None
    A_S = A[active]
    c_S = 1.0 - A_S @ w
    if R_A is None:
        G = A_S @ A_S.T
    else:
        R_S = R_A[:, active]
        G = R_S.T @ R_S
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        return None
    alpha_S = np.linalg.solve(L.T, np.linalg.solve(L, c_S))
    scale = _scale(A, w)
    # multipliers are slacks divided by |a_i|^2 (v = w + A_S^T alpha_S)
    if np.any(alpha_S < -tol * scale / float(np.max(np.einsum("ij,ij->i", A_S, A_S)))):
        return None
    v = w + A_S.T @ alpha_S
    if np.min(A @ v - 1.0) < -tol * scale * 10:
        return None
    alpha = np.zeros(A.shape[0])
    alpha[active] = np.maximum(alpha_S, 0.0)
    return v, alpha


def _project_active_set(w, A, tol, alpha0, task_name, R_A=None):
    from scipy.optimize import nnls

    n, d = A.shape
    slack = A @ w - 1.0
    scale = _scale(A, w)
    if np.min(slack) >= -tol * scale:  # already feasible: the projection is the identity
        return w.copy(), np.zeros(n)
    if alpha0 is not None:
        warm = _try_active_set(w, A, np.flatnonzero(alpha0 > 0), tol, R_A)
        if warm is not None:
            return warm
    b = -slack  # 1 - A w
    if R_A is None:
        R_A = _reduced_factor(A)
    top = A.T if R_A is None else R_A  # same NNLS objective (see _reduced_factor)
    E = np.vstack([top, b[None, :]])
    f = np.zeros(E.shape[0])
    f[-1] = 1.0
    u, _ = nnls(E, f, maxiter=max(50 * n, 1000))
    r = np.concatenate([A.T @ u, [b @ u - 1.0]])  # the residual of the full (d + 1) x n problem
    if np.linalg.norm(r) <= 1e-9 or r[-1] >= -1e-14:
        raise NotSeparableError(
            f"{task_name}: expected a linearly separable task (through the origin); its feasible set "
            f"{{w : y_i x_i.w >= 1}} is empty (Farkas certificate from the LDP dual: residual "
            f"norm {np.linalg.norm(r):.2e})"
        )
    z = -r[:d] / r[-1]
    v = w + z
    # Multipliers of the projection: alpha = u / (-r_{d+1}) (LDP duality); polish them on the
    # active set, which removes the error amplified by the division above.
    polished = _try_active_set(w, A, np.flatnonzero(u > 0), tol, R_A)
    if polished is not None:
        return polished
    alpha = np.maximum(u / (-r[-1]), 0.0)
    return v, alpha


def _project_hildreth(w, A, tol, alpha0, max_sweeps, task_name):
    n = A.shape[0]
    norms2 = np.einsum("ij,ij->i", A, A)
    if np.any(norms2 == 0):
        raise NotSeparableError(
            f"{task_name}: expected a linearly separable task; sample {int(np.argmin(norms2))} is "
            "x = 0, "
            "which no w can classify with margin 1"
        )
    alpha = np.zeros(n) if alpha0 is None else alpha0.copy()
    v = w + A.T @ alpha
    scale = _scale(A, w)
    rows = [A[i] for i in range(n)]  # row views: cheaper inner loop
    for _ in range(max_sweeps):
        max_change = 0.0
        for i in range(n):
            a = rows[i]
            new = alpha[i] - (a @ v - 1.0) / norms2[i]
            if new < 0.0:
                new = 0.0
            delta = new - alpha[i]
            if delta != 0.0:
                v += delta * a
                alpha[i] = new
                change = abs(delta) * norms2[i]
                max_change = max(max_change, change)
        if max_change <= tol * scale:
            break
    else:
        if np.min(A @ v - 1.0) < -1e-6 * scale:
            raise NotSeparableError(
                f"{task_name}: Hildreth's method did not reach feasibility in {max_sweeps} sweeps "
                f"(min slack {np.min(A @ v - 1.0):.2e}); the task is likely not separable"
            )
    return v, alpha


def _project_cvxpy(w, A, task_name):
    import cvxpy as cp

    # Tightened tolerances: the reference must resolve the projection to ~1e-10 relative.
    # Clarabel occasionally stalls short of 1e-12 on degenerate instances; we then rebuild the
    # problem (no stale warm start) and relax to 1e-10, then to Clarabel's defaults (1e-8).
    what = f"SMM projection onto {task_name}"
    last_exc = None
    for options in (_CLARABEL_TIGHT, _CLARABEL_MEDIUM, {}):
        v = cp.Variable(A.shape[1])
        cons = [A @ v >= 1]
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(v - w)), cons)
        try:
            solve_problem(problem, "CLARABEL", what=what, **options)
        except SolverError as exc:
            if problem.status in ("infeasible", "infeasible_inaccurate"):
                raise NotSeparableError(
                    f"{task_name}: expected a linearly separable task; Clarabel reports the "
                    f"projection QP {problem.status!r} (its infeasibility certificate)"
                ) from exc
            last_exc = exc
            continue
        dual = np.maximum(np.asarray(cons[0].dual_value).ravel(), 0.0)
        return np.asarray(v.value, dtype=np.float64), dual
    raise last_exc


def check_separable(tasks: object, name: str = "tasks") -> list:
    """Check that every task is linearly separable through the origin; return the validated tasks.

    Raises
    ------
    NotSeparableError
        Naming the first non-separable task, e.g. ``tasks[2]: expected a linearly separable task``.
    """
    tasks = validate_tasks(tasks, name)
    d = tasks[0][0].shape[1]
    for m, (X, y) in enumerate(tasks):
        project_onto_task(np.zeros(d), X, y, task_name=f"{name}[{m}]")
    return tasks


def sequential_max_margin(
    tasks: object,
    order: object,
    w0: object | None = None,
    *,
    method: str = "active_set",
    tol: float = 1e-10,
) -> np.ndarray:
    r"""Iterates of sequential max-margin (SMM): :math:`w_t = P_{\mathcal W_{\tau(t)}}(w_{t-1})`.

    .. math:: w_t = \arg\min_w \|w - w_{t-1}\|^2\ \text{s.t.}\ y\,w^\top x \ge 1\ \
              \forall (x, y) \in S_{\tau(t)}, \qquad t = 1..k.

    With a cyclic ordering this is POCS / cyclic alternating projections; the first step from
    :math:`w_0 = 0` is a bias-free hard-margin SVM on the first task.

    Parameters
    ----------
    tasks : list of (X, y)
        Classification tasks with a common dimension d, labels in {-1, +1}.
    order : array_like of int, shape (k,)
        Task ordering :math:`\tau(1..k)` (see :func:`cyclic_order`, :func:`random_order`).
    w0 : array_like, shape (d,), optional
        Initial point (default 0).
    method : {"active_set", "hildreth", "cvxpy"}
        Projection solver (:func:`project_onto_task`); each task is warm-started from its
        previous visit.
    tol : float
        Projection tolerance.

    Returns
    -------
    numpy.ndarray, shape (k + 1, d)
        Row ``t`` is :math:`w_t` (row 0 is :math:`w_0`).

    Raises
    ------
    NotSeparableError
        If a task is not separable (the message names it); checked before any iteration.

    References
    ----------
    Evron et al. (2023), ICML, Scheme 2 (SMM as POCS).

    Examples
    --------
    On :func:`counterexample_tasks` SMM settles after two steps at a point that is not the
    offline max-margin solution:

    >>> from analysis.continual import counterexample_tasks, cyclic_order, sequential_max_margin
    >>> W = sequential_max_margin(counterexample_tasks(c=0.5), cyclic_order(2, 4))
    >>> np.round(W, 6)
    array([[0. , 0. ],
           [1. , 0. ],
           [1.2, 0.4],
           [1.2, 0.4],
           [1.2, 0.4]])
    """
    tasks = validate_tasks(tasks)
    order = validate_order(order, len(tasks))
    d = tasks[0][0].shape[1]
    w = np.zeros(d) if w0 is None else as_array(w0, "w0", shape=(d,)).copy()
    method = check_choice(method, "method", METHODS)
    # fail early, before any work, on a non-separable task (the error names it)
    for m in np.unique(order):
        X, y = tasks[m]
        project_onto_task(np.zeros(d), X, y, task_name=f"tasks[{m}]")
    tol = check_positive(tol, "tol")
    A_list = [_constraint_matrix(X, y) for X, y in tasks]
    iterates = np.empty((order.size + 1, d))
    iterates[0] = w
    duals: dict[int, np.ndarray] = {}
    factors: dict[int, np.ndarray | None] = {}  # per-task R of A^T (active_set, d > n): once
    for t, m in enumerate(order, start=1):
        m = int(m)
        if method == "active_set" and m not in factors:
            factors[m] = _reduced_factor(A_list[m])
        w, alpha = _project(w, A_list[m], method, tol, duals.get(m), 100_000, f"tasks[{m}]",
                            factors.get(m))
        if np.any(alpha > 0):
            duals[m] = alpha
        iterates[t] = w
    return iterates


def stack_tasks(tasks: list) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate all tasks' samples: the offline (joint) dataset."""
    return np.concatenate([X for X, _ in tasks]), np.concatenate([y for _, y in tasks])


def offline_max_margin(tasks: object, *, method: str = "active_set") -> np.ndarray:
    r"""The offline max-margin solution :math:`w^\star = \arg\min \{\|w\| : w \in \mathcal W^\star\}`.

    It is the projection of 0 onto :math:`\mathcal W^\star = \cap_m \mathcal W_m` (Evron et al.,
    2023). ``method="cvxpy"`` uses the shared reference
    :func:`analysis._core.maxmargin.max_margin_separator`.

    Raises
    ------
    NotSeparableError
        If the tasks are not jointly separable.

    Examples
    --------
    >>> from analysis.continual import counterexample_closed_form, counterexample_tasks
    >>> from analysis.continual import offline_max_margin
    >>> w_star = offline_max_margin(counterexample_tasks(c=0.5))
    >>> bool(np.allclose(w_star, counterexample_closed_form(c=0.5)[1]))  # (1, 1/2)
    True
    """
    tasks = validate_tasks(tasks)
    method = check_choice(method, "method", METHODS)
    X, y = stack_tasks(tasks)
    if method == "cvxpy":
        from analysis._core.maxmargin import max_margin_separator

        try:
            return max_margin_separator(X, y)
        except ValueError as exc:
            raise NotSeparableError(f"tasks: expected jointly separable tasks; {exc}") from exc
    return project_onto_task(np.zeros(X.shape[1]), X, y, method=method, task_name="tasks (jointly)")


def distance_to_task(w: object, X: object, y: object, *, task_name: str = "task") -> float:
    r""":math:`\operatorname{dist}(w, \mathcal W_m) = \|w - P_{\mathcal W_m}(w)\|`.

    Examples
    --------
    >>> from analysis.continual import distance_to_task
    >>> distance_to_task(np.zeros(2), [[2.0, 0.0]], [1.0])  # 0 to the halfspace {2 w_1 >= 1}
    0.5
    """
    v = project_onto_task(w, X, y, task_name=task_name)
    return float(np.linalg.norm(np.asarray(w, dtype=np.float64) - v))


def distance_to_feasible_set(iterates: object, tasks: object) -> np.ndarray:
    r"""Distance of each iterate to the offline feasible set :math:`\mathcal W^\star`.

    Parameters
    ----------
    iterates : array_like, shape (k + 1, d) or (d,)
    tasks : list of (X, y), jointly separable

    Returns
    -------
    numpy.ndarray, shape (k + 1,)

    Examples
    --------
    >>> from analysis.continual import counterexample_tasks, cyclic_order
    >>> from analysis.continual import distance_to_feasible_set, sequential_max_margin
    >>> tasks = counterexample_tasks(c=0.5)
    >>> W = sequential_max_margin(tasks, cyclic_order(2, 3))
    >>> np.round(distance_to_feasible_set(W, tasks), 3)  # ||w*|| = sqrt(5)/2 first, 0 from step 2
    array([1.118, 0.447, 0.   , 0.   ])
    """
    tasks = validate_tasks(tasks)
    W = np.atleast_2d(as_array(iterates, "iterates", ndim=(1, 2), min_size=1))
    X, y = stack_tasks(tasks)
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"iterates: expected {X.shape[1]} columns, got {W.shape[1]}")
    out = np.empty(W.shape[0])
    alpha = None
    for i, w in enumerate(W):
        v, a = project_onto_task(w, X, y, alpha0=alpha, return_dual=True, task_name="tasks (jointly)")
        alpha = a if np.any(a > 0) else alpha
        out[i] = np.linalg.norm(w - v)
    return out


def kkt_residual(
    w_prev: object, w_new: object, X: object, y: object, *, active_tol: float = 1e-7
) -> dict:
    r"""KKT residuals of a claimed projection :math:`w_{new} = P_{\mathcal W}(w_{prev})`, solver-free.

    The KKT conditions of :math:`\min \frac12\|v - w_{prev}\|^2` s.t. :math:`A v \ge 1` are primal
    feasibility :math:`A v \ge 1`, stationarity :math:`v - w_{prev} = A^\top \alpha`, dual
    feasibility :math:`\alpha \ge 0` and complementary slackness
    :math:`\alpha_i (a_i^\top v - 1) = 0`. The multipliers are recovered independently of any
    solver, by non-negative least squares on the constraints that are active within
    ``active_tol`` (so complementary slackness holds by construction and stationarity is tested).

    Returns
    -------
    dict
        ``primal`` (max violation of :math:`A v \ge 1`), ``stationarity``
        (:math:`\min_{\alpha \ge 0} \|A_S^\top \alpha - (v - w_{prev})\|` relative to
        :math:`\max(1, \|v - w_{prev}\|)`), ``n_active``, and ``max`` (the larger of the two).

    Examples
    --------
    >>> from analysis.continual import kkt_residual
    >>> X, y = [[2.0, 0.0]], [1.0]
    >>> kkt_residual(np.zeros(2), np.array([0.5, 0.0]), X, y)  # the true projection
    {'primal': 0.0, 'stationarity': 0.0, 'n_active': 1, 'max': 0.0}
    >>> round(kkt_residual(np.zeros(2), np.array([0.5, 0.5]), X, y)["stationarity"], 3)
    0.5
    """
    from scipy.optimize import nnls

    w_prev, X, y = _check_inputs(w_prev, X, y, "task", w_name="w_prev")
    w_new = as_array(w_new, "w_new", shape=(X.shape[1],))
    active_tol = check_real(active_tol, "active_tol", minimum=0.0)
    A = _constraint_matrix(X, y)
    slack = A @ w_new - 1.0
    primal = float(max(0.0, -slack.min()))
    step = w_new - w_prev
    active = np.flatnonzero(np.abs(slack) <= active_tol * (1.0 + np.abs(A @ w_new)))
    if active.size:
        _, res = nnls(A[active].T, step, maxiter=max(100 * active.size, 1000))
    else:
        res = float(np.linalg.norm(step))
    stationarity = float(res) / max(1.0, float(np.linalg.norm(step)))
    return {"primal": primal, "stationarity": stationarity, "n_active": int(active.size),
            "max": max(primal, stationarity)}

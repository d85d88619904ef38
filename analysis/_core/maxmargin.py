"""The hard-margin (max-margin) linear separator, a reference shared by several topics.

Used by the continual-learning topic (offline max-margin w*) and the implicit-regularisation
topic (the direction gradient descent on separable logistic regression converges to).
"""

from __future__ import annotations

import numpy as np

from analysis._core.solve import SolverError, solve_problem
from analysis._core.validate import as_array


def max_margin_separator(X: object, y: object, *, solver: str = "CLARABEL") -> np.ndarray:
    r"""Minimum-norm homogeneous separator with unit functional margin (cvxpy reference).

    .. math::

        w^\star = \arg\min_w \tfrac12\|w\|_2^2 \quad\text{s.t.}\quad y_i\, x_i^\top w \ge 1
        \;\; (i = 1..n),

    whose direction :math:`w^\star/\|w^\star\|` is the max-margin (hard-margin SVM, no
    intercept) direction with margin :math:`1/\|w^\star\|`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs.
    y : array_like, shape (n,)
        Labels in {-1, +1}.
    solver : str
        cvxpy solver (default Clarabel, an interior-point QP/SOCP solver; ~1e-8 accuracy).

    Returns
    -------
    numpy.ndarray, shape (d,)

    Raises
    ------
    ValueError
        If the data are not linearly separable through the origin (the QP is infeasible), or on
        malformed input.

    References
    ----------
    .. [1] D. Soudry, E. Hoffer, M. S. Nacson, S. Gunasekar, N. Srebro, "The implicit bias of
       gradient descent on separable data", JMLR 19, 2018, Eq. (4).
    """
    import cvxpy as cp

    X = as_array(X, "X", ndim=2, min_size=1)
    y = as_array(y, "y", shape=(X.shape[0],))
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"y: expected labels in {{-1, +1}}, got values {np.unique(y)[:5]}")
    w = cp.Variable(X.shape[1])
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(w)), [cp.multiply(y, X @ w) >= 1])
    try:
        solve_problem(problem, solver, what="max-margin QP")
    except SolverError as exc:
        if problem.status in ("infeasible", "infeasible_inaccurate"):
            raise ValueError(
                "X, y: expected data linearly separable through the origin; the max-margin QP "
                "is infeasible"
            ) from exc
        raise
    return np.asarray(w.value, dtype=np.float64)

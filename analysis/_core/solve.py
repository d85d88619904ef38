"""A thin cvxpy wrapper: the solver is named explicitly and the status is always checked."""

from __future__ import annotations

from typing import Any


class SolverError(RuntimeError):
    """A convex solve that did not reach an optimal solution (infeasible, unbounded, inaccurate)."""


_OK = ("optimal",)


def solve_problem(
    problem: Any,
    solver: str = "CLARABEL",
    *,
    allow_inaccurate: bool = False,
    what: str = "problem",
    **solver_options: Any,
) -> float:
    """Solve a ``cvxpy.Problem`` with a named solver and check its status.

    Parameters
    ----------
    problem : cvxpy.Problem
        The problem to solve.
    solver : str
        cvxpy solver name: ``"CLARABEL"`` (LP/SOCP/SDP/exp-cone, accurate; default),
        ``"SCS"`` (large SDPs only), ``"HIGHS"`` (LPs), ``"OSQP"`` (QPs).
    allow_inaccurate : bool
        Accept ``optimal_inaccurate`` (only where a caller states the reduced accuracy).
    what : str
        Short description of the problem used in error messages.
    **solver_options
        Passed to ``problem.solve``.

    Returns
    -------
    float
        The optimal value.

    Raises
    ------
    SolverError
        If the solver is not installed, fails, or ends with a status other than optimal; the
        message names the problem, the solver and the status.
    """
    import cvxpy as cp

    if not isinstance(problem, cp.Problem):
        raise ValueError(f"problem: expected a cvxpy.Problem, got {type(problem).__name__}")
    if solver not in cp.installed_solvers():
        raise SolverError(
            f"{what}: solver {solver!r} is not installed (installed: {cp.installed_solvers()})"
        )
    try:
        value = problem.solve(solver=solver, **solver_options)
    except cp.error.SolverError as exc:
        raise SolverError(f"{what}: solver {solver} failed: {exc}") from exc
    ok = _OK + (("optimal_inaccurate",) if allow_inaccurate else ())
    if problem.status not in ok:
        raise SolverError(
            f"{what}: solver {solver} ended with status {problem.status!r} (expected optimal)"
        )
    return float(value)

r"""Symbolic derivations behind the continual-learning claims (sympy).

* :func:`counterexample_residuals`: the SMM limit and the offline :math:`w^\star` of
  :func:`analysis.continual.data.counterexample_tasks` for symbolic :math:`c`, with the KKT
  multipliers of :math:`w^\star` (non-negative iff :math:`c \ge 1/5`).
* :func:`cone_counterexample_residuals`: the same for
  :func:`analysis.continual.data.cone_counterexample_tasks` (symbolic :math:`a, b`): the SMM
  limit, the KKT point :math:`w^\star = (a, b)/(a^2 + b^2)` and the gap
  :math:`|a - b|/\sqrt{a^2 + b^2}`.
* :func:`halfspace_distance_residual`: :math:`\operatorname{dist}(w, \{a^\top v \ge 1\}) =
  (1 - a^\top w)_+/\|a\|`, the step from margin violation to distance in the forgetting bounds.
* :func:`fejer_gap`: for the projection :math:`p` of :math:`z` onto a halfspace containing
  :math:`u`, :math:`\|z-u\|^2 - \|p-u\|^2 - \|z-p\|^2 = 2\,t\,(a^\top u - 1)/\|a\|^2 \cdot \|a\|^2
  \ge 0` (Fejer monotonicity, the engine of every POCS bound).
* :func:`lambert_w_step`: with the exponential loss, one sample and :math:`w_{prev} = 0`, the
  regularised step is :math:`w^\lambda = W(r/\lambda)\,x/r` (:math:`r = \|x\|^2`, Lambert W),
  and :math:`W(r/\lambda)/\ln(1/\lambda) \to 1`: the :math:`\lambda \to 0` reduction in closed form.
"""

from __future__ import annotations

import sympy as sp


def counterexample_residuals(c: sp.Expr | None = None) -> dict:
    """Residuals (zero when the closed forms are right) for the 2-task counterexample."""
    c = sp.Symbol("c", positive=True) if c is None else c
    e1 = sp.Matrix([1, 0])
    x2 = c * sp.Matrix([1, 2])
    # SMM step 2: project e1 onto {x2 . w >= 1}
    w2 = e1 + (1 - x2.dot(e1)) / x2.dot(x2) * x2
    smm_closed = e1 + (1 - c) / (5 * c) * sp.Matrix([1, 2])
    # offline: both constraints active; multipliers from stationarity w* = a1 e1 + a2 x2
    w_star = sp.Matrix([1, (1 - c) / (2 * c)])
    a2 = sp.Symbol("a2")
    a1 = sp.Symbol("a1")
    sol = sp.solve(list(w_star - a1 * e1 - a2 * x2), [a1, a2], dict=True)[0]
    return {
        "smm_step": sp.simplify(w2 - smm_closed),
        "smm_in_task1": sp.simplify(w2[0] - 1 - (1 - c) / (5 * c)),  # = 0, and (1-c)/(5c) > 0
        "w_star_active_1": sp.simplify(w_star[0] - 1),
        "w_star_active_2": sp.simplify(x2.dot(w_star) - 1),
        "alpha1": sp.simplify(sol[a1] - (5 * c - 1) / (4 * c)),
        "alpha2": sp.simplify(sol[a2] - (1 - c) / (4 * c**2)),
    }


def cone_counterexample_residuals(a: sp.Expr | None = None, b: sp.Expr | None = None) -> dict:
    r"""Residuals (zero when the closed forms are right) for the cone-shaped counterexample.

    Also returns the slacks that must be non-negative on the admissible region (``"slacks"``):
    task 1's constraints at :math:`w^\star` and at the SMM limit, and task 2's multiplier.
    """
    a = sp.Symbol("a", positive=True) if a is None else a
    b = sp.Symbol("b", positive=True) if b is None else b
    s = a**2 + b**2
    x2 = sp.Matrix([a, b])
    # SMM step 1: min ||w|| s.t. w1 >= 1, w2 >= 1 is the apex (both constraints active, KKT
    # multipliers 1 and 1 >= 0); step 2 projects the apex onto {x2 . w >= 1} (violated: a + b < 1)
    apex = sp.Matrix([1, 1])
    w2 = apex + (1 - x2.dot(apex)) / x2.dot(x2) * x2
    smm_closed = apex + (1 - a - b) / s * x2
    # offline: stationarity w* = mu x2 with only task 2 active, so mu = 1/s
    mu = sp.Symbol("mu")
    w_star = sp.Matrix([a, b]) / s
    mu_sol = sp.solve(list(w_star - mu * x2), [mu], dict=True)[0][mu]
    gap = smm_closed - w_star
    return {
        "smm_step": sp.simplify(w2 - smm_closed),
        "w_star_active_2": sp.simplify(x2.dot(w_star) - 1),
        "mu": sp.simplify(mu_sol - 1 / s),
        "gap_squared": sp.simplify(gap.dot(gap) - (a - b) ** 2 / s),
        "slacks": {
            "w_star_task1": [sp.simplify(w_star[0] - 1), sp.simplify(w_star[1] - 1)],
            "smm_task1": [sp.simplify(smm_closed[0] - 1), sp.simplify(smm_closed[1] - 1)],
            "multiplier": sp.simplify(mu_sol),
        },
    }


def halfspace_distance_residual() -> sp.Expr:
    """dist(w, {a.v >= 1})^2 - (1 - a.w)^2/|a|^2 for a violated constraint (a.w < 1), symbolic 2-D."""
    a1, a2, w1, w2 = sp.symbols("a1 a2 w1 w2", real=True)
    a = sp.Matrix([a1, a2])
    w = sp.Matrix([w1, w2])
    p = w + (1 - a.dot(w)) / a.dot(a) * a  # projection onto the boundary (active constraint)
    return sp.simplify((w - p).dot(w - p) - (1 - a.dot(w)) ** 2 / a.dot(a))


def fejer_gap() -> sp.Expr:
    """||z-u||^2 - ||p-u||^2 - ||z-p||^2 - 2 (1 - a.z)(a.u - 1)/|a|^2 for p = P(z), a.z < 1."""
    a1, a2, z1, z2, u1, u2 = sp.symbols("a1 a2 z1 z2 u1 u2", real=True)
    a, z, u = sp.Matrix([a1, a2]), sp.Matrix([z1, z2]), sp.Matrix([u1, u2])
    p = z + (1 - a.dot(z)) / a.dot(a) * a
    lhs = (z - u).dot(z - u) - (p - u).dot(p - u) - (z - p).dot(z - p)
    return sp.simplify(lhs - 2 * (1 - a.dot(z)) * (a.dot(u) - 1) / a.dot(a))


def lambert_w_step() -> dict:
    """The exp-loss one-sample regularised step in closed form and its lambda -> 0 limit."""
    lam, r = sp.symbols("lambda r", positive=True)
    z = r / lam
    beta = sp.LambertW(z) / r  # w = beta x
    # stationarity lam w = e^{-x.w} x  <=>  lam beta e^{beta r} = 1; use W(z) e^{W(z)} = z,
    # the definition of the Lambert W function (sympy does not apply it by itself)
    product = (lam * beta * sp.exp(beta * r)).subs(sp.exp(sp.LambertW(z)), z / sp.LambertW(z))
    stationarity = sp.simplify(product - 1)
    numeric = max(abs(sp.N((lam * beta - sp.exp(-beta * r)).subs({lam: v, r: 2}), 50))
                  for v in (sp.Rational(1, 10), sp.Rational(1, 10**40)))
    # sympy cannot take lim W(r/lam)/ln(1/lam) directly: squeeze W between log z - log log z and
    # log z (z >= e), proved by evaluating the increasing map f(w) = w e^w at both ends, then
    # take the limits of the two bounds.
    zz = sp.Symbol("z", positive=True)
    upper_gap = sp.simplify(sp.log(zz) * sp.exp(sp.log(zz)) - zz)  # z (log z - 1) >= 0
    low = sp.log(zz) - sp.log(sp.log(zz))
    lower_gap = sp.simplify(low * sp.exp(low) - zz)  # -z log log z / log z <= 0
    L = sp.Symbol("L", positive=True)  # L = ln(1/lam), z = r e^L
    zL = r * sp.exp(L)
    lim_upper = sp.limit(sp.log(zL) / L, L, sp.oo)
    lim_lower = sp.limit((sp.log(zL) - sp.log(sp.log(zL))) / L, L, sp.oo)
    return {"stationarity": stationarity, "numeric": numeric, "upper_gap": upper_gap,
            "lower_gap": lower_gap, "limit_upper": lim_upper, "limit_lower": lim_lower}


def wedge_residuals() -> dict:
    r"""Symbolic residuals of the wedge closed forms (:func:`analysis.continual.data.wedge_tasks`).

    With :math:`h = \theta/2`, :math:`R = 1` (every ratio is scale free), normals
    :math:`n_{1,2} = (\pm\cos h, \sin h)` and apex :math:`p = e_2/\sin h`:

    * ``apex``: :math:`n_m^\top p - 1` (both constraints active at p);
    * ``first_step``: :math:`\|P_1(0) - p\|^2 - \|p\|^2\cos^2 h` (:math:`r_1 = \|p\|\cos h`);
    * ``switch``: for :math:`w` on task 1's line at distance r from p, the projection onto task 2's
      line is at distance :math:`r\cos\theta` from p and :math:`w`'s distance to that line is
      :math:`r\sin\theta` (residuals of both);
    * ``random_limit``: :math:`\sin^2 h + \cos^2 h \cdot \tfrac12\sin^2\theta / (1 - q) - 1` with
      :math:`q = (1 + \cos^2\theta)/2`: the random-order cumulative loss tends to the bound.
    """
    h, r = sp.symbols("h r", positive=True)
    theta = 2 * h
    n1 = sp.Matrix([sp.cos(h), sp.sin(h)])
    n2 = sp.Matrix([-sp.cos(h), sp.sin(h)])
    p = sp.Matrix([0, 1 / sp.sin(h)])
    apex = sp.Matrix([sp.simplify(n1.dot(p) - 1), sp.simplify(n2.dot(p) - 1)])
    w1 = n1 * (1 / n1.dot(n1))  # projection of 0 onto {n1.w = 1}
    first = sp.simplify((w1 - p).dot(w1 - p) - p.dot(p) * sp.cos(h) ** 2)
    d1 = sp.Matrix([sp.sin(h), -sp.cos(h)])  # unit direction of task 1's line, pointing away from W*
    w = p + r * d1
    proj = w + (1 - n2.dot(w)) * n2
    switch_r = sp.simplify(sp.expand_trig((proj - p).dot(proj - p) - (r * sp.cos(theta)) ** 2))
    switch_d = sp.simplify(sp.expand_trig((1 - n2.dot(w)) - r * sp.sin(theta)))
    q = (1 + sp.cos(theta) ** 2) / 2
    limit = sp.simplify(sp.sin(h) ** 2 + sp.cos(h) ** 2 * sp.sin(theta) ** 2 / 2 / (1 - q) - 1)
    return {"apex": apex, "first_step": first, "switch_distance": switch_r,
            "switch_hinge": switch_d, "random_limit": limit}

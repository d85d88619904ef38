"""Symbolic checks of the continual-learning derivations (sympy, symbolic c, a, z, u, lambda)."""

import sympy as sp

from analysis.continual import proofs


def test_counterexample_closed_forms_for_symbolic_c():
    res = proofs.counterexample_residuals()
    for key in ("smm_step", "smm_in_task1", "w_star_active_1", "w_star_active_2", "alpha1", "alpha2"):
        value = res[key]
        zero = value.is_zero_matrix if hasattr(value, "is_zero_matrix") else sp.simplify(value) == 0
        assert zero, (key, value)
    c = sp.Symbol("c", positive=True)
    # KKT of w*: both multipliers are >= 0 exactly on c in [1/5, 1]
    alpha1 = (5 * c - 1) / (4 * c)
    feasible = sp.solve_univariate_inequality(alpha1 >= 0, c, relational=False)
    assert feasible.intersect(sp.Interval.open(0, sp.oo)) == sp.Interval(sp.Rational(1, 5), sp.oo)
    # the SMM limit differs from w* for every c in (1/5, 1)
    e1 = sp.Matrix([1, 0])
    gap = (e1 + (1 - c) / (5 * c) * sp.Matrix([1, 2])) - sp.Matrix([1, (1 - c) / (2 * c)])
    gap2 = sp.factor(sp.simplify(gap.dot(gap)))
    assert sp.simplify(gap2 - (1 - c) ** 2 / (20 * c**2)) == 0
    assert sp.simplify(gap2.subs(c, sp.Rational(1, 2))) == sp.Rational(1, 20)


def test_wrong_counterexample_closed_form_is_caught():
    c = sp.Symbol("c", positive=True)
    e1 = sp.Matrix([1, 0])
    x2 = c * sp.Matrix([1, 2])
    w2 = e1 + (1 - x2.dot(e1)) / x2.dot(x2) * x2
    wrong = e1 + (1 - c) / (4 * c) * sp.Matrix([1, 2])
    assert not sp.simplify(w2 - wrong).is_zero_matrix


def test_cone_counterexample_closed_forms_for_symbolic_a_b():
    res = proofs.cone_counterexample_residuals()
    for key in ("smm_step", "w_star_active_2", "mu", "gap_squared"):
        value = res[key]
        zero = value.is_zero_matrix if hasattr(value, "is_zero_matrix") else sp.simplify(value) == 0
        assert zero, (key, value)
    a, b = sp.symbols("a b", positive=True)
    s = a**2 + b**2
    sl = res["slacks"]
    # w* = (a, b)/s satisfies task 1 iff a >= s and b >= s: the admissible region of the generator
    assert sp.simplify(sl["w_star_task1"][0] - (a - s) / s) == 0
    assert sp.simplify(sl["w_star_task1"][1] - (b - s) / s) == 0
    # the SMM limit stays in task 1's cone for any a, b > 0 with a + b < 1 (it moves along +(a, b))
    assert sp.simplify(sl["smm_task1"][0] - a * (1 - a - b) / s) == 0
    assert sp.simplify(sl["smm_task1"][1] - b * (1 - a - b) / s) == 0
    assert sl["multiplier"].is_positive
    # the gap vanishes only on the diagonal a = b
    assert sp.solve(sp.Eq((a - b) ** 2 / s, 0), b) == [a]
    half = {a: sp.Rational(1, 4), b: sp.Rational(7, 20)}
    assert sp.simplify(((a - b) ** 2 / s).subs(half)) == sp.Rational(4, 74)


def test_wrong_cone_counterexample_closed_form_is_caught():
    a, b = sp.symbols("a b", positive=True)
    res = proofs.cone_counterexample_residuals()
    wrong_w_star = sp.Matrix([1, 1]) / (a + b)  # projection of 0 onto the line through the apex
    assert not sp.simplify(wrong_w_star - sp.Matrix([a, b]) / (a**2 + b**2)).is_zero_matrix
    wrong_gap = (a - b) ** 2 / (a + b) ** 2
    assert sp.simplify(res["gap_squared"] + (a - b) ** 2 / (a**2 + b**2) - wrong_gap) != 0


def test_hinge_equals_norm_times_halfspace_distance():
    assert proofs.halfspace_distance_residual() == 0


def test_fejer_identity_for_a_halfspace_projection():
    # ||z-u||^2 - ||Pz-u||^2 - ||z-Pz||^2 = 2 (1 - a.z)(a.u - 1)/|a|^2 >= 0 when a.z < 1 <= a.u
    assert proofs.fejer_gap() == 0


def test_lambert_w_closed_form_of_the_regularised_step_and_its_limit():
    res = proofs.lambert_w_step()
    assert res["stationarity"] == 0
    assert res["numeric"] < 1e-40
    z = sp.Symbol("z", positive=True)
    # w e^w is increasing, so W(z) <= log z iff z(log z - 1) >= 0, true for z >= e ...
    assert sp.simplify(res["upper_gap"] - z * (sp.log(z) - 1)) == 0
    # ... and W(z) >= log z - log log z iff -z log(log z)/log z <= 0, true for z >= e
    assert sp.simplify(res["lower_gap"] + z * sp.log(sp.log(z)) / sp.log(z)) == 0
    # both bounds over ln(1/lambda) tend to 1: w^lambda / ln(1/lambda) -> x / |x|^2 = SMM step
    assert res["limit_upper"] == 1 and res["limit_lower"] == 1


def test_wedge_closed_forms():
    res = proofs.wedge_residuals()
    assert res["apex"].is_zero_matrix
    for key in ("first_step", "switch_distance", "switch_hinge", "random_limit"):
        assert sp.simplify(res[key]) == 0, (key, res[key])


def test_wrong_wedge_rate_is_caught():
    # a wrong contraction per switch (cos(theta/2) instead of cos(theta)) leaves a non-zero residual
    h, r = sp.symbols("h r", positive=True)
    assert sp.simplify(sp.expand_trig((r * sp.cos(2 * h)) ** 2 - (r * sp.cos(h)) ** 2)) != 0

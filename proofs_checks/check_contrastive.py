"""Symbolic / exact checks of the contrastive-learning formulas (sympy, exact rationals)."""

from fractions import Fraction

import numpy as np
import sympy as sp

from analysis.contrastive.data import coverage_probability
from analysis.contrastive.hypersphere import alignment_rotation_exact, uniformity_uniform_sphere

k, u, v, t = sp.symbols("kappa u v t", positive=True)


def _mgf_formula(d):
    """E exp(kappa u) for u = x.y on S^{d-1}: Gamma(d/2) (2/kappa)^{d/2-1} I_{d/2-1}(kappa)."""
    return (
        sp.gamma(sp.Rational(d, 2))
        * (2 / k) ** (sp.Rational(d, 2) - 1)
        * sp.besseli(sp.Rational(d, 2) - 1, k)
    )


def _mgf_integral(d):
    """The same expectation integrated against the density of u, proportional to (1-u^2)^((d-3)/2)."""
    density = (1 - u**2) ** sp.Rational(d - 3, 2)
    return sp.integrate(sp.exp(k * u) * density, (u, -1, 1)) / sp.integrate(density, (u, -1, 1))


def test_uniform_sphere_mgf_closed_form_d3_and_d5():
    for d in (3, 5):
        # Bessel I of half-integer order -> sinh/cosh -> exp, in two rewrite passes
        diff = sp.simplify((sp.expand_func(_mgf_formula(d)) - _mgf_integral(d)).rewrite(sp.exp))
        diff = sp.simplify(diff.rewrite(sp.exp))
        assert diff == 0, (d, diff)


def test_uniformity_closed_form_numeric_against_symbolic():
    for d in (3, 5):
        for tv in (0.5, 2.0):
            sym = float((-2 * t + sp.log(_mgf_integral(d).subs(k, 2 * t))).subs(t, tv))
            assert abs(uniformity_uniform_sphere(d, tv) - sym) < 1e-12


def test_wrong_dimension_is_caught():
    # the off-by-one (S^{d-1} treated as S^d) changes the value
    sym = float((-2 * t + sp.log(_mgf_integral(3).subs(k, 2 * t))).subs(t, 2.0))
    assert abs(uniformity_uniform_sphere(4, 2.0) - sym) > 1e-2


def test_collision_probability_k1_identity():
    r = sp.symbols("r1:4", nonnegative=True)
    tau_k1 = 1 - sum(ri * (1 - ri) for ri in r)
    assert (
        sp.simplify(
            tau_k1.subs(r[2], 1 - r[0] - r[1]) - sum(ri**2 for ri in r).subs(r[2], 1 - r[0] - r[1])
        )
        == 0
    )


def test_lemma_algebra_and_theorem_form():
    tau, l_eq, l_neq = sp.symbols("tau L_eq L_neq", positive=True)
    l_un = (1 - tau) * l_neq + tau * l_eq
    # (L_un - tau)/(1 - tau) = L_un^!= + tau/(1 - tau) (L_un^= - 1): Theorem 4.1 before Lemma 4.4
    assert sp.simplify((l_un - tau) / (1 - tau) - (l_neq + tau / (1 - tau) * (l_eq - 1))) == 0


def test_losses_are_one_at_zero_in_base_two_and_convex():
    logistic2 = sp.log(1 + sp.exp(-v)) / sp.log(2)
    assert sp.simplify(logistic2.subs(v, 0)) == 1
    assert sp.simplify((sp.log(1 + sp.exp(-v))).subs(v, 0) - sp.log(2)) == 0  # base e: l(0) = ln 2 != 1
    second = sp.simplify(sp.diff(logistic2, v, 2))
    assert (
        sp.simplify((second - sp.exp(v) / ((1 + sp.exp(v)) ** 2 * sp.log(2))).rewrite(sp.exp)) == 0
    )  # convex
    sigmoid = 2 / (1 + sp.exp(v))
    s2 = sp.diff(sigmoid, v, 2)
    assert s2.subs(v, -1) < 0 < s2.subs(v, 1)  # the counter-example loss is not convex


def test_infonce_minus_log_m_rewrite():
    sp_pos, total = sp.symbols("s_pos S", positive=True)
    M = sp.Symbol("M", positive=True)
    loss = -sp.log(sp.exp(sp_pos) / (sp.exp(sp_pos) + total))
    rewritten = -sp_pos + sp.log(sp.exp(sp_pos) / M + total / M)
    assert sp.simplify(sp.expand_log(loss - sp.log(M) - rewritten, force=True)) == 0


def test_alignment_rotation_alpha_two_reduces_to_trace_formula():
    d, theta = sp.symbols("d theta", positive=True)
    general = (2 * sp.sin(theta / 2)) ** 2 * sp.gamma(2) * sp.gamma(d / 2) / sp.gamma(d / 2 + 1)
    trace = 2 - 2 * (d - 2 + 2 * sp.cos(theta)) / d
    assert sp.simplify(sp.gammasimp(general) - trace).rewrite(sp.cos).simplify() == 0
    assert abs(alignment_rotation_exact(7, 1.3, 2.0) - float(trace.subs({d: 7, theta: 1.3}))) < 1e-14


def test_coverage_probability_equals_stirling_numbers_exactly():
    for C in range(1, 7):
        for K in range(0, 13):
            exact = Fraction(
                int(sp.factorial(C) * sp.functions.combinatorial.numbers.stirling(K, C)), C**K
            )
            assert abs(coverage_probability(C, K, method="exact") - float(exact)) <= 1e-15 * max(
                float(exact), 1e-300
            )
            assert np.isclose(coverage_probability(C, K), float(exact), rtol=1e-13, atol=0)

"""Symbolic and high-precision checks of the inductive-bias mathematics (sympy)."""

import math

import numpy as np
import sympy as sp

from analysis.inductive_bias.estimators import ncx2_moment_start
from analysis.inductive_bias.gchisq import GChiSq, gchisq_log_cdf

t, s, k, lam, w, x = sp.symbols("t s k lambda w x", positive=True)


def _scaled_ncx2_cgf():
    # K(t) of s * chi'^2_k(lambda): -k/2 log(1 - 2 s t) + lambda s t / (1 - 2 s t)
    return -k / 2 * sp.log(1 - 2 * s * t) + lam * s * t / (1 - 2 * s * t)


def test_scaled_ncx2_cumulants():
    K = _scaled_ncx2_cgf()
    kappa = [sp.simplify(sp.diff(K, t, n).subs(t, 0)) for n in (1, 2, 3)]
    assert sp.simplify(kappa[0] - s * (k + lam)) == 0
    assert sp.simplify(kappa[1] - 2 * s**2 * (k + 2 * lam)) == 0
    assert sp.simplify(kappa[2] - 8 * s**3 * (k + 3 * lam)) == 0


def test_moment_start_quadratic_is_satisfied_by_the_true_scale():
    # m1 s^2 - m2 s + m3 / 8 = 0 at the true scale, with m_i the exact cumulants
    m1, m2, m3 = s * (k + lam), 2 * s**2 * (k + 2 * lam), 8 * s**3 * (k + 3 * lam)
    assert sp.expand(m1 * s**2 - m2 * s + m3 / 8) == 0
    # and lambda = m2 / (2 s^2) - m1 / s recovers the non-centrality
    assert sp.simplify(m2 / (2 * s**2) - m1 / s - lam) == 0


def test_moment_start_numerically_on_exact_moments():
    # a large sample from s chi'^2_k(lambda): the start lands near the truth
    rng = np.random.default_rng(0)
    sample = 0.3 * rng.noncentral_chisquare(6.0, 4.0, 1_000_000)
    df0, nc0, s0 = ncx2_moment_start(sample)
    assert abs(s0 - 0.3) < 0.03 and abs(df0 - 6) < 1.0 and abs(nc0 - 4) < 1.0


def test_generalised_chi2_cgf_derivatives_match_sympy():
    ws = [sp.Rational(1, 3), sp.Rational(2, 5)]
    ds = [1, 3]
    ncs = [sp.Rational(1, 2), 2]
    K = sum(-sp.Rational(d, 2) * sp.log(1 - 2 * t * wj) + nj * wj * t / (1 - 2 * t * wj)
            for wj, d, nj in zip(ws, ds, ncs, strict=True))
    law = GChiSq.make([float(v) for v in ws], [float(d) for d in ds], [float(v) for v in ncs])
    for t0 in (-3.7, -0.2, 0.5):
        k0, k1, k2 = law.cgf_derivatives(t0)
        assert math.isclose(k0, float(K.subs(t, t0)), rel_tol=1e-13)
        assert math.isclose(k1, float(sp.diff(K, t).subs(t, t0)), rel_tol=1e-13)
        assert math.isclose(k2, float(sp.diff(K, t, 2).subs(t, t0)), rel_tol=1e-13)


def test_two_exponentials_closed_form_deep_in_the_tail():
    # Q = w1 chi2_2 + w2 chi2_2 = Exp(rate r1) + Exp(rate r2), r = 1/(2w):
    # F(x) = 1 - (r2 e^{-r1 x} - r1 e^{-r2 x}) / (r2 - r1). In float64 this cancels completely
    # below x ~ 1e-8; sympy at 250 digits does not (F ~ x^2 needs > 2 |log10 x| digits).
    w1, w2 = sp.Rational(1, 4), sp.Rational(3, 5)
    r1, r2 = 1 / (2 * w1), 1 / (2 * w2)
    F = 1 - (r2 * sp.exp(-r1 * x) - r1 * sp.exp(-r2 * x)) / (r2 - r1)
    law = GChiSq.make([float(w1), float(w2)], [2.0, 2.0])
    for x0 in ["0.5", "1e-3", "1e-12", "1e-40"]:
        exact = float(sp.log(F.subs(x, sp.Float(x0, 250))).evalf(40))
        got = gchisq_log_cdf(float(x0), law)
        assert math.isclose(got, exact, rel_tol=1e-9), (x0, got, exact)


def test_sankaran_reduces_to_wilson_hilferty_when_central():
    kk, ll = sp.symbols("k l", positive=True)
    h = 1 - sp.Rational(2, 3) * (kk + ll) * (kk + 3 * ll) / (kk + 2 * ll) ** 2
    p = (kk + 2 * ll) / (kk + ll) ** 2
    assert sp.simplify(h.subs(ll, 0) - sp.Rational(1, 3)) == 0
    assert sp.simplify(p.subs(ll, 0) - 1 / kk) == 0


def test_matheron_rule_interpolates_and_has_projector_covariance():
    # theta = theta0 + Phi^T (Phi Phi^T)^{-1} (y - Phi theta0): Phi theta = y for every theta0,
    # and Cov(theta) = P = I - Phi^T (Phi Phi^T)^{-1} Phi, an orthogonal projector
    Phi = sp.Matrix([[1, 2, 0, 1], [0, 1, 3, -1]])
    theta0 = sp.Matrix(sp.symbols("a0:4"))
    y = sp.Matrix(sp.symbols("y0:2"))
    G = (Phi * Phi.T).inv()
    theta = theta0 + Phi.T * G * (y - Phi * theta0)
    assert sp.simplify(Phi * theta - y) == sp.zeros(2, 1)
    P = sp.eye(4) - Phi.T * G * Phi
    assert sp.simplify(P * P - P) == sp.zeros(4, 4)
    assert sp.simplify(P - P.T) == sp.zeros(4, 4)
    assert sp.simplify(Phi * P) == sp.zeros(2, 4)


def test_wrong_closed_form_is_caught():
    # the same deep-tail comparison detects a 1% error in one weight
    law = GChiSq.make([0.25 * 1.01, 0.6], [2.0, 2.0])
    w1, w2 = sp.Rational(1, 4), sp.Rational(3, 5)
    r1, r2 = 1 / (2 * w1), 1 / (2 * w2)
    F = 1 - (r2 * sp.exp(-r1 * x) - r1 * sp.exp(-r2 * x)) / (r2 - r1)
    exact = float(sp.log(F.subs(x, sp.Float("1e-12", 250))).evalf(40))
    assert not math.isclose(gchisq_log_cdf(1e-12, law), exact, rel_tol=1e-6)

"""Symbolic / exact checks of the contrastive-learning formulas (sympy, exact rationals).

A1/A2: the hypersphere and coverage closed forms. A3: every closed form of
``analysis.contrastive.sufficiency`` against exact integrals and expectations derived from the
densities in ``analysis.contrastive.proofs``; each has a companion showing that a deliberately
wrong formula is caught.
"""

from fractions import Fraction

import numpy as np
import sympy as sp

from analysis.contrastive import proofs
from analysis.contrastive.data import coverage_probability
from analysis.contrastive.hypersphere import alignment_rotation_exact, uniformity_uniform_sphere
from analysis.contrastive.sufficiency import (
    GaussianViewModel,
    best_linear_risk,
    chi2_sufficiency_gap,
    conditional_given_encoder,
    gaussian_chi2,
    kl_sufficiency_gap,
    kl_sufficiency_gap_expected,
    ridge_downstream_risk,
)

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


# ------------------------------------------------------------------------------------------
# A3 (approximate sufficiency, Gaussian views): the closed forms of
# analysis.contrastive.sufficiency against exact integrals / expectations from
# analysis.contrastive.proofs (derived from the densities, not from the closed forms).
# ------------------------------------------------------------------------------------------

Q = sp.Rational
# (A with Sigma_0 = A A^T, nu, H): rational instances, d = 2 and 3, k = 1 and 2
VIEW_INSTANCES = [
    (sp.Matrix([[1, Q(1, 2)], [0, 1]]), Q(1, 2), sp.Matrix([[1, Q(1, 3)]])),
    (sp.Matrix([[2, 0], [0, 1]]), Q(1, 10), sp.Matrix([[0, 1]])),
    (
        sp.Matrix([[1, Q(1, 2), 0], [0, 1, Q(1, 3)], [Q(1, 4), 0, 1]]),
        Q(2, 3),
        sp.Matrix([[1, 0, Q(1, 2)], [0, 1, -1]]),
    ),
    (
        sp.Matrix([[Q(3, 2), 0, 0], [Q(1, 2), 1, 0], [0, Q(-1, 3), Q(1, 2)]]),
        Q(1, 3),
        sp.Matrix([[1, 1, 1]]),
    ),
]
# instance 1 has a diagonal Sigma_0 and H = e_2, so its R is symmetric and a transposed Schur
# complement is invisible there: the wrong-formula checks use the others
GENERIC_INSTANCES = [VIEW_INSTANCES[i] for i in (0, 2, 3)]
C1_2D = sp.Matrix([[2, Q(1, 2)], [Q(1, 2), 1]])
C2_2D = sp.Matrix([[3, Q(-1, 3)], [Q(-1, 3), Q(3, 2)]])
DELTA_2D = sp.Matrix([Q(1, 3), Q(-3, 2)])
x_, m1_, m2_ = sp.symbols("x m1 m2", real=True)
c1_, c2_, s_ = sp.symbols("c1 c2 s", positive=True)


def _numeric_model(A, nu):
    return GaussianViewModel(base_cov=np.array(A * A.T, dtype=float), aug_var=float(nu))


def _exact_close(a, b, digits=40):
    """|a - b| < 10^-(digits - 5), evaluated with `digits` significant digits (False if undefined)."""
    diff = sp.N(a - b, digits)
    return bool(diff.is_finite) and abs(diff) < sp.Float(10) ** (5 - digits)


def _log_pdf_1d(x, m, c):
    return -((x - m) ** 2) / (2 * c) - sp.log(2 * sp.pi * c) / 2


def test_iterated_gaussian_integration_matches_sympy_integrate():
    b, c = sp.symbols("b c", real=True)
    a = Q(3, 4)
    for poly in (sp.Integer(1), x_**2 - 3, x_**3 + 2 * x_ - x_**4):
        direct = sp.integrate(poly * sp.exp(-a * x_**2 + b * x_ + c), (x_, -sp.oo, sp.oo))
        ours = proofs.integrate_gaussian(poly, -a * x_**2 + b * x_ + c, [x_])
        assert sp.simplify(direct - ours) == 0, poly


def test_iterated_gaussian_integration_detects_divergence():
    y = sp.Symbol("y", real=True)
    assert proofs.integrate_gaussian(1, -(x_**2) + 2 * x_ * y - y**2 / 2, [x_, y]) == sp.oo
    assert proofs.integrate_gaussian(1, x_**2 / 5, [x_]) == sp.oo
    # a wrong Gaussian moment (E s^2 = 1/a instead of 1/(2a)) would show here
    assert proofs.integrate_gaussian(x_**2, -(x_**2), [x_]) == sp.sqrt(sp.pi) / 2


def test_gaussian_kl_formula_equals_integral_1d_symbolic():
    integral = sp.integrate(
        sp.exp(_log_pdf_1d(x_, m1_, c1_))
        * sp.expand(_log_pdf_1d(x_, m1_, c1_) - _log_pdf_1d(x_, m2_, c2_)),
        (x_, -sp.oo, sp.oo),
    )
    formula = proofs.gaussian_kl_formula([m1_ - m2_], [[c1_]], [[c2_]])
    assert sp.simplify(integral - formula) == 0
    for wrong in ("no_logdet", "half_d"):
        assert (
            sp.simplify(integral - proofs.gaussian_kl_formula([m1_ - m2_], [[c1_]], [[c2_]], wrong)) != 0
        )


def test_gaussian_kl_formula_equals_integral_2d_rational():
    integral = proofs.gaussian_kl_integral(DELTA_2D, C1_2D, sp.zeros(2, 1), C2_2D)
    assert sp.simplify(integral - proofs.gaussian_kl_formula(DELTA_2D, C1_2D, C2_2D)) == 0
    for wrong in ("no_logdet", "half_d"):
        assert not _exact_close(integral, proofs.gaussian_kl_formula(DELTA_2D, C1_2D, C2_2D, wrong))


def test_gaussian_chi2_formula_equals_integral_1d_symbolic():
    # 2 c2 - c1 = s > 0 is the condition for the integral to converge
    c2 = (c1_ + s_) / 2
    integral = sp.simplify(
        sp.integrate(
            sp.exp(2 * _log_pdf_1d(x_, m1_, c1_) - _log_pdf_1d(x_, m2_, c2)), (x_, -sp.oo, sp.oo)
        )
        - 1
    )
    assert sp.simplify(integral - proofs.gaussian_chi2_formula([m1_ - m2_], [[c1_]], [[c2]])) == 0
    for wrong in ("sqrt_det", "swapped"):
        residual = integral - proofs.gaussian_chi2_formula([m1_ - m2_], [[c1_]], [[c2]], wrong)
        assert sp.simplify(residual) != 0
    # the library's floating-point gaussian_chi2 at rational points of the symbolic integral
    for m1, m2, c1, s in [
        (Q(3, 10), Q(-1, 10), Q(1, 2), Q(13, 10)),
        (0, 1, 1, 1),
        (Q(1, 5), 0, Q(7, 10), Q(3, 10)),
    ]:
        exact = integral.subs({m1_: m1, m2_: m2, c1_: c1, s_: s})
        got = gaussian_chi2(
            [[float(m1 - m2)]], np.array([[float(c1)]]), np.array([[float((c1 + s) / 2)]])
        )[0]
        assert abs(got - float(exact)) <= 1e-12 * max(1.0, abs(float(exact)))


def test_gaussian_chi2_library_equals_integral_2d_rational():
    exact = proofs.gaussian_chi2_integral(DELTA_2D, C1_2D, sp.zeros(2, 1), C2_2D)
    assert sp.simplify(exact - proofs.gaussian_chi2_formula(DELTA_2D, C1_2D, C2_2D)) == 0
    got = gaussian_chi2(
        np.array(DELTA_2D.T, dtype=float), np.array(C1_2D, dtype=float), np.array(C2_2D, dtype=float)
    )
    assert abs(got[0] - float(exact)) <= 1e-12 * abs(float(exact))
    for wrong in ("sqrt_det", "swapped"):
        assert not _exact_close(exact, proofs.gaussian_chi2_formula(DELTA_2D, C1_2D, C2_2D, wrong))
    # 2 C2 - C1 not positive definite: the integral diverges and the library returns inf
    C2_small = sp.Matrix([[Q(9, 10), 0], [0, 1]])
    assert proofs.gaussian_chi2_integral(DELTA_2D, C1_2D, sp.zeros(2, 1), C2_small) == sp.oo
    assert np.isinf(
        gaussian_chi2(np.zeros((1, 2)), np.array(C1_2D, dtype=float), np.array(C2_small, dtype=float))[0]
    )


def test_conditional_schur_complement_equals_joint_density_factorisation():
    for A, nu, H in VIEW_INSTANCES:
        S0 = A * A.T
        for encoder in (H, sp.eye(S0.shape[0])):
            R_exact, C_exact = proofs.conditional_from_joint_density(S0, nu, encoder)
            R_schur, C_schur = proofs.conditional_schur_formula(S0, nu, encoder)
            assert (R_exact - R_schur).is_zero_matrix and (C_exact - C_schur).is_zero_matrix
            R_lib, C_lib = conditional_given_encoder(
                _numeric_model(A, nu), np.array(encoder, dtype=float)
            )
            assert np.max(np.abs(R_lib - np.array(R_exact, dtype=float))) < 1e-12
            assert np.max(np.abs(C_lib - np.array(C_exact, dtype=float))) < 1e-12


def test_wrong_schur_complements_are_caught():
    for A, nu, H in GENERIC_INSTANCES:
        S0 = A * A.T
        R_exact, C_exact = proofs.conditional_from_joint_density(S0, nu, H)
        for wrong in ("transposed", "view_cross_cov"):
            R_wrong, C_wrong = proofs.conditional_schur_formula(S0, nu, H, wrong)
            assert not ((R_exact - R_wrong).is_zero_matrix and (C_exact - C_wrong).is_zero_matrix), wrong


def test_kl_sufficiency_gap_equals_integral_and_mutual_information():
    for A, nu, H in VIEW_INSTANCES:
        S0 = A * A.T
        integral = proofs.kl_gap_integral(S0, nu, H)
        mutual_information = proofs.kl_gap_mutual_information(S0, nu, H)
        assert _exact_close(integral, mutual_information)
        assert _exact_close(integral, proofs.kl_gap_formula(S0, nu, H))
        assert _exact_close(integral, proofs.kl_gap_expected_formula(S0, nu, H))
        model, H_num = _numeric_model(A, nu), np.array(H, dtype=float)
        exact = float(integral)
        assert exact > 0.01
        assert abs(kl_sufficiency_gap(model, H_num) - exact) <= 1e-12 * exact
        assert abs(kl_sufficiency_gap_expected(model, H_num) - exact) <= 1e-12 * exact


def test_wrong_kl_gap_formulas_are_caught():
    for A, nu, H in GENERIC_INSTANCES:
        S0 = A * A.T
        integral = proofs.kl_gap_integral(S0, nu, H)
        for wrong in ("no_logdet", "half_d", "no_mean_term"):
            assert not _exact_close(integral, proofs.kl_gap_expected_formula(S0, nu, H, wrong)), wrong
        # log-det route with the view covariance as cross-covariance (augmentations not independent)
        assert not _exact_close(integral, proofs.kl_gap_formula(S0, nu, H, "view_cross_cov"))
        # a transposed Schur complement leaves the determinants unchanged (Sylvester's identity,
        # Sigma_x and Sigma_0 commute), so only test_wrong_schur_complements_are_caught can see it
        assert _exact_close(integral, proofs.kl_gap_formula(S0, nu, H, "transposed"))


def test_chi2_sufficiency_gap_equals_integral():
    for A, nu, H in VIEW_INSTANCES:
        S0 = A * A.T
        integral = proofs.chi2_gap_integral(S0, nu, H)
        assert _exact_close(integral, proofs.chi2_gap_formula(S0, nu, H))
        exact = float(integral)
        got = chi2_sufficiency_gap(_numeric_model(A, nu), np.array(H, dtype=float))
        assert abs(got - exact) <= 1e-12 * exact
        # Jensen: KL gap <= log(1 + chi^2 gap), exactly on the instance
        assert float(proofs.kl_gap_integral(S0, nu, H)) < float(sp.log(1 + integral))


def test_wrong_chi2_gap_formulas_are_caught():
    for A, nu, H in VIEW_INSTANCES:
        S0 = A * A.T
        integral = proofs.chi2_gap_integral(S0, nu, H)
        for wrong in ("no_factor_two", "wrong_power"):
            assert not _exact_close(integral, proofs.chi2_gap_formula(S0, nu, H, wrong)), wrong


W_DOWNSTREAM = {2: sp.Matrix([1, Q(-1, 2)]), 3: sp.Matrix([1, 0, Q(-2, 3)])}


def test_downstream_risk_formula_equals_expectation():
    for A, nu, H in VIEW_INSTANCES:
        w = W_DOWNSTREAM[A.shape[0]]
        beta = sp.symbols(f"b0:{H.shape[0]}", real=True)
        expectation = proofs.downstream_risk(A, nu, H, w, Q(1, 10), beta)
        assert sp.expand(expectation - proofs.risk_formula(A, nu, H, w, Q(1, 10), beta)) == 0
        model, H_num, w_num = (
            _numeric_model(A, nu),
            np.array(H, dtype=float),
            np.array(w, dtype=float).ravel(),
        )
        for noise in (0, Q(1, 10)):
            exact = float(proofs.best_linear_risk_exact(A, nu, H, w, noise))
            assert abs(best_linear_risk(model, H_num, w_num, float(noise)) - exact) <= 1e-12 * exact
        # ridge with an enormous penalty predicts ~0: its risk is E y^2 = w^T Sigma_0 w + sigma^2
        risk_zero = float(expectation.subs({b: 0 for b in beta}))
        ridge_risk, _ = ridge_downstream_risk(
            model, H_num, w_num, n=20, ridge=1e12, noise_var=0.1, n_rep=3
        )
        assert abs(ridge_risk - risk_zero) < 1e-8
        # every fitted ridge predictor is some beta: its exact risk is >= the minimum over beta
        ridge_risk, _ = ridge_downstream_risk(
            model, H_num, w_num, n=8, ridge=1e-3, noise_var=0.1, n_rep=5
        )
        assert ridge_risk >= float(proofs.best_linear_risk_exact(A, nu, H, w, Q(1, 10))) - 1e-12


def test_wrong_downstream_risk_formulas_are_caught():
    for A, nu, H in VIEW_INSTANCES:
        w = W_DOWNSTREAM[A.shape[0]]
        beta = sp.symbols(f"b0:{H.shape[0]}", real=True)
        expectation = proofs.downstream_risk(A, nu, H, w, Q(1, 10), beta)
        for wrong in ("clean_gram", "no_noise"):
            assert sp.expand(expectation - proofs.risk_formula(A, nu, H, w, Q(1, 10), beta, wrong)) != 0

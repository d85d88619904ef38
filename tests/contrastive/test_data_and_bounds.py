"""Latent-class model, collision / coverage probabilities and the bound functions."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis.contrastive.bounds import (
    bound_coefficients,
    generalization_term,
    lemma_4_3_bound,
    lemma_4_4_constant,
    theorem_4_1_terms,
    theorem_6_1_bound,
)
from analysis.contrastive.data import (
    LatentClassModel,
    collision_probability,
    coverage_probability,
    coverage_probability_naive_float,
    log_coverage_probability,
    make_latent_class_model,
)

Z = 5.0  # Monte-Carlo tests allow 5 standard errors


def stirling2(n, k):
    """Stirling numbers of the second kind by the integer recurrence (independent route)."""
    row = [1] + [0] * k
    for _ in range(n):
        new = [0] * (k + 1)
        for j in range(1, k + 1):
            new[j] = j * row[j] + row[j - 1]
        row = new
    return row[k]


def test_collision_probability_k1_is_sum_of_squares():
    rho = np.array([0.1, 0.2, 0.3, 0.4])
    assert_allclose(collision_probability(rho, 1), np.sum(rho**2), rtol=1e-15)


@settings(max_examples=30, deadline=None)
@given(C=st.integers(2, 12), k=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_collision_probability_matches_exact_enumeration(C, k, seed):
    rho = np.random.default_rng(seed).dirichlet(np.ones(C))
    # P(c+ in negatives) = sum_c rho_c (1 - (1 - rho_c)^k), in exact rationals from rounded rho
    exact = sum(Fraction(r) * (1 - (1 - Fraction(r)) ** k) for r in rho)
    assert_allclose(collision_probability(rho, k), float(exact), rtol=1e-13)


def test_collision_probability_monte_carlo():
    rho = np.array([0.5, 0.3, 0.2])
    rng = np.random.default_rng(0)
    n, k = 200_000, 3
    c = rng.choice(3, size=(n, k + 1), p=rho)
    hits = (c[:, 1:] == c[:, :1]).any(axis=1)
    se = hits.std() / math.sqrt(n)
    assert abs(hits.mean() - collision_probability(rho, k)) < Z * se


def test_collision_probability_tiny_values_keep_relative_accuracy():
    C = 10**6
    rho = np.full(C, 1.0 / C)
    assert_allclose(collision_probability(rho, 1), 1.0 / C, rtol=1e-9)


def test_coverage_equals_stirling_formula():
    for C, K in [(3, 3), (4, 7), (6, 20), (10, 25)]:
        exact = Fraction(math.factorial(C) * stirling2(K, C), C**K)
        assert_allclose(coverage_probability(C, K), float(exact), rtol=1e-13)
        assert_allclose(coverage_probability(C, K, method="exact"), float(exact), rtol=1e-15)


def test_coverage_recursion_stable_for_hundreds_of_classes_and_thousands_of_draws():
    Ks = np.array([300, 301, 500, 1000, 3000])
    fast = coverage_probability(300, Ks)
    exact = coverage_probability(300, Ks, method="exact")
    assert_allclose(fast, exact, rtol=1e-11)
    assert fast[0] > 0 and fast[0] < 1e-100  # K = C: C!/C^C, far below naive float resolution
    assert_allclose(
        log_coverage_probability(300, 300), math.lgamma(301) - 300 * math.log(300), rtol=1e-12
    )


def test_coverage_impossible_and_monte_carlo():
    assert coverage_probability(10, 9) == 0.0
    assert coverage_probability(10, 0) == 0.0
    rng = np.random.default_rng(1)
    n = 20_000
    draws = rng.integers(0, 10, size=(n, 30))
    covered = np.array([np.unique(row).size == 10 for row in draws])
    se = covered.std() / math.sqrt(n)
    assert abs(covered.mean() - coverage_probability(10, 30)) < Z * se


def test_naive_inclusion_exclusion_is_unstable():
    exact = coverage_probability(100, 150, method="exact")
    assert abs(coverage_probability_naive_float(100, 150) - exact) > 1e3 * exact


def test_sample_contrastive_shapes_and_classes():
    model = make_latent_class_model(4, 3, sigma=0.1, rng=0)
    out = model.sample_contrastive(50, k=3, block=2, rng=1)
    assert (
        out["x"].shape == (50, 3)
        and out["x_pos"].shape == (50, 2, 3)
        and out["x_neg"].shape == (50, 3, 2, 3)
    )
    # with a tiny sigma every draw sits next to its class mean
    assert np.abs(out["x_neg"] - model.means[out["c_neg"]][:, :, None, :]).max() < 1.0


def test_bad_input_errors():
    with pytest.raises(ValueError, match="rho"):
        collision_probability([0.5, 0.6], 1)
    with pytest.raises(ValueError, match="rho"):
        collision_probability([1.2, -0.2], 1)
    with pytest.raises(ValueError, match="k"):
        collision_probability([0.5, 0.5], 0)
    with pytest.raises(ValueError, match="tau"):
        lemma_4_3_bound(1.3, collision_probability([1.0], 1))  # a single class
    with pytest.raises(ValueError, match="n_classes"):
        make_latent_class_model(1, 3)
    with pytest.raises(ValueError, match="rho"):
        LatentClassModel(means=np.zeros((2, 3)), sigma=1.0, rho=np.array([0.3, 0.3]))
    with pytest.raises(ValueError, match="sigma"):
        LatentClassModel(means=np.zeros((2, 3)), sigma=0.0, rho=np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="n_draws"):
        coverage_probability(5, -1)
    with pytest.raises(ValueError, match="n_negatives"):
        bound_coefficients(10, np.array([0, 1]))


def test_bound_coefficients_match_direct_formulas():
    C, K = 10, np.array([5, 10, 30, 100])
    out = bound_coefficients(C, K)
    tau = 1 - (1 - 1 / C) ** K
    v = np.array(
        [float(Fraction(math.factorial(C) * stirling2(int(k) + 1, C), C ** (int(k) + 1))) for k in K]
    )
    H = sum(1 / i for i in range(1, C))
    assert_allclose(out["tau"], tau, rtol=1e-13)
    with np.errstate(divide="ignore"):  # v = 0 where K + 1 < C
        arora, nozawa = 1 / ((1 - tau) * v), 2 / v
    assert_allclose(out["arora"], arora, rtol=1e-10)  # log-space recursion over K steps
    assert_allclose(out["nozawa_sato"], nozawa, rtol=1e-10)
    # (1 - tau) formed directly: 1 - tau from tau loses digits when tau is close to 1
    assert_allclose(out["ash"], 2 * np.maximum(1, 2 * (C - 1) * H / K) / (1 - 1 / C) ** K, rtol=1e-13)
    assert np.all(out["bao"] == 1)
    # K + 1 < C: coverage impossible, the two coverage-based coefficients are infinite
    assert np.isinf(out["arora"][0]) and np.isinf(out["nozawa_sato"][0])


def test_arora_coefficient_blows_up_exponentially_without_overflow():
    out = bound_coefficients(10, np.array([10_000]))
    assert_allclose(out["log_arora"][0], -10_000 * math.log1p(-0.1), rtol=1e-9)


def test_theorem_terms_and_constants():
    assert_allclose(lemma_4_4_constant("hinge"), math.sqrt(2))
    assert_allclose(lemma_4_4_constant("logistic"), math.sqrt(2) / math.log(2))
    terms = theorem_4_1_terms(0.3, 0.2, 0.25, gen_m=0.1, loss="hinge")
    assert_allclose(terms["beta"], math.sqrt(2) * 0.25 / 0.75)
    assert_allclose(terms["bound"], 0.3 + terms["beta"] * 0.2 + 0.1 / 0.75)
    assert generalization_term(1.0, 1.0, 400, 0.05) > generalization_term(1.0, 1.0, 1600, 0.05)
    assert_allclose(lemma_4_3_bound(0.7, 0.5), 0.4)


def test_theorem_6_1_uses_tau_k():
    rho = np.array([0.5, 0.3, 0.2])
    tau3 = 1 - np.sum(rho * (1 - rho) ** 3)
    assert_allclose(theorem_6_1_bound(2.0, rho, 3), (2.0 - tau3) / (1 - tau3), rtol=1e-14)
    with pytest.raises(ValueError, match="tau"):
        theorem_6_1_bound(2.0, [1.0], 3)

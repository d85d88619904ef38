"""Sufficiency gaps in our linear-Gaussian formulation of Lin & Mei (2025)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate

from analysis.contrastive.sufficiency import (
    best_linear_risk,
    chi2_sufficiency_gap,
    conditional_given_encoder,
    gaussian_chi2,
    kl_sufficiency_gap,
    kl_sufficiency_gap_expected,
    make_gaussian_view_model,
    ridge_downstream_risk,
    top_pca_encoder,
)


@pytest.fixture(scope="module")
def model():
    return make_gaussian_view_model(5, 0.8, rng=2)


def _log_pdf(x, m, c):
    return -((x - m) ** 2) / (2 * c) - 0.5 * np.log(2 * np.pi * c)


def test_gaussian_chi2_matches_quadrature_1d():
    for m1, c1, m2, c2 in [(0.3, 0.5, -0.1, 0.9), (0.0, 1.0, 1.0, 1.0), (0.2, 0.7, 0.0, 0.5)]:

        def integrand(x, m1=m1, c1=c1, m2=m2, c2=c2):
            # p1^2 / p2 in log space: the ratio of two tiny tails is 0/0 in floating point
            return np.exp(2 * _log_pdf(x, m1, c1) - _log_pdf(x, m2, c2))

        ref = integrate.quad(integrand, -20, 20, limit=200)[0] - 1
        got = gaussian_chi2([[m1 - m2]], np.array([[c1]]), np.array([[c2]]))[0]
        assert_allclose(got, ref, rtol=1e-8)
    assert_allclose(gaussian_chi2([[1.0]], np.eye(1), np.eye(1))[0], np.e - 1, rtol=1e-12)
    # 2 c2 <= c1: the integral diverges
    assert np.isinf(gaussian_chi2([[0.0]], np.array([[2.0]]), np.array([[0.9]]))[0])


def test_conditional_matches_sampling(model):
    H = top_pca_encoder(model, 2)
    R, C = conditional_given_encoder(model, H)
    rng = np.random.default_rng(0)
    x0 = rng.multivariate_normal(np.zeros(5), model.base_cov, size=200000)
    X = x0 + np.sqrt(model.aug_var) * rng.standard_normal(x0.shape)
    Z = x0 + np.sqrt(model.aug_var) * rng.standard_normal(x0.shape)
    resid = Z - X @ R.T
    assert_allclose(np.cov(resid.T), C, atol=0.02)


def test_gaps_zero_for_sufficient_and_invertible_encoders(model):
    for H in (np.eye(5), np.random.default_rng(1).standard_normal((5, 5))):
        assert abs(kl_sufficiency_gap(model, H)) < 1e-12
        assert abs(chi2_sufficiency_gap(model, H)) < 1e-10


def test_gaps_monotone_in_pca_dimension_and_routes_agree(model):
    kls = [kl_sufficiency_gap(model, top_pca_encoder(model, k)) for k in range(1, 6)]
    assert np.all(np.diff(kls) < 0)
    for k in range(1, 5):
        H = top_pca_encoder(model, k)
        assert_allclose(kl_sufficiency_gap_expected(model, H), kls[k - 1], rtol=1e-10)
        assert kls[k - 1] <= np.log1p(chi2_sufficiency_gap(model, H))


def test_ridge_risk_tends_to_population_risk(model):
    H = top_pca_encoder(model, 3)
    w = np.ones(5) / np.sqrt(5)
    pop = best_linear_risk(model, H, w, 0.1)
    mean, se = ridge_downstream_risk(model, H, w, n=5000, ridge=0.0, noise_var=0.1, n_rep=20, rng=0)
    # excess risk of OLS is ~ sigma_eff^2 k / n: 3 / 5000 relative
    assert pop <= mean < pop * (1 + 5 * 3 / 5000) + 5 * se


def test_deterministic(model):
    H = top_pca_encoder(model, 2)
    w = np.ones(5)
    a = ridge_downstream_risk(model, H, w, n=20, ridge=0.1, rng=4)
    b = ridge_downstream_risk(model, H, w, n=20, ridge=0.1, rng=4)
    assert a == b


def test_bad_input(model):
    with pytest.raises(ValueError, match="aug_var"):
        make_gaussian_view_model(3, 0.0)
    with pytest.raises(ValueError, match="H"):
        kl_sufficiency_gap(model, np.ones((2, 4)))
    with pytest.raises(ValueError, match="full row rank"):
        kl_sufficiency_gap(model, np.ones((2, 5)))
    with pytest.raises(ValueError, match="k"):
        top_pca_encoder(model, 6)


def test_bad_divergence_and_target_inputs_are_rejected(model):
    with pytest.raises(ValueError, match="C1"):
        gaussian_chi2([[1.0]], -np.eye(1), np.eye(1))
    with pytest.raises(ValueError, match="C2"):
        gaussian_chi2([[1.0]], np.eye(1), np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="mean_diff, C1, C2"):
        gaussian_chi2([[1.0]], np.eye(1), np.eye(2))
    with pytest.raises(ValueError, match="mean_diff, C1, C2"):
        gaussian_chi2([[1.0, 2.0]], np.eye(1), np.eye(1))
    H = top_pca_encoder(model, 2)
    with pytest.raises(ValueError, match="w"):
        best_linear_risk(model, H, np.ones(model.dim + 1))
    with pytest.raises(ValueError, match="w"):
        ridge_downstream_risk(model, H, np.ones((model.dim, 1)), n=5, ridge=0.1)

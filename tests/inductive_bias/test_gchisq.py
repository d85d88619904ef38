"""The generalised chi-square lower tail: closed forms, Ruben's series, saddle point, Monte Carlo."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import special, stats

from analysis.inductive_bias.gchisq import (
    GChiSq,
    gchisq_log_cdf,
    log_central_chi2_cdf,
    ruben_log_cdf,
    saddlepoint_log_cdf,
)

# quad runs at rtol 1e-10; allow 1e-8 relative on log-probabilities of order 1..1000
REL = 1e-8


@pytest.mark.parametrize("x", [30.0, 15.0, 3.0, 1.0, 1e-5, 1e-60])
def test_isotropic_is_scaled_noncentral_chi2(x):
    # equal weights: Q = w chi'^2_n(sum lambda), a closed form scipy evaluates until it underflows
    nc = np.linspace(0, 1, 40)
    law = GChiSq.make([0.3] * 40, noncentrality=nc)
    ref = stats.ncx2.logcdf(x / 0.3, 40, nc.sum())
    got = gchisq_log_cdf(x, law)
    if np.isfinite(ref):
        assert_allclose(got, ref, rtol=REL, atol=1e-13)
    else:  # beyond scipy's underflow: the central-chi2 leading term bounds it within log(mixture)
        assert got < -700


def test_central_equal_weights_deep_tail_matches_series():
    # central, equal weights: log P(chi2_n <= x/w), evaluated by the log-space series
    law = GChiSq.make([0.5] * 12)
    for x in [3.0, 0.1, 1e-8, 1e-40, 1e-200]:
        assert_allclose(gchisq_log_cdf(x, law), log_central_chi2_cdf(x / 0.5, 12), rtol=REL)


def test_log_central_chi2_cdf_matches_gammainc_where_both_work():
    x = np.geomspace(1e-3, 50, 30)
    for dof in [1, 2, 7, 40]:
        assert_allclose(log_central_chi2_cdf(x, dof), np.log(special.gammainc(dof / 2, x / 2)), rtol=1e-12)
    # and keeps going where gammainc underflows: leading term a log z - z - lgamma(a+1) dominates
    tiny = log_central_chi2_cdf(1e-300, 10)
    assert_allclose(tiny, 5 * math.log(0.5e-300) - special.gammaln(6), rtol=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 25), depth=st.floats(0.05, 0.6))
def test_contour_integral_matches_ruben_series(seed, n, depth):
    # two independent exact routes agree on random well-conditioned laws, deep into the tail
    rng = np.random.default_rng(seed)
    law = GChiSq.make(rng.uniform(0.2, 1.0, n), rng.integers(1, 4, n).astype(float), rng.uniform(0, 3, n))
    x = depth * law.mean * rng.uniform(0.01, 1.0)
    assert_allclose(gchisq_log_cdf(x, law), ruben_log_cdf(x, law), rtol=REL, atol=1e-12)


def test_upper_side_matches_closed_form():
    law = GChiSq.make([0.25] * 6, noncentrality=[0.3, 0.0, 1.0, 0.2, 0.5, 0.0])
    for x in [2.5, 4.0, 8.0]:
        assert x > law.mean
        assert_allclose(gchisq_log_cdf(x, law), stats.ncx2.logcdf(x / 0.25, 6, 2.0), rtol=1e-7, atol=1e-14)


def test_offset_shifts_the_law_and_below_offset_is_impossible():
    law = GChiSq.make([0.1, 0.4, 0.2], noncentrality=[1.0, 0.0, 0.5])
    shifted = GChiSq.make([0.1, 0.4, 0.2], noncentrality=[1.0, 0.0, 0.5], offset=0.7)
    assert_allclose(gchisq_log_cdf(0.9, shifted), gchisq_log_cdf(0.2, law), rtol=REL)
    assert gchisq_log_cdf(0.69, shifted) == -math.inf


def test_saddlepoint_is_close_in_the_tail():
    # Lugannani-Rice has relative error O(1/n) on the probability: a few hundredths of a nat here
    rng = np.random.default_rng(3)
    law = GChiSq.make(rng.uniform(0.1, 1, 60), noncentrality=rng.uniform(0, 2, 60))
    for frac in [0.5, 0.2, 0.05]:
        x = frac * law.mean
        assert abs(saddlepoint_log_cdf(x, law) - gchisq_log_cdf(x, law)) < 0.02


def test_wide_spectrum_gp_like_law_is_handled():
    # eigenvalues spanning 8 decades, 10 dof each (multi-output GP): contour vs saddle point
    rng = np.random.default_rng(1)
    law = GChiSq.make(np.geomspace(1e-8, 1, 300) / 300, np.full(300, 10.0), rng.uniform(0, 3, 300))
    for frac in [0.5, 0.1]:
        x = frac * law.mean
        exact = gchisq_log_cdf(x, law)
        assert abs(saddlepoint_log_cdf(x, law) - exact) < 1e-3 * abs(exact) + 0.01


def test_monte_carlo_agrees_where_it_reaches():
    # MC with 4e5 draws resolves probabilities ~1e-3: standard error of log p ~ sqrt((1-p)/(N p))
    rng = np.random.default_rng(0)
    law = GChiSq.make(rng.uniform(0.1, 1.0, 8), noncentrality=rng.uniform(0, 1, 8))
    draws = law.sample(400_000, rng)
    x = float(np.quantile(draws, 2e-3))  # threshold from an independent pilot would be cleaner:
    fresh = law.sample(400_000, np.random.default_rng(1))  # so estimate p on fresh draws
    p_hat = np.mean(fresh <= x)
    se = math.sqrt((1 - p_hat) / (fresh.size * p_hat))
    assert abs(math.log(p_hat) - gchisq_log_cdf(x, law)) < 5 * se


def test_bad_laws_are_rejected():
    with pytest.raises(ValueError, match="weights"):
        GChiSq.make([0.1, -0.2])
    with pytest.raises(ValueError, match="noncentrality"):
        GChiSq.make([0.1], noncentrality=[-1.0])
    with pytest.raises(ValueError, match="dof"):
        GChiSq.make([0.1], dof=[0.0])
    with pytest.raises(ValueError, match="beta"):
        ruben_log_cdf(0.1, GChiSq.make([0.1, 0.2]), beta=0.5)

"""The exact InfoNCE finite-M bracket against brute-force enumeration, and its use in the ledger."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis._core.claims import get_claim, run_claim
from analysis.contrastive.hypersphere import (
    infonce_gap_expansion,
    infonce_limit,
    infonce_minus_log_m,
    sample_uniform_sphere,
)

Z = 5.0  # Monte-Carlo checks: 5 standard errors (false alarm < 6e-7 per comparison)


def exact_gap_by_enumeration(z1, z2, M, t):
    """E L_M - log M - L_inf by summing over all N^M negative draws (tiny N, M only)."""
    N = z1.shape[0]
    e = np.exp(z1 @ z1.T / t)
    pos = np.exp(np.sum(z1 * z2, axis=1) / t)
    m = e.mean(axis=1)
    combos = np.array(list(itertools.product(range(N), repeat=M)))  # (N^M, M)
    total = 0.0
    for i in range(N):
        A = e[i, combos].mean(axis=1)
        total += float(np.mean(np.log((pos[i] / M + A) / m[i])))
    return total / N


def _population(draw_seed, N, d, kind):
    rng = np.random.default_rng(draw_seed)
    z1 = sample_uniform_sphere(N, d, rng=rng)
    z2 = sample_uniform_sphere(N, d, rng=rng)
    if kind == "duplicated":  # duplicated anchors (ties in the negative distribution)
        z1[1:] = z1[0]
    elif kind == "aligned":  # positives equal to anchors
        z2 = z1.copy()
    elif kind == "near":  # all anchors within 1e-6 of each other: r_ij ~ 1, Var r ~ 1e-12
        z1 = z1[0] + 1e-6 * rng.standard_normal(z1.shape)
        z1 /= np.linalg.norm(z1, axis=1, keepdims=True)
    return z1, z2


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    N=st.integers(1, 4),
    d=st.integers(1, 4),
    M=st.integers(1, 5),
    t=st.floats(0.2, 2.0),
    kind=st.sampled_from(["random", "duplicated", "aligned", "near"]),
)
def test_bracket_contains_the_enumerated_expectation(seed, N, d, M, t, kind):
    if N**M > 1024:
        M = 1
    z1, z2 = _population(seed, N, d, kind)
    ex = infonce_gap_expansion(z1, z2, M, temperature=t)
    exact = exact_gap_by_enumeration(z1, z2, M, t)
    # error model: both sides are sums of O(N^M) terms of size <= e^{2/t}; round-off ~ 1e-13 x scale
    slack = 1e-12 * math.exp(2.0 / t)
    assert ex["lower"][0] - slack <= exact <= ex["upper"][0] + slack


def test_bracket_tightens_like_m_to_the_minus_four_and_has_the_exact_constant():
    z1, z2 = _population(3, 200, 4, "random")
    Ms = np.array([64, 128, 256, 512])
    ex = infonce_gap_expansion(z1, z2, Ms, temperature=0.5)
    width = ex["upper"] - ex["lower"]
    assert np.all(width >= 0)
    # order 11: width O(M^-6) once the series converges; at least M^-4 here
    assert np.all(width[1:] <= width[:-1] / 2**4)
    # M * gap -> c, with the O(1/M) correction
    mid = 0.5 * (ex["upper"] + ex["lower"])
    assert np.all(np.abs(Ms * mid - ex["constant"]) <= 50.0 * ex["constant"] / Ms)


def test_monte_carlo_gap_with_control_variate_lies_in_the_bracket_and_wrong_losses_do_not():
    rng = np.random.default_rng(1)
    z1 = sample_uniform_sphere(300, 4, rng=rng)
    z2 = z1 + 0.2 * rng.normal(size=z1.shape)
    z2 /= np.linalg.norm(z2, axis=1, keepdims=True)
    t = 0.7
    lim = infonce_limit(z1, z2, temperature=t)
    for M in (8, 512):
        ex = infonce_gap_expansion(z1, z2, M, temperature=t)
        lo, hi = ex["lower"][0], ex["upper"][0]
        est = infonce_minus_log_m(
            z1, z2, M, 20_000, temperature=t, rng=M, control_variate=lim["per_anchor"]
        )
        plain = infonce_minus_log_m(z1, z2, M, 20_000, temperature=t, rng=M)
        if M == 512:  # the control variate removes the anchors' spread, dominant at large M
            assert est.stderr < plain.stderr / 2
        gap = est.mean - lim["limit"]
        assert lo - Z * est.stderr <= gap <= hi + Z * est.stderr
        assert lo - Z * plain.stderr <= plain.mean - lim["limit"] <= hi + Z * plain.stderr
    # the positive left out of the denominator: off by ~e^{s+}/(mM), many SE at M = 8
    wrong = infonce_minus_log_m(
        z1, z2, 8, 20_000, temperature=t, rng=8, control_variate=lim["per_anchor"],
        include_positive=False,
    )
    ex8 = infonce_gap_expansion(z1, z2, 8, temperature=t)
    assert wrong.mean - lim["limit"] < ex8["lower"][0] - 10 * wrong.stderr


def test_expansion_bad_input():
    z = sample_uniform_sphere(5, 3, rng=0)
    with pytest.raises(ValueError, match="order"):
        infonce_gap_expansion(z, z, 4, order=4)
    with pytest.raises(ValueError, match="order"):
        infonce_gap_expansion(z, z, 4, order=13)
    with pytest.raises(ValueError, match="n_negatives"):
        infonce_gap_expansion(z, z, 0)
    with pytest.raises(ValueError, match="n_negatives"):
        infonce_gap_expansion(z, z, 2.5)
    with pytest.raises(ValueError, match="positive"):
        infonce_gap_expansion(z, z[:4], 4)
    with pytest.raises(ValueError, match="unit-norm"):
        infonce_gap_expansion(2 * z, z, 4)
    with pytest.raises(ValueError, match="control_variate"):
        infonce_minus_log_m(z, z, 4, 10, control_variate=np.zeros(4))


def test_training_claim_reports_lsup_without_claiming_monotone_decrease():
    # seed 424242: L_sup^mu goes 0.368 -> 0.317 -> 0.351 (not monotone), yet the lemma holds at
    # every checkpoint and the trained bound is informative: the claim passes
    c = get_claim("cl.training.bound_holds_and_decreases")
    rec = run_claim(c, 424242)
    assert rec["status"] == "pass", rec["detail"]
    assert "reported, not claimed" in rec["detail"]
    bad = run_claim(c, 424242, broken=True)
    assert bad["status"] == "fail" and bad["slack"] < -10 * bad["tolerance"], bad["detail"]

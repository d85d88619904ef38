"""Tests of the NC metrics: exact values on oracles, invariances, variants, bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis._core.rng import random_orthogonal
from analysis.neural_collapse import nc_metrics, orthogonal_frame, simplex_etf
from analysis.neural_collapse.data import collapsed_etf_features, labels_from_counts
from analysis.neural_collapse.metrics import (
    NC1_VARIANTS,
    cdnv,
    effective_rank,
    etf_gram_distance,
    nc1_within_class,
    of_distance,
)

ROUNDOFF = 1e-10  # float64 sums over N <= 100 samples of O(1) entries, then a pseudo-inverse


def test_metrics_vanish_on_a_collapsed_self_dual_etf(seed):
    H, y, M = collapsed_etf_features([5, 5, 5, 5], 7, scale=3.0, rng=seed)
    m = nc_metrics(H, y, W=2.0 * M)
    for key in ("nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc2_etf_gram",
                "nc2_equinorm_w", "nc2_etf_gram_w", "nc3", "nc4", "cdnv"):
        assert abs(m[key]) < ROUNDOFF, (key, m[key])


def test_orthogonal_frame_has_zero_of_distance_and_etf_has_known_distance():
    C = 4
    y = labels_from_counts([3] * C)
    assert of_distance(orthogonal_frame(C, 6)[y], y) < ROUNDOFF
    # ETF class-mean Gram = C/(C-1)(I - 11^T/C): normalised, its distance to I/sqrt(C) is
    # || P/||P|| - I/sqrt(C) ||, P the centring projector (||P||_F = sqrt(C-1)).
    P = np.eye(C) - 1.0 / C
    expected = np.linalg.norm(P / np.sqrt(C - 1) - np.eye(C) / np.sqrt(C))
    assert_allclose(of_distance(simplex_etf(C, 6)[y], y), expected, atol=ROUNDOFF)


def test_nc1_matches_a_direct_formula_and_variants_are_related(seed):
    rng = np.random.default_rng(seed)
    C, d = 4, 6
    y = labels_from_counts([6, 4, 5, 7])
    H = rng.standard_normal((y.size, d)) + 3 * rng.standard_normal((C, d))[y]
    means = np.stack([H[y == c].mean(0) for c in range(C)])
    mu_g = means.mean(0)
    Sw = sum(np.outer(h - means[c], h - means[c]) for h, c in zip(H, y, strict=False)) / y.size
    Sb = sum(np.outer(m - mu_g, m - mu_g) for m in means) / C
    direct = np.trace(Sw @ np.linalg.pinv(Sb, rcond=1e-10)) / C
    assert_allclose(nc1_within_class(H, y), direct, rtol=1e-8)
    v = {name: nc1_within_class(H, y, variant=name) for name in NC1_VARIANTS}
    assert_allclose(v["no_class_average"], C * v["papyan"], rtol=1e-10)
    assert_allclose(v["sigma_b_per_dim"], d * v["papyan"], rtol=1e-10)
    assert_allclose(v["trace_ratio"], np.trace(Sw) / np.trace(Sb), rtol=1e-10)


def test_global_mean_choice_matters_only_when_imbalanced():
    rng = np.random.default_rng(3)
    for counts, same in (([5, 5, 5], True), ([9, 3, 3], False)):
        y = labels_from_counts(counts)
        H = rng.standard_normal((y.size, 4)) + 2 * rng.standard_normal((3, 4))[y]
        a = nc_metrics(H, y, global_mean="class_means")["nc2_etf_gram"]
        b = nc_metrics(H, y, global_mean="samples")["nc2_etf_gram"]
        assert (abs(a - b) < 1e-12) == same


def test_metrics_are_rotation_scale_and_relabel_invariant(seed):
    rng = np.random.default_rng(seed)
    C, d = 5, 7
    y = labels_from_counts([4, 6, 5, 3, 4])
    H = rng.standard_normal((y.size, d)) + 2 * rng.standard_normal((C, d))[y]
    W, b = rng.standard_normal((C, d)), rng.standard_normal(C)
    base = nc_metrics(H, y, W, b)
    Q = random_orthogonal(d, rng)
    perm = rng.permutation(C)
    inv = np.argsort(perm)
    moved = nc_metrics(2.5 * H @ Q.T, perm[y], (W @ Q.T)[inv] / 2.5, b[inv])
    for key in base:
        assert_allclose(moved[key], base[key], rtol=1e-8, atol=1e-12, err_msg=key)


def test_effective_rank_and_cdnv_simple_values():
    assert_allclose(effective_rank(np.eye(4)), 4.0, rtol=1e-12)
    assert_allclose(effective_rank(np.outer(np.ones(3), [1.0, 2.0])), 1.0, rtol=1e-12)
    H = np.array([[0.0, 1.0], [0.0, -1.0], [4.0, 1.0], [4.0, -1.0]])
    # Var = 1 in each class, ||mu_0 - mu_1|| = 4: CDNV = (1 + 1) / (2 * 16)
    assert_allclose(cdnv(H, [0, 0, 1, 1]), 2 / 32, rtol=1e-12)


def test_etf_gram_distance_is_zero_for_etf_only():
    assert etf_gram_distance(simplex_etf(4, 4) @ simplex_etf(4, 4).T) < ROUNDOFF
    assert etf_gram_distance(np.eye(4)) > 0.1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: nc_metrics(np.zeros((3, 2)) + 1, [0, 1, 3]), r"y: expected every class 0..3"),
        (lambda: nc_metrics(np.ones((3, 2)), [0, -1, 1]), r"y: expected labels in"),
        (lambda: nc_metrics(np.ones((3, 2)), [0, 1, 2], W=np.ones((2, 2))), r"y: expected labels in 0..1"),
        (lambda: nc_metrics(np.full((2, 2), np.nan), [0, 1]), r"H: expected finite values"),
        (lambda: nc_metrics(np.ones((2, 2)), [0, 1, 1]), r"y: expected 2 labels"),
        (lambda: nc_metrics(np.ones((2, 2)), [0, 0]), r"y: expected labels of at least 2 classes"),
        (lambda: nc_metrics(np.eye(2), [0, 1], W=np.ones((2, 3))), r"W: expected 2 columns"),
        (lambda: nc_metrics(np.eye(2), [0, 1], b=np.ones(2)), r"b: a bias was given without"),
        (lambda: nc1_within_class(np.eye(2), [0, 1], variant="x"), r"variant: expected one of"),
    ],
)
def test_bad_input_is_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_inputs_are_not_modified():
    H, y, M = collapsed_etf_features([3, 3, 3], 4, noise=0.1, rng=0)
    H0, y0, M0 = H.copy(), y.copy(), M.copy()
    nc_metrics(H, y, M)
    assert np.array_equal(H, H0) and np.array_equal(y, y0) and np.array_equal(M, M0)

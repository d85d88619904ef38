"""Simplicity bias (our linear-spectral formulation of Xue et al. 2023): minimisers and remedies."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.contrastive.simplicity_bias import (
    CLASS,
    EASY,
    feature_moments,
    feature_weights,
    gram_distance,
    make_subclass_dataset,
    min_norm_supervised_minimiser,
    non_collapsed_minimiser,
    spectral_minimiser,
    spectral_population_loss,
    subclass_separation,
    supervised_spectral_loss,
    train_supervised_gd,
    train_unsupervised_gd,
)


@pytest.fixture(scope="module")
def data():
    return make_subclass_dataset(12, 160, rng=3), make_subclass_dataset(200, 160, rng=4)


def test_dataset_deterministic_and_balanced():
    a, b = make_subclass_dataset(5, 20, rng=7), make_subclass_dataset(5, 20, rng=7)
    assert np.array_equal(a.X, b.X)
    assert np.bincount(a.y * 2 + a.z).tolist() == [5, 5, 5, 5]


def test_min_norm_is_optimal_and_in_row_space(data):
    train, _ = data
    W = min_norm_supervised_minimiser(train.X, train.y, 2)
    # optimum of ||G G^T - P||^2 - ||P||^2 with P a rank-2 projection is -||P||_F^2 = -2
    assert_allclose(supervised_spectral_loss(W, train.X, train.y), -2.0, atol=1e-10)
    q, _ = np.linalg.qr(train.X.T)
    assert_allclose(W - (W @ q) @ q.T, 0.0, atol=1e-10)


def test_non_collapsed_minimiser_same_loss_larger_norm_separates(data):
    train, test = data
    W = min_norm_supervised_minimiser(train.X, train.y, 3)
    W2 = non_collapsed_minimiser(W, train.X)
    assert_allclose(
        supervised_spectral_loss(W2, train.X, train.y),
        supervised_spectral_loss(W, train.X, train.y),
        atol=1e-10,
    )
    assert np.linalg.norm(W2) > np.linalg.norm(W)
    assert subclass_separation(W2, test.X, test.y, test.z) > 3 * subclass_separation(
        W, test.X, test.y, test.z
    )


def test_gd_small_init_reaches_min_norm_large_init_does_not(data):
    train, _ = data
    W_mn = min_norm_supervised_minimiser(train.X, train.y, 3)
    small = train_supervised_gd(train.X, train.y, 3, init_scale=1e-6, rng=0)
    large = train_supervised_gd(train.X, train.y, 3, init_scale=0.1, rng=0)
    assert gram_distance(small, W_mn) < 1e-3
    assert gram_distance(large, W_mn) > 1e-1


def test_population_closed_form_and_gd_agree():
    M, S = feature_moments(aug_noise=(1.0, 2.0, 0.5))
    for p in (1, 2, 3):
        W = spectral_minimiser(M, S, p)
        Wgd, _ = train_unsupervised_gd(M, S, p, steps=3000, rng=1)
        assert_allclose(feature_weights(Wgd), feature_weights(W), atol=1e-8)
        assert_allclose(
            spectral_population_loss(Wgd, M, S), spectral_population_loss(W, M, S), atol=1e-12
        )
        # no other W of the same shape does better (random perturbations)
        rng = np.random.default_rng(p)
        for _ in range(20):
            assert spectral_population_loss(W + 1e-2 * rng.standard_normal(W.shape), M, S) >= (
                spectral_population_loss(W, M, S) - 1e-12
            )


def test_feature_suppression_and_remedies():
    M, S = feature_moments()
    w1 = feature_weights(spectral_minimiser(M, S, 1))
    assert w1[EASY] > 0 and w1[CLASS] == 0.0  # suppression at p = 1
    assert feature_weights(spectral_minimiser(M, S, 2))[CLASS] > 0  # remedy 1
    Ma, Sa = feature_moments(aug_noise=(10.0, 1.0, 1.0))
    w_aug = feature_weights(spectral_minimiser(Ma, Sa, 1))
    assert w_aug[CLASS] > 0 and w_aug[EASY] == 0.0  # remedy 2


def test_gd_learns_easy_feature_first():
    M, S = feature_moments(aug_noise=(1.0, 1.0, 1.0))
    _, hist = train_unsupervised_gd(M, S, 2, steps=400, record_every=10, rng=0)
    t_easy = np.argmax(hist[:, EASY] > 0.2)
    t_class = np.argmax(hist[:, CLASS] > 0.2)
    assert 0 < t_easy < t_class


def test_bad_input():
    with pytest.raises(ValueError, match="n_per_group"):
        make_subclass_dataset(0, 10)
    with pytest.raises(ValueError, match="aug_noise"):
        feature_moments(aug_noise=(1.0, -1.0, 1.0))
    X = np.ones((30, 10))
    with pytest.raises(ValueError, match="n <= d"):
        min_norm_supervised_minimiser(X, np.zeros(30, int), 2)
    with pytest.raises(ValueError, match="W"):
        supervised_spectral_loss(np.ones(3), X, np.zeros(30, int))

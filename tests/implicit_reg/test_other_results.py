"""Separable logistic GD, the ReLU interpolation construction, random labels, deep MF."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.implicit_reg.deep_mf import (
    completion_instance,
    deep_mf_gd,
    effective_rank,
    min_nuclear_norm_completion,
)
from analysis.implicit_reg.interpolation import (
    fit_mlp_batch,
    random_label_dataset,
    relu_interpolant,
)
from analysis.implicit_reg.separable import (
    direction_error,
    logistic_gd,
    max_margin_directions,
    separable_dataset,
)


def test_separable_dataset_is_separable_and_gd_direction_approaches_max_margin():
    X, y = separable_dataset(25, 3, margin=0.3, rng=5)
    w_hat = max_margin_directions(X, y)
    assert np.min(y * (X @ w_hat)) == pytest.approx(1.0, abs=1e-6)  # unit functional margin (Clarabel)
    run = logistic_gd(X, y, n_iter=2000, record=[10, 100, 2000])
    d = direction_error(run["w"], w_hat)
    assert d[-1] < d[0]
    assert np.all(y * (X @ run["w"][-1]) > 0)  # GD separates the data


def test_logistic_gd_batches_datasets_like_single_runs():
    data = [separable_dataset(15, 2, rng=s) for s in (1, 2)]
    X, y = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
    both = logistic_gd(X, y, n_iter=50, step=0.1, record=[50])
    one = logistic_gd(X[1], y[1], n_iter=50, step=0.1, record=[50])
    assert_allclose(both["w"][0, 1], one["w"][0], rtol=1e-12)


def test_relu_interpolant_fits_random_labels_with_2n_plus_d_weights():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 7)), rng.standard_normal(60)
    net = relu_interpolant(X, y, rng=1)
    assert net.n_weights == 2 * 60 + 7
    assert_allclose(net(X), y, atol=1e-8)  # triangular solve, see the claim's backward-error bound
    broken = relu_interpolant(X, y, rng=1, biases="below")
    assert np.abs(broken(X) - y).max() > 0.1


def test_mlp_fits_random_labels():
    X, y, y_true = random_label_dataset(40, 5, label_noise=1.0, rng=3)
    assert 0.25 < np.mean(y == y_true) < 0.85  # random labels agree with the teacher about half the time
    out = fit_mlp_batch(X, np.stack([y_true, y]), hidden=64, n_steps=200, lr=2e-2, seed=0)
    assert out["train_acc"].shape == (2, len(out["steps"]))
    assert np.all(out["train_acc"][:, -1] == 1.0)


def test_sgd_gd_and_penalty_runs_are_consistent():
    from analysis.implicit_reg.sgd_vs_gd import train_mlp

    X, y, y_clean = random_label_dataset(96, 6, label_noise=0.1, rng=2)
    kw = dict(n_repeats=2, hidden=16, step=0.2, batch_size=16, seed=1)
    gd = train_mlp(X[:48], y[:48], X[48:], y_clean[48:], method="gd", n_epochs=30, **kw)
    pen = train_mlp(X[:48], y[:48], X[48:], y_clean[48:], method="gd+penalty", n_epochs=30, **kw)
    sgd = train_mlp(X[:48], y[:48], X[48:], y_clean[48:], method="sgd", n_epochs=10, **kw)
    assert gd["train_loss"].shape == (2, 31) and sgd["train_loss"].shape == (2, 11)
    # same initialisation; the penalty (eta/4m) sum |grad L_k|^2 is small, so the runs stay close
    assert np.array_equal(gd["train_loss"][:, 0], pen["train_loss"][:, 0])
    assert np.abs(gd["train_loss"][:, -1] - pen["train_loss"][:, -1]).max() < 0.05
    assert np.all(gd["train_loss"][:, -1] < gd["train_loss"][:, 0])
    assert np.all(sgd["train_loss"][:, -1] < sgd["train_loss"][:, 0])
    with pytest.raises(ValueError, match="method: expected one of"):
        train_mlp(X, y, X, y, method="adam")
    with pytest.raises(ValueError, match="batch_size: expected an integer <= 96"):
        train_mlp(X, y, X, y, method="sgd", batch_size=200)


def test_deep_mf_depth3_is_lower_rank_than_depth1_and_nuclear_norm_is_feasible():
    M, mask = completion_instance(12, 1, 70, rng=0)
    W_nuc = min_nuclear_norm_completion(M, mask, solver="CLARABEL")
    assert_allclose(W_nuc[mask], M[mask], atol=1e-7)  # interior point, ~1e-8 feasibility
    shallow = deep_mf_gd(M, mask, depth=1, n_iter=100, step=0.5)["W"][0]
    deep = deep_mf_gd(M, mask, depth=3, n_iter=600, step=2.0)["W"][0]
    assert effective_rank(deep) < effective_rank(shallow)
    assert effective_rank(np.outer([1.0, 0], [1.0, 0])) == pytest.approx(1.0)


def test_deep_mf_gd_batches_instances_like_single_runs():
    pairs = [completion_instance(8, 1, 30, rng=s) for s in (3, 4)]
    M, mask = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    kw = dict(depth=3, init_scale=0.05, step=0.5, n_iter=40, seed=7)
    both = deep_mf_gd(M, mask, **kw)
    # a stack [M0, M0] draws the same initialisations as n_seeds = 2 on M0 alone
    twice = deep_mf_gd(M[0], mask[0], n_seeds=2, **kw)
    stacked = deep_mf_gd(M[[0, 0]], mask[[0, 0]], **kw)
    assert_allclose(stacked["W"], twice["W"], rtol=1e-12, atol=1e-15)
    # and instances do not interact: the first result does not depend on the second instance
    assert_allclose(both["W"][0], stacked["W"][0], rtol=1e-12, atol=1e-15)
    assert not np.allclose(both["W"][1], stacked["W"][1])
    assert both["W"].shape == (2, 8, 8) and both["train_loss"].shape == (2, 2)
    with pytest.raises(ValueError, match="n_seeds: expected 1 with a stack"):
        deep_mf_gd(M, mask, depth=2, n_seeds=2)
    with pytest.raises(ValueError, match="mask: expected at least one observed entry"):
        deep_mf_gd(M, np.stack([mask[0], np.zeros_like(mask[1])]), depth=2)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: logistic_gd(np.ones((3, 2)), np.array([1, 0, 1]), n_iter=5), r"y: expected labels in"),
        (lambda: logistic_gd(np.ones((3, 2)), np.ones(3), n_iter=0), r"n_iter: expected an integer >= 1"),
        (lambda: max_margin_directions(np.array([[1.0], [1.0]]), np.array([1.0, -1.0])), r"separable"),
        (lambda: relu_interpolant(np.ones((3, 2)), np.ones(3)), r"X: expected distinct points"),
        (lambda: relu_interpolant(np.eye(3), np.ones(2)), r"y: expected shape \(3\)"),
        (lambda: random_label_dataset(10, 2, label_noise=1.5), r"label_noise: expected a number <= 1"),
        (lambda: deep_mf_gd(np.eye(3), np.zeros((3, 3), bool), depth=2), r"mask: expected at least one"),
        (lambda: deep_mf_gd(np.eye(3), np.ones((3, 3), bool), depth=0), r"depth: expected an integer >= 1"),
        (lambda: effective_rank(np.zeros((2, 2))), r"M: expected a non-zero matrix"),
        (lambda: deep_mf_gd(np.eye(4), np.ones((4, 4), bool), depth=2, init_scale=1.0, step=50.0, n_iter=50),
         r"step: gradient descent diverged"),
        (lambda: fit_mlp_batch(np.ones((4, 2)), np.array([[0, 1, 2, 0]]), n_classes=2), r"labels: expected labels in 0\.\.1"),
    ],
)
def test_bad_input_is_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""Hypothesis samplers: exact GP posterior, random features, batched MLP ensembles; tasks."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from analysis.inductive_bias import (
    DEFAULT_JITTER,
    digits_task,
    gaussian_loss_law,
    gp_posterior,
    gp_posterior_samples,
    init_mlp_ensemble,
    mlp_test_losses,
    random_feature_models,
    random_feature_posterior,
    rbf_kernel,
    sample_gaussian_losses,
    synthetic_task,
    train_mlp_ensemble,
    train_mlp_loop,
)


def test_gp_posterior_matches_textbook_formula_and_interpolates():
    task = synthetic_task(3, 20, 10, rng=0)
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    K = rbf_kernel(task.X_train, task.X_train, task.lengthscale) + DEFAULT_JITTER * np.eye(20)
    Ks = rbf_kernel(task.X_test, task.X_train, task.lengthscale)
    assert_allclose(post.mean, Ks @ np.linalg.solve(K, task.Y_train), atol=1e-8)
    ref_cov = rbf_kernel(task.X_test, task.X_test, task.lengthscale) - Ks @ np.linalg.solve(K, Ks.T)
    assert_allclose(post.cov, ref_cov, atol=1e-8)
    # at the training inputs the posterior mean interpolates and the variance is ~ jitter
    at_train = gp_posterior(task.X_train, task.Y_train, task.X_train, lengthscale=task.lengthscale)
    assert np.abs(at_train.mean - task.Y_train).max() < 1e-6
    assert np.diag(at_train.cov).max() < 10 * DEFAULT_JITTER


def test_gp_samples_fit_training_data_within_jitter():
    # draws at the training inputs deviate by N(0, ~jitter): 6 sd of sqrt(jitter) bounds them
    task = digits_task(8, 40, 10, rng=1)
    draws = gp_posterior_samples(task.X_train, task.Y_train, task.X_train, 20, rng=0,
                                 lengthscale=task.lengthscale)
    assert np.abs(draws - task.Y_train).max() < 6 * math.sqrt(DEFAULT_JITTER) + 1e-6


def test_random_feature_models_interpolate_and_match_their_gaussian_law():
    task = digits_task(6, 30, 15, rng=2)
    predict, _ = random_feature_models(task.X_train, task.Y_train, 120, 4000, rng=3,
                                       lengthscale=task.lengthscale)
    assert np.abs(predict(task.X_train) - task.Y_train).max() < 1e-9
    post = random_feature_posterior(task.X_train, task.Y_train, task.X_test, 120, rng=3,
                                    lengthscale=task.lengthscale)
    preds = predict(task.X_test)
    # sample mean within 5 standard errors of the exact posterior mean
    se = np.sqrt(np.diag(post.cov))[:, None] / math.sqrt(preds.shape[0])
    assert np.all(np.abs(preds.mean(0) - post.mean) <= 5 * se + 1e-12)
    loss = np.mean((preds - task.Y_test) ** 2, axis=(1, 2))
    law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
    assert abs(loss.mean() - law.mean) < 5 * math.sqrt(law.variance / loss.size)


def test_sampled_losses_follow_the_law_both_methods():
    task = digits_task(5, 30, 12, rng=0)
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
    for method in ["chi2", "eigen"]:
        losses = sample_gaussian_losses(post.mean, post.cov, task.Y_test, 20_000, rng=1, method=method)
        assert abs(losses.mean() - law.mean) < 5 * math.sqrt(law.variance / losses.size)
        assert_allclose(losses.var(), law.variance, rtol=0.1)
    # deterministic: same seed, same numbers
    a = sample_gaussian_losses(post.mean, post.cov, task.Y_test, 100, rng=7)
    b = sample_gaussian_losses(post.mean, post.cov, task.Y_test, 100, rng=7)
    np.testing.assert_array_equal(a, b)


def test_brute_force_loss_equals_eigenbasis_loss():
    # the eigen-basis evaluation is the same number as mean((f - y)^2) for f = mu + U sqrt(L) z
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5))
    cov, mu, y = A @ A.T, rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    evals, evecs = np.linalg.eigh(cov)
    z = rng.standard_normal((5, 2))
    f = mu + (evecs * np.sqrt(evals)) @ z
    direct = np.mean((f - y) ** 2)
    eig = np.sum((np.sqrt(evals)[:, None] * z + evecs.T @ (mu - y)) ** 2) / 10
    assert_allclose(direct, eig, rtol=1e-12)


def test_batched_mlp_ensemble_equals_independent_trainings():
    # the batched model is exactly E separate Adam trainings (float64 round-off only)
    task = digits_task(6, 25, 10, rng=0)
    init = init_mlp_ensemble(5, 6, 16, 2, 10, seed=3)
    batched = train_mlp_ensemble(task.X_train, task.Y_train, n_models=5, width=16, depth=2, steps=60,
                                 tol=1e-300, init=init)
    looped = train_mlp_loop(task.X_train, task.Y_train, init, steps=60)
    for Wb, Wl in zip(batched.weights, looped.weights, strict=True):
        assert_allclose(Wb.numpy(), Wl.numpy(), atol=1e-12)
    assert_allclose(batched.train_mse, looped.train_mse, rtol=1e-10)


def test_mlp_ensemble_fits_training_data_and_test_loss_is_a_plain_mean():
    task = digits_task(8, 40, 20, rng=1)
    model = train_mlp_ensemble(task.X_train, task.Y_train, n_models=8, width=32, depth=2, steps=1500,
                               tol=1e-4, seed=0)
    assert model.train_mse.max() <= 1e-4
    losses = mlp_test_losses(model, task.X_test, task.Y_test)
    with torch.no_grad():
        out = model.forward(torch.as_tensor(task.X_test)).numpy()
    assert_allclose(losses, np.mean((out - task.Y_test) ** 2, axis=(1, 2)), rtol=1e-12)
    # deterministic
    again = train_mlp_ensemble(task.X_train, task.Y_train, n_models=8, width=32, depth=2, steps=1500,
                               tol=1e-4, seed=0)
    np.testing.assert_array_equal(again.train_mse, model.train_mse)


def test_tasks_shapes_and_one_hot():
    t = digits_task(10, 50, 20, rng=0)
    assert t.X_train.shape == (50, 10) and t.Y_train.shape == (50, 10)
    assert_allclose(t.Y_train.sum(1), 1)
    assert_allclose(np.mean(np.sum(t.X_train**2, 1)) / 10, 1.0)
    s = synthetic_task(7, 30, 5, rng=0)
    assert s.X_train.shape == (30, 7) and s.Y_test.shape == (5, 1) and s.dim == 7


def test_bad_input_to_samplers():
    t = synthetic_task(2, 10, 5, rng=0)
    with pytest.raises(ValueError, match="X_test"):
        gp_posterior(t.X_train, t.Y_train, np.ones((3, 5)))
    with pytest.raises(ValueError, match="Y_train"):
        gp_posterior(t.X_train, t.Y_train[:5], t.X_test)
    with pytest.raises(ValueError, match="n_features"):
        random_feature_posterior(t.X_train, t.Y_train, t.X_test, 5)
    with pytest.raises(ValueError, match="jitter"):
        gp_posterior(np.zeros((3, 2)), np.zeros(3), t.X_test, jitter=0.0)
    with pytest.raises(ValueError, match="positive semi-definite"):
        sample_gaussian_losses(np.zeros(2), np.diag([1.0, -0.5]), np.zeros(2), 10)
    with pytest.raises(ValueError, match="n_models"):
        train_mlp_ensemble(t.X_train, t.Y_train, n_models=0, width=4, depth=1)
    with pytest.raises(ValueError, match="k"):
        digits_task(0)
    # integer class labels where one-hot targets are needed (a defect of the published code)
    d = digits_task(4, 20, 5, rng=0)
    with pytest.raises(ValueError, match="one-hot"):
        train_mlp_ensemble(d.X_train, np.argmax(d.Y_train, 1), n_models=2, width=4, depth=1)


def test_nothing_is_written_to_the_working_directory(tmp_path, monkeypatch):
    # the published kernel code silently reused a cached posterior fit from the working directory
    monkeypatch.chdir(tmp_path)
    t = synthetic_task(3, 15, 5, rng=0)
    post = gp_posterior(t.X_train, t.Y_train, t.X_test, lengthscale=t.lengthscale)
    sample_gaussian_losses(post.mean, post.cov, t.Y_test, 50, rng=0)
    train_mlp_ensemble(t.X_train, t.Y_train, n_models=2, width=4, depth=1, steps=5)
    assert list(tmp_path.iterdir()) == []

"""Tests of the regularised path, fixed-budget GD, continual regression and forgetting metrics."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize

from analysis.continual import (
    classification_forgetting,
    continual_regression,
    counterexample_tasks,
    cyclic_order,
    cyclic_posterior_bound,
    data_radius,
    fixed_budget_gd,
    forgetting_from_losses,
    joint_min_norm_solution,
    lambda_reduction_errors,
    log_growth_coefficients,
    make_regression_tasks,
    make_separable_tasks,
    offline_max_margin,
    random_order,
    regression_forgetting_bound_cyclic,
    regression_task_losses,
    regularised_step,
    sequential_max_margin,
    task_violations,
)


def test_regularised_step_matches_a_direct_quasi_newton_fit(seed):
    tasks, _ = make_separable_tasks(1, 8, 4, seed)
    X, y = tasks[0]
    w_prev = np.random.default_rng(seed).standard_normal(4)
    lam = 0.1

    def f(w):
        return np.sum(np.logaddexp(0, -y * (X @ w))) + lam / 2 * np.sum((w - w_prev) ** 2)

    ref = minimize(f, w_prev, method="BFGS", options={"gtol": 1e-10}).x
    assert_allclose(regularised_step(w_prev, X, y, lam), ref, atol=1e-6)


def test_exp_and_logistic_losses_share_the_small_lambda_limit():
    tasks, _ = make_separable_tasks(2, 5, 3, 0)
    order = cyclic_order(2, 2)
    smm = sequential_max_margin(tasks, order)
    for loss in ("logistic", "exp"):
        res = lambda_reduction_errors(tasks, order, [1e-8, 1e-40], smm, loss=loss)
        assert res["rel_error"][1].max() < res["rel_error"][0].max()
        assert res["rel_error"][1].max() < 0.2
        assert res["cosine"][1].min() > 0.999


def test_regularised_rejects_bad_lambda():
    (task,), _ = make_separable_tasks(1, 3, 2, 0)
    with pytest.raises(ValueError, match="lam"):
        regularised_step(np.zeros(2), *task, 0.0)
    with pytest.raises(ValueError, match="lams"):
        lambda_reduction_errors([task], np.array([0]), [2.0], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="loss"):
        regularised_step(np.zeros(2), *task, 0.1, loss="hinge")


def test_fixed_budget_gd_turns_towards_the_offline_max_margin_direction():
    tasks = counterexample_tasks(0.5)
    w_star = offline_max_margin(tasks)
    W = fixed_budget_gd(tasks, cyclic_order(2, 200), 50)
    cos = W[1:] @ w_star / (np.linalg.norm(W[1:], axis=1) * np.linalg.norm(w_star))
    smm = sequential_max_margin(tasks, cyclic_order(2, 4))[-1]
    cos_smm = smm @ w_star / (np.linalg.norm(smm) * np.linalg.norm(w_star))
    assert cos[-1] > cos[10] and cos[-1] > cos_smm  # GD beats SMM's limit in direction
    with pytest.raises(ValueError, match="n_steps"):
        fixed_budget_gd(tasks, cyclic_order(2, 2), 0)


def test_log_growth_coefficients_on_exact_trajectories():
    rng = np.random.default_rng(3)
    u = rng.standard_normal(4)
    rho = rng.standard_normal(4)
    t = np.arange(0, 101, dtype=float)
    t[0] = 1.0  # row 0 (w_0) is never read by the coefficients at t1 >= 1
    W = np.log(7.0 * t)[:, None] * u + rho  # ln(c t) w* + constant rho: coefficients exactly (1, 0)
    assert_allclose(log_growth_coefficients(W, u, 10, 100), (1.0, 0.0), atol=1e-12)
    v = rng.standard_normal(4)
    v -= (v @ u) / (u @ u) * u  # orthogonal to w*
    W_wrong = np.log(t)[:, None] * (u + v)  # grows along another direction with the same w*-part
    a, p = log_growth_coefficients(W_wrong, u, 10, 100)
    assert_allclose((a, p), (1.0, np.linalg.norm(v)), rtol=1e-12)
    with pytest.raises(ValueError, match="t2"):
        log_growth_coefficients(W, u, 10, 10)
    with pytest.raises(ValueError, match="t2"):
        log_growth_coefficients(W, u, 10, 101)
    with pytest.raises(ValueError, match="w_star"):
        log_growth_coefficients(W, np.zeros(4), 10, 50)


def test_regression_step_is_the_affine_projection_and_equals_gd_to_convergence(seed):
    tasks, u = make_regression_tasks(3, 4, 10, seed)
    order = cyclic_order(3, 6)
    W = continual_regression(tasks, order)
    for t, m in enumerate(order, start=1):
        X, y = tasks[m]
        P = np.eye(10) - np.linalg.pinv(X) @ X
        assert_allclose(W[t] - u, P @ (W[t - 1] - u), atol=1e-12)
        # GD on ||X w - y||^2 from W[t-1] converges to the closest interpolator
        w = W[t - 1].copy()
        eta = 1 / np.linalg.norm(X, 2) ** 2
        for _ in range(20000):
            w -= eta * X.T @ (X @ w - y)
        assert_allclose(w, W[t], atol=1e-8)


def test_regression_forgetting_and_bound(seed):
    tasks, _ = make_regression_tasks(3, 5, 10, seed)
    order = cyclic_order(3, 90)
    W = continual_regression(tasks, order)
    F = forgetting_from_losses(regression_task_losses(tasks, W), order)
    naive = [np.mean([np.sum((tasks[m][0] @ W[k] - tasks[m][1]) ** 2) for m in order[:k]])
             for k in range(1, 91)]
    assert_allclose(F, naive, rtol=1e-10, atol=1e-14 * max(naive))  # sums in another order
    R = max(np.linalg.norm(X, 2) for X, _ in tasks)
    bound = regression_forgetting_bound_cyclic(np.arange(1, 91), 3, 10,
                                               np.linalg.norm(joint_min_norm_solution(tasks)), R)
    assert np.all(F <= bound)
    with pytest.raises(ValueError, match="k"):
        regression_forgetting_bound_cyclic(0, 3, 10, 1.0, 1.0)


def test_classification_forgetting_definition_and_posterior_bound(seed):
    tasks, _ = make_separable_tasks(4, 6, 6, seed)
    order = cyclic_order(4, 40)
    W = sequential_max_margin(tasks, order)
    F = classification_forgetting(tasks, order, W)
    naive = [np.mean([np.max(np.maximum(1 - tasks[m][1] * (tasks[m][0] @ W[k]), 0)) ** 2
                      for m in order[:k]]) for k in range(1, 41)]
    assert_allclose(F, naive, rtol=1e-10, atol=1e-14 * max(naive))  # sums in another order
    assert np.all(F <= cyclic_posterior_bound(W, 4, data_radius(tasks)) * (1 + 1e-9) + 1e-15)
    # the hinge of a sample is ||x|| times the distance to its halfspace, at most R dist(w, W_m)
    V = task_violations(tasks, W)
    assert V.shape == (41, 4) and np.all(V[np.arange(1, 41), order] < 1e-20)


def test_orders_and_generators_validate():
    assert np.array_equal(cyclic_order(3, 7), [0, 1, 2, 0, 1, 2, 0])
    assert np.array_equal(random_order(4, 50, 3), random_order(4, 50, 3))
    with pytest.raises(ValueError, match="n_tasks"):
        cyclic_order(0, 3)
    with pytest.raises(ValueError, match="min_margin"):
        make_separable_tasks(2, 3, 2, 0, min_margin=0)
    with pytest.raises(ValueError, match="noise"):
        make_regression_tasks(2, 3, 2, 0, noise=-1)
    tasks, u = make_separable_tasks(3, 10, 5, 1)
    for X, y in tasks:
        assert np.min(y * (X @ u)) >= 1 - 1e-12  # the planted separator is in W*


def test_scheduled_regularisation_approaches_scaled_smm():
    from analysis.continual import scheduled_regularised_path, scheduled_smm

    tasks, _ = make_separable_tasks(3, 5, 4, 0)
    order = cyclic_order(3, 4)
    errs = []
    for ell0 in (10.0, 40.0):
        ells = ell0 * 1.25 ** np.arange(4)
        W = scheduled_regularised_path(tasks, order, np.exp(-ells))
        U = scheduled_smm(tasks, order, np.concatenate([[1.0], ells[:-1] / ells[1:]]))
        errs.append(np.max(np.linalg.norm(W[1:] / ells[:, None] - U[1:], axis=1)
                           / np.linalg.norm(U[1:], axis=1)))
    assert errs[1] < 0.6 * errs[0] and errs[1] < 0.15
    # rho = 1 is plain SMM
    assert_allclose(scheduled_smm(tasks, order, 1.0), sequential_max_margin(tasks, order), atol=1e-12)
    with pytest.raises(ValueError, match="anchor_scale"):
        scheduled_smm(tasks, order, -1.0)


def test_batched_fixed_budget_gd_equals_the_sequential_one(seed):
    from analysis.continual import fixed_budget_gd_batch

    rng = np.random.default_rng(seed)
    problems = []
    for T, n, d in ((2, 3, 2), (3, 5, 4), (1, 1, 3)):
        tasks, _ = make_separable_tasks(T, n, d, rng)
        problems += [(tasks, cyclic_order(T, 30)), (tasks, random_order(T, 17, rng))]
    for (tasks, order), W in zip(problems, fixed_budget_gd_batch(problems, 3), strict=True):
        ref = fixed_budget_gd(tasks, order, 3)
        assert W.shape == ref.shape
        # same arithmetic up to summation order: round-off relative to the iterates' norm
        assert_allclose(W, ref, rtol=0, atol=1e-12 * max(1.0, np.abs(ref).max()))
    with pytest.raises(ValueError, match="problems"):
        fixed_budget_gd_batch([], 3)

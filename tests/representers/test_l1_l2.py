"""l1 and l2 representers: the decompositions, the solvers against cvxpy, and bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.representers import (
    l1_kkt_residual,
    l1_representers,
    l2_representers,
    make_sparse_logistic,
    solve_l1,
    solve_l1_cvxpy,
    solve_l2,
    solve_l2_cvxpy,
)
from analysis.representers.l1 import (
    CLARABEL_TIGHT,
    _proximal_gradient,
    identity_residual_bound,
    l1_objective,
)


def _problem(seed, loss, n=70, d=120):
    data = make_sparse_logistic(n, d, n_test=15, rng=seed)
    y = data.y if loss == "logistic" else data.X @ data.theta_true + 0.3 * np.random.default_rng(seed).standard_normal(n)
    return data.X, y, data.X_test


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_l1_decomposition_sums_to_prediction(seed, loss):
    X, y, X_test = _problem(seed, loss)
    res = l1_representers(X, y, 0.04, X_test, loss)
    assert res.values.shape == (15, 70)
    assert_allclose(res.predictions, X_test @ res.theta, rtol=0, atol=1e-14)
    # tight solve: the identity to 1e-8 (spec), and KKT at round-off level
    assert res.kkt_residual < 1e-12
    assert res.identity_residual < 1e-8
    assert_allclose(res.reconstruction, res.predictions, rtol=0, atol=1e-8)
    assert 0 < res.support.size < X.shape[1]


def test_l1_single_test_vector_is_one_row():
    X, y, X_test = _problem(0, "logistic")
    res = l1_representers(X, y, 0.04, X_test[0])
    assert res.values.shape == (1, X.shape[0])


def test_identity_residual_is_bounded_by_kkt_along_the_path(seed):
    X, y, X_test = _problem(seed, "logistic")
    n, lam = X.shape[0], 0.04
    for its in (2, 8, 30):
        theta, _ = _proximal_gradient(X, y, np.ones(n), lam, "logistic", np.zeros(X.shape[1]), 0.0, its)
        res = l1_representers(X, y, lam, X_test, theta=theta)
        bound = identity_residual_bound(X_test, theta, res.kkt_residual, lam)
        assert np.all(np.abs(res.predictions - res.reconstruction) <= bound * (1 + 1e-10) + 1e-14)
        assert res.kkt_residual > 1e-8  # a genuinely loose iterate


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_l1_solver_matches_cvxpy(seed, loss):
    X, y, _ = _problem(seed, loss, n=50, d=30)
    fast = solve_l1(X, y, 0.03, loss)
    ref_theta, ref_obj = solve_l1_cvxpy(X, y, 0.03, loss, **CLARABEL_TIGHT)
    assert abs(fast.objective - ref_obj) <= 1e-8 * abs(ref_obj)
    # the minimiser is unique here (strictly convex on the support); Clarabel's theta is ~1e-6 accurate
    assert_allclose(fast.theta, ref_theta, atol=1e-5)
    assert fast.objective <= ref_obj + 1e-12


def test_zero_weight_equals_removing_the_point_with_rescaled_lambda():
    # (1/n) sum_{j != i} l_j + lam |theta| = ((n-1)/n) [ (1/(n-1)) sum l_j + lam n/(n-1) |theta| ]
    X, y, _ = _problem(3, "logistic")
    n, lam = X.shape[0], 0.04
    w = np.ones(n)
    w[[4, 11]] = 0
    full = solve_l1(X, y, lam)
    weighted = solve_l1(X, y, lam, sample_weight=w, theta0=full.theta)
    keep = w > 0
    direct = solve_l1(X[keep], y[keep], lam * n / (n - 2))
    assert_allclose(weighted.theta, direct.theta, atol=1e-10)
    assert weighted.kkt_residual < 1e-12


def test_warm_start_reaches_the_same_optimum():
    X, y, _ = _problem(1, "logistic")
    cold = solve_l1(X, y, 0.04)
    warm = solve_l1(X, y, 0.04, theta0=cold.theta * 1.1)
    assert_allclose(warm.theta, cold.theta, atol=1e-11)


def test_kkt_residual_is_zero_only_at_the_optimum():
    X, y, _ = _problem(2, "logistic")
    sol = solve_l1(X, y, 0.04)
    assert l1_kkt_residual(X, y, sol.theta, 0.04) < 1e-12
    assert l1_kkt_residual(X, y, sol.theta * 0.9, 0.04) > 1e-4
    assert l1_objective(X, y, sol.theta * 0.9, 0.04) > sol.objective


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_l2_decomposition_sums_to_prediction(seed, loss):
    X, y, X_test = _problem(seed, loss, n=60, d=40)
    res = l2_representers(X, y, 0.02, X_test, loss)
    assert res.kkt_residual < 1e-12
    assert_allclose(res.reconstruction, res.predictions, rtol=0, atol=1e-8)


def test_l2_solver_matches_cvxpy_and_closed_form():
    X, y, _ = _problem(0, "squared", n=40, d=25)
    lam = 0.05
    theta = solve_l2(X, y, lam, "squared")
    closed = np.linalg.solve(X.T @ X / 40 + 2 * lam * np.eye(25), X.T @ y / 40)
    assert_allclose(theta, closed, rtol=1e-10, atol=1e-12)
    Xl, yl, _ = _problem(0, "logistic", n=40, d=25)
    fast = solve_l2(Xl, yl, lam)
    _, ref = solve_l2_cvxpy(Xl, yl, lam, **CLARABEL_TIGHT)
    from analysis.representers.l2 import l2_objective

    assert abs(l2_objective(Xl, yl, fast, lam) - ref) <= 1e-8 * ref


def test_l2_woodbury_path_matches_primal_path():
    # d > n uses the n x n Woodbury system; compare with the d x d solve on the transposed sizes
    X, y, _ = _problem(4, "logistic", n=30, d=80)
    theta = solve_l2(X, y, 0.01)
    from analysis.representers.l2 import l2_gradient_norm

    assert l2_gradient_norm(X, y, theta, 0.01) < 1e-12


def test_bad_input_raises_clear_errors():
    X, y, X_test = _problem(0, "logistic", n=20, d=10)
    with pytest.raises(ValueError, match=r"y: expected labels in \{-1, \+1\}"):
        l1_representers(X, (y > 0).astype(float), 0.1, X_test)
    with pytest.raises(ValueError, match="lam"):
        l1_representers(X, y, 0.0, X_test)
    with pytest.raises(ValueError, match="lam"):
        l2_representers(X, y, -1.0, X_test)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X: expected finite"):
        l1_representers(bad, y, 0.1, X_test)
    with pytest.raises(ValueError, match="y: expected 20 labels"):
        l1_representers(X, y[:-1], 0.1, X_test)
    with pytest.raises(ValueError, match="X_test: expected 10 columns"):
        l1_representers(X, y, 0.1, X_test[:, :5])
    with pytest.raises(ValueError, match="loss"):
        l1_representers(X, y, 0.1, X_test, loss="hinge")
    with pytest.raises(ValueError, match="theta"):
        l1_representers(X, y, 0.1, X_test, theta=np.zeros(3))
    with pytest.raises(ValueError, match="sample_weight"):
        solve_l1(X, y, 0.1, sample_weight=-np.ones(20))


def test_inputs_are_not_modified():
    X, y, X_test = _problem(0, "logistic", n=30, d=20)
    copies = [a.copy() for a in (X, y, X_test)]
    l1_representers(X, y, 0.05, X_test)
    l2_representers(X, y, 0.05, X_test)
    for a, b in zip((X, y, X_test), copies, strict=True):
        assert np.array_equal(a, b)


def test_deterministic():
    X, y, X_test = _problem(5, "logistic")
    a = l1_representers(X, y, 0.04, X_test)
    b = l1_representers(X, y, 0.04, X_test)
    assert np.array_equal(a.values, b.values)


def test_explain_new_points_matches_values():
    X, y, X_test = _problem(1, "logistic")
    res = l1_representers(X, y, 0.04, X_test)
    assert_allclose(res.explain(X_test[3]), res.values[3:4], rtol=1e-12, atol=1e-15)
    res2 = l2_representers(X, y, 0.04, X_test)
    assert_allclose(res2.explain(X_test), res2.values, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="X_test"):
        res.explain(X_test[:, :3])

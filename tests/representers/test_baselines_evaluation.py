"""Baselines (influence, TracIn, l2-style, random, leave-one-out) and the deletion evaluation."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis.representers import (
    deletion_auc,
    deletion_changes,
    influence_values,
    l1_representers,
    l2_style_values,
    loo_values,
    make_sparse_logistic,
    mean_ci,
    random_values,
    sign_agreement,
    solve_l1,
    solve_l2,
    tracin_values,
)
from analysis.representers.evaluation import deletion_order, n_deleted


def _data(seed=0, n=50, d=60):
    return make_sparse_logistic(n, d, n_test=6, rng=seed)


def test_influence_is_exact_loo_up_to_leverage_for_least_squares():
    # squared loss, support and signs unchanged by one deletion: the exact LOO change of the
    # restricted quadratic is the influence divided by (1 - h_i), h_i = x_iS^T H^{-1} x_iS / n
    # (Sherman-Morrison), an independent closed form for both the influence and the LOO code
    data = _data(1, n=100, d=40)
    rng = np.random.default_rng(1)
    X = data.X
    y = X @ data.theta_true + 0.2 * rng.standard_normal(X.shape[0])
    lam = 0.05
    theta = solve_l1(X, y, lam, "squared").theta
    infl = influence_values(X, y, theta, lam, data.X_test, "squared", damping=0.0)
    loo = loo_values(X, y, lam, data.X_test, "squared", theta=theta)
    S = np.flatnonzero(theta)
    H = X[:, S].T @ X[:, S] / X.shape[0]
    lev = np.einsum("ij,jk,ik->i", X[:, S], np.linalg.inv(H), X[:, S]) / X.shape[0]
    same_support = []
    for i in range(X.shape[0]):
        w = np.ones(X.shape[0])
        w[i] = 0
        refit = solve_l1(X, y, lam, "squared", sample_weight=w, theta0=theta).theta
        same_support.append(np.array_equal(np.sign(refit), np.sign(theta)))
    same_support = np.array(same_support)
    assert same_support.mean() > 0.3
    assert_allclose(loo[:, same_support], (infl / (1 - lev)[None, :])[:, same_support], rtol=1e-7, atol=1e-10)


def test_l2_influence_is_exact_loo_up_to_leverage_for_ridge():
    # ridge: H = X^T X / n + 2 lam I, and LOO = influence / (1 - x_i^T H^{-1} x_i / n) exactly
    data = _data(2, n=60, d=20)
    y = data.X @ data.theta_true + 0.3 * np.random.default_rng(2).standard_normal(60)
    lam = 0.05
    theta = solve_l2(data.X, y, lam, "squared")
    infl = influence_values(data.X, y, theta, lam, data.X_test, "squared", penalty="l2", damping=0.0)
    loo = loo_values(data.X, y, lam, data.X_test, "squared", penalty="l2", theta=theta)
    H = data.X.T @ data.X / 60 + 2 * lam * np.eye(20)
    lev = np.einsum("ij,jk,ik->i", data.X, np.linalg.inv(H), data.X) / 60
    assert_allclose(loo, infl / (1 - lev)[None, :], rtol=1e-8, atol=1e-12)


def test_tracin_at_one_checkpoint_is_the_l2_style_kernel():
    data = _data(3)
    lam = 0.04
    theta = solve_l1(data.X, data.y, lam).theta
    tr = tracin_values(data.X, data.y, data.X_test, theta[None, :], 1.0 / lam)
    assert_allclose(tr, l2_style_values(data.X, data.y, theta, lam, data.X_test), rtol=1e-12, atol=1e-15)


def test_random_values_are_seeded():
    assert np.array_equal(random_values(3, 10, 5), random_values(3, 10, 5))
    assert not np.array_equal(random_values(3, 10, 5), random_values(3, 10, 6))


def test_deletion_helpers():
    assert n_deleted(300, 0.01) == 3 and n_deleted(300, 0.05) == 15 and n_deleted(10, 0.01) == 1
    v = np.array([0.5, -2.0, 3.0, 0.0])
    assert deletion_order(v, "proponents").tolist() == [2, 0, 3, 1]
    assert deletion_order(v, "opponents").tolist() == [1, 3, 0, 2]
    changes = np.array([[-1.0, -2.0], [0.0, 0.0]])
    # trapezoid of (0, 1, 2) on (0, .01, .02), divided by .02: (0.005 + 0.015) / 0.02 = 1
    assert_allclose(deletion_auc(changes, (0.01, 0.02), "proponents"), [1.0, 0.0])
    assert_allclose(deletion_auc(changes, (0.01, 0.02), "opponents"), [-1.0, 0.0])


def test_mean_ci_matches_scipy():
    x = np.random.default_rng(0).standard_normal(25)
    mean, half = mean_ci(x)
    lo, hi = stats.t.interval(0.95, 24, loc=x.mean(), scale=stats.sem(x))
    assert_allclose([mean - half, mean + half], [lo, hi], rtol=1e-12)


def test_sign_agreement():
    assert sign_agreement(np.array([1.0, -1, 2]), np.array([3.0, -1, -5])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="reference"):
        sign_agreement(np.ones(3), np.zeros(3))


def test_deleting_representer_proponents_lowers_predictions():
    data = _data(4, n=100, d=150)
    lam = 0.04
    res = l1_representers(data.X, data.y, lam, data.X_test)
    pro = deletion_changes(data.X, data.y, lam, data.X_test, res.values, theta=res.theta,
                           fractions=(0.03,), direction="proponents")
    opp = deletion_changes(data.X, data.y, lam, data.X_test, res.values, theta=res.theta,
                           fractions=(0.03,), direction="opponents")
    assert pro.mean() < 0 < opp.mean()


def test_bad_input_raises_clear_errors():
    data = _data(0, n=20, d=10)
    theta = solve_l1(data.X, data.y, 0.05).theta
    with pytest.raises(ValueError, match="fractions"):
        deletion_changes(data.X, data.y, 0.05, data.X_test, np.zeros((6, 20)), fractions=(0.05, 0.01))
    with pytest.raises(ValueError, match="direction"):
        deletion_changes(data.X, data.y, 0.05, data.X_test, np.zeros((6, 20)), direction="both")
    with pytest.raises(ValueError, match="values"):
        deletion_changes(data.X, data.y, 0.05, data.X_test, np.zeros((6, 19)))
    with pytest.raises(ValueError, match="damping"):
        influence_values(data.X, data.y, theta, 0.05, data.X_test, damping=-1.0)
    with pytest.raises(ValueError, match="penalty"):
        influence_values(data.X, data.y, theta, 0.05, data.X_test, penalty="l3")
    with pytest.raises(ValueError, match="y: expected labels"):
        loo_values(data.X, np.abs(data.y) * 2, 0.05, data.X_test)


def test_mc_deletion_changes_checks_input_and_moves_predictions():
    from analysis.representers import (
        hold_out_ratings,
        make_lowrank_ratings,
        mc_deletion_changes,
        solve_nuclear,
    )
    from analysis.representers.nuclear import nuclear_representers

    ratings, _ = make_lowrank_ratings((30, 40), n_ratings=400, rank=3, min_per_user=8, rng=0)
    train, test = hold_out_ratings(ratings, 4, rng=0)
    args = (train.rows, train.cols, train.values, train.shape, 0.004)
    sol = solve_nuclear(*args, tol=1e-9)
    res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
    pro = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, fractions=(0.1,))
    opp = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, fractions=(0.1,),
                              direction="opponents")
    assert pro.shape == (4, 1) and pro.mean() < 0 < opp.mean()
    with pytest.raises(ValueError, match="explainer_values"):
        mc_deletion_changes(*args, sol, test.rows, test.cols, res.values[:, :-1])
    with pytest.raises(ValueError, match="query_rows"):
        mc_deletion_changes(*args, sol, test.rows + 100, test.cols, res.values)

"""The l1 solver on scipy.sparse designs: same optimum as the dense solve and as liblinear.

liblinear (scikit-learn's ``LogisticRegression(solver="liblinear", fit_intercept=False)``)
minimises ``||theta||_1 + C sum_i l(theta . x_i, y_i)``; divided by ``C n`` that is our
``(1/n) sum_i l + lam ||theta||_1`` with ``lam = 1 / (C n)``, the same minimiser.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.representers import l1_kkt_residual, solve_l1
from analysis.representers.data import make_sparse_text_logistic
from analysis.representers.roundoff import l1_distance_bound


def _data(seed=0):
    return make_sparse_text_logistic(300, 4000, nnz_per_row=40, n_test=5, n_informative=8, rng=seed)


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_solve_equals_dense_solve(seed):
    data = _data(seed)
    lam = 1.0 / (10.0 * data.X.shape[0])  # C = 10, as for news20 in the published code
    sparse = solve_l1(data.X, data.y, lam)
    dense = solve_l1(data.X.toarray(), data.y, lam)
    assert sp.issparse(data.X) and sparse.polished and dense.polished
    assert np.array_equal(np.flatnonzero(sparse.theta), np.flatnonzero(dense.theta))
    # two KKT points of one support are within sqrt(|S|) (r1 + r2) / mu of each other
    bound = l1_distance_bound(data.X, data.y, dense.theta, "logistic",
                              sparse.kkt_residual + dense.kkt_residual)
    assert np.linalg.norm(sparse.theta - dense.theta) <= bound + 1e-12 * np.abs(dense.theta).max()
    assert l1_kkt_residual(data.X, data.y, sparse.theta, lam) == pytest.approx(
        sparse.kkt_residual, abs=1e-15
    )


def test_sparse_solve_matches_liblinear_with_c_equal_one_over_lambda_n():
    from sklearn.linear_model import LogisticRegression

    data = _data(2)
    n, C = data.X.shape[0], 10.0
    lam = 1.0 / (C * n)
    ours = solve_l1(data.X, data.y, lam)
    with warnings.catch_warnings():
        # scikit-learn >= 1.8 prefers l1_ratio to penalty; liblinear stalls at tol 1e-10 here
        warnings.simplefilter("ignore")
        ref = LogisticRegression(penalty="l1", solver="liblinear", fit_intercept=False, C=C,
                                 tol=1e-9, max_iter=100_000).fit(data.X, data.y)
    theta_ref = ref.coef_.ravel()
    kkt_ref = l1_kkt_residual(data.X, data.y, theta_ref, lam)
    assert np.array_equal(np.flatnonzero(ours.theta), np.flatnonzero(theta_ref))
    bound = l1_distance_bound(data.X, data.y, ours.theta, "logistic", ours.kkt_residual + kkt_ref)
    assert np.linalg.norm(ours.theta - theta_ref) <= bound


def test_sparse_bad_input_is_refused_and_left_unchanged():
    data = _data(3)
    X = data.X.tocoo()
    X = sp.coo_matrix((np.r_[X.data, 1.0], (np.r_[X.row, 0], np.r_[X.col, X.col[0]])),
                      shape=X.shape)  # a duplicated entry: summed on a copy, not in X
    before = X.data.copy()
    solve_l1(X, data.y, 1e-2)
    assert np.array_equal(X.data, before) and X.nnz == before.size
    bad = data.X.copy()
    bad.data[5] = np.nan
    with pytest.raises(ValueError, match="X: expected finite entries, got 1 stored NaN"):
        solve_l1(bad, data.y, 1e-3)
    with pytest.raises(ValueError, match="X: expected real entries"):
        solve_l1(data.X.astype(complex), data.y, 1e-3)


def test_l1_representers_of_a_sparse_design_equal_the_dense_ones():
    from analysis.representers import l1_representers

    data = _data(4)
    lam = 1.0 / data.X.shape[0]  # C = 1
    theta = solve_l1(data.X, data.y, lam).theta
    sparse = l1_representers(data.X, data.y, lam, data.X_test, theta=theta)
    dense = l1_representers(data.X.toarray(), data.y, lam, data.X_test.toarray(), theta=theta)
    # the same products on the same support, summed in other orders: a few ulps of the terms
    scale = np.abs(dense.values).max()
    np.testing.assert_allclose(sparse.values, dense.values, rtol=0, atol=64 * np.finfo(float).eps * scale)
    np.testing.assert_allclose(sparse.explain(data.X_test), dense.values, rtol=0,
                               atol=64 * np.finfo(float).eps * scale)
    # the identity itself is tested on dense designs; here the sums agree to n times that
    n = data.X.shape[0]
    np.testing.assert_allclose(sparse.reconstruction, dense.reconstruction, rtol=0,
                               atol=64 * np.finfo(float).eps * scale * n)

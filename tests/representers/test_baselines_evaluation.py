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
    random_values,
    sign_agreement,
    solve_l1,
    solve_l2,
    tracin_values,
)
from analysis.representers.evaluation import deletion_order, mean_ci, n_deleted
from analysis.representers.roundoff import gamma, gradient_floor

# Tolerances: the refits' stated KKT tolerance (1e-11, gradient units) or round-off floor times
# the conditioning 1/mu, and gamma_N round-off of the closed forms (analysis.representers.roundoff).


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
    # each refit and the full fit are KKT-certified to 1e-11 on the same support: their theta
    # differ from the exact ones by <= sqrt(|S|) 1e-11 / mu (mu: smallest curvature on the
    # support, lowered by one deleted row), so each prediction by ||x_tS||_2 times that; the
    # closed form errs by ~cond(H) gamma_{n+|S|} relative
    n = X.shape[0]
    mu = np.linalg.eigvalsh(H)[0] - np.max(np.sum(X[:, S] ** 2, axis=1)) / n
    x_norm = np.linalg.norm(data.X_test[:, S], axis=1)[:, None]
    closed = infl / (1 - lev)[None, :]
    tol = 2 * x_norm * np.sqrt(S.size) * 2e-11 / mu
    tol = tol + np.linalg.cond(H) * gamma(n + S.size) * np.abs(closed) * 10
    assert np.all(np.abs(loo - closed)[:, same_support] <= tol)


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
    # the refits run to the gradient's round-off floor g; H >= 2 lam I, so theta errs by
    # sqrt(d) g / (2 lam) and each prediction by ||x_t||_2 times that (twice: full and refit);
    # the closed form errs by ~cond(H) gamma_{n+d} relative
    g = gradient_floor(data.X, y, theta, "squared") + 1e-16 * lam * np.abs(theta).max()
    x_norm = np.linalg.norm(data.X_test, axis=1)[:, None]
    closed = infl / (1 - lev)[None, :]
    tol = 2 * x_norm * np.sqrt(20) * g / (2 * lam)
    tol = tol + np.linalg.cond(H) * gamma(60 + 20) * np.abs(closed) * 10
    assert np.all(np.abs(loo - closed) <= tol)


def test_tracin_at_one_checkpoint_is_the_l2_style_kernel():
    data = _data(3)
    lam = 0.04
    theta = solve_l1(data.X, data.y, lam).theta
    tr = tracin_values(data.X, data.y, data.X_test, theta[None, :], 1.0 / lam)
    # the same products in another order: gamma_{d+4} of their absolute values
    from analysis.representers.losses import loss_derivative

    n = data.X.shape[0]
    mag = (np.abs(data.X_test) @ np.abs(data.X).T) * np.abs(
        loss_derivative(data.X @ theta, data.y, "logistic")
    ) / (lam * n)
    ref = l2_style_values(data.X, data.y, theta, lam, data.X_test)
    assert np.all(np.abs(tr - ref) <= gamma(data.X.shape[1] + 4) * mag)


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
    # two evaluations of mean +- t * sem: round-off gamma_{2N} of |x|-sums plus a few ulps of the
    # t quantile (scipy's ppf is accurate to ~1e-15 relative)
    tol = gamma(50) * (np.abs(x).mean() + half) + 1e-14 * half
    assert np.all(np.abs(np.array([mean - half, mean + half]) - [lo, hi]) <= tol)


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


def _nuclear_case(rng, n_test):
    """Low-rank 30 x 40 ratings, ``n_test`` held out, the nuclear fit and its representers."""
    from analysis.representers import hold_out_ratings, make_lowrank_ratings, solve_nuclear
    from analysis.representers.nuclear import nuclear_representers

    ratings, _ = make_lowrank_ratings((30, 40), n_ratings=400, rank=3, min_per_user=8, rng=rng)
    train, test = hold_out_ratings(ratings, n_test, rng=rng)
    args = (train.rows, train.cols, train.values, train.shape, 0.004)
    sol = solve_nuclear(*args, tol=1e-9)
    res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
    return args, sol, test, res


def test_mc_deletion_changes_checks_input_and_moves_predictions():
    from analysis.representers import mc_deletion_changes

    args, sol, test, res = _nuclear_case(0, 4)
    pro = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, fractions=(0.1,))
    opp = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, fractions=(0.1,),
                              direction="opponents")
    assert pro.shape == (4, 1) and pro.mean() < 0 < opp.mean()
    with pytest.raises(ValueError, match="explainer_values"):
        mc_deletion_changes(*args, sol, test.rows, test.cols, res.values[:, :-1])
    with pytest.raises(ValueError, match="query_rows"):
        mc_deletion_changes(*args, sol, test.rows + 100, test.cols, res.values)


def test_mc_deletion_cache_resumes_with_the_same_numbers(tmp_path, monkeypatch):
    import analysis.representers.evaluation as evaluation
    from analysis._core.result_cache import ResultCache
    from analysis.representers import mc_deletion_changes

    args, sol, test, res = _nuclear_case(2, 3)
    call = (*args, sol, test.rows, test.cols, res.values)
    plain = mc_deletion_changes(*call, fractions=(0.05, 0.1))
    cache = ResultCache(tmp_path)
    real, seen = evaluation._mc_refits, []

    def interrupted(*a):
        seen.append(a[3:5])
        if len(seen) > 1:
            raise KeyboardInterrupt
        return real(*a)

    monkeypatch.setattr(evaluation, "_mc_refits", interrupted)
    with pytest.raises(KeyboardInterrupt):
        mc_deletion_changes(*call, fractions=(0.05, 0.1), cache=cache)
    assert len(cache) == 1  # the first query's refits were stored as they finished
    seen.clear()
    monkeypatch.setattr(evaluation, "_mc_refits", lambda *a: (seen.append(a[3:5]), real(*a))[1])
    resumed = mc_deletion_changes(*call, fractions=(0.05, 0.1), cache=cache, progress=True)
    assert len(seen) == 2 and len(cache) == 3
    np.testing.assert_array_equal(resumed, plain)
    seen.clear()
    np.testing.assert_array_equal(mc_deletion_changes(*call, fractions=(0.05, 0.1), cache=cache),
                                  plain)
    assert not seen
    with pytest.raises(ValueError, match="cache"):
        mc_deletion_changes(*call, cache=str(tmp_path))


def test_observed_entries_csr_is_scipys_coo_matrix():
    import scipy.sparse as sp

    from analysis.representers import make_lowrank_ratings
    from analysis.representers.nuclear import observed_entries

    r, _ = make_lowrank_ratings((30, 40), n_ratings=400, rank=3, min_per_user=8, rng=1)
    obs = observed_entries(r.rows, r.cols, r.values, r.shape)
    data = np.random.default_rng(0).standard_normal(r.n)
    ours = obs.csr(data[obs.order])
    ref = sp.csr_matrix((data, (r.rows, r.cols)), shape=r.shape)
    # the same structure and the same numbers, bit for bit
    assert np.array_equal(ours.indptr, ref.indptr) and np.array_equal(ours.indices, ref.indices)
    assert np.array_equal(ours.data, ref.data)
    with pytest.raises(ValueError, match="rows"):
        observed_entries(r.rows + 100, r.cols, r.values, r.shape)


def test_mc_deletion_changes_reuses_one_index_and_matches_public_refits():
    """The shared-index refits equal refits through the public solver (validating each time),
    on the truncated-SVD path (shape above DENSE_LIMIT)."""
    from analysis.representers import hold_out_ratings, make_lowrank_ratings, mc_deletion_changes
    from analysis.representers.evaluation import deletion_order, n_deleted
    from analysis.representers.nuclear import (
        DENSE_LIMIT,
        nuclear_representers,
        solve_nuclear,
    )

    shape = (150, 300)
    assert shape[0] * shape[1] > DENSE_LIMIT
    ratings, _ = make_lowrank_ratings(shape, n_ratings=3000, rank=3, min_per_user=8, rng=2)
    train, test = hold_out_ratings(ratings, 2, rng=2)
    args = (train.rows, train.cols, train.values, train.shape, 0.002)
    sol = solve_nuclear(*args, tol=1e-9)
    res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
    fr = (0.05, 0.2)
    ours = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, fractions=fr, tol=1e-8)
    for q in range(2):
        cand = np.flatnonzero((train.rows == test.rows[q]) | (train.cols == test.cols[q]))
        order = cand[deletion_order(res.values[q, cand], "proponents")]
        for j, p in enumerate(fr):
            w = np.ones(train.n)
            w[order[: n_deleted(cand.size, p)]] = 0.0
            refit = solve_nuclear(*args, sample_weight=w, warm_start=sol, tol=1e-8, check_every=2)
            ref = refit.entries(test.rows[q : q + 1], test.cols[q : q + 1])[0] - sol.entries(
                test.rows[q : q + 1], test.cols[q : q + 1]
            )[0]
            # the same computation on the same entries: identical numbers
            assert ours[q, j] == ref
    with pytest.raises(ValueError, match="jobs"):
        mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, jobs=0)


@pytest.mark.slow
def test_mc_deletion_changes_in_two_workers_equals_serial():
    """run_many's workers use one BLAS thread; with one here too, the numbers are the same bits
    (starting the two workers is most of this test's ~15 s)."""
    from threadpoolctl import threadpool_limits

    from analysis.representers import hold_out_ratings, make_lowrank_ratings, mc_deletion_changes
    from analysis.representers.nuclear import nuclear_representers, solve_nuclear

    ratings, _ = make_lowrank_ratings((150, 300), n_ratings=3000, rank=3, min_per_user=8, rng=2)
    train, test = hold_out_ratings(ratings, 2, rng=2)
    args = (train.rows, train.cols, train.values, train.shape, 0.002)
    with threadpool_limits(1):
        sol = solve_nuclear(*args, tol=1e-9)
        res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
        kw = {"fractions": (0.05, 0.2), "tol": 1e-8}
        one = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, **kw)
    two = mc_deletion_changes(*args, sol, test.rows, test.cols, res.values, jobs=2, **kw)
    assert np.array_equal(two, one)


def test_item_and_user_parts_split_the_values_and_restrict_deletion():
    from analysis.representers import hold_out_ratings, make_lowrank_ratings, mc_deletion_changes
    from analysis.representers.nuclear import nuclear_representers, solve_nuclear

    ratings, _ = make_lowrank_ratings((30, 40), n_ratings=400, rank=3, min_per_user=8, rng=3)
    train, test = hold_out_ratings(ratings, 4, rng=3)
    args = (train.rows, train.cols, train.values, train.shape, 0.004)
    sol = solve_nuclear(*args, tol=1e-10)
    res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
    item, user = res.parts()
    # the parts add up to the values (same products, one addition: one ulp each)
    np.testing.assert_allclose(item + user, res.values, rtol=0, atol=4 * np.finfo(float).eps
                               * np.abs(res.values).max())
    assert np.all(item[~res.same_user] == 0) and np.all(user[~res.same_item] == 0)
    # a pool restricted to the same user deletes only that user's ratings: deleting by the item
    # part from the 'same user' pool equals deleting by any values that order that pool alike
    kw = {"fractions": (0.1, 0.3), "candidates": "same user"}
    a = mc_deletion_changes(*args, sol, test.rows, test.cols, item, **kw)
    b = mc_deletion_changes(*args, sol, test.rows, test.cols, item + 1e3 * res.same_item, **kw)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="candidates"):
        mc_deletion_changes(*args, sol, test.rows, test.cols, item, candidates="same row")

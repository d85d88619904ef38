"""Matrix factorisation (the published CF model) and its representer identity."""

import numpy as np
import pytest

from analysis.representers import (
    counts_auc,
    deletion_auc,
    make_lowrank_ratings,
    mf_deletion_changes,
    mf_gradient,
    mf_representers,
    normalised_embeddings,
    solve_mf,
    solve_nuclear,
)
from analysis.representers.mf import mf_representer_parts
from analysis.representers.roundoff import nuclear_identity_tolerance, nuclear_kkt_floor


def _instance(seed, shape=(12, 14), lam=0.01):
    ratings, _ = make_lowrank_ratings(shape, n_ratings=80, rank=3, min_per_user=4, rng=seed)
    return ratings.rows, ratings.cols, ratings.values, ratings.shape, lam


def _allowance(sol, rows, cols, values, lam, qr, qc):
    """The claim's error model: nuclear_identity_tolerance at the factors' own KKT level."""
    P, Q = sol.P, sol.Q
    gP, gQ = mf_gradient(P, Q, rows, cols, values, lam)
    level = max(np.abs(gP).max(), np.abs(gQ).max()) / lam
    floor = nuclear_kkt_floor(P, np.ones(P.shape[1]), Q, rows, cols, values, lam)
    return nuclear_identity_tolerance(P, np.ones(P.shape[1]), Q, rows, cols, values, lam, qr, qc,
                                      max(level, 2 * floor))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 2, 6])
def test_each_half_is_half_the_prediction_at_a_stationary_point(seed, k):
    rows, cols, values, shape, lam = _instance(seed)
    sol = solve_mf(rows, cols, values, shape, lam, rank=k, tol=1e-13, max_iter=50_000)
    assert sol.converged
    qr, qc = np.array([0, 3, 5]), np.array([1, 2, 7])
    res = mf_representers(rows, cols, values, shape, lam, qr, qc, solution=sol)
    allowed = _allowance(sol, rows, cols, values, lam, qr, qc)
    assert np.all(np.abs(res.item_residual) <= allowed)
    assert np.all(np.abs(res.user_residual) <= allowed)
    # balanced factors: P^T P = Q^T Q (to the stationarity residual's effect)
    np.testing.assert_allclose(sol.P.T @ sol.P, sol.Q.T @ sol.Q, rtol=0,
                               atol=1e-9 * np.abs(sol.P.T @ sol.P).max())


def test_the_residual_is_exactly_the_stationarity_term_off_the_optimum():
    # an unconverged model (3 sweeps): the identity fails, by exactly <(P - AQ)_u, Q_v> / 2
    rows, cols, values, shape, lam = _instance(0)
    sol = solve_mf(rows, cols, values, shape, lam, rank=3, max_iter=3)
    assert not sol.converged
    qr, qc = np.array([0, 3, 5]), np.array([1, 2, 7])
    res = mf_representers(rows, cols, values, shape, lam, qr, qc, solution=sol)
    tight = _allowance(solve_mf(rows, cols, values, shape, lam, rank=3, tol=1e-13,
                                max_iter=50_000), rows, cols, values, lam, qr, qc)
    assert np.abs(res.item_residual).max() > 100 * tight.max()  # the broken variant fails
    scale = np.abs(res.predictions).max()
    np.testing.assert_allclose(np.abs(res.item_residual), res.item_bound, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(np.abs(res.user_residual), res.user_bound, rtol=0, atol=1e-12 * scale)


def test_raw_unbalanced_factors_break_the_identity_and_normalisation_repairs_it():
    rows, cols, values, shape, lam = _instance(1)
    sol = solve_mf(rows, cols, values, shape, lam, rank=3, tol=1e-13, max_iter=50_000)
    qr, qc = np.array([0, 3]), np.array([1, 2])
    res = mf_representers(rows, cols, values, shape, lam, qr, qc, solution=sol)
    P2, Q2 = 2.0 * sol.P, 0.5 * sol.Q
    item, user = mf_representer_parts(P2, Q2, rows, cols, res.alpha, qr, qc)
    np.testing.assert_allclose(item.sum(1), res.predictions / 8, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(user.sum(1), 2 * res.predictions, rtol=1e-9, atol=1e-12)
    Ut, Vt = normalised_embeddings(P2, Q2)
    item, user = mf_representer_parts(Ut, Vt, rows, cols, res.alpha, qr, qc)
    allowed = _allowance(sol, rows, cols, values, lam, qr, qc)
    assert np.all(np.abs(item.sum(1) - res.predictions / 2) <= allowed)
    assert np.all(np.abs(user.sum(1) - res.predictions / 2) <= allowed)


def test_unsaturated_rank_gives_the_nuclear_norm_optimum_and_saturated_rank_does_not():
    rows, cols, values, shape, lam = _instance(2)
    nuc = solve_nuclear(rows, cols, values, shape, lam, tol=1e-12)
    assert 2 <= nuc.rank < 8
    qr, qc = np.array([0]), np.array([1])
    big = mf_representers(rows, cols, values, shape, lam, qr, qc, rank=nuc.rank + 2, tol=1e-13,
                          max_iter=50_000)
    # global optimum of the convex problem: the third KKT condition ||A||_2 <= 1 holds
    assert big.spectral_norm <= 1 + 1e-8
    np.testing.assert_allclose(big.solution.theta, nuc.theta, rtol=0, atol=1e-7)
    small = mf_representers(rows, cols, values, shape, lam, qr, qc, rank=nuc.rank - 1, tol=1e-13,
                            max_iter=50_000)
    assert small.spectral_norm > 1 + 1e-3  # not the nuclear optimum ...
    assert small.solution.objective > nuc.objective + 1e-9
    # ... but its representer identity still holds
    allowed = _allowance(small.solution, rows, cols, values, lam, qr, qc)
    assert np.all(np.abs(small.item_residual) <= allowed)


def test_same_seed_same_numbers_and_warm_start_matches_cold_refit():
    rows, cols, values, shape, lam = _instance(3)
    a = solve_mf(rows, cols, values, shape, lam, rank=4, seed=5, tol=1e-12, max_iter=50_000)
    b = solve_mf(rows, cols, values, shape, lam, rank=4, seed=5, tol=1e-12, max_iter=50_000)
    assert np.array_equal(a.P, b.P) and np.array_equal(a.Q, b.Q)
    w = np.ones(rows.size)
    w[:3] = 0.0
    warm = solve_mf(rows, cols, values, shape, lam, rank=4, sample_weight=w, init=(a.P, a.Q),
                    tol=1e-12, max_iter=50_000)
    cold = solve_mf(rows[3:], cols[3:], values[3:], shape, lam * rows.size / (rows.size - 3),
                    rank=4, init=(a.P, a.Q), tol=1e-12, max_iter=50_000)
    # weight 0 with the same n is (n'/n) x the objective without the rows at lam n / n'
    np.testing.assert_allclose(warm.theta, cold.theta, rtol=0, atol=1e-8)


def test_deletion_changes_stay_on_the_rating_scale_and_proponents_lower_the_prediction():
    rows, cols, values, shape, lam = _instance(4)
    qr, qc = np.array([0, 3, 5]), np.array([1, 2, 7])
    res = mf_representers(rows, cols, values, shape, lam, qr, qc, rank=3, tol=1e-12,
                          max_iter=50_000)
    counts = (1, 2, 3)
    ch = mf_deletion_changes(rows, cols, values, shape, lam, res.solution, qr, qc, res.values,
                             counts=counts, tol=1e-10)
    base = np.clip(res.predictions, -1, 1)
    assert np.all(np.abs(base[:, None] + ch) <= 1.0)
    raw = mf_deletion_changes(rows, cols, values, shape, lam, res.solution, qr, qc, res.values,
                              counts=counts, tol=1e-10, clip=None)
    inside = np.abs(res.predictions) < 0.9
    np.testing.assert_allclose(ch[inside], raw[inside], atol=1e-12)
    assert np.mean(counts_auc(raw, counts)) > 0
    # counts_auc is deletion_auc on the levels c / c_max (the normalisation cancels)
    np.testing.assert_allclose(counts_auc(raw, counts), deletion_auc(raw, (0.1, 0.2, 0.3)))


def test_bad_input_is_refused_by_name():
    rows, cols, values, shape, lam = _instance(0)
    with pytest.raises(ValueError, match="rank"):
        solve_mf(rows, cols, values, shape, lam, rank=0)
    with pytest.raises(ValueError, match="init"):
        solve_mf(rows, cols, values, shape, lam, rank=2, init=(np.zeros((3, 2)), np.zeros((3, 2))))
    with pytest.raises(ValueError, match="sample_weight"):
        solve_mf(rows, cols, values, shape, lam, rank=2, sample_weight=-np.ones(rows.size))
    sol = solve_mf(rows, cols, values, shape, lam, rank=2, max_iter=5)
    with pytest.raises(ValueError, match="counts"):
        mf_deletion_changes(rows, cols, values, shape, lam, sol, [0], [1],
                            np.zeros((1, rows.size)), counts=(3, 2))
    with pytest.raises(ValueError, match="solution"):
        mf_representers(rows, cols, values, shape, lam, [0], [1], solution="fit")


def test_deletion_cache_resumes_an_interrupted_run_with_the_same_numbers(tmp_path, monkeypatch):
    import analysis.representers.mf as mf_module
    from analysis._core.result_cache import ResultCache

    rows, cols, values, shape, lam = _instance(5)
    qr, qc = np.array([0, 3, 5]), np.array([1, 2, 7])
    res = mf_representers(rows, cols, values, shape, lam, qr, qc, rank=3, tol=1e-12,
                          max_iter=50_000)
    args = (rows, cols, values, shape, lam, res.solution, qr, qc, res.values)
    kw = dict(counts=(1, 2), tol=1e-10)
    plain = mf_deletion_changes(*args, **kw)
    cache = ResultCache(tmp_path / "cache")

    # interrupt the run during the second query's refits: the first query's row is stored
    real_als, calls = mf_module._als, []

    def failing_als(*a, **k):
        calls.append(1)
        if len(calls) > 2:  # two refits per query
            raise KeyboardInterrupt
        return real_als(*a, **k)

    monkeypatch.setattr(mf_module, "_als", failing_als)
    with pytest.raises(KeyboardInterrupt):
        mf_deletion_changes(*args, **kw, cache=cache)
    assert len(cache) == 1
    assert not list((tmp_path / "cache").glob("*.tmp")), "a half-written entry was left"

    # the resumed run refits only the two missing queries and gives the uncached numbers
    calls.clear()
    monkeypatch.setattr(mf_module, "_als", lambda *a, **k: (calls.append(1), real_als(*a, **k))[1])
    resumed = mf_deletion_changes(*args, **kw, cache=cache)
    assert len(calls) == 4 and len(cache) == 3
    np.testing.assert_array_equal(resumed, plain)

    # a third run refits nothing; a different setting (lam) is a different key
    calls.clear()
    np.testing.assert_array_equal(mf_deletion_changes(*args, **kw, cache=cache), plain)
    assert not calls
    other = (rows, cols, values, shape, 2 * lam, res.solution, qr, qc, res.values)
    mf_deletion_changes(*other, **kw, cache=cache)
    assert len(calls) == 6 and len(cache) == 6


def test_deletion_cache_argument_is_checked():
    rows, cols, values, shape, lam = _instance(6)
    res = mf_representers(rows, cols, values, shape, lam, [0], [1], rank=3)
    with pytest.raises(ValueError, match="cache"):
        mf_deletion_changes(rows, cols, values, shape, lam, res.solution, [0], [1], res.values,
                            counts=(1,), cache="folder")
    with pytest.raises(ValueError, match="progress"):
        mf_deletion_changes(rows, cols, values, shape, lam, res.solution, [0], [1], res.values,
                            counts=(1,), progress=1)

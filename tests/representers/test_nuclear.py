"""Nuclear-norm matrix completion: soft-impute vs cvxpy, the representer identity, locality, bad input."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import analysis.representers.nuclear as nuclear
from analysis.representers import (
    make_lowrank_ratings,
    nuclear_representers,
    solve_nuclear,
    solve_nuclear_cvxpy,
)
from analysis.representers.nuclear import (
    CLARABEL_SDP_TIGHT,
    _cheap_kkt,
    nuclear_kkt_residual,
    nuclear_objective,
)
from analysis.representers.roundoff import (
    clarabel_gap,
    gamma,
    nuclear_identity_tolerance,
    nuclear_kkt_floor,
    nuclear_suboptimality,
    observed_distance_bound,
)

# Tolerances: the solver's stated KKT tolerance (||AV - U||_max against U's unit columns, so
# relative), round-off models from analysis.representers.roundoff, Clarabel's duality-gap
# tolerance, and F(Theta) - F* >= ||P_Omega(Theta - Theta*)||^2 / (2n) for distances on Omega
# (off Omega the optimum need not be unique).


def _identity_allowed(res, rows, cols, values, lam, qr, qc, tol):
    sol = res.solution
    floor = nuclear_kkt_floor(sol.U, sol.s, sol.V, rows, cols, values, lam)
    return nuclear_identity_tolerance(
        sol.U, sol.s, sol.V, rows, cols, values, lam, qr, qc, max(tol, 2 * floor)
    )


def _sdp_gap(ref):
    return 4 * clarabel_gap(CLARABEL_SDP_TIGHT, ref) + gamma(200) * ref


def _instance(seed, m=14, k=11, r=2, density=0.5):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((m, r)) @ rng.standard_normal((r, k)) / np.sqrt(r)
    mask = rng.random((m, k)) < density
    mask[np.arange(m), rng.integers(0, k, m)] = True
    rows, cols = np.nonzero(mask)
    values = np.clip(0.5 * scores[rows, cols] + 0.2 * rng.standard_normal(rows.size), -1, 1)
    free = np.argwhere(~mask)
    return rows, cols, values, (m, k), free[:5, 0], free[:5, 1]


def test_soft_impute_matches_cvxpy(seed):
    rows, cols, values, shape, _, _ = _instance(seed)
    lam = 0.006
    fast = solve_nuclear(rows, cols, values, shape, lam, tol=1e-12)
    theta, ref = solve_nuclear_cvxpy(rows, cols, values, shape, lam, **CLARABEL_SDP_TIGHT)
    ours = nuclear_objective(fast.theta, rows, cols, values, lam)
    gap = _sdp_gap(ref)
    assert abs(ours - ref) <= gap
    assert ours <= ref + gap
    dist = observed_distance_bound(rows.size, gap + nuclear_suboptimality(fast, lam))
    assert np.linalg.norm(fast.entries(rows, cols) - theta[rows, cols]) <= dist
    assert fast.kkt_residual <= 1e-12  # the tolerance it was called with


def test_decomposition_sums_to_prediction_and_is_local(seed):
    rows, cols, values, shape, qr, qc = _instance(seed)
    res = nuclear_representers(rows, cols, values, shape, 0.006, qr, qc, tol=1e-13)
    assert res.values.shape == (qr.size, rows.size)
    allowed = _identity_allowed(res, rows, cols, values, 0.006, qr, qc, 1e-13)
    assert np.all(np.abs(res.reconstruction - res.predictions) <= allowed)
    assert res.identity_residual < 1e-8  # the spec's acceptance level, far above `allowed`
    outside = ~(res.same_user | res.same_item)
    assert np.all(res.values[outside] == 0)
    # the user half and the item half each reconstruct Theta_uv (Theta = A V S V^T = U S U^T A);
    # each half carries one of the two KKT parts, so twice a half errs by at most 2x `allowed`
    user_half = np.where(res.same_user, res.values, 0).sum(axis=1)
    item_half = np.where(res.same_item, res.values, 0).sum(axis=1)
    assert np.all(np.abs(2 * user_half - res.predictions) <= 2 * allowed)
    assert np.all(np.abs(2 * item_half - res.predictions) <= 2 * allowed)


def test_identity_residual_tracks_kkt_on_loose_solves():
    rows, cols, values, shape, qr, qc = _instance(7)
    loose = solve_nuclear(rows, cols, values, shape, 0.006, max_iter=3, check_every=1)
    tight = solve_nuclear(rows, cols, values, shape, 0.006, tol=1e-13)
    r_loose = nuclear_representers(rows, cols, values, shape, 0.006, qr, qc, solution=loose)
    r_tight = nuclear_representers(rows, cols, values, shape, 0.006, qr, qc, solution=tight)
    a_loose = _identity_allowed(r_loose, rows, cols, values, 0.006, qr, qc, 1e-13)
    a_tight = _identity_allowed(r_tight, rows, cols, values, 0.006, qr, qc, 1e-13)
    # loose: far outside what a tight solve allows; tight: within it
    assert r_loose.kkt_residual > 1e3 * 1e-13 and r_loose.identity_residual > 1e3 * a_loose.max()
    assert r_tight.kkt_residual <= 1e-13
    assert np.all(np.abs(r_tight.reconstruction - r_tight.predictions) <= a_tight)


def test_truncated_svd_path_matches_dense_path(monkeypatch):
    rows, cols, values, shape, _, _ = _instance(3, m=40, k=50, r=3, density=0.3)
    dense = solve_nuclear(rows, cols, values, shape, 0.003, tol=1e-11)
    monkeypatch.setattr(nuclear, "DENSE_LIMIT", 10)
    sparse = solve_nuclear(rows, cols, values, shape, 0.003, tol=1e-11)
    assert sparse.rank == dense.rank
    # both stop on the cheap KKT parts <= 1e-11 (the spectral part is only checked after)
    for sol in (dense, sparse):
        cheap = _cheap_kkt(sol.U, sol.V, sol.entries(rows, cols), rows, cols, values,
                           np.ones(rows.size), 0.003, rows.size, (40, 50))
        assert cheap <= 1e-11
    sub = nuclear_suboptimality(dense, 0.003) + nuclear_suboptimality(sparse, 0.003)
    diff = np.linalg.norm(sparse.entries(rows, cols) - dense.entries(rows, cols))
    assert diff <= observed_distance_bound(rows.size, sub)


def test_warm_start_and_zero_weights():
    rows, cols, values, shape, _, _ = _instance(4)
    full = solve_nuclear(rows, cols, values, shape, 0.006, tol=1e-12)
    w = np.ones(rows.size)
    w[:3] = 0
    refit = solve_nuclear(rows, cols, values, shape, 0.006, sample_weight=w, warm_start=full, tol=1e-12)
    n = rows.size
    # dropping 3 terms but keeping 1/n == solving on the rest with lambda * n / (n - 3)
    direct = solve_nuclear(rows[3:], cols[3:], values[3:], shape, 0.006 * n / (n - 3), tol=1e-12)
    # the two objectives agree up to the factor (n-3)/n, so compare on the kept entries
    sub = nuclear_suboptimality(refit, 0.006) + nuclear_suboptimality(direct, 0.006 * n / (n - 3))
    diff = np.linalg.norm(refit.entries(rows[3:], cols[3:]) - direct.entries(rows[3:], cols[3:]))
    assert diff <= observed_distance_bound(n, sub)


def test_bad_input_raises_clear_errors():
    rows, cols, values, shape, qr, qc = _instance(0)
    with pytest.raises(ValueError, match=r"rows: expected indices in 0..13"):
        nuclear_representers(rows + 1, cols, values, shape, 0.01, qr, qc)
    with pytest.raises(ValueError, match=r"query_cols: expected indices in 0..10"):
        nuclear_representers(rows, cols, values, shape, 0.01, qr, qc + 20)
    with pytest.raises(ValueError, match="lam"):
        nuclear_representers(rows, cols, values, shape, 0.0, qr, qc)
    bad = values.copy()
    bad[0] = np.nan
    with pytest.raises(ValueError, match="values: expected finite"):
        solve_nuclear(rows, cols, bad, shape, 0.01)
    with pytest.raises(ValueError, match="values: expected"):
        solve_nuclear(rows, cols, values[:-1], shape, 0.01)
    with pytest.raises(ValueError, match="duplicates"):
        solve_nuclear(np.r_[rows, rows[0]], np.r_[cols, cols[0]], np.r_[values, 0.0], shape, 0.01)
    with pytest.raises(ValueError, match="rows: expected integer"):
        solve_nuclear(rows + 0.5, cols, values, shape, 0.01)
    with pytest.raises(ValueError, match="shape"):
        solve_nuclear(rows, cols, values, (14,), 0.01)


def test_explain_one_query_matches_the_full_values():
    rows, cols, values, shape, qr, qc = _instance(2)
    res = nuclear_representers(rows, cols, values, shape, 0.006, qr, qc, tol=1e-12)
    entries, vals = res.explain(int(qr[0]), int(qc[0]))
    full = res.values[0]
    # the same terms, computed in a different order: gamma_{r+2} of their absolute values
    sol = res.solution
    root = np.sqrt(sol.s)
    r, c = rows[entries], cols[entries]
    mag = 0.5 * np.abs(res.alpha[entries]) * (
        (np.abs(sol.V[c]) * root) @ (np.abs(sol.V[qc[0]]) * root)
        + (np.abs(sol.U[r]) * root) @ (np.abs(sol.U[qr[0]]) * root)
    )
    assert np.all(np.abs(vals - full[entries]) <= gamma(sol.rank + 2) * mag)
    assert np.all(np.delete(full, entries) == 0)
    with pytest.raises(ValueError, match="user"):
        res.explain(99, 0)


def _ill_conditioned(seed):
    # the benchmark's 12 x 10 family: 48 ratings, fewer than the r (m + k - r) = 85 degrees of
    # freedom of the rank-5 optimum, so the loss is flat along most of the fixed-rank manifold and
    # plain soft-impute needs 700-5000 iterations (seed 5 stops at max_iter above tol 1e-9)
    ratings, _ = make_lowrank_ratings((12, 10), n_ratings=48, rank=3, min_per_user=3, rng=seed)
    return ratings.rows, ratings.cols, ratings.values, ratings.shape, 0.005


@pytest.mark.parametrize("seed", [0, 3, 4, 5])
def test_newton_polish_matches_cvxpy_on_ill_conditioned_instances(seed):
    rows, cols, values, shape, lam = _ill_conditioned(seed)
    sol = solve_nuclear(rows, cols, values, shape, lam, tol=1e-12)
    assert sol.n_newton > 0 and sol.n_iter <= 200  # the polish did the work
    # the certificate, recomputed outside the solver: A V = U, A^T U = V, ||P A P||_2 <= 1
    assert nuclear_kkt_residual(sol.U, sol.s, sol.V, rows, cols, values, lam) <= 1e-12
    assert sol.kkt_residual <= 1e-12
    theta, ref = solve_nuclear_cvxpy(rows, cols, values, shape, lam, **CLARABEL_SDP_TIGHT)
    ours = nuclear_objective(sol.theta, rows, cols, values, lam)
    gap = _sdp_gap(ref)
    assert abs(ours - ref) <= gap
    assert ours <= ref + gap
    # the loss is strictly convex in the observed entries, so every optimum fits them (and gives
    # alpha) alike; off Omega the optimum need not be unique (seed 4: cvxpy's rank-6 point is 0.2
    # away from ours, with the same objective to 2e-11)
    dist = observed_distance_bound(rows.size, gap + nuclear_suboptimality(sol, lam))
    assert np.linalg.norm(sol.entries(rows, cols) - theta[rows, cols]) <= dist


@pytest.mark.parametrize("seed", [2, 4])
def test_newton_polish_and_plain_soft_impute_reach_the_same_optimum(seed):
    rows, cols, values, shape, lam = _ill_conditioned(seed)
    polished = solve_nuclear(rows, cols, values, shape, lam, tol=1e-12)
    plain = solve_nuclear(rows, cols, values, shape, lam, tol=1e-12, newton=False)
    assert plain.n_newton == 0 and plain.kkt_residual <= 1e-12 and plain.n_iter > 500
    sub = nuclear_suboptimality(polished, lam) + nuclear_suboptimality(plain, lam)
    assert abs(polished.objective - plain.objective) <= sub
    diff = np.linalg.norm(polished.entries(rows, cols) - plain.entries(rows, cols))
    assert diff <= observed_distance_bound(rows.size, sub)


def test_uncertified_polish_is_discarded():
    # tol below round-off: every polish fails its certificate, so the soft-impute iterates and the
    # answer are exactly those of plain soft-impute
    rows, cols, values, shape, lam = _ill_conditioned(0)
    strict = solve_nuclear(rows, cols, values, shape, lam, tol=1e-18, max_iter=300)
    plain = solve_nuclear(rows, cols, values, shape, lam, tol=1e-18, max_iter=300, newton=False)
    assert strict.n_newton == 0 and strict.n_iter == 300
    assert_array_equal(strict.theta, plain.theta)
    with pytest.raises(ValueError, match="newton"):
        solve_nuclear(rows, cols, values, shape, lam, newton="yes")

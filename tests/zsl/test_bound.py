"""Tests of the worst-case lower bound: the LP, its dual, the methods, tightness, invariances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis._core.solve import SolverError
from analysis.zsl import bound as zb
from analysis.zsl import closed_forms as cf
from analysis.zsl.data import all_attribute_vectors, awa_like_matrix

LP_TOL = 1e-7  # HiGHS run with 1e-10 feasibility tolerances; methods must agree to 1e-7


def _random_matrix(seed, k, n):
    return np.random.default_rng(seed).random((k, n))


def test_all_methods_agree_on_Q(seed):
    M = awa_like_matrix(5, 7, seed=seed)
    values = {m: zb.worst_case_lower_bound(M, m).Q for m in zb.METHODS}
    ref = values["full"]
    for m, q in values.items():
        assert abs(q - ref) <= LP_TOL, (m, q, ref)


def test_full_lp_matches_an_independent_cvxpy_formulation():
    import cvxpy as cp

    from analysis._core.solve import solve_problem

    M = _random_matrix(3, 3, 4)
    k, n = M.shape
    V = all_attribute_vectors(n).astype(float)
    P = cp.Variable((k, V.shape[0]), nonneg=True)
    cons = [cp.sum(P, axis=1) == 1 / k, P @ V == M / k]
    value = solve_problem(cp.Problem(cp.Minimize(cp.sum(cp.max(P, axis=0))), cons), "CLARABEL",
                          what="Q reference")
    assert abs(zb.worst_case_lower_bound(M, "full").Q - value) <= 1e-7


def test_primal_equals_dual_and_dual_is_feasible(seed):
    M = _random_matrix(seed, 4, 6)
    r = zb.worst_case_lower_bound(M, "colgen-bruteforce")
    assert r.exact
    assert abs(r.primal_value - r.dual_value) <= LP_TOL
    rho = zb.pricing_values(r.randomized_map.a, r.randomized_map.b, all_attribute_vectors(6).astype(float))
    assert rho.max() <= 1 + 1e-8
    assert abs(r.upper - r.lower) <= 1e-8


def test_adversary_is_consistent_and_attains_Q(seed):
    M = _random_matrix(seed + 10, 4, 5)
    r = zb.worst_case_lower_bound(M, "colgen-subsets")
    P = r.adversary
    assert P.probabilities.min() >= 0
    assert_allclose(P.probabilities.sum(axis=1), 1 / 4, atol=1e-9)
    assert_allclose(P.class_attribute_matrix(), M, atol=1e-8)
    assert abs(P.best_map_accuracy() - r.Q) <= 1e-8


def test_randomized_map_is_tight(seed):
    M = _random_matrix(seed + 20, 4, 5)
    r = zb.worst_case_lower_bound(M)
    h = r.randomized_map(all_attribute_vectors(5))
    assert_allclose(h.sum(axis=1), 1, atol=1e-12)
    assert h.min() >= 0
    assert abs(zb.worst_case_accuracy(r.randomized_map, M) - r.Q) <= LP_TOL


def test_uniform_map_has_worst_case_accuracy_one_over_k():
    M = _random_matrix(0, 5, 3)
    H = np.full((8, 5), 0.2)
    assert abs(zb.worst_case_accuracy(H, M) - 0.2) <= 1e-12


def test_any_map_is_at_most_Q_in_the_worst_case(seed):
    M = _random_matrix(seed + 30, 3, 4)
    Q = zb.worst_case_lower_bound(M).Q
    rng = np.random.default_rng(seed)
    for _ in range(5):
        H = rng.dirichlet(np.ones(3), size=16)
        assert zb.worst_case_accuracy(H, M) <= Q + LP_TOL


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(2, 5), n=st.integers(1, 5))
def test_invariances_permutations_and_complement(seed, k, n):
    rng = np.random.default_rng(seed)
    M = rng.random((k, n))
    Q = zb.worst_case_lower_bound(M, "full").Q
    flipped = M.copy()
    i = int(rng.integers(n))
    flipped[:, i] = 1 - flipped[:, i]
    for other in (M[rng.permutation(k)], M[:, rng.permutation(n)], flipped):
        assert abs(zb.worst_case_lower_bound(other, "full").Q - Q) <= LP_TOL


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(2, 5), n=st.integers(1, 5))
def test_monotone_in_the_attribute_set(seed, k, n):
    M = np.random.default_rng(seed).random((k, n + 1))
    assert zb.worst_case_lower_bound(M[:, :n]).Q <= zb.worst_case_lower_bound(M).Q + LP_TOL


def test_bounds_between_one_over_k_and_one(seed):
    M = _random_matrix(seed, 6, 4)
    Q = zb.worst_case_lower_bound(M).Q
    assert 1 / 6 - 1e-12 <= Q <= 1 + 1e-12
    assert zb.worst_case_lower_bound(np.tile(M[:1], (6, 1))).Q == pytest.approx(1 / 6, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(2, 6), n=st.integers(1, 6))
def test_closed_forms(seed, k, n):
    rng = np.random.default_rng(seed)
    M1 = rng.random((k, 1))
    assert abs(zb.worst_case_lower_bound(M1).Q - cf.q_single_attribute(M1)) <= LP_TOL
    M2 = rng.random((2, n))
    assert abs(zb.worst_case_lower_bound(M2).Q - cf.q_two_classes(M2)) <= LP_TOL
    Mb = (rng.random((k, n)) < 0.5).astype(float)
    assert abs(zb.worst_case_lower_bound(Mb).Q - cf.q_binary(Mb)) <= LP_TOL


def test_duplicate_columns_keep_and_merge():
    M = _random_matrix(4, 3, 3)
    D = np.hstack([M, M[:, :1]])
    keep = zb.worst_case_lower_bound(D).Q
    merged = zb.worst_case_lower_bound(D, duplicate_columns="merge").Q
    assert abs(merged - zb.worst_case_lower_bound(M).Q) <= LP_TOL
    assert keep >= merged - LP_TOL
    with pytest.raises(ValueError, match="duplicate columns"):
        zb.worst_case_lower_bound(D, duplicate_columns="error")


def test_column_generation_history_is_a_shrinking_certified_interval():
    M = awa_like_matrix(6, 12, seed=2)
    seen = []
    r = zb.worst_case_lower_bound(M, "colgen-subsets", callback=seen.append)
    assert len(seen) == r.iterations
    lowers = [h["lower"] for h in r.history]
    assert all(b >= a for a, b in zip(lowers, lowers[1:], strict=False))
    assert all(h["lower"] <= r.Q + 1e-9 and h["upper"] >= r.Q - 1e-9 for h in r.history)


def test_early_stop_reports_a_certified_interval():
    M = awa_like_matrix(6, 12, seed=3)
    exact = zb.worst_case_lower_bound(M, "colgen-subsets").Q
    r = zb.worst_case_lower_bound(M, "colgen-bruteforce", max_iterations=1)
    assert r.lower - 1e-9 <= exact <= r.upper + 1e-9
    assert r.error_lower_bound == pytest.approx(1 - r.upper)
    # the scaled-dual map still guarantees the certified lower value
    assert zb.worst_case_accuracy(r.randomized_map, M) >= r.lower - LP_TOL


def test_pricing_routes_agree(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=4), rng.normal(size=(4, 9))
    rho_bf, _ = zb.price_bruteforce(a, b)
    rho_sub, _ = zb.price_class_subsets(a, b)
    rho_milp, upper, v = zb.price_milp(a, b)
    assert abs(rho_bf - rho_sub) <= 1e-12
    assert abs(rho_bf - rho_milp) <= 1e-7 and upper >= rho_bf - 1e-7


def test_greedy_selection_is_monotone_and_warm_start_does_not_change_it():
    M = awa_like_matrix(5, 7, seed=1)
    warm = zb.greedy_attribute_selection(M, 4)
    cold = zb.greedy_attribute_selection(M, 4, warm_start=False)
    assert warm.order == cold.order
    assert_allclose(warm.Q, cold.Q, atol=LP_TOL)
    assert np.all(np.diff(warm.Q) >= -LP_TOL)
    full = zb.worst_case_lower_bound(M[:, warm.order[:2]]).Q
    assert abs(full - warm.Q[1]) <= LP_TOL


@pytest.mark.parametrize(
    "M, match",
    [
        (np.array([[0.2, 1.5], [0.1, 0.3]]), r"\[0, 1\]"),
        (np.array([[0.2, np.nan], [0.1, 0.3]]), "NaN"),
        (np.array([[0.2, 0.3]]), "at least 2 classes"),
        (np.zeros((3, 0)), "at least 1 attribute"),
        (np.array([0.2, 0.3]), "2-D"),
        (np.array([[-0.1, 0.3], [0.1, 0.3]]), r"\[0, 1\]"),
    ],
)
def test_bad_matrices_are_rejected(M, match):
    original = M.copy()
    with pytest.raises(ValueError, match=match):
        zb.worst_case_lower_bound(M)
    assert np.array_equal(M, original, equal_nan=True)


def test_bad_arguments():
    M = _random_matrix(0, 3, 3)
    with pytest.raises(ValueError, match="method"):
        zb.worst_case_lower_bound(M, "simplex")
    with pytest.raises(ValueError, match="too large"):
        zb.worst_case_lower_bound(np.random.default_rng(0).random((2, 30)), "full")
    with pytest.raises(ValueError, match="warm_start"):
        zb.worst_case_lower_bound(M, "colgen-subsets", warm_start=np.ones((2, 5)))
    with pytest.raises(ValueError, match="h:"):
        zb.worst_case_accuracy(np.ones((8, 3)), M)
    with pytest.raises(ValueError, match="v:"):
        zb.worst_case_lower_bound(M).randomized_map(np.array([0.5, 1, 0]))


def test_non_optimal_solver_status_raises(monkeypatch):
    from scipy.optimize import OptimizeResult

    def fake_linprog(*args, **kwargs):
        return OptimizeResult(status=2, message="The problem is infeasible.", x=None, fun=None)

    monkeypatch.setattr(zb, "linprog", fake_linprog)
    with pytest.raises(SolverError, match="status 2"):
        zb.worst_case_lower_bound(_random_matrix(0, 3, 3), "full")


def _matrix_with_exact_zeros_and_ones(seed, k, n):
    # AwA-like matrices are clipped to [0, 1]: many entries are exactly 0 or 1
    M = np.random.default_rng(seed).random((k, n))
    M[M < 0.2] = 0.0
    M[M > 0.85] = 1.0
    return M


def test_lifted_duals_are_an_equivalent_dual_point(seed):
    rng = np.random.default_rng(seed)
    M = _matrix_with_exact_zeros_and_ones(seed, 4, 6)
    a, b = rng.normal(size=4), rng.normal(size=(4, 6))
    a2, b2 = zb.lift_duals(a, b, M)
    assert zb.dual_objective(a2, b2, M) == pytest.approx(zb.dual_objective(a, b, M), abs=1e-12)
    V = all_attribute_vectors(6).astype(float)
    scores, lifted = a[None] + V @ b.T, a2[None] + V @ b2.T
    # class j can emit v iff v_i = 0 where M_ji = 0 and v_i = 1 where M_ji = 1
    emits = np.array([[np.all(v[M[j] == 0] == 0) and np.all(v[M[j] == 1] == 1) for j in range(4)]
                      for v in V])
    assert_allclose(lifted[emits], scores[emits], atol=1e-12)
    assert (lifted[~emits] < 0).all()
    # without exact 0/1 entries the point is returned unchanged
    a3, b3 = zb.lift_duals(a, b, np.full((4, 6), 0.5))
    assert a3 is a and b3 is b


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.9])
def test_column_generation_is_exact_with_or_without_smoothing(seed, smoothing):
    M = _matrix_with_exact_zeros_and_ones(seed + 40, 5, 8)
    ref = zb.worst_case_lower_bound(M, "full").Q
    for method in ("colgen-bruteforce", "colgen-subsets", "colgen-milp"):
        r = zb.worst_case_lower_bound(M, method, smoothing=smoothing)
        assert r.exact and r.gap <= 1e-9
        assert abs(r.Q - ref) <= LP_TOL, (method, r.Q, ref)
        assert r.lower <= ref + 1e-9 and r.upper >= ref - 1e-9


def test_medium_instance_methods_agree_and_certify(seed):
    # n = 14: beyond the full LP's comfort, brute force is the independent pricing route
    M = awa_like_matrix(6, 14, seed=seed)
    rs = {m: zb.worst_case_lower_bound(M, m) for m in ("colgen-bruteforce", "colgen-subsets",
                                                        "colgen-milp")}
    ref = rs["colgen-bruteforce"].Q
    for m, r in rs.items():
        assert r.exact and r.gap <= 1e-9, m
        assert abs(r.Q - ref) <= LP_TOL, (m, r.Q, ref)
        # the returned map certifies its lower value on every vector (dual feasibility)
        a, b = r.randomized_map.a, r.randomized_map.b
        assert zb.price_bruteforce(a, b)[0] <= 1 + 1e-8
        assert zb.dual_objective(a, b, M) >= r.lower - 1e-9


def test_stopped_runs_report_an_honest_interval_and_map(seed):
    M = _matrix_with_exact_zeros_and_ones(seed + 50, 5, 9)
    exact = zb.worst_case_lower_bound(M, "full").Q
    for method in ("colgen-subsets", "colgen-milp"):
        for rounds in (1, 2, 3):
            r = zb.worst_case_lower_bound(M, method, max_iterations=rounds)
            assert r.lower - 1e-9 <= exact <= r.upper + 1e-9
            assert r.exact == (r.gap <= 1e-9)
            assert r.lower >= 1 / 5 - 1e-12  # never below the uniform map's 1/k
            assert zb.worst_case_accuracy(r.randomized_map, M) >= r.lower - LP_TOL


def test_bad_smoothing_is_rejected():
    with pytest.raises(ValueError, match="smoothing"):
        zb.worst_case_lower_bound(_random_matrix(0, 3, 3), "colgen-subsets", smoothing=1.0)


# ----------------------------------------------------- property tests against cvxpy (Clarabel)
_DEGENERATE = ("random", "duplicate rows", "duplicate columns", "rank one", "scaled 1e-6",
               "1 - 1e-6 scaled", "entries exactly 0 or 1")
# Clarabel stops at 1e-8 gap and feasibility tolerances; Q <= 1 and the duals of these LPs are
# O(k) (the objective moves by at most |dual| x residual), so 1e-6 covers the reference's error;
# our HiGHS-based methods (1e-10 feasibility) must agree among themselves to LP_TOL
_CVXPY_TOL = 1e-6


def _degenerate_matrix(seed, k, n, kind):
    rng = np.random.default_rng(seed)
    M = rng.random((k, n))
    if kind == "duplicate rows":
        M[-1] = M[0]
    elif kind == "duplicate columns":
        M = np.hstack([M, M[:, :1]])
    elif kind == "rank one":
        M = np.outer(rng.random(k), rng.random(n))
    elif kind == "scaled 1e-6":
        M = 1e-6 * M
    elif kind == "1 - 1e-6 scaled":
        M = 1.0 - 1e-6 * M
    elif kind == "entries exactly 0 or 1":
        M = np.where(rng.random((k, n)) < 0.4, np.round(M), M)
    return M


def _cvxpy_Q(M):
    import cvxpy as cp

    from analysis._core.solve import solve_problem

    k, n = M.shape
    V = all_attribute_vectors(n).astype(float)
    P = cp.Variable((k, V.shape[0]), nonneg=True)
    cons = [cp.sum(P, axis=1) == 1 / k, P @ V == M / k]
    return solve_problem(cp.Problem(cp.Minimize(cp.sum(cp.max(P, axis=0))), cons), "CLARABEL",
                         what="Q reference")


@settings(max_examples=14, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(2, 4), n=st.integers(1, 4),
       kind=st.sampled_from(_DEGENERATE))
def test_every_method_matches_cvxpy_on_random_and_degenerate_matrices(seed, k, n, kind):
    M = _degenerate_matrix(seed, k, n, kind)
    ref = _cvxpy_Q(M)
    values = {m: zb.worst_case_lower_bound(M, m).Q for m in zb.METHODS}
    for m, q in values.items():
        assert abs(q - ref) <= _CVXPY_TOL, (kind, m, q, ref)
        assert abs(q - values["full"]) <= LP_TOL, (kind, m, q, values["full"])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(2, 4), n=st.integers(1, 4),
       kind=st.sampled_from(_DEGENERATE))
def test_worst_case_accuracy_matches_cvxpy(seed, k, n, kind):
    import cvxpy as cp

    from analysis._core.solve import solve_problem

    M = _degenerate_matrix(seed, k, n, kind)
    n = M.shape[1]
    H = np.random.default_rng(seed + 1).dirichlet(np.ones(k), size=2**n)
    V = all_attribute_vectors(n).astype(float)
    P = cp.Variable((k, 2**n), nonneg=True)
    cons = [cp.sum(P, axis=1) == 1 / k, P @ V == M / k]
    ref = solve_problem(cp.Problem(cp.Minimize(cp.sum(cp.multiply(P, H.T))), cons), "CLARABEL",
                        what="worst-case accuracy reference")
    assert abs(zb.worst_case_accuracy(H, M) - ref) <= _CVXPY_TOL
    # and no map beats Q in the worst case
    assert zb.worst_case_accuracy(H, M) <= zb.worst_case_lower_bound(M).Q + LP_TOL


def test_sibling_instance_decomposes_and_the_wrong_complement_drops_Q_by_one_over_k(seed):
    from analysis.zsl.claims import _sibling_matrix

    M, d = _sibling_matrix(np.random.default_rng(seed))
    k = M.shape[0]
    rest = np.delete(M[1:], d, axis=1)
    Q = zb.worst_case_lower_bound(M).Q
    assert abs(Q - (1 / k + (k - 1) / k * zb.worst_case_lower_bound(rest).Q)) <= LP_TOL
    wrong = M.copy()
    wrong[1:, d] = 1 - wrong[1:, d]
    assert abs(Q - zb.worst_case_lower_bound(wrong).Q - 1 / k) <= LP_TOL


# ----------------------------------------------------- the live (highspy) master vs linprog
@pytest.mark.parametrize("k,n,method", [(3, 5, "colgen-bruteforce"), (5, 8, "colgen-subsets"),
                                        (4, 9, "colgen-milp"), (6, 12, "colgen-subsets")])
def test_live_and_linprog_masters_give_the_same_Q(seed, k, n, method):
    # two formulations (layer columns (v, T) in one warm-started highspy model; the epigraph
    # form rebuilt by scipy's linprog each round) and two HiGHS interfaces: both exact, same Q
    for M in (_random_matrix(seed + 60, k, n), _matrix_with_exact_zeros_and_ones(seed + 61, k, n)):
        live = zb.worst_case_lower_bound(M, method, master="live")
        ref = zb.worst_case_lower_bound(M, method, master="linprog")
        assert live.exact and ref.exact
        assert abs(live.Q - ref.Q) <= LP_TOL, (live.Q, ref.Q)
        assert live.lower - 1e-9 <= ref.Q <= live.upper + 1e-9
        P = live.adversary
        assert P.probabilities.min() >= 0
        assert_allclose(P.class_attribute_matrix(), M, atol=1e-8)
        assert P.best_map_accuracy() <= live.Q + 1e-8
        a, b = live.randomized_map.a, live.randomized_map.b
        assert zb.price_bruteforce(a, b)[0] <= 1 + 1e-8
        assert zb.dual_objective(a, b, M) >= live.lower - 1e-9


def test_live_master_map_is_tight(seed):
    M = _matrix_with_exact_zeros_and_ones(seed + 70, 4, 7)
    r = zb.worst_case_lower_bound(M, "colgen-subsets", master="live")
    assert abs(zb.worst_case_accuracy(r.randomized_map, M) - r.Q) <= LP_TOL


def test_live_and_linprog_masters_agree_on_apy():
    from analysis.zsl import load_benchmark

    M, _, _ = load_benchmark("apy")  # 12 x 64, the real unseen split
    live = zb.worst_case_lower_bound(M, master="live")
    ref = zb.worst_case_lower_bound(M, master="linprog")
    assert live.exact and ref.exact
    assert abs(live.Q - ref.Q) <= LP_TOL


def test_live_master_stopped_early_reports_an_honest_interval(seed):
    M = _matrix_with_exact_zeros_and_ones(seed + 80, 5, 9)
    exact = zb.worst_case_lower_bound(M, "full").Q
    for rounds in (1, 2, 3):
        r = zb.worst_case_lower_bound(M, "colgen-milp", max_iterations=rounds, master="live")
        assert r.lower - 1e-9 <= exact <= r.upper + 1e-9
        assert zb.worst_case_accuracy(r.randomized_map, M) >= r.lower - LP_TOL


def test_live_master_bad_arguments_and_non_optimal_status():
    M = _random_matrix(0, 3, 4)
    with pytest.raises(ValueError, match="master"):
        zb.worst_case_lower_bound(M, "colgen-subsets", master="scipy")
    empty = zb._LiveMaster(M)  # no column: the master is infeasible
    with pytest.raises(SolverError, match="not optimal"):
        empty.solve("empty master")


def test_live_master_large_route_gives_the_same_Q(seed, monkeypatch):
    # masters above _LIVE_SIMPLEX_MAX_ROWS rows (SUN, CUB) are seeded with the epigraph
    # master's layers and solved by interior point + crossover: force that route on small M
    monkeypatch.setattr(zb, "_LIVE_SIMPLEX_MAX_ROWS", 0)
    for M in (_random_matrix(seed + 90, 4, 9), _matrix_with_exact_zeros_and_ones(seed + 91, 5, 8)):
        live = zb.worst_case_lower_bound(M, "colgen-milp", master="live")
        ref = zb.worst_case_lower_bound(M, "colgen-subsets", master="linprog")
        assert live.exact and ref.exact
        assert abs(live.Q - ref.Q) <= LP_TOL, (live.Q, ref.Q)

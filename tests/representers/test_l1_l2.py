"""l1 and l2 representers: the decompositions, the solvers against cvxpy, and bad input."""

import numpy as np
import pytest

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
from analysis.representers.roundoff import (
    EPS,
    clarabel_gap,
    gamma,
    gradient_floor,
    l1_distance_bound,
    l1_identity_tolerance,
    l2_identity_tolerance,
)

# Every tolerance below comes from an error model relative to the instance's scale (see
# analysis.representers.roundoff): round-off floors gamma_N sum|terms|, a solver's stated KKT
# tolerance times the conditioning (1/mu on the support), or Clarabel's duality-gap tolerance.
#: the KKT tolerance solve_l1 / l1_representers promise by default (gradient units)
L1_TOL = 1e-11


def _l1_floor(X, y, theta, lam, loss):
    return gradient_floor(X, y, theta, loss) + 2 * EPS * lam


def _l2_floor(X, y, theta, lam, loss):
    return gradient_floor(X, y, theta, loss) + 4 * EPS * lam * np.abs(theta).max()


def _problem(seed, loss, n=70, d=120):
    data = make_sparse_logistic(n, d, n_test=15, rng=seed)
    y = data.y if loss == "logistic" else data.X @ data.theta_true + 0.3 * np.random.default_rng(seed).standard_normal(n)
    return data.X, y, data.X_test


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_l1_decomposition_sums_to_prediction(seed, loss):
    X, y, X_test = _problem(seed, loss)
    res = l1_representers(X, y, 0.04, X_test, loss)
    assert res.values.shape == (15, 70)
    assert np.array_equal(res.predictions, X_test @ res.theta)  # the same product, bit for bit
    # the solve meets its stated KKT tolerance, and the identity holds to that KKT residual
    # (exact-arithmetic bound ||theta*x_t||_1 kkt/lam) plus the round-off of both sides
    assert res.kkt_residual <= L1_TOL
    floor = _l1_floor(X, y, res.theta, 0.04, loss)
    allowed = l1_identity_tolerance(X, y, res.theta, 0.04, X_test, loss, res.kkt_residual + floor)
    assert np.all(np.abs(res.reconstruction - res.predictions) <= allowed)
    assert res.identity_residual < 1e-8  # the spec's acceptance level, far above `allowed`
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
        floor = _l1_floor(X, y, theta, lam, "logistic")
        bound = identity_residual_bound(X_test, theta, res.kkt_residual, lam)
        # the bound in exact arithmetic, plus the round-off of evaluating it and both sides
        allowed = bound + l1_identity_tolerance(X, y, theta, lam, X_test, "logistic", floor)
        assert np.all(np.abs(res.predictions - res.reconstruction) <= allowed)
        assert res.kkt_residual > 1e3 * floor  # a genuinely loose iterate


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_l1_solver_matches_cvxpy(seed, loss):
    X, y, _ = _problem(seed, loss, n=50, d=30)
    fast = solve_l1(X, y, 0.03, loss)
    ref_theta, ref_obj = solve_l1_cvxpy(X, y, 0.03, loss, **CLARABEL_TIGHT)
    # Clarabel's objective is within its gap tolerance of the optimum; ours is KKT-certified
    gap = 4 * clarabel_gap(CLARABEL_TIGHT, ref_obj) + gamma(80) * abs(ref_obj)
    assert abs(fast.objective - ref_obj) <= gap
    assert fast.objective <= ref_obj + gap
    # growth of F around its minimiser: curvature mu on the support, and off it the l1 kink
    # grows linearly (faster than mu/2 |.|^2 at this distance), so Clarabel's point (objective
    # within `gap`) lies within sqrt(2 gap / mu) of ours
    from analysis.representers.roundoff import restricted_curvature

    mu = restricted_curvature(X, y, fast.theta, loss)
    assert np.linalg.norm(fast.theta - ref_theta) <= np.sqrt(2 * gap / mu)


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
    assert weighted.kkt_residual <= L1_TOL and direct.kkt_residual <= L1_TOL
    assert np.array_equal(np.sign(weighted.theta), np.sign(direct.theta))
    # the weighted gradient is (n-2)/n times the direct one, so the direct KKT residual counts
    # (n-2)/n in the weighted problem's units; two KKT points of one support differ by
    # sqrt(|S|) (r1 + r2) / mu at most
    kkt_sum = weighted.kkt_residual + direct.kkt_residual * (n - 2) / n
    kkt_sum += 2 * _l1_floor(X, y, weighted.theta, lam, "logistic")
    dist = l1_distance_bound(X, y, weighted.theta, "logistic", kkt_sum, sample_weight=w)
    assert np.linalg.norm(weighted.theta - direct.theta) <= dist


def test_warm_start_reaches_the_same_optimum():
    X, y, _ = _problem(1, "logistic")
    cold = solve_l1(X, y, 0.04)
    warm = solve_l1(X, y, 0.04, theta0=cold.theta * 1.1)
    kkt_sum = warm.kkt_residual + cold.kkt_residual + 2 * _l1_floor(X, y, cold.theta, 0.04, "logistic")
    assert np.linalg.norm(warm.theta - cold.theta) <= l1_distance_bound(X, y, cold.theta, "logistic", kkt_sum)


def test_kkt_residual_is_zero_only_at_the_optimum():
    X, y, _ = _problem(2, "logistic")
    sol = solve_l1(X, y, 0.04)
    assert l1_kkt_residual(X, y, sol.theta, 0.04) <= L1_TOL
    # shrinking theta by 10 % moves the gradient by ~0.1 H theta: a violation of order lam / 100
    assert l1_kkt_residual(X, y, sol.theta * 0.9, 0.04) > 0.01 * 0.04
    assert l1_objective(X, y, sol.theta * 0.9, 0.04) > sol.objective


@pytest.mark.parametrize("loss", ["logistic", "squared"])
def test_l2_decomposition_sums_to_prediction(seed, loss):
    X, y, X_test = _problem(seed, loss, n=60, d=40)
    res = l2_representers(X, y, 0.02, X_test, loss)
    # Newton runs to the round-off floor of the gradient (this failed at 1.7e-11 > 1e-12 with
    # OPENBLAS_CORETYPE=Haswell when the solve stopped on an unresolvable Armijo test)
    floor = _l2_floor(X, y, res.theta, 0.02, loss)
    assert res.kkt_residual <= floor
    allowed = l2_identity_tolerance(X, y, res.theta, 0.02, X_test, loss, res.kkt_residual + floor)
    assert np.all(np.abs(res.reconstruction - res.predictions) <= allowed)


def test_l2_solver_matches_cvxpy_and_closed_form():
    X, y, _ = _problem(0, "squared", n=40, d=25)
    lam = 0.05
    theta = solve_l2(X, y, lam, "squared")
    A = X.T @ X / 40 + 2 * lam * np.eye(25)
    closed = np.linalg.solve(A, X.T @ y / 40)
    # both solve A theta = b to backward error ~gamma_{n+d}; forward error <= 2 cond(A) x that
    tol = 2 * np.linalg.cond(A) * gamma(40 + 25) * np.linalg.norm(closed) * 10
    assert np.linalg.norm(theta - closed) <= tol
    Xl, yl, _ = _problem(0, "logistic", n=40, d=25)
    fast = solve_l2(Xl, yl, lam)
    _, ref = solve_l2_cvxpy(Xl, yl, lam, **CLARABEL_TIGHT)
    from analysis.representers.l2 import l2_objective

    gap = 4 * clarabel_gap(CLARABEL_TIGHT, ref) + gamma(65) * ref
    assert abs(l2_objective(Xl, yl, fast, lam) - ref) <= gap


def test_l2_woodbury_path_matches_primal_path():
    # d > n uses the n x n Woodbury system; compare with the d x d solve on the transposed sizes
    X, y, _ = _problem(4, "logistic", n=30, d=80)
    theta = solve_l2(X, y, 0.01)
    from analysis.representers.l2 import l2_gradient_norm

    assert l2_gradient_norm(X, y, theta, 0.01) <= _l2_floor(X, y, theta, 0.01, "logistic")


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
    # the same products grouped differently: |difference| <= gamma_{|S|+2} |x_t| |theta| |x_i| |alpha_i|
    S = res.support
    scale = (np.abs(X_test[3, S]) * np.abs(res.theta[S])) @ np.abs(X[:, S]).T * np.abs(res.alpha)
    assert np.all(np.abs(res.explain(X_test[3])[0] - res.values[3]) <= gamma(S.size + 2) * scale)
    res2 = l2_representers(X, y, 0.04, X_test)
    scale2 = 0.5 * (np.abs(X_test) @ np.abs(X).T) * np.abs(res2.alpha)
    assert np.all(np.abs(res2.explain(X_test) - res2.values) <= gamma(X.shape[1] + 2) * scale2)
    with pytest.raises(ValueError, match="X_test"):
        res.explain(X_test[:, :3])

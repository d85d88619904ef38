"""Property tests: every continual solver against an independent reference, on random and
degenerate instances (duplicated rows, rank deficiency, entries scaled by 1e-6 .. 1e+6).

Error models (each tolerance is relative to the problem's own scale):

* SMM projection, default active-set solver vs Hildreth's coordinate ascent run to 1e-14: both
  are exact up to float64 round-off amplified by the conditioning of the active constraints'
  Gram matrix, so ``1e-9 x scale`` with ``scale = max(||w||, ||P(w)||)``.
* vs cvxpy/Clarabel: the reference falls back to Clarabel's default 1e-8 gap on degenerate
  instances, which resolves the QP's solution to ~sqrt(1e-8) relative in the worst case: ``1e-6``.
* Continual regression step (pseudo-inverse) vs LAPACK's minimum-norm least squares (gelsd):
  round-off ``eps x cond(X)`` of the task's non-zero singular values, with a 1e3 safety factor.
* Closed forms (wedge) and the exact random-order expectation vs brute-force enumeration: sums of
  at most a few hundred terms, ``1e-9`` relative.
"""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis._core.rng import random_orthogonal
from analysis.continual import (
    classification_forgetting,
    continual_regression,
    cyclic_order,
    data_radius,
    kkt_residual,
    make_separable_tasks,
    offline_max_margin,
    project_onto_task,
    sequential_max_margin,
    task_violations,
)
from analysis.continual.data import wedge_closed_forms, wedge_tasks
from analysis.continual.forgetting import expected_all_task_loss_two_tasks

EPS = np.finfo(float).eps


def _degenerate_task(seed: int, n: int, d: int, rank: int, dup: bool, log_scale: int):
    """A separable task in R^d whose rows span only ``rank`` dimensions, optionally with each row
    duplicated, all entries scaled by 10**log_scale."""
    rank = min(rank, d)
    (task,), _ = make_separable_tasks(1, n, rank, seed)
    X, y = task
    Q = random_orthogonal(d, seed)[:, :rank]  # embed R^rank isometrically in R^d
    X = X @ Q.T
    if dup:
        X, y = np.vstack([X, X]), np.concatenate([y, y])
    return X * 10.0**log_scale, y


degenerate = dict(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 12),
    d=st.integers(2, 12),
    rank=st.integers(1, 12),
    dup=st.booleans(),
    log_scale=st.sampled_from([-6, 0, 6]),
)


@settings(max_examples=25, deadline=None)
@given(**degenerate)
def test_projection_vs_hildreth_and_kkt_on_degenerate_tasks(seed, n, d, rank, dup, log_scale):
    X, y = _degenerate_task(seed, n, d, rank, dup, log_scale)
    # the feasible set sits at distance ~10**-log_scale from 0: draw w on that scale
    w = 10.0**-log_scale * np.random.default_rng(seed).standard_normal(d)
    v = project_onto_task(w, X, y)
    ref = project_onto_task(w, X, y, method="hildreth", tol=1e-14)
    scale = max(np.linalg.norm(w), np.linalg.norm(ref))
    assert_allclose(v, ref, rtol=0, atol=1e-9 * scale)
    # solver-free certificate: primal feasibility and stationarity with multipliers >= 0
    assert kkt_residual(w, v, X, y)["max"] < 1e-8


@settings(max_examples=6, deadline=None)
@given(**degenerate)
def test_projection_and_max_margin_vs_cvxpy_on_degenerate_tasks(seed, n, d, rank, dup, log_scale):
    X, y = _degenerate_task(seed, n, d, rank, dup, log_scale)
    w = 10.0**-log_scale * np.random.default_rng(seed).standard_normal(d)
    v = project_onto_task(w, X, y)
    w_star = offline_max_margin([(X[: max(1, len(y) // 2)], y[: max(1, len(y) // 2)]), (X, y)])
    # Clarabel (and the shared max-margin reference) is only accurate on well-scaled data, so the
    # reference solves the unscaled problem and the exact scale law is applied to its answer:
    # P_{sX}(w) = P_X(s w) / s, w*(sX) = w*(X) / s.
    s = 10.0**log_scale
    X1 = X / s
    ref = project_onto_task(s * w, X1, y, method="cvxpy") / s
    assert_allclose(v, ref, rtol=0, atol=1e-6 * max(np.linalg.norm(w), np.linalg.norm(ref)))
    half = max(1, len(y) // 2)
    w_ref = offline_max_margin([(X1[:half], y[:half]), (X1, y)], method="cvxpy") / s
    assert_allclose(w_star, w_ref, rtol=0, atol=1e-6 * np.linalg.norm(w_ref))


@settings(max_examples=25, deadline=None)
@given(**degenerate)
def test_regression_step_vs_minimum_norm_lstsq(seed, n, d, rank, dup, log_scale):
    rng = np.random.default_rng(seed)
    X, _ = _degenerate_task(seed, n, d, rank, dup, log_scale)
    u = rng.standard_normal(d) * 10.0**-log_scale
    y = X @ u  # realizable targets
    w0 = rng.standard_normal(d) * 10.0**-log_scale
    w1 = continual_regression([(X, y)], np.array([0]), w0)[1]
    ref = w0 + np.linalg.lstsq(X, y - X @ w0, rcond=None)[0]
    s = np.linalg.svd(X, compute_uv=False)
    s = s[s > s[0] * max(X.shape) * EPS]
    tol = 1e3 * EPS * (s[0] / s[-1]) * (np.linalg.norm(w0) + np.linalg.norm(u))
    assert_allclose(w1, ref, rtol=0, atol=tol)
    assert_allclose(X @ w1, y, rtol=0, atol=tol * s[0])


@settings(max_examples=10, deadline=None)
@given(theta=st.floats(0.05, np.pi / 2), log_r=st.floats(-6, 6), rot=st.integers(0, 2**31 - 1))
def test_wedge_forgetting_equals_its_closed_forms(theta, log_r, rot):
    R = 10.0**log_r
    tasks, apex = wedge_tasks(theta, R, seed=rot)
    assert_allclose(offline_max_margin(tasks), apex, rtol=1e-9)
    K = 40
    order = cyclic_order(2, K)
    scale = data_radius(tasks) ** 2 * float(apex @ apex)
    closed = wedge_closed_forms(theta, K)
    F = classification_forgetting(tasks, order, sequential_max_margin(tasks, order))
    assert_allclose(F / scale, closed["cyclic_forgetting"], rtol=0, atol=1e-9)
    E = np.cumsum(expected_all_task_loss_two_tasks(tasks, K)) / scale
    assert_allclose(E, closed["random_cumulative"], rtol=0, atol=1e-9)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 5), d=st.integers(2, 5))
def test_exact_random_order_expectation_vs_enumeration(seed, n, d):
    tasks, _ = make_separable_tasks(2, n, d, seed)
    k = 7
    total = np.zeros(k)
    for order in itertools.product((0, 1), repeat=k):
        V = task_violations(tasks, sequential_max_margin(tasks, np.array(order)))
        total += V[:-1].mean(axis=1)
    brute = total / 2**k
    exact = expected_all_task_loss_two_tasks(tasks, k)
    assert_allclose(exact, brute, rtol=1e-10, atol=1e-14 * max(1.0, brute.max()))

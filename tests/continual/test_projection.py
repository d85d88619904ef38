"""Tests of the SMM projection step, SMM iterates and the offline max-margin solution."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis._core.maxmargin import max_margin_separator
from analysis.continual import (
    NotSeparableError,
    cone_counterexample_closed_form,
    cone_counterexample_tasks,
    counterexample_closed_form,
    counterexample_tasks,
    cyclic_order,
    distance_to_feasible_set,
    distance_to_task,
    kkt_residual,
    make_separable_tasks,
    offline_max_margin,
    project_onto_task,
    random_order,
    sequential_max_margin,
)

SOLVER_REL = 1e-8  # Clarabel at 1e-12 tolerances resolves projections to ~1e-10 relative


@settings(max_examples=12, deadline=None)
@given(d=st.integers(2, 20), n=st.integers(1, 30), seed=st.integers(0, 2**31), scale=st.floats(0.1, 10))
def test_default_equals_cvxpy_and_hildreth(d, n, seed, scale):
    (task,), _ = make_separable_tasks(1, n, d, seed)
    w = scale * np.random.default_rng(seed).standard_normal(d)
    fast = project_onto_task(w, *task)
    ref = project_onto_task(w, *task, method="cvxpy")
    hil = project_onto_task(w, *task, method="hildreth", tol=1e-14)
    assert_allclose(fast, ref, rtol=0, atol=SOLVER_REL * max(1.0, np.linalg.norm(ref)))
    assert_allclose(fast, hil, rtol=0, atol=1e-9 * max(1.0, np.linalg.norm(ref)))


def test_projection_is_feasible_idempotent_and_kkt(seed):
    tasks, _ = make_separable_tasks(3, 20, 10, seed)
    w = np.random.default_rng(seed).standard_normal(10)
    for X, y in tasks:
        v, alpha = project_onto_task(w, X, y, return_dual=True)
        assert np.min(y * (X @ v)) >= 1 - 1e-12
        assert np.all(alpha >= 0)
        assert_allclose(v - w, (y[:, None] * X).T @ alpha, atol=1e-10)  # stationarity
        assert_allclose(project_onto_task(v, X, y), v, atol=1e-14)  # idempotent
        assert kkt_residual(w, v, X, y)["max"] < 1e-9
        assert kkt_residual(w, w + 1.1 * (v - w), X, y)["max"] > 1e-3  # not a projection


def test_warm_start_gives_the_same_answer(seed):
    (task,), _ = make_separable_tasks(1, 40, 15, seed)
    rng = np.random.default_rng(seed)
    w1, w2 = rng.standard_normal(15), rng.standard_normal(15)
    _, alpha = project_onto_task(w1, *task, return_dual=True)
    assert_allclose(project_onto_task(w2, *task, alpha0=alpha), project_onto_task(w2, *task), atol=1e-10)
    cold = project_onto_task(w2, *task, method="hildreth", tol=1e-14)
    warm = project_onto_task(w2, *task, method="hildreth", tol=1e-14, alpha0=alpha)
    assert_allclose(warm, cold, atol=1e-9)


def test_non_separable_task_is_refused_with_its_name():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1.0, 1.0])  # x and -x with the same label: empty feasible set
    with pytest.raises(NotSeparableError, match=r"tasks\[7\].*separable"):
        project_onto_task(np.zeros(2), X, y, task_name="tasks[7]")
    with pytest.raises(NotSeparableError, match="infeasible"):
        project_onto_task(np.zeros(2), X, y, method="cvxpy")
    with pytest.raises(NotSeparableError, match="x = 0"):
        project_onto_task(np.zeros(2), np.zeros((1, 2)), np.ones(1), method="hildreth")
    good, _ = make_separable_tasks(1, 5, 2, 0)
    with pytest.raises(NotSeparableError, match=r"tasks\[1\]"):
        sequential_max_margin([good[0], (X, y)], cyclic_order(2, 4))


def test_bad_inputs_raise_and_do_not_modify():
    (task,), _ = make_separable_tasks(1, 5, 3, 0)
    X, y = task
    X0, y0 = X.copy(), y.copy()
    with pytest.raises(ValueError, match="w"):
        project_onto_task(np.zeros(4), X, y)
    with pytest.raises(ValueError, match="labels"):
        project_onto_task(np.zeros(3), X, 2 * y)
    with pytest.raises(ValueError, match="finite"):
        project_onto_task(np.full(3, np.nan), X, y)
    with pytest.raises(ValueError, match="method"):
        project_onto_task(np.zeros(3), X, y, method="magic")
    with pytest.raises(ValueError, match="alpha0"):
        project_onto_task(np.zeros(3), X, y, alpha0=-np.ones(5))
    with pytest.raises(ValueError, match="order"):
        sequential_max_margin([task], np.array([0, 1]))
    with pytest.raises(ValueError, match="order"):
        sequential_max_margin([task], np.array([0.0, 0.0]))
    with pytest.raises(ValueError, match="tasks"):
        sequential_max_margin([], np.array([0]))
    with pytest.raises(ValueError, match=r"tasks\[1\] X"):
        sequential_max_margin([task, (np.ones((2, 4)), np.ones(2))], np.array([0, 1]))
    assert np.array_equal(X, X0) and np.array_equal(y, y0)


def test_smm_first_step_is_hard_margin_svm_and_iterates_have_the_right_shape(seed):
    tasks, _ = make_separable_tasks(3, 10, 6, seed)
    order = random_order(3, 12, seed)
    W = sequential_max_margin(tasks, order)
    assert W.shape == (13, 6)
    assert np.array_equal(W[0], np.zeros(6))
    X, y = tasks[order[0]]
    assert_allclose(W[1], max_margin_separator(X, y), atol=1e-7)
    for t, m in enumerate(order, start=1):  # each iterate fits its own task
        X, y = tasks[m]
        assert np.min(y * (X @ W[t])) >= 1 - 1e-10
    assert_allclose(sequential_max_margin(tasks, order, method="hildreth"), W, atol=1e-7)


def test_offline_max_margin_matches_shared_reference(seed):
    tasks, _ = make_separable_tasks(4, 10, 8, seed)
    assert_allclose(offline_max_margin(tasks), offline_max_margin(tasks, method="cvxpy"), atol=1e-7)


def test_cyclic_smm_converges_to_the_feasible_set_and_distances_are_consistent(seed):
    tasks, _ = make_separable_tasks(3, 6, 6, seed, min_margin=0.5, task_shift=0.0)
    W = sequential_max_margin(tasks, cyclic_order(3, 150))
    dist = distance_to_feasible_set(W, tasks)
    assert dist[-1] < 1e-8
    # Fejer monotone: the distance to W* never increases along POCS
    assert np.all(np.diff(dist) <= 1e-10)
    w = W[1]
    assert distance_to_task(w, *tasks[0]) <= dist[1] + 1e-12  # W* is inside every W_m


def test_counterexample_smm_stops_short_of_w_star():
    tasks = counterexample_tasks(0.5)
    W = sequential_max_margin(tasks, cyclic_order(2, 20))
    smm, w_star = counterexample_closed_form(0.5)
    assert_allclose(W[-1], smm, atol=1e-12)
    assert_allclose(W[-1], [1.2, 0.4], atol=1e-12)
    assert_allclose(offline_max_margin(tasks), w_star, atol=1e-10)
    assert_allclose(w_star, [1.0, 0.5])
    assert np.linalg.norm(W[-1] - w_star) > 0.1
    with pytest.raises(ValueError, match="c"):
        counterexample_tasks(0.1)


def test_cone_counterexample_smm_stops_short_of_w_star():
    # a = 1/4, b = 7/20: apex (1, 1) -> (1, 1) + (0.4/0.185)(0.25, 0.35); w* = (0.25, 0.35)/0.185
    tasks = cone_counterexample_tasks(0.25, 0.35)
    W = sequential_max_margin(tasks, cyclic_order(2, 20))
    assert_allclose(W[1], [1.0, 1.0], atol=1e-12)  # the first step is task 1's hard-margin SVM
    smm, w_star, gap = cone_counterexample_closed_form(0.25, 0.35)
    assert_allclose(W[-1], smm, atol=1e-12)
    assert_allclose(W[-1], [1 + 0.1 / 0.185, 1 + 0.14 / 0.185], atol=1e-12)
    assert_allclose(offline_max_margin(tasks), w_star, atol=1e-10)
    assert_allclose(np.linalg.norm(W[-1] - w_star), gap, atol=1e-10)
    assert_allclose(gap, 0.1 / np.sqrt(0.185))
    # a = b: the apex lies on the normal through w*, and SMM does reach w*
    tasks_eq = cone_counterexample_tasks(0.3, 0.3)
    W_eq = sequential_max_margin(tasks_eq, cyclic_order(2, 4))
    assert_allclose(W_eq[-1], offline_max_margin(tasks_eq), atol=1e-8)


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [(0.0, 0.3, "a"), (0.3, -1.0, "b"), (0.6, 0.45, "a \\+ b < 1"), (0.1, 0.45, "a >= a\\^2")],
)
def test_cone_counterexample_rejects_parameters_outside_the_region(a, b, match):
    with pytest.raises(ValueError, match=match):
        cone_counterexample_tasks(a, b)


@pytest.mark.parametrize("seed", [0, 1])
def test_qr_reduced_dual_gives_the_full_nnls_answer(seed, monkeypatch):
    """d > n: the NNLS on R of A^T = QR ((n+1) x n) has the full (d+1) x n problem's solution."""
    from analysis.continual import projection

    tasks, _ = make_separable_tasks(4, 15, 60, seed)
    order = cyclic_order(4, 24)
    w = np.random.default_rng(seed).standard_normal(60)
    reduced = [project_onto_task(w, *t, return_dual=True) for t in tasks]
    W_reduced = sequential_max_margin(tasks, order)  # R cached per task across visits
    monkeypatch.setattr(projection, "_reduced_factor", lambda A: None)
    full = [project_onto_task(w, *t, return_dual=True) for t in tasks]
    W_full = sequential_max_margin(tasks, order)
    for (v_r, a_r), (v_f, a_f) in zip(reduced, full, strict=True):
        assert_allclose(v_r, v_f, rtol=0, atol=1e-10 * max(1.0, np.linalg.norm(v_f)))
        assert_allclose(a_r, a_f, rtol=0, atol=1e-8 * max(1.0, np.abs(a_f).max()))
    assert_allclose(W_reduced, W_full, rtol=0, atol=1e-9 * max(1.0, np.abs(W_full).max()))


def test_qr_reduced_dual_still_refuses_a_non_separable_task():
    x = np.arange(1.0, 6.0)
    with pytest.raises(NotSeparableError, match="tasks\\[0\\]"):
        sequential_max_margin([(np.stack([x, -x]), np.ones(2))], np.array([0]))

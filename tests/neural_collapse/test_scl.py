"""Tests of the SCL UFM: convex route (full and class-block), GD route, batching."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.neural_collapse import (
    batching_condition,
    bind_batches,
    labels_from_counts,
    random_batches,
    scl_loss_from_gram,
    solve_scl_ufm,
    train_scl_ufm,
)

SOLVER_TOL = 1e-5  # Clarabel's default accuracy (1e-8 gaps) on O(N) objectives, after recovery


def _of_gram(labels):
    return (labels[:, None] == labels[None, :]).astype(float)


def test_loss_from_gram_matches_a_per_anchor_loop():
    rng = np.random.default_rng(0)
    y = labels_from_counts([3, 2, 4])
    H = rng.standard_normal((y.size, 5))
    H /= np.linalg.norm(H, axis=1, keepdims=True)
    G, tau = H @ H.T, 0.3
    total = 0.0
    for i in range(y.size):
        others = [k for k in range(y.size) if k != i]
        denom = np.sum(np.exp(G[i, others] / tau))
        pos = [j for j in others if y[j] == y[i]]
        total += -np.mean([np.log(np.exp(G[i, j] / tau) / denom) for j in pos])
    assert_allclose(scl_loss_from_gram(G, y, tau), total, rtol=1e-12)


def test_of_is_the_nonnegative_minimiser_for_imbalanced_counts():
    counts = [5, 3, 2]
    res = solve_scl_ufm(counts, 0.1, nonnegative=True)
    assert res.gram.shape == (10, 10) and res.labels.tolist() == labels_from_counts(counts).tolist()
    assert np.abs(res.gram - _of_gram(res.labels)).max() < 1e-3
    assert res.of_distance < 1e-3
    assert res.objective <= scl_loss_from_gram(_of_gram(res.labels), res.labels, 0.1) + SOLVER_TOL


def test_class_block_reduction_agrees_with_the_full_problem():
    for nonneg in (True, False):
        full = solve_scl_ufm([4, 3, 2], 0.5, nonneg)
        block = solve_scl_ufm([4, 3, 2], 0.5, nonneg, reduction="class_block")
        assert_allclose(block.objective, full.objective, rtol=1e-6)
        assert_allclose(block.class_gram, full.class_gram, atol=1e-4)


def test_gd_route_agrees_with_convex_route():
    counts = [6, 3, 2]
    for relu in (True, False):
        gd = train_scl_ufm(counts, 6, temperature=0.5, relu=relu, epochs=300, record_every=100)
        cvx = solve_scl_ufm(counts, 0.5, nonnegative=relu, reduction="class_block")
        assert_allclose(gd.class_gram, cvx.class_gram, atol=2e-3)
        assert (gd.features >= 0).all() == relu or not relu


def test_batching_condition_and_binding():
    y = labels_from_counts([4, 4, 2])
    sorted_batches = [np.arange(0, 4), np.arange(4, 8), np.arange(8, 10)]
    cond = batching_condition(sorted_batches, y)
    assert cond["within_connected"] and not cond["between_covered"]
    bound = bind_batches(sorted_batches, y, rng=1)
    assert batching_condition(bound, y)["holds"]
    split = [np.array([0, 1, 4, 8]), np.array([2, 3, 5, 9]), np.array([6, 7, 0, 2])]
    assert batching_condition(split, y)["within_connected"] is False  # class 1: {4,5} vs {6,7}
    batches = random_batches(10, 3, 0)
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert all(np.array_equal(a, b) for a, b in zip(batches, random_batches(10, 3, 0), strict=False))


def test_training_is_deterministic():
    a = train_scl_ufm([3, 2], 4, epochs=5, seed=3)
    b = train_scl_ufm([3, 2], 4, epochs=5, seed=3)
    assert np.array_equal(a.features, b.features)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: solve_scl_ufm([3, 1]), r"counts: expected every class count >= 2"),
        (lambda: solve_scl_ufm([3]), r"counts: expected counts of at least 2 classes"),
        (lambda: solve_scl_ufm([3, 2], temperature=0), r"temperature: expected a number > 0"),
        (lambda: solve_scl_ufm([3, 2], reduction="x"), r"reduction: expected"),
        (lambda: solve_scl_ufm([3, 2], nonnegative="yes"), r"nonnegative: expected a bool"),
        (lambda: train_scl_ufm([2, 2], 3, batches=[np.array([0, 1])]), r"batches: expected to cover"),
        (lambda: train_scl_ufm([2, 2], 3, batches=[np.array([0, 9]), np.array([1, 2, 3])]),
         r"batches: batch 0 has indices outside"),
        (lambda: train_scl_ufm([2.5, 2], 3), r"counts: expected integer counts"),
    ],
)
def test_bad_input_is_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_block_objective_matches_the_expanded_gram():
    for nonneg in (True, False):
        block = solve_scl_ufm([5, 3, 2], 0.3, nonneg, reduction="class_block")
        assert block.gram.shape == (10, 10) and np.allclose(np.diag(block.gram), 1.0)
        assert_allclose(block.objective, scl_loss_from_gram(block.gram, block.labels, 0.3),
                        rtol=1e-12)


def test_class_block_route_handles_large_n_without_n_by_n_memory():
    res = solve_scl_ufm([20000, 20000, 2000], 0.1, nonnegative=True, reduction="class_block")
    assert res.of_distance < 1e-3 and res._gram is None

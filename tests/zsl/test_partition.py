"""Tests of the decision-tree lower bound (analysis.zsl.partition) against the full LP.

Reference: ``Q`` from the full LP over all ``2^n`` vectors (n <= 7), HiGHS with 1e-10
feasibility tolerances, so LP values agree to ``LP_TOL``. The tree certificates' own rounding
margins are below 1e-12, so a certified lower end may sit at most ``LP_TOL`` above ``Q``.
"""

import numpy as np
import pytest

from analysis.zsl import (
    PartitionTree,
    grow_partition_tree,
    tree_dual_bound,
    tree_lower_bound,
)
from analysis.zsl.certify import check_certificate_file, save_certificate

LP_TOL = 1e-7
SEEDS = range(8)


def _random_tree(n, leaves, rng):
    """Split random leaves on random unfixed attributes until ``leaves`` cells (or none left)."""
    tree = PartitionTree.complete(n)
    while tree is not None and tree.n_leaves < leaves:
        last, tree = tree, _split_random_leaf(tree, rng)
    return last if tree is None else tree


def _split_random_leaf(tree, rng):
    """``tree`` with one random leaf split on one of its unfixed attributes (None: none left)."""
    F1, F0 = tree.cells()
    free = ~(F1 | F0)
    open_ = np.flatnonzero(free.any(axis=1))
    if open_.size == 0:
        return None
    r = int(rng.choice(open_))
    return tree.split([tree.leaves[r]], [int(rng.choice(np.flatnonzero(free[r])))])


@pytest.mark.parametrize("seed", SEEDS)
def test_complete_tree_on_a_subset_is_the_subset_bound(seed, instance, exact_q):
    M = instance(seed, k=5, n=6)
    H = list(np.random.default_rng(seed).choice(M.shape[1], size=3, replace=False))
    cert = tree_lower_bound(M, PartitionTree.complete(M.shape[1], H))
    q_sub = exact_q(M[:, H])
    assert cert.value == pytest.approx(q_sub, abs=LP_TOL)
    assert cert.lower == pytest.approx(q_sub, abs=LP_TOL)
    assert cert.lower <= cert.value + 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_complete_tree_on_all_attributes_is_Q(seed, instance, exact_q):
    M = instance(seed, k=5, n=6)
    cert = tree_lower_bound(M, PartitionTree.complete(M.shape[1], range(M.shape[1])))
    assert cert.lower == pytest.approx(exact_q(M), abs=LP_TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_tree_bounds_never_exceed_Q_and_the_certificate_matches_the_lp(seed, instance, exact_q):
    M = instance(seed, k=6, n=7)
    Q = exact_q(M)
    rng = np.random.default_rng(100 + seed)
    for leaves in (1, 3, 9, 20):
        cert = tree_lower_bound(M, _random_tree(M.shape[1], leaves, rng))
        assert cert.lower <= Q + LP_TOL
        # the re-checked dual point gives the LP value back (round-off and solver tolerance)
        assert cert.lower <= cert.value + 1e-12
        assert cert.lower == pytest.approx(cert.value, abs=1e-8)
    grown = grow_partition_tree(M, max_leaves=40, cpu_budget=None)
    assert grown.lower <= Q + LP_TOL
    assert grown.lower == max(r["lower"] for r in grown.history)


@pytest.mark.parametrize("seed", SEEDS)
def test_refining_a_leaf_never_lowers_the_bound(seed, instance):
    M = instance(seed, k=5, n=6)
    rng = np.random.default_rng(200 + seed)
    tree = PartitionTree.complete(M.shape[1])
    prev = tree_lower_bound(M, tree).value
    for _ in range(12):
        tree = _split_random_leaf(tree, rng)
        if tree is None:
            break
        value = tree_lower_bound(M, tree).value
        assert value >= prev - LP_TOL
        prev = value


def test_stored_tree_certificate_rechecks_and_a_broken_one_is_refused(tmp_path, instance):
    M = instance(0, k=6, n=7)
    cert = grow_partition_tree(M, max_leaves=24, cpu_budget=None)
    path = tmp_path / "tree.npz"
    save_certificate(path, M, cert)
    again = check_certificate_file(path, M)
    assert again.lower == cert.lower
    with pytest.raises(ValueError, match="another"):
        check_certificate_file(path, instance(2, k=6, n=7))
    # a dropped leaf: the last node removed, its parent points past the end
    with np.load(path) as z:
        data = dict(z)
    N = data["attribute"].size
    dropped = dict(data, attribute=data["attribute"][:-1], children=data["children"][:-1])
    bad = tmp_path / "dropped.npz"
    np.savez(bad, **dropped)
    with pytest.raises(ValueError, match="cell is missing"):
        check_certificate_file(bad, M)
    # an overlap: a split node's 1-child also used as its 0-child
    kids = data["children"].copy()
    u = int(np.flatnonzero(data["attribute"] >= 0)[0])
    kids[u, 1] = kids[u, 0]
    overlap = tmp_path / "overlap.npz"
    np.savez(overlap, **dict(data, children=kids))
    with pytest.raises(ValueError, match="reached twice|not reached"):
        check_certificate_file(overlap, M)
    assert N == cert.tree.attribute.size


def test_tree_checks_refuse_bad_trees(instance):
    with pytest.raises(ValueError, match="cell is missing"):
        PartitionTree(3, np.array([0, -1]), np.array([[1, -1], [-1, -1]]))
    with pytest.raises(ValueError, match="again on its path"):
        PartitionTree(3, np.array([0, 0, -1, -1, -1]),
                      np.array([[1, 2], [3, 4], [-1, -1], [-1, -1], [-1, -1]]))
    with pytest.raises(ValueError, match="reached twice"):
        PartitionTree(3, np.array([0, -1]), np.array([[1, 1], [-1, -1]]))
    with pytest.raises(ValueError, match="not reached"):
        PartitionTree(3, np.array([-1, -1]), np.array([[-1, -1], [-1, -1]]))
    with pytest.raises(ValueError, match="attribute 5"):
        PartitionTree(3, np.array([5, -1, -1]), np.array([[1, 2], [-1, -1], [-1, -1]]))
    M = instance(0, k=5, n=6)
    with pytest.raises(ValueError, match="tree"):
        tree_lower_bound(M, PartitionTree.complete(4, [0]))
    with pytest.raises(ValueError, match="tree"):
        tree_lower_bound(M, "not a tree")
    with pytest.raises(ValueError, match="hub"):
        grow_partition_tree(M, hub=[0, 0])


def _rho_without_free_term(a, b, tree):
    """The wrong cell bound: unfixed attributes scored 0 instead of ``max(b, 0)``."""
    F1, _ = tree.cells()
    scores = a[None, :] + F1.astype(float) @ b.T  # (cells, k)
    return float(np.maximum(scores, 0.0).sum(axis=1).max())


def test_the_free_attribute_term_is_what_makes_rho_valid(instance, exact_q):
    # weight on attributes the tree never splits (free in every cell) raises D; the checker
    # charges it to rho through max(b, 0), and without that term the "bound" exceeds Q
    for seed in SEEDS:
        M = instance(seed, k=6, n=7)
        Q = exact_q(M)
        cert = grow_partition_tree(M, max_leaves=4, cpu_budget=None)
        unused = ~np.isin(np.arange(M.shape[1]), cert.tree.attribute)
        assert unused.any()
        b = cert.b + 10.0 * unused[None, :]
        good = tree_dual_bound(M, cert.a, b, cert.tree)
        assert good.lower <= Q + LP_TOL
        D = float(np.mean(cert.a + np.einsum("ji,ji->j", b, M)))
        wrong = D / _rho_without_free_term(cert.a, b, cert.tree)
        if (M[:, unused] > 0).any():
            assert wrong > Q + 1e-3

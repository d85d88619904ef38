"""Property tests (hypothesis): every solver of the topic against an independent reference.

Error models (stated once, used below):

- Clarabel (interior point, default gap tolerance 1e-8 relative to the O(N) objective): two
  solves of the same convex program agree to ~1e-8 of the objective's scale
  N (1/tau + log N) (the sum of the terms' magnitudes; the optimum itself can be ~0); we
  allow 1e-6 of that scale.
- With non-negativity the SCL minimiser is exactly the orthogonal frame (Kini et al., Thm. 1),
  whose objective has the closed form
  :math:`\\sum_c n_c[\\log((n_c-1)e^{1/\\tau} + N - n_c) - 1/\\tau]`; the solver's value may sit
  above it by its gap and never below it by more than its feasibility error (1e-6 relative).
- float64 closed forms of O(1) entries over N <= 60 samples: round-off ~N eps, allowed 1e-10
  relative to the problem's scale.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis.neural_collapse import (
    batching_condition,
    labels_from_counts,
    random_batches,
    scl_loss_from_gram,
    solve_scl_ufm,
)
from analysis.neural_collapse.metrics import class_means, nc1_within_class, of_distance_from_gram

SOLVER_REL = 1e-6
ROUNDOFF_REL = 1e-10
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def _objective_scale(counts, tau):
    """Sum of the magnitudes of the N log-sum-exp terms: the scale Clarabel's gap is relative to."""
    N = float(np.sum(counts))
    return N * (1.0 / tau + np.log(N))


def _of_objective(counts, tau):
    counts = np.asarray(counts, dtype=float)
    N = counts.sum()
    return float(np.sum(counts * (np.log((counts - 1) * np.exp(1 / tau) + N - counts) - 1 / tau)))


counts_small = st.lists(st.integers(2, 4), min_size=2, max_size=3)
# degenerate shapes: all classes equal (duplicated blocks), the minimum count 2, and counts
# spread over six orders of magnitude
counts_wide = st.one_of(
    st.lists(st.integers(2, 40), min_size=2, max_size=6),
    st.builds(lambda c, k: [c] * k, st.integers(2, 50), st.integers(2, 6)),
    # count ratios up to 500 (the paper-scale figures use 250); beyond ~1e4 the minority blocks
    # weigh < tol of the objective and the solver's geometry degrades (solve_scl_ufm, ``tol``)
    st.builds(lambda k, big: [2] * k + [big], st.integers(1, 3), st.sampled_from([10, 100, 1000])),
)
taus = st.one_of(st.floats(0.1, 2.0), st.sampled_from([0.1, 0.5, 1.0]))


@settings(max_examples=4, **_SETTINGS)
@given(counts=counts_wide, tau=taus)
def test_nonnegative_block_solver_attains_the_closed_form_of_optimum(counts, tau):
    res = solve_scl_ufm(counts, tau, nonnegative=True, reduction="class_block")
    exact = _of_objective(counts, tau)
    atol = SOLVER_REL * _objective_scale(counts, tau)  # the optimum itself can be ~0
    assert res.objective >= exact - atol
    assert_allclose(res.objective, exact, rtol=0, atol=atol)
    # tight solve: the geometry, not only the value, is the OF
    tight = solve_scl_ufm(counts, tau, nonnegative=True, reduction="class_block", tol=1e-12)
    assert tight.of_distance < 1e-5


@settings(max_examples=3, **_SETTINGS)
@given(counts=counts_small, tau=taus, nonneg=st.booleans())
def test_block_reduction_equals_the_full_gram_program(counts, tau, nonneg):
    full = solve_scl_ufm(counts, tau, nonnegative=nonneg)
    block = solve_scl_ufm(counts, tau, nonnegative=nonneg, reduction="class_block")
    assert_allclose(block.objective, full.objective, rtol=0,
                    atol=SOLVER_REL * _objective_scale(counts, tau))
    # the reduced solution, expanded, is feasible and has the same value in the N x N formula
    G = block.gram
    assert np.linalg.eigvalsh(G).min() >= -1e-6 * G.shape[0]
    assert_allclose(scl_loss_from_gram(G, block.labels, tau), block.objective, rtol=ROUNDOFF_REL)


@settings(max_examples=25, **_SETTINGS)
@given(counts=st.lists(st.integers(2, 6), min_size=2, max_size=4), tau=taus,
       seed=st.integers(0, 2**32 - 1), duplicate=st.booleans(), d=st.integers(1, 6))
def test_gram_loss_matches_a_per_anchor_loop(counts, tau, seed, duplicate, d):
    rng = np.random.default_rng(seed)
    y = labels_from_counts(counts)
    H = rng.standard_normal((y.size, d))
    if duplicate:  # duplicated rows (identical features) and rank <= d
        H[1::2] = H[0::2][: H[1::2].shape[0]]
    H /= np.linalg.norm(H, axis=1, keepdims=True)
    G = H @ H.T
    total = 0.0
    for i in range(y.size):
        others = [k for k in range(y.size) if k != i]
        lse = np.logaddexp.reduce(G[i, others] / tau)
        pos = [j for j in others if y[j] == y[i]]
        total += np.mean([lse - G[i, j] / tau for j in pos])
    # terms are O(log N + 1/tau); N <= 24 of them
    assert_allclose(scl_loss_from_gram(G, y, tau), total, rtol=ROUNDOFF_REL)


@settings(max_examples=30, **_SETTINGS)
@given(counts=st.lists(st.integers(1, 8), min_size=2, max_size=5), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1e-6, 1.0, 1e6]), extra=st.integers(0, 3), rank_deficient=st.booleans())
def test_nc1_matches_a_direct_pinv_formula(counts, seed, scale, extra, rank_deficient):
    rng = np.random.default_rng(seed)
    C = len(counts)
    y = labels_from_counts(counts)
    d = C - 1 + extra
    centres = 3 * rng.standard_normal((C, d))
    if rank_deficient and C > 2:  # class means on a lower-dimensional affine set
        centres[-1] = 0.5 * (centres[0] + centres[1])
    H = scale * (rng.standard_normal((y.size, d)) + centres[y])
    means = class_means(H, y, C)
    Sw = (H - means[y]).T @ (H - means[y]) / y.size
    centred = means - means.mean(axis=0)
    Sb = centred.T @ centred / C
    vals = np.linalg.eigvalsh(Sb)
    # the reference drops eigenvalues that are round-off relative to the largest one
    direct = np.trace(Sw @ np.linalg.pinv(Sb, rcond=1e-9, hermitian=True)) / C
    cond = vals.max() / max(vals[vals > 1e-9 * vals.max()].min(), 1e-300)
    assert_allclose(nc1_within_class(H, y), direct, rtol=1e-9 * max(cond, 1.0) + ROUNDOFF_REL)


@settings(max_examples=30, **_SETTINGS)
@given(n=st.integers(2, 60), size=st.integers(2, 9), seed=st.integers(0, 2**32 - 1))
def test_random_batches_partition_with_at_least_two_per_batch(n, size, seed):
    batches = random_batches(n, size, seed)
    assert sorted(np.concatenate(batches).tolist()) == list(range(n))
    assert min(b.size for b in batches) >= 2 and max(b.size for b in batches) <= size + 1
    # the condition checker accepts every such partition
    y = np.arange(n) % 2
    assert set(batching_condition(batches, y)) == {"within_connected", "between_covered", "holds"}


@settings(max_examples=30, **_SETTINGS)
@given(C=st.integers(2, 8), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-6, 1.0, 1e6]))
def test_of_distance_is_zero_on_any_scaled_orthogonal_gram(C, seed, scale):
    rng = np.random.default_rng(seed)
    G = scale * np.diag(np.full(C, rng.uniform(0.5, 2.0)))
    assert of_distance_from_gram(G) < ROUNDOFF_REL

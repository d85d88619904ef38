"""Tubal sensing GD: gradient formula, the two propagation methods, batching, determinism, k = 1."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from analysis.implicit_reg.sensing import (
    PAPER_SETTINGS,
    code_step_from_paper_step,
    init_directions,
    make_tubal_sensing_problem,
    matrix_sensing_gd,
    measurement_count,
    run_tubal_gd,
    tubal_sensing_gradient,
    tubal_sensing_loss,
)
from analysis.implicit_reg.talgebra import t_product, t_transpose, tubal_rank, tubal_singular_values


@pytest.fixture(scope="module")
def small_problem():
    return make_tubal_sensing_problem(4, 3, 2, c=1.5, n_seeds=3, seed=0)


def test_measurement_count_matches_the_papers_formula():
    # Fig. 2 of the paper / code: ceil(1.2 * 11 * 2 * 4 * log 11)
    assert measurement_count(10, 4, 2, 1.2) == int(np.ceil(1.2 * 11 * 2 * 4 * np.log(11))) == 254
    assert measurement_count(10, 4, 3, 0.9) == 285
    assert code_step_from_paper_step(0.254, 254) == pytest.approx(1e-3)
    assert PAPER_SETTINGS["fig2"]["n_iter"] == 10_000


def test_symmetric_dimension_counts_hermitian_fourier_slices():
    from analysis.implicit_reg.sensing import symmetric_dimension

    for n, k in ((3, 1), (3, 2), (4, 3), (2, 4), (3, 5)):
        # brute force: rank of the projector X -> (X + X^T)/2 on R^(n n k)
        basis = np.eye(n * n * k).reshape(-1, n, n, k)
        sym = np.stack([(B + t_transpose(B)).ravel() / 2 for B in basis])
        assert symmetric_dimension(n, k) == np.linalg.matrix_rank(sym)
    assert symmetric_dimension(10, 4) == 210  # < m = 254 (Fig. 2) and 285 (Figs 3, 4)


def test_ground_truth_has_unit_tubal_singular_values_and_consistent_measurements(small_problem):
    p = small_problem
    X = p.X_star[0].numpy()
    assert tubal_rank(X) == 2
    s = tubal_singular_values(X)
    assert_allclose(s[:, :2], 1.0, atol=1e-12)  # unit tubal singular values in every slice
    assert_allclose(s[:, 2:], 0.0, atol=1e-12)
    assert_allclose(X, t_product(p.U_star[0].numpy(), t_transpose(p.U_star[0].numpy())), atol=1e-14)
    assert_allclose(p.A[1].numpy() @ p.X_star[1].numpy().ravel(), p.y[1].numpy(), atol=1e-12)


def test_symmetrised_measurements_are_t_symmetric():
    p = make_tubal_sensing_problem(3, 4, 1, m=5, n_seeds=1, seed=3, symmetric=True)
    A = p.A[0].numpy().reshape(5, 3, 3, 4)
    for j in range(5):
        assert_allclose(A[j], t_transpose(A[j]), atol=0)


def test_gradient_formula_matches_autograd(small_problem):
    U = torch.randn(4, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1),
                    requires_grad=True)
    tubal_sensing_loss(U, small_problem, 2).backward()
    # float64 autograd through rfft vs the closed form: O(1e-12) on O(1e2) gradients
    assert_allclose(U.grad.numpy(), tubal_sensing_gradient(U.detach(), small_problem, 2).numpy(),
                    rtol=1e-10, atol=1e-9)


def test_gram_and_factor_methods_agree_and_are_deterministic(small_problem):
    kw = dict(width=[3, 5], alpha=[1e-3, 1e-4], step=1e-3, n_iter=150, record_every=50)
    a = run_tubal_gd(small_problem, method="gram", **kw)
    b = run_tubal_gd(small_problem, method="factor", **kw)
    c = run_tubal_gd(small_problem, method="gram", **kw)
    assert a.test_error.shape == (2, 2, 3, 4)
    assert a.slice_singular_values.shape == (2, 2, 3, 4, 2, 4)
    # the two routes are the same iterates in exact arithmetic: float64 round-off only
    for name in ("test_error", "train_error", "angle_spectral", "angle_truth", "slice_singular_values"):
        assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-8, atol=1e-10)
        assert np.array_equal(getattr(a, name), getattr(c, name))  # bit for bit


def test_batched_run_equals_individual_runs(small_problem):
    kw = dict(step=1e-3, n_iter=100, record_every=100, track_power=False)
    both = run_tubal_gd(small_problem, width=6, alpha=[1e-2, 1e-3], **kw)
    one = run_tubal_gd(small_problem, width=6, alpha=1e-3, **kw)
    assert_allclose(both.test_error[:, 1], one.test_error[:, 0], rtol=1e-12)


def test_small_init_gd_recovers_the_ground_truth():
    p = make_tubal_sensing_problem(5, 3, 1, c=2.0, n_seeds=2, seed=4, symmetric=True)
    tr = run_tubal_gd(p, width=10, alpha=1e-4, step=0.15 / (8 * p.m), n_iter=500, record_every=50)
    assert np.all(tr.test_error[0, 0, :, -1] < 1e-3)
    assert np.all(tr.test_error[0, 0, :, 0] > 0.999)  # starts at ~ X = 0


def test_k1_run_matches_matrix_sensing():
    p = make_tubal_sensing_problem(5, 1, 2, c=3.0, n_seeds=1, seed=2)
    step = 0.2 / (4 * p.m)
    tr = run_tubal_gd(p, width=7, alpha=1e-2, step=step, n_iter=80, record_every=80, method="factor")
    U0 = 1e-2 * init_directions(p, 7, 0).numpy()[0, :, :, 0]
    out = matrix_sensing_gd(p.A[0].numpy().reshape(p.m, 5, 5), p.y[0].numpy(), U0, step=step, n_iter=80)
    X_star = p.X_star[0, :, :, 0].numpy()
    assert_allclose(np.linalg.norm(out["X"] - X_star) / np.linalg.norm(X_star), tr.test_error[0, 0, 0, -1],
                    rtol=1e-10)


def test_divergence_is_reported_with_the_step_named(small_problem):
    with pytest.raises(ValueError, match="step: gradient descent diverged"):
        run_tubal_gd(small_problem, width=4, alpha=1.0, step=10.0, n_iter=200, record_every=1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p: run_tubal_gd(p, width=0, alpha=1e-3, step=1e-3, n_iter=1), r"width: expected an integer >= 1"),
        (lambda p: run_tubal_gd(p, width=3, alpha=-1.0, step=1e-3, n_iter=1), r"alpha: expected positive"),
        (lambda p: run_tubal_gd(p, width=3, alpha=1e-3, step=0.0, n_iter=1), r"step: expected a number > 0"),
        (lambda p: run_tubal_gd(p, width=3, alpha=1e-3, step=1e-3, n_iter=1, method="x"), r"method: expected one of"),
        (lambda p: run_tubal_gd("p", width=3, alpha=1e-3, step=1e-3, n_iter=1), r"problem: expected a TubalSensingProblem"),
        (lambda p: make_tubal_sensing_problem(4, 3, 5, c=1.0), r"rank: expected an integer <= 4"),
        (lambda p: make_tubal_sensing_problem(4, 3, 2), r"c: expected an oversampling constant"),
        (lambda p: make_tubal_sensing_problem(4, 3, 2, c=1.0, noise_std=-1.0), r"noise_std: expected a number >= 0"),
        (lambda p: measurement_count(4, 3, 2, 0.0), r"c: expected a number > 0"),
    ],
)
def test_bad_input_is_rejected(small_problem, call, match):
    with pytest.raises(ValueError, match=match):
        call(small_problem)

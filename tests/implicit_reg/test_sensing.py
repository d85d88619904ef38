"""Tubal sensing GD: gradient formula, the two propagation methods, batching, determinism, k = 1."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from analysis.implicit_reg.sensing import (
    PAPER_SETTINGS,
    code_step_from_paper_step,
    figure_settings,
    init_directions,
    make_tubal_sensing_problem,
    matrix_sensing_gd,
    measurement_count,
    run_tubal_gd,
    settings_step,
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


# --- the fast GD loop (Hermitian Fourier coordinates) against the reference loop -----------------

EPS = np.finfo(np.float64).eps


@pytest.mark.parametrize("n, k", [(3, 1), (3, 2), (4, 3), (5, 4), (2, 5), (10, 4)])
def test_hermitian_coordinates_parametrise_t_symmetric_tensors(n, k):
    from analysis.implicit_reg.sensing import _hermitian_coordinates, symmetric_dimension

    pack, unpack, weight, imag = _hermitian_coordinates(n, k)
    d = pack.size
    assert d == symmetric_dimension(n, k)
    rng = np.random.default_rng(n * 10 + k)
    U = rng.standard_normal((n, 3, k))
    X = t_product(U, t_transpose(U))  # t-symmetric
    a = rng.standard_normal((n, n, k))  # any real tensor

    def coords(T):
        T_hat = np.moveaxis(np.fft.rfft(T, axis=-1), -1, 0)
        return np.stack([T_hat.real, T_hat.imag], -1).ravel()[pack]

    def slices(z):
        ext = np.concatenate([z, -z[imag], [0.0]])[unpack].reshape(k // 2 + 1, n, n, 2)
        return ext[..., 0] + 1j * ext[..., 1]

    z, phi_a = coords(X), coords(a + t_transpose(a))
    # the coordinates determine the Hermitian slices (round-off of one FFT)
    X_hat = np.moveaxis(np.fft.rfft(X, axis=-1), -1, 0)
    assert_allclose(slices(z), X_hat, rtol=0, atol=10 * EPS * np.abs(X_hat).max())
    # Parseval: <a, X> = sum_p w_p (Phi a)_p z_p and ||X||^2 = 2 sum_p w_p z_p^2
    assert_allclose(np.sum(weight * phi_a * z), np.sum(a * X), rtol=100 * EPS * n * n * k)
    assert_allclose(2 * np.sum(weight * z**2), np.sum(X**2), rtol=100 * EPS * n * n * k)


def _fast_and_reference(problem, **kw):
    from analysis.implicit_reg.sensing import _run_tubal_gd

    return _run_tubal_gd(problem, loop="fast", **kw), _run_tubal_gd(problem, loop="reference", **kw)


def _assert_same_curves(fast, ref, rank):
    """Error model: each GD step of either loop is backward stable, so the iterates differ by round-off
    that accumulates at most linearly, T * eps relative after T steps (T <= 700 here, so 6 T eps <=
    1e-12). Errors and singular values are well conditioned (Weyl): they agree to 1e-12 of their
    scale. A principal angle of the top-r* eigenspace moves by ||dX|| / (lambda_r* - lambda_r*+1)
    (Davis-Kahan), i.e. by eps * kappa per unit of relative error, kappa = lambda_1 / gap per slice
    (lambda = sigma^2 of the reference's slice singular values): it agrees to 1e-12 + T eps kappa."""
    T = int(ref.iterations[-1])
    for name in ("test_error", "train_error", "slice_singular_values"):
        a, b = getattr(fast, name), getattr(ref, name)
        assert_allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max(), err_msg=name)
    lam = ref.slice_singular_values**2
    gap = lam[..., rank - 1] - lam[..., rank]
    kappa = np.max(lam[..., 0] / np.maximum(gap, np.finfo(float).tiny), axis=-1)
    for name in ("angle_spectral", "angle_truth"):
        a, b = getattr(fast, name), getattr(ref, name)
        assert np.all(np.abs(a - b) <= 1e-12 + T * EPS * kappa), name
    # the power iterate is the same closed form on both routes
    assert_allclose(fast.angle_power, ref.angle_power, rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("fig", ["fig2", "fig3", "fig4"])
def test_fast_loop_gives_the_reference_curves_of_the_tubal_figures(fig):
    # the quick-scale runs of Figs 2-4 (figures._tubal_run), both loops
    from analysis.implicit_reg import figures

    s = figure_settings(fig, "quick")
    p = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=figures.N_SEEDS,
                                   seed=0, symmetric=s["symmetric"])
    fast, ref = _fast_and_reference(
        p, width=s.get("widths", s.get("width")), alpha=s.get("alphas", s.get("alpha")),
        step=settings_step(s, p.m), n_iter=s["n_iter"], record_every=max(1, s["n_iter"] // 400),
        init_seed=1, track_power=(fig == "fig2"))
    _assert_same_curves(fast, ref, s["rank"])


@pytest.mark.parametrize(
    "n, k, rank, m, symmetric, width, method",
    [
        (4, 3, 2, 40, False, [3, 5], "gram"),  # d = 26 <= 2 m: the d x d matrix K
        (4, 3, 2, 40, False, [3, 5], "factor"),
        (4, 3, 2, 10, True, [3, 6], "gram"),  # d = 26 > 2 m: the two factors V diag(w), V^T
        (5, 4, 1, 30, True, 7, "factor"),  # even k: two real slices
        (5, 1, 2, 40, False, 3, "auto"),  # k = 1: matrix sensing
    ],
)
def test_fast_loop_matches_the_reference_loop(n, k, rank, m, symmetric, width, method):
    p = make_tubal_sensing_problem(n, k, rank, m=m, n_seeds=2, seed=5, symmetric=symmetric)
    step = 0.15 / ((8 if symmetric else 2) * p.m)
    fast, ref = _fast_and_reference(p, width=width, alpha=[1e-2, 1e-5], step=step, n_iter=300,
                                    record_every=7, method=method)
    assert fast.params["method"] == ref.params["method"]
    _assert_same_curves(fast, ref, rank)


def test_fast_loop_in_torch_gives_the_numpy_loops_numbers(monkeypatch):
    # on a GPU the fast loop runs in torch; on the CPU through numpy: the same steps
    from analysis.implicit_reg import sensing

    p = make_tubal_sensing_problem(4, 3, 2, c=1.5, n_seeds=2, seed=0)
    kw = dict(width=[3, 6], alpha=[1e-3], step=1e-3, n_iter=200, record_every=20)
    in_numpy = run_tubal_gd(p, **kw)
    monkeypatch.setattr(sensing, "_NUMPY_ON_CPU", False)
    in_torch = run_tubal_gd(p, **kw)
    _assert_same_curves(in_torch, in_numpy, 2)


def test_fast_loop_reports_the_first_divergent_record_of_a_chunk(small_problem):
    from analysis.implicit_reg.sensing import _run_tubal_gd

    kw = dict(width=4, alpha=1.0, step=10.0, n_iter=200, record_every=1)
    messages = []
    for loop in ("fast", "reference"):
        with pytest.raises(ValueError, match="step: gradient descent diverged") as info:
            _run_tubal_gd(small_problem, loop=loop, **kw)
        messages.append(str(info.value))
    assert messages[0] == messages[1]  # the same iteration named

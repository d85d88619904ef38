r"""Tubal tensor sensing by gradient descent from a small random initialisation (batched, torch).

The model of Karnik, Veselovska, Iwen & Krahmer (ICML 2025): recover a symmetric low-tubal-rank
tensor :math:`X^\star = \tilde U * \tilde U^\top` (:math:`\tilde U \in \mathbb R^{n \times r_\star
\times k}` with orthonormal tubal columns, so every tubal singular value equals 1) from ``m``
linear measurements :math:`y_j = \langle X^\star, A_j\rangle` by running gradient descent on an
over-parametrised factor :math:`U \in \mathbb R^{n \times R \times k}`:

.. math::

    f(U) = \tfrac12 \sum_{j=1}^m \big(\langle U * U^\top, A_j\rangle - y_j\big)^2, \qquad
    \nabla f(U) = \Big(\sum_j r_j\, (A_j + A_j^\top)\Big) * U, \qquad
    U_{t+1} = U_t - \mu\, \nabla f(U_t),

with :math:`r_j = \langle U * U^\top, A_j\rangle - y_j`, :math:`U_0 = (\alpha/\sqrt R)\, G`
(:math:`G` i.i.d. N(0, 1)) and :math:`m = \lceil c\,(n+1)\, r_\star k \log(n+1)\rceil`.

**Measurement normalisation.** We follow the authors' code: the entries of :math:`A_j` are
i.i.d. N(0, 1) (optionally symmetrised, :math:`A_j = G_j + G_j^\top`, as the code does for its
Figs 3 and 4), and the loss is the plain half sum of squares above. The paper's text states
N(0, 1/m) entries; that loss is ``1/m`` times ours, so a paper step :math:`\eta` equals our step
:math:`\mu = \eta / m` (:func:`code_step_from_paper_step`). The step sizes in
:data:`PAPER_SETTINGS` are the code's (``nu = 1e-5``).

**Computation.** Every t-product runs in the Fourier domain on the ``k // 2 + 1`` independent
slices. Because each GD step left-multiplies the factor, :math:`\hat U_t^{(\ell)} =
\hat P_t^{(\ell)} \hat U_0^{(\ell)}` with :math:`\hat P_{t+1} = (I - \mu \hat G_t) \hat P_t`;
``method="gram"`` propagates the :math:`n \times n` slices :math:`\hat P_t` and
:math:`\hat U_0 \hat U_0^{\mathsf H}` instead of :math:`\hat U_t` (cost independent of the width
``R``; the same iterates in exact arithmetic), ``method="factor"`` updates :math:`\hat U_t`
itself. The measurement operator is one dense ``(m, n^2 k)`` matrix per seed and seeds (and
initialisation scales) form a batch axis. The GD loop itself works in the real coordinates of
the Hermitian Fourier slices of the t-symmetric :math:`X_t` (``symmetric_dimension(n, k)`` of
them), where one step's measurement and adjoint are a single ``d x d`` product precomputed per
instance and no FFT is needed (:func:`_gd_loop_fast`; the loop before that is kept as
``_run_tubal_gd(..., loop="reference")``, the reference it is tested against).

References
----------
.. [1] S. Karnik, A. Veselovska, M. Iwen, F. Krahmer, "Implicit Regularization for Tubal Tensor
   Factorizations via Gradient Descent", ICML 2025 (arXiv 2410.16247), Sec. 3 (model, Eqs. for
   the loss and GD), Sec. 5 (Figs 2-4); code AnnaVeselovskaUA/tubal-tensor-implicit-reg-GD.
.. [2] D. Stoger, M. Soltanolkotabi, "Small random initialization is akin to spectral
   learning", NeurIPS 2021 (the matrix case k = 1).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.validate import (
    as_array,
    check_budget,
    check_choice,
    check_int,
    check_positive,
    check_real,
)
from analysis.implicit_reg.talgebra import t_product, t_svd, t_transpose

#: Settings of the paper's figures in the code's normalisation (N(0, 1) measurements, step nu).
PAPER_SETTINGS = {
    "fig2": dict(n=10, k=4, rank=2, c=1.2, width=100, alpha=1e-7, step=1e-5, n_iter=10_000,
                 symmetric=False),
    "fig3": dict(n=10, k=4, rank=3, c=0.9, widths=(10, 50, 100, 200, 400), alpha=1e-7, step=1e-5,
                 n_iter=4_000, symmetric=True),
    "fig4": dict(n=10, k=4, rank=3, c=0.9, width=200, alphas=(1e-2, 1e-4, 1e-6, 1e-8), step=1e-5,
                 n_iter=4_000, symmetric=True),
}

#: Quick-scale settings of the same figures: the paper's regime scaled down (n = 6, k = 3), with
#: steps giving a per-step spectral growth ``growth`` of ~0.15 (``2 m mu`` for plain, ``8 m mu``
#: for symmetrised Gaussian measurements; :func:`settings_step`).
QUICK_SETTINGS = {
    "fig2": dict(n=6, k=3, rank=2, c=1.2, width=24, alpha=1e-6, growth=0.15, n_iter=400,
                 symmetric=False),
    "fig3": dict(n=6, k=3, rank=2, c=1.2, widths=(2, 6, 24, 48), alpha=1e-6, growth=0.15, n_iter=300,
                 symmetric=True),
    "fig4": dict(n=6, k=3, rank=2, c=1.2, width=24, alphas=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6),
                 growth=0.15, n_iter=700, symmetric=True),
}


def figure_settings(fig: str, scale: str) -> dict:
    """A copy of the settings behind Karnik et al.'s Fig. 2, 3 or 4 at ``scale``.

    Parameters
    ----------
    fig : {"fig2", "fig3", "fig4"}
    scale : {"quick", "paper"}
        :data:`QUICK_SETTINGS` or :data:`PAPER_SETTINGS`.

    Examples
    --------
    >>> from analysis.implicit_reg.sensing import figure_settings
    >>> s = figure_settings("fig4", "paper")
    >>> s["n"], s["k"], s["width"], s["step"]
    (10, 4, 200, 1e-05)
    """
    fig = check_choice(fig, "fig", tuple(PAPER_SETTINGS))
    scale = check_choice(scale, "scale", ("quick", "paper"))
    return dict((PAPER_SETTINGS if scale == "paper" else QUICK_SETTINGS)[fig])


def settings_step(settings: dict, m: int) -> float:
    r"""The GD step of ``settings`` (:func:`figure_settings`) for ``m`` N(0, 1) measurements.

    ``settings["step"]`` when given (the paper's :math:`\nu`), else
    :math:`\mu = g / (c\, m)` with the growth ``g = settings["growth"]`` and ``c = 8`` for
    symmetrised, ``2`` for plain measurements (the per-step spectral growth ``c m mu``).

    Examples
    --------
    >>> from analysis.implicit_reg.sensing import figure_settings, settings_step
    >>> settings_step(figure_settings("fig2", "quick"), 100)  # 0.15 / (2 * 100)
    0.00075
    """
    m = check_int(m, "m", minimum=1)
    if "step" in settings:
        return check_positive(settings["step"], "settings['step']")
    growth = check_positive(settings["growth"], "settings['growth']")
    return growth / ((8 if settings["symmetric"] else 2) * m)


def measurement_count(n: int, k: int, rank: int, c: float) -> int:
    r"""Number of measurements :math:`m = \lceil c\,(n+1)\, r_\star k \log(n+1) \rceil`.

    References
    ----------
    .. [1] Karnik et al. (2025), Sec. 5; code ``numData``.

    Examples
    --------
    >>> from analysis.implicit_reg import measurement_count
    >>> measurement_count(10, 4, 2, 1.2)  # Fig. 2: ceil(1.2 * 11 * 2 * 4 * log 11)
    254
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    rank = check_int(rank, "rank", minimum=1, maximum=n)
    c = check_positive(c, "c")
    return int(math.ceil(c * (n + 1) * rank * k * math.log(n + 1)))


def symmetric_dimension(n: int, k: int) -> int:
    r"""Real dimension of the space of t-symmetric :math:`n \times n \times k` tensors.

    :math:`X = X^\top` means Hermitian Fourier slices; the real slices (:math:`\ell = 0` and
    :math:`\ell = k/2` for even k) carry :math:`n(n+1)/2` real parameters, every other
    independent slice :math:`n^2`. Measurements ``m`` at or above this number determine a
    t-symmetric :math:`X^\star` uniquely for generic Gaussian :math:`A_j`.

    Examples
    --------
    >>> from analysis.implicit_reg import symmetric_dimension
    >>> symmetric_dimension(3, 1), symmetric_dimension(10, 4)  # n(n+1)/2; 2 n(n+1)/2 + n^2
    (6, 210)
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    n_real = 1 + (k % 2 == 0 and k > 1)
    n_complex = k // 2 + 1 - n_real
    return n_real * n * (n + 1) // 2 + n_complex * n * n


def code_step_from_paper_step(paper_step: float, m: int) -> float:
    r"""Convert a step for N(0, 1/m) measurements (paper) to N(0, 1) measurements (code).

    .. math:: f_{\text{paper}} = f_{\text{code}} / m \;\Rightarrow\; \mu_{\text{code}} =
        \eta_{\text{paper}} / m.

    Examples
    --------
    >>> from analysis.implicit_reg import code_step_from_paper_step
    >>> code_step_from_paper_step(0.5, 100)
    0.005
    """
    return check_positive(paper_step, "paper_step") / check_int(m, "m", minimum=1)


@dataclass(frozen=True)
class TubalSensingProblem:
    r"""A batch of independent tubal-sensing instances (one per seed), as torch tensors.

    Attributes
    ----------
    X_star : (S, n, n, k) ground truths :math:`\tilde U * \tilde U^\top`.
    U_star : (S, n, r, k) their orthonormal tubal factors.
    A : (S, m, n*n*k) measurement tensors, flattened in C order of (n, n, k).
    y : (S, m) measurements :math:`y_j = \langle X^\star, A_j \rangle` (+ noise if asked).
    spectral_basis : (S, n, r, k) tubal subspace of the ``r`` largest *signed* eigenvalues per
        Fourier slice of the symmetrised spectral estimate :math:`\tfrac12 (M + M^\top)`,
        :math:`M = \sum_j y_j A_j = \mathcal A^*(y)` (:func:`spectral_subspace`; the
        authors' code uses the top-r singular vectors instead, see there).
    seeds : the per-instance seeds.
    symmetric : whether the measurements were symmetrised (:math:`G_j + G_j^\top`).

    Examples
    --------
    >>> from analysis.implicit_reg import TubalSensingProblem, make_tubal_sensing_problem
    >>> problem = make_tubal_sensing_problem(4, 3, 1, m=40, n_seeds=2, seed=0)
    >>> isinstance(problem, TubalSensingProblem), problem.n, problem.k, problem.rank, problem.m
    (True, 4, 3, 1, 40)
    >>> problem.n_seeds, tuple(problem.A.shape)  # A: (S, m, n*n*k)
    (2, (2, 40, 48))
    """

    X_star: object
    U_star: object
    A: object
    y: object
    spectral_basis: object
    seeds: tuple
    symmetric: bool
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Side of the square frontal slices."""
        return int(self.X_star.shape[1])

    @property
    def k(self) -> int:
        """Tube length."""
        return int(self.X_star.shape[3])

    @property
    def rank(self) -> int:
        """Tubal rank of the ground truth."""
        return int(self.U_star.shape[2])

    @property
    def m(self) -> int:
        """Number of measurements per instance."""
        return int(self.A.shape[1])

    @property
    def n_seeds(self) -> int:
        """Number of independent instances in the batch."""
        return int(self.A.shape[0])


def make_tubal_sensing_problem(
    n: int,
    k: int,
    rank: int,
    *,
    c: float | None = None,
    m: int | None = None,
    n_seeds: int = 1,
    seed: int = 0,
    symmetric: bool = False,
    noise_std: float = 0.0,
    device: str = "cpu",
    dtype: str = "float64",
) -> TubalSensingProblem:
    r"""Draw ``n_seeds`` independent tubal-sensing instances.

    For each instance: :math:`\tilde U` = left t-SVD factor of an :math:`n \times r \times k`
    Gaussian tensor, :math:`X^\star = \tilde U * \tilde U^\top`, :math:`A_j` i.i.d. N(0, 1)
    (or :math:`G_j + G_j^\top` when ``symmetric``), :math:`y_j = \langle X^\star, A_j\rangle`.

    Parameters
    ----------
    n, k, rank : int
        Slice size, tube length and tubal rank :math:`r_\star \le n`.
    c : float, optional
        Oversampling constant; ``m = measurement_count(n, k, rank, c)``. Give ``c`` or ``m``.
    m : int, optional
        Number of measurements (overrides ``c``).
    n_seeds : int
        Number of independent instances (the batch).
    seed : int
        Parent seed; instance ``i`` uses ``spawn_seeds(seed, n_seeds)[i]``.
    symmetric : bool
        Symmetrise the measurement tensors (the code's Figs 3 and 4).
    noise_std : float
        Standard deviation of additive Gaussian noise on ``y`` relative to ``||y||/sqrt(m)``
        (0: noiseless, the paper's setting).
    device, dtype : str
        torch device and dtype of the stored tensors (data are drawn with numpy in float64, so
        the instance does not depend on the device).

    References
    ----------
    .. [1] Karnik et al. (2025), Sec. 5 ("normalised" ground truth); code of Figs 2-4.

    Examples
    --------
    >>> import torch
    >>> from analysis.implicit_reg import make_tubal_sensing_problem
    >>> problem = make_tubal_sensing_problem(4, 3, 1, c=3.0, n_seeds=2, seed=0)
    >>> problem.m, tuple(problem.X_star.shape)  # m = measurement_count(4, 3, 1, 3.0)
    (73, (2, 4, 4, 3))
    >>> bool(torch.allclose(problem.y[0], problem.A[0] @ problem.X_star[0].reshape(-1)))  # <X*, A_j>
    True
    """
    import torch

    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    rank = check_int(rank, "rank", minimum=1, maximum=n)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    if c is not None:
        c = check_positive(c, "c")
    if m is None:
        if c is None:
            raise ValueError("c: expected an oversampling constant c or a measurement count m, "
                             "got neither")
        m = measurement_count(n, k, rank, c)
    m = check_int(m, "m", minimum=1)
    if not isinstance(symmetric, bool):
        raise ValueError(f"symmetric: expected a bool, got {symmetric!r}")
    noise_std = check_real(noise_std, "noise_std", minimum=0.0)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    # the dense measurement tensors dominate: G and A of one instance while drawing, then the
    # stacked numpy copy and the torch tensor of all S instances
    D = float(n) * n * k
    check_budget("n, k, m, n_seeds", n_bytes=8.0 * m * D * (2 * n_seeds + 2),
                 what=f"{n_seeds} measurement operators of shape ({m}, {n}*{n}*{k})")
    seeds = tuple(spawn_seeds(seed, n_seeds))
    U_list, X_list, A_list, y_list, L_list = [], [], [], [], []
    for s in seeds:
        rng = make_rng(s)
        U = t_svd(rng.standard_normal((n, rank, k))).U[:, :rank]
        X = t_product(U, t_transpose(U))
        G = rng.standard_normal((m, n, n, k))
        if symmetric:
            G = G + np.swapaxes(G[..., [(-j) % k for j in range(k)]], 1, 2)
        A = G.reshape(m, -1)
        y = A @ X.ravel()
        if noise_std > 0:
            y = y + noise_std * np.linalg.norm(y) / math.sqrt(m) * rng.standard_normal(m)
        M = (A.T @ y).reshape(n, n, k)
        L = spectral_subspace(0.5 * (M + t_transpose(M)), rank)
        U_list.append(U), X_list.append(X), A_list.append(A), y_list.append(y), L_list.append(L)

    def stack(items):
        return torch.as_tensor(np.stack(items), dtype=dt, device=dev)

    return TubalSensingProblem(
        X_star=stack(X_list), U_star=stack(U_list), A=stack(A_list), y=stack(y_list),
        spectral_basis=stack(L_list), seeds=seeds, symmetric=symmetric,
        meta={"n": n, "k": k, "rank": rank, "m": m, "c": c, "seed": seed, "noise_std": noise_std},
    )


def spectral_subspace(M_sym, rank: int) -> np.ndarray:
    r"""Tubal subspace of the ``rank`` largest (signed) eigenvalues of each Fourier slice.

    For a t-symmetric :math:`M` (Hermitian Fourier slices :math:`\hat M^{(\ell)}`) returns the
    real :math:`n \times r \times k` tensor :math:`L` whose Fourier slice :math:`\ell` holds the
    eigenvectors of the ``rank`` algebraically largest eigenvalues of :math:`\hat M^{(\ell)}`:

    .. math:: \hat L^{(\ell)} = \operatorname{eigvecs}_{1..r}\big(\hat M^{(\ell)}\big),
        \quad \lambda_1^{(\ell)} \ge \dots \ge \lambda_r^{(\ell)} \text{ (signed)}.

    Slices 0 and ``k/2`` (k even) are real symmetric, so their eigenvectors are taken real; the
    other slices are the independent half of a conjugate-symmetric set, so ``irfft`` returns a
    real tensor.

    **Why signed eigenvalues.** Near :math:`U = 0` a GD step multiplies each Fourier slice by
    :math:`I + 2\mu \hat M^{(\ell)}` (:math:`M = \mathcal A^*(y)` symmetrised), so the spectral
    phase amplifies the directions of the largest *positive* eigenvalues and damps those of
    negative ones. The authors' code takes the top-r left singular vectors (``pagesvd``), i.e.
    the largest :math:`|\lambda|`: when a negative eigenvalue outweighs the r-th positive one in
    some slice, that subspace contains a direction GD never aligns with (18 of 50 instances at
    the Fig. 3/4 setting). We depart from the code here.

    References
    ----------
    .. [1] Karnik et al. (2025), Sec. 3-4 (spectral initialisation and the spectral phase);
       Stoger & Soltanolkotabi (2021), Sec. 3 (the matrix case).
    """
    M_sym = as_array(M_sym, "M_sym", ndim=3)
    n, n2, k = M_sym.shape
    if n != n2:
        raise ValueError(f"M_sym: expected square frontal slices (n, n, k), got shape {M_sym.shape}")
    rank = check_int(rank, "rank", minimum=1, maximum=n)
    M_hat = np.moveaxis(np.fft.rfft(M_sym, axis=-1), -1, 0)  # (kh, n, n)
    L_hat = np.empty((M_hat.shape[0], n, rank), dtype=complex)
    for ell, S in enumerate(M_hat):
        S = 0.5 * (S + S.conj().T)
        real_slice = ell == 0 or (k % 2 == 0 and ell == k // 2)
        _, vecs = np.linalg.eigh(S.real if real_slice else S)
        L_hat[ell] = vecs[:, ::-1][:, :rank]
    return np.fft.irfft(np.moveaxis(L_hat, 0, -1), n=k, axis=-1)


def init_directions(problem: TubalSensingProblem, width: int, seed: int, *,
                    effective_width: int | None = None):
    r"""Unit-scale initial factors :math:`G / \sqrt R` (G i.i.d. N(0, 1)), one per instance.

    Parameters
    ----------
    problem : TubalSensingProblem
    width : int
        Number of tubal columns R.
    seed : int
        Parent seed; instance ``i`` uses child ``i`` of ``spawn_seeds(seed, S)``.
    effective_width : int, optional
        If given (< R), only that many independent columns are drawn and the others repeat
        them (a rank-deficient initialisation; used to break the over-parametrisation claim).

    Returns
    -------
    torch.Tensor, shape (S, n, R, k)
    """
    import torch

    width = check_int(width, "width", minimum=1)
    eff = width if effective_width is None else check_int(effective_width, "effective_width",
                                                          minimum=1, maximum=width)
    out = []
    for s in spawn_seeds(seed, problem.n_seeds):
        G = make_rng(s).standard_normal((problem.n, eff, problem.k))
        G = G[:, np.arange(width) % eff]
        out.append(G / math.sqrt(width))
    return torch.as_tensor(np.stack(out), dtype=problem.A.dtype, device=problem.A.device)


@dataclass(frozen=True)
class TubalGDTrajectory:
    r"""Trajectories of every measured quantity, shape ``(n_width, n_alpha, n_seeds, T, ...)``.

    Attributes
    ----------
    iterations : (T,) iteration index of every record (0 = the initialisation).
    alphas : (n_alpha,) initialisation scales.
    widths : (n_width,) over-parametrisations R.
    test_error : relative test error :math:`\|U_t * U_t^\top - X^\star\|_F / \|X^\star\|_F`.
    train_error : relative train error :math:`\|\mathcal A(U_t * U_t^\top) - y\|_2 / \|y\|_2`.
    slice_singular_values : (..., T, k // 2 + 1, n) singular values of each Fourier slice of
        :math:`U_t` (descending; the tubal singular values of :math:`X^\star` are all 1).
    angle_spectral : sine of the tubal principal angle between the top-:math:`r_\star`
        subspace of :math:`U_t * U_t^\top` and the spectral subspace ``L``.
    angle_truth : the same angle to the ground-truth subspace :math:`\tilde U`.
    angle_power : the angle between the top-:math:`r_\star` subspace of the power-method iterate
        :math:`(I + \mu \mathcal A^*\mathcal A(X^\star)_{\rm sym})^t * U_0` and ``L``; NaN once
        its :math:`r_\star`-th eigenvalue falls below 1e-8 of the first in some slice (then
        float64 cannot resolve the subspace), and NaN throughout when ``track_power`` is False.
    params : the run's parameters.

    Examples
    --------
    >>> from analysis.implicit_reg import TubalGDTrajectory, make_tubal_sensing_problem, run_tubal_gd
    >>> problem = make_tubal_sensing_problem(4, 3, 1, c=3.0, seed=0)
    >>> traj = run_tubal_gd(problem, width=4, alpha=1e-3, step=1e-3, n_iter=300, record_every=100)
    >>> isinstance(traj, TubalGDTrajectory), traj.slice_singular_values.shape  # 3 // 2 + 1 slices
    (True, (1, 1, 1, 4, 2, 4))
    >>> err = traj.sigma_r_error(1)[0, 0, 0]  # sigma_1 of every slice grows from alpha to 1
    >>> bool(err[0] > 0.9 and err[-1] < 1e-3)
    True
    """

    iterations: np.ndarray
    alphas: np.ndarray
    widths: np.ndarray
    test_error: np.ndarray
    train_error: np.ndarray
    slice_singular_values: np.ndarray
    angle_spectral: np.ndarray
    angle_truth: np.ndarray
    angle_power: np.ndarray
    params: dict

    def sigma_r_error(self, rank: int) -> np.ndarray:
        r"""Relative error of the ``rank``-th tubal singular values over the Fourier slices.

        .. math:: \|\sigma_{r_\star}(\hat U_t) - \mathbf 1\|_2 / \|\mathbf 1\|_2
            \quad (\text{over the } k//2+1 \text{ independent slices}).
        """
        s = self.slice_singular_values[..., rank - 1]
        return np.sqrt(np.mean((s - 1.0) ** 2, axis=-1))


def _hermitian_top(X_hat, r: int):
    """Eigen-decomposition of Hermitian slices: singular values (desc.) and top-r eigenvectors."""
    import torch

    evals, evecs = torch.linalg.eigh(X_hat)
    return evals.flip(-1), evecs[..., -r:]


def run_tubal_gd(
    problem: TubalSensingProblem,
    *,
    width: int | list | tuple,
    alpha: float | list | tuple | np.ndarray,
    step: float,
    n_iter: int,
    record_every: int = 1,
    init_seed: int = 0,
    method: str = "auto",
    effective_width: int | None = None,
    track_power: bool = True,
) -> TubalGDTrajectory:
    r"""Tubal-sensing GD from a small random init, batched over instances, widths and scales.

    Minimises :math:`f(U) = \frac12\|\mathcal A(U * U^\top) - y\|^2` from
    :math:`U_0 = \alpha\, G/\sqrt R`.

    Parameters
    ----------
    problem : TubalSensingProblem
        ``S`` instances (their tensors fix the device and dtype of the run).
    width : int or sequence of int
        Over-parametrisation(s) R (number of tubal columns of U).
    alpha : float or 1-D sequence of float
        Initialisation scale(s) :math:`\alpha > 0`; the same direction G is scaled by each.
    step : float
        GD step :math:`\mu` in the N(0, 1) normalisation (see the module docstring).
    n_iter : int
        Number of GD steps.
    record_every : int
        Record the measured quantities every this many steps (and at 0 and ``n_iter``).
    init_seed : int
        Seed of the initial directions (:func:`init_directions`).
    method : {"auto", "gram", "factor"}
        ``"gram"`` propagates :math:`\hat P_t` with :math:`\hat U_t = \hat P_t \hat U_0`
        (cost independent of R, and all widths run as one batch), ``"factor"`` updates
        :math:`\hat U_t` (one width at a time); ``"auto"`` picks ``"gram"`` unless a single
        width R <= n is given.
    effective_width : int, optional
        Rank-deficient initialisation (see :func:`init_directions`).
    track_power : bool
        Also run the linearised "power method" iterate (for ``angle_power``; NaN otherwise).

    Returns
    -------
    TubalGDTrajectory
        Arrays of shape ``(n_width, n_alpha, S, T, ...)``.

    Raises
    ------
    ValueError
        On bad arguments, or if GD diverges (non-finite iterates: the step is too large).

    References
    ----------
    .. [1] Karnik et al. (2025), Sec. 3 (GD on the tubal factorisation), Sec. 5 (measured
       quantities of Figs 2-4).

    Examples
    --------
    >>> from analysis.implicit_reg import make_tubal_sensing_problem, run_tubal_gd
    >>> problem = make_tubal_sensing_problem(4, 3, 1, c=3.0, n_seeds=2, seed=0)
    >>> traj = run_tubal_gd(problem, width=4, alpha=1e-3, step=1e-3, n_iter=300, record_every=100)
    >>> traj.test_error.shape, traj.iterations.tolist()  # (n_width, n_alpha, n_seeds, T)
    ((1, 1, 2, 4), [0, 100, 200, 300])
    >>> bool(np.all(traj.test_error[..., -1] < 1e-3))  # X* recovered from a small initialisation
    True
    """
    return _run_tubal_gd(problem, width=width, alpha=alpha, step=step, n_iter=n_iter,
                         record_every=record_every, init_seed=init_seed, method=method,
                         effective_width=effective_width, track_power=track_power, loop="fast")


def _run_tubal_gd(problem, *, width, alpha, step, n_iter, record_every=1, init_seed=0,
                  method="auto", effective_width=None, track_power=True, loop="fast"):
    """:func:`run_tubal_gd` with a choice of GD loop; the setup and the records are shared.

    ``loop="fast"`` (what :func:`run_tubal_gd` runs) steps in Hermitian Fourier coordinates
    (:func:`_gd_loop_fast`); ``loop="reference"`` is the original loop (measurement products
    ``A x`` and ``A^T r`` and FFTs every step), kept as the reference the fast loop is tested
    against (tests/implicit_reg/test_sensing.py) and timed against
    (benchmarks/bench_implicit_reg.py). Both take the same iterates in exact arithmetic.
    """
    import torch

    loop = check_choice(loop, "loop", ("fast", "reference"))
    if not isinstance(problem, TubalSensingProblem):
        raise ValueError(f"problem: expected a TubalSensingProblem, got {type(problem).__name__}")
    widths = [check_int(w, "width", minimum=1) for w in np.atleast_1d(np.asarray(width)).tolist()]
    alphas = as_array(np.atleast_1d(np.asarray(alpha, dtype=float)), "alpha", ndim=1, min_size=1)
    if np.any(alphas <= 0):
        raise ValueError(f"alpha: expected positive initialisation scales, got {alphas.tolist()}")
    step = check_positive(step, "step")
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    init_seed = check_int(init_seed, "init_seed", minimum=0)
    if effective_width is not None:
        effective_width = check_int(effective_width, "effective_width", minimum=1,
                                    maximum=min(widths))
    if not isinstance(track_power, (bool, np.bool_)):
        raise ValueError(f"track_power: expected a bool, got {track_power!r}")
    _check_tubal_gd_budget(problem, widths, len(alphas), n_iter, record_every)
    method = check_choice(method, "method", ("auto", "gram", "factor"))
    if method == "auto":
        method = "factor" if len(widths) == 1 and widths[0] <= problem.n else "gram"
    if method == "factor" and len(widths) > 1:
        parts = [_run_tubal_gd(problem, width=w, alpha=alphas, step=step, n_iter=n_iter,
                               record_every=record_every, init_seed=init_seed, method="factor",
                               effective_width=effective_width, track_power=track_power,
                               loop=loop)
                 for w in widths]
        fields = ("test_error", "train_error", "slice_singular_values", "angle_spectral",
                  "angle_truth", "angle_power")
        return TubalGDTrajectory(
            iterations=parts[0].iterations, alphas=alphas, widths=np.asarray(widths),
            **{f: np.concatenate([getattr(q, f) for q in parts], axis=0) for f in fields},
            params={**parts[0].params, "widths": widths},
        )

    n, k, r = problem.n, problem.k, problem.rank
    kh = k // 2 + 1
    S, nW, nA = problem.n_seeds, len(widths), len(alphas)
    B = nW * nA  # configurations (width, alpha), flattened
    dt, dev = problem.A.dtype, problem.A.device
    A, y = problem.A, problem.y  # (S, m, D), (S, m)
    A_T = A.transpose(-2, -1).contiguous()
    y_norm = torch.linalg.vector_norm(y, dim=-1)  # (S,)
    X_star = problem.X_star
    X_star_norm = torch.linalg.vector_norm(X_star.reshape(S, -1), dim=-1)

    def fourier(T):  # (..., n1, n2, k) -> (..., kh, n1, n2)
        return torch.movedim(torch.fft.rfft(T, dim=-1), -1, -3)

    def real(T_hat):
        return torch.fft.irfft(torch.movedim(T_hat, -3, -1), n=k, dim=-1)

    def herm(T):
        return T.conj().transpose(-2, -1)

    L_hat = torch.linalg.qr(fourier(problem.spectral_basis))[0]  # (S, kh, n, r)
    Ustar_hat = torch.linalg.qr(fourier(problem.U_star))[0]
    a = torch.as_tensor(alphas, dtype=dt, device=dev).reshape(nA, 1, 1, 1, 1)
    U0_hats = [a * fourier(init_directions(problem, w, init_seed, effective_width=effective_width)
                           ).unsqueeze(0) for w in widths]  # each (nA, S, kh, n, R)
    C0_hat = torch.cat([U @ herm(U) for U in U0_hats]).reshape(B, S, kh, n, n)
    # a factor L0 with U_0 = L0 Q^H (Q^H Q = I), from the QR factorisation U_0^H = Q R: L0 = R^H,
    # so the singular values of U_t = P_t U_0 are those of P_t L0 (an SVD resolves them to
    # eps * sigma_max; sqrt(eig(X_t)) only to sqrt(eps)). Taking L0 from QR rather than from an
    # eigen square root of C0 = U_0 U_0^H keeps a width R < n exact: L0 has R columns (padded with
    # exact zeros), where sqrt(eig(C0)) left O(sqrt(eps) ||U_0||) in the n - R structural zeros,
    # which P_t can amplify past sqrt(eps) of the top singular value (issue 13: n=3, k=1, R=1)
    L0_parts = []
    for U in U0_hats:
        R_fac = torch.linalg.qr(herm(U))[1]  # (nA, S, kh, min(R, n), n)
        L0 = herm(R_fac)
        pad = torch.zeros(L0.shape[:-1] + (n - L0.shape[-1],), dtype=L0.dtype, device=dev)
        L0_parts.append(torch.cat([L0, pad], dim=-1))
    L0_hat = torch.cat(L0_parts).reshape(B, S, kh, n, n)
    eye = torch.eye(n, dtype=C0_hat.dtype, device=dev).expand(B, S, kh, n, n)
    P_hat = eye.clone()
    U_hat = U0_hats[0].reshape(B, S, kh, n, widths[0]) if method == "factor" else None
    # power method: -grad f at U = 0 is (M0 + M0^T) * U with M0 = A^*(y); its linearisation
    M0 = (A_T @ y.unsqueeze(-1)).reshape(S, n, n, k)
    G0_hat = fourier(M0 + t_transpose(M0))
    # (I + mu G0)^t in closed form from the eigen-decomposition of the Hermitian slices of G0,
    # so the power iterate costs nothing per step; log-growth rates, rescaled per slice by the
    # fastest one (the subspace is scale-invariant and the slices grow at different rates)
    g_val, g_vec = torch.linalg.eigh(G0_hat)  # (S, kh, n), (S, kh, n, n)
    base = 1.0 + step * g_val
    log_growth = torch.log(base.abs())
    log_growth = log_growth - log_growth.amax(dim=-1, keepdim=True)
    rev = [(-j) % k for j in range(k)]

    records = sorted(set(range(0, n_iter + 1, record_every)) | {n_iter})
    n_rec = len(records)
    out = {name: torch.full((B, S, n_rec), float("nan"), dtype=dt, device=dev)
           for name in ("test", "train", "ang_L", "ang_truth", "ang_power")}
    sv = torch.empty((B, S, n_rec, kh, n), dtype=dt, device=dev)

    def record(i, ts, X_hat, test_dist, resid, U_factor):
        r"""Measure the iterations ``ts`` into the records ``i`` (a slice of ``len(ts)``).

        Every tensor has shape (C, B, S, ...) with C = ``len(ts)``: one call measures a chunk of
        records, so that the many small eigen- and singular-value problems share their
        per-call overhead. ``test_dist`` is :math:`\|X_t - X^\star\|_F`, ``resid`` the
        residuals :math:`\mathcal A(X_t) - y`, ``U_factor`` a factor with the singular values
        of :math:`\hat U_t` (:math:`\hat P_t L_0` on the gram route).
        """
        finite = torch.isfinite(resid).flatten(1).all(dim=-1)
        if not bool(finite.all()):
            t = ts[int(torch.nonzero(~finite)[0, 0])]
            raise ValueError(f"step: gradient descent diverged with step={step:g} by iteration {t} "
                             "(non-finite iterates); use a smaller step or initialisation scale")

        def put(name, value):  # (C, B, S) -> out[name][:, :, i]
            out[name][:, :, i] = torch.movedim(value, 0, -1)

        put("test", test_dist / X_star_norm)
        put("train", torch.linalg.vector_norm(resid, dim=-1) / y_norm)
        _, top = _hermitian_top(X_hat, r)
        s_vals = torch.movedim(torch.linalg.svdvals(U_factor), 0, 2)  # (B, S, C, kh, min(n, c))
        sv[:, :, i] = 0.0  # a width R < n has only R singular values per slice
        sv[:, :, i, :, : s_vals.shape[-1]] = s_vals[..., :n]
        put("ang_L", _angle(top, L_hat))
        put("ang_truth", _angle(top, Ustar_hat))
        if track_power:
            t = torch.as_tensor(ts, dtype=dt, device=dev).reshape(-1, 1, 1, 1)
            power = torch.exp(t * log_growth) * torch.sign(base) ** t  # (C, S, kh, n)
            Q_hat = ((g_vec * power.unsqueeze(-2).to(g_vec.dtype)) @ herm(g_vec)).unsqueeze(1)
            ev_power, top_power = _hermitian_top(Q_hat @ C0_hat @ herm(Q_hat), r)
            # the r*-th eigenvalue decays geometrically relative to the first; eigh's subspace
            # error is ~ eps * lambda_1 / gap, so past a ratio of 1e-8 the angle is round-off
            resolvable = (ev_power[..., r - 1] / ev_power[..., 0]).amin(dim=-1) > 1e-8
            nan = torch.full(resolvable.shape, float("nan"), dtype=dt, device=dev)
            put("ang_power", torch.where(resolvable, _angle(top_power, L_hat), nan))

    if loop == "fast":
        # U_t = P_t U_0 = (P_t L0) Q^H, so X_t = F_t F_t^H with F_t = P_t L0 (n columns) and
        # F_{t+1} = F_t - mu G_t F_t: the gram route is the factor route started from L0
        _gd_loop_fast(A, y, X_star, L0_hat if method == "gram" else U_hat, step=step,
                      records=records, on_record=record)
    else:  # the original loop: A x and A^T r every step, FFTs of M + M^T
        rec_idx = 0
        for t in range(n_iter + 1):
            X_hat = P_hat @ C0_hat @ herm(P_hat) if method == "gram" else U_hat @ herm(U_hat)
            X = real(X_hat)  # (B, S, n, n, k)
            # (S, m, D) @ (S, D, B): one batched product per instance, no broadcast copy of A
            resid = _bmm(A, X.reshape(B, S, -1).permute(1, 2, 0)).permute(2, 0, 1) - y  # (B, S, m)
            if t == records[rec_idx]:
                test_dist = torch.linalg.vector_norm((X - X_star).reshape(B, S, -1), dim=-1)
                U_factor = P_hat @ L0_hat if method == "gram" else U_hat
                record(slice(rec_idx, rec_idx + 1), [t], X_hat[None], test_dist[None],
                       resid[None], U_factor[None])
                rec_idx += 1
            if t == n_iter:
                break
            M = _bmm(A_T, resid.permute(1, 2, 0)).permute(2, 0, 1).reshape(B, S, n, n, k)
            G_hat = fourier(M + M[..., rev].transpose(-3, -2))
            if method == "gram":
                P_hat = P_hat - step * (G_hat @ P_hat)
            else:
                U_hat = U_hat - step * (G_hat @ U_hat)

    result = {name: val.cpu().numpy().reshape(nW, nA, S, n_rec) for name, val in out.items()}
    checked = [v for name, v in result.items() if name != "ang_power"]
    if not all(np.all(np.isfinite(v)) for v in checked):
        raise ValueError(f"step: gradient descent diverged with step={step:g} (non-finite iterates); "
                         "use a smaller step")
    return TubalGDTrajectory(
        iterations=np.asarray(records),
        alphas=alphas,
        widths=np.asarray(widths),
        test_error=result["test"],
        train_error=result["train"],
        slice_singular_values=sv.cpu().numpy().reshape(nW, nA, S, n_rec, kh, n),
        angle_spectral=result["ang_L"],
        angle_truth=result["ang_truth"],
        angle_power=result["ang_power"],
        params={**problem.meta, "widths": widths, "alphas": alphas.tolist(), "step": step,
                "n_iter": n_iter, "record_every": record_every, "init_seed": init_seed,
                "method": method, "symmetric": problem.symmetric, "seeds": list(problem.seeds),
                "effective_width": effective_width},
    )


def _check_tubal_gd_budget(problem, widths, n_alpha: int, n_iter: int, record_every: int) -> None:
    """Refuse a run of :func:`run_tubal_gd` that cannot fit in memory or time, before allocating.

    Memory: the initial factors (S, n, R, k) of every width (real, and complex Fourier slices) and
    the records (n_width * n_alpha * S configurations, T records of k//2+1 slices of n singular
    values). Work per GD step and configuration: the forward and adjoint measurement products,
    2 * 2 m n^2 k flops, and the page-wise n x n (gram) or n x R (factor) products.
    """
    n, k, S, m = problem.n, problem.k, problem.n_seeds, problem.m
    kh = k // 2 + 1
    width_bytes = 8.0 * 3 * S * n * k * n_alpha * sum(float(w) for w in widths)
    check_budget("width", n_bytes=width_bytes,
                 what=f"initial factors of widths {widths} for {S} instances")
    B = float(len(widths)) * n_alpha
    n_rec = n_iter // record_every + 2
    check_budget("n_iter, record_every", n_bytes=8.0 * B * S * n_rec * (kh * n + 5),
                 what=f"{n_rec} records of {int(B)} x {S} runs")
    per_step = B * S * (4.0 * m * n * n * k + 8.0 * kh * n * n * max(n, max(widths)))
    check_budget("n_iter", n_operations=n_iter * per_step,
                 what=f"{n_iter} GD steps of {int(B)} x {S} runs")


def _bmm(A, B):
    """Batched real matrix product ``A @ B``; on the CPU through numpy's BLAS loop.

    torch's CPU ``bmm`` for float64 matrix-vector batches runs about 10x slower than numpy's
    per-matrix BLAS calls at these sizes (benchmarks/bench_implicit_reg.py); the numpy views
    share memory with the tensors, so nothing is copied.
    """
    import torch

    if A.device.type == "cpu":
        return torch.from_numpy(np.matmul(A.numpy(), B.contiguous().numpy()))
    return A @ B


@functools.lru_cache(maxsize=16)
def _hermitian_coordinates(n: int, k: int):
    r"""Real coordinates of a t-symmetric :math:`n \times n \times k` tensor (its Hermitian slices).

    A t-symmetric tensor has Hermitian Fourier slices :math:`\hat X^{(\ell)}`,
    :math:`\ell = 0, \dots, k//2`; its coordinates ``z`` are the real parts of the upper
    triangles (diagonal included) and the imaginary parts of the strict upper triangles of the
    complex slices (the real slices, :math:`\ell = 0` and :math:`\ell = k/2` for even k, have
    none), slice by slice: ``d = symmetric_dimension(n, k)`` numbers.

    Returns
    -------
    pack : (d,) int
        Position of each coordinate in the flattened real view ``(kh, n, n, 2)`` of the slices.
    unpack : (kh * n * n * 2,) int
        For every entry of that real view, its position in the extended vector
        ``[z, -z[imag], 0]`` (entry (j, i) is the conjugate of (i, j); the imaginary parts of
        the diagonals and of the real slices are 0), so the slices are one gather from it.
    weight : (d,) float
        :math:`w_p = \mathrm{mult}_\ell\, o_p / (2k)` with :math:`\mathrm{mult}_\ell = 1` for a
        real slice and 2 for a complex one (it stands for itself and its conjugate) and
        :math:`o_p = 1` on a diagonal, 2 off it. By Parseval, for any real ``a`` and the
        t-symmetric ``x`` with coordinates ``z``, :math:`\langle a, x\rangle = \sum_p w_p
        (\Phi a)_p z_p`, where :math:`\Phi a` are the coordinates of ``rfft(a + a^T)``: the
        adjoint of "coordinates to tensor" is :math:`\operatorname{diag}(w)\,\Phi`.
    imag : (n_imag,) int
        The coordinates that are imaginary parts (those ``unpack`` also reads negated).
    """
    kh = k // 2 + 1
    real_slice = [ell == 0 or 2 * ell == k for ell in range(kh)]
    upper = np.triu(np.ones((n, n), dtype=bool))
    strict = np.triu(np.ones((n, n), dtype=bool), 1)
    coord = np.full((kh, n, n, 2), -1, dtype=np.int64)  # coordinate of each upper entry, else -1
    weight, imag, d = [], [], 0
    off_diag = np.where(np.eye(n, dtype=bool), 1.0, 2.0)
    for ell in range(kh):
        mult = 1.0 if real_slice[ell] else 2.0
        for part, mask in ((0, upper), (1, strict)):
            if part == 1 and real_slice[ell]:
                continue
            count = int(mask.sum())
            coord[ell, :, :, part][mask] = np.arange(d, d + count)
            weight.append(mult * off_diag[mask] / (2 * k))
            if part == 1:
                imag.append(np.arange(d, d + count))
            d += count
    imag = np.concatenate(imag) if imag else np.zeros(0, dtype=np.int64)
    flat = np.arange(coord.size).reshape(coord.shape)
    pack = np.empty(d, dtype=np.int64)
    pack[coord[coord >= 0]] = flat[coord >= 0]
    negated = np.full(d, -1, dtype=np.int64)
    negated[imag] = d + np.arange(imag.size)
    mirror = coord.transpose(0, 2, 1, 3)  # entry (i, j) -> the coordinate of entry (j, i)
    unpack = np.where(upper[None, :, :, None], coord, mirror)
    lower = ~upper
    unpack[:, lower, 1] = np.where(mirror[:, lower, 1] >= 0, negated[mirror[:, lower, 1]], -1)
    unpack[unpack < 0] = d + imag.size  # the appended zero
    return pack, unpack.ravel(), np.concatenate(weight), imag


#: run :func:`_gd_loop_fast` on numpy views on the CPU (False: in torch, as on other devices;
#: the tests switch it to compare the two)
_NUMPY_ON_CPU = True


def _gd_loop_fast(A, y, X_star, F_hat, *, step: float, records: list, on_record) -> None:
    r"""The GD loop of :func:`run_tubal_gd` in Hermitian Fourier coordinates (its default route).

    The iterate is carried as Fourier slices :math:`\hat F_t` with :math:`\hat X_t = \hat F_t
    \hat F_t^{\mathsf H}` and :math:`\hat F_{t+1} = \hat F_t - \mu \hat G_t \hat F_t`:
    :math:`F_0 = U_0` on the factor route, :math:`F_0 = L_0` (``n`` columns) on the gram route,
    where :math:`U_0 = L_0 Q^{\mathsf H}` and so :math:`F_t = P_t L_0`.

    :math:`X_t = U_t * U_t^\top` is t-symmetric, so ``d = symmetric_dimension(n, k)`` real
    coordinates ``z`` determine it (:func:`_hermitian_coordinates`; 210 for n = 10, k = 4,
    against :math:`D = n^2 k = 400` entries), and so do they the gradient's factor
    :math:`G = M + M^\top`, :math:`M = \mathcal A^*(\mathcal A(X) - y)`. With
    :math:`x = E z` (coordinates to tensor), :math:`\Phi` (tensor ``a`` to the coordinates of
    ``rfft(a + a^T)``) and :math:`E^\top = \operatorname{diag}(w)\,\Phi` (Parseval), the
    gradient's coordinates are

    .. math:: g = \Phi A^\top (A E z - y) = V^\top V \operatorname{diag}(w)\, z - V^\top y,
        \qquad V = A \Phi^\top \in \mathbb R^{m \times d},

    where row ``j`` of ``V`` holds the coordinates of ``rfft(A_j + A_j^T)``. ``K = V^T V
    diag(w)`` (d x d per instance) is formed once, so a step costs :math:`d^2` per
    configuration instead of :math:`2 m D` for ``A x`` and ``A^T r``, and no FFT: ``z`` is a
    gather from :math:`\hat X`, :math:`g = K z - V^\top y`, :math:`\hat G` a gather from ``g``.
    When ``d`` exceeds about ``2 m`` the two factors (:math:`2 m d` per configuration) are
    cheaper than ``K`` and are used instead. At a record the errors come from the same
    coordinates: :math:`\|X - X^\star\|_F^2 = 2 \sum_p w_p (z_p - z^\star_p)^2` and
    :math:`\mathcal A(X) - y = V \operatorname{diag}(w) z - y`. The iterates are those of the
    reference loop in exact arithmetic; in floating point they differ by round-off
    (tests/implicit_reg/test_sensing.py).

    On the CPU the loop runs on numpy views of the tensors (shared memory, no copies): torch's
    CPU matmul at these small batched sizes was 3-4x slower than numpy's BLAS calls (measured:
    ``z K`` for 10 instances x 4 configurations, d = 210: 650 us in torch, 180 us in numpy),
    the reason :func:`_bmm` exists; on another device it runs in torch.

    Parameters
    ----------
    A, y, X_star : torch.Tensor, (S, m, D), (S, m) and (S, n, n, k)
        Measurement operators, measurements and ground truths.
    F_hat : torch.Tensor, (B, S, k//2 + 1, n, c)
        The initial factor's Fourier slices (``B`` configurations per instance).
    step : float
        GD step :math:`\mu`.
    records : sorted list of int
        Iterations to measure; the loop ends at the last one.
    on_record : callable
        ``on_record(i, ts, X_hat, test_dist, resid, F_hat)`` receives a chunk of records: the
        slice ``i`` of record indices, their iterations ``ts`` and (C, B, S, ...) torch tensors
        (``test_dist`` = :math:`\|X_t - X^\star\|_F`, ``resid`` = :math:`\mathcal A(X_t) - y`).
        Chunks hold up to 16 MiB of iterates, and the last one is passed before returning.
    """
    import torch

    B, S, kh, n, _ = F_hat.shape
    m = A.shape[-2]
    k = A.shape[-1] // (n * n)
    dt, dev = A.dtype, A.device
    pack, unpack, weight, imag = (torch.as_tensor(v, device=dev)
                                  for v in _hermitian_coordinates(n, k))
    weight = weight.to(dt)
    d = pack.numel()
    rev = [(-j) % k for j in range(k)]

    def coordinates_of(T):  # real (..., n, n, k) -> coordinates (..., d) of rfft(T)
        T_hat = torch.movedim(torch.fft.rfft(T, dim=-1), -1, -3)
        return torch.view_as_real(T_hat).reshape(T.shape[:-3] + (-1,)).index_select(-1, pack)

    A4 = A.reshape(S, m, n, n, k)
    V = coordinates_of(A4 + A4[..., rev].transpose(-3, -2))  # (S, m, d)
    z_star = coordinates_of(X_star).unsqueeze(1)  # (S, 1, d)
    Vw_T = (V * weight).transpose(-2, -1).contiguous()  # diag(w) V^T, (S, d, m)

    def extend(T):  # (..., d) -> (..., d + n_imag + 1): the vector that `unpack` gathers from
        zero = torch.zeros(T.shape[:-1] + (1,), dtype=dt, device=dev)
        return torch.cat([T, -T[..., imag], zero], dim=-1)

    minus_h = -extend(y.unsqueeze(-2) @ V)  # -(V^T y)^T, (S, 1, d_ext)
    dense = d + imag.numel() + 1 <= 2 * m
    # g^T = z^T K^T with K^T = diag(w) V^T V, or the two factors ((z^T diag(w) V^T) V)
    factors = [extend(Vw_T @ V)] if dense else [Vw_T, extend(V)]
    y3, two_w = y.unsqueeze(1), 2.0 * weight
    F = F_hat.transpose(0, 1).contiguous()  # (S, B, kh, n, c): instances lead, for the products

    if dev.type == "cpu" and _NUMPY_ON_CPU:
        F, minus_h, z_star, Vw_T, y3, two_w = (
            T.resolve_conj().numpy() for T in (F, minus_h, z_star, Vw_T, y3, two_w))
        factors = [T.numpy() for T in factors]
        pack, unpack = pack.numpy(), unpack.numpy()

        def herm(T):
            return np.swapaxes(T.conj(), -1, -2)

        def coordinates(X_hat):
            return X_hat.view(two_w.dtype).reshape(S, B, -1).take(pack, axis=-1)

        def slices(g):
            return g.take(unpack, axis=-1).view(F.dtype).reshape(S, B, kh, n, n)

        def to_torch(Ts):  # list of (S, B, ...) numpy -> (C, B, S, ...) torch
            return torch.from_numpy(np.stack(Ts)).transpose(1, 2)

        sqrt = np.sqrt
    else:
        def herm(T):
            return T.mH

        def coordinates(X_hat):
            return torch.view_as_real(X_hat).reshape(S, B, -1).index_select(-1, pack)

        def slices(g):
            return torch.view_as_complex(g.index_select(-1, unpack).reshape(S, B, kh, n, n, 2))

        def to_torch(Ts):
            return torch.stack(Ts).transpose(1, 2)

        sqrt = torch.sqrt

    c = F.shape[-1]
    per_record = B * S * (kh * n * (n + c) * 2 + m + 1) * A.element_size()
    chunk = max(1, min(len(records), 2**24 // per_record))
    pending, i = [], 0
    with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported at a record
        for t in range(records[-1] + 1):
            X_hat = F @ herm(F)
            g = coordinates(X_hat)
            if t == records[i]:
                test_dist = sqrt(((g - z_star) ** 2) @ two_w)  # Parseval, (S, B)
                resid = g @ Vw_T - y3  # (S, B, m)
                pending.append((t, X_hat, test_dist, resid, F))
                i += 1
                if len(pending) == chunk or i == len(records):
                    ts, *parts = zip(*pending, strict=True)
                    on_record(slice(i - len(ts), i), list(ts), *map(to_torch, parts))
                    pending = []
                if i == len(records):
                    break
            for factor in factors:
                g = g @ factor
            g += minus_h
            F = F - step * (slices(g) @ F)


def _angle(Qu, Qv):
    """Largest principal-angle sine over Fourier slices; Qu (nA, S, kh, n, r), Qv (S, kh, n, r)."""
    import torch

    resid = Qu - Qv @ (Qv.conj().transpose(-2, -1) @ Qu)
    return torch.linalg.matrix_norm(resid, ord=2).amax(dim=-1).clamp(max=1.0)


def tubal_sensing_loss(U, problem: TubalSensingProblem, index: int = 0):
    r"""The loss of one instance (torch; differentiable, to check the gradient by autograd).

    .. math:: f(U) = \frac12 \sum_j (\langle U * U^\top, A_j\rangle - y_j)^2
    """
    import torch

    index = check_int(index, "index", minimum=0, maximum=problem.n_seeds - 1)
    X = t_product(U, t_transpose(U))
    resid = problem.A[index] @ X.reshape(-1) - problem.y[index]
    return 0.5 * torch.sum(resid**2)


def tubal_sensing_gradient(U, problem: TubalSensingProblem, index: int = 0):
    r"""Closed-form gradient :math:`\nabla f(U) = (\sum_j r_j (A_j + A_j^\top)) * U`."""
    index = check_int(index, "index", minimum=0, maximum=problem.n_seeds - 1)
    n, k = problem.n, problem.k
    X = t_product(U, t_transpose(U))
    resid = problem.A[index] @ X.reshape(-1) - problem.y[index]
    M = (problem.A[index].T @ resid).reshape(n, n, k)
    return t_product(M + t_transpose(M), U)


def matrix_sensing_gd(A_mats, y, U0, *, step: float, n_iter: int) -> dict:
    r"""Plain matrix sensing by GD (numpy): the k = 1 special case written with matrices.

    .. math:: U_{t+1} = U_t - \mu \Big(\sum_j r_j (A_j + A_j^\top)\Big) U_t, \quad
        r_j = \langle U_t U_t^\top, A_j\rangle - y_j.

    Parameters
    ----------
    A_mats : array_like, shape (m, n, n)
    y : array_like, shape (m,)
    U0 : array_like, shape (n, R)
    step : float
    n_iter : int

    Returns
    -------
    dict
        ``{"U": final factor, "X": U U^T, "train_loss": (n_iter + 1,) losses}``.

    References
    ----------
    .. [1] Stoger & Soltanolkotabi (2021), Eq. (3); Gunasekar et al. (2017).

    Examples
    --------
    >>> from analysis.implicit_reg import matrix_sensing_gd
    >>> rng = np.random.default_rng(0)
    >>> u = rng.standard_normal((4, 1)); u /= np.linalg.norm(u)  # X* = u u^T, rank 1
    >>> A = rng.standard_normal((30, 4, 4)); y = A.reshape(30, -1) @ (u @ u.T).ravel()
    >>> out = matrix_sensing_gd(A, y, 1e-3 * rng.standard_normal((4, 4)), step=0.005, n_iter=500)
    >>> out["train_loss"].shape, bool(np.allclose(out["X"], u @ u.T, atol=1e-4))
    ((501,), True)
    """
    A_mats = as_array(A_mats, "A_mats", ndim=3, min_size=1)
    m, n, n2 = A_mats.shape
    if n != n2:
        raise ValueError(f"A_mats: expected square measurement matrices (m, n, n), got {A_mats.shape}")
    y = as_array(y, "y", shape=(m,))
    U = as_array(U0, "U0", ndim=2).copy()
    if U.shape[0] != n:
        raise ValueError(f"U0: expected {n} rows, got shape {U.shape}")
    step = check_real(step, "step", minimum=0.0, strict_min=True)
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    check_budget("n_iter", n_bytes=8.0 * (n_iter + 1),
                 n_operations=n_iter * (4.0 * m * n * n + 4.0 * n * n * (n + U.shape[1])),
                 what=f"{n_iter} GD steps with {m} measurements of size {n} x {n}")
    Aflat = A_mats.reshape(m, -1)
    losses = np.empty(n_iter + 1)
    for t in range(n_iter + 1):
        r = Aflat @ (U @ U.T).ravel() - y
        losses[t] = 0.5 * float(r @ r)
        if t == n_iter:
            break
        M = (Aflat.T @ r).reshape(n, n)
        U = U - step * (M + M.T) @ U
    return {"U": U, "X": U @ U.T, "train_loss": losses}

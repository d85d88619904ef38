r"""Gaussian hypothesis spaces that fit the training data: exact GP posterior, random features.

Both spaces give test predictions :math:`f_* \sim N(\mu_*, \Sigma_*)` (per output column),
so their inductive bias is computed exactly by
:func:`analysis.inductive_bias.estimators.gaussian_inductive_bias`, and sampled hypotheses
feed the published estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import (
    as_array,
    check_budget,
    check_choice,
    check_int,
    check_positive,
    check_real,
)
from analysis.inductive_bias.estimators import gaussian_loss_law

__all__ = [
    "DEFAULT_JITTER",
    "GaussianPredictions",
    "gp_posterior",
    "gp_posterior_samples",
    "random_feature_posterior",
    "random_feature_models",
    "rbf_kernel",
    "sample_gaussian_losses",
]

#: Relative diagonal jitter added to the training Gram matrix before its Cholesky factorisation
#: (times the kernel variance). Interpolation residuals are O(jitter * |y|); see the claims.
DEFAULT_JITTER = 1e-10


@dataclass(frozen=True)
class GaussianPredictions:
    r"""Test predictions :math:`f_* \sim N(\text{mean}, \text{cov})`, columns independent.

    Attributes
    ----------
    mean : numpy.ndarray, shape (m, k)
    cov : numpy.ndarray, shape (m, m)
        Covariance shared by the k output columns.

    Examples
    --------
    >>> from analysis.inductive_bias import gp_posterior, synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    >>> post.mean.shape, post.cov.shape
    ((10, 1), (10, 10))
    """

    mean: np.ndarray  # (m, k)
    cov: np.ndarray  # (m, m)


def _check_inputs(X_train, Y_train, X_test):
    X = as_array(X_train, "X_train", ndim=2, min_size=1)
    Y = as_array(Y_train, "Y_train", ndim=(1, 2))
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y_train: expected {X.shape[0]} rows to match X_train, got {Y.shape[0]}")
    Xs = as_array(X_test, "X_test", ndim=2, min_size=1)
    if Xs.shape[1] != X.shape[1]:
        raise ValueError(f"X_test: expected {X.shape[1]} columns to match X_train, got {Xs.shape[1]}")
    return X, Y, Xs


def rbf_kernel(A: object, B: object, lengthscale: float = 1.0, variance: float = 1.0) -> np.ndarray:
    r"""Gaussian (RBF) kernel :math:`k(a, b) = v \exp(-\lVert a - b\rVert^2 / (2\ell^2))`.

    The published kernel space uses :math:`\ell = v = 1` (kernel_inductive_bias.py, ``rbf_kernel``).

    Examples
    --------
    >>> from analysis.inductive_bias import rbf_kernel
    >>> np.round(rbf_kernel([[0.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]), 4)  # exp(-1/2) = 0.6065
    array([[1.    , 0.6065]])
    """
    A = as_array(A, "A", ndim=2)
    B = as_array(B, "B", shape=(None, A.shape[1]))
    ell = check_positive(lengthscale, "lengthscale")
    v = check_positive(variance, "variance")
    sq = (np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2.0 * A @ B.T)
    return v * np.exp(-np.maximum(sq, 0.0) / (2.0 * ell**2))


def gp_posterior(X_train: object, Y_train: object, X_test: object, *, lengthscale: float = 1.0,
                 variance: float = 1.0, jitter: float = DEFAULT_JITTER) -> GaussianPredictions:
    r"""Exact noise-free GP posterior at the test inputs (the space of interpolating GP draws).

    .. math::

        \mu_* = K_{*X}(K_{XX} + \delta v I)^{-1} Y, \qquad
        \Sigma_* = K_{**} - K_{*X}(K_{XX} + \delta v I)^{-1} K_{X*},

    by one Cholesky factorisation, with relative jitter :math:`\delta` (default 1e-10). The
    published code fits :math:`(K+\cdot)^{-1}Y` and :math:`(K+\cdot)^{-1}K_{X*}` by 10,000 epochs
    of Adam and takes ``scipy.linalg.sqrtm`` of :math:`\Sigma_*` (complex on numerically
    indefinite input); the direct solve is exact and faster (benchmarks/bench_inductive_bias.py).

    References
    ----------
    Rasmussen & Williams (2006), Gaussian Processes for Machine Learning, Alg. 2.1;
    Boopathy et al. (2024), Sec. 5.1 (kernel hypothesis space).

    Examples
    --------
    At the training inputs every hypothesis interpolates: mean = targets, covariance 0 (up to
    the jitter):

    >>> from analysis.inductive_bias import gp_posterior, synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> post = gp_posterior(task.X_train, task.Y_train, task.X_train, lengthscale=task.lengthscale)
    >>> bool(np.allclose(post.mean, task.Y_train, atol=1e-6)), bool(np.abs(post.cov).max() < 1e-8)
    (True, True)
    """
    X, Y, Xs = _check_inputs(X_train, Y_train, X_test)
    v = check_positive(variance, "variance")
    jitter = check_real(jitter, "jitter", minimum=0.0)
    K = rbf_kernel(X, X, lengthscale, v) + jitter * v * np.eye(X.shape[0])
    try:
        chol = np.linalg.cholesky(K)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"jitter: the training Gram matrix is singular with jitter {jitter:g}; "
                         "increase it or remove duplicate training inputs") from exc
    from scipy.linalg import solve_triangular

    Ks = rbf_kernel(X, Xs, lengthscale, v)
    V = solve_triangular(chol, Ks, lower=True)
    alpha = solve_triangular(chol.T, solve_triangular(chol, Y, lower=True), lower=False)
    mean = Ks.T @ alpha
    cov = rbf_kernel(Xs, Xs, lengthscale, v) - V.T @ V
    return GaussianPredictions(mean, 0.5 * (cov + cov.T))


def gp_posterior_samples(X_train: object, Y_train: object, X_eval: object, n_samples: int, *,
                         rng=0, lengthscale: float = 1.0, variance: float = 1.0,
                         jitter: float = DEFAULT_JITTER) -> np.ndarray:
    """Sampled interpolating GP hypotheses evaluated at ``X_eval``, shape (n_samples, m, k).

    Joint draws by the Cholesky factor of the posterior covariance at ``X_eval`` (plus the same
    relative jitter), used to check that sampled hypotheses really fit the training data
    (evaluate them at the training inputs).

    Examples
    --------
    >>> from analysis.inductive_bias import gp_posterior_samples, synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> F = gp_posterior_samples(task.X_train, task.Y_train, task.X_train, 5, rng=0,
    ...                          lengthscale=task.lengthscale)
    >>> F.shape, bool(np.abs(F - task.Y_train).max() < 1e-3)  # each draw fits the training set
    ((5, 20, 1), True)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    X_eval = as_array(X_eval, "X_eval", ndim=2, min_size=1)
    Y_cols = 1 if np.ndim(Y_train) < 2 else int(np.shape(Y_train)[1])
    check_budget("n_samples", n_bytes=16.0 * n_samples * X_eval.shape[0] * Y_cols,
                 what="(n_samples, m, k) draws and predictions")
    gen = make_rng(rng, "rng")
    post = gp_posterior(X_train, Y_train, X_eval, lengthscale=lengthscale, variance=variance,
                        jitter=jitter)
    m, k = post.mean.shape
    # posterior covariances are singular at the training inputs: factor with eigh and clip
    evals, evecs = np.linalg.eigh(post.cov)
    root = evecs * np.sqrt(np.clip(evals, 0.0, None))
    z = gen.standard_normal((n_samples, m, k))
    return post.mean[None] + np.einsum("ij,sjk->sik", root, z)


def random_feature_posterior(X_train: object, Y_train: object, X_test: object, n_features: int, *,
                             rng=0, lengthscale: float = 1.0, variance: float = 1.0
                             ) -> GaussianPredictions:
    r"""Random-Fourier-feature models :math:`f = \phi(x)^\top\theta`, conditioned to interpolate.

    :math:`\phi(x) = \sqrt{2/D}\cos(W^\top x + b)` with :math:`W \sim N(0, \ell^{-2} I)`,
    :math:`b \sim U[0, 2\pi]` fixed (the architecture), :math:`\theta \sim N(0, vI)` conditioned
    on :math:`\Phi\theta = Y` (needs D >= n). With :math:`\Phi^\top = QR`,

    .. math::

        \mu_* = \Phi_* Q R^{-\top} Y, \qquad
        \Sigma_* = v\,(\Phi_*\Phi_*^\top - (\Phi_* Q)(\Phi_* Q)^\top).

    References
    ----------
    Rahimi & Recht (2007), Random features for large-scale kernel machines.

    Examples
    --------
    >>> from analysis.inductive_bias import random_feature_posterior, synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> post = random_feature_posterior(task.X_train, task.Y_train, task.X_train, 50, rng=0,
    ...                                 lengthscale=task.lengthscale)
    >>> bool(np.allclose(post.mean, task.Y_train)), bool(np.abs(post.cov).max() < 1e-10)
    (True, True)
    """
    X, Y, Xs = _check_inputs(X_train, Y_train, X_test)
    D = check_int(n_features, "n_features", minimum=X.shape[0])
    check_budget("n_features", n_bytes=8.0 * D * (X.shape[1] + 2 * X.shape[0] + 2 * Xs.shape[0] + 1),
                 what="features and their QR factor")
    W, b = _rff_parameters(X.shape[1], D, make_rng(rng, "rng"), lengthscale)
    v = check_positive(variance, "variance")
    Phi, Phis = _rff(X, W, b), _rff(Xs, W, b)
    Q, R = np.linalg.qr(Phi.T)
    from scipy.linalg import solve_triangular

    coef = Q @ solve_triangular(R.T, Y, lower=True)  # minimum-norm interpolant
    PQ = Phis @ Q
    cov = v * (Phis @ Phis.T - PQ @ PQ.T)
    return GaussianPredictions(Phis @ coef, 0.5 * (cov + cov.T))


def random_feature_models(X_train: object, Y_train: object, n_features: int, n_models: int, *,
                          rng=0, lengthscale: float = 1.0, variance: float = 1.0):
    r"""Sampled interpolating random-feature models by Matheron's rule.

    :math:`\theta = \theta_0 + \Phi^\top(\Phi\Phi^\top)^{-1}(Y - \Phi\theta_0)`,
    :math:`\theta_0 \sim N(0, vI)`: an exact draw from the conditioned Gaussian.

    Returns
    -------
    predict : callable
        ``predict(X) -> (n_models, m, k)`` predictions of every sampled model.
    thetas : numpy.ndarray, shape (n_models, D, k)

    Examples
    --------
    >>> from analysis.inductive_bias import random_feature_models, synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> predict, thetas = random_feature_models(task.X_train, task.Y_train, 50, 4, rng=0,
    ...                                         lengthscale=task.lengthscale)
    >>> thetas.shape, bool(np.allclose(predict(task.X_train), task.Y_train))  # all interpolate
    ((4, 50, 1), True)
    """
    X, Y, _ = _check_inputs(X_train, Y_train, X_train)
    D = check_int(n_features, "n_features", minimum=X.shape[0])
    n_models = check_int(n_models, "n_models", minimum=1)
    check_budget("n_features", n_bytes=8.0 * D * (X.shape[1] + 2 * X.shape[0] + 1),
                 what="features and their QR factor")
    check_budget("n_models", n_bytes=8.0 * n_models * Y.shape[1] * (3 * D + 2 * X.shape[0]),
                 what="(n_models, n_features, k) parameters")
    gen = make_rng(rng, "rng")
    W, b = _rff_parameters(X.shape[1], D, gen, lengthscale)
    v = check_positive(variance, "variance")
    Phi = _rff(X, W, b)
    Q, R = np.linalg.qr(Phi.T)
    from scipy.linalg import solve_triangular

    theta0 = np.sqrt(v) * gen.standard_normal((n_models, D, Y.shape[1]))
    resid = Y[None] - np.einsum("nd,sdk->snk", Phi, theta0)
    # (Phi Phi^T)^{-1} r = Q R^{-T} r for every model's residual r, solved for all models at once
    stacked = resid.transpose(1, 0, 2).reshape(X.shape[0], -1)
    coef = solve_triangular(R.T, stacked, lower=True).reshape(X.shape[0], n_models, -1)
    corr = np.einsum("dn,snk->sdk", Q, coef.transpose(1, 0, 2))
    thetas = theta0 + corr

    def predict(X_new):
        Xn = as_array(X_new, "X_new", shape=(None, X.shape[1]))
        return np.einsum("md,sdk->smk", _rff(Xn, W, b), thetas)

    return predict, thetas


def _rff_parameters(dim, n_features, rng, lengthscale):
    gen = make_rng(rng, "rng")
    ell = check_positive(lengthscale, "lengthscale")
    W = gen.standard_normal((dim, n_features)) / ell
    b = gen.uniform(0.0, 2 * np.pi, n_features)
    return W, b


def _rff(X, W, b):
    return np.sqrt(2.0 / W.shape[1]) * np.cos(X @ W + b)


def sample_gaussian_losses(mean: object, cov: object, target: object, n_samples: int, *, rng=0,
                           method: str = "chi2", batch: int = 20_000, device: str = "cpu",
                           psd_tol: float | None = None) -> np.ndarray:
    r"""Test MSEs of ``n_samples`` hypotheses :math:`f \sim N(\mu, \Sigma)` (columns independent).

    Each hypothesis is :math:`f = \mu + U\Lambda^{1/2} z` (the eigen-factor, clipped at zero:
    never ``sqrtm``, which turns complex on numerically indefinite covariances), whose loss is
    :math:`\tfrac1N\sum_j\lVert\sqrt{\sigma_j} z_j + r_j\rVert^2 + c` with
    :math:`r = U^\top(\mu - y)` -- the same number as :math:`\tfrac1N\lVert f - y\rVert^2`.

    Parameters
    ----------
    method : {"chi2", "eigen"}
        ``"chi2"`` (default; use it on the CPU): draw each eigen-direction's k-column term
        directly as :math:`(z + \lVert r_j\rVert/\sqrt{\sigma_j})^2 + \chi^2_{k-1}` (numpy),
        the same law with 2 variates per eigenvalue instead of k. ``"eigen"``: draw all m k
        coordinates z (float64, from a CPU generator, so the same seed gives the same losses on
        every device) and reduce them in torch on ``device``, in batches. On the CPU the eigen
        route is about 10x slower for k = 10 outputs (benchmarks/bench_inductive_bias.py: 11x at
        S = 10^4 on 50 test points, one thread); it is the route that materialises every
        coordinate, kept as the direct check of the chi2 route and for a GPU.
    device : str
        Torch device of the eigen route; checked but unused by the chi2 route (numpy, CPU).

    Returns
    -------
    numpy.ndarray, shape (n_samples,)

    Examples
    --------
    The sample mean is within 4 standard errors of the exact mean of the loss law:

    >>> from analysis.inductive_bias import gaussian_loss_law, gp_posterior
    >>> from analysis.inductive_bias import sample_gaussian_losses, synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    >>> losses = sample_gaussian_losses(post.mean, post.cov, task.Y_test, 2000, rng=0)
    >>> law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
    >>> losses.shape, bool(abs(losses.mean() - law.mean) < 4 * law.sd / np.sqrt(2000))
    ((2000,), True)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    batch = check_int(batch, "batch", minimum=1)
    check_choice(method, "method", ("chi2", "eigen"))
    from analysis._core.device import resolve_device

    dev = resolve_device(device)  # checked for both methods ("chi2" runs in numpy on the CPU)
    gen = make_rng(rng, "rng")
    law = gaussian_loss_law(mean, cov, target, psd_tol=psd_tol)
    per_sample = max(1.0, float(np.sum(law.dof)))  # variates per hypothesis (eigen route: m k)
    check_budget("n_samples", n_bytes=8.0 * n_samples + 16.0 * min(batch, n_samples) * per_sample,
                 n_operations=4.0 * n_samples * per_sample, what="sampled losses")
    if method == "chi2":
        out = np.empty(n_samples)
        shift = np.sqrt(law.noncentrality)
        for start in range(0, n_samples, batch):
            size = min(batch, n_samples - start)
            term = (gen.standard_normal((size, law.weights.size)) + shift) ** 2
            if law.dof[0] > 1:
                term += 2.0 * gen.standard_gamma((law.dof[0] - 1) / 2.0, (size, law.weights.size))
            out[start:start + size] = term @ law.weights + law.offset
        return out

    import torch

    from analysis._core.rng import make_torch_generator

    mu = np.asarray(mean, dtype=float)
    y = np.asarray(target, dtype=float)
    if mu.ndim == 1:
        mu, y = mu[:, None], y[:, None]
    sigma = np.asarray(cov, dtype=float)
    evals, evecs = np.linalg.eigh(0.5 * (sigma + sigma.T))
    tol = 1e-9 * max(1.0, float(evals.max())) if psd_tol is None else float(psd_tol)
    keep = evals > tol  # the same split into random and deterministic directions as the law
    resid = evecs.T @ (mu - y)
    seed = int(gen.integers(0, 2**63 - 1))
    tgen = make_torch_generator(seed, "cpu")  # drawn on the CPU: the same numbers on every device
    root = torch.as_tensor(np.sqrt(evals[keep]), dtype=torch.float64, device=dev)[:, None]
    r = torch.as_tensor(resid[keep], dtype=torch.float64, device=dev)
    n_entries = mu.size
    out = np.empty(n_samples)
    for start in range(0, n_samples, batch):
        size = min(batch, n_samples - start)
        z = torch.randn((size,) + tuple(r.shape), generator=tgen, dtype=torch.float64).to(dev)
        sq = ((root * z + r) ** 2).sum(dim=(1, 2)) / n_entries
        out[start:start + size] = sq.cpu().numpy() + law.offset
    return out

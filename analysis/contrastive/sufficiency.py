r"""Approximate sufficiency of linear encoders in a linear-Gaussian augmentation model (A3).

Lin & Mei (2025), "A Statistical Theory of Contrastive Learning via Approximate Sufficient
Statistics" (arXiv:2503.17538), measure how far an encoder :math:`h` is from a sufficient statistic
of one augmented view for the other by an f-divergence "sufficiency" (KL, and :math:`\chi^2`), and
bound downstream regression risk by a sufficiency term plus an augmentation-induced error.

**The formulation below is ours.** We could read only the abstract (no internet; the stored
public material does not contain the paper), so the definitions are our reading of the abstract,
stated explicitly:

* Views: :math:`x_0 \sim N(0, \Sigma_0)`, :math:`X = x_0 + \epsilon_1`, :math:`Z = x_0 + \epsilon_2`,
  :math:`\epsilon_i \sim N(0, \nu I)` independent (Gaussian augmentation of variance
  :math:`\nu`); linear encoder :math:`h(X) = HX`, :math:`H \in \mathbb R^{k\times d}` of rank k.
* KL sufficiency gap:
  :math:`\mathrm{Suff}_{KL}(H) = \mathbb E_X\,\mathrm{KL}(P_{Z|X}\,\|\,P_{Z|HX}) = I(X;Z) - I(HX;Z)
  = \tfrac12 \log\det C_{Z|HX} - \tfrac12\log\det C_{Z|X}`.
* :math:`\chi^2` sufficiency gap:
  :math:`\mathrm{Suff}_{\chi^2}(H) = \mathbb E_X\,\chi^2(P_{Z|X}\,\|\,P_{Z|HX})`, in closed form
  below (it is infinite when the Gaussian integral diverges).
* Downstream task: :math:`y = w^\top x_0 + \text{noise}` regressed by ridge on :math:`HX`.
  By Jensen, :math:`\mathrm{Suff}_{KL} \le \log(1 + \mathrm{Suff}_{\chi^2})`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis._core.rng import make_rng, random_orthogonal
from analysis._core.validate import as_array, check_budget, check_int, check_positive, check_real


@dataclass(frozen=True)
class GaussianViewModel:
    r"""Base covariance :math:`\Sigma_0` (d x d, positive definite) and augmentation variance nu.

    Examples
    --------
    >>> from analysis.contrastive import GaussianViewModel
    >>> model = GaussianViewModel(base_cov=np.eye(2), aug_var=0.5)
    >>> model.dim, np.diag(model.view_cov)  # Sigma_0 + nu I
    (2, array([1.5, 1.5]))
    """

    base_cov: np.ndarray
    aug_var: float

    @property
    def dim(self) -> int:
        """Dimension d of the views."""
        return self.base_cov.shape[0]

    @property
    def view_cov(self) -> np.ndarray:
        r""":math:`\Sigma_x = \Sigma_0 + \nu I` (covariance of each view)."""
        return self.base_cov + self.aug_var * np.eye(self.dim)


def make_gaussian_view_model(
    dim: int, aug_var: float, *, decay: float = 0.7, rng=0
) -> GaussianViewModel:
    r"""Random rotation of the spectrum :math:`\lambda_j = \text{decay}^j`, j = 0..d-1.

    Examples
    --------
    >>> from analysis.contrastive import make_gaussian_view_model
    >>> model = make_gaussian_view_model(4, aug_var=0.5, decay=0.7, rng=0)
    >>> np.round(np.linalg.eigvalsh(model.base_cov)[::-1], 3)  # decay^j
    array([1.   , 0.7  , 0.49 , 0.343])
    """
    dim = check_int(dim, "dim", minimum=1)
    check_budget("dim", n_bytes=8.0 * 4 * dim * dim, what="covariance matrices")
    aug_var = check_positive(aug_var, "aug_var")
    decay = check_real(decay, "decay", minimum=0.0, maximum=1.0, strict_min=True)
    # column signs of q cancel in q diag(lambda) q^T, so any orthogonal factor serves
    q = random_orthogonal(dim, make_rng(rng, name="rng"))
    return GaussianViewModel(base_cov=(q * decay ** np.arange(dim)) @ q.T, aug_var=aug_var)


def _check_encoder(model: GaussianViewModel, H) -> np.ndarray:
    H = as_array(H, "H", min_size=1)
    if H.ndim != 2 or H.shape[1] != model.dim:
        raise ValueError(f"H: expected shape (k, {model.dim}), got {H.shape}")
    if np.linalg.matrix_rank(H) < H.shape[0]:
        raise ValueError(f"H: expected full row rank {H.shape[0]}, got rank {np.linalg.matrix_rank(H)}")
    return H


def _check_covariance(C, name: str) -> np.ndarray:
    C = as_array(C, name)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {C.shape}")
    # relative to the matrix's size: Schur complements are symmetric only up to round-off
    if np.max(np.abs(C - C.T)) > 1e-10 * np.max(np.abs(C)):
        raise ValueError(f"{name}: expected a symmetric matrix")
    min_eig = np.min(np.linalg.eigvalsh(C))
    if min_eig <= 0:
        raise ValueError(
            f"{name}: expected a positive-definite matrix, smallest eigenvalue {min_eig:.3g}"
        )
    return C


def _check_target(model: GaussianViewModel, w) -> np.ndarray:
    w = as_array(w, "w")
    if w.shape != (model.dim,):
        raise ValueError(f"w: expected shape ({model.dim},), got {w.shape}")
    return w


def top_pca_encoder(model: GaussianViewModel, k: int) -> np.ndarray:
    """Rows = the top-k eigenvectors of the base covariance (k x d).

    Examples
    --------
    >>> from analysis.contrastive import make_gaussian_view_model, top_pca_encoder
    >>> model = make_gaussian_view_model(4, aug_var=0.5, rng=0)
    >>> H = top_pca_encoder(model, 2)
    >>> H.shape, bool(np.allclose(H @ H.T, np.eye(2)))
    ((2, 4), True)
    >>> np.round(np.diag(H @ model.base_cov @ H.T), 3)  # the two largest eigenvalues
    array([1. , 0.7])
    """
    k = check_int(k, "k", minimum=1, maximum=model.dim)
    vals, vecs = np.linalg.eigh(model.base_cov)
    return vecs[:, np.argsort(vals)[::-1][:k]].T


def conditional_given_encoder(model: GaussianViewModel, H) -> tuple[np.ndarray, np.ndarray]:
    r"""Regression matrix R and covariance C of :math:`Z \mid HX`.

    .. math:: \mathbb E[Z\mid HX] = R\,X,\quad R = \Sigma_0 H^\top (H\Sigma_x H^\top)^{-1} H,\quad
              C = \Sigma_x - \Sigma_0 H^\top (H\Sigma_x H^\top)^{-1} H \Sigma_0 .
    """
    H = _check_encoder(model, H)
    S0, Sx = model.base_cov, model.view_cov
    R = S0 @ H.T @ np.linalg.solve(H @ Sx @ H.T, H)
    return R, Sx - R @ S0


def kl_sufficiency_gap(model: GaussianViewModel, H) -> float:
    r""":math:`\tfrac12\log\det C_{Z|HX} - \tfrac12\log\det C_{Z|X}` (nats).

    Examples
    --------
    >>> from analysis.contrastive import kl_sufficiency_gap, make_gaussian_view_model, top_pca_encoder
    >>> model = make_gaussian_view_model(4, aug_var=0.5, rng=0)
    >>> bool(np.isclose(kl_sufficiency_gap(model, np.eye(4)), 0.0))  # X itself is sufficient
    True
    >>> round(kl_sufficiency_gap(model, top_pca_encoder(model, 2)), 3)
    0.231
    """
    H = _check_encoder(model, H)
    _, C_h = conditional_given_encoder(model, H)
    _, C_x = conditional_given_encoder(model, np.eye(model.dim))
    return float(0.5 * (np.linalg.slogdet(C_h)[1] - np.linalg.slogdet(C_x)[1]))


def kl_sufficiency_gap_expected(model: GaussianViewModel, H) -> float:
    r"""Independent route: :math:`\mathbb E_X` of the Gaussian KL formula.

    .. math:: \tfrac12\big[\operatorname{tr}(C_h^{-1}C_x) - d + \log\tfrac{\det C_h}{\det C_x}
              + \operatorname{tr}(C_h^{-1} D\Sigma_x D^\top)\big],\quad D = R_I - R_H .

    Examples
    --------
    >>> from analysis.contrastive import (kl_sufficiency_gap, kl_sufficiency_gap_expected,
    ...                                   make_gaussian_view_model, top_pca_encoder)
    >>> model = make_gaussian_view_model(4, aug_var=0.5, rng=0)
    >>> H = top_pca_encoder(model, 2)
    >>> bool(np.isclose(kl_sufficiency_gap_expected(model, H), kl_sufficiency_gap(model, H)))
    True
    """
    H = _check_encoder(model, H)
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    D = R_x - R_h
    inv = np.linalg.inv(C_h)
    logdet = np.linalg.slogdet(C_h)[1] - np.linalg.slogdet(C_x)[1]
    mean_term = np.trace(inv @ D @ model.view_cov @ D.T)
    return float(0.5 * (np.trace(inv @ C_x) - model.dim + logdet + mean_term))


def gaussian_chi2(mean_diff, C1, C2) -> np.ndarray:
    r""":math:`\chi^2(N(m_1, C_1)\,\|\,N(m_2, C_2))` for each row of ``mean_diff`` = m1 - m2.

    .. math:: \frac{\det C_2^{1/2}}{\det C_1\,\det(2C_1^{-1} - C_2^{-1})^{1/2}}
              \exp\!\big(\delta^\top (2C_2 - C_1)^{-1}\delta\big) - 1,

    finite iff :math:`2C_2 - C_1` is positive definite (else ``inf``).

    Examples
    --------
    >>> from analysis.contrastive import gaussian_chi2
    >>> value = gaussian_chi2([[1.0]], np.eye(1), np.eye(1))  # N(1, 1) vs N(0, 1): e^1 - 1
    >>> bool(np.isclose(value[0], np.e - 1))
    True
    >>> gaussian_chi2([[0.0]], 3 * np.eye(1), np.eye(1))  # 2 C_2 - C_1 = -1: infinite
    array([inf])
    """
    delta = np.atleast_2d(as_array(mean_diff, "mean_diff"))
    C1, C2 = _check_covariance(C1, "C1"), _check_covariance(C2, "C2")
    if C1.shape != C2.shape or delta.ndim != 2 or delta.shape[1] != C1.shape[0]:
        raise ValueError(
            f"mean_diff, C1, C2: expected shapes (n, m), (m, m), (m, m), got {delta.shape}, "
            f"{C1.shape}, {C2.shape}"
        )
    M = 2 * C2 - C1
    if np.min(np.linalg.eigvalsh(M)) <= 0:
        return np.full(delta.shape[0], np.inf)
    logc = (
        0.5 * np.linalg.slogdet(C2)[1]
        - np.linalg.slogdet(C1)[1]
        - 0.5 * np.linalg.slogdet(2 * np.linalg.inv(C1) - np.linalg.inv(C2))[1]
    )
    quad = np.einsum("ij,ij->i", delta, np.linalg.solve(M, delta.T).T)
    return np.exp(logc + quad) - 1.0


def _chi2_exponent_matrix(model: GaussianViewModel, H):
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    D = R_x - R_h
    vals, vecs = np.linalg.eigh(model.view_cov)
    half = (vecs * np.sqrt(vals)) @ vecs.T
    return half @ D.T @ np.linalg.solve(2 * C_h - C_x, D) @ half


def chi2_monte_carlo_variance_finite(model: GaussianViewModel, H) -> bool:
    r"""Whether the per-X :math:`\chi^2` has finite variance (:math:`\lambda_{max}(K) < 1/4`).

    The Monte-Carlo standard error is meaningful only then.
    """
    H = _check_encoder(model, H)
    return bool(np.max(np.linalg.eigvalsh(_chi2_exponent_matrix(model, H))) < 0.25)


def chi2_sufficiency_gap(model: GaussianViewModel, H) -> float:
    r""":math:`\mathbb E_X \chi^2(P_{Z|X}\|P_{Z|HX})` in closed form.

    With :math:`\delta = DX`, :math:`X\sim N(0,\Sigma_x)`:
    :math:`\mathbb E e^{\delta^\top S\delta} = \det(I - 2\Sigma_x^{1/2}D^\top S D\Sigma_x^{1/2})^{-1/2}`,
    :math:`S = (2C_h - C_x)^{-1}`; ``inf`` when that matrix is not positive definite.

    Examples
    --------
    >>> from analysis.contrastive import (chi2_sufficiency_gap, kl_sufficiency_gap,
    ...                                   make_gaussian_view_model, top_pca_encoder)
    >>> model = make_gaussian_view_model(4, aug_var=0.5, rng=0)
    >>> H = top_pca_encoder(model, 2)
    >>> chi2 = chi2_sufficiency_gap(model, H)
    >>> round(chi2, 3), bool(kl_sufficiency_gap(model, H) <= np.log1p(chi2))  # Jensen
    (0.587, True)
    """
    H = _check_encoder(model, H)
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    base = gaussian_chi2(np.zeros((1, model.dim)), C_x, C_h)[0] + 1.0
    if not np.isfinite(base):
        return float("inf")
    D = R_x - R_h
    vals, vecs = np.linalg.eigh(model.view_cov)
    half = (vecs * np.sqrt(vals)) @ vecs.T
    K = half @ D.T @ np.linalg.solve(2 * C_h - C_x, D) @ half
    eig = np.linalg.eigvalsh(np.eye(model.dim) - 2 * K)
    if np.min(eig) <= 0:
        return float("inf")
    return float(base * np.exp(-0.5 * np.sum(np.log(eig))) - 1.0)


def chi2_sufficiency_gap_monte_carlo(model: GaussianViewModel, H, n: int, rng=0) -> tuple[float, float]:
    """Average of the per-X closed-form chi^2 over n draws of X; returns (mean, standard error)."""
    H = _check_encoder(model, H)
    n = check_int(n, "n", minimum=2)
    R_h, C_h = conditional_given_encoder(model, H)
    R_x, C_x = conditional_given_encoder(model, np.eye(model.dim))
    X = make_rng(rng, name="rng").multivariate_normal(np.zeros(model.dim), model.view_cov, size=n)
    vals = gaussian_chi2(X @ (R_x - R_h).T, C_x, C_h)
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(n))


def best_linear_risk(model: GaussianViewModel, H, w, noise_var: float = 0.0) -> float:
    r"""Population risk of the best linear predictor of :math:`y = w^\top x_0 + \xi` from HX.

    .. math:: w^\top\Sigma_0 w + \sigma^2 - c^\top (H\Sigma_x H^\top)^{-1} c,\quad c = H\Sigma_0 w .

    Examples
    --------
    >>> from analysis.contrastive import best_linear_risk, make_gaussian_view_model, top_pca_encoder
    >>> model = make_gaussian_view_model(4, aug_var=0.5, rng=0)
    >>> risks = [best_linear_risk(model, top_pca_encoder(model, k), np.ones(4)) for k in (1, 2, 4)]
    >>> np.round(risks, 3)  # more principal directions, lower risk
    array([1.672, 1.58 , 1.152])
    """
    H = _check_encoder(model, H)
    w = _check_target(model, w)
    noise_var = check_real(noise_var, "noise_var", minimum=0.0)
    c = H @ model.base_cov @ w
    return float(w @ model.base_cov @ w + noise_var - c @ np.linalg.solve(H @ model.view_cov @ H.T, c))


def ridge_downstream_risk(
    model: GaussianViewModel,
    H,
    w,
    *,
    n: int,
    ridge: float,
    noise_var: float = 0.1,
    n_rep: int = 50,
    rng=0,
) -> tuple[float, float]:
    r"""Exact test risk of ridge fitted on n labelled (HX, y); mean and SE over ``n_rep`` fits.

    :math:`\hat\beta = (\Phi^\top\Phi + n\lambda I)^{-1}\Phi^\top y`, risk
    :math:`w^\top\Sigma_0w + \sigma^2 - 2\hat\beta^\top c + \hat\beta^\top H\Sigma_xH^\top\hat\beta`.

    Examples
    --------
    >>> from analysis.contrastive import (best_linear_risk, make_gaussian_view_model,
    ...                                   ridge_downstream_risk, top_pca_encoder)
    >>> model = make_gaussian_view_model(4, aug_var=0.5, rng=0)
    >>> H, w = top_pca_encoder(model, 2), np.ones(4)
    >>> mean, se = ridge_downstream_risk(model, H, w, n=50, ridge=1e-3, n_rep=20, rng=0)
    >>> bool(mean >= best_linear_risk(model, H, w, noise_var=0.1))  # no fit beats the best one
    True
    """
    H = _check_encoder(model, H)
    w = _check_target(model, w)
    n = check_int(n, "n", minimum=1)
    ridge = check_real(ridge, "ridge", minimum=0.0)
    noise_var = check_real(noise_var, "noise_var", minimum=0.0)
    n_rep = check_int(n_rep, "n_rep", minimum=2)
    check_budget("n", n_bytes=8.0 * 4 * n * model.dim, what="one fit's samples")
    check_budget("n_rep", n_bytes=8.0 * 4 * n_rep * n * model.dim, what="all fits' samples")
    gen = make_rng(rng, name="rng")
    d, k = model.dim, H.shape[0]
    x0 = gen.multivariate_normal(np.zeros(d), model.base_cov, size=(n_rep, n))
    X = x0 + np.sqrt(model.aug_var) * gen.standard_normal((n_rep, n, d))
    y = x0 @ w + np.sqrt(noise_var) * gen.standard_normal((n_rep, n))
    Phi = X @ H.T
    A = np.einsum("rni,rnj->rij", Phi, Phi) + n * ridge * np.eye(k)
    beta = np.linalg.solve(A, np.einsum("rni,rn->ri", Phi, y)[..., None])[..., 0]
    c = H @ model.base_cov @ w
    G = H @ model.view_cov @ H.T
    risk = w @ model.base_cov @ w + noise_var - 2 * beta @ c + np.einsum("ri,ij,rj->r", beta, G, beta)
    return float(risk.mean()), float(risk.std(ddof=1) / np.sqrt(n_rep))

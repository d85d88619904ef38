r"""Simplicity bias in contrastive learning: class collapse and feature suppression (A4).

Xue, Joshi, Gan, Chen & Mirzasoleiman (ICML 2023), "Which Features are Learnt by Contrastive
Learning? On the Role of Simplicity Bias in Class Collapse and Feature Suppression", argue that
(i) supervised contrastive learning (CL) collapses subclasses because gradient descent (GD) from a
small initialisation picks the *minimum-norm* minimiser among many, and (ii) unsupervised CL
suppresses a hard class-relevant feature in favour of an easy class-irrelevant one when the
embedding is too small or the augmentation leaves the easy feature intact.

**The formulation below is ours.** We had no access to the paper's text or code (no internet;
the stored public material does not contain it), so the data model, loss and metrics are a
minimal linear-spectral construction that exhibits the two mechanisms; they are not the paper's
exact definitions, constants or experiments.

* Loss: the spectral contrastive loss for a linear encoder :math:`f(x) = W x`,
  :math:`W \in \mathbb R^{p\times d}`,

  .. math:: L(W) = -2\,\mathbb E[f(x)^\top f(x^+)] + \mathbb E[(f(x)^\top f(x'))^2],

  with :math:`x, x'` independent. With :math:`M = \mathbb E[x x^{+\top}]` and
  :math:`\Sigma = \mathbb E[x x^\top]`, :math:`L = -2\operatorname{tr}(W M W^\top) +
  \lVert W \Sigma W^\top\rVert_F^2`, minimised by :math:`W = \Lambda_p^{1/2} U_p^\top
  \Sigma^{-1/2}` (up to a rotation), :math:`U_p\Lambda_pU_p^\top` the top-p positive part of
  :math:`\Sigma^{-1/2} M \Sigma^{-1/2}`.
* Supervised CL (finite sample, :math:`d > n`): positives are two samples of one class, so with
  :math:`G = X W^\top/\sqrt n` and :math:`P_{ij} = 1[y_i = y_j]/n_{y_i}`, the loss is
  :math:`-2\operatorname{tr}(G^\top P G) + \lVert G^\top G\rVert_F^2`. It depends on W only
  through its action on the row space of X, so every :math:`W + \Delta` with
  :math:`\Delta X^\top = 0` is also a minimiser; GD from a small initialisation stays in the row
  space and reaches the minimum-norm minimiser
  :math:`W_{mn} = \sqrt n\, G_\star^\top (X X^\top)^{-1} X`.
* Unsupervised CL (population): positives are two augmented views :math:`x + \epsilon`,
  :math:`\epsilon \sim N(0, \operatorname{diag}\nu)`, of features
  (easy :math:`\xi \sim N(0, \sigma_e^2)`, class :math:`a_h y`, subclass :math:`a_s s`), so
  :math:`M = \operatorname{diag}(\sigma_e^2, a_h^2, a_s^2)` and :math:`\Sigma = M +
  \operatorname{diag}\nu`; feature j is learnt iff its invariance ratio
  :math:`M_{jj}/\Sigma_{jj}` is among the top p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import (
    as_array,
    check_budget,
    check_int,
    check_labels,
    check_positive,
    check_real,
)

EASY, CLASS, SUBCLASS = 0, 1, 2
FEATURE_NAMES = ("easy (class-irrelevant)", "class (hard)", "subclass")


@dataclass(frozen=True)
class SubclassDataset:
    """Finite sample of the supervised model (our formulation).

    Coordinates: 0 = easy Gaussian feature, 1..2 = one-hot class feature (amplitude
    ``class_amp``), 3 = subclass sign feature (amplitude ``sub_amp``), rest = isotropic noise.
    """

    X: np.ndarray
    y: np.ndarray
    z: np.ndarray


def make_subclass_dataset(
    n_per_group: int,
    dim: int,
    *,
    easy_std: float = 2.0,
    class_amp: float = 1.0,
    sub_amp: float = 1.0,
    noise_std: float = 0.3,
    rng=0,
) -> SubclassDataset:
    r"""Two classes, each with two equally sized subclasses (4 groups of ``n_per_group``).

    .. math:: x = \xi e_0 + a_h e_{1+y} + a_s (2z-1) e_3 + \sigma_n g,\quad g \sim N(0, I_d)

    Examples
    --------
    >>> from analysis.contrastive import make_subclass_dataset
    >>> data = make_subclass_dataset(5, 30, rng=0)  # 4 groups of 5 samples in R^30
    >>> data.X.shape, np.bincount(data.y).tolist(), np.bincount(data.z).tolist()
    ((20, 30), [10, 10], [10, 10])
    """
    n_per_group = check_int(n_per_group, "n_per_group", minimum=1)
    dim = check_int(dim, "dim", minimum=5)
    check_budget("n_per_group", n_bytes=8.0 * 6 * n_per_group, what="labels")
    check_budget("dim", n_bytes=8.0 * 2 * 4 * n_per_group * dim, what="samples")
    easy_std = check_real(easy_std, "easy_std", minimum=0.0)
    class_amp = check_positive(class_amp, "class_amp")
    sub_amp = check_real(sub_amp, "sub_amp", minimum=0.0)
    noise_std = check_positive(noise_std, "noise_std")
    gen = make_rng(rng, name="rng")
    y = np.repeat([0, 0, 1, 1], n_per_group)
    z = np.tile(np.repeat([0, 1], n_per_group), 2)
    n = y.size
    X = noise_std * gen.standard_normal((n, dim))
    X[:, 0] += easy_std * gen.standard_normal(n)
    X[np.arange(n), 1 + y] += class_amp
    X[:, 3] += sub_amp * (2.0 * z - 1.0)
    return SubclassDataset(X=X, y=y, z=z)


def _same_class_operator(y: np.ndarray) -> np.ndarray:
    same = (y[:, None] == y[None, :]).astype(float)
    return same / same.sum(axis=1, keepdims=True)


def _check_w(W, name="W"):
    W = as_array(W, name, min_size=1)
    if W.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d array (p, d), got shape {W.shape}")
    return W


def _check_binary(y, name: str, n: int) -> np.ndarray:
    """Class or subclass labels in {0, 1}, one per sample."""
    return check_labels(y, name, n_classes=2, n_samples=n)


def _check_classes(y, n: int) -> np.ndarray:
    """Class labels (non-negative integers, compared only for equality), one per sample."""
    return check_labels(y, "y", n_samples=n)


def _check_moments(M, Sigma, W=None):
    """M symmetric (d, d), Sigma symmetric positive definite (d, d), W (p, d) when given."""
    M = as_array(M, "M", ndim=2, min_size=1)
    d = M.shape[0]
    if M.shape != (d, d) or not np.allclose(M, M.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"M: expected a symmetric square matrix, got shape {M.shape}")
    Sigma = as_array(Sigma, "Sigma", shape=(d, d))
    if not np.allclose(Sigma, Sigma.T, rtol=1e-10, atol=1e-12):
        raise ValueError("Sigma: expected a symmetric matrix")
    if np.linalg.eigvalsh(Sigma).min() <= 0:
        raise ValueError("Sigma: expected a positive-definite matrix")
    if W is not None and W.shape[1] != d:
        raise ValueError(f"W: expected {d} columns to match M, got shape {W.shape}")
    return M, Sigma


def supervised_spectral_loss(W, X, y) -> float:
    r"""Supervised spectral CL loss :math:`-2\operatorname{tr}(G^\top P G) + \lVert G^\top G\rVert_F^2`.

    :math:`G = XW^\top/\sqrt n`; positives are two samples drawn from the same class (ours).

    Examples
    --------
    >>> from analysis.contrastive import (make_subclass_dataset, min_norm_supervised_minimiser,
    ...                                   supervised_spectral_loss)
    >>> data = make_subclass_dataset(5, 30, rng=0)
    >>> W = min_norm_supervised_minimiser(data.X, data.y, out_dim=2)
    >>> # at a minimiser G G^T = P, so the loss is -2 tr P + ||P||_F^2 = -2 (2 classes)
    >>> round(supervised_spectral_loss(W, data.X, data.y), 6)
    -2.0
    """
    W, X = _check_w(W), _check_w(X, "X")
    y = _check_classes(y, X.shape[0])
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W: expected {X.shape[1]} columns to match X, got shape {W.shape}")
    G = X @ W.T / np.sqrt(X.shape[0])
    P = _same_class_operator(y)
    return float(-2.0 * np.trace(G.T @ P @ G) + np.sum((G.T @ G) ** 2))


def train_supervised_gd(
    X, y, out_dim: int, *, init_scale: float = 1e-6, lr: float = 0.3, steps: int = 1500, rng=0
) -> np.ndarray:
    """Full-batch GD on :func:`supervised_spectral_loss` from ``init_scale * N(0, 1)`` weights.

    The step is ``lr / lambda_max(X^T X / n)``: this normalises the quadratic (alignment) term's
    curvature to the data's scale, not the quartic term's, so it is stable for the small
    initialisations and default ``lr`` used here but not for any ``lr`` (``lr = 0.9`` diverges on
    ``make_subclass_dataset(5, 30, rng=0)``).

    Examples
    --------
    >>> from analysis.contrastive import (gram_distance, make_subclass_dataset,
    ...                                   min_norm_supervised_minimiser, train_supervised_gd)
    >>> data = make_subclass_dataset(5, 30, rng=0)
    >>> W_gd = train_supervised_gd(data.X, data.y, out_dim=2, steps=6000, rng=0)
    >>> W_mn = min_norm_supervised_minimiser(data.X, data.y, out_dim=2)
    >>> bool(gram_distance(W_gd, W_mn) < 1e-4)  # small-init GD finds the minimum-norm minimiser
    True
    """
    X = _check_w(X, "X")
    y = _check_classes(y, X.shape[0])
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    init_scale = check_real(init_scale, "init_scale", minimum=0.0)
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=0)
    n = X.shape[0]
    check_budget("out_dim", n_bytes=8.0 * 4 * out_dim * (X.shape[1] + n), what="weights")
    check_budget("steps", n_operations=float(steps) * (n * n + 4 * n * X.shape[1]) * out_dim,
                 max_operations=1e11, what="gradient steps")
    P = _same_class_operator(y)
    W = init_scale * make_rng(rng, name="rng").standard_normal((out_dim, X.shape[1]))
    Xs = X / np.sqrt(n)
    step = lr / np.linalg.norm(Xs, 2) ** 2
    for _ in range(steps):
        G = Xs @ W.T
        dG = -4.0 * P @ G + 4.0 * G @ (G.T @ G)
        W = W - step * (dG.T @ Xs)
    return W


def min_norm_supervised_minimiser(X, y, out_dim: int) -> np.ndarray:
    r"""Minimum-norm minimiser :math:`W_{mn} = \sqrt n\,G_\star^\top (XX^\top)^{-1}X`.

    :math:`G_\star G_\star^\top` is the top-p positive part of P (P is a projection onto the class
    indicators, so :math:`G_\star` embeds every sample of a class identically). Needs n <= d.

    Examples
    --------
    >>> from analysis.contrastive import (make_subclass_dataset, min_norm_supervised_minimiser,
    ...                                   subclass_separation)
    >>> data = make_subclass_dataset(5, 30, rng=0)
    >>> W = min_norm_supervised_minimiser(data.X, data.y, out_dim=2)
    >>> W.shape, round(subclass_separation(W, data.X, data.y, data.z), 6)  # class collapse
    ((2, 30), 0.0)
    """
    X = _check_w(X, "X")
    y = _check_classes(y, X.shape[0])
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    n, d = X.shape
    check_budget("out_dim", n_bytes=8.0 * 2 * out_dim * d, what="weights")
    if n > d:
        raise ValueError(f"X: the minimum-norm construction needs n <= d, got n={n}, d={d}")
    rank = np.linalg.matrix_rank(X)
    if rank < n:
        raise ValueError(
            f"X: expected linearly independent samples (rank n = {n}) for (X X^T)^-1, got rank "
            f"{rank} (duplicated or dependent rows)"
        )
    vals, vecs = np.linalg.eigh(_same_class_operator(y))
    order = np.argsort(vals)[::-1][:out_dim]
    G = vecs[:, order] * np.sqrt(np.clip(vals[order], 0.0, None))
    W = np.sqrt(n) * np.linalg.solve(X @ X.T, G).T @ X
    if W.shape[0] < out_dim:  # P has rank <= n: the remaining rows of a minimiser are zero
        W = np.vstack([W, np.zeros((out_dim - W.shape[0], d))])
    return W


def non_collapsed_minimiser(W, X, direction_index: int = 3, scale: float = 3.0) -> np.ndarray:
    r"""Another exact minimiser :math:`W + \text{scale}\,u\,(P_\perp e_j)^\top`.

    :math:`P_\perp` projects onto the orthogonal complement of the row space of X, so the training
    embeddings (and the loss) are unchanged while test points keep their subclass coordinate.

    Examples
    --------
    >>> from analysis.contrastive import (make_subclass_dataset, min_norm_supervised_minimiser,
    ...                                   non_collapsed_minimiser, supervised_spectral_loss)
    >>> data = make_subclass_dataset(5, 30, rng=0)
    >>> W = min_norm_supervised_minimiser(data.X, data.y, out_dim=2)
    >>> W2 = non_collapsed_minimiser(W, data.X)  # differs from W off the row space of X
    >>> bool(np.allclose(data.X @ W2.T, data.X @ W.T)), bool(np.allclose(W2, W))
    (True, False)
    >>> round(supervised_spectral_loss(W2, data.X, data.y), 6)  # the same training loss
    -2.0
    """
    W, X = _check_w(W), _check_w(X, "X")
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W: expected {X.shape[1]} columns to match X, got shape {W.shape}")
    scale = check_real(scale, "scale")
    e = np.zeros(X.shape[1])
    e[check_int(direction_index, "direction_index", minimum=0, maximum=X.shape[1] - 1)] = 1.0
    q, _ = np.linalg.qr(X.T)
    v = e - q @ (q.T @ e)
    u = np.zeros(W.shape[0])
    u[-1] = 1.0
    return W + scale * np.outer(u, v)


def subclass_separation(W, X, y, z) -> float:
    """Mean over classes of ``|subclass-mean gap| / |class-mean gap|`` of the embeddings ``X W^T``.

    Examples
    --------
    >>> from analysis.contrastive import make_subclass_dataset, subclass_separation
    >>> data = make_subclass_dataset(50, 10, class_amp=1.0, sub_amp=0.5, noise_std=0.1, rng=0)
    >>> W = np.zeros((2, 10))
    >>> W[0, 1], W[0, 2], W[1, 3] = 1.0, -1.0, 1.0  # reads the class and subclass coordinates
    >>> round(subclass_separation(W, data.X, data.y, data.z), 1)  # about 2 a_s / (2 a_h)
    0.5
    """
    W, X = _check_w(W), _check_w(X, "X")
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W: expected {X.shape[1]} columns to match X, got shape {W.shape}")
    F = X @ W.T
    y, z = _check_binary(y, "y", X.shape[0]), _check_binary(z, "z", X.shape[0])
    groups = [(y == c) & (z == s) for c in (0, 1) for s in (0, 1)]
    if not all(g.any() for g in groups):
        raise ValueError("y, z: expected every (class, subclass) group to be non-empty")
    class_gap = np.linalg.norm(F[y == 1].mean(0) - F[y == 0].mean(0))
    gaps = [
        np.linalg.norm(F[(y == c) & (z == 1)].mean(0) - F[(y == c) & (z == 0)].mean(0)) for c in (0, 1)
    ]
    return float(np.mean(gaps) / class_gap)


def gram_distance(W_a, W_b) -> float:
    r"""Rotation-invariant relative distance between two encoders.

    .. math:: \lVert W_a^\top W_a - W_b^\top W_b\rVert_F / \lVert W_b^\top W_b\rVert_F

    Examples
    --------
    >>> from analysis.contrastive import gram_distance
    >>> W = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])
    >>> Q = np.array([[0.0, -1.0], [1.0, 0.0]])  # a rotation of the embedding
    >>> round(gram_distance(Q @ W, W), 12), round(gram_distance(2 * W, W), 12)
    (0.0, 3.0)
    """
    W_a, W_b = _check_w(W_a, "W_a"), _check_w(W_b, "W_b")
    if W_a.shape[1] != W_b.shape[1]:
        raise ValueError(f"W_b: expected {W_a.shape[1]} columns to match W_a, got {W_b.shape}")
    A, B = W_a.T @ W_a, W_b.T @ W_b
    if not np.any(B):
        raise ValueError("W_b: expected a non-zero reference encoder")
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


# ------------------------------------------------------------------------------------------
# Unsupervised CL, population model: feature suppression and its remedies
# ------------------------------------------------------------------------------------------


def feature_moments(
    easy_std: float = 2.0, class_amp: float = 1.0, sub_amp: float = 0.8, aug_noise=(1.0, 1.0, 1.0)
) -> tuple[np.ndarray, np.ndarray]:
    r"""Positive-pair moment :math:`M` and second moment :math:`\Sigma = M + \operatorname{diag}\nu`.

    Features (easy, class, subclass); ``aug_noise`` = variances :math:`\nu` of the independent
    Gaussian augmentation noise added to each view (ours).

    Examples
    --------
    >>> from analysis.contrastive import feature_moments
    >>> M, Sigma = feature_moments(easy_std=2.0, class_amp=1.0, sub_amp=0.8)
    >>> np.round(np.diag(M), 6), np.round(np.diag(Sigma), 6)
    (array([4.  , 1.  , 0.64]), array([5.  , 2.  , 1.64]))
    """
    aug = as_array(aug_noise, "aug_noise")
    if aug.shape != (3,) or np.any(aug <= 0):
        raise ValueError(f"aug_noise: expected 3 positive variances, got {aug_noise!r}")
    var = np.array(
        [
            check_positive(easy_std, "easy_std") ** 2,
            check_positive(class_amp, "class_amp") ** 2,
            check_real(sub_amp, "sub_amp", minimum=0.0) ** 2,
        ]
    )
    return np.diag(var), np.diag(var + aug)


def spectral_population_loss(W, M, Sigma) -> float:
    r""":math:`-2\operatorname{tr}(WMW^\top) + \lVert W\Sigma W^\top\rVert_F^2`.

    Examples
    --------
    >>> from analysis.contrastive import feature_moments, spectral_minimiser, spectral_population_loss
    >>> M, Sigma = feature_moments()  # invariance ratios M_jj / Sigma_jj = 0.8, 0.5, 0.39
    >>> W = spectral_minimiser(M, Sigma, out_dim=2)
    >>> bool(np.isclose(spectral_population_loss(W, M, Sigma), -(0.8**2 + 0.5**2)))  # -sum top-p
    True
    """
    W = _check_w(W)
    M, Sigma = _check_moments(M, Sigma, W)
    return float(-2.0 * np.trace(W @ M @ W.T) + np.sum((W @ Sigma @ W.T) ** 2))


def spectral_minimiser(M, Sigma, out_dim: int) -> np.ndarray:
    r"""Closed-form minimiser :math:`\Lambda_p^{1/2}U_p^\top\Sigma^{-1/2}` (top-p positive part).

    Examples
    --------
    >>> from analysis.contrastive import feature_moments, feature_weights, spectral_minimiser
    >>> M, Sigma = feature_moments()  # invariance ratios 0.8 (easy), 0.5 (class), 0.39 (subclass)
    >>> np.round(feature_weights(spectral_minimiser(M, Sigma, out_dim=1)), 3)  # class suppressed
    array([0.4, 0. , 0. ])
    >>> np.round(feature_weights(spectral_minimiser(M, Sigma, out_dim=2)), 3)
    array([0.4, 0.5, 0. ])
    """
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    M, Sigma = _check_moments(M, Sigma)
    check_budget("out_dim", n_bytes=8.0 * out_dim * M.shape[0], what="weights")
    s_vals, s_vecs = np.linalg.eigh(Sigma)
    if np.any(s_vals <= 0):
        raise ValueError("Sigma: expected a positive-definite matrix")
    inv_half = (s_vecs / np.sqrt(s_vals)) @ s_vecs.T
    vals, vecs = np.linalg.eigh(inv_half @ M @ inv_half)
    order = np.argsort(vals)[::-1][:out_dim]
    lam = np.clip(vals[order], 0.0, None)
    W = (np.sqrt(lam)[:, None] * vecs[:, order].T) @ inv_half
    if W.shape[0] < out_dim:
        W = np.vstack([W, np.zeros((out_dim - W.shape[0], W.shape[1]))])
    return W


def train_unsupervised_gd(
    M,
    Sigma,
    out_dim: int,
    *,
    init_scale: float = 1e-4,
    lr: float = 0.02,
    steps: int = 2000,
    record_every: int = 0,
    rng=0,
):
    """Full-batch (population) GD on :func:`spectral_population_loss` from a small init.

    Returns the final W and, if ``record_every`` > 0, the per-feature weight norms along the way.

    Examples
    --------
    >>> from analysis.contrastive import (feature_moments, gram_distance, spectral_minimiser,
    ...                                   train_unsupervised_gd)
    >>> M, Sigma = feature_moments()
    >>> W, history = train_unsupervised_gd(M, Sigma, out_dim=2, record_every=500, rng=0)
    >>> history.shape, bool(gram_distance(W, spectral_minimiser(M, Sigma, 2)) < 1e-6)
    ((5, 3), True)
    """
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    init_scale = check_real(init_scale, "init_scale", minimum=0.0)
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=0)
    record_every = check_int(record_every, "record_every", minimum=0)
    M, Sigma = _check_moments(M, Sigma)
    d = M.shape[0]
    check_budget("out_dim", n_bytes=8.0 * 4 * out_dim * d, what="weights")
    check_budget("steps", n_operations=float(steps) * 6 * out_dim * d * (d + out_dim),
                 max_operations=1e11, what="gradient steps")
    W = init_scale * make_rng(rng, name="rng").standard_normal((out_dim, M.shape[0]))
    history = []
    for t in range(steps + 1):
        if record_every and t % record_every == 0:
            history.append(feature_weights(W))
        if t == steps:
            break
        grad = -4.0 * W @ M + 4.0 * (W @ Sigma @ W.T) @ W @ Sigma
        W = W - lr * grad
    return W, np.array(history)


def feature_weights(W) -> np.ndarray:
    """Column norms of W: how strongly each input feature is represented.

    Examples
    --------
    >>> from analysis.contrastive import feature_weights
    >>> feature_weights(np.array([[3.0, 0.0, 0.0], [4.0, 0.0, 1.0]]))
    array([5., 0., 1.])
    """
    return np.linalg.norm(_check_w(W), axis=0)

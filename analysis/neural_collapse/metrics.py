r"""Neural-collapse metrics NC1-NC4, the orthogonal-frame distance, CDNV and effective rank.

Notation: features :math:`H \in \mathbb R^{N\times d}` (one row per sample), labels
:math:`y_i \in \{0..C-1\}`, classifier :math:`W \in \mathbb R^{C\times d}`, bias :math:`b`.
Class means :math:`\mu_c`, global mean :math:`\mu_G`, centred class means
:math:`M = [\mu_c - \mu_G]_c` (rows). All quantities are computed in float64.

Choice of the global mean. ``global_mean="class_means"`` (default) uses
:math:`\mu_G = \frac1C \sum_c \mu_c`, the *balanced* definition (the simplex ETF is centred at
the mean of the class means whatever the class counts); ``"samples"`` uses the sample mean
:math:`\frac1N\sum_i h_i` of Papyan et al. (2020). They coincide for balanced classes.

References
----------
.. [1] V. Papyan, X. Y. Han, D. L. Donoho, "Prevalence of neural collapse during the terminal
   phase of deep learning training", PNAS 117(40), 2020. Definitions of NC1-NC4 (Fig. 6-9).
.. [2] G. R. Kini et al., "Symmetric Neural-Collapse Representations with Supervised Contrastive
   Loss: The Impact of ReLU and Batching", ICLR 2024. OF distance of the class-mean Gram.
.. [3] T. Galanti, A. Gyorgy, M. Hutter, "On the role of neural collapse in transfer learning",
   ICLR 2022. Class-distance normalised variance (CDNV).
.. [4] O. Roy, M. Vetterli, "The effective rank: a measure of effective dimensionality", EUSIPCO
   2007.
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import as_array, check_choice, check_int, check_labels

#: Named NC1 variants (see :func:`nc1_within_class`).
NC1_VARIANTS = ("papyan", "no_class_average", "sigma_b_per_dim", "trace_ratio")
GLOBAL_MEANS = ("class_means", "samples")


def validate_features_labels(H: object, y: object, n_classes: int | None = None):
    """Check features (N, d) and labels; every class 0..C-1 must have a sample.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, int)
        float64 features, int64 labels and the number of classes C.
    """
    H = as_array(H, "H", ndim=2, min_size=1)
    if n_classes is not None:
        # every class needs a sample, so C <= N (this also bounds the per-class arrays)
        n_classes = check_int(n_classes, "n_classes", minimum=2, maximum=max(H.shape[0], 2))
    y = check_labels(y, "y", n_classes=n_classes, n_samples=H.shape[0])
    C = int(n_classes) if n_classes is not None else int(y.max()) + 1
    if C > H.shape[0]:
        raise ValueError(
            f"y: expected every class 0..{C - 1} to have a sample, but there are only "
            f"{H.shape[0]} samples"
        )
    if C < 2:
        raise ValueError(f"y: expected labels of at least 2 classes, got C={C}")
    counts = np.bincount(y, minlength=C)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"y: expected every class 0..{C - 1} to have a sample, class(es) {empty.tolist()} "
            "have none"
        )
    return H, y, C


def class_means(H: np.ndarray, y: np.ndarray, C: int) -> np.ndarray:
    r"""Class means :math:`\mu_c = \frac{1}{n_c}\sum_{i: y_i = c} h_i` as a (C, d) array."""
    counts = np.bincount(y, minlength=C).astype(float)
    sums = np.zeros((C, H.shape[1]))
    np.add.at(sums, y, H)
    return sums / counts[:, None]


def _global_mean(H: np.ndarray, means: np.ndarray, global_mean: str) -> np.ndarray:
    return means.mean(axis=0) if global_mean == "class_means" else H.mean(axis=0)


def _pinv_rank_cut(S: np.ndarray, rank: int) -> np.ndarray:
    """Pseudo-inverse of a symmetric PSD matrix keeping at most ``rank`` leading eigenpairs.

    Eigenvalues below ``max * d * eps`` are also dropped: they are round-off, and inverting them
    would blow NC1 up for a perfectly collapsed configuration.
    """
    vals, vecs = np.linalg.eigh(S)
    order = np.argsort(vals)[::-1][:rank]
    vals, vecs = vals[order], vecs[:, order]
    keep = vals > max(vals.max(initial=0.0), 0.0) * S.shape[0] * np.finfo(float).eps * 10
    vals, vecs = vals[keep], vecs[:, keep]
    return (vecs / vals) @ vecs.T


def nc1_within_class(
    H: object,
    y: object,
    *,
    variant: str = "papyan",
    global_mean: str = "class_means",
    n_classes: int | None = None,
) -> float:
    r"""NC1, within-class variability relative to between-class variability.

    .. math::

        \Sigma_W = \frac1N \sum_i (h_i - \mu_{y_i})(h_i - \mu_{y_i})^\top,\quad
        \Sigma_B = \frac1C \sum_c (\mu_c - \mu_G)(\mu_c - \mu_G)^\top,\quad
        \mathrm{NC1} = \frac1C \operatorname{Tr}(\Sigma_W \Sigma_B^{+}).

    :math:`\Sigma_B^+` is the pseudo-inverse from ``eigh`` keeping at most the :math:`C-1`
    leading eigenpairs (the rank of :math:`\Sigma_B`); tiny negative round-off is clamped to 0.

    Parameters
    ----------
    H : array_like, shape (N, d)
        Features.
    y : array_like, shape (N,)
        Labels in 0..C-1, every class present.
    variant : {"papyan", "no_class_average", "sigma_b_per_dim", "trace_ratio"}
        ``"papyan"``: the formula above (Papyan et al., 2020, Fig. 6). ``"no_class_average"``:
        :math:`\operatorname{Tr}(\Sigma_W\Sigma_B^+)` without the :math:`1/C` (C times larger),
        as some published code computes it. ``"sigma_b_per_dim"``: :math:`\Sigma_B` divided by
        the feature dimension d before the pseudo-inverse (d times the default), another
        convention found in published code. ``"trace_ratio"``:
        :math:`\operatorname{Tr}\Sigma_W / \operatorname{Tr}\Sigma_B`, a pseudo-inverse-free
        proxy. All vanish exactly under within-class collapse.
    global_mean : {"class_means", "samples"}
        Definition of :math:`\mu_G` (see the module docstring).
    n_classes : int, optional
        C; default ``max(y) + 1``.

    Returns
    -------
    float
        Non-negative NC1 value.

    References
    ----------
    .. [1] Papyan, Han & Donoho (2020), PNAS, Sec. "Results", NC1 (Fig. 6).

    Examples
    --------
    >>> from analysis.neural_collapse import collapsed_etf_features, nc1_within_class
    >>> H, y, _ = collapsed_etf_features([5, 5, 5], d=4, rng=0)
    >>> nc1_within_class(H, y) < 1e-12  # exact within-class collapse
    True
    >>> H, y, _ = collapsed_etf_features([5, 5, 5], d=4, noise=0.1, rng=0)
    >>> round(nc1_within_class(H, y), 3)
    0.01
    """
    check_choice(variant, "variant", NC1_VARIANTS)
    check_choice(global_mean, "global_mean", GLOBAL_MEANS)
    H, y, C = validate_features_labels(H, y, n_classes)
    means = class_means(H, y, C)
    centred_means = means - _global_mean(H, means, global_mean)
    within = H - means[y]
    sigma_w = within.T @ within / H.shape[0]
    sigma_b = centred_means.T @ centred_means / C
    if variant == "trace_ratio":
        tb = np.trace(sigma_b)
        if tb <= 0:
            raise ValueError("H: the class means coincide, between-class covariance is zero")
        return max(float(np.trace(sigma_w) / tb), 0.0)
    if variant == "sigma_b_per_dim":
        sigma_b = sigma_b / H.shape[1]
    value = float(np.trace(sigma_w @ _pinv_rank_cut(sigma_b, C - 1)))
    if variant in ("papyan", "sigma_b_per_dim"):
        value /= C
    return max(value, 0.0)


def _pairwise_cosines(V: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(V, axis=1)
    if np.any(norms == 0):
        raise ValueError("H: a centred class mean is zero, its angle is undefined")
    U = V / norms[:, None]
    cos = U @ U.T
    return cos[np.triu_indices(V.shape[0], k=1)]


def _coefficient_of_variation(x: np.ndarray) -> float:
    return float(np.std(x) / np.mean(x))


def etf_gram_distance(G: object) -> float:
    r"""Normalised Gram distance to the simplex ETF.

    .. math::

        \Big\| \frac{G}{\|G\|_F} - \frac{I - \frac1C \mathbf 1\mathbf 1^\top}
        {\|I - \frac1C \mathbf 1\mathbf 1^\top\|_F} \Big\|_F

    Parameters
    ----------
    G : array_like, shape (C, C)
        Gram matrix of the centred class means (or of the classifier rows).
    """
    G = as_array(G, "G", ndim=2)
    C = G.shape[0]
    if G.shape != (C, C) or C < 2:
        raise ValueError(f"G: expected a square (C, C) matrix with C >= 2, got shape {G.shape}")
    P = np.eye(C) - np.full((C, C), 1.0 / C)
    return float(np.linalg.norm(G / np.linalg.norm(G) - P / np.linalg.norm(P)))


def of_distance_from_gram(G_M: object) -> float:
    r"""Orthogonal-frame distance of a class-mean Gram.

    .. math::

        \mathrm{OF}(G_M) = \Big\| \frac{G_M}{\|G_M\|_F} - \frac{I_C}{\sqrt C} \Big\|_F ,

    with :math:`G_M` the Gram of the *uncentred* class means (Kini et al., 2024, Sec. 5).
    """
    G_M = as_array(G_M, "G_M", ndim=2)
    C = G_M.shape[0]
    if G_M.shape != (C, C) or C < 2:
        raise ValueError(f"G_M: expected a square (C, C) matrix with C >= 2, got shape {G_M.shape}")
    norm = np.linalg.norm(G_M)
    if norm == 0:
        raise ValueError("G_M: expected a non-zero Gram matrix, got all zeros")
    return float(np.linalg.norm(G_M / norm - np.eye(C) / np.sqrt(C)))


def of_distance(H: object, y: object, *, n_classes: int | None = None) -> float:
    """OF distance of the uncentred class means of ``H`` (see :func:`of_distance_from_gram`).

    Examples
    --------
    >>> from analysis.neural_collapse import of_distance, orthogonal_frame, simplex_etf
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> round(of_distance(orthogonal_frame(3, 4)[y], y), 6)
    0.0
    >>> round(of_distance(simplex_etf(3, 4)[y], y), 3)  # an ETF is not an orthogonal frame
    0.606
    """
    H, y, C = validate_features_labels(H, y, n_classes)
    means = class_means(H, y, C)
    return of_distance_from_gram(means @ means.T)


def cdnv(H: object, y: object, *, n_classes: int | None = None) -> float:
    r"""Class-distance normalised variance, averaged over pairs of classes.

    .. math::

        \mathrm{CDNV} = \frac{2}{C(C-1)} \sum_{c < c'}
        \frac{\operatorname{Var}_c + \operatorname{Var}_{c'}}{2\|\mu_c - \mu_{c'}\|^2},\qquad
        \operatorname{Var}_c = \frac1{n_c}\sum_{i: y_i=c} \|h_i - \mu_c\|^2 .

    References
    ----------
    .. [1] Galanti, Gyorgy & Hutter (2022), ICLR, Def. 1.
    """
    H, y, C = validate_features_labels(H, y, n_classes)
    means = class_means(H, y, C)
    counts = np.bincount(y, minlength=C).astype(float)
    var = np.zeros(C)
    np.add.at(var, y, np.sum((H - means[y]) ** 2, axis=1))
    var /= counts
    iu = np.triu_indices(C, k=1)
    dist2 = np.sum((means[:, None, :] - means[None, :, :]) ** 2, axis=-1)[iu]
    if np.any(dist2 == 0):
        raise ValueError("H: two class means coincide, CDNV is undefined")
    return float(np.mean((var[iu[0]] + var[iu[1]]) / (2 * dist2)))


def effective_rank(H: object) -> float:
    r"""Effective rank :math:`\exp(-\sum_k p_k \log p_k)`, :math:`p_k = \sigma_k / \sum_j \sigma_j`.

    References
    ----------
    .. [1] Roy & Vetterli (2007), EUSIPCO, Def. 1.
    """
    H = as_array(H, "H", ndim=2, min_size=1)
    s = np.linalg.svd(H, compute_uv=False)
    if s.sum() == 0:
        raise ValueError("H: expected a non-zero matrix, got all zeros")
    p = s[s > 0] / s.sum()
    return float(np.exp(-np.sum(p * np.log(p))))


def nc_metrics(
    H: object,
    y: object,
    W: object = None,
    b: object = None,
    *,
    nc1_variant: str = "papyan",
    global_mean: str = "class_means",
) -> dict[str, float]:
    r"""All neural-collapse metrics of features (and optionally a linear classifier).

    Keys (each 0 at exact neural collapse):

    - ``nc1``: :func:`nc1_within_class` (``nc1_variant``).
    - ``nc2_equinorm``: :math:`\mathrm{std}_c\|\mu_c-\mu_G\| / \mathrm{mean}_c\|\mu_c-\mu_G\|`.
    - ``nc2_equiangular``: std over pairs :math:`c<c'` of :math:`\cos(\mu_c-\mu_G, \mu_{c'}-\mu_G)`.
    - ``nc2_maxangle``: mean over pairs of :math:`|\cos + 1/(C-1)|`.
    - ``nc2_etf_gram``: :func:`etf_gram_distance` of :math:`M M^\top`.
    - ``of_distance``: :func:`of_distance_from_gram` of the uncentred class means (0 at an OF,
      not at an ETF: it is the SCL + ReLU reference).
    - ``cdnv``, ``effective_rank`` (of H).

    With ``W`` (C, d): ``nc2_equinorm_w`` (coefficient of variation of :math:`\|w_c\|`),
    ``nc2_etf_gram_w`` (ETF distance of :math:`W W^\top`),
    ``nc3`` :math:`= \| W/\|W\|_F - M/\|M\|_F \|_F^2` (self-duality) and
    ``nc4``: the fraction of samples where :math:`\arg\max_c (W h + b)_c` differs from the
    nearest class mean :math:`\arg\min_c \|h - \mu_c\|`.

    Parameters
    ----------
    H : array_like, shape (N, d)
        Features, finite.
    y : array_like, shape (N,)
        Labels in 0..C-1 with every class present (C = number of rows of W when given).
    W : array_like, shape (C, d), optional
        Classifier weights.
    b : array_like, shape (C,), optional
        Classifier bias (only used with ``W``; default 0).
    nc1_variant, global_mean : str
        See :func:`nc1_within_class`.

    Returns
    -------
    dict of str to float

    References
    ----------
    .. [1] Papyan, Han & Donoho (2020), PNAS, NC1-NC4.
    .. [2] Kini et al. (2024), ICLR, OF distance.

    Examples
    --------
    >>> from analysis.neural_collapse import collapsed_etf_features, nc_metrics
    >>> H, y, M = collapsed_etf_features([4, 4, 4], d=5, rng=0)
    >>> m = nc_metrics(H, y, W=M)  # exact collapse onto a self-dual ETF
    >>> [round(m[k], 6) for k in ("nc1", "nc2_etf_gram", "nc3", "nc4")]
    [0.0, 0.0, 0.0, 0.0]
    >>> round(m["of_distance"], 3), round(m["effective_rank"], 3)
    (0.606, 2.0)
    """
    check_choice(nc1_variant, "nc1_variant", NC1_VARIANTS)
    check_choice(global_mean, "global_mean", GLOBAL_MEANS)
    H = as_array(H, "H", ndim=2, min_size=1)
    C_w = None
    if W is not None:
        W = as_array(W, "W", ndim=2, min_size=1)
        C_w = W.shape[0]
        if not 2 <= C_w <= H.shape[0]:
            raise ValueError(
                f"W: expected one row per class, 2 <= C <= N = {H.shape[0]}, got shape {W.shape}"
            )
    elif b is not None:
        raise ValueError("b: a bias was given without a classifier W")
    H, y, C = validate_features_labels(H, y, C_w)
    if W is not None and W.shape[1] != H.shape[1]:
        raise ValueError(f"W: expected {H.shape[1]} columns to match H, got shape {W.shape}")
    means = class_means(H, y, C)
    M = means - _global_mean(H, means, global_mean)
    norms = np.linalg.norm(M, axis=1)
    cos = _pairwise_cosines(M)
    out = {
        "nc1": nc1_within_class(H, y, variant=nc1_variant, global_mean=global_mean, n_classes=C),
        "nc2_equinorm": _coefficient_of_variation(norms),
        "nc2_equiangular": float(np.std(cos)),
        "nc2_maxangle": float(np.mean(np.abs(cos + 1.0 / (C - 1)))),
        "nc2_etf_gram": etf_gram_distance(M @ M.T),
        "of_distance": of_distance_from_gram(means @ means.T),
        "cdnv": cdnv(H, y, n_classes=C),
        "effective_rank": effective_rank(H),
    }
    if W is not None:
        bias = np.zeros(C) if b is None else as_array(b, "b", shape=(C,))
        w_norms = np.linalg.norm(W, axis=1)
        if np.any(w_norms == 0):
            raise ValueError("W: expected non-zero classifier rows, got a zero row")
        out["nc2_equinorm_w"] = _coefficient_of_variation(w_norms)
        out["nc2_etf_gram_w"] = etf_gram_distance(W @ W.T)
        out["nc3"] = float(np.sum((W / np.linalg.norm(W) - M / np.linalg.norm(M)) ** 2))
        logits_pred = np.argmax(H @ W.T + bias, axis=1)
        d2 = np.sum((H[:, None, :] - means[None, :, :]) ** 2, axis=-1)
        ncc_pred = np.argmin(d2, axis=1)
        out["nc4"] = float(np.mean(logits_pred != ncc_pred))
    return out

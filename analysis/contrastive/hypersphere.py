r"""Alignment, uniformity and InfoNCE on the unit hypersphere (Wang & Isola, ICML 2020).

Every function accepts numpy arrays or torch tensors (torch results stay differentiable, for
training). Features must be unit-norm rows: unnormalised input raises a ValueError unless
``normalize=True`` is passed, in which case rows are projected onto the sphere first.

References
----------
T. Wang, P. Isola, "Understanding Contrastive Representation Learning through Alignment and
Uniformity on the Hypersphere", ICML 2020: Def. of :math:`\mathcal L_{align}`,
:math:`\mathcal L_{uniform}` (Sec. 4.1), Theorem 1 (asymptotics of the contrastive loss) and
Proposition 1 / Sec. 4.1.2 (the uniform distribution minimises the Gaussian-potential energy).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, ive

from analysis._core.rng import make_rng
from analysis._core.validate import as_array, check_budget, check_int, check_positive, check_real
from analysis.contrastive.losses import MonteCarloEstimate

__all__ = [
    "alignment",
    "alignment_rotation_exact",
    "infonce_gap_bounds",
    "infonce_gap_expansion",
    "infonce_limit",
    "infonce_loss",
    "infonce_minus_log_m",
    "sample_uniform_sphere",
    "uniformity",
    "uniformity_kernel_mean",
    "uniformity_uniform_sphere",
]

UNIT_NORM_ATOL = 1e-6


def _is_torch(x) -> bool:
    return hasattr(x, "detach") and hasattr(x, "dim")


def _numpy_unless_all_torch(*zs):
    """The inputs unchanged when all are torch tensors, else every tensor as a numpy array.

    A mix of numpy and torch inputs is computed in numpy (the same numbers as all-numpy input).
    """
    if all(_is_torch(z) for z in zs):
        return zs
    return tuple(z.detach().cpu().numpy() if _is_torch(z) else z for z in zs)


def _check_counts(n_negatives, name: str = "n_negatives") -> np.ndarray:
    """Integer counts >= 1 (an int or an array of ints) as a float64 array."""
    raw = n_negatives.detach().cpu().numpy() if _is_torch(n_negatives) else n_negatives
    if np.iscomplexobj(raw):
        raise TypeError(f"{name}: expected integers >= 1, got complex values")
    M = np.asarray(raw, dtype=np.float64)
    if M.size == 0 or np.any(~(M >= 1)) or np.any(M != np.round(M)) or np.any(~np.isfinite(M)):
        raise ValueError(f"{name}: expected integers >= 1, got {n_negatives!r}")
    return M


def _unit_rows(z, name: str, normalize: bool, ndim: int = 2):
    """Return ``z`` (numpy float64 or torch) with unit rows, checking or projecting."""
    if _is_torch(z):
        if z.dim() != ndim:
            raise ValueError(f"{name}: expected a {ndim}-D tensor, got shape {tuple(z.shape)}")
        if not bool(z.isfinite().all()):
            raise ValueError(f"{name}: expected finite values")
        norms = z.norm(dim=-1, keepdim=True)
        if normalize:
            return z / norms.clamp_min(1e-300)
        dev = float((norms.detach() - 1).abs().max()) if z.numel() else 0.0
    else:
        z = as_array(z, name, ndim=ndim, min_size=1)
        norms = np.linalg.norm(z, axis=-1, keepdims=True)
        if normalize:
            if np.any(norms == 0):
                raise ValueError(f"{name}: cannot normalise a zero row")
            return z / norms
        dev = float(np.abs(norms - 1).max())
    if dev > UNIT_NORM_ATOL:
        raise ValueError(
            f"{name}: expected unit-norm rows (| ||z_i|| - 1 | <= {UNIT_NORM_ATOL}), got a maximum "
            f"deviation of {dev:.3g}; pass normalize=True to project the rows onto the sphere"
        )
    return z


def sample_uniform_sphere(n: int, dim: int, rng=0) -> np.ndarray:
    """``n`` points uniform on :math:`S^{d-1}` (normalised standard Gaussians), shape (n, d).

    Examples
    --------
    >>> from analysis.contrastive import sample_uniform_sphere
    >>> z = sample_uniform_sphere(5, 3, rng=0)
    >>> z.shape, bool(np.allclose(np.linalg.norm(z, axis=1), 1.0))
    ((5, 3), True)
    """
    n = check_int(n, "n", minimum=1)
    dim = check_int(dim, "dim", minimum=1)
    check_budget("n", n_bytes=8.0 * 2 * n, what="sample norms")
    check_budget("dim", n_bytes=8.0 * 2 * n * dim, what="samples")
    g = make_rng(rng, name="rng").standard_normal((n, dim))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def alignment(z1, z2, alpha: float = 2.0, normalize: bool = False):
    r"""Alignment loss :math:`\mathcal L_{align} = \mathbb E\,\|f(x) - f(y)\|_2^\alpha` (positive pairs).

    Parameters
    ----------
    z1, z2 : array or tensor, shape (n, p)
        Unit-norm features of the two views (row i of both is a positive pair).
    alpha : float
        Exponent :math:`\alpha > 0` (2 in Wang & Isola's experiments).
    normalize : bool
        Project rows onto the sphere instead of raising on unnormalised input.

    Returns
    -------
    float, or a 0-d torch.Tensor for torch input

    Examples
    --------
    >>> from analysis.contrastive import alignment, sample_uniform_sphere
    >>> z = sample_uniform_sphere(5, 3, rng=0)
    >>> round(alignment(z, z), 6), round(alignment(z, -z), 6)  # ||z - (-z)||^2 = 4
    (0.0, 4.0)
    """
    alpha = check_positive(alpha, "alpha")
    z1, z2 = _numpy_unless_all_torch(z1, z2)
    z1 = _unit_rows(z1, "z1", normalize)
    z2 = _unit_rows(z2, "z2", normalize)
    if tuple(z1.shape) != tuple(z2.shape):
        raise ValueError(f"z2: expected shape {tuple(z1.shape)} to match z1, got {tuple(z2.shape)}")
    if _is_torch(z1):
        return (z1 - z2).norm(dim=1).pow(alpha).mean()
    return float(np.mean(np.linalg.norm(z1 - z2, axis=1) ** alpha))


def _pair_sq_dists_numpy(z: np.ndarray) -> np.ndarray:
    """Squared distances of pairs i < j (float64, from the Gram matrix, clipped at 0)."""
    sq = np.sum(z * z, axis=1)
    gram = z @ z.T
    iu = np.triu_indices(z.shape[0], k=1)
    return np.maximum(sq[iu[0]] + sq[iu[1]] - 2.0 * gram[iu], 0.0)


def uniformity(z, t: float = 2.0, normalize: bool = False):
    r"""Uniformity loss :math:`\mathcal L_{uniform} = \log \mathbb E\, e^{-t \|f(x) - f(y)\|^2}`.

    Estimated over the distinct pairs i < j of one view (the diagonal i = j, at distance 0, is
    excluded: including it biases the estimate upwards by about :math:`(1 - \bar K)/n`). The
    mean is a U-statistic, unbiased for :math:`\mathbb E\, e^{-t\|\cdot\|^2}`; the log is taken
    through log-sum-exp so large t does not underflow. The numpy path streams row blocks (memory
    O(2e6) floats whatever n is).

    Parameters
    ----------
    z : array or tensor, shape (n, p), n >= 2
        Unit-norm features.
    t : float
        Kernel scale t > 0 (2 in Wang & Isola).
    normalize : bool
        Project rows onto the sphere instead of raising on unnormalised input.

    Returns
    -------
    float, or a 0-d torch.Tensor for torch input

    Examples
    --------
    >>> from analysis.contrastive import sample_uniform_sphere, uniformity, uniformity_uniform_sphere
    >>> round(uniformity(np.array([[1.0, 0.0], [-1.0, 0.0]]), t=2.0), 6)  # one pair at distance 2
    -8.0
    >>> z = sample_uniform_sphere(1000, 3, rng=0)
    >>> round(uniformity(z), 2), round(uniformity_uniform_sphere(3), 2)  # sample vs exact
    (-2.08, -2.08)
    """
    t = check_positive(t, "t")
    z = _unit_rows(z, "z", normalize)
    if z.shape[0] < 2:
        raise ValueError(f"z: expected at least 2 rows to form pairs, got {z.shape[0]}")
    if _is_torch(z):
        import torch

        d2 = torch.pdist(z, p=2).pow(2)
        return torch.logsumexp(-t * d2, dim=0) - math.log(d2.numel())
    return _log_mean_kernel_streamed(z, t)


def _log_mean_kernel_streamed(z: np.ndarray, t: float, max_entries: int = 2_000_000) -> float:
    """Log-mean of exp(-t ||z_i - z_j||^2) over i < j, in row blocks of O(max_entries) memory."""
    n = z.shape[0]
    sq = np.sum(z * z, axis=1)
    block = max(1, max_entries // n)
    logs = []
    for start in range(0, n - 1, block):  # O(n / block) blocks, each vectorised
        stop = min(n, start + block)
        d2 = sq[start:stop, None] + sq[None, :] - 2.0 * (z[start:stop] @ z.T)
        upper = np.arange(n)[None, :] > np.arange(start, stop)[:, None]  # keep j > i only
        vals = -t * np.maximum(d2[upper], 0.0)
        if vals.size:
            top = float(vals.max())
            logs.append(top + math.log(float(np.sum(np.exp(vals - top)))))
    total = np.logaddexp.reduce(np.array(logs))
    return float(total - math.log(n * (n - 1) / 2))


def uniformity_kernel_mean(
    z, t: float = 2.0, n_batches: int = 20, normalize: bool = False, include_diagonal: bool = False
) -> MonteCarloEstimate:
    r""":math:`\mathbb E\, e^{-t\|x-y\|^2}` with a standard error, from ``n_batches`` disjoint batches.

    Each batch of rows gives an independent U-statistic; their mean estimates the kernel mean
    and their spread its standard error (the error model of the Monte-Carlo checks).
    ``include_diagonal=True`` reproduces the classic bug of averaging over all n^2 pairs.

    Examples
    --------
    >>> from analysis.contrastive import (sample_uniform_sphere, uniformity_kernel_mean,
    ...                                   uniformity_uniform_sphere)
    >>> est = uniformity_kernel_mean(sample_uniform_sphere(1000, 3, rng=0), t=2.0, n_batches=10)
    >>> exact = np.exp(uniformity_uniform_sphere(3, t=2.0))
    >>> est.n_samples, bool(abs(est.mean - exact) < 4 * est.stderr)
    (1000, True)
    """
    n_batches = check_int(n_batches, "n_batches", minimum=2)
    t = check_positive(t, "t")
    z = _unit_rows(z if not _is_torch(z) else z.detach().cpu().numpy(), "z", normalize)
    n = z.shape[0] // n_batches
    if n < 2:
        raise ValueError(
            f"n_batches: {n_batches} batches need at least {2 * n_batches} rows of z, got {z.shape[0]}"
        )
    means = np.empty(n_batches)
    for b in range(n_batches):  # a handful of batches; each batch is vectorised
        zb = z[b * n : (b + 1) * n]
        if include_diagonal:
            d2 = np.maximum(2.0 - 2.0 * zb @ zb.T, 0.0).ravel()
        else:
            d2 = _pair_sq_dists_numpy(zb)
        means[b] = np.mean(np.exp(-t * d2))
    return MonteCarloEstimate(
        float(means.mean()), float(means.std(ddof=1) / math.sqrt(n_batches)), n_batches * n, parts={}
    )


def uniformity_uniform_sphere(dim: int, t: float = 2.0) -> float:
    r"""Exact :math:`\mathcal L_{uniform}` of the uniform distribution on :math:`S^{d-1}`.

    For x, y independent and uniform, :math:`\|x - y\|^2 = 2 - 2u` with :math:`u = x^\top y` of
    density :math:`\propto (1-u^2)^{(d-3)/2}` on [-1, 1], and
    :math:`\mathbb E\, e^{\kappa u} = \Gamma(\tfrac d2) (\tfrac{2}{\kappa})^{d/2-1} I_{d/2-1}(\kappa)`
    (the normaliser of the von Mises-Fisher distribution). With :math:`\kappa = 2t`:

    .. math::

        \mathcal L_{uniform}(\sigma_{d-1}; t) = -2t + \log\Gamma(\tfrac d2)
          + (\tfrac d2 - 1)\log\tfrac{2}{2t} + \log I_{d/2-1}(2t).

    For d = 1 (two antipodal points) it is :math:`\log\frac{1 + e^{-4t}}{2}`. The Bessel function is
    evaluated as ``ive`` (exponentially scaled) so large t or d do not overflow. Proved
    symbolically for d = 3 in ``proofs_checks/check_contrastive.py``.

    Examples
    --------
    >>> from analysis.contrastive import uniformity_uniform_sphere
    >>> # d = 3: E e^{2t u} = sinh(2t) / (2t) for u uniform on [-1, 1]
    >>> bool(np.isclose(uniformity_uniform_sphere(3, t=2.0), -4.0 + np.log(np.sinh(4.0) / 4.0)))
    True
    >>> bool(np.isclose(uniformity_uniform_sphere(1, t=2.0), np.log((1 + np.exp(-8.0)) / 2)))
    True
    """
    dim = check_int(dim, "dim", minimum=1)
    t = check_positive(t, "t")
    if dim == 1:
        return math.log((1.0 + math.exp(-4.0 * t)) / 2.0)
    kappa = 2.0 * t
    nu = dim / 2.0 - 1.0
    log_mgf = float(gammaln(dim / 2.0) + nu * math.log(2.0 / kappa) + math.log(ive(nu, kappa)) + kappa)
    return -2.0 * t + log_mgf


def alignment_rotation_exact(dim: int, theta: float, alpha: float = 2.0) -> float:
    r"""Exact :math:`\mathcal L_{align}` for x uniform on :math:`S^{d-1}`, y = R x, R a plane rotation.

    With R rotating one coordinate plane by :math:`\theta`, :math:`\|x - Rx\| = 2\sin(\theta/2)\, r`
    where :math:`r^2 \sim \mathrm{Beta}(1, (d-2)/2)` is the squared norm of x's projection on the
    plane, so

    .. math::

        \mathbb E\|x - Rx\|^\alpha = (2\sin\tfrac\theta2)^\alpha
            \frac{\Gamma(1 + \alpha/2)\,\Gamma(d/2)}{\Gamma(d/2 + \alpha/2)}

    (for d = 2, r = 1; for :math:`\alpha = 2` it reduces to :math:`2 - 2\,\mathrm{tr}(R)/d`).

    Examples
    --------
    >>> from analysis.contrastive import alignment_rotation_exact
    >>> # d = 3, theta = pi/2: tr(R) = 1 + 2 cos(theta) = 1, so 2 - 2/3
    >>> bool(np.isclose(alignment_rotation_exact(3, np.pi / 2), 2 - 2 / 3))
    True
    >>> round(alignment_rotation_exact(2, np.pi), 6)  # antipodal: ||x - (-x)||^2 = 4
    4.0
    """
    dim = check_int(dim, "dim", minimum=2)
    theta = check_real(theta, "theta")
    alpha = check_positive(alpha, "alpha")
    chord = abs(2.0 * math.sin(theta / 2.0))
    if chord == 0.0:
        return 0.0
    log_moment = gammaln(1.0 + alpha / 2.0) + gammaln(dim / 2.0) - gammaln(dim / 2.0 + alpha / 2.0)
    return float(math.exp(alpha * math.log(chord) + log_moment))


def infonce_loss(
    anchor,
    positive,
    negatives,
    temperature: float = 1.0,
    normalize: bool = False,
    reduction: str = "mean",
):
    r"""InfoNCE loss with M negatives (Wang & Isola 2020, Eq. 1; Oord et al. 2018).

    .. math::

        \mathcal L = -\log \frac{e^{f(x)^\top f(y)/t}}
            {e^{f(x)^\top f(y)/t} + \sum_{i=1}^M e^{f(x)^\top f(x^-_i)/t}}

    Parameters
    ----------
    anchor, positive : array or tensor, shape (n, p)
        Unit-norm features f(x) and f(y).
    negatives : array or tensor, shape (n, M, p) or (M, p)
        Unit-norm negative features, per anchor or shared by all anchors.
    temperature : float
        t > 0.
    reduction : {"mean", "none"}

    Returns
    -------
    float or numpy.ndarray (n,), or a torch.Tensor for torch input

    Examples
    --------
    >>> from analysis.contrastive import infonce_loss
    >>> e = np.eye(3)  # positive = anchor, two orthogonal negatives shared by all anchors
    >>> loss = infonce_loss(e[:1], e[:1], e[1:], temperature=1.0)
    >>> bool(np.isclose(loss, -np.log(np.e / (np.e + 2))))
    True
    """
    t = check_positive(temperature, "temperature")
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction: expected 'mean' or 'none', got {reduction!r}")
    anchor, positive, negatives = _numpy_unless_all_torch(anchor, positive, negatives)
    anchor = _unit_rows(anchor, "anchor", normalize)
    positive = _unit_rows(positive, "positive", normalize)
    if tuple(anchor.shape) != tuple(positive.shape):
        raise ValueError(
            f"positive: expected shape {tuple(anchor.shape)} to match anchor, "
            f"got {tuple(positive.shape)}"
        )
    neg_ndim = negatives.dim() if _is_torch(negatives) else np.ndim(negatives)
    if neg_ndim not in (2, 3):
        raise ValueError(
            f"negatives: expected shape (n, M, p) or (M, p), got {tuple(np.shape(negatives))}"
        )
    negatives = _unit_rows(negatives, "negatives", normalize, ndim=neg_ndim)
    n, p = tuple(anchor.shape)
    if tuple(negatives.shape)[-1] != p or (neg_ndim == 3 and tuple(negatives.shape)[0] != n):
        raise ValueError(
            f"negatives: expected shape ({n}, M, {p}) or (M, {p}), got {tuple(negatives.shape)}"
        )
    if _is_torch(anchor):
        import torch

        pos = (anchor * positive).sum(-1, keepdim=True) / t
        neg = (
            torch.einsum("np,nmp->nm", anchor, negatives) if neg_ndim == 3 else anchor @ negatives.T
        ) / t
        values = torch.logsumexp(torch.cat([pos, neg], dim=1), dim=1) - pos[:, 0]
        return values.mean() if reduction == "mean" else values
    pos = np.sum(anchor * positive, axis=-1, keepdims=True) / t
    neg = (np.einsum("np,nmp->nm", anchor, negatives) if neg_ndim == 3 else anchor @ negatives.T) / t
    logits = np.concatenate([pos, neg], axis=1)
    top = logits.max(axis=1, keepdims=True)
    values = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1)) - pos[:, 0]
    return float(values.mean()) if reduction == "mean" else values


def infonce_limit(
    anchor, positive, temperature: float = 1.0, normalize: bool = False
) -> dict[str, float]:
    r"""The M -> infinity limit of InfoNCE - log M on a finite population (Wang & Isola 2020, Theorem 1).

    For data uniform on the N pairs :math:`(z_i, z_i^+)` (negatives drawn uniformly from the
    anchors :math:`z_j`), exactly:

    .. math::

        \lim_{M\to\infty} \mathcal L_M - \log M = -\frac1t\,\mathbb E\, z^\top z^+
          + \mathbb E_{z} \log \mathbb E_{z^-}\, e^{z^{-\top} z / t}.

    Returns
    -------
    dict
        ``limit``, its ``alignment_term`` and ``uniformity_term``, ``mean_conditional_variance``
        :math:`\bar V = \mathbb E_z \mathrm{Var}_{z^-}(e^{z^{-\top} z/t})` used by
        :func:`infonce_gap_bounds`, and ``per_anchor`` (array of the N per-pair terms
        :math:`-z_i^\top z_i^+/t + \log \mathbb E_{z^-} e^{z^{-\top} z_i/t}`, whose mean is ``limit``;
        the control variate of :func:`infonce_minus_log_m`).

    Examples
    --------
    >>> from analysis.contrastive import infonce_limit, sample_uniform_sphere
    >>> z = sample_uniform_sphere(200, 3, rng=0)
    >>> lim = infonce_limit(z, z, temperature=0.5)  # positives equal to the anchors
    >>> round(lim["alignment_term"], 6)  # -E z.z+ / t = -1 / 0.5
    -2.0
    >>> bool(np.isclose(lim["limit"], lim["alignment_term"] + lim["uniformity_term"]))
    True
    """
    t = check_positive(temperature, "temperature")
    anchor, positive = _numpy_unless_all_torch(anchor, positive, 0)[:2]
    anchor = _unit_rows(anchor, "anchor", normalize)
    positive = _unit_rows(positive, "positive", normalize)
    if anchor.shape != positive.shape:
        raise ValueError(
            f"positive: expected shape {anchor.shape} to match anchor, got {positive.shape}"
        )
    pos = np.sum(anchor * positive, axis=1) / t
    align = -float(np.mean(pos))
    s = anchor @ anchor.T / t  # s[i, j] = z_j . z_i / t
    top = s.max(axis=1, keepdims=True)
    log_m = top[:, 0] + np.log(np.mean(np.exp(s - top), axis=1))
    e = np.exp(s)
    var = np.mean(e * e, axis=1) - np.mean(e, axis=1) ** 2
    return {
        "limit": align + float(np.mean(log_m)),
        "alignment_term": align,
        "uniformity_term": float(np.mean(log_m)),
        "mean_conditional_variance": float(np.mean(var)),
        "per_anchor": log_m - pos,
    }


def infonce_gap_bounds(n_negatives, temperature: float, mean_conditional_variance: float):
    r"""Two-sided bound on :math:`\mathbb E\mathcal L_M - \log M - \mathcal L_\infty` for unit features.

    With scores :math:`s = z^\top z'/t \in [-1/t, 1/t]`,
    :math:`\mathcal L_M - \log M = -s^+ + \log(e^{s^+}/M + A)`, :math:`A = \frac1M\sum_i e^{s_i}`.
    Then :math:`0 \le \log(1 + e^{s^+}/(MA)) \le e^{2/t}/M`, and a second-order Taylor bound of
    log around :math:`m(z) = \mathbb E A` (both :math:`\ge e^{-1/t}`) with :math:`\mathbb E(A - m) = 0`
    gives :math:`-e^{2/t}\bar V/(2M) \le \mathbb E\log A - \log m \le 0`. Hence

    .. math::

        -\frac{e^{2/t}\,\bar V}{2M} \le \mathbb E\,\mathcal L_M - \log M - \mathcal L_\infty
        \le \frac{e^{2/t}}{M},

    an O(1/M) rate for Wang & Isola's Theorem 1 (derived here; the paper states the limit only).
    The envelope is valid but crude: its upper side is 20-80 times the actual gap for unit
    features at t in [0.4, 0.6]; :func:`infonce_gap_expansion` gives the exact bracket and the
    constant of the 1/M term.

    Returns
    -------
    (lower, upper) : tuple of numpy.ndarray

    Examples
    --------
    >>> from analysis.contrastive import infonce_gap_bounds
    >>> lower, upper = infonce_gap_bounds([16, 256], temperature=0.5, mean_conditional_variance=1.0)
    >>> np.round(upper, 3), bool(np.allclose(lower, -upper / 2))  # e^{2/t}/M, -e^{2/t} V/(2M)
    (array([3.412, 0.213]), True)
    """
    t = check_positive(temperature, "temperature")
    v = check_real(mean_conditional_variance, "mean_conditional_variance", minimum=0.0)
    M = _check_counts(n_negatives)
    scale = math.exp(2.0 / t)
    return -scale * v / (2.0 * M), scale / M


def infonce_gap_expansion(
    anchor,
    positive,
    n_negatives,
    temperature: float = 1.0,
    order: int = 11,
    normalize: bool = False,
) -> dict[str, np.ndarray | float]:
    r"""Exact bracket and leading constant of :math:`\mathbb E\mathcal L_M - \log M - \mathcal L_\infty`.

    On the finite population of :func:`infonce_limit` (anchor :math:`z_i` with positive
    :math:`z_i^+`, negatives drawn uniformly with replacement from the anchors), write
    :math:`e_{ij} = e^{z_j^\top z_i/t}`, :math:`m_i = \frac1N\sum_j e_{ij}` and
    :math:`r_{ij} = e_{ij}/m_i`. For anchor i the gap is :math:`\log(1 + x)` with

    .. math::

        x = a_i + y, \qquad a_i = \frac{e^{z_i^\top z_i^+/t}}{M m_i}, \qquad
        y = \frac1M\sum_{k=1}^M (r_{i,J_k} - 1),

    y the mean of M i.i.d. centred draws, whose cumulants are :math:`\kappa_n(r_i)/M^{n-1}`
    (n >= 2). The moments :math:`\mathbb E x^n` therefore follow exactly from the population's
    cumulants, and for odd K the integral form of Taylor's remainder,
    :math:`\log(1+x) = \sum_{n \le K} (-1)^{n+1} x^n/n - \int_0^x \frac{s^K}{1+s}\,ds` with
    :math:`0 \le \int_0^x \frac{s^K}{1+s}ds \le \frac{x^{K+1}}{(K+1)\min(1, q_i)}` and
    :math:`q_i = (\min_j e_{ij} + e^{z_i^\top z_i^+/t}/M)/m_i \le 1 + x`, gives a rigorous
    bracket per anchor for every odd K; the tightest over odd K <= ``order`` is kept per anchor
    and averaged over anchors:

    .. math::

        T_K - \frac{\mathbb E x^{K+1}}{(K+1)\min(1, q_i)}
        \le \mathbb E\,\mathcal L_M - \log M - \mathcal L_\infty \le T_K,
        \qquad T_K = \sum_{n=1}^K \frac{(-1)^{n+1}}{n}\,\mathbb E x^n .

    Its width is :math:`O(M^{-(K+1)/2})` (at M = 16 the low orders are the tight ones, since x
    can exceed 1 there); the leading term is :math:`c/M` with the exact
    asymptotic constant

    .. math::

        c = \lim_{M\to\infty} M\,(\mathbb E\,\mathcal L_M - \log M - \mathcal L_\infty)
          = \frac1N \sum_i \Big(\frac{e^{z_i^\top z_i^+/t}}{m_i} - \frac{\mathrm{Var}_j(r_{ij})}{2}\Big).

    Derived here for Wang & Isola's Theorem 1 (the paper states the limit only, no rate).

    Parameters
    ----------
    anchor, positive : array, shape (N, p)
        Unit-norm features of the population's pairs (N <= 8000).
    n_negatives : int or array of int
        M >= 1.
    temperature : float
        t > 0.
    order : int
        Largest odd Taylor order K, 1 <= K <= 11 (moments of x up to K + 1 are formed from
        cumulants in float64; beyond 11 their round-off is no longer negligible).

    Returns
    -------
    dict
        ``lower``, ``upper`` (arrays over M), ``leading`` (c / M) and ``constant`` (c).

    Examples
    --------
    >>> from analysis.contrastive import infonce_gap_expansion, sample_uniform_sphere
    >>> z, zp = sample_uniform_sphere(200, 3, rng=0), sample_uniform_sphere(200, 3, rng=1)
    >>> gap = infonce_gap_expansion(z, zp, [16, 256], temperature=0.5)
    >>> bool(np.all(gap["lower"] <= gap["upper"]))
    True
    >>> np.round(gap["upper"] * [16, 256], 2), round(gap["constant"], 2)  # M * gap -> c
    (array([0.51, 0.53]), 0.53)
    """
    t = check_positive(temperature, "temperature")
    order = check_int(order, "order", minimum=1, maximum=11)
    if order % 2 == 0:
        raise ValueError(f"order: expected an odd Taylor order (one-signed remainder), got {order}")
    anchor, positive = _numpy_unless_all_torch(anchor, positive, 0)[:2]
    anchor = _unit_rows(anchor, "anchor", normalize)
    positive = _unit_rows(positive, "positive", normalize)
    if anchor.shape != positive.shape:
        raise ValueError(
            f"positive: expected shape {anchor.shape} to match anchor, got {positive.shape}"
        )
    N = anchor.shape[0]
    if N > 8000:
        raise ValueError(
            f"anchor: expected a population of at most 8000 pairs (an N x N score table), got {N}"
        )
    Ms = np.atleast_1d(_check_counts(n_negatives))
    e = np.exp(anchor @ anchor.T / t)  # scores lie in [-1/t, 1/t]: no overflow for t >= 1e-2
    m = e.mean(axis=1)
    w = e / m[:, None] - 1.0  # centred ratios, mean 0 per anchor
    n_max = order + 1
    # raw moments of w (= central moments of r) and their cumulants, per anchor
    mom = np.zeros((n_max + 1, N))
    mom[0] = 1.0
    power = w.copy()
    for n in range(2, n_max + 1):
        power *= w
        mom[n] = power.mean(axis=1)
    kap = np.zeros_like(mom)
    for n in range(1, n_max + 1):
        kap[n] = mom[n] - sum(math.comb(n - 1, k - 1) * kap[k] * mom[n - k] for k in range(1, n))
    pos_exp = np.exp(np.sum(anchor * positive, axis=1) / t)
    q_floor = e.min(axis=1) / m
    lower, upper = np.empty(Ms.size), np.empty(Ms.size)
    for idx, M in enumerate(Ms):
        a = pos_exp / (M * m)
        kx = [None, a] + [kap[n] / M ** (n - 1) for n in range(2, n_max + 1)]
        ex = [np.ones(N)]
        for n in range(1, n_max + 1):  # raw moments of x from its cumulants
            ex.append(sum(math.comb(n - 1, k - 1) * kx[k] * ex[n - k] for k in range(1, n + 1)))
        # every odd K <= order gives a valid bracket per anchor: keep their intersection (at small
        # M, where x can exceed 1, low orders are tighter; at large M the highest order is)
        taylor = np.zeros(N)
        lo_i, hi_i = np.full(N, -np.inf), np.full(N, np.inf)
        floor = np.minimum(1.0, q_floor + a)
        for n in range(1, order + 1):
            taylor = taylor + (-1) ** (n + 1) * ex[n] / n
            if n % 2 == 1:
                hi_i = np.minimum(hi_i, taylor)
                lo_i = np.maximum(lo_i, taylor - ex[n + 1] / ((n + 1) * floor))
        upper[idx] = float(np.mean(hi_i))
        lower[idx] = float(np.mean(lo_i))
    constant = float(np.mean(pos_exp / m - 0.5 * kap[2]))
    return {"lower": lower, "upper": upper, "leading": constant / Ms, "constant": constant}


def infonce_minus_log_m(
    anchor,
    positive,
    n_negatives: int,
    n_samples: int,
    temperature: float = 1.0,
    rng=0,
    chunk_size: int = 1024,
    normalize: bool = False,
    control_variate=None,
    include_positive: bool = True,
) -> MonteCarloEstimate:
    r"""Monte-Carlo estimate of :math:`\mathbb E\,\mathcal L_M - \log M` on a finite population.

    Anchors are drawn uniformly from the N pairs, and each anchor gets its own M negatives drawn
    uniformly (with replacement) from the anchors: i.i.d. samples, so the standard error is the
    sample standard deviation over :math:`\sqrt{n}`. Memory is O(N^2 + 2e6): the N x N score table
    plus one chunk of scores.

    ``control_variate`` (length-N array :math:`g` with known population mean, e.g.
    ``infonce_limit(...)["per_anchor"]``) makes each sample :math:`\mathcal L_M - \log M - g_i +
    \bar g`: still unbiased, but with :math:`g` the per-anchor limit the spread of the anchors'
    limits cancels and only the :math:`O(M^{-1/2})` fluctuation of the negatives remains (the SE of
    the gap to the limit drops ~20x at M = 1024). ``include_positive=False`` drops the positive's
    term from the denominator (a wrong InfoNCE, used as a broken input by the ledger).

    Examples
    --------
    >>> from analysis.contrastive import (infonce_gap_expansion, infonce_limit,
    ...                                   infonce_minus_log_m, sample_uniform_sphere)
    >>> z, zp = sample_uniform_sphere(200, 3, rng=0), sample_uniform_sphere(200, 3, rng=1)
    >>> lim = infonce_limit(z, zp, temperature=0.5)
    >>> est = infonce_minus_log_m(z, zp, n_negatives=256, n_samples=2000, temperature=0.5,
    ...                           rng=0, control_variate=lim["per_anchor"])
    >>> gap = infonce_gap_expansion(z, zp, 256, temperature=0.5)["upper"][0]  # bracket width 1e-10
    >>> bool(abs(est.mean - lim["limit"] - gap) < 4 * est.stderr)
    True
    """
    n_negatives = check_int(n_negatives, "n_negatives", minimum=1)
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    t = check_positive(temperature, "temperature")
    check_budget("n_negatives", n_bytes=8.0 * 4 * n_negatives, what="one anchor's negatives")
    check_budget("n_samples", n_operations=float(n_samples) * n_negatives, max_operations=1e11,
                 what="scores drawn")
    anchor, positive = _numpy_unless_all_torch(anchor, positive, 0)[:2]
    anchor = _unit_rows(anchor, "anchor", normalize)
    positive = _unit_rows(positive, "positive", normalize)
    if anchor.shape != positive.shape:
        raise ValueError(
            f"positive: expected shape {anchor.shape} to match anchor, got {positive.shape}"
        )
    rng = make_rng(rng, name="rng")
    N = anchor.shape[0]
    if N > 8000:
        raise ValueError(
            f"anchor: expected a population of at most 8000 pairs (an N x N score table), got {N}"
        )
    if control_variate is None:
        control = np.zeros(N)
    else:
        control = as_array(control_variate, "control_variate", ndim=1)
        if control.shape != (N,):
            raise ValueError(
                f"control_variate: expected shape ({N},) (one value per pair), got {control.shape}"
            )
    control_mean = float(np.mean(control))
    scores = anchor @ anchor.T / t  # scores[i, j] = z_j . z_i / t, gathered per sample below
    # keep each chunk's (m, M) score block near 2e6 entries whatever M is
    chunk_size = max(1, min(chunk_size, 2_000_000 // n_negatives))
    total = total2 = 0.0
    done = 0
    log_m = math.log(n_negatives)
    while done < n_samples:
        m = min(chunk_size, n_samples - done)
        idx = rng.integers(0, N, size=m)
        neg_idx = rng.integers(0, N, size=(m, n_negatives))
        pos = np.sum(anchor[idx] * positive[idx], axis=1, keepdims=True) / t
        neg = scores[idx[:, None], neg_idx]
        logits = np.concatenate([pos, neg], axis=1) if include_positive else neg
        top = logits.max(axis=1, keepdims=True)
        values = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1)) - pos[:, 0] - log_m
        values -= control[idx]
        total += float(values.sum())
        total2 += float((values * values).sum())
        done += m
    mean = total / done
    var = max(total2 / done - mean * mean, 0.0) * done / (done - 1)
    return MonteCarloEstimate(mean + control_mean, math.sqrt(var / done), done, parts={})

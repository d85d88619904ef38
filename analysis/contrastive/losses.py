r"""Unsupervised contrastive losses, the mean classifier and its supervised loss (Arora et al. 2019).

Notation (Arora et al. 2019, Sec. 2): an encoder :math:`f`, a tuple :math:`(x, x^+, x^-_1..x^-_k)`
with :math:`x, x^+ \sim \mathcal D_{c^+}` and :math:`x^-_i \sim \mathcal D_{c^-_i}`, scores
:math:`v_i = f(x)^\top (f(x^+) - f(x^-_i))` and

.. math::

    \ell_{\text{hinge}}(v) = \max\{0, 1 + \max_i(-v_i)\}, \qquad
    \ell_{\text{log}}(v) = \log_2\bigl(1 + \textstyle\sum_i e^{-v_i}\bigr).

The base-2 logarithm makes :math:`\ell(0) = 1` for k = 1, the value the lemma
:math:`L^\mu_{sup} \le (L_{un} - \tau)/(1-\tau)` subtracts; with the natural log the constant
changes (a classic reproduction bug, kept available through ``base=math.e`` for the checks).

Encoders passed to the numpy estimators are callables mapping an array ``(..., d)`` to
``(..., p)``; :func:`linear_encoder` builds one from a matrix. Every estimator streams its
samples in chunks, so memory does not grow with the number of samples.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from analysis._core.rng import make_rng
from analysis._core.validate import (
    as_array,
    check_budget,
    check_choice,
    check_int,
    check_labels,
    check_real,
)
from analysis.contrastive.data import LatentClassModel, _check_rho, collision_probability

__all__ = [
    "LOSSES",
    "MonteCarloEstimate",
    "class_means_linear",
    "class_means_monte_carlo",
    "conditional_loss_linear",
    "contrastive_scores",
    "exact_losses_finite_model",
    "gaussian_expected_loss",
    "hinge_loss",
    "linear_encoder",
    "logistic_loss",
    "loss_function",
    "mean_classifier_loss_at",
    "supervised_mean_loss",
    "supervised_mean_loss_linear_exact",
    "unsupervised_loss",
]

#: Loss names understood by :func:`loss_function`. ``"sigmoid"`` is NOT convex: it exists only
#: to show that Jensen's step of the lemma needs convexity.
LOSSES = ("hinge", "logistic")


def _is_torch(x) -> bool:
    return hasattr(x, "detach") and hasattr(x, "dim")


def _check_base(base) -> float:
    """The logarithm base b > 1 of the logistic loss (b <= 1 flips or breaks the loss)."""
    return check_real(base, "base", minimum=1.0, strict_min=True)


def _check_margin(margin) -> float:
    """The hinge margin m > 0."""
    return check_real(margin, "margin", minimum=0.0, strict_min=True)


def _check_scores(v, name: str = "v") -> np.ndarray:
    """Real scores of shape (..., k), k >= 1; NaN and -inf refused, +inf allowed (a masked entry)."""
    v = as_array(v, name, finite=False)
    if v.ndim == 0 or v.shape[-1] == 0:
        raise ValueError(f"{name}: expected scores of shape (..., k) with k >= 1, got {v.shape}")
    if np.any(np.isnan(v)) or np.any(v == -np.inf):
        raise ValueError(f"{name}: expected real scores (NaN and -inf refused; +inf masks an entry)")
    return v


def _check_features(x, name: str, ndim: int | tuple) -> np.ndarray:
    return as_array(x, name, ndim=ndim, min_size=1)


def hinge_loss(v, margin: float = 1.0):
    r"""Hinge loss over the last axis: :math:`\max\{0, m + \max_i(-v_i)\}` (Arora et al. 2019, Sec. 2).

    Parameters
    ----------
    v : numpy.ndarray or torch.Tensor, shape (..., k)
        Scores :math:`v_i = f(x)^\top(f(x^+) - f(x^-_i))`.
    margin : float
        m = 1 in the paper (so that :math:`\ell(0) = 1`).

    Returns
    -------
    numpy.ndarray or torch.Tensor, shape (...)

    Examples
    --------
    >>> from analysis.contrastive import hinge_loss
    >>> hinge_loss(np.array([[0.0], [2.0], [-1.0]]))  # k = 1: max(0, 1 - v)
    array([1., 0., 2.])
    """
    margin = _check_margin(margin)
    if _is_torch(v):
        import torch

        return torch.clamp(margin + (-v).amax(dim=-1), min=0.0)
    v = _check_scores(v)
    return np.maximum(0.0, margin + np.max(-v, axis=-1))


def logistic_loss(v, base: float = 2.0):
    r"""Logistic loss over the last axis: :math:`\log_b(1 + \sum_i e^{-v_i})`, b = 2 in the paper.

    Evaluated as a log-sum-exp of :math:`(0, -v_1, ..., -v_k)`, stable for any score size.
    Entries of ``v`` equal to ``+inf`` drop out of the sum (used to mask duplicate classes).

    Examples
    --------
    >>> from analysis.contrastive import logistic_loss
    >>> np.round(logistic_loss(np.zeros((2, 3))), 6)  # k = 3 zero scores: log2(1 + 3)
    array([2., 2.])
    >>> np.round(logistic_loss(np.array([[0.0, np.inf]])), 6)  # the masked score drops out
    array([1.])
    """
    log_base = math.log(_check_base(base))
    if _is_torch(v):
        import torch

        zeros = torch.zeros(v.shape[:-1] + (1,), dtype=v.dtype, device=v.device)
        return torch.logsumexp(torch.cat([zeros, -v], dim=-1), dim=-1) / log_base
    v = _check_scores(v)
    neg = np.concatenate([np.zeros(v.shape[:-1] + (1,)), -v], axis=-1)
    top = np.max(neg, axis=-1, keepdims=True)
    return (top[..., 0] + np.log(np.sum(np.exp(neg - top), axis=-1))) / log_base


def _sigmoid_loss(v):
    """A NON-convex loss with l(0) = 1 (k = 1 only): 2 / (1 + e^v). For counter-examples only."""
    v = np.asarray(v, dtype=np.float64)[..., 0]
    return 2.0 * np.exp(-np.logaddexp(0.0, v))


def loss_function(loss: str, base: float = 2.0, margin: float = 1.0) -> Callable:
    """The loss callable for ``loss`` in ``("hinge", "logistic")`` (``"sigmoid"``: counter-examples)."""
    check_choice(loss, "loss", LOSSES + ("sigmoid",))
    base, margin = _check_base(base), _check_margin(margin)
    if loss == "hinge":
        return lambda v: hinge_loss(v, margin=margin)
    if loss == "logistic":
        return lambda v: logistic_loss(v, base=base)
    return _sigmoid_loss


def linear_encoder(W) -> Callable[[np.ndarray], np.ndarray]:
    """The linear encoder :math:`f(x) = W x` as a numpy callable with attribute ``weight``.

    Examples
    --------
    >>> from analysis.contrastive import linear_encoder
    >>> f = linear_encoder(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> f(np.array([[1.0, 1.0]])), f.weight.shape
    (array([[1., 2.]]), (2, 2))
    """
    W = as_array(W, "W", ndim=2, min_size=1)

    def encode(x: np.ndarray) -> np.ndarray:
        return np.asarray(x) @ W.T

    encode.weight = W  # type: ignore[attr-defined]
    return encode


def contrastive_scores(fx, f_pos, f_neg):
    r"""Scores :math:`v_i = f(x)^\top(\bar f^+ - \bar f^-_i)` with block means over the block axis.

    Parameters
    ----------
    fx : array, shape (n, p)
        Anchor features.
    f_pos : array, shape (n, p) or (n, b, p)
        Positive features (a block of b is averaged, Arora et al. 2019 Sec. 6.2).
    f_neg : array, shape (n, k, p) or (n, k, b, p)
        Negative features (each block of b is averaged).

    Returns
    -------
    array, shape (n, k)

    Examples
    --------
    >>> from analysis.contrastive import contrastive_scores
    >>> fx = np.array([[1.0, 0.0]])  # one anchor, its positive equal to it
    >>> f_neg = np.array([[[0.0, 1.0], [-1.0, 0.0]]])  # k = 2 negatives
    >>> contrastive_scores(fx, fx, f_neg)  # f(x).f(x+) - f(x).f(x-_i)
    array([[1., 2.]])
    """
    if not (_is_torch(fx) and _is_torch(f_pos) and _is_torch(f_neg)):
        fx = _check_features(fx, "fx", 2)
        f_pos = _check_features(f_pos, "f_pos", (2, 3))
        f_neg = _check_features(f_neg, "f_neg", (3, 4))
        n, p = fx.shape
        if f_pos.shape[0] != n or f_pos.shape[-1] != p:
            raise ValueError(f"f_pos: expected shape ({n}, [b,] {p}) to match fx, got {f_pos.shape}")
        if f_neg.shape[0] != n or f_neg.shape[-1] != p:
            raise ValueError(f"f_neg: expected shape ({n}, k, [b,] {p}) to match fx, got {f_neg.shape}")
    if f_pos.ndim == 3:
        f_pos = f_pos.mean(axis=1) if not _is_torch(f_pos) else f_pos.mean(dim=1)
    if f_neg.ndim == 4:
        f_neg = f_neg.mean(axis=2) if not _is_torch(f_neg) else f_neg.mean(dim=2)
    pos = (fx * f_pos).sum(-1)
    if _is_torch(fx):
        import torch

        neg = torch.einsum("np,nkp->nk", fx, f_neg)
    else:
        neg = np.einsum("np,nkp->nk", fx, f_neg)
    return pos[:, None] - neg


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte-Carlo mean with its standard error.

    Attributes
    ----------
    mean : float
        Sample mean.
    stderr : float
        Standard error of the mean (i.i.d. samples, or batch means where samples share negatives).
    n_samples : int
        Number of samples averaged.
    parts : dict
        Extra named estimates (e.g. the collision / no-collision split), each ``(mean, stderr, n)``.

    Examples
    --------
    >>> from analysis.contrastive import MonteCarloEstimate
    >>> est = MonteCarloEstimate(mean=0.5, stderr=0.01, n_samples=100, parts={})
    >>> est
    MonteCarloEstimate(mean=0.5, stderr=0.01, n_samples=100, parts={})
    >>> round(est.mean - 2 * est.stderr, 6), round(est.mean + 2 * est.stderr, 6)
    (0.48, 0.52)
    """

    mean: float
    stderr: float
    n_samples: int
    parts: dict


class _Accumulator:
    """Streaming sum / sum of squares (Welford-free: float64 sums of O(1) values are accurate)."""

    def __init__(self) -> None:
        self.n = 0
        self.s = 0.0
        self.s2 = 0.0

    def add(self, values: np.ndarray) -> None:
        self.n += values.size
        self.s += float(values.sum())
        self.s2 += float((values * values).sum())

    def result(self) -> tuple[float, float, int]:
        if self.n == 0:
            return float("nan"), float("nan"), 0
        mean = self.s / self.n
        var = max(self.s2 / self.n - mean * mean, 0.0) * self.n / max(self.n - 1, 1)
        return mean, math.sqrt(var / self.n), self.n


def unsupervised_loss(
    encoder: Callable,
    model: LatentClassModel,
    n_samples: int,
    k: int = 1,
    block: int = 1,
    loss: str = "logistic",
    rng=0,
    chunk_size: int = 4096,
    shared_negatives: bool = False,
    base: float = 2.0,
    margin: float = 1.0,
) -> MonteCarloEstimate:
    r"""Monte-Carlo estimate of :math:`L_{un}(f)` with k negatives and blocks of size b, streamed.

    .. math::

        L_{un}(f) = \mathbb E\, \ell\bigl(\{f(x)^\top(\bar f^+ - \bar f^-_i)\}_{i=1}^k\bigr),
        \quad \bar f^\pm = \tfrac1b \sum_{j=1}^b f(x^\pm_j)

    (Arora et al. 2019, Sec. 2 for b = 1, Sec. 6.1 for k negatives, Sec. 6.2 for blocks). The
    estimate is split by whether the positive class appears among the negatives:
    ``parts["collision"]`` and ``parts["no_collision"]`` estimate :math:`L^=_{un}` and
    :math:`L^{\ne}_{un}` (their weights are the observed collision frequency).

    Parameters
    ----------
    encoder : callable
        ``(..., d) -> (..., p)`` numpy encoder.
    model : LatentClassModel
    n_samples : int
        Number of anchors.
    k, block : int
        Negatives per anchor (>= 1) and block size (>= 1).
    loss : {"hinge", "logistic"}
    rng : int or numpy.random.Generator
    chunk_size : int
        Anchors per chunk; memory is O(chunk_size * k * block * d).
    shared_negatives : bool
        When True every anchor of a chunk uses the same k negative blocks (one matrix product per
        chunk: the fast streaming mode). The estimate stays unbiased; the standard error then
        comes from the chunk means (batch means), which needs >= 10 chunks.
    base, margin : float
        Logistic base (2 in the paper) and hinge margin (1 in the paper).

    Returns
    -------
    MonteCarloEstimate

    Examples
    --------
    >>> from analysis.contrastive import linear_encoder, make_latent_class_model, unsupervised_loss
    >>> model = make_latent_class_model(3, 2, rng=0)
    >>> est = unsupervised_loss(linear_encoder(np.eye(2)), model, n_samples=2000, rng=0)
    >>> frac = est.parts["collision_fraction"][0]  # observed share of tuples with c- = c+
    >>> split = (1 - frac) * est.parts["no_collision"][0] + frac * est.parts["collision"][0]
    >>> est.n_samples, bool(np.isclose(est.mean, split))
    (2000, True)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    k = check_int(k, "k", minimum=1)
    block = check_int(block, "block", minimum=1)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    if not isinstance(model, LatentClassModel):
        raise ValueError(f"model: expected a LatentClassModel, got {type(model).__name__}")
    if not callable(encoder):
        raise ValueError(
            f"encoder: expected a callable (..., d) -> (..., p), got {type(encoder).__name__}"
        )
    ell = loss_function(check_choice(loss, "loss", LOSSES), base=base, margin=margin)
    width = (k + 1) * block + 1
    m = min(chunk_size, n_samples)
    check_budget("k", n_bytes=8.0 * m * (k + 2) * model.dim, what="one chunk of views")
    check_budget("block", n_bytes=8.0 * m * width * model.dim, what="one chunk of views")
    check_budget("n_samples", n_operations=float(n_samples) * width * model.dim,
                 max_operations=1e10, what="views drawn")
    rng = make_rng(rng, name="rng")
    n_chunks = -(-n_samples // chunk_size)
    if shared_negatives and n_chunks < 10:
        raise ValueError(
            f"chunk_size: shared negatives need >= 10 chunks for a batch-means standard error, "
            f"got {n_chunks} chunks of {chunk_size} for n_samples={n_samples}"
        )
    total, coll, nocoll = _Accumulator(), _Accumulator(), _Accumulator()
    chunk_means = []
    done = 0
    while done < n_samples:
        m = min(chunk_size, n_samples - done)
        c_pos = model.sample_classes((m,), rng)
        fx = encoder(model.sample_inputs(c_pos, rng))
        f_pos = encoder(model.sample_inputs(np.repeat(c_pos[:, None], block, axis=1), rng)).mean(axis=1)
        if shared_negatives:
            c_neg_row = model.sample_classes((k,), rng)
            f_neg = encoder(model.sample_inputs(np.repeat(c_neg_row[:, None], block, axis=1), rng))
            f_neg = f_neg.mean(axis=1)  # (k, p)
            v = (fx * f_pos).sum(-1)[:, None] - fx @ f_neg.T
            hit = np.broadcast_to((c_neg_row[None, :] == c_pos[:, None]).any(axis=1), (m,))
        else:
            c_neg = model.sample_classes((m, k), rng)
            f_neg = encoder(model.sample_inputs(np.repeat(c_neg[:, :, None], block, axis=2), rng))
            v = contrastive_scores(fx, f_pos, f_neg.mean(axis=2))
            hit = (c_neg == c_pos[:, None]).any(axis=1)
        values = np.asarray(ell(v), dtype=np.float64)
        total.add(values)
        coll.add(values[hit])
        nocoll.add(values[~hit])
        chunk_means.append(values.mean())
        done += m
    mean, se, n = total.result()
    if shared_negatives:
        cm = np.asarray(chunk_means)
        se = float(np.std(cm, ddof=1) / math.sqrt(cm.size))
    parts = {
        "collision": coll.result(),
        "no_collision": nocoll.result(),
        "collision_fraction": (coll.n / max(n, 1), float("nan"), n),
    }
    return MonteCarloEstimate(mean, se, n, parts)


def class_means_linear(W, model: LatentClassModel) -> np.ndarray:
    r"""Exact mean-classifier rows, linear encoder: :math:`\mu_c = W m_c` (Arora et al., Def 2.1).

    Examples
    --------
    >>> from analysis.contrastive import class_means_linear, make_latent_class_model
    >>> model = make_latent_class_model(3, 2, rng=0)
    >>> mu = class_means_linear(np.array([[1.0, -1.0]]), model)  # f(x) = x_0 - x_1
    >>> mu.shape, bool(np.allclose(mu[:, 0], model.means[:, 0] - model.means[:, 1]))
    ((3, 1), True)
    """
    W = as_array(W, "W", ndim=2, min_size=1)
    if W.shape[1] != model.dim:
        raise ValueError(f"W: expected {model.dim} columns (the input dimension), got {W.shape[1]}")
    return model.means @ W.T


def class_means_monte_carlo(
    encoder: Callable, model: LatentClassModel, n_per_class: int, rng=0
) -> np.ndarray:
    r"""Monte-Carlo mean-classifier rows :math:`\mu_c = \mathbb E_{x \sim \mathcal D_c} f(x)`, (C, p).

    Examples
    --------
    >>> from analysis.contrastive import (class_means_monte_carlo, linear_encoder,
    ...                                   make_latent_class_model)
    >>> model = make_latent_class_model(3, 2, sigma=1.0, rng=0)
    >>> mu = class_means_monte_carlo(linear_encoder(np.eye(2)), model, n_per_class=4000, rng=0)
    >>> mu.shape, bool(np.abs(mu - model.means).max() < 4 / np.sqrt(4000))  # 4 SE, sigma = 1
    ((3, 2), True)
    """
    n_per_class = check_int(n_per_class, "n_per_class", minimum=1)
    check_budget("n_per_class", n_bytes=8.0 * 2 * n_per_class * model.n_classes * model.dim,
                 what="sampled inputs")
    rng = make_rng(rng, name="rng")
    classes = np.repeat(np.arange(model.n_classes)[:, None], n_per_class, axis=1)
    return encoder(model.sample_inputs(classes, rng)).mean(axis=1)


def mean_classifier_loss_at(
    fx, mu_pos, mu_neg, loss: str = "logistic", base: float = 2.0, margin: float = 1.0, neg_mask=None
) -> np.ndarray:
    r"""Loss of the mean classifier at anchors: :math:`\ell(\{f(x)^\top(\mu_{c^+} - \mu_{c^-_i})\}_i)`.

    Parameters
    ----------
    fx : array, shape (n, p)
    mu_pos : array, shape (n, p)
        Mean of each anchor's class.
    mu_neg : array, shape (n, k, p)
        Means of the negative classes.
    neg_mask : bool array (n, k), optional
        False entries are left out of the loss (duplicate classes of a task).
    """
    ell = loss_function(loss, base=base, margin=margin)
    v = contrastive_scores(np.asarray(fx), np.asarray(mu_pos), np.asarray(mu_neg))
    if neg_mask is not None:
        # +inf scores drop out: exp(-inf) = 0 in the logistic sum, -inf never wins the hinge max
        v = np.where(neg_mask, v, np.inf)
    return ell(v)


def _first_occurrence(c_neg: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each class in every row of ``c_neg`` (n, k)."""
    k = c_neg.shape[1]
    earlier = np.tril(np.ones((k, k), dtype=bool), -1)  # earlier[j, i] = i < j
    same = c_neg[:, :, None] == c_neg[:, None, :]  # same[n, j, i]
    return ~(same & earlier[None]).any(axis=2)


def supervised_mean_loss(
    encoder: Callable,
    model: LatentClassModel,
    class_means,
    n_samples: int,
    k: int = 1,
    loss: str = "logistic",
    rng=0,
    chunk_size: int = 8192,
    base: float = 2.0,
    margin: float = 1.0,
) -> MonteCarloEstimate:
    r"""Monte-Carlo estimate of the mean classifier's supervised loss on sampled tasks.

    .. math::

        \tilde L^\mu_{sup}(f) = \mathbb E_{c^+, c^-_{1..k} \sim \rho^{k+1}}\Bigl[
          \mathbb E_{x \sim \mathcal D_{c^+}}\,
          \ell\bigl(\{f(x)^\top(\mu_{c^+} - \mu_c)\}_{c \in Q}\bigr)
          \Bigm| c^+ \notin Q\Bigr], \qquad Q = \{c^-_1, \dots, c^-_k\}

    (the distinct negative classes). For k = 1 this is :math:`L^\mu_{sup}(f)` of Arora et al.
    (2019), Def. 2.1-2.2, with tasks of two distinct classes and uniform labels (ordered pairs
    with weight :math:`\rho(c)\rho(c')/(1-\tau)`); for k > 1 it is the task-averaged loss
    :math:`\tilde L^\mu_{sup}` of their Sec. 6.1, bounded by Theorem 6.1.

    Parameters
    ----------
    class_means : array, shape (C, p)
        Rows :math:`\mu_c` (:func:`class_means_linear` or :func:`class_means_monte_carlo`).

    Returns
    -------
    MonteCarloEstimate

    Examples
    --------
    >>> from analysis.contrastive import (class_means_linear, linear_encoder, make_latent_class_model,
    ...                                   supervised_mean_loss, supervised_mean_loss_linear_exact)
    >>> model, W = make_latent_class_model(3, 2, rng=0), np.eye(2)
    >>> est = supervised_mean_loss(linear_encoder(W), model, class_means_linear(W, model),
    ...                            n_samples=4000, rng=0)
    >>> bool(abs(est.mean - supervised_mean_loss_linear_exact(W, model)) < 4 * est.stderr)
    True
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    k = check_int(k, "k", minimum=1)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    ell_check = loss_function(loss, base=base, margin=margin)  # validates loss, base, margin
    del ell_check
    mu = as_array(class_means, "class_means", ndim=2, shape=(model.n_classes, None))
    check_budget("chunk_size", n_bytes=8.0 * min(chunk_size, n_samples) * (k + 2) * model.dim,
                 what="one chunk of inputs")
    check_budget("n_samples", n_operations=float(n_samples) * (k + 2) * model.dim,
                 max_operations=1e10, what="inputs drawn")
    if collision_probability(model.rho, k) >= 1.0:
        raise ValueError(
            "model: every negative collides with the positive class (tau = 1, a single "
            "class with positive probability); the supervised task is undefined"
        )
    rng = make_rng(rng, name="rng")
    acc = _Accumulator()
    while acc.n < n_samples:
        m = min(chunk_size, n_samples - acc.n)
        c_pos = model.sample_classes((m,), rng)
        c_neg = model.sample_classes((m, k), rng)
        keep = ~(c_neg == c_pos[:, None]).any(axis=1)  # condition on no collision (rejection)
        c_pos, c_neg = c_pos[keep], c_neg[keep]
        if c_pos.size == 0:
            continue
        fx = encoder(model.sample_inputs(c_pos, rng))
        values = mean_classifier_loss_at(
            fx,
            mu[c_pos],
            mu[c_neg],
            loss=loss,
            base=base,
            margin=margin,
            neg_mask=_first_occurrence(c_neg),
        )
        acc.add(np.asarray(values, dtype=np.float64))
    return MonteCarloEstimate(*acc.result(), parts={})


# --------------------------------------------------------------------------------------------
# Exact one-dimensional Gaussian expectations (linear encoders on the Gaussian model, k = 1)
# --------------------------------------------------------------------------------------------

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)
_N_PANELS = 64
_TAIL = 12.0  # Gaussian mass beyond 12 standard deviations is below 1e-32


def _norm_pdf(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _panel_integral(func, mean, std, lo, hi):
    """Integrate func(z) N(z; mean, std^2) over [lo, hi] with 64 x 16-point Gauss-Legendre panels."""
    width = (hi - lo) / _N_PANELS
    edges = lo[..., None] + width[..., None] * np.arange(_N_PANELS)
    z = edges[..., None] + 0.5 * width[..., None, None] * (_GL_NODES + 1.0)
    dens = _norm_pdf((z - mean[..., None, None]) / std[..., None, None]) / std[..., None, None]
    vals = func(z) * dens * _GL_WEIGHTS
    return 0.5 * width * vals.sum(axis=(-1, -2))


def gaussian_expected_loss(mean, std, loss: str = "logistic", base: float = 2.0) -> np.ndarray:
    r""":math:`\mathbb E\,\ell(Z)` for :math:`Z \sim \mathcal N(a, s^2)` and a k = 1 loss, to ~1e-13.

    - hinge: closed form :math:`(1-a)\Phi(\frac{1-a}{s}) + s\,\varphi(\frac{1-a}{s})`;
    - logistic: :math:`\log_b(1+e^{-z}) = (-z)_+/\ln b + \log_b(1+e^{-|z|})`; the first part in closed
      form, the second (smooth on each side of 0, negligible for :math:`|z| > 40`) by
      Gauss-Legendre panels of width at most min(s/5, 1.3) on each side of the kink;
    - sigmoid (non-convex, counter-examples only): :math:`2/(1+e^z)` by the same panels.

    Parameters
    ----------
    mean, std : array_like
        Means a and standard deviations s > 0 (broadcast together).

    Returns
    -------
    numpy.ndarray or numpy.float64
        :math:`\mathbb E\,\ell(Z)`, of the broadcast shape (a numpy scalar for scalar input).

    Examples
    --------
    >>> from math import erf, exp, pi, sqrt
    >>> from analysis.contrastive import gaussian_expected_loss
    >>> closed = 0.5 * (1 + erf(1 / sqrt(2))) + exp(-0.5) / sqrt(2 * pi)  # Phi(1) + phi(1)
    >>> bool(np.isclose(gaussian_expected_loss(0.0, 1.0, loss="hinge"), closed))
    True
    >>> round(float(gaussian_expected_loss(0.0, 1e-3)), 3)  # logistic, base 2: l(0) = 1
    1.0
    """
    a = as_array(mean, "mean", ndim=(0, 1), min_size=1)
    s = as_array(std, "std", ndim=(0, 1), min_size=1)
    if a.ndim and s.ndim and a.shape != s.shape:
        raise ValueError(f"std: expected shape {a.shape} to match mean, got {s.shape}")
    if np.any(~(s > 0)):
        raise ValueError("std: expected positive standard deviations")
    a, s = np.broadcast_arrays(a, s)
    a, s = a.astype(np.float64), s.astype(np.float64)
    check_choice(loss, "loss", LOSSES + ("sigmoid",))
    base = _check_base(base)
    if loss == "hinge":
        u = (1.0 - a) / s
        return (1.0 - a) * ndtr(u) + s * _norm_pdf(u)
    lo_all, hi_all = a - _TAIL * s, a + _TAIL * s
    if loss == "logistic":
        relu = s * _norm_pdf(a / s) - a * ndtr(-a / s)  # E[(-Z)_+]

        def smooth(z):
            return np.log1p(np.exp(-np.abs(z)))

        lo_all, hi_all = np.maximum(lo_all, -40.0), np.minimum(hi_all, 40.0)
    else:
        relu = np.zeros_like(a)

        def smooth(z):
            return 2.0 * np.exp(-np.logaddexp(0.0, z))

    left_hi = np.minimum(hi_all, 0.0)
    right_lo = np.maximum(lo_all, 0.0)
    total = np.zeros_like(a)
    has_left = lo_all < left_hi
    has_right = right_lo < hi_all
    if np.any(has_left):
        total[has_left] += _panel_integral(
            smooth, a[has_left], s[has_left], lo_all[has_left], left_hi[has_left]
        )
    if np.any(has_right):
        total[has_right] += _panel_integral(
            smooth, a[has_right], s[has_right], right_lo[has_right], hi_all[has_right]
        )
    if loss == "logistic":
        return (relu + total) / math.log(base)
    return total


def conditional_loss_linear(
    W,
    model: LatentClassModel,
    x,
    c_pos,
    c_neg,
    block: int = 1,
    loss: str = "logistic",
    base: float = 2.0,
) -> np.ndarray:
    r"""Exact :math:`\mathbb E[\ell(v) \mid x, c^+, c^-]` for a linear encoder, k = 1, blocks of b.

    Given the anchor, :math:`v = f(x)^\top(\bar f^+ - \bar f^-)` is Gaussian with mean
    :math:`f(x)^\top(\mu_{c^+} - \mu_{c^-})` and variance :math:`2\sigma^2 \|W^\top f(x)\|^2 / b`
    (the positive and negative blocks are independent), so the inner expectation of the
    unsupervised loss is a one-dimensional Gaussian expectation (:func:`gaussian_expected_loss`).
    Averaging it over anchors gives a Rao-Blackwellised :math:`L_{un}`.

    Examples
    --------
    >>> from analysis.contrastive import (conditional_loss_linear, gaussian_expected_loss,
    ...                                   make_latent_class_model)
    >>> model = make_latent_class_model(3, 2, sigma=1.0, rng=0)  # means of norm 1
    >>> x = model.means[:1]  # one anchor at the mean of class 0; W = I
    >>> value = conditional_loss_linear(np.eye(2), model, x, c_pos=[0], c_neg=[1])
    >>> mean = x[0] @ (model.means[0] - model.means[1])  # std: sigma ||x|| sqrt(2) = sqrt(2)
    >>> bool(np.isclose(value[0], gaussian_expected_loss(mean, np.sqrt(2.0))))
    True
    """
    W = as_array(W, "W", ndim=2)
    x = as_array(x, "x", ndim=2, shape=(None, model.dim), min_size=1)
    c_pos = check_labels(c_pos, "c_pos", n_classes=model.n_classes, n_samples=x.shape[0])
    c_neg = check_labels(c_neg, "c_neg", n_classes=model.n_classes, n_samples=x.shape[0])
    block = check_int(block, "block", minimum=1)
    _check_base(base)
    mu = class_means_linear(W, model)
    fx = x @ W.T
    mean = np.einsum("np,np->n", fx, mu[c_pos] - mu[c_neg])
    std = model.sigma * np.linalg.norm(fx @ W, axis=1) * math.sqrt(2.0 / block)
    return gaussian_expected_loss(mean, np.maximum(std, 1e-300), loss=loss, base=base)


def supervised_mean_loss_linear_exact(
    W, model: LatentClassModel, loss: str = "logistic", base: float = 2.0
) -> float:
    r"""Exact :math:`L^\mu_{sup}(f)` (k = 1) of a linear encoder on the Gaussian model.

    .. math::

        L^\mu_{sup}(f) = \sum_{c \ne c'} \frac{\rho(c)\rho(c')}{1-\tau}\,
        \mathbb E_{x\sim\mathcal N(m_c, \sigma^2 I)}\,\ell\bigl(f(x)^\top(\mu_c - \mu_{c'})\bigr),

    where :math:`f(x)^\top(\mu_c - \mu_{c'}) \sim`
    :math:`\mathcal N(\mu_c^\top\Delta, \sigma^2\|W^\top\Delta\|^2)`,
    :math:`\Delta = \mu_c - \mu_{c'}` (Arora et al. 2019, Def. 2.1-2.2 and Sec. 4).

    Examples
    --------
    >>> from analysis.contrastive import make_latent_class_model, supervised_mean_loss_linear_exact
    >>> model = make_latent_class_model(3, 2, rng=0)
    >>> round(supervised_mean_loss_linear_exact(np.eye(2), model), 3)
    0.645
    >>> round(supervised_mean_loss_linear_exact(np.eye(2), model, loss="hinge"), 3)
    0.518
    """
    W = as_array(W, "W", ndim=2)
    _check_base(base)
    tau = collision_probability(model.rho, 1)
    if tau >= 1.0:
        raise ValueError("model: tau = 1 (a single class): the supervised loss is undefined")
    mu = class_means_linear(W, model)
    C = model.n_classes
    ci, cj = np.nonzero(~np.eye(C, dtype=bool))
    delta = mu[ci] - mu[cj]
    mean = np.einsum("np,np->n", mu[ci], delta)
    std = model.sigma * np.linalg.norm(delta @ W, axis=1)
    vals = gaussian_expected_loss(mean, np.maximum(std, 1e-300), loss=loss, base=base)
    weights = model.rho[ci] * model.rho[cj] / (1.0 - tau)
    return float(np.sum(weights * vals))


# --------------------------------------------------------------------------------------------
# Exact enumeration on a finite latent-class model (each D_c uniform on n points)
# --------------------------------------------------------------------------------------------


def exact_losses_finite_model(
    features, rho, k: int = 1, loss: str = "logistic", tau=None, base: float = 2.0, margin: float = 1.0
) -> dict[str, float]:
    r"""Exact :math:`L_{un}, L^{=}_{un}, L^{\ne}_{un}, \tilde L^\mu_{sup}` by enumeration.

    The finite model has :math:`\mathcal D_c` uniform on the n feature vectors ``features[c]``
    (the encoder is already applied). Every tuple of classes and points is enumerated, so the
    numbers are exact up to round-off. It returns the decomposition of Arora et al. (2019),
    Sec. 4 (k = 1) and 6.1 (k negatives):

    .. math::

        L_{un} = (1-\tau_k) L^{\ne}_{un} + \tau_k L^{=}_{un},
        \qquad \tilde L^\mu_{sup} \le \frac{L_{un} - \tau_k}{1-\tau_k}.

    Parameters
    ----------
    features : array, shape (C, n, p)
    rho : array, shape (C,)
    k : int
        Number of negatives; enumeration costs :math:`C^{k+1} n^{k+2}` (kept below 2e7).
    tau : float, optional
        Collision probability used in the decomposition; default the exact
        :func:`collision_probability`. (A wrong value is how a claim's broken input fails.)

    Returns
    -------
    dict
        ``L_un``, ``L_collision``, ``L_no_collision``, ``L_sup_mu``, ``tau``,
        ``decomposition`` (= (1-tau) L_no_collision + tau L_collision) and ``lemma_bound``.

    Examples
    --------
    >>> from analysis.contrastive import exact_losses_finite_model
    >>> F = np.array([[[1.0, 0.0], [0.8, 0.2]], [[0.0, 1.0], [0.3, 0.7]]])  # (C, n, p) = (2, 2, 2)
    >>> out = exact_losses_finite_model(F, [0.5, 0.5])
    >>> bool(np.isclose(out["L_un"], out["decomposition"]))
    True
    >>> bool(out["L_sup_mu"] <= out["lemma_bound"]), round(float(out["tau"]), 6)  # Lemma 4.3
    (True, 0.5)
    """
    F = as_array(features, "features", ndim=3, min_size=1)
    C, n, p = F.shape
    rho = _check_rho(rho)
    if rho.shape[0] != C:
        raise ValueError(f"rho: expected {C} class probabilities, got {rho.shape[0]}")
    k = check_int(k, "k", minimum=1)
    log_tuples = (k + 1) * math.log(C) + (k + 2) * math.log(n)  # no huge integer powers
    if log_tuples > math.log(2e7):
        raise ValueError(
            f"k: enumeration of about 10^{log_tuples / math.log(10):.3g} tuples is too large; "
            "use fewer classes, points or negatives"
        )
    tau_true = collision_probability(rho, k)
    if tau_true >= 1.0:
        raise ValueError("rho: tau = 1 (a single class): the decomposition and the bound are undefined")
    tau = tau_true if tau is None else float(tau)
    ell = loss_function(loss, base=base, margin=margin)
    mu = F.mean(axis=1)
    L_un = L_coll = L_nocoll = L_sup = 0.0
    p_coll = 0.0
    for c_pos in range(C):
        # pos[x, x+] inner products f(x).f(x+)
        pos = F[c_pos] @ F[c_pos].T  # (n, n)
        for negs in itertools.product(range(C), repeat=k):
            weight = rho[c_pos] * np.prod(rho[list(negs)])
            if weight == 0.0:
                continue
            # v[x, x+, x-_1, ..., x-_k, i] = pos[x, x+] - f(x).f(x-_i)
            shape = (n, n) + (n,) * k
            scores = []
            for i, c in enumerate(negs):
                neg = F[c_pos] @ F[c].T  # (n, n): f(x).f(x-)
                expand = [n, 1] + [1] * k
                expand[2 + i] = n
                scores.append(
                    np.broadcast_to(pos.reshape((n, n) + (1,) * k), shape)
                    - np.broadcast_to(neg.reshape(expand), shape)
                )
            v = np.stack(scores, axis=-1)
            value = float(np.mean(ell(v)))
            L_un += weight * value
            if c_pos in negs:
                L_coll += weight * value
                p_coll += weight
            else:
                L_nocoll += weight * value
                distinct = sorted(set(negs))
                a = F[c_pos] @ (mu[c_pos][:, None] - mu[distinct].T)  # (n, |Q|)
                L_sup += weight * float(np.mean(ell(a)))
    L_coll_c = L_coll / p_coll if p_coll > 0 else float("nan")
    L_nocoll_c = L_nocoll / (1.0 - p_coll)
    L_sup_c = L_sup / (1.0 - p_coll)
    L_coll_term = tau * L_coll_c if p_coll > 0 else 0.0
    return {
        "L_un": L_un,
        "L_collision": L_coll_c,
        "L_no_collision": L_nocoll_c,
        "L_sup_mu": L_sup_c,
        "tau": tau,
        "tau_enumerated": p_coll,
        "decomposition": (1.0 - tau) * L_nocoll_c + L_coll_term,
        "lemma_bound": (L_un - tau) / (1.0 - tau),
    }

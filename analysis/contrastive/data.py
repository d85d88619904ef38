r"""The latent-class data model of contrastive learning, and its exact class-collision statistics.

Arora et al. (2019) posit latent classes :math:`c \sim \rho`, each with a class-conditional
distribution :math:`\mathcal D_c`; a positive pair is two independent draws from the same
:math:`\mathcal D_c`, and negatives come from independently drawn classes. Here
:math:`\mathcal D_c = \mathcal N(m_c, \sigma^2 I_d)` (a Gaussian latent-class mixture), so that
many expectations of linear encoders have closed forms.

References
----------
.. [1] S. Arora, H. Khandeparkar, M. Khodak, O. Plevrakis, N. Saunshi, "A Theoretical Analysis
   of Contrastive Unsupervised Representation Learning", ICML 2019, Sec. 2 and 4.
.. [2] H. Bao, Y. Nagano, K. Nozawa, "On the Surrogate Gap between Contrastive and Supervised
   Losses", ICML 2022 (coverage probability of K negatives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import (
    as_array,
    check_budget,
    check_choice,
    check_int,
    check_positive,
    check_probability_vector,
)

__all__ = [
    "LatentClassModel",
    "collision_probability",
    "coverage_probability",
    "log_coverage_probability",
    "make_latent_class_model",
]


def _check_rho(rho: object, name: str = "rho") -> np.ndarray:
    """A class distribution: non-negative entries summing to 1 (to 1e-9)."""
    return check_probability_vector(rho, name, atol=1e-9)


@dataclass(frozen=True)
class LatentClassModel:
    r"""Gaussian latent-class model.

    :math:`c \sim \rho`, :math:`x \mid c \sim \mathcal N(m_c, \sigma^2 I)`.

    Attributes
    ----------
    means : numpy.ndarray, shape (C, d)
        Class means :math:`m_c`.
    sigma : float
        Within-class standard deviation (isotropic).
    rho : numpy.ndarray, shape (C,)
        Class probabilities.

    Examples
    --------
    >>> from analysis.contrastive import LatentClassModel
    >>> model = LatentClassModel(means=np.eye(2), sigma=0.5, rho=[0.5, 0.5])
    >>> model.n_classes, model.dim, round(model.collision_probability(), 6)
    (2, 2, 0.5)
    >>> batch = model.sample_contrastive(3, k=2, rng=0)
    >>> batch["x"].shape, batch["x_neg"].shape  # (n, d), (n, k, block, d)
    ((3, 2), (3, 2, 1, 2))
    """

    means: np.ndarray
    sigma: float
    rho: np.ndarray

    def __post_init__(self) -> None:
        # private read-only copies: the model never changes after construction
        means = as_array(self.means, "means", ndim=2, min_size=1).copy()
        rho = _check_rho(self.rho).copy()
        means.flags.writeable = False
        rho.flags.writeable = False
        if rho.shape[0] != means.shape[0]:
            raise ValueError(f"rho: expected {means.shape[0]} class probabilities, got {rho.shape[0]}")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "sigma", check_positive(self.sigma, "sigma"))

    @property
    def n_classes(self) -> int:
        """Number of latent classes C."""
        return int(self.means.shape[0])

    @property
    def dim(self) -> int:
        """Input dimension d."""
        return int(self.means.shape[1])

    def collision_probability(self, k: int = 1) -> float:
        """:func:`collision_probability` of this model's class distribution with ``k`` negatives."""
        return collision_probability(self.rho, k)

    def sample_classes(self, shape, rng) -> np.ndarray:
        r"""Draw i.i.d. classes :math:`c \sim \rho` of the given shape (int64)."""
        rng = make_rng(rng, name="rng")
        return rng.choice(self.n_classes, size=shape, p=self.rho).astype(np.int64)

    def sample_inputs(self, classes, rng) -> np.ndarray:
        r"""Draw :math:`x \sim \mathcal D_c` per entry of ``classes``, shape ``classes.shape + (d,)``."""
        rng = make_rng(rng, name="rng")
        classes = np.asarray(classes, dtype=np.int64)
        noise = rng.standard_normal(classes.shape + (self.dim,))
        return self.means[classes] + self.sigma * noise

    def sample_contrastive(self, n: int, k: int = 1, block: int = 1, rng=0) -> dict[str, np.ndarray]:
        """Draw ``n`` contrastive tuples: anchor, ``block`` positives, ``k`` negatives of ``block`` each.

        Parameters
        ----------
        n : int
            Number of tuples.
        k : int
            Number of negative classes per tuple (>= 1).
        block : int
            Block size b of Arora et al. Sec. 6.2: b positives from the anchor's class and b
            negatives from each negative class (b = 1 is the plain loss).
        rng : int or numpy.random.Generator

        Returns
        -------
        dict
            ``x`` (n, d), ``x_pos`` (n, b, d), ``x_neg`` (n, k, b, d), ``c_pos`` (n,),
            ``c_neg`` (n, k).
        """
        n = check_int(n, "n", minimum=1)
        k = check_int(k, "k", minimum=1)
        block = check_int(block, "block", minimum=1)
        rng = make_rng(rng, name="rng")
        c_pos = self.sample_classes((n,), rng)
        c_neg = self.sample_classes((n, k), rng)
        x = self.sample_inputs(c_pos, rng)
        x_pos = self.sample_inputs(np.repeat(c_pos[:, None], block, axis=1), rng)
        x_neg = self.sample_inputs(np.repeat(c_neg[:, :, None], block, axis=2), rng)
        return {"x": x, "x_pos": x_pos, "x_neg": x_neg, "c_pos": c_pos, "c_neg": c_neg}


def make_latent_class_model(
    n_classes: int,
    dim: int,
    sigma: float = 1.0,
    rho: object | None = None,
    separation: float = 1.0,
    rng=0,
) -> LatentClassModel:
    """A random Gaussian latent-class model with means of norm ``separation``.

    Parameters
    ----------
    n_classes : int
        Number of classes C (>= 2: with one class every negative collides, tau = 1).
    dim : int
        Input dimension d.
    sigma : float
        Within-class standard deviation.
    rho : array_like, optional
        Class distribution; uniform when omitted.
    separation : float
        Norm of every class mean (means are Gaussian directions rescaled to this norm).
    rng : int or numpy.random.Generator

    Returns
    -------
    LatentClassModel

    Examples
    --------
    >>> from analysis.contrastive import make_latent_class_model
    >>> model = make_latent_class_model(3, 5, separation=2.0, rng=0)
    >>> model.means.shape, np.round(np.linalg.norm(model.means, axis=1), 6)
    ((3, 5), array([2., 2., 2.]))
    >>> np.round(model.rho, 3)  # uniform by default
    array([0.333, 0.333, 0.333])
    """
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    dim = check_int(dim, "dim", minimum=1)
    check_budget("n_classes", n_bytes=8.0 * 2 * n_classes, what="class probabilities")
    check_budget("dim", n_bytes=8.0 * 2 * n_classes * dim, what="class means")
    separation = check_positive(separation, "separation")
    rng = make_rng(rng, name="rng")
    rho = np.full(n_classes, 1.0 / n_classes) if rho is None else _check_rho(rho)
    if rho.shape[0] != n_classes:
        raise ValueError(f"rho: expected {n_classes} class probabilities, got {rho.shape[0]}")
    directions = rng.standard_normal((n_classes, dim))
    means = separation * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return LatentClassModel(means=means, sigma=sigma, rho=rho)


def collision_probability(rho: object, k: int = 1) -> float:
    r"""Probability that the positive class appears among ``k`` i.i.d. negative classes.

    .. math::

        \tau_k = P_{c^+, c^-_1..c^-_k \sim \rho^{k+1}}\bigl(c^+ \in \{c^-_i\}\bigr)
               = 1 - \sum_c \rho(c) (1 - \rho(c))^k ,

    which for k = 1 is :math:`\tau = \sum_c \rho(c)^2` (Arora et al. 2019, Sec. 4; Sec. 6.1
    for k negatives). The sum is formed with ``log1p``/``expm1`` so that tiny collision
    probabilities (many classes, few negatives) keep full relative accuracy.

    Parameters
    ----------
    rho : array_like, shape (C,)
        Class distribution (non-negative, sums to 1).
    k : int
        Number of negatives (>= 1).

    Returns
    -------
    float
        :math:`\tau_k \in [0, 1]`; equal to 1 for a single class.

    Examples
    --------
    >>> from analysis.contrastive import collision_probability
    >>> round(collision_probability([0.5, 0.5]), 6)  # sum_c rho(c)^2
    0.5
    >>> round(collision_probability([0.5, 0.5], k=3), 6)  # 1 - 2 * 0.5 * 0.5^3
    0.875
    """
    rho = _check_rho(rho)
    k = check_int(k, "k", minimum=1)
    # 1 - (1 - r)^k = -expm1(k log1p(-r)) keeps relative accuracy when r k is small.
    with np.errstate(divide="ignore"):
        hit = -np.expm1(k * np.log1p(-rho))
    hit = np.where(rho >= 1.0, 1.0, hit)
    return float(min(1.0, max(0.0, np.sum(rho * hit))))


def _coverage_exact_fraction(n_classes: int, n_draws: int) -> Fraction:
    """Exact coverage probability as a rational (inclusion-exclusion on Python integers)."""
    total = 0
    for j in range(n_classes + 1):
        term = math.comb(n_classes, j) * (n_classes - j) ** n_draws
        total += -term if j % 2 else term
    return Fraction(total, n_classes**n_draws)


def _log_coverage_recursion(n_classes: int, draws: np.ndarray) -> np.ndarray:
    """Log coverage probabilities by the occupancy Markov chain (positive terms only, log space)."""
    C = n_classes
    max_draws = int(draws.max())
    i = np.arange(C + 1)
    # log P(i distinct classes seen after t draws); start with 0 classes seen.
    logp = np.full(C + 1, -np.inf)
    logp[0] = 0.0
    with np.errstate(divide="ignore"):
        log_stay = np.log(i / C)  # the new draw repeats one of the i seen classes
        log_move = np.log((C - i + 1) / C)  # arrive at i from i - 1 with a new class
    out = np.full(draws.shape, -np.inf)
    want = {int(t): np.flatnonzero(draws == t) for t in np.unique(draws)}
    if 0 in want:
        out[want[0]] = 0.0 if C == 0 else -np.inf
    for t in range(1, max_draws + 1):
        stay = logp + log_stay
        move = np.full(C + 1, -np.inf)
        move[1:] = logp[:-1] + log_move[1:]
        logp = np.logaddexp(stay, move)
        if t in want:
            out[want[t]] = logp[C]
    return out


def log_coverage_probability(n_classes: int, n_draws, method: str = "recursion") -> np.ndarray:
    """Log of :func:`coverage_probability` (``-inf`` where coverage is impossible).

    Examples
    --------
    >>> from analysis.contrastive import log_coverage_probability
    >>> np.round(log_coverage_probability(3, [2, 3]), 4)  # log 0 and log(3!/3^3)
    array([   -inf, -1.5041])
    """
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    method = check_choice(method, "method", ("recursion", "exact"))
    check_budget("n_classes", n_bytes=8.0 * 4 * (n_classes + 1), what="occupancy chain")
    draws = np.asarray(n_draws)
    if draws.size == 0 or not np.issubdtype(draws.dtype, np.integer) or np.any(draws < 0):
        raise ValueError(f"n_draws: expected non-negative integers, got {n_draws!r}")
    check_budget("n_draws", n_operations=float(n_classes) * float(draws.max()),
                 max_operations=1e11, what="occupancy-chain steps")
    flat = draws.reshape(-1).astype(np.int64)
    if method == "exact":
        out = np.empty(flat.shape)
        for idx, t in enumerate(flat):
            frac = _coverage_exact_fraction(n_classes, int(t))
            if frac == 0:
                out[idx] = -np.inf
            elif frac > Fraction(1, 10**300):
                out[idx] = math.log(float(frac))  # float(Fraction) is correctly rounded
            else:
                # log of a big rational without overflow: difference of integer logs
                out[idx] = _log_int(frac.numerator) - _log_int(frac.denominator)
        return out.reshape(draws.shape)
    return _log_coverage_recursion(n_classes, flat).reshape(draws.shape)


def _log_int(n: int) -> float:
    """Natural log of a positive Python integer of any size."""
    bits = n.bit_length()
    if bits < 1000:
        return math.log(n)
    shift = bits - 900
    return math.log(n >> shift) + shift * math.log(2.0)


def coverage_probability(n_classes: int, n_draws, method: str = "recursion"):
    r"""Probability that ``n_draws`` i.i.d. uniform draws from ``n_classes`` classes cover all of them.

    .. math::

        v(C, K) = \sum_{j=0}^{C} (-1)^j \binom{C}{j} \Bigl(1 - \frac{j}{C}\Bigr)^K
                = \frac{C!\, S(K, C)}{C^K},

    with S the Stirling numbers of the second kind (coupon collector). Evaluating the
    alternating sum in floating point cancels catastrophically (terms of size
    :math:`\binom{C}{C/2}` for a result that can be far below 1); two stable routes are offered:

    - ``"recursion"`` (default): the occupancy Markov chain
      :math:`p_{t+1}(i) = p_t(i)\, i/C + p_t(i-1)\,(C-i+1)/C` in log space. Every term is
      positive, so there is no cancellation; cost O(C K).
    - ``"exact"``: the inclusion-exclusion sum on Python integers, i.e. an exact rational,
      rounded once at the end (the reference; cost grows with the digits of :math:`C^K`).

    Parameters
    ----------
    n_classes : int
        Number of classes C (>= 1).
    n_draws : int or array_like of int
        Number of draws K (>= 0).
    method : {"recursion", "exact"}

    Returns
    -------
    float or numpy.ndarray
        v(C, K) in [0, 1] (a float for scalar ``n_draws``).

    References
    ----------
    Bao, Nagano & Nozawa (2022), ICML, the coefficient of Arora et al.'s bound (Sec. 3);
    scripts/compare_upper_bound.py of nzw0301/gap-contrastive-and-supervised-losses uses the
    same Markov chain in probability space.

    Examples
    --------
    >>> from analysis.contrastive import coverage_probability
    >>> bool(np.isclose(coverage_probability(3, 3), 6 / 27))  # 3! orderings of 3^3 draws
    True
    >>> coverage_probability(3, 2), coverage_probability(3, 3, method="exact") == 6 / 27
    (0.0, True)
    """
    scalar = np.ndim(n_draws) == 0
    if method == "exact":
        # the correctly rounded value of the exact rational (log route only below 1e-300)
        draws = np.asarray(n_draws)
        logs = log_coverage_probability(n_classes, n_draws, method="exact")
        pairs = zip(draws.reshape(-1), logs.reshape(-1), strict=True)
        values = [float(_coverage_exact_fraction(n_classes, int(K))) if lg > -690 else math.exp(lg)
                  for K, lg in pairs]
        out = np.array(values).reshape(draws.shape)
        return float(out) if scalar else out
    out = np.exp(log_coverage_probability(n_classes, n_draws, method=method))
    return float(out) if scalar else out


def coverage_probability_naive_float(n_classes: int, n_draws: int) -> float:
    """The alternating inclusion-exclusion sum in float64: UNSTABLE, kept as a counter-example.

    Used by the benchmark and by a claim's broken input to show the cancellation that
    :func:`coverage_probability` avoids.
    """
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    n_draws = check_int(n_draws, "n_draws", minimum=0)
    j = np.arange(n_classes + 1)
    log_binom = np.array(
        [math.lgamma(n_classes + 1) - math.lgamma(a + 1) - math.lgamma(n_classes - a + 1) for a in j]
    )
    with np.errstate(divide="ignore"):
        terms = np.exp(log_binom + n_draws * np.log1p(-j / n_classes))
    signs = np.where(j % 2 == 0, 1.0, -1.0)
    return float(np.sum(signs * terms))

r"""The bounds of Arora et al. (2019) and the coefficient comparison across K negatives.

Named after the paper's statements:

- :func:`lemma_4_3_bound` -- Lemma 4.3 (k = 1) and its k-negative / block forms (Sec. 6):
  :math:`L^\mu_{sup}(f) \le (L_{un}(f) - \tau)/(1 - \tau)`.
- :func:`theorem_4_1_terms` -- the terms of Theorem 4.1,
  :math:`L^\mu_{sup}(\hat f) \le L^{\ne}_{un}(f) + \beta s(f) + \eta\,\mathrm{Gen}_M`.
- :func:`intra_class_concentration` -- :math:`s(f)` of Theorem 4.1 / Lemma 4.4.
- :func:`lemma_4_4_constant` -- a valid constant c' of Lemma 4.4 (the paper leaves it unnamed).
- :func:`generalization_term` -- the order of :math:`\mathrm{Gen}_M` (Lemma A.2; the paper's
  constants are hidden in O(.), see the docstring).
- :func:`bound_coefficients` -- the coefficient of the contrastive loss in the supervised-loss
  bounds of Arora et al., Nozawa & Sato, Ash et al. and Bao et al., for C classes and K
  negatives (Bao, Nagano & Nozawa, ICML 2022, Fig. 1 and scripts/compare_upper_bound.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import check_budget, check_choice, check_int, check_positive, check_real
from analysis.contrastive.data import LatentClassModel, collision_probability, log_coverage_probability

__all__ = [
    "bound_coefficients",
    "generalization_term",
    "intra_class_concentration",
    "lemma_4_3_bound",
    "lemma_4_4_constant",
    "theorem_4_1_terms",
    "theorem_6_1_bound",
]


def _check_tau(tau: object) -> float:
    tau = check_real(tau, "tau", minimum=0.0, maximum=1.0)
    if tau >= 1.0:
        raise ValueError(
            "tau: the collision probability is 1 (a single latent class: every negative shares the "
            "positive's class), so the bound (L_un - tau)/(1 - tau) is undefined"
        )
    return tau


def lemma_4_3_bound(unsupervised_loss: float, tau: float) -> float:
    r"""Upper bound on the mean classifier's supervised loss from the unsupervised loss.

    .. math::

        L^\mu_{sup}(f) \le \frac{L_{un}(f) - \tau}{1 - \tau}

    Arora et al. (2019), Lemma 4.3 (k = 1, :math:`\tau = \sum_c \rho(c)^2`). The proof: Jensen
    on the convex loss gives :math:`L_{un} \ge (1-\tau)\,L^\mu_{sup} + \tau\,\ell(0)` with
    :math:`\ell(0) = 1` (hinge, or logistic in base 2). The same form holds for k negatives with
    :math:`\tau_k` and :math:`\tilde L^\mu_{sup}` (Theorem 6.1), and for the block loss
    (Sec. 6.2, Proposition 6.2: :math:`L^{block}_{un} \le L_{un}`).

    Raises
    ------
    ValueError
        When ``tau`` = 1 (a single class), where the bound is undefined.

    Examples
    --------
    >>> from analysis.contrastive import collision_probability, lemma_4_3_bound
    >>> tau = collision_probability([0.5, 0.5])  # two equiprobable classes: tau = 1/2
    >>> round(lemma_4_3_bound(0.8, tau), 3)  # (0.8 - 0.5) / (1 - 0.5)
    0.6
    """
    tau = _check_tau(tau)
    value = check_real(unsupervised_loss, "unsupervised_loss", minimum=0.0)
    return (value - tau) / (1.0 - tau)


def theorem_6_1_bound(unsupervised_loss: float, rho, k: int) -> float:
    r"""Bound of Arora et al. (2019), Theorem 6.1 (k negatives), with population losses.

    .. math::

        \tilde L^\mu_{sup}(f) \le \frac{L_{un}(f) - \tau_k}{1 - \tau_k},
        \qquad \tau_k = 1 - \sum_c \rho(c)(1 - \rho(c))^k ,

    where :math:`\tilde L^\mu_{sup}` averages the mean classifier's loss over the tasks formed by
    the positive class and the distinct negative classes, conditioned on no collision
    (:func:`analysis.contrastive.losses.supervised_mean_loss`). The generalisation term of the
    theorem vanishes for population losses. The block loss of Sec. 6.2 (Prop. 6.2) may replace
    :math:`L_{un}`.

    Examples
    --------
    >>> from analysis.contrastive import theorem_6_1_bound
    >>> # rho = (1/2, 1/2), k = 2: tau_2 = 1 - 2 * (1/2) * (1/2)^2 = 3/4
    >>> round(theorem_6_1_bound(0.9, [0.5, 0.5], k=2), 3)  # (0.9 - 0.75) / (1 - 0.75)
    0.6
    """
    check_real(unsupervised_loss, "unsupervised_loss", minimum=0.0)
    tau = collision_probability(rho, k)
    if tau >= 1.0:
        raise ValueError(
            f"k: with k = {k} negatives every negative collides with the positive's class "
            f"(tau_k = 1 in float64), so the bound (L_un - tau_k)/(1 - tau_k) is undefined"
        )
    return lemma_4_3_bound(unsupervised_loss, tau)


def lemma_4_4_constant(loss: str = "logistic", base: float = 2.0) -> float:
    r"""A constant c' with :math:`L^=_{un}(f) - 1 \le c'\, s(f)` (Arora et al. 2019, Lemma 4.4; k = 1).

    The paper states Lemma 4.4 "for some constant c'". A valid one follows from its proof idea:
    :math:`\ell(v) - \ell(0) \le L_\ell |v|` with :math:`L_\ell` the Lipschitz constant of the loss,
    and for :math:`x, x^+, x^- \sim \mathcal D_c` i.i.d.,
    :math:`\mathbb E|v| \le \mathbb E_x \sqrt{2 f(x)^\top \Sigma(f,c) f(x)}
    \le \sqrt 2\,\sqrt{\|\Sigma(f,c)\|_2}\,\mathbb E\|f(x)\|`. So :math:`c' = \sqrt2 L_\ell` with
    :math:`L_\ell = 1` (hinge) and :math:`1/\ln b` (logistic in base b).

    Examples
    --------
    >>> from analysis.contrastive import lemma_4_4_constant
    >>> bool(np.isclose(lemma_4_4_constant("hinge"), np.sqrt(2)))
    True
    >>> round(lemma_4_4_constant("logistic", base=2.0), 3)  # sqrt(2) / ln 2
    2.04
    """
    check_choice(loss, "loss", ("hinge", "logistic"))
    lipschitz = 1.0 if loss == "hinge" else 1.0 / math.log(check_positive(base, "base"))
    return math.sqrt(2.0) * lipschitz


def intra_class_concentration(
    encoder: Callable, model: LatentClassModel, n_per_class: int = 4000, rng=0
) -> float:
    r"""The intra-class concentration :math:`s(f)` of Arora et al. (2019), Theorem 4.1.

    .. math::

        s(f) = \mathbb E_{c \sim \nu}\bigl[\sqrt{\|\Sigma(f, c)\|_2}\;
               \mathbb E_{x\sim\mathcal D_c}\|f(x)\|\bigr]

    :math:`\nu(c) = \rho(c)^2 / \tau` is the distribution of the class of a colliding pair and
    :math:`\Sigma(f,c)` the covariance of :math:`f(x)`, :math:`x \sim \mathcal D_c` (Arora et al.
    2019, Theorem 4.1). Estimated from ``n_per_class`` samples per class (Monte Carlo).

    Examples
    --------
    >>> from analysis.contrastive import (intra_class_concentration, linear_encoder,
    ...                                   make_latent_class_model)
    >>> model = make_latent_class_model(3, 2, sigma=1.0, rng=0)
    >>> s = intra_class_concentration(linear_encoder(np.eye(2)), model, n_per_class=1000, rng=0)
    >>> s2 = intra_class_concentration(linear_encoder(2 * np.eye(2)), model, n_per_class=1000, rng=0)
    >>> bool(np.isclose(s2, 4 * s))  # s(f) is homogeneous of degree 2 in f (same samples)
    True
    """
    n_per_class = check_int(n_per_class, "n_per_class", minimum=2)
    check_budget("n_per_class", n_bytes=8.0 * 4 * n_per_class * model.dim, what="one class's samples")
    rng = make_rng(rng, name="rng")
    tau = _check_tau(collision_probability(model.rho, 1))
    nu = model.rho**2 / tau
    total = 0.0
    for c in range(model.n_classes):  # loop over classes only (C is small); samples are vectorised
        if nu[c] == 0.0:
            continue
        fx = encoder(model.sample_inputs(np.full(n_per_class, c), rng))
        cov = np.cov(fx, rowvar=False).reshape(fx.shape[1], fx.shape[1])
        spectral = float(np.linalg.eigvalsh(cov)[-1])
        total += nu[c] * math.sqrt(max(spectral, 0.0)) * float(np.linalg.norm(fx, axis=1).mean())
    return total


def generalization_term(
    rademacher: float,
    feature_norm: float,
    n_unlabeled: int,
    delta: float,
    k: int = 1,
    c_rademacher: float = 1.0,
    c_concentration: float = 1.0,
) -> float:
    r"""The order of :math:`\mathrm{Gen}_M` in Arora et al. (2019), Theorem 4.1 / Lemma A.2.

    .. math::

        \mathrm{Gen}_M = c_1 \frac{R\sqrt k\, \mathcal R_S(\mathcal F)}{M}
                        + c_2 R^2 \sqrt{\frac{\log(1/\delta)}{M}}

    The paper gives :math:`\mathrm{Gen}_M = O(\cdot)` without numerical constants; ``c_rademacher``
    and ``c_concentration`` (:math:`c_1, c_2`, default 1) are therefore NOT the paper's: this
    function reproduces the scaling in M, R, k and delta, not a certified value.

    Examples
    --------
    >>> from analysis.contrastive import generalization_term
    >>> g = generalization_term(rademacher=1.0, feature_norm=1.0, n_unlabeled=100, delta=0.1)
    >>> bool(np.isclose(g, 1 / 100 + np.sqrt(np.log(10) / 100)))  # c_1 = c_2 = 1
    True
    """
    rademacher = check_real(rademacher, "rademacher", minimum=0.0)
    feature_norm = check_positive(feature_norm, "feature_norm")
    n_unlabeled = check_int(n_unlabeled, "n_unlabeled", minimum=1)
    delta = check_real(delta, "delta", minimum=0.0, maximum=1.0, strict_min=True, strict_max=True)
    k = check_int(k, "k", minimum=1)
    c_rademacher = check_real(c_rademacher, "c_rademacher", minimum=0.0)
    c_concentration = check_real(c_concentration, "c_concentration", minimum=0.0)
    return c_rademacher * feature_norm * math.sqrt(
        k
    ) * rademacher / n_unlabeled + c_concentration * feature_norm**2 * math.sqrt(
        math.log(1.0 / delta) / n_unlabeled
    )


def theorem_4_1_terms(
    unsupervised_loss_no_collision: float,
    concentration: float,
    tau: float,
    gen_m: float = 0.0,
    loss: str = "logistic",
) -> dict[str, float]:
    r"""The right-hand side of Arora et al. (2019), Theorem 4.1, term by term.

    .. math::

        L^\mu_{sup}(\hat f) \le L^{\ne}_{un}(f) + \beta\, s(f) + \eta\, \mathrm{Gen}_M,
        \qquad \beta = c' \frac{\tau}{1-\tau}, \quad \eta = \frac{1}{1-\tau}.

    With population losses (no sampling of the unlabeled set) ``gen_m = 0`` and :math:`\hat f = f`,
    which is what the checks use. :math:`c'` is :func:`lemma_4_4_constant` (the paper leaves it
    unnamed).

    Returns
    -------
    dict
        ``L_un_no_collision``, ``beta``, ``s``, ``eta``, ``gen_m`` and their sum ``bound``.

    Examples
    --------
    >>> from analysis.contrastive import theorem_4_1_terms
    >>> terms = theorem_4_1_terms(0.5, concentration=0.2, tau=0.5)
    >>> round(terms["eta"], 3), round(terms["beta"], 3)  # 1/(1 - tau), c' tau/(1 - tau)
    (2.0, 2.04)
    >>> round(terms["bound"], 3)  # 0.5 + 2.04 * 0.2
    0.908
    """
    tau = _check_tau(tau)
    s = check_real(concentration, "concentration", minimum=0.0)
    gen_m = check_real(gen_m, "gen_m", minimum=0.0)
    l_neq = check_real(unsupervised_loss_no_collision, "unsupervised_loss_no_collision", minimum=0.0)
    beta = lemma_4_4_constant(loss) * tau / (1.0 - tau)
    eta = 1.0 / (1.0 - tau)
    return {
        "L_un_no_collision": l_neq,
        "beta": beta,
        "s": s,
        "eta": eta,
        "gen_m": gen_m,
        "bound": l_neq + beta * s + eta * gen_m,
    }


def _harmonic(n: int) -> float:
    return float(np.sum(1.0 / np.arange(1, n + 1))) if n >= 1 else 0.0


def bound_coefficients(n_classes: int, n_negatives) -> dict[str, np.ndarray]:
    r"""Coefficients of the contrastive loss in four supervised-loss upper bounds, vs K negatives.

    With C equiprobable classes, :math:`\tau = 1 - (1 - 1/C)^K` (a collision among K negatives)
    and :math:`v = v(C, K+1)` the probability that the positive and its K negatives cover all C
    classes (:func:`analysis.contrastive.data.coverage_probability`):

    - Arora et al. (2019): :math:`1 / ((1-\tau) v)`;
    - Nozawa & Sato (2021): :math:`2 / v`;
    - Ash et al. (2022): :math:`2 \max(1, 2 (C-1) H_{C-1} / K) / (1 - \tau)` with the exact
      harmonic number (Bao et al.'s script approximates :math:`H_n \approx \ln n + 0.577`);
    - Bao, Nagano & Nozawa (2022): 1.

    Everything is formed in log space: :math:`(1-\tau)^{-1} = (1-1/C)^{-K}` overflows float64
    for K of a few thousand when C = 10, and v underflows for K < C - 1 (the coefficient is then
    ``inf``: Arora's and Nozawa-Sato's bounds need every class among the negatives).

    Returns
    -------
    dict
        ``K``, ``tau``, ``coverage``, and ``arora``, ``nozawa_sato``, ``ash``, ``bao`` (arrays), plus
        ``log_arora`` and ``log_nozawa_sato`` (natural logs, finite where the value overflows).

    Examples
    --------
    >>> from analysis.contrastive import bound_coefficients
    >>> coef = bound_coefficients(10, [5, 10, 100])
    >>> float(coef["arora"][0])  # K + 1 = 6 draws cannot cover 10 classes
    inf
    >>> np.round(coef["nozawa_sato"][1:], 1), coef["bao"]
    (array([1002.1,    2. ]), array([1., 1., 1.]))
    """
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    check_budget("n_classes", n_bytes=8.0 * 4 * n_classes, what="harmonic number and occupancy chain")
    K = np.asarray(n_negatives)
    if K.ndim != 1 or K.size == 0 or not np.issubdtype(K.dtype, np.integer) or np.any(K < 1):
        raise ValueError(f"n_negatives: expected a 1-D array of integers >= 1, got {n_negatives!r}")
    K = K.astype(np.int64)
    C = n_classes
    log_one_minus_tau = K * math.log1p(-1.0 / C)
    tau = -np.expm1(log_one_minus_tau)
    log_v = log_coverage_probability(C, K + 1)
    with np.errstate(over="ignore", divide="ignore"):
        log_arora = -log_one_minus_tau - log_v
        log_nozawa = math.log(2.0) - log_v
        ash = 2.0 * np.maximum(1.0, 2.0 * (C - 1) * _harmonic(C - 1) / K) * np.exp(-log_one_minus_tau)
        out = {
            "K": K,
            "tau": tau,
            "coverage": np.exp(log_v),
            "arora": np.exp(log_arora),
            "nozawa_sato": np.exp(log_nozawa),
            "ash": ash,
            "bao": np.ones(K.shape),
            "log_arora": log_arora,
            "log_nozawa_sato": log_nozawa,
        }
    return out

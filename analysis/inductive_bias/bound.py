r"""The predecessor's bound-based estimate of inductive bias (Boopathy et al., ICML 2023).

"Model-Agnostic Measure of Generalization Difficulty" bounds the information needed to pick a
well-generalising hypothesis from a space of band-limited functions on an m-dimensional data
manifold. As implemented in the official code (FieteLab/inductive-bias-complexity,
``task_difficulty.difficulty``), in bits:

.. math::

    I \approx \dim\Theta_q \Big[\log_2 B + \tfrac12\log_2 D + \tfrac12\log_2 P
      - \log_2\varepsilon + \log_2 L_f + \log_2 W\Big],

with :math:`M = 2\pi R/\delta` (maximum frequency), :math:`K = (\sqrt{(m-1)^2 + 4M^2} - (m-1))/2`,
the number of Laplacian eigenfunctions :math:`N_K = \binom{m+K}{m} + \binom{m+K-1}{m}`,
:math:`\dim\Theta = 2 D P N_K`, :math:`\dim\Theta_q = \dim\Theta - nD`, :math:`L_f = K\sqrt D/R`
and the Wasserstein term

.. math::

    \log W = \tfrac12\log\frac m6 + \frac{\log 2 + \frac{m+1}{2}\log\pi + \log P
      - \log\Gamma(\frac{m+1}{2})}{m} + \log R - \frac{\log n}{m}.

We could not find the equation number of this combined formula in the paper text available to us;
it is reproduced from the authors' code, which states it as the task difficulty in bits.
"""

from __future__ import annotations

import math

from scipy.special import gammaln

from analysis._core.validate import check_int, check_positive

__all__ = ["predecessor_bound_bits", "predecessor_bound_nats"]


def _log_binom(a: float, b: float) -> float:
    return float(gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1))


def predecessor_bound_bits(eps: float, n: int, m: int, R: float, delta: float, D: int, *,
                           n_discrete: int = 1, B: float = 1.0) -> float:
    """Inductive bias (task difficulty) in bits by the ICML 2023 bound, see the module docstring.

    Parameters
    ----------
    eps : float
        Desired error, > 0.
    n : int
        Training-set size.
    m : int
        Intrinsic dimension of the data.
    R : float
        Maximum norm of the data points.
    delta : float
        Spatial resolution of the target (minimum distance between classes), > 0.
    D : int
        Output dimension (the code uses number of classes - 1).
    n_discrete : int
        P, the number of combinations of discrete features (the code passes the number of classes).
    B : float
        Bound on the sup-norm of the target's outputs.

    Returns
    -------
    float
        Bits; the formula yields a negative number when the training set already pins down the
        band-limited space (dim Theta_q < 0), which we return unchanged.

    References
    ----------
    Boopathy, Liu, Hwang, Iyer & Fiete (2023). Model-Agnostic Measure of Generalization
    Difficulty. ICML 2023; code FieteLab/inductive-bias-complexity, task_difficulty.py.

    Examples
    --------
    A 10-class task on a 2-D data manifold, 1000 training points, target error 1 %:

    >>> from analysis.inductive_bias import predecessor_bound_bits
    >>> bits = predecessor_bound_bits(0.01, n=1000, m=2, R=1.0, delta=0.5, D=9, n_discrete=10)
    >>> f"{bits:.4g}"
    '2.783e+05'
    """
    eps = check_positive(eps, "eps")
    n = check_int(n, "n", minimum=1)
    m = check_int(m, "m", minimum=1)
    R = check_positive(R, "R")
    delta = check_positive(delta, "delta")
    D = check_int(D, "D", minimum=1)
    P = check_int(n_discrete, "n_discrete", minimum=1)
    B = check_positive(B, "B")
    log_w = (0.5 * math.log(m / 6) + (math.log(2) + (m + 1) / 2 * math.log(math.pi) + math.log(P)
                                      - float(gammaln((m + 1) / 2))) / m + math.log(R) - math.log(n) / m)
    max_freq = 2 * math.pi * R / delta
    K = (math.sqrt((m - 1) ** 2 + 4 * max_freq**2) - (m - 1)) / 2
    n_eigen = math.exp(_log_binom(m + K, m)) + math.exp(_log_binom(m + K - 1, m))
    lipschitz = K * math.sqrt(D) / R
    dim_q = 2 * D * P * n_eigen - n * D
    log_ratio = (math.log2(B) + 0.5 * math.log2(D) + 0.5 * math.log2(P) - math.log2(eps)
                 + math.log2(lipschitz) + log_w / math.log(2))
    return float(dim_q * log_ratio)


def predecessor_bound_nats(eps: float, n: int, m: int, R: float, delta: float, D: int, *,
                           n_discrete: int = 1, B: float = 1.0) -> float:
    """:func:`predecessor_bound_bits` converted to nats (times ln 2); same arguments.

    Examples
    --------
    >>> import math
    >>> from analysis.inductive_bias import predecessor_bound_bits, predecessor_bound_nats
    >>> args = (0.01, 1000, 2, 1.0, 0.5, 9)
    >>> bool(math.isclose(predecessor_bound_nats(*args), predecessor_bound_bits(*args) * math.log(2)))
    True
    """
    return predecessor_bound_bits(eps, n, m, R, delta, D, n_discrete=n_discrete, B=B) * math.log(2)

r"""Inductive-bias estimators: the published parametric one and the exact Gaussian-space value.

The inductive bias needed to reach test loss :math:`\varepsilon` relative to a hypothesis space
with sampling distribution :math:`p_h` is (Boopathy et al., 2024, Eq. 1)

.. math::

    I(\varepsilon) = -\log P_{h \sim p_h}\big[e(h) \le \varepsilon\big] \quad\text{(nats)}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from analysis._core.validate import as_array, check_choice, check_positive, check_real
from analysis.inductive_bias.gchisq import GChiSq, gchisq_log_cdf

__all__ = [
    "NCX2Fit",
    "empirical_inductive_bias",
    "fit_scaled_ncx2",
    "gaussian_inductive_bias",
    "gaussian_loss_law",
    "ncx2_inductive_bias",
    "ncx2_central_start",
    "ncx2_moment_start",
    "sankaran_log_cdf",
]

MIN_LOSSES = 10


@dataclass(frozen=True)
class NCX2Fit:
    r"""A fitted scaled non-central chi-square :math:`s\,\chi'^2_k(\lambda)` (location 0).

    Attributes
    ----------
    df, nc, scale : float
        Degrees of freedom :math:`k`, non-centrality :math:`\lambda` and scale :math:`s`.
    method : str
        Which point won: ``"mle"``, ``"mle-central"``, ``"moments"`` or ``"central"`` (see
        :func:`fit_scaled_ncx2`).

    Examples
    --------
    With 4 degrees of freedom, :math:`P(\chi^2_4 \le x) = 1 - e^{-x/2}(1 + x/2)`:

    >>> from analysis.inductive_bias import NCX2Fit
    >>> fit = NCX2Fit(df=4.0, nc=0.0, scale=1.0)
    >>> bool(np.isclose(fit.log_cdf(1.0), np.log(1 - np.exp(-0.5) * 1.5)))
    True
    """

    df: float
    nc: float
    scale: float
    #: which point won: "mle" (from the moment start), "mle-central" (from the central start,
    #: after the guard in :func:`fit_scaled_ncx2`), "moments"/"central" (a start beat both fits;
    #: "moments" also where scipy's ncx2 density cannot be evaluated, df > ~1000)
    method: str = "mle"

    def log_cdf(self, x: float, *, fallback: str = "published") -> float:
        r""":math:`\log P(s\chi'^2_k(\lambda) \le x)`, with the normal fallback on underflow."""
        value = float(stats.ncx2.logcdf(x, self.df, self.nc, loc=0.0, scale=self.scale))
        if np.isfinite(value):
            return value
        return sankaran_log_cdf(x / self.scale, self.df, self.nc, tail=fallback)


def _check_losses(losses: object) -> np.ndarray:
    arr = as_array(losses, "losses", ndim=1)
    if arr.size < MIN_LOSSES:
        raise ValueError(f"losses: expected at least {MIN_LOSSES} sampled losses, got {arr.size}")
    if np.any(arr <= 0):
        raise ValueError(f"losses: expected positive losses, got min {arr.min():.3g}")
    return arr


def ncx2_moment_start(losses: np.ndarray) -> tuple[float, float, float]:
    r"""Method-of-moments start ``(df, nc, scale)`` for the scaled non-central chi-square fit.

    Matches :math:`E = s(k+\lambda)`, :math:`\operatorname{Var} = 2s^2(k+2\lambda)`,
    :math:`\mu_3 = 8 s^3 (k + 3\lambda)`: the scale solves
    :math:`m_1 s^2 - m_2 s + m_3/8 = 0` (smaller root, so that :math:`\lambda \ge 0`); when the
    sample skewness admits no such root the central fit :math:`s = m_2/(2m_1)` is used. The
    identities are derived symbolically in ``proofs_checks/check_inductive_bias.py``.
    """
    m1 = float(np.mean(losses))
    centred = losses - m1
    m2 = float(np.mean(centred**2))
    m3 = float(np.mean(centred**3))
    disc = m2**2 - m1 * m3 / 2.0
    scale = (m2 - math.sqrt(disc)) / (2.0 * m1) if disc > 0 and m3 > 0 else 0.0
    if not scale > 0 or scale > m2 / (2.0 * m1):
        scale = m2 / (2.0 * m1)
    # a strictly positive non-centrality keeps Nelder-Mead's initial simplex non-degenerate;
    # df absorbs the floor so that the fitted mean stays the sample mean
    total = m1 / scale  # = df + nc
    nc = min(max(m2 / (2.0 * scale**2) - total, 1e-3 * total), (1.0 - 1e-3) * total)
    return total - nc, nc, scale


def fit_scaled_ncx2(losses: object, *, start: str = "moments") -> NCX2Fit:
    r"""Maximum-likelihood fit of :math:`s\,\chi'^2_k(\lambda)` with location 0.

    Calls ``scipy.stats.ncx2.fit(losses, floc=0)`` as the published code does
    (``utils.compute_inductive_bias``). ``start="moments"`` (default) passes the method-of-moments
    point of :func:`ncx2_moment_start` as the optimiser's starting values; ``start="scipy"`` uses
    scipy's default start exactly as published. scipy's Nelder-Mead from its default start can stop
    far from the maximum (we measured fits with a log-likelihood lower by hundreds of nats on
    1000 samples). The moment start usually reaches the maximum, but not when the sample
    skewness is near zero: then the fit is restarted from the central chi-square moment fit
    (:func:`ncx2_central_start`) and the point of highest likelihood among the fits and their
    starts is returned; ``NCX2Fit.method`` records which (the guard against a degenerate fit).

    References
    ----------
    Boopathy et al. (2024), Sec. 4 ("Estimating the loss distribution"); FieteLab/Exact-Inductive-Bias,
    utils.py.

    Examples
    --------
    300 draws of :math:`0.1\,\chi'^2_5(2)` (mean 0.7); the fitted law keeps the sample mean:

    >>> from analysis.inductive_bias import GChiSq, fit_scaled_ncx2
    >>> losses = GChiSq.make([0.1], [5.0], [2.0]).sample(300, np.random.default_rng(0))
    >>> fit = fit_scaled_ncx2(losses)
    >>> fit.method, round(fit.scale * (fit.df + fit.nc), 3), round(float(losses.mean()), 3)
    ('mle', 0.681, 0.681)
    """
    arr = _check_losses(losses)
    check_choice(start, "start", ("moments", "scipy"))
    if start == "scipy":
        df, nc, _, scale = stats.ncx2.fit(arr, floc=0)
        return NCX2Fit(float(df), float(nc), float(scale))
    df0, nc0, scale0 = ncx2_moment_start(arr)
    df, nc, scale = _ncx2_mle_from(arr, (df0, nc0, scale0))
    candidates = [(_ncx2_loglik(arr, (df, nc, scale)), (df, nc, scale), "mle"),
                  (_ncx2_loglik(arr, (df0, nc0, scale0)), (df0, nc0, scale0), "moments")]
    # Guard against the degenerate fit. When the sample skewness is near zero (or negative) the
    # moment start sits at the Gaussian edge of the family (scale -> 0, nc -> inf) and
    # Nelder-Mead can stop at a point far below the maximum: we measured a fit (df 385, nc 391)
    # with a log-likelihood of -1131 against -70 at the true parameters, which extrapolated
    # 157 nats for a true 10. The central chi-square moment fit (nc ~ 0, s = m2 / (2 m1)) is a
    # second, well-conditioned start: when the first fit does not beat the likelihood there,
    # the likelihood is maximised again from it and the best point found is returned
    # (``method`` says which start won).
    central = ncx2_central_start(arr)
    ll_central = _ncx2_loglik(arr, central)
    if not candidates[0][0] > ll_central:
        df1, nc1, scale1 = _ncx2_mle_from(arr, central)
        candidates += [(_ncx2_loglik(arr, (df1, nc1, scale1)), (df1, nc1, scale1), "mle-central"),
                       (ll_central, central, "central")]
    best_ll, (df, nc, scale), method = max(candidates, key=lambda c: c[0])
    if not np.isfinite(best_ll):
        # scipy's ncx2 density underflows for df beyond ~1000 (losses with relative spread
        # below ~4%): the likelihood cannot be evaluated and Nelder-Mead returns garbage
        # (we saw df ~ 1e6 with a mean 1e8 times too small). The moment fit is then used: at
        # such df the ncx2 is within O(df^-1/2) of its moment-matched normal shape.
        return NCX2Fit(float(df0), float(nc0), float(scale0), "moments")
    return NCX2Fit(float(df), float(nc), float(scale), method)


_LOGXMAX = math.log(np.finfo(float).max)


def _ncx2_penalized_nll(theta: np.ndarray, x: np.ndarray) -> float:
    """The penalised negative log-likelihood scipy uses for ``ncx2(df, nc, loc=0, scale)``, inlined.

    The same function ``scipy.stats.ncx2.fit(x, df0, nc0, floc=0, scale=s0)`` hands to
    Nelder-Mead (``rv_continuous._penalized_nnlf`` with ``ncx2._logpdf``): ``inf`` outside the
    parameter space, ``-sum(log pdf)`` over the finite terms plus a penalty of ``100 log(xmax)``
    per non-finite one, plus ``S log(scale)``. Written without scipy's generic broadcasting
    layers it is ~2x faster, which the ledger's repeated fits need; ``tests/inductive_bias``
    checks that it returns the same fit as scipy.
    """
    df, nc, scale = float(theta[0]), float(theta[1]), float(theta[2])
    if not (df > 0 and nc >= 0 and scale > 0 and math.isfinite(df) and math.isfinite(nc)):
        return math.inf
    y = x / scale
    with np.errstate(all="ignore"):
        if nc == 0:
            logpdf = stats.chi2._logpdf(y, df)
        else:
            df2 = df / 2.0 - 1.0
            ys, ns = np.sqrt(y), math.sqrt(nc)
            res = special.xlogy(df2 / 2.0, y / nc) - 0.5 * (ys - ns) ** 2
            corr = special.ive(df2, ys * ns) / 2.0
            logpdf = np.where(corr > 0, res + np.log(np.where(corr > 0, corr, 1.0)), -np.inf)
    finite = np.isfinite(logpdf)
    n_bad = int(logpdf.size - np.count_nonzero(finite))
    return float(-np.sum(logpdf[finite]) + n_bad * _LOGXMAX * 100 + x.size * math.log(scale))


def _ncx2_mle_from(arr: np.ndarray, start: tuple[float, float, float]) -> tuple[float, float, float]:
    """Nelder-Mead on :func:`_ncx2_penalized_nll` from ``start``, as ``ncx2.fit(floc=0)`` runs it."""
    df, nc, scale = optimize.fmin(_ncx2_penalized_nll, np.asarray(start, dtype=float), args=(arr,),
                                  disp=0)
    return float(df), float(nc), float(scale)


def _ncx2_loglik(arr: np.ndarray, params: tuple[float, float, float]) -> float:
    """Log-likelihood of ``s chi'^2_k(lambda)`` (location 0), ``-inf`` where it cannot be evaluated."""
    with np.errstate(all="ignore"):
        value = float(np.sum(stats.ncx2.logpdf(arr, params[0], params[1], 0.0, params[2])))
    return value if np.isfinite(value) else -math.inf


def ncx2_central_start(losses: np.ndarray) -> tuple[float, float, float]:
    r"""Central chi-square moment fit ``(df, nc, scale)``: :math:`s = m_2/(2m_1)`, :math:`k = m_1/s`.

    Matches the mean and variance with :math:`\lambda \approx 0` (a non-centrality of
    :math:`10^{-3} k` keeps Nelder-Mead's initial simplex non-degenerate; df absorbs it so the
    fitted mean stays the sample mean). Used as the second start of :func:`fit_scaled_ncx2`.
    """
    m1 = float(np.mean(losses))
    scale = float(np.mean((losses - m1) ** 2)) / (2.0 * m1)
    total = m1 / scale
    return total * (1.0 - 1e-3), total * 1e-3, scale


def sankaran_log_cdf(x: float, df: float, nc: float, *, tail: str = "published") -> float:
    r"""Sankaran's normal approximation of :math:`\log P(\chi'^2_k(\lambda) \le x)`.

    .. math::

        h = 1 - \tfrac23 \frac{(k+\lambda)(k+3\lambda)}{(k+2\lambda)^2},\quad
        p = \frac{k+2\lambda}{(k+\lambda)^2},\quad m = (h-1)(1-3h),

        z = \frac{(x/(k+\lambda))^h - \big[1 + h p (h - 1 - \tfrac12 (2-h) m p)\big]}
                 {h\sqrt{2p}\,(1 + \tfrac12 m p)}.

    ``tail="published"`` returns :math:`-z^2/2` (the published code's ``inductive_bias_alt``,
    which drops the normal tail's prefactor); ``tail="log_ndtr"`` returns
    :math:`\log\Phi(z)`, which keeps it (sharper by :math:`\log(|z|\sqrt{2\pi})` nats deep in
    the tail). Only valid for x below the mean (z < 0).

    References
    ----------
    Sankaran, M. (1963). Approximations to the non-central chi-square distribution. Biometrika 50,
    199-204; Boopathy et al. (2024), utils.py ``inductive_bias_alt``.

    Examples
    --------
    Against scipy's exact value :math:`\log P(\chi'^2_{10}(3) \le 2) = -6.871`:

    >>> from analysis.inductive_bias import sankaran_log_cdf
    >>> round(sankaran_log_cdf(2.0, 10, 3), 3), round(sankaran_log_cdf(2.0, 10, 3, tail="log_ndtr"), 3)
    (-4.473, -6.578)
    """
    check_choice(tail, "tail", ("published", "log_ndtr"))
    x = check_real(x, "x", minimum=0.0)
    k = check_real(df, "df", minimum=0.0, strict_min=True)
    lam = check_real(nc, "nc", minimum=0.0)
    h = 1.0 - (2.0 / 3.0) * (k + lam) * (k + 3 * lam) / (k + 2 * lam) ** 2
    p = (k + 2 * lam) / (k + lam) ** 2
    m = (h - 1.0) * (1.0 - 3.0 * h)
    z = ((x / (k + lam)) ** h - (1 + h * p * (h - 1 - 0.5 * (2 - h) * m * p))) / (
        h * math.sqrt(2 * p) * (1 + 0.5 * m * p)
    )
    if tail == "published":
        return -0.5 * z * z
    from scipy.special import log_ndtr

    return float(log_ndtr(z))


def ncx2_inductive_bias(losses: object, eps: float, *, start: str = "moments",
                        fallback: str = "published") -> float:
    r"""The published estimator of the inductive bias :math:`I(\varepsilon)` (nats).

    Fit a scaled non-central chi-square (location 0) to the sampled test losses by maximum
    likelihood and extrapolate its lower tail:

    .. math::

        \hat I(\varepsilon) = -\log F_{\chi'^2}(\varepsilon / \hat s;\ \hat k, \hat\lambda),

    with Sankaran's normal approximation (:func:`sankaran_log_cdf`) when the log-CDF underflows.

    Parameters
    ----------
    losses : array_like, shape (S,)
        Test losses of S >= 10 sampled hypotheses (finite, positive).
    eps : float
        Target test loss, > 0.
    start : {"moments", "scipy"}
        Starting point of the likelihood maximisation (see :func:`fit_scaled_ncx2`).
    fallback : {"published", "log_ndtr"}
        Tail form of the normal fallback (see :func:`sankaran_log_cdf`).

    Returns
    -------
    float
        Estimated inductive bias in nats (divide by ``ln 2`` for bits).

    Notes
    -----
    Where scipy's ncx2 density cannot be evaluated (df above ~1000, i.e. losses with a relative
    spread below ~4%), the method-of-moments fit replaces the MLE (``NCX2Fit.method``).
    The chi-square family is exact only when the test-prediction covariance is isotropic; for
    real hypothesis spaces the extrapolation is misspecified and carries a tail bias that does not
    vanish as S grows (measured in ``analysis.inductive_bias.figures`` and the claims ledger).

    References
    ----------
    Boopathy, Yue, Hwang, Iyer & Fiete (2024). Towards Exact Computation of Inductive Bias.
    IJCAI 2024, arXiv:2406.15941, Sec. 4 and utils.py.

    Examples
    --------
    On losses that *are* scaled non-central chi-square the estimate is near the exact value:

    >>> from analysis.inductive_bias import GChiSq, gchisq_log_cdf, ncx2_inductive_bias
    >>> law = GChiSq.make([0.1], [5.0], [2.0])
    >>> losses = law.sample(300, np.random.default_rng(0))
    >>> round(ncx2_inductive_bias(losses, 0.1), 1), round(-gchisq_log_cdf(0.1, law), 1)
    (3.9, 4.1)
    """
    eps = check_positive(eps, "eps")
    check_choice(fallback, "fallback", ("published", "log_ndtr"))
    fit = fit_scaled_ncx2(losses, start=start)
    return -fit.log_cdf(eps, fallback=fallback)


def empirical_inductive_bias(losses: object, eps: float) -> float:
    r"""Monte-Carlo estimate :math:`-\log(\#\{e_i \le \varepsilon\}/S)` (inf if none).

    Examples
    --------
    >>> from analysis.inductive_bias import empirical_inductive_bias
    >>> losses = np.linspace(0.1, 1.0, 10)
    >>> round(empirical_inductive_bias(losses, 0.35), 3)  # 3 of 10 hits: -log(0.3)
    1.204
    >>> empirical_inductive_bias(losses, 0.05)
    inf
    """
    arr = _check_losses(losses)
    eps = check_positive(eps, "eps")
    hits = int(np.count_nonzero(arr <= eps))
    return math.inf if hits == 0 else -math.log(hits / arr.size)


def gaussian_loss_law(mean: object, cov: object, target: object, *,
                      psd_tol: float | None = None) -> GChiSq:
    r"""The law of the test MSE of :math:`f \sim N(\mu, \Sigma)`, as a generalised chi-square.

    With :math:`\Sigma = U \operatorname{diag}(\sigma_j) U^\top` and ``N`` = number of entries,
    the residual :math:`r = U^\top(\mu - y)` gives

    .. math::

        \frac{1}{N}\lVert f - y\rVert^2 = \sum_{\sigma_j > 0} \frac{\sigma_j}{N}
        \chi'^2_{k}\Big(\frac{\lVert r_j\rVert^2}{\sigma_j}\Big)
        + \frac1N \sum_{\sigma_j = 0} \lVert r_j \rVert^2,

    where ``mean`` / ``target`` may have ``k`` columns (independent outputs sharing ``cov``, as
    for a multi-output GP): each eigenvalue then carries ``k`` degrees of freedom.

    Parameters
    ----------
    mean, target : array_like, shape (m,) or (m, k)
    cov : array_like, shape (m, m)
        Symmetric positive semi-definite covariance of each output column.
    psd_tol : float, optional
        Eigenvalues within ``psd_tol`` of zero are treated as exact zeros (deterministic
        directions); a more negative eigenvalue is an error. Default
        ``1e-9 * max(1, max eigenvalue)``, which absorbs Cholesky jitter of 1e-10 and round-off.

    Returns
    -------
    GChiSq

    Examples
    --------
    Two random directions (variances 1 and 2) and a deterministic one missing the target by 1:

    >>> from analysis.inductive_bias import gaussian_loss_law
    >>> law = gaussian_loss_law(np.zeros(3), np.diag([1.0, 2.0, 0.0]), [0.0, 0.0, 1.0])
    >>> np.round(law.weights, 3), round(law.offset, 3), round(law.mean, 3)  # mean (1 + 2 + 1)/3
    (array([0.333, 0.667]), 0.333, 1.333)
    """
    mu = as_array(mean, "mean", ndim=(1, 2), min_size=1)
    y = as_array(target, "target", shape=mu.shape)
    m = mu.shape[0]
    sigma = as_array(cov, "cov", shape=(m, m))
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(sigma).max())):
        raise ValueError("cov: expected a symmetric matrix, got max |cov - cov^T| = "
                         f"{np.abs(sigma - sigma.T).max():.3g}")
    evals, evecs = np.linalg.eigh(0.5 * (sigma + sigma.T))
    tol = 1e-9 * max(1.0, float(evals.max())) if psd_tol is None else check_real(
        psd_tol, "psd_tol", minimum=0.0)
    if evals.min() < -tol:
        raise ValueError(f"cov: expected a positive semi-definite matrix (up to {tol:.2g}), "
                         f"got eigenvalue {evals.min():.3g}")
    resid = evecs.T @ (mu - y)
    resid2 = resid**2 if resid.ndim == 1 else np.sum(resid**2, axis=1)
    k = 1 if mu.ndim == 1 else mu.shape[1]
    n_entries = mu.size
    positive = evals > tol  # none positive: every hypothesis makes the same predictions
    weights = evals[positive] / n_entries
    offset = float(np.sum(resid2[~positive]) / n_entries)
    noncentrality = resid2[positive] / evals[positive]
    return GChiSq.make(weights, np.full(weights.size, float(k)), noncentrality, offset)


def gaussian_inductive_bias(mean: object, cov: object, target: object, eps: float, *,
                            psd_tol: float | None = None) -> float:
    r"""Exact inductive bias :math:`-\log P(\tfrac1N\lVert f - y\rVert^2 \le \varepsilon)`.

    For :math:`f \sim N(\mu, \Sigma)` the test MSE is a generalised chi-square
    (:func:`gaussian_loss_law`); its lower-tail probability is computed by the inversion
    integral on the saddle-point contour (:func:`analysis.inductive_bias.gchisq.gchisq_log_cdf`),
    which keeps relative accuracy deep in the tail (probabilities of 1e-300 and below).

    Parameters
    ----------
    mean, target : array_like, shape (m,) or (m, k)
        Mean test predictions and test targets (one-hot targets for k classes).
    cov : array_like, shape (m, m)
        Covariance of the test predictions (shared by the k output columns).
    eps : float
        Target test MSE (mean over all m k entries), > 0.
    psd_tol : float, optional
        See :func:`gaussian_loss_law`.

    Returns
    -------
    float
        :math:`I(\varepsilon)` in nats (``inf`` when eps lies below the deterministic part of the
        loss, which no hypothesis can beat).

    References
    ----------
    Boopathy et al. (2024), Eq. 1 (definition), Sec. 4 (why the loss is chi-square-like);
    Imhof (1961) for the inversion integral.

    Examples
    --------
    With :math:`f \sim N(0, I_4)` and target 0 the MSE is :math:`\chi^2_4/4`, so
    :math:`I(\varepsilon) = -\log[1 - e^{-2\varepsilon}(1 + 2\varepsilon)]`:

    >>> from analysis.inductive_bias import gaussian_inductive_bias
    >>> I = gaussian_inductive_bias(np.zeros(4), np.eye(4), np.zeros(4), eps=0.01)
    >>> round(I, 3), bool(np.isclose(I, -np.log(1 - np.exp(-0.02) * 1.02)))
    (8.531, True)
    """
    eps = check_positive(eps, "eps")
    law = gaussian_loss_law(mean, cov, target, psd_tol=psd_tol)
    return 0.0 - gchisq_log_cdf(eps, law)  # 0.0 - x: never a negative zero

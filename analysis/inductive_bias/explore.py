r"""Interactive explorer of the inductive bias: the exact value vs the published estimator.

On the RBF-GP posterior space of a synthetic regression task, move the target loss
:math:`\varepsilon` and the number S of sampled hypotheses; the explorer shows the exact
:math:`I(\varepsilon)` (:func:`gaussian_inductive_bias`), the published scaled-ncx2 estimate
(:func:`ncx2_inductive_bias`) and the plain Monte-Carlo count (:func:`empirical_inductive_bias`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from analysis._core.explorer import make_explorer, new_figure, require_ipywidgets, slider_kwargs
from analysis._core.validate import check_int, check_real
from analysis.inductive_bias.data import synthetic_task
from analysis.inductive_bias.estimators import (
    empirical_inductive_bias,
    fit_scaled_ncx2,
    gaussian_inductive_bias,
    gaussian_loss_law,
    ncx2_inductive_bias,
)
from analysis.inductive_bias.samplers import gp_posterior, sample_gaussian_losses

#: Choices of the number of sampled hypotheses S.
SAMPLE_SIZES = (30, 100, 300, 1000, 3000, 10_000)
#: The eps slider spans offset + [EPS_LOW, 1] x (mean loss - offset), log-spaced.
EPS_LOW = 0.01
N_GRID = 30


def explore(dim: int = 8, n_train: int = 40, n_test: int = 25, n_samples: int = 300,
            eps_fraction: float = 0.2, seed: int = 0):
    r"""Explorer: target loss :math:`\varepsilon` and sample size S -> exact vs estimated bias.

    The inductive bias of Boopathy et al. (2024) is

    .. math::

        I(\varepsilon) = -\log P_{h \sim p_h}\big[e(h) \le \varepsilon\big],

    here for the hypotheses of the noise-free RBF-GP posterior (:func:`gp_posterior`) of
    :func:`synthetic_task` ``(dim, n_train, n_test)``, whose test MSE is a generalised chi-square
    (:func:`gaussian_loss_law`): the exact value comes from :func:`gaussian_inductive_bias`; the
    published estimate fits a scaled non-central chi-square to S sampled losses
    (:func:`sample_gaussian_losses`, :func:`ncx2_inductive_bias`) and extrapolates its tail. The
    gap between the two curves at small :math:`\varepsilon` is the estimator's tail bias.

    Parameters
    ----------
    dim, n_train, n_test : int
        Input dimension (1..32), training points (2..200) and test points (1..100).
    n_samples : int
        Initial S, one of 30, 100, 300, 1000, 3000, 10000.
    eps_fraction : float
        Initial :math:`\varepsilon` as a fraction of the way from the loss law's offset (its
        smallest possible value) to its mean, in [0.01, 1].
    seed : int
        Seed of the task (the losses use ``seed + 1``).

    Returns
    -------
    analysis._core.explorer.Explorer
        Controls ``eps`` and ``n_samples``; ``result`` is a dict with ``eps``, ``exact``,
        ``estimate``, ``empirical`` (nats), ``fit`` (the
        :class:`~analysis.inductive_bias.estimators.NCX2Fit`), ``losses``, and the curves
        ``eps_grid``, ``exact_curve``, ``estimate_curve``.

    Raises
    ------
    ValueError
        On an argument outside the ranges above (named in the message).
    ImportError
        If ipywidgets is not installed.

    References
    ----------
    .. [1] A. Boopathy, W. Yue, J. Hwang, A. Iyer, I. Fiete, "Towards Exact Computation of
       Inductive Bias", IJCAI 2024, Eq. 1 and Sec. 4.

    Examples
    --------
    >>> from analysis.inductive_bias import explore
    >>> ex = explore(eps_fraction=0.5)
    >>> r = ex.result
    >>> bool(abs(r["estimate"] - r["exact"]) < 1.0)  # in the bulk the fit is close
    True
    >>> slider = ex.controls["eps"]
    >>> slider.value = slider.base ** slider.min  # the smallest eps: deep in the tail
    >>> bool(ex.result["exact"] > r["exact"])  # a smaller target loss needs more bias
    True
    """
    dim = check_int(dim, "dim", minimum=1, maximum=32)
    n_train = check_int(n_train, "n_train", minimum=2, maximum=200)
    n_test = check_int(n_test, "n_test", minimum=1, maximum=100)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    if n_samples not in SAMPLE_SIZES:
        raise ValueError(f"n_samples: expected one of {SAMPLE_SIZES}, got {n_samples}")
    frac = check_real(eps_fraction, "eps_fraction", minimum=EPS_LOW, maximum=1.0)
    seed = check_int(seed, "seed", minimum=0)
    task = synthetic_task(dim, n_train, n_test, rng=seed)
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
    eps_lo = law.offset + EPS_LOW * (law.mean - law.offset)
    eps_hi = law.mean
    eps0 = law.offset + frac * (law.mean - law.offset)
    grid = np.geomspace(eps_lo, eps_hi, N_GRID)
    exact_curve = np.array([gaussian_inductive_bias(post.mean, post.cov, task.Y_test, e)
                            for e in grid])
    widgets = require_ipywidgets()

    @functools.lru_cache(maxsize=len(SAMPLE_SIZES))
    def sampled(S):
        losses = sample_gaussian_losses(post.mean, post.cov, task.Y_test, S, rng=seed + 1)
        return losses, fit_scaled_ncx2(losses)

    def compute(eps, n_samples):
        losses, fit = sampled(n_samples)
        return {"eps": eps, "exact": gaussian_inductive_bias(post.mean, post.cov, task.Y_test, eps),
                "estimate": ncx2_inductive_bias(losses, eps),
                "empirical": empirical_inductive_bias(losses, eps), "fit": fit, "losses": losses,
                "eps_grid": grid, "exact_curve": exact_curve,
                "estimate_curve": np.array([-fit.log_cdf(e) for e in grid])}

    def draw(result, params):
        fig, (ax_i, ax_h) = new_figure(10.0, 3.6, ncols=2)
        ax_i.plot(grid, result["exact_curve"], color="#0072B2", label="exact I(eps)")
        ax_i.plot(grid, result["estimate_curve"], "--", color="#D55E00",
                  label=f"ncx2 estimate from S = {params['n_samples']}")
        ax_i.axvline(params["eps"], color="0.4", ls=":", lw=1)
        ax_i.plot([params["eps"]] * 2, [result["exact"], result["estimate"]], "o", color="k", ms=4)
        ax_i.set_xscale("log")
        ax_i.set_xlabel("target test loss eps")
        ax_i.set_ylabel("inductive bias (nats)")
        ax_i.legend(fontsize=8, loc="upper right")
        ax_i.set_title("exact vs the published estimator", fontsize=9)
        losses = result["losses"]
        bins = np.geomspace(min(losses.min(), eps_lo), losses.max(), 40)
        ax_h.hist(losses, bins=bins, color="#009E73", alpha=0.8)
        ax_h.axvline(params["eps"], color="0.4", ls=":", lw=1, label="eps")
        ax_h.set_xscale("log")
        ax_h.set_xlabel("test loss of a sampled hypothesis")
        ax_h.set_ylabel("count")
        ax_h.set_title(f"the {losses.size} sampled losses the estimate sees", fontsize=9)
        ax_h.legend(fontsize=8)
        return fig

    def summarize(result, params):
        return (f"eps = {result['eps']:.4g}: exact I = {result['exact']:.3f} nats, ncx2 "
                f"estimate {result['estimate']:.3f} "
                f"(error {result['estimate'] - result['exact']:+.3f}), "
                f"Monte-Carlo count {result['empirical']:.3f}")

    common = slider_kwargs()
    controls = {
        "eps": widgets.FloatLogSlider(value=eps0, base=10, min=math.log10(eps_lo),
                                      max=math.log10(eps_hi), step=0.01, description="target loss eps",
                                      readout_format=".3g", **common),
        "n_samples": widgets.SelectionSlider(options=list(SAMPLE_SIZES), value=n_samples,
                                             description="sampled hypotheses S", **common),
    }
    return make_explorer(
        "Inductive bias: exact value vs the published ncx2 estimator", controls, compute, draw,
        summarize,
        note=f"RBF-GP posterior space of {task.name}, {n_train} training and {n_test} test "
             "points; gaussian_inductive_bias, ncx2_inductive_bias, empirical_inductive_bias",
        inputs={"task": task, "mean": post.mean, "cov": post.cov, "target": task.Y_test,
                "loss_seed": seed + 1})

r"""Interactive explorer of InfoNCE on a finite population: temperature and negatives -> bound vs loss.

Move the temperature t and the number of negatives M; the explorer recomputes the
:math:`M \to \infty` limit of InfoNCE - log M (:func:`infonce_limit`, Wang & Isola 2020,
Thm. 1), a Monte-Carlo estimate of the loss at M (:func:`infonce_minus_log_m`), the crude
two-sided O(1/M) bound (:func:`infonce_gap_bounds`) and the exact bracket
(:func:`infonce_gap_expansion`) of the gap to the limit.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._core.explorer import make_explorer, new_figure, require_ipywidgets, slider_kwargs
from analysis._core.rng import make_rng
from analysis._core.validate import check_int, check_real
from analysis.contrastive.data import make_latent_class_model
from analysis.contrastive.hypersphere import (
    infonce_gap_bounds,
    infonce_gap_expansion,
    infonce_limit,
    infonce_minus_log_m,
)
from analysis.contrastive.losses import linear_encoder

#: Choices of M (powers of two).
NEGATIVES = tuple(2**j for j in range(0, 13))
TEMPERATURE_RANGE = (0.1, 2.0)


def explore(temperature: float = 0.5, n_negatives: int = 64, n_pairs: int = 400,
            n_classes: int = 6, dim: int = 6, out_dim: int = 5, n_samples: int = 2000,
            seed: int = 0):
    r"""Explorer: temperature t and negatives M -> InfoNCE - log M, its limit, bound and bracket.

    On a population of ``n_pairs`` positive pairs :math:`(z_i, z_i^+)` (two draws of the same
    latent class of :func:`make_latent_class_model`, through one random linear encoder
    :func:`linear_encoder`, normalised to the sphere), negatives drawn uniformly from the
    anchors,

    .. math::

        -\frac{e^{2/t}\,\bar V}{2M} \le \mathbb E\,\mathcal L_M - \log M - \mathcal L_\infty
        \le \frac{e^{2/t}}{M}

    (:func:`infonce_gap_bounds`), and the exact bracket of the same gap from the population's
    cumulants (:func:`infonce_gap_expansion`), against a Monte-Carlo estimate of
    :math:`\mathbb E\,\mathcal L_M - \log M` at the chosen M (:func:`infonce_minus_log_m` with
    the per-anchor limit as control variate).

    Parameters
    ----------
    temperature : float
        Initial t, in [0.1, 2].
    n_negatives : int
        Initial M, a power of two from 1 to 4096.
    n_pairs : int
        Population size N, 10..2000.
    n_classes, dim, out_dim : int
        Latent classes (2..50), input dimension (1..64) and feature dimension (2..64).
    n_samples : int
        Monte-Carlo samples per estimate, 100..20000.
    seed : int
        Seed of the population (the Monte Carlo uses ``seed + 1``).

    Returns
    -------
    analysis._core.explorer.Explorer
        Controls ``temperature`` and ``n_negatives``; ``result`` is a dict with ``limit``
        (the :func:`infonce_limit` dict), ``estimate`` (the Monte-Carlo
        :class:`~analysis.contrastive.losses.MonteCarloEstimate` of
        :math:`\mathbb E\,\mathcal L_M - \log M`), ``gap`` (estimate minus limit), and over the
        grid ``M`` of powers of two: ``bound_lower``, ``bound_upper``, ``bracket_lower``,
        ``bracket_upper``, with the 1/M constant ``constant``.

    Raises
    ------
    ValueError
        On an argument outside the ranges above (named in the message).
    ImportError
        If ipywidgets is not installed.

    References
    ----------
    .. [1] T. Wang, P. Isola, "Understanding Contrastive Representation Learning through
       Alignment and Uniformity on the Hypersphere", ICML 2020, Eq. 1 and Thm. 1.

    Examples
    --------
    >>> from analysis.contrastive import explore
    >>> ex = explore(temperature=0.5, n_negatives=64)
    >>> r = ex.result
    >>> i = list(r["M"]).index(64)
    >>> bool(r["bracket_lower"][i] <= r["bracket_upper"][i] <= r["bound_upper"][i])
    True
    >>> ex.controls["n_negatives"].value = 1024
    >>> bool(ex.result["bound_upper"][-3] < r["bound_upper"][i])  # the O(1/M) bound shrinks
    True
    """
    t0 = check_real(temperature, "temperature", minimum=TEMPERATURE_RANGE[0],
                    maximum=TEMPERATURE_RANGE[1])
    M0 = check_int(n_negatives, "n_negatives", minimum=1)
    if M0 not in NEGATIVES:
        raise ValueError(f"n_negatives: expected a power of two from 1 to {NEGATIVES[-1]}, got {M0}")
    N = check_int(n_pairs, "n_pairs", minimum=10, maximum=2000)
    C = check_int(n_classes, "n_classes", minimum=2, maximum=50)
    dim = check_int(dim, "dim", minimum=1, maximum=64)
    out_dim = check_int(out_dim, "out_dim", minimum=2, maximum=64)
    n_samples = check_int(n_samples, "n_samples", minimum=100, maximum=20_000)
    seed = check_int(seed, "seed", minimum=0)
    rng = make_rng(seed)
    model = make_latent_class_model(C, dim, sigma=0.3, rng=rng, separation=1.5)
    encoder = linear_encoder(rng.standard_normal((out_dim, dim)))
    classes = model.sample_classes((N,), rng)
    z1, z2 = encoder(model.sample_inputs(classes, rng)), encoder(model.sample_inputs(classes, rng))
    Ms = np.asarray(NEGATIVES)
    widgets = require_ipywidgets()

    def compute(temperature, n_negatives):
        lim = infonce_limit(z1, z2, temperature=temperature, normalize=True)
        lo, hi = infonce_gap_bounds(Ms, temperature, lim["mean_conditional_variance"])
        bracket = infonce_gap_expansion(z1, z2, Ms, temperature=temperature, normalize=True)
        est = infonce_minus_log_m(z1, z2, n_negatives, n_samples, temperature=temperature,
                                  rng=seed + 1, normalize=True, control_variate=lim["per_anchor"])
        return {"limit": lim, "estimate": est, "gap": est.mean - lim["limit"], "M": Ms,
                "bound_lower": lo, "bound_upper": hi, "bracket_lower": bracket["lower"],
                "bracket_upper": bracket["upper"], "constant": bracket["constant"]}

    def draw(result, params):
        fig, ax = new_figure(7.5, 3.8)
        ax.plot(Ms, result["bound_upper"], ":", color="#56B4E9", label="crude bound e^(2/t) / M")
        ax.fill_between(Ms, np.maximum(result["bracket_lower"], 1e-12),
                        np.maximum(result["bracket_upper"], 1e-12), color="#009E73", alpha=0.5,
                        lw=0)
        ax.plot(Ms, result["bracket_upper"], color="#009E73", lw=1.2,
                label="exact bracket (cumulant expansion)")
        est = result["estimate"]
        ax.errorbar([params["n_negatives"]], [result["gap"]], yerr=[2 * est.stderr], fmt="o",
                    color="#D55E00", capsize=3, label="Monte Carlo at M (2 SE)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of negatives M")
        ax.set_ylabel("E L_M - log M - L_inf")
        ax.set_title(f"t = {params['temperature']:.3g}: gap to the limit "
                     f"L_inf = {result['limit']['limit']:.4f}", fontsize=9)
        ax.legend(fontsize=7.5, loc="upper right")
        return fig

    def summarize(result, params):
        i = int(np.flatnonzero(Ms == params["n_negatives"])[0])
        est = result["estimate"]
        return (f"M = {params['n_negatives']}: E L_M - log M = {est.mean:.5f} +- {est.stderr:.1e} "
                f"(Monte Carlo); limit {result['limit']['limit']:.5f}; gap bracket "
                f"[{result['bracket_lower'][i]:.2e}, {result['bracket_upper'][i]:.2e}], crude "
                f"bound {result['bound_upper'][i]:.2e}")

    common = slider_kwargs()
    controls = {
        "temperature": widgets.FloatLogSlider(value=t0, base=10,
                                              min=math.log10(TEMPERATURE_RANGE[0]),
                                              max=math.log10(TEMPERATURE_RANGE[1]), step=0.01,
                                              description="temperature t", readout_format=".3g",
                                              **common),
        "n_negatives": widgets.SelectionSlider(options=list(NEGATIVES), value=M0,
                                               description="negatives M", **common),
    }
    return make_explorer(
        "Contrastive learning: InfoNCE - log M and its limit", controls, compute, draw, summarize,
        note=f"{N} positive pairs, {C} latent classes, random linear encoder {dim} -> {out_dim}, "
             f"{n_samples} Monte-Carlo samples; infonce_limit, infonce_gap_bounds, "
             "infonce_gap_expansion, infonce_minus_log_m",
        inputs={"anchor": z1, "positive": z2, "n_samples": n_samples, "mc_seed": seed + 1})

r"""Interactive explorer of the SCL unconstrained-features model under class imbalance.

Moves the imbalance ratio R, the temperature :math:`\tau` and the ReLU (non-negativity) switch
and re-solves the convex SCL program (class-block reduction) with :func:`solve_scl_ufm`.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._core.explorer import make_explorer, new_figure, require_ipywidgets, slider_kwargs
from analysis._core.validate import check_int, check_real
from analysis.neural_collapse.data import step_imbalanced_counts
from analysis.neural_collapse.metrics import etf_gram_distance
from analysis.neural_collapse.scl import solve_scl_ufm

#: Temperature range of the slider.
TEMPERATURE_RANGE = (0.05, 1.0)


def explore(n_classes: int = 4, n_majority: int = 20, ratio: float = 5.0, temperature: float = 0.1,
            relu: bool = True, minority_fraction: float = 0.5):
    r"""Explorer: imbalance ratio, temperature and ReLU -> class-mean Gram, OF and ETF distances.

    For the step-imbalanced counts :func:`step_imbalanced_counts` ``(n_classes, n_majority, R)``
    it solves the full-batch SCL UFM

    .. math::

        \min_G\ \mathcal L_{\rm SCL}(G)\quad\text{s.t.}\quad G \succeq 0,\ \operatorname{diag} G
        = 1\ (,\ G \ge 0 \text{ with ReLU})

    by :func:`solve_scl_ufm` (``reduction="class_block"``) and shows the Gram of the uncentred
    class means with its orthogonal-frame distance (:func:`of_distance`, 0 at an OF) and its
    simplex-ETF distance (:func:`~analysis.neural_collapse.metrics.etf_gram_distance`, 0 when the
    class means form a simplex ETF). With ReLU the minimiser is an OF for every R (Kini et al.,
    2024, Thm. 1); without it, it is an ETF at R = 1 and drifts as R grows.

    Parameters
    ----------
    n_classes : int
        C, 2..12.
    n_majority : int
        Samples per majority class, 4..200 (minority classes get ``round(n_majority / R)``,
        at least 2: the ratio slider stops at ``n_majority / 2``).
    ratio : float
        Initial imbalance ratio R in ``[1, n_majority / 2]``.
    temperature : float
        Initial :math:`\tau` in [0.05, 1].
    relu : bool
        Initial state of the non-negativity switch.
    minority_fraction : float
        Fraction of minority classes, in (0, 1).

    Returns
    -------
    analysis._core.explorer.Explorer
        Controls ``ratio``, ``temperature``, ``relu``; ``result`` is a dict with ``counts``,
        ``scl`` (the :class:`~analysis.neural_collapse.scl.SCLResult`), ``of_distance`` and
        ``etf_distance``.

    Raises
    ------
    ValueError
        On an argument outside the ranges above (named in the message).
    ImportError
        If ipywidgets is not installed.

    References
    ----------
    .. [1] Kini, Vakilian, Behnia, Gill & Thrampoulidis (2024), "Symmetric Neural-Collapse
       Representations with Supervised Contrastive Loss: The Impact of ReLU and Batching",
       ICLR 2024, Sec. 3 and Thm. 1.

    Examples
    --------
    >>> from analysis.neural_collapse import explore
    >>> ex = explore(ratio=5.0, relu=True)
    >>> bool(ex.result["of_distance"] < 1e-3)
    True
    >>> ex.controls["relu"].value = False
    >>> bool(ex.result["of_distance"] > 0.1)
    True
    """
    C = check_int(n_classes, "n_classes", minimum=2, maximum=12)
    n_major = check_int(n_majority, "n_majority", minimum=4, maximum=200)
    r_max = n_major / 2.0
    R = check_real(ratio, "ratio", minimum=1.0, maximum=r_max)
    tau = check_real(temperature, "temperature", minimum=TEMPERATURE_RANGE[0],
                     maximum=TEMPERATURE_RANGE[1])
    if not isinstance(relu, (bool, np.bool_)):
        raise ValueError(f"relu: expected a bool, got {type(relu).__name__}")
    rho = check_real(minority_fraction, "minority_fraction", minimum=0.0, maximum=1.0,
                     strict_min=True, strict_max=True)
    step_imbalanced_counts(C, n_major, R, rho)  # the library's own checks, before any widget
    widgets = require_ipywidgets()

    def compute(ratio, temperature, relu):
        counts = step_imbalanced_counts(C, n_major, ratio, rho)
        res = solve_scl_ufm(counts, temperature=temperature, nonnegative=bool(relu),
                            reduction="class_block")
        return {"counts": counts, "scl": res, "of_distance": res.of_distance,
                "etf_distance": etf_gram_distance(res.class_gram)}

    def draw(result, params):
        fig, (ax_gram, ax_counts) = new_figure(8.0, 3.4, ncols=2, width_ratios=[1.3, 1.0])
        G = result["scl"].class_gram
        im = ax_gram.imshow(G, cmap="RdBu_r", vmin=-1.0, vmax=1.0)
        ax_gram.set_title("Gram of the class means (uncentred)", fontsize=9)
        ax_gram.set_xlabel("class")
        ax_gram.set_ylabel("class")
        ax_gram.set_xticks(range(C))
        ax_gram.set_yticks(range(C))
        ax_gram.grid(False)
        fig.colorbar(im, ax=ax_gram, shrink=0.85)
        counts = result["counts"]
        ax_counts.bar(range(C), counts, color=["#0072B2" if n == n_major else "#D55E00"
                                               for n in counts])
        ax_counts.set_xticks(range(C))
        ax_counts.set_xlabel("class")
        ax_counts.set_ylabel("samples")
        ax_counts.set_title(f"counts (R = {params['ratio']:.3g})", fontsize=9)
        fig.suptitle(f"SCL UFM, tau = {params['temperature']:.3g}, "
                     + ("ReLU (G >= 0)" if params["relu"] else "no ReLU"), fontsize=10)
        return fig

    def summarize(result, params):
        return (f"counts {result['counts'].tolist()}: OF distance {result['of_distance']:.2e}, "
                f"ETF distance {result['etf_distance']:.3f}, loss {result['scl'].objective:.4f}")

    common = slider_kwargs()
    controls = {
        "ratio": widgets.FloatLogSlider(value=R, base=10, min=0.0, max=math.log10(r_max),
                                        step=0.01, description="imbalance R", readout_format=".3g",
                                        **common),
        "temperature": widgets.FloatLogSlider(value=tau, base=10,
                                              min=math.log10(TEMPERATURE_RANGE[0]),
                                              max=math.log10(TEMPERATURE_RANGE[1]), step=0.01,
                                              description="temperature tau", readout_format=".3g",
                                              **common),
        "relu": widgets.Checkbox(value=bool(relu), description="ReLU (features >= 0)",
                                 indent=False),
    }
    return make_explorer(
        "Neural collapse: SCL geometry under imbalance", controls, compute, draw, summarize,
        note=f"C = {C} classes, majority n = {n_major}, minority fraction {rho:g}; convex "
             "route solve_scl_ufm(reduction='class_block')",
        inputs={"n_classes": C, "n_majority": n_major, "minority_fraction": rho})

r"""Interactive explorer of tubal-sensing GD: initialisation scale and width -> test error curve.

The setting is the quick scale of the figure ``ir_fig4_init_scale`` (Karnik et al., 2025, Fig. 4
scaled down: n = 6, k = 3, tubal rank 2, symmetrised Gaussian measurements, the same step);
the sliders move the initialisation scale :math:`\alpha` and the over-parametrisation R and
re-run :func:`run_tubal_gd` on the same instances.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._core.explorer import make_explorer, new_figure, require_ipywidgets, slider_kwargs
from analysis._core.validate import check_int, check_real

#: Slider range of the initialisation scale alpha.
ALPHA_RANGE = (1e-7, 1e-1)
MAX_WIDTH = 64
MAX_SEEDS = 10
MAX_ITER = 3000


def explore(alpha: float = 1e-3, width: int = 24, n_seeds: int = 3, n_iter: int = 700,
            seed: int = 0):
    r"""Explorer: initialisation scale :math:`\alpha` and width R -> the test-error curve of GD.

    GD on :math:`f(U) = \frac12\sum_j (\langle U * U^\top, A_j\rangle - y_j)^2` from
    :math:`U_0 = \alpha\,G/\sqrt R` (:func:`run_tubal_gd`) recovers the low-tubal-rank
    :math:`X^\star` with a final error that shrinks with :math:`\alpha` (Karnik et al., 2025,
    Thm. 3.1 and Fig. 4) and hardly depends on R once :math:`R \ge r_\star`. The curve shows the
    relative test error :math:`\|U_t * U_t^\top - X^\star\|_F / \|X^\star\|_F` and the train
    error, median and range over ``n_seeds`` instances of :func:`make_tubal_sensing_problem`.

    Parameters
    ----------
    alpha : float
        Initial :math:`\alpha`, in [1e-7, 0.1].
    width : int
        Initial R, 1..64.
    n_seeds : int
        Independent instances, 1..10 (the figure uses 10; 3 keeps an update near 0.3 s).
    n_iter : int
        GD steps, 1..3000 (the quick figure's 700 by default).
    seed : int
        Seed of the instances (the initial directions use ``seed + 1``, as the figure does).

    Returns
    -------
    analysis._core.explorer.Explorer
        Controls ``alpha`` and ``width``; ``result`` is the
        :class:`~analysis.implicit_reg.sensing.TubalGDTrajectory` (arrays of shape
        ``(1, 1, n_seeds, T)``).

    Raises
    ------
    ValueError
        On an argument outside the ranges above (named in the message).
    ImportError
        If ipywidgets is not installed.

    References
    ----------
    .. [1] S. Karnik, A. Veselovska, M. Iwen, F. Krahmer, "Implicit Regularization for Tubal
       Tensor Factorizations via Gradient Descent", ICML 2025, Sec. 5, Fig. 4.

    Examples
    --------
    >>> from analysis.implicit_reg import explore
    >>> ex = explore(alpha=1e-2, n_seeds=1)
    >>> big = float(ex.result.test_error[0, 0, 0, -1])
    >>> ex.controls["alpha"].value = 1e-5
    >>> bool(ex.result.test_error[0, 0, 0, -1] < big)  # smaller init, smaller final error
    True
    """
    from analysis.implicit_reg.sensing import (
        figure_settings,
        make_tubal_sensing_problem,
        run_tubal_gd,
        settings_step,
    )

    alpha = check_real(alpha, "alpha", minimum=ALPHA_RANGE[0], maximum=ALPHA_RANGE[1])
    width = check_int(width, "width", minimum=1, maximum=MAX_WIDTH)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1, maximum=MAX_SEEDS)
    n_iter = check_int(n_iter, "n_iter", minimum=1, maximum=MAX_ITER)
    seed = check_int(seed, "seed", minimum=0)
    s = figure_settings("fig4", "quick")
    problem = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=n_seeds,
                                         seed=seed, symmetric=s["symmetric"])
    step = settings_step(s, problem.m)
    record_every = max(1, n_iter // 200)
    widgets = require_ipywidgets()

    def compute(alpha, width):
        return run_tubal_gd(problem, width=width, alpha=alpha, step=step, n_iter=n_iter,
                            record_every=record_every, init_seed=seed + 1, track_power=False)

    def draw(result, params):
        fig, ax = new_figure(7.5, 3.6)
        it = result.iterations
        for name, Y, color in (("test error", result.test_error[0, 0], "#0072B2"),
                               ("train error", result.train_error[0, 0], "#D55E00")):
            ax.plot(it, np.median(Y, axis=0), color=color, label=f"{name} (median)")
            if Y.shape[0] > 1:
                ax.fill_between(it, Y.min(axis=0), Y.max(axis=0), color=color, alpha=0.2, lw=0)
        ax.set_yscale("log")
        ax.set_xlabel("GD iteration t")
        ax.set_ylabel("relative error")
        ax.legend(loc="lower left", fontsize=8)
        ax.set_title(f"alpha = {params['alpha']:.2g}, R = {params['width']}; band: range over "
                     f"{n_seeds} instance(s)", fontsize=9)
        return fig

    def summarize(result, params):
        final = result.test_error[0, 0, :, -1]
        return (f"final test error after {n_iter} steps: median {np.median(final):.3e} "
                f"(range {final.min():.2e}..{final.max():.2e}); train "
                f"{np.median(result.train_error[0, 0, :, -1]):.2e}")

    common = slider_kwargs()
    controls = {
        "alpha": widgets.FloatLogSlider(value=alpha, base=10, min=math.log10(ALPHA_RANGE[0]),
                                        max=math.log10(ALPHA_RANGE[1]), step=0.1,
                                        description="init scale alpha", readout_format=".1e",
                                        **common),
        "width": widgets.IntSlider(value=width, min=1, max=MAX_WIDTH, description="width R",
                                   **common),
    }
    return make_explorer(
        "Implicit regularisation: tubal sensing GD from a small initialisation", controls,
        compute, draw, summarize,
        note=f"n = {s['n']}, k = {s['k']}, r* = {s['rank']}, m = {problem.m} symmetrised Gaussian "
             f"measurements, step {step:.3g}, {n_iter} steps; run_tubal_gd",
        inputs={"problem": problem, "step": step, "n_iter": n_iter,
                "record_every": record_every, "init_seed": seed + 1})

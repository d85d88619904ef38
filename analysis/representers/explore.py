r"""Interactive explorer of l1 representer points: regularisation -> values and case deletion.

Move the l1 regularisation :math:`\lambda` and the test point; the explorer refits the model and
its representer decomposition (:func:`l1_representers`, Tsai et al., 2023) and measures how the
prediction moves when the strongest proponents are deleted and the model is retrained
(:func:`deletion_changes`), against deleting random points (:func:`random_values`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from analysis._core.explorer import make_explorer, new_figure, require_ipywidgets, slider_kwargs
from analysis._core.validate import check_choice, check_int, check_real
from analysis.representers.baselines import random_values
from analysis.representers.data import REAL_DATASETS, load_sklearn_binary, make_sparse_logistic
from analysis.representers.evaluation import DELETION_FRACTIONS, deletion_changes
from analysis.representers.l1 import l1_representers

DATASETS = ("synthetic",) + REAL_DATASETS
LAM_RANGE = (1e-3, 1.0)
MAX_TEST = 20


def explore(dataset: str = "synthetic", lam: float = 0.05, test_index: int = 0, n_test: int = 5,
            seed: int = 0):
    r"""Explorer: l1 regularisation :math:`\lambda` -> representer values and deletion curves.

    For :math:`\hat\theta = \arg\min_\theta \frac1n\sum_i \ell(\theta^\top x_i, y_i) +
    \lambda\|\theta\|_1` (logistic loss) every test prediction decomposes exactly into
    training-point contributions

    .. math::

        \hat\theta^\top x_t = \sum_i \alpha_i\,\langle x_i, x_t\rangle_{|\hat\theta|}, \qquad
        \alpha_i = -\frac{\ell'(\hat\theta^\top x_i, y_i)}{\lambda n}

    (:func:`l1_representers`). The explorer shows the contributions to one test prediction and
    the change of that prediction when the 1-5 % training points with the largest contribution
    (the proponents) are deleted and the model is refitted (:func:`deletion_changes`), next to
    the same deletion in a random order (:func:`random_values`, seed ``seed + 1``): a faithful
    explainer moves the prediction down much faster.

    Parameters
    ----------
    dataset : {"synthetic", "breast_cancer", "digits", "wine"}
        ``"synthetic"``: :func:`make_sparse_logistic` ``(100, 200, n_test=n_test)`` (n << d);
        otherwise :func:`load_sklearn_binary` (bundled with scikit-learn, no download).
    lam : float
        Initial :math:`\lambda`, in [1e-3, 1].
    test_index : int
        Initial test point, ``0 <= test_index < n_test``.
    n_test : int
        Test points offered (1..20; fewer if the data set has fewer).
    seed : int
        Seed of the data (and of the split of a real data set).

    Returns
    -------
    analysis._core.explorer.Explorer
        Controls ``lam`` and ``test_index``; ``result`` is a dict with ``representers`` (the
        :class:`~analysis.representers.l1.RepresenterResult` of the shown test points),
        ``values`` (the chosen point's contributions), ``fractions``, ``changes`` and
        ``changes_random`` (prediction changes after deletion).

    Raises
    ------
    ValueError
        On an argument outside the ranges above (named in the message).
    ImportError
        If ipywidgets is not installed.

    References
    ----------
    .. [1] C.-P. Tsai, C.-K. Yeh, P. Ravikumar, "Sample-based explanations via generalized
       representers" / "Representer point selection for explaining regularized
       high-dimensional models", ICML 2023, Thm 1 and Sec. 5 (case deletion).

    Examples
    --------
    >>> from analysis.representers import explore
    >>> ex = explore(lam=0.05)
    >>> r = ex.result["representers"]
    >>> bool(r.identity_residual < 1e-10)  # the decomposition is exact at the optimum
    True
    >>> ex.controls["lam"].value = 1.0  # strong enough to zero every coefficient
    >>> int(ex.result["representers"].support.size)
    0
    """
    dataset = check_choice(dataset, "dataset", DATASETS)
    lam0 = check_real(lam, "lam", minimum=LAM_RANGE[0], maximum=LAM_RANGE[1])
    n_test = check_int(n_test, "n_test", minimum=1, maximum=MAX_TEST)
    t0 = check_int(test_index, "test_index", minimum=0, maximum=n_test - 1)
    seed = check_int(seed, "seed", minimum=0)
    if dataset == "synthetic":
        data = make_sparse_logistic(100, 200, n_test=n_test, rng=seed)
    else:
        data = load_sklearn_binary(dataset, rng=seed)
    X, y = data.X, data.y
    X_test = data.X_test[:n_test]
    n_test = X_test.shape[0]
    t0 = min(t0, n_test - 1)
    fractions = np.asarray(DELETION_FRACTIONS)
    random_order_values = random_values(n_test, X.shape[0], rng=seed + 1)
    widgets = require_ipywidgets()

    @functools.lru_cache(maxsize=32)
    def fitted(lam):
        return l1_representers(X, y, lam, X_test)

    def compute(lam, test_index):
        rep = fitted(lam)
        t = slice(test_index, test_index + 1)
        changes = deletion_changes(X, y, lam, X_test[t], rep.values[t], theta=rep.theta)
        changes_random = deletion_changes(X, y, lam, X_test[t], random_order_values[t],
                                          theta=rep.theta)
        return {"representers": rep, "values": rep.values[test_index], "fractions": fractions,
                "changes": changes[0], "changes_random": changes_random[0]}

    def draw(result, params):
        fig, (ax_v, ax_d) = new_figure(10.0, 3.6, ncols=2)
        values = np.sort(result["values"])[::-1]
        ax_v.bar(np.arange(values.size), values, width=1.0,
                 color=np.where(values >= 0, "#0072B2", "#D55E00"))
        ax_v.set_xlabel("training points, by contribution")
        ax_v.set_ylabel("contribution to f(x_t)")
        ax_v.set_title(f"test point {params['test_index']}: {result['representers'].support.size} "
                       "active features", fontsize=9)
        pct = 100 * result["fractions"]
        ax_d.plot(pct, result["changes"], "-o", color="#0072B2",
                  label="delete the largest contributions")
        ax_d.plot(pct, result["changes_random"], "-s", color="0.5", label="delete random points")
        ax_d.axhline(0.0, color="k", lw=0.8)
        ax_d.set_xlabel("training points deleted (%)")
        ax_d.set_ylabel("change of f(x_t) after refitting")
        ax_d.set_title("case deletion", fontsize=9)
        ax_d.legend(fontsize=8)
        fig.suptitle(f"l1-regularised logistic regression, lambda = {params['lam']:.3g}",
                     fontsize=10)
        return fig

    def summarize(result, params):
        rep, t = result["representers"], params["test_index"]
        return (f"f(x_{t}) = {rep.predictions[t]:+.4f} = sum of contributions "
                f"{rep.reconstruction[t]:+.4f} (identity residual {rep.identity_residual:.1e}, "
                f"KKT {rep.kkt_residual:.1e}); deleting 5 %: {result['changes'][-1]:+.3f} "
                f"(random {result['changes_random'][-1]:+.3f})")

    common = slider_kwargs()
    controls = {
        "lam": widgets.FloatLogSlider(value=lam0, base=10, min=math.log10(LAM_RANGE[0]),
                                      max=math.log10(LAM_RANGE[1]), step=0.05,
                                      description="l1 penalty lambda", readout_format=".3g", **common),
        "test_index": widgets.IntSlider(value=t0, min=0, max=n_test - 1, description="test point",
                                        **common),
    }
    return make_explorer(
        "Representer points (l1): regularisation, contributions and case deletion", controls,
        compute, draw, summarize,
        note=f"{data.name}: {X.shape[0]} training points, d = {X.shape[1]}; l1_representers, "
             "deletion_changes, random_values",
        inputs={"X": X, "y": y, "X_test": X_test, "random_values": random_order_values})

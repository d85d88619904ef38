r"""Downstream labelled-sample complexity: contrastive features vs raw inputs.

Arora et al. (2019, Sec. 1 and 5) argue that a representation learned from unlabelled data lowers
the number of labelled samples a downstream classifier needs. Here the downstream classifiers
are fitted on n labelled samples per class:

- the empirical mean classifier :math:`\hat W` with rows :math:`\hat\mu_c = \frac1n \sum_i f(x_{c,i})`,
  predicting :math:`\arg\max_c \hat\mu_c^\top f(x)` (the estimated version of Def. 2.1);
- a multinomial logistic-regression probe (scikit-learn, L2, C = 1);

on the features f(x) of a trained encoder, and on the raw inputs (f = identity).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import check_int
from analysis.contrastive.data import LatentClassModel
from analysis.contrastive.training import linear_probe_accuracy, mean_classifier_accuracy

__all__ = ["downstream_errors"]


def downstream_errors(
    encoder: Callable,
    model: LatentClassModel,
    n_labeled,
    n_test: int = 2000,
    n_repeats: int = 5,
    rng=0,
    probe: bool = True,
) -> dict[str, np.ndarray]:
    r"""Test error of the mean classifier and a linear probe vs labelled samples per class.

    Parameters
    ----------
    encoder : callable
        Numpy encoder ``(..., d) -> (..., p)``; pass ``lambda x: x`` for raw inputs.
    model : LatentClassModel
    n_labeled : sequence of int
        Labelled samples per class.
    n_test : int
        Test points (drawn from :math:`\rho`).
    n_repeats : int
        Independent labelled sets per size (the spread gives the bands).
    probe : bool
        Also fit the logistic-regression probe.

    Returns
    -------
    dict
        ``n_labeled`` and arrays ``mean_classifier`` and ``linear_probe`` of shape
        ``(len(n_labeled), n_repeats)`` with test errors (``linear_probe`` NaN when ``probe`` is False).
    """
    sizes = [check_int(n, "n_labeled", minimum=1) for n in n_labeled]
    n_test = check_int(n_test, "n_test", minimum=1)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=1)
    rng = make_rng(rng, name="rng")
    C = model.n_classes
    c_test = model.sample_classes((n_test,), rng)
    f_test = encoder(model.sample_inputs(c_test, rng))
    mean_err = np.empty((len(sizes), n_repeats))
    probe_err = np.full((len(sizes), n_repeats), np.nan)
    for i, n in enumerate(sizes):
        for r in range(n_repeats):  # a few small fits; each is vectorised
            labels = np.repeat(np.arange(C), n)
            feats = encoder(model.sample_inputs(labels, rng))
            means = feats.reshape(C, n, -1).mean(axis=1)
            mean_err[i, r] = 1.0 - mean_classifier_accuracy(f_test, c_test, means)
            if probe:
                probe_err[i, r] = 1.0 - linear_probe_accuracy(feats, labels, f_test, c_test)
    return {"n_labeled": np.array(sizes), "mean_classifier": mean_err, "linear_probe": probe_err}

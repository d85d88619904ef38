r"""Per-sample losses of a linear prediction ``f = theta . x`` and their derivatives in ``f``.

Label convention: for the logistic loss the labels are ``y in {-1, +1}`` and

.. math:: \ell(f, y) = \log(1 + e^{-y f}), \quad \ell'(f, y) = -y\,\sigma(-y f),
   \quad \ell''(f, y) = \sigma(f)\,\sigma(-f).

The published code of Tsai et al. (2023) writes the derivative in the ``{0, 1}`` form
``sigma(f) - y``; applied to ``{-1, +1}`` labels that form is wrong (it is the "mixed-up
convention" the ``broken`` inputs of the claims use). For least squares,
``l(f, y) = (f - y)^2 / 2`` with ``l' = f - y`` and ``l'' = 1``; ``y`` is then any real number.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log1p

from analysis._core.validate import as_array, check_choice

LOSSES = ("logistic", "squared")


def check_loss(loss: str) -> str:
    """Check that ``loss`` is ``"logistic"`` or ``"squared"``; return it."""
    return check_choice(loss, "loss", LOSSES)


def check_binary_labels(y: object, name: str = "y", n_samples: int | None = None) -> np.ndarray:
    """Check labels in ``{-1, +1}`` (1-D, finite); return them as float64."""
    arr = as_array(y, name, ndim=1, min_size=1)
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name}: expected {n_samples} labels to match X, got {arr.shape[0]}")
    bad = ~np.isin(arr, (-1.0, 1.0))
    if np.any(bad):
        found = np.unique(arr[bad])[:5]
        raise ValueError(f"{name}: expected labels in {{-1, +1}}, got values such as {found.tolist()}")
    return arr


def loss_value(f: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Per-sample loss ``l(f_i, y_i)`` (numerically stable logistic form)."""
    if loss == "logistic":
        z = -y * f
        # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}) avoids overflow for large |z|
        return np.maximum(z, 0.0) + log1p(np.exp(-np.abs(z)))
    return 0.5 * (f - y) ** 2


def loss_derivative(f: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Derivative ``l'(f_i, y_i)`` of the loss in the prediction ``f``."""
    if loss == "logistic":
        return -y * expit(-y * f)
    return f - y


def loss_second_derivative(f: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Second derivative ``l''(f_i, y_i)`` in the prediction ``f``."""
    if loss == "logistic":
        s = expit(f)
        return s * (1.0 - s)
    return np.ones_like(f)


def curvature_bound(loss: str) -> float:
    """Upper bound on ``l''``: 1/4 for the logistic loss, 1 for least squares."""
    return 0.25 if loss == "logistic" else 1.0

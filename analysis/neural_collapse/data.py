"""Synthetic settings of the neural-collapse topic: class counts, labels, collapsed oracles.

References
----------
.. [1] C. Fang, H. He, Q. Long, W. J. Su, "Exploring deep neural networks via layer-peeled
   model: minority collapse in imbalanced training", PNAS 118(43), 2021. Step imbalance with
   a fraction rho of minority classes (our convention: the last ``round(rho C)`` classes are
   the minority classes).
"""

from __future__ import annotations

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import as_array, check_budget, check_int, check_real
from analysis.neural_collapse.geometry import simplex_etf


def step_imbalanced_counts(
    n_classes: int, n_majority: int, ratio: float, minority_fraction: float = 0.5
) -> np.ndarray:
    r"""Class counts of a step imbalance (majority and minority classes).

    Majority classes get ``n_majority`` samples, minority classes ``round(n_majority / ratio)``.

    .. math::

        n_c = n_{\mathrm{maj}} \; (c < C - k_{\min}),\qquad
        n_c = \mathrm{round}(n_{\mathrm{maj}}/R) \; (c \ge C - k_{\min}),\qquad
        k_{\min} = \mathrm{round}(\rho\, C).

    Parameters
    ----------
    n_classes : int
        C >= 2.
    n_majority : int
        Samples of each majority class (>= 1).
    ratio : float
        Imbalance ratio R >= 1.
    minority_fraction : float
        rho in (0, 1): fraction of minority classes; at least one majority and one minority
        class are kept when R > 1.

    Returns
    -------
    numpy.ndarray of int64, shape (C,)

    Raises
    ------
    ValueError
        If a minority class would get no sample.

    Examples
    --------
    >>> from analysis.neural_collapse import step_imbalanced_counts
    >>> step_imbalanced_counts(4, 10, ratio=5.0)  # round(0.5 * 4) = 2 minority classes of 10 / 5
    array([10, 10,  2,  2])
    """
    C = check_int(n_classes, "n_classes", minimum=2)
    n_major = check_int(n_majority, "n_majority", minimum=1)
    R = check_real(ratio, "ratio", minimum=1.0)
    rho = check_real(minority_fraction, "minority_fraction", minimum=0.0, maximum=1.0,
                     strict_min=True, strict_max=True)
    check_budget("n_classes", n_bytes=8.0 * C, what=f"counts of {C} classes")
    k_min = min(max(int(round(rho * C)), 1), C - 1)
    n_minor = int(round(n_major / R))
    if n_minor < 1:
        raise ValueError(
            f"ratio: n_majority / ratio = {n_major}/{R:g} rounds to 0 minority samples; "
            "use a larger n_majority or a smaller ratio"
        )
    counts = np.full(C, n_major, dtype=np.int64)
    counts[C - k_min:] = n_minor
    return counts


def labels_from_counts(counts: object) -> np.ndarray:
    """Labels ``[0]*n_0 + [1]*n_1 + ...`` (int64) for positive integer class counts.

    Examples
    --------
    >>> from analysis.neural_collapse import labels_from_counts
    >>> labels_from_counts([2, 3])
    array([0, 0, 1, 1, 1])
    """
    counts = validate_counts(counts, "counts", minimum=1)
    n = float(counts.sum())
    check_budget("counts", n_bytes=8.0 * n, what=f"{n:.3g} labels")
    return np.repeat(np.arange(counts.size), counts)


def validate_counts(counts: object, name: str = "counts", *, minimum: int = 1) -> np.ndarray:
    """Check a 1-D vector of >= 2 integer class counts, each >= ``minimum``; return int64."""
    arr = as_array(counts, name, ndim=1)
    if arr.size < 2:
        raise ValueError(f"{name}: expected counts of at least 2 classes, got {arr.size}")
    if not np.all(arr == np.round(arr)):
        raise ValueError(f"{name}: expected integer counts, got {arr.tolist()}")
    if arr.min() < minimum:
        raise ValueError(
            f"{name}: expected every class count >= {minimum}, got min {int(arr.min())}"
            + (" (an SCL anchor needs a positive of its class)" if minimum == 2 else "")
        )
    return arr.astype(np.int64)


def collapsed_etf_features(
    counts: object, d: int, *, scale: float = 1.0, noise: float = 0.0,
    rng: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features that have exactly collapsed onto a randomly rotated simplex ETF.

    Returns ``(H, y, M)``: sample ``i`` is ``scale * M[y_i]`` plus ``noise`` times a standard
    Gaussian vector; ``M`` (C, d) is the rotated unit-norm ETF, also the self-dual classifier.

    Examples
    --------
    >>> from analysis.neural_collapse import collapsed_etf_features
    >>> H, y, M = collapsed_etf_features([2, 3, 4], d=5, rng=0)
    >>> H.shape, y.shape, M.shape
    ((9, 5), (9,), (3, 5))
    >>> bool(np.allclose(H, M[y]))  # noise=0: every sample sits on its class vertex
    True
    """
    counts = validate_counts(counts)
    d = check_int(d, "d", minimum=1)
    scale = check_real(scale, "scale", minimum=0.0, strict_min=True)
    noise = check_real(noise, "noise", minimum=0.0)
    gen = make_rng(rng, name="rng")
    n = float(counts.sum())
    check_budget("counts and d", n_bytes=8.0 * n * (d + 1), what=f"features of shape ({n:.3g}, {d})")
    M = simplex_etf(counts.size, d, rng=gen)
    y = labels_from_counts(counts)
    H = scale * M[y] + noise * gen.standard_normal((y.size, d))
    return H, y, M

"""Exact geometric oracles of neural collapse: the simplex ETF and the orthogonal frame.

References
----------
.. [1] V. Papyan, X. Y. Han, D. L. Donoho, "Prevalence of neural collapse during the terminal
   phase of deep learning training", PNAS 117(40), 2020. Definition of the simplex ETF.
.. [2] G. R. Kini, V. Vakilian, T. Behnia, J. Gill, C. Thrampoulidis, "Symmetric Neural-Collapse
   Representations with Supervised Contrastive Loss: The Impact of ReLU and Batching", ICLR
   2024. The orthogonal frame (OF) as the SCL geometry with non-negative features.
"""

from __future__ import annotations

import numpy as np

from analysis._core.rng import make_rng, random_orthogonal
from analysis._core.validate import check_budget, check_int


def _check_frame_budget(C: int, d: int, rotated: bool) -> None:
    """Refuse a frame whose arrays cannot fit in memory, before allocating them."""
    check_budget("C", n_bytes=8.0 * C * C, what=f"a ({C}, {C}) centring basis")
    # a rotation draws a (d, d) Gaussian matrix and its QR factors
    check_budget("d", n_bytes=8.0 * (C * d + (3 * d * d if rotated else 0)),
                 n_operations=(d**3 if rotated else C * d), what=f"a ({C}, {d}) frame")


def _centring_basis(C: int) -> np.ndarray:
    """Orthonormal basis (C, C-1) of the subspace orthogonal to the all-ones vector.

    The Helmert construction: column j (0-based) is proportional to
    ``(1, ..., 1, -(j+1), 0, ..., 0)`` with j+1 ones. Deterministic and exact up to round-off.
    """
    U = np.zeros((C, C - 1))
    for j in range(C - 1):
        U[: j + 1, j] = 1.0
        U[j + 1, j] = -(j + 1.0)
        U[:, j] /= np.sqrt((j + 1.0) * (j + 2.0))
    return U


def simplex_etf(C: int, d: int, *, rng: int | np.random.Generator | None = None) -> np.ndarray:
    r"""The simplex equiangular tight frame: C unit-norm, centred vectors in R^d.

    .. math::

        M = \sqrt{\tfrac{C}{C-1}}\,\Big(I_C - \tfrac{1}{C}\mathbf{1}\mathbf{1}^\top\Big) U,
        \qquad M M^\top = \tfrac{C}{C-1}\Big(I_C - \tfrac{1}{C}\mathbf{1}\mathbf{1}^\top\Big),

    so every row has unit norm, the rows sum to zero, and every pair has cosine
    :math:`-1/(C-1)` [1]_. ``U`` is an orthonormal (C, d) embedding of the centred subspace.

    Parameters
    ----------
    C : int
        Number of classes (>= 2).
    d : int
        Ambient dimension (>= C - 1, the dimension the ETF spans).
    rng : int or numpy.random.Generator, optional
        If given, the frame is rotated by a Haar-random orthogonal matrix of R^d.

    Returns
    -------
    numpy.ndarray
        (C, d) float64 array, one vector per row.

    References
    ----------
    .. [1] Papyan, Han & Donoho (2020), PNAS, Definition 1 (simplex ETF).

    Examples
    --------
    >>> from analysis.neural_collapse import simplex_etf
    >>> M = simplex_etf(4, 5, rng=0)
    >>> M.shape
    (4, 5)
    >>> G = M @ M.T  # unit norms and every pairwise cosine -1/(C-1) = -1/3
    >>> bool(np.allclose(np.diag(G), 1.0) and np.allclose(G[~np.eye(4, dtype=bool)], -1 / 3))
    True
    """
    C = check_int(C, "C", minimum=2)
    d = check_int(d, "d", minimum=1)
    if d < C - 1:
        raise ValueError(f"d: a simplex ETF of C={C} classes needs d >= C - 1 = {C - 1}, got {d}")
    _check_frame_budget(C, d, rng is not None)
    gen = None if rng is None else make_rng(rng, name="rng")
    U = _centring_basis(C)  # columns orthogonal to 1, so (I - 11^T/C) U = U
    M = np.zeros((C, d))
    M[:, : C - 1] = np.sqrt(C / (C - 1.0)) * U
    # Rows of sqrt(C/(C-1)) U have the Gram sqrt(C/(C-1))^2 U U^T = C/(C-1) (I - 11^T/C).
    if gen is not None:
        M = M @ random_orthogonal(d, gen).T
    return M


def etf_gram(C: int) -> np.ndarray:
    r"""Gram matrix of the simplex ETF, :math:`\tfrac{C}{C-1}(I - \tfrac1C \mathbf 1 \mathbf 1^\top)`.

    Examples
    --------
    >>> from analysis.neural_collapse import etf_gram, simplex_etf
    >>> np.round(etf_gram(3), 3)
    array([[ 1. , -0.5, -0.5],
           [-0.5,  1. , -0.5],
           [-0.5, -0.5,  1. ]])
    >>> M = simplex_etf(3, 2)
    >>> bool(np.allclose(M @ M.T, etf_gram(3)))
    True
    """
    C = check_int(C, "C", minimum=2)
    check_budget("C", n_bytes=3 * 8.0 * C * C, what=f"a ({C}, {C}) Gram")
    return (C / (C - 1.0)) * (np.eye(C) - np.full((C, C), 1.0 / C))


def orthogonal_frame(
    C: int, d: int, *, rng: int | np.random.Generator | None = None
) -> np.ndarray:
    r"""The orthogonal frame: C orthonormal vectors in R^d (Gram :math:`I_C`).

    With non-negative (post-ReLU) features, the SCL minimiser's class means form an orthogonal
    frame for any class counts (Kini et al., 2024, Theorem 1).

    Parameters
    ----------
    C : int
        Number of classes (>= 2).
    d : int
        Ambient dimension (>= C).
    rng : int or numpy.random.Generator, optional
        If given, the frame is rotated by a Haar-random orthogonal matrix (the result is then
        no longer entrywise non-negative). Without it the frame is the first C standard basis
        vectors, which is non-negative.

    Returns
    -------
    numpy.ndarray
        (C, d) float64 array.

    Examples
    --------
    >>> from analysis.neural_collapse import orthogonal_frame
    >>> F = orthogonal_frame(3, 5)
    >>> bool(np.allclose(F @ F.T, np.eye(3))), bool((F >= 0).all())
    (True, True)
    >>> R = orthogonal_frame(3, 5, rng=0)  # rotated: still orthonormal, no longer non-negative
    >>> bool(np.allclose(R @ R.T, np.eye(3)))
    True
    """
    C = check_int(C, "C", minimum=2)
    d = check_int(d, "d", minimum=1)
    if d < C:
        raise ValueError(f"d: an orthogonal frame of C={C} vectors needs d >= C = {C}, got {d}")
    _check_frame_budget(C, d, rng is not None)
    gen = None if rng is None else make_rng(rng, name="rng")
    F = np.eye(C, d)
    if gen is not None:
        F = F @ random_orthogonal(d, gen).T
    return F


def cosine_matrix(V: np.ndarray) -> np.ndarray:
    """Pairwise cosines of the rows of ``V`` (rows must be non-zero)."""
    norms = np.linalg.norm(V, axis=1)
    if np.any(norms == 0):
        raise ValueError("V: expected non-zero rows, got a zero row")
    U = V / norms[:, None]
    return U @ U.T

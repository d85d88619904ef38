"""Class-attribute matrices: validation, an AwA-like generator, file loading, attribute vectors.

A class-attribute matrix ``M`` has one row per (unseen) class and one column per binary
attribute; ``M[j, i]`` is the probability that attribute ``i`` is present in an instance of
class ``j`` (Mazzetto et al., 2022, Sec. 3). Attribute vectors ``v`` in ``{0, 1}^n`` are coded
as integers with bit ``i`` holding attribute ``i`` (``code = sum_i v_i 2^i``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import as_array, check_budget, check_choice, check_int, check_real

#: Largest number of attributes for which all ``2^n`` attribute vectors are enumerated.
MAX_ENUMERATED_ATTRIBUTES = 24


def validate_class_attribute_matrix(
    M: object, name: str = "M", *, duplicate_columns: str = "keep"
) -> np.ndarray:
    """Check a class-attribute matrix and return it as a new float64 array.

    Parameters
    ----------
    M : array_like, shape (k, n)
        ``M[j, i] = P(attribute i = 1 | class j)``.
    name : str
        Argument name used in error messages.
    duplicate_columns : {"keep", "merge", "error"}
        What to do with identical columns. ``"keep"`` (default) treats them as distinct
        attribute detectors that merely have the same class-conditional rates (the adversary may
        correlate them in any way, so they can raise the bound); ``"merge"`` keeps only the first
        copy (the same attribute listed twice); ``"error"`` rejects them.

    Returns
    -------
    numpy.ndarray, shape (k, n')
        A copy of ``M`` (``n' < n`` only with ``duplicate_columns="merge"``).

    Raises
    ------
    ValueError
        Not 2-D, NaN or infinite entries, entries outside [0, 1], fewer than two classes,
        zero attributes, or duplicate columns with ``duplicate_columns="error"``.

    Examples
    --------
    >>> from analysis.zsl import validate_class_attribute_matrix
    >>> M = [[0.5, 0.5, 0.1], [0.2, 0.2, 0.9]]  # columns 0 and 1 are the same attribute
    >>> validate_class_attribute_matrix(M, duplicate_columns="merge")
    array([[0.5, 0.1],
           [0.2, 0.9]])
    >>> validate_class_attribute_matrix([[0.5, 1.5], [0.2, 0.3]])
    Traceback (most recent call last):
        ...
    ValueError: M: expected entries in [0, 1] (probabilities), got range [0.2, 1.5], ...
    """
    check_choice(duplicate_columns, "duplicate_columns", ("keep", "merge", "error"))
    raw = as_array(M, name, ndim=2, finite=False)
    if np.isnan(raw).any():
        n_nan = int(np.isnan(raw).sum())
        raise ValueError(f"{name}: expected entries in [0, 1], got {n_nan} NaN entries")
    if not np.isfinite(raw).all():
        raise ValueError(f"{name}: expected entries in [0, 1], got infinite entries")
    k, n = raw.shape
    if k < 2:
        raise ValueError(f"{name}: expected at least 2 classes (rows), got {k}")
    if n < 1:
        raise ValueError(f"{name}: expected at least 1 attribute (column), got {n}")
    if raw.min() < 0 or raw.max() > 1:
        bad = np.argwhere((raw < 0) | (raw > 1))[0]
        raise ValueError(
            f"{name}: expected entries in [0, 1] (probabilities), got range "
            f"[{raw.min():.4g}, {raw.max():.4g}], e.g. {name}[{bad[0]}, {bad[1]}] = "
            f"{raw[bad[0], bad[1]]:.4g}"
        )
    out = np.array(raw, dtype=np.float64, copy=True)
    if duplicate_columns != "keep":
        _, first = np.unique(out.T, axis=0, return_index=True)
        keep = np.sort(first)
        if keep.size < n:
            if duplicate_columns == "error":
                dup = sorted(set(range(n)) - set(keep.tolist()))
                raise ValueError(f"{name}: expected distinct columns, got duplicate columns {dup}")
            out = out[:, keep]
    return out


def attribute_vectors(codes: object, n: int) -> np.ndarray:
    """Binary attribute vectors of the integer ``codes`` (bit ``i`` = attribute ``i``).

    Returns
    -------
    numpy.ndarray of uint8, shape (len(codes), n)
    """
    n = check_int(n, "n", minimum=1, maximum=62)
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    return ((codes[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.uint8)


def vector_codes(V: object) -> np.ndarray:
    """Integer codes ``sum_i v_i 2^i`` of the rows of a binary matrix ``V`` (n <= 62)."""
    V = np.asarray(V)
    if V.ndim != 2 or V.shape[1] > 62:
        raise ValueError(f"V: expected a 2-D 0/1 array with at most 62 columns, got shape {V.shape}")
    return (V.astype(np.int64) << np.arange(V.shape[1], dtype=np.int64)).sum(axis=1)


def all_attribute_vectors(n: int) -> np.ndarray:
    """All ``2^n`` binary attribute vectors, row ``c`` being the vector with code ``c``."""
    n = check_int(n, "n", minimum=1, maximum=MAX_ENUMERATED_ATTRIBUTES)
    return attribute_vectors(np.arange(2**n), n)


def comonotone_coupling(m: object) -> tuple[np.ndarray, np.ndarray]:
    """The comonotone joint law of binary attributes with marginals ``m``.

    Draw one ``U ~ Uniform[0, 1)`` and set ``v_i = 1[U < m_i]``: the law has at most ``n + 1``
    atoms and exactly the marginals ``P(v_i = 1) = m_i``.

    Returns
    -------
    vectors : numpy.ndarray of uint8, shape (s, n)
    probabilities : numpy.ndarray, shape (s,)
        Positive masses summing to 1.
    """
    m = as_array(m, "m", ndim=1, min_size=1)
    cuts = np.unique(np.concatenate([[0.0], m[m < 1.0]]))
    widths = np.diff(np.concatenate([cuts, [1.0]]))
    vectors = (m[None, :] > cuts[:, None]).astype(np.uint8)
    keep = widths > 0
    return vectors[keep], widths[keep]


def awa_like_matrix(
    k: int,
    n: int,
    *,
    n_clusters: int | None = None,
    spread: float = 0.15,
    binarize: bool = False,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """A random class-attribute matrix with the structure of Animals-with-Attributes.

    Classes come in clusters (super-classes such as "big cats", "whales"): each cluster has a
    prototype row of attribute strengths drawn from ``Beta(0.4, 0.6)`` (AwA strengths are
    bimodal, mostly near 0), and each class is its prototype plus Gaussian noise of standard
    deviation ``spread``, clipped to [0, 1], so rows within a cluster are correlated.

    Parameters
    ----------
    k, n : int
        Number of classes (>= 2) and attributes (>= 1).
    n_clusters : int, optional
        Number of super-classes (default ``max(2, k // 3)``).
    spread : float
        Within-cluster standard deviation.
    binarize : bool
        Threshold at the matrix mean, as AwA's binary predicate matrix does.
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (k, n)

    References
    ----------
    Lampert, Nickisch & Harmeling (2009/2014), AwA predicate matrices (85 attributes);
    Xian et al. (2018), AwA2 (10 unseen test classes).

    Examples
    --------
    >>> from analysis.zsl import awa_like_matrix
    >>> M = awa_like_matrix(10, 85, seed=0)
    >>> M.shape, bool(M.min() >= 0.0 and M.max() <= 1.0)
    ((10, 85), True)
    >>> np.unique(awa_like_matrix(10, 85, binarize=True, seed=0))
    array([0., 1.])
    """
    k = check_int(k, "k", minimum=2)
    n = check_int(n, "n", minimum=1)
    n_clusters = max(2, k // 3) if n_clusters is None else check_int(n_clusters, "n_clusters", minimum=1)
    spread = check_real(spread, "spread", minimum=0.0)
    # sized before anything is allocated: the (k, n) matrix, its noise and the prototypes
    check_budget("k", n_bytes=24.0 * k * n, what=f"a ({k}, {n}) matrix")
    check_budget("n", n_bytes=24.0 * k * n, what=f"a ({k}, {n}) matrix")
    check_budget("n_clusters", n_bytes=8.0 * n_clusters * n, what=f"({n_clusters}, {n}) prototypes")
    rng = make_rng(seed)
    prototypes = rng.beta(0.4, 0.6, size=(n_clusters, n))
    membership = np.arange(k) % n_clusters
    M = np.clip(prototypes[membership] + spread * rng.standard_normal((k, n)), 0.0, 1.0)
    M = M[rng.permutation(k)]
    if binarize:
        M = (M > M.mean()).astype(np.float64)
    return M


def load_class_attribute_matrix(
    path: str | os.PathLike, *, percent: bool = False, delimiter: str = ",", skiprows: int = 0
) -> np.ndarray:
    """Load a user's class-attribute matrix from a ``.csv`` / ``.txt`` or ``.npy`` file.

    Parameters
    ----------
    path : path-like
        File with one row per class and one column per attribute.
    percent : bool
        Entries are percentages in [0, 100] (AwA's continuous predicate matrix); divide by 100.
    delimiter : str
        Column separator of text files (``","``; use ``None`` for whitespace).
    skiprows : int
        Header lines to skip in text files.

    Returns
    -------
    numpy.ndarray, shape (k, n)
        The validated matrix (see :func:`validate_class_attribute_matrix`).

    Examples
    --------
    CUB's shipped matrix is a whitespace-separated table of percentages:

    >>> from pathlib import Path
    >>> import analysis
    >>> from analysis.zsl import load_class_attribute_matrix
    >>> path = Path(analysis.__file__).parent / "_data/cub/class_attribute_labels_continuous.txt"
    >>> M = load_class_attribute_matrix(path, percent=True, delimiter=None)
    >>> M.shape, bool(M.max() <= 1.0)
    ((200, 312), True)
    """
    p = Path(path)
    skiprows = check_int(skiprows, "skiprows", minimum=0)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"delimiter: expected one character or None (whitespace), got {delimiter!r}")
    if not p.is_file():
        raise ValueError(f"path: expected an existing .csv, .txt or .npy file, got {str(p)!r}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        raw = np.load(p, allow_pickle=False)
    elif suffix in (".csv", ".txt", ".tsv"):
        try:
            raw = np.loadtxt(p, delimiter=delimiter, skiprows=skiprows, dtype=np.float64, ndmin=2)
        except ValueError as exc:
            raise ValueError(
                f"path: expected a numeric table in {p.name} (use skiprows= for a header), got: {exc}"
            ) from exc
    else:
        raise ValueError(f"path: expected a .csv, .txt, .tsv or .npy file, got suffix {suffix!r}")
    raw = np.asarray(raw, dtype=np.float64)
    if raw.size == 0 and skiprows > 0:
        raise ValueError(f"skiprows: skipping {skiprows} lines leaves no data in {p.name}")
    if percent:
        raw = raw / 100.0
    elif raw.size and np.nanmax(raw) > 1 and np.nanmax(raw) <= 100:
        raise ValueError(
            f"path: expected entries in [0, 1], got maximum {np.nanmax(raw):.4g}; "
            "for percentages (AwA's continuous matrix) pass percent=True"
        )
    return validate_class_attribute_matrix(raw, "M")

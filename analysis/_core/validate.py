"""Input checks shared by all topics.

Every error names the argument, what was expected and what was received, e.g.
``ValueError: X: expected a finite 2-D array, got shape (3,)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np


def _describe(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}" if np.isscalar(x) else type(x).__name__


def as_array(
    x: object,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    finite: bool = True,
    dtype: type = np.float64,
    min_size: int = 0,
) -> np.ndarray:
    """Convert ``x`` to a numpy array of ``dtype`` and check its shape and finiteness.

    Parameters
    ----------
    x : array_like
        Input (torch tensors are moved to the CPU first).
    name : str
        Argument name used in error messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    shape : sequence of int or None, optional
        Expected shape; ``None`` entries match any length.
    finite : bool
        Reject NaN and infinities.
    dtype : numpy dtype
        Target dtype (float64 by default).
    min_size : int
        Minimum number of elements.

    Returns
    -------
    numpy.ndarray
        A new (or the same, if already conforming) array; the input is never modified.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    if np.iscomplexobj(x) and not np.issubdtype(np.dtype(dtype), np.complexfloating):
        # numpy would drop the imaginary part with only a warning: a silently wrong result.
        raise TypeError(f"{name}: expected real values, got complex {_describe(np.asarray(x))}")
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a numeric array, got {_describe(x)}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name}: expected at least {min_size} elements, got {arr.size}")
    if finite and np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: expected finite values, got {n_bad} NaN or infinite entries")
    return arr


def check_int(
    x: object, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Check that ``x`` is an integer (not a bool) within ``[minimum, maximum]``; return it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {_describe(x)}")
    x = int(x)
    if minimum is not None and x < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {x}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{name}: expected an integer <= {maximum}, got {x}")
    return x


def memory_limit_bytes() -> int:
    """The memory one request may plan to use: ``$ANALYSIS_MEMORY_LIMIT_GB``, else half the RAM."""
    import os

    env = os.environ.get("ANALYSIS_MEMORY_LIMIT_GB")
    if env:
        return int(float(env) * 2**30)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def check_budget(
    name: str, *, n_bytes: float | None = None, n_operations: float | None = None,
    max_operations: float = 1e12, what: str = "",
) -> None:
    """Refuse a request that cannot fit in memory or time, *before* anything is allocated.

    Parameters
    ----------
    name : str
        The argument that sets the size (named in the error).
    n_bytes : float, optional
        Estimated peak memory of the request.
    n_operations : float, optional
        Estimated number of elementary operations (flops, steps x work per step).
    max_operations : float
        The most operations a call may plan (1e12 is hours on one core).
    what : str
        What is being sized, for the message (``"iterates of shape (T, d)"``).
    """
    limit = memory_limit_bytes()
    detail = f" ({what})" if what else ""
    if n_bytes is not None and n_bytes > limit:
        raise ValueError(
            f"{name}: the request needs about {n_bytes / 2**30:.3g} GiB{detail}, more than the "
            f"{limit / 2**30:.3g} GiB allowed (set ANALYSIS_MEMORY_LIMIT_GB to change it)"
        )
    if n_operations is not None and n_operations > max_operations:
        raise ValueError(
            f"{name}: the request needs about {n_operations:.3g} operations{detail}, more than "
            f"the {max_operations:.3g} a call may plan"
        )


def check_real(
    x: object,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_min: bool = False,
    strict_max: bool = False,
) -> float:
    """Check that ``x`` is a finite real number within the given bounds; return it as float.

    ``strict_min`` / ``strict_max`` make the corresponding bound exclusive.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        kind = "a real number (complex refused)" if isinstance(x, numbers.Complex) else "a real number"
        raise ValueError(f"{name}: expected {kind}, got {_describe(x)}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name}: expected a finite number, got {x}")
    if minimum is not None and (x <= minimum if strict_min else x < minimum):
        op = ">" if strict_min else ">="
        raise ValueError(f"{name}: expected a number {op} {minimum}, got {x}")
    if maximum is not None and (x >= maximum if strict_max else x > maximum):
        op = "<" if strict_max else "<="
        raise ValueError(f"{name}: expected a number {op} {maximum}, got {x}")
    return x


def check_positive(x: object, name: str) -> float:
    """Check that ``x`` is a finite number > 0; return it as float."""
    return check_real(x, name, minimum=0.0, strict_min=True)


def check_probability(x: object, name: str) -> float:
    """Check that ``x`` is a number in [0, 1]; return it as float."""
    return check_real(x, name, minimum=0.0, maximum=1.0)


def check_probability_vector(p: object, name: str, *, atol: float = 1e-9) -> np.ndarray:
    """Check that ``p`` is a 1-D vector of non-negative entries summing to 1 (within ``atol``)."""
    arr = as_array(p, name, ndim=1, min_size=1)
    if np.any(arr < 0):
        raise ValueError(f"{name}: expected non-negative probabilities, got min {arr.min():.3g}")
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name}: expected probabilities summing to 1, got sum {total:.12g}")
    return arr


def check_in_unit_interval(a: object, name: str, **kwargs) -> np.ndarray:
    """Convert ``a`` to a float array and check every entry lies in [0, 1]."""
    arr = as_array(a, name, **kwargs)
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name}: expected entries in [0, 1], got range [{arr.min():.3g}, {arr.max():.3g}]"
        )
    return arr


def check_labels(
    y: object, name: str, *, n_classes: int | None = None, n_samples: int | None = None
) -> np.ndarray:
    """Check integer class labels in ``0..n_classes-1``; return them as an int64 array.

    Parameters
    ----------
    y : array_like
        1-D labels.
    name : str
        Argument name for errors.
    n_classes : int, optional
        Number of classes C; labels must lie in ``0..C-1``. When None, it is ``max(y) + 1``.
    n_samples : int, optional
        Expected number of labels.
    """
    raw = np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y)
    if np.iscomplexobj(raw):
        raise TypeError(f"{name}: expected integer labels, got complex {_describe(raw)}")
    if raw.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {raw.shape}")
    if raw.size and not np.issubdtype(raw.dtype, np.integer):
        if not (np.issubdtype(raw.dtype, np.floating) and np.all(raw == np.round(raw))):
            raise ValueError(f"{name}: expected integer labels, got dtype {raw.dtype}")
    labels = raw.astype(np.int64)
    if n_samples is not None and labels.shape[0] != n_samples:
        raise ValueError(f"{name}: expected {n_samples} labels, got {labels.shape[0]}")
    if labels.size:
        hi = n_classes - 1 if n_classes is not None else None
        if labels.min() < 0 or (hi is not None and labels.max() > hi):
            rng = f"0..{hi}" if hi is not None else "non-negative integers"
            raise ValueError(
                f"{name}: expected labels in {rng}, got range [{labels.min()}, {labels.max()}]"
            )
    return labels


def check_choice(x: object, name: str, choices: Iterable[str]) -> str:
    """Check that ``x`` is one of ``choices``; return it."""
    choices = tuple(choices)
    if x not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {x!r}")
    return x  # type: ignore[return-value]


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Check that two arrays have the same first dimension."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_b}: expected {a.shape[0]} rows to match {name_a}, got {b.shape[0]}"
        )

r"""Gradient descent on separable logistic regression converges in direction to the max margin.

For linearly separable data and the logistic loss
:math:`\mathcal L(w) = \sum_i \log(1 + e^{-y_i x_i^\top w})`, gradient descent with a step
:math:`\eta < 2/\beta` (:math:`\beta = \|Z\|_2^2/4`, :math:`Z = \operatorname{diag}(y) X`)
diverges in norm like :math:`\log t` while its direction converges to the hard-margin SVM
direction :math:`\hat w / \|\hat w\|` at the slow rate

.. math::

    \Big\| \frac{w(t)}{\|w(t)\|} - \frac{\hat w}{\|\hat w\|} \Big\| = O\!\Big(\frac{1}{\log t}\Big),
    \qquad w(t) = \hat w \log t + \rho(t), \;\; \rho(t) \text{ bounded}.

The reference :math:`\hat w` comes from the shared cvxpy solver
:func:`analysis._core.maxmargin.max_margin_separator` (the same one the continual-learning topic
uses).

References
----------
.. [1] D. Soudry, E. Hoffer, M. S. Nacson, S. Gunasekar, N. Srebro, "The implicit bias of
   gradient descent on separable data", JMLR 19, 2018, Thm 3 and Eq. (4)-(6).
"""

from __future__ import annotations

import math

import numpy as np

from analysis._core.maxmargin import max_margin_separator
from analysis._core.rng import make_rng
from analysis._core.validate import as_array, check_budget, check_int, check_positive, check_real


def separable_dataset(n: int, d: int, *, margin: float = 0.2, rng=0) -> tuple[np.ndarray, np.ndarray]:
    r"""Gaussian points labelled by a random homogeneous halfspace, with a guaranteed gap.

    Points with :math:`|x^\top w_0| <` ``margin`` are rejected, so the data are separable
    through the origin with margin at least ``margin`` (in the direction :math:`w_0`).

    Returns
    -------
    X : (n, d) array, y : (n,) array of +-1

    Examples
    --------
    >>> from analysis.implicit_reg import separable_dataset
    >>> X, y = separable_dataset(20, 3, margin=0.2, rng=0)
    >>> X.shape, np.unique(y).tolist()
    ((20, 3), [-1.0, 1.0])
    """
    n = check_int(n, "n", minimum=2)
    d = check_int(d, "d", minimum=1)
    margin = check_real(margin, "margin", minimum=0.0)
    check_budget("n, d", n_bytes=8.0 * 6 * n * d, what=f"{n} points in dimension {d}")
    # rejection sampling keeps a N(0, 1) projection with probability erfc(margin / sqrt 2):
    # the expected number of candidate coordinates drawn is n d / p
    accept = math.erfc(margin / math.sqrt(2.0))
    if accept < 1e-9:
        raise ValueError(f"margin: expected a gap that a standard normal projection exceeds with "
                         f"probability >= 1e-9 (margin <= 6.1), got {margin}")
    check_budget("margin, n, d", n_operations=n * d / accept,
                 what=f"rejection sampling that keeps a fraction {accept:.3g} of the candidates")
    gen = make_rng(rng, name="rng")
    w0 = gen.standard_normal(d)
    w0 /= np.linalg.norm(w0)
    X = np.empty((0, d))
    while X.shape[0] < n:
        cand = gen.standard_normal((4 * n, d))
        X = np.vstack([X, cand[np.abs(cand @ w0) > margin]])
    X = X[:n]
    y = np.sign(X @ w0)
    if np.all(y == y[0]):  # keep both classes present
        y[0] = -y[0]
        X[0] = -X[0]
    return X, y


def logistic_gd(X, y, *, n_iter: int, step: float | None = None, record=None) -> dict:
    r"""Full-batch gradient descent on the logistic loss from :math:`w_0 = 0`.

    .. math:: w_{t+1} = w_t + \eta \sum_i \frac{y_i x_i}{1 + e^{y_i x_i^\top w_t}}.

    Parameters
    ----------
    X : array_like, shape (n, d) or (S, n, d)
        Inputs (a leading axis runs S independent datasets in one vectorised loop).
    y : array_like, shape (n,) or (S, n)
        Labels in {-1, +1}.
    n_iter : int
        Number of steps.
    step : float, optional
        Step :math:`\eta`; default :math:`1/\beta` with :math:`\beta = \max_s \|Z_s\|_2^2/4`
        (half the largest stable step).
    record : sequence of int, optional
        Iterations at which to store :math:`w_t` (default: 30 log-spaced values up to n_iter).

    Returns
    -------
    dict
        ``{"t": (T,) iterations, "w": (T, [S,] d) iterates, "step": float}``.

    Examples
    --------
    >>> from analysis.implicit_reg import direction_error, logistic_gd, max_margin_directions
    >>> from analysis.implicit_reg import separable_dataset
    >>> X, y = separable_dataset(20, 3, rng=0)
    >>> out = logistic_gd(X, y, n_iter=1000, record=[10, 100, 1000])
    >>> out["w"].shape, bool(np.all(np.diff(np.linalg.norm(out["w"], axis=1)) > 0))  # ||w|| grows
    ((3, 3), True)
    >>> err = direction_error(out["w"], max_margin_directions(X, y))
    >>> bool(np.all(np.diff(err) < 0))  # while the direction approaches the max-margin one
    True
    """
    X = as_array(X, "X", ndim=(2, 3), min_size=1)
    single = X.ndim == 2
    Xb = X[None] if single else X
    y = _labels_like(y, X)
    yb = y[None] if single else y
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    check_budget("n_iter", n_operations=4.0 * n_iter * Xb.shape[0] * Xb.shape[1] * Xb.shape[2],
                 n_bytes=float(n_iter + 1), what=f"{n_iter} GD steps on data of shape {Xb.shape}")
    Z = yb[..., None] * Xb  # (S, n, d)
    if step is None:
        beta = max(float(np.linalg.norm(Zs, 2)) ** 2 / 4.0 for Zs in Z)
        step = 1.0 / beta
    step = check_positive(step, "step")
    if record is None:
        record = np.unique(np.round(np.logspace(0, np.log10(n_iter), 30)).astype(int))
    raw = np.asarray(record.detach().cpu().numpy() if hasattr(record, "detach") else record)
    if raw.ndim > 1 or raw.size == 0 or raw.dtype.kind not in "iuf" or (
            raw.dtype.kind == "f" and not np.all(raw == np.round(raw))):
        raise ValueError(f"record: expected a non-empty 1-D sequence of integer iterations, got "
                         f"{raw.dtype} of shape {raw.shape}")
    record = np.unique(raw.astype(np.int64))
    if record.min() < 0 or record.max() > n_iter:
        raise ValueError(f"record: expected iterations in [0, {n_iter}], "
                         f"got [{record.min()}, {record.max()}]")
    is_rec = np.zeros(n_iter + 1, dtype=bool)
    is_rec[record] = True
    w = np.zeros(Z.shape[::2])  # (S, d)
    out = []
    ZT = np.ascontiguousarray(np.swapaxes(Z, 1, 2))
    for t in range(n_iter + 1):
        if is_rec[t]:
            out.append(w.copy())
        if t == n_iter:
            break
        margins = np.matmul(Z, w[:, :, None])
        # 1 / (1 + e^m) = exp(-log(1 + e^m)): no overflow for large margins
        weights = np.exp(-np.logaddexp(0.0, margins))
        w = w + step * np.matmul(ZT, weights)[:, :, 0]
    W = np.stack(out)
    return {"t": record, "w": W[:, 0] if single else W, "step": step}


def _labels_like(y, X: np.ndarray) -> np.ndarray:
    """Labels in {-1, +1} of shape X.shape[:-1] (one per row of each dataset in a batch)."""
    y = as_array(y, "y")
    if y.shape != X.shape[:-1]:
        raise ValueError(f"y: expected shape {X.shape[:-1]} (one label per row of X, X of shape "
                         f"{X.shape}), got {y.shape}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"y: expected labels in {{-1, +1}}, got values {np.unique(y)[:5]}")
    return y


def direction_error(w, w_ref) -> np.ndarray:
    r"""Distance between normalised directions, :math:`\|w/\|w\| - \hat w/\|\hat w\|\|`.

    Parameters
    ----------
    w : array_like, shape (..., d)
    w_ref : array_like, shape (d,) or broadcastable to ``w``

    Examples
    --------
    >>> from analysis.implicit_reg import direction_error
    >>> float(direction_error([3.0, 0.0], [1.0, 0.0]))  # same direction, any length
    0.0
    >>> round(float(direction_error([1.0, 0.0], [0.0, 2.0])), 6)  # orthogonal: sqrt(2)
    1.414214
    >>> direction_error(np.ones((4, 2)), [1.0, 0.0]).shape  # one error per iterate
    (4,)
    """
    w = as_array(w, "w", ndim=range(1, 33), min_size=1)
    w_ref = as_array(w_ref, "w_ref", ndim=range(1, 33), min_size=1)
    try:
        np.broadcast_shapes(w.shape, w_ref.shape)
    except ValueError:
        raise ValueError(f"w_ref: expected a shape broadcastable to w's {w.shape} (same last axis "
                         f"d = {w.shape[-1]}), got {w_ref.shape}") from None
    if w_ref.shape[-1] != w.shape[-1]:
        raise ValueError(f"w_ref: expected last axis d = {w.shape[-1]} as in w, got shape {w_ref.shape}")
    nw = np.linalg.norm(w, axis=-1, keepdims=True)
    if np.any(nw == 0):
        raise ValueError("w: expected non-zero iterates (record t >= 1)")
    nref = np.linalg.norm(w_ref, axis=-1, keepdims=True)
    if np.any(nref == 0):
        raise ValueError("w_ref: expected non-zero reference directions")
    return np.linalg.norm(w / nw - w_ref / nref, axis=-1)


def max_margin_directions(X, y) -> np.ndarray:
    r"""Max-margin solutions :math:`\hat w` (unit functional margin) of each dataset in a batch.

    .. math:: \hat w = \arg\min_w \|w\|_2 \quad \text{s.t.} \quad y_i\, x_i^\top w \ge 1.

    Parameters
    ----------
    X : array_like, shape (n, d) or (S, n, d)
        Inputs (a leading axis holds S datasets).
    y : array_like, shape (n,) or (S, n)
        Labels in {-1, +1}; every dataset must be separable through the origin.

    Returns
    -------
    numpy.ndarray, shape (d,) or (S, d)

    References
    ----------
    .. [1] Soudry et al. (2018), Eq. (4).

    Examples
    --------
    >>> from analysis.implicit_reg import max_margin_directions, separable_dataset
    >>> X, y = separable_dataset(20, 3, rng=0)
    >>> w_hat = max_margin_directions(X, y)
    >>> w_hat.shape, round(float(np.min(y * (X @ w_hat))), 6)  # unit functional margin
    ((3,), 1.0)
    >>> max_margin_directions(np.stack([X, -X]), np.stack([y, y])).shape  # a batch of 2
    (2, 3)
    """
    X = as_array(X, "X", ndim=(2, 3), min_size=1)
    y = _labels_like(y, X)
    if X.ndim == 2:
        return max_margin_separator(X, y)
    return np.stack([max_margin_separator(Xs, ys) for Xs, ys in zip(X, y, strict=True)])

r"""Deep matrix factorisation for matrix completion, and its minimum-nuclear-norm reference.

Gradient descent from a small initialisation on the depth-N product
:math:`W = W_N W_{N-1} \cdots W_1` (all :math:`n \times n`) fitted to the observed entries

.. math:: \mathcal L(W_1, \dots, W_N) = \tfrac12 \sum_{(i,j) \in \Omega} (W_{ij} - M_{ij})^2,
    \qquad \nabla_{W_k} \mathcal L = (W_N \cdots W_{k+1})^\top\, P_\Omega(W - M)\,
    (W_{k-1} \cdots W_1)^\top.

Depth 1 is plain GD on W (the unobserved entries never move from their initial values); depth
2 is the matrix factorisation of Gunasekar et al. (2017), whose conjecture names the minimum
nuclear norm interpolant as the limit; Arora et al. (2019) show that depth >= 3 drives the
solution to an even lower *effective rank* than the nuclear-norm minimiser.

References
----------
.. [1] S. Arora, N. Cohen, W. Hu, Y. Luo, "Implicit Regularization in Deep Matrix
   Factorization", NeurIPS 2019, Sec. 2 (setting), Fig. 2 (depth vs reconstruction), Sec. 3
   (effective rank / singular value dynamics).
.. [2] S. Gunasekar, B. Woodworth, S. Bhojanapalli, B. Neyshabur, N. Srebro, "Implicit
   Regularization in Matrix Factorization", NeurIPS 2017, Conjecture 1.
.. [3] O. Roy, M. Vetterli, "The effective rank: a measure of effective dimensionality",
   EUSIPCO 2007 (effective rank).
"""

from __future__ import annotations

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_rng
from analysis._core.solve import solve_problem
from analysis._core.validate import as_array, check_budget, check_choice, check_int, check_positive


def effective_rank(M) -> float:
    r"""Effective rank :math:`\exp(H(p))`, :math:`p_i = \sigma_i / \sum_j \sigma_j`.

    References
    ----------
    .. [1] Roy & Vetterli (2007), Def. 1.

    Examples
    --------
    >>> from analysis.implicit_reg import effective_rank
    >>> round(effective_rank(np.eye(4)), 6), round(effective_rank(np.diag([1.0, 1.0, 0.0])), 6)
    (4.0, 2.0)
    >>> round(effective_rank(np.diag([3.0, 1.0])), 3)  # p = (3/4, 1/4): between 1 and 2
    1.755
    """
    M = as_array(M, "M", ndim=2, min_size=1)
    s = np.linalg.svd(M, compute_uv=False)
    if s.sum() == 0:
        raise ValueError("M: expected a non-zero matrix")
    p = s / s.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def completion_instance(n: int, rank: int, n_observed: int, *, rng=0):
    r"""A random rank-``rank`` square matrix of unit Frobenius norm and random observed entries.

    :math:`M = G_1 G_2^\top / \|G_1 G_2^\top\|_F` with Gaussian :math:`G_1, G_2 \in
    \mathbb R^{n \times r}` (Arora et al. 2019 normalise the ground truth to unit Frobenius norm).

    Returns
    -------
    M : (n, n) array, mask : (n, n) bool array with ``n_observed`` True entries

    Examples
    --------
    >>> from analysis.implicit_reg import completion_instance
    >>> M, mask = completion_instance(6, 2, 20, rng=0)
    >>> M.shape, int(mask.sum()), int(np.linalg.matrix_rank(M)), round(float(np.linalg.norm(M)), 12)
    ((6, 6), 20, 2, 1.0)
    """
    n = check_int(n, "n", minimum=2)
    rank = check_int(rank, "rank", minimum=1, maximum=n)
    n_observed = check_int(n_observed, "n_observed", minimum=1, maximum=n * n)
    # M (n x n float64), the mask, and the index permutation Generator.choice may draw (int64)
    check_budget("n", n_bytes=17.0 * n * n + 16.0 * n * rank, what=f"a {n} x {n} instance")
    gen = make_rng(rng, name="rng")
    M = gen.standard_normal((n, rank)) @ gen.standard_normal((n, rank)).T
    M /= np.linalg.norm(M)
    mask = np.zeros(n * n, dtype=bool)
    mask[gen.choice(n * n, size=n_observed, replace=False)] = True
    return M, mask.reshape(n, n)


def deep_mf_gd(
    M,
    mask,
    *,
    depth: int,
    init_scale: float = 1e-3,
    step: float = 0.5,
    n_iter: int = 5000,
    seed: int = 0,
    n_seeds: int = 1,
    device: str = "cpu",
    dtype: str = "float64",
    record_every: int | None = None,
) -> dict:
    r"""GD on a depth-N linear factorisation of a partially observed matrix (batched over inits).

    Parameters
    ----------
    M : array_like, shape (n, n) or (b, n, n)
        Ground truth (only its observed entries are used for training); a stack of ``b``
        instances runs as one batch (one initialisation each, ``n_seeds`` must then be 1).
    mask : array_like of bool, same shape as ``M``
        Observed entries :math:`\Omega`.
    depth : int
        Number of factors N >= 1.
    init_scale : float
        Entry standard deviation of every :math:`W_k` at initialisation (Arora et al. 2019 use
        small Gaussian initialisations, e.g. 1e-3).
    step : float
        GD step on the sum-of-squares loss above.
    n_iter : int
        Number of GD steps.
    seed : int
        Seed of the initialisations; ``n_seeds`` independent ones run as one batch.
    record_every : int, optional
        Record the loss and the singular values of :math:`W` every this many steps.

    Returns
    -------
    dict
        ``{"W": (B, n, n) end-to-end matrices, "steps", "train_loss": (B, T),
        "singular_values": (B, T, n)}`` with ``B = n_seeds`` (one instance) or ``B = b``.

    Examples
    --------
    >>> from analysis.implicit_reg import completion_instance, deep_mf_gd, effective_rank
    >>> M, mask = completion_instance(6, 1, 20, rng=0)  # rank 1, 20 of 36 entries seen
    >>> out = deep_mf_gd(M, mask, depth=3, init_scale=1e-2, n_iter=400, record_every=200)
    >>> out["W"].shape, out["steps"].tolist(), out["train_loss"].shape
    ((1, 6, 6), [0, 200, 400], (1, 3))
    >>> round(effective_rank(out["W"][0]), 2), bool(np.linalg.norm(out["W"][0] - M) < 0.1)
    (1.0, True)
    """
    import torch

    M = as_array(M, "M", ndim=(2, 3), min_size=1)
    n = M.shape[-1]
    if M.shape[-2:] != (n, n):
        raise ValueError(f"M: expected square matrices, got shape {M.shape}")
    mask = _check_mask(mask, M)
    if not mask.reshape(-1, n * n).any(axis=1).all():
        raise ValueError("mask: expected at least one observed entry")
    depth = check_int(depth, "depth", minimum=1)
    init_scale = check_positive(init_scale, "init_scale")
    step = check_positive(step, "step")
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    if M.ndim == 3:
        if n_seeds != 1:
            raise ValueError(f"n_seeds: expected 1 with a stack of instances M, got {n_seeds}")
        n_seeds = M.shape[0]  # one initialisation per instance
    record_every = n_iter if record_every is None else check_int(record_every, "record_every", minimum=1)
    n_rec = n_iter // record_every + 2
    # the factors, their prefix products and gradients (3 per layer) and the records; per step
    # 3 matrix products of 2 n^3 flops per layer (prefix, suffix, gradient) and the SVD records
    check_budget("n_seeds, depth, n_iter, record_every",
                 n_bytes=8.0 * n_seeds * n * (n * (3 * depth + 4) + n_rec * (n + 1)),
                 what=f"{depth} factors of {n_seeds} x {n} x {n} and {n_rec} records")
    check_budget("n_iter, depth, n_seeds", n_operations=6.0 * n_iter * depth * n_seeds * n**3,
                 what=f"{n_iter} GD steps on {n_seeds} depth-{depth} factorisations of size {n}")
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = make_rng(seed)
    Ws = [torch.as_tensor(init_scale * gen.standard_normal((n_seeds, n, n)), dtype=dt, device=dev)
          for _ in range(depth)]
    Mt = torch.as_tensor(M, dtype=dt, device=dev)
    P = torch.as_tensor(mask, dtype=dt, device=dev)
    steps, losses, svals = [], [], []
    for t in range(n_iter + 1):
        # prefix[k] = W_k ... W_1 (prefix[0] = I); the end-to-end matrix is prefix[depth]
        prefix = [None]
        for W in Ws:
            prefix.append(W if prefix[-1] is None else W @ prefix[-1])
        E = P * (prefix[-1] - Mt)
        if not bool(torch.isfinite(E).all()):
            raise ValueError(f"step: gradient descent diverged with step={step:g} by iteration {t}; "
                             "use a smaller step")
        if t % record_every == 0 or t == n_iter:
            steps.append(t)
            losses.append(0.5 * (E**2).sum(dim=(1, 2)).cpu().numpy())
            svals.append(torch.linalg.svdvals(prefix[-1]).cpu().numpy())
        if t == n_iter:
            break
        grads, suffix = [None] * depth, None  # suffix = W_N ... W_{k+1}
        for k in range(depth - 1, -1, -1):
            left = E if suffix is None else suffix.transpose(-2, -1) @ E
            grads[k] = left if prefix[k] is None else left @ prefix[k].transpose(-2, -1)
            suffix = Ws[k] if suffix is None else suffix @ Ws[k]
        Ws = [W - step * g for W, g in zip(Ws, grads, strict=True)]
    W_end = prefix[-1].cpu().numpy()
    return {"W": W_end, "steps": np.asarray(steps), "train_loss": np.stack(losses, axis=1),
            "singular_values": np.stack(svals, axis=1)}


def _check_mask(mask, M: np.ndarray) -> np.ndarray:
    """The observed-entry mask as a bool array of M's shape (torch tensors accepted)."""
    if hasattr(mask, "detach") and hasattr(mask, "cpu"):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask)
    if mask.shape != M.shape or mask.dtype != bool:
        raise ValueError(f"mask: expected a boolean array of shape {M.shape} (the shape of M), "
                         f"got {mask.dtype} of shape {mask.shape}")
    return mask


def min_nuclear_norm_completion(M, mask, *, solver: str = "SCS", eps: float = 1e-7) -> np.ndarray:
    r"""Minimum nuclear norm matrix agreeing with ``M`` on the observed entries (cvxpy).

    .. math:: \hat W = \arg\min_W \|W\|_* \quad \text{s.t.} \quad W_{ij} = M_{ij},\; (i,j) \in \Omega.

    Parameters
    ----------
    M : array_like, shape (n1, n2)
        Matrix whose observed entries are matched (the others are ignored).
    mask : array_like of bool, same shape as ``M``
        Observed entries :math:`\Omega` (at least one).
    solver : {"SCS", "CLARABEL"}
        cvxpy solver (both solve SDPs); SCS by default (the nuclear norm is an SDP of size 2n;
        the workbench convention reserves SCS for large SDPs), Clarabel for small n when
        accuracy matters.
    eps : float
        SCS tolerance (``eps_abs`` = ``eps_rel``), > 0; unused by Clarabel.

    References
    ----------
    .. [1] Gunasekar et al. (2017), Conjecture 1; E. Candes, B. Recht, "Exact matrix completion
       via convex optimization", Found. Comput. Math. 9, 2009.

    Examples
    --------
    >>> from analysis.implicit_reg import completion_instance, min_nuclear_norm_completion
    >>> M, mask = completion_instance(6, 2, 20, rng=0)
    >>> W = min_nuclear_norm_completion(M, mask, solver="CLARABEL")
    >>> W.shape, bool(np.allclose(W[mask], M[mask], atol=1e-7))  # interpolates the observed entries
    ((6, 6), True)
    >>> bool(np.linalg.norm(W, "nuc") <= np.linalg.norm(M, "nuc") + 1e-7)  # M is feasible
    True
    """
    import cvxpy as cp

    M = as_array(M, "M", ndim=2, min_size=1)
    mask = _check_mask(mask, M)
    solver = check_choice(solver, "solver", ("SCS", "CLARABEL"))
    eps = check_positive(eps, "eps")
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ValueError("mask: expected at least one observed entry")
    # the minimiser is positively homogeneous in M: solve for M / s with s = max |M_ij| over the
    # observed entries, so the solvers' absolute tolerances act on O(1) numbers at any scale
    scale = float(np.abs(M[rows, cols]).max())
    if scale == 0:
        return np.zeros_like(M)
    W = cp.Variable(M.shape)
    problem = cp.Problem(cp.Minimize(cp.normNuc(W)), [W[rows, cols] == M[rows, cols] / scale])
    opts = {"eps_abs": eps, "eps_rel": eps, "max_iters": 100_000} if solver == "SCS" else {}
    solve_problem(problem, solver, what="min-nuclear-norm completion", **opts)
    return scale * np.asarray(W.value)

r"""The t-product algebra of third-order tensors (Kilmer & Martin), numpy and torch.

A real tensor :math:`A \in \mathbb R^{n_1 \times n_2 \times k}` is read as an
:math:`n_1 \times n_2` matrix whose entries are *tubes* of length ``k``. Tubes multiply by
circular convolution, so the t-product is block-diagonalised by the discrete Fourier transform
along the tube axis:

.. math::

    \widehat{A * B}^{(\ell)} = \hat A^{(\ell)} \hat B^{(\ell)}, \qquad
    \hat A = \mathrm{fft}(A, \text{axis}=2), \quad \ell = 0, \dots, k-1.

For real tensors the slices satisfy :math:`\hat A^{(k-\ell)} = \overline{\hat A^{(\ell)}}`, so
only the ``k // 2 + 1`` slices of ``rfft`` are independent; every routine here works on those.

Conventions: a tensor has shape ``(..., n1, n2, k)`` (leading axes are a batch, e.g. seeds);
Fourier slices are returned with shape ``(..., k // 2 + 1, n1, n2)`` so that ``@`` multiplies
them page-wise. Every function accepts a numpy array or a torch tensor and returns the same
kind (torch results stay on the input's device and dtype).

References
----------
.. [1] M. E. Kilmer, C. D. Martin, "Factorization strategies for third-order tensors", Linear
   Algebra Appl. 435, 2011 (t-product, t-transpose, identity, t-SVD; Thm 4.1).
.. [2] S. Karnik, A. Veselovska, M. Iwen, F. Krahmer, "Implicit Regularization for Tubal Tensor
   Factorizations via Gradient Descent", ICML 2025, Sec. 2 (notation, tubal rank, principal
   angles between tubal subspaces).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from analysis._core.validate import check_budget, check_int, check_real

__all__ = [
    "TSVD",
    "block_circulant",
    "fold",
    "from_fourier",
    "t_product",
    "t_product_block_circulant",
    "t_svd",
    "t_transpose",
    "t_identity",
    "to_fourier",
    "tubal_principal_angle",
    "tubal_rank",
    "tubal_singular_values",
    "unfold",
]


def _is_torch(x: object) -> bool:
    return hasattr(x, "detach") and hasattr(x, "device") and hasattr(x, "dtype")


def check_tensor(x: object, name: str, *, min_ndim: int = 3):
    """Validate a real third-order tensor (possibly batched) without changing its kind.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Tensor of shape ``(..., n1, n2, k)``.
    name : str
        Argument name for error messages.
    min_ndim : int
        Minimum number of axes (3: one tensor; more: a batch).

    Returns
    -------
    numpy.ndarray (float64) or torch.Tensor
        The input as a float array (torch tensors are returned unchanged after the checks).
    """
    if _is_torch(x):
        import torch

        if x.is_complex() or not x.is_floating_point():
            raise ValueError(f"{name}: expected a real floating tensor, got dtype {x.dtype}")
        if x.ndim < min_ndim:
            raise ValueError(f"{name}: expected at least {min_ndim} axes (..., n1, n2, k), "
                             f"got shape {tuple(x.shape)}")
        if x.numel() == 0:
            raise ValueError(f"{name}: expected a non-empty tensor, got shape {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name}: expected finite values, got NaN or infinite entries")
        return x
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a numeric array, got {type(x).__name__}") from exc
    if np.iscomplexobj(arr):
        raise ValueError(f"{name}: expected a real tensor, got complex dtype {arr.dtype}")
    try:
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a numeric array, got dtype {arr.dtype}") from exc
    if arr.ndim < min_ndim:
        raise ValueError(f"{name}: expected at least {min_ndim} axes (..., n1, n2, k), "
                         f"got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty tensor, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values, got NaN or infinite entries")
    return arr


def _check_same_kind(a, b, name_a: str, name_b: str) -> None:
    """Both numpy or both torch: the result's kind follows the inputs, so mixing is refused."""
    kinds = {True: "a torch tensor", False: "a numpy array"}
    if _is_torch(a) != _is_torch(b):
        raise ValueError(f"{name_b}: expected the same kind as {name_a} (both numpy or both torch), "
                         f"got {kinds[_is_torch(b)]} with {kinds[_is_torch(a)]} for {name_a}")


def to_fourier(A):
    r"""Independent Fourier slices of a real tensor: ``rfft`` along the tube axis.

    .. math:: \hat A^{(\ell)} = \sum_{j=0}^{k-1} A_{:, :, j}\, e^{-2\pi i j \ell / k},
        \quad \ell = 0, \dots, \lfloor k/2 \rfloor.

    Parameters
    ----------
    A : array_like or torch.Tensor, shape (..., n1, n2, k)

    Returns
    -------
    complex array or tensor, shape (..., k // 2 + 1, n1, n2)
    """
    A = check_tensor(A, "A")
    if _is_torch(A):
        import torch

        return torch.movedim(torch.fft.rfft(A, dim=-1), -1, -3)
    return np.moveaxis(np.fft.rfft(A, axis=-1), -1, -3)


def from_fourier(A_hat, k: int):
    """Inverse of :func:`to_fourier`: real tensor of shape ``(..., n1, n2, k)``.

    Parameters
    ----------
    A_hat : complex array or tensor, shape (..., k // 2 + 1, n1, n2)
        Independent Fourier slices (the conjugate-symmetric half).
    k : int
        Tube length (needed because ``k`` and ``k + 1`` share ``k // 2 + 1``).
    """
    k = check_int(k, "k", minimum=1)
    if A_hat.shape[-3] != k // 2 + 1:
        raise ValueError(f"A_hat: expected {k // 2 + 1} Fourier slices for k={k}, got {A_hat.shape[-3]}")
    if _is_torch(A_hat):
        import torch

        return torch.fft.irfft(torch.movedim(A_hat, -3, -1), n=k, dim=-1)
    return np.fft.irfft(np.moveaxis(A_hat, -3, -1), n=k, axis=-1)


def t_product(A, B):
    r"""The t-product :math:`A * B` of ``(..., n1, n2, k)`` and ``(..., n2, n3, k)`` tensors.

    .. math::

        (A * B)_{:, :, j} = \sum_{i=0}^{k-1} A_{:, :, (j - i) \bmod k}\, B_{:, :, i}
        = \mathrm{ifft}\big(\hat A^{(\ell)} \hat B^{(\ell)}\big),

    computed with ``rfft`` (only ``k // 2 + 1`` page-wise products).

    Returns
    -------
    array or tensor, shape (..., n1, n3, k)

    References
    ----------
    .. [1] Kilmer & Martin (2011), Def. 3.1 and Eq. (3.1).

    Examples
    --------
    >>> from analysis.implicit_reg import t_product
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 5, 4))
    >>> C = t_product(A, B)
    >>> C.shape, bool(np.allclose(C[:, :, 1], sum(A[:, :, (1 - i) % 4] @ B[:, :, i] for i in range(4))))
    ((2, 5, 4), True)
    """
    A = check_tensor(A, "A")
    B = check_tensor(B, "B")
    _check_same_kind(A, B, "A", "B")
    if A.shape[-2] != B.shape[-3] or A.shape[-1] != B.shape[-1]:
        raise ValueError(
            f"B: expected shape (..., {A.shape[-2]}, n3, {A.shape[-1]}) to match A of shape "
            f"{tuple(A.shape)}, got {tuple(B.shape)}"
        )
    return from_fourier(to_fourier(A) @ to_fourier(B), A.shape[-1])


def t_transpose(A):
    r"""The t-transpose: transpose every frontal slice and reverse the order of slices 2..k.

    .. math:: (A^\top)_{:, :, 0} = A_{:, :, 0}^\top, \qquad
        (A^\top)_{:, :, j} = A_{:, :, k - j}^\top \quad (j = 1, \dots, k-1),

    so that :math:`\widehat{A^\top}^{(\ell)} = (\hat A^{(\ell)})^{\mathsf H}` and
    :math:`(A * B)^\top = B^\top * A^\top`.

    References
    ----------
    .. [1] Kilmer & Martin (2011), Def. 3.14.

    Examples
    --------
    >>> from analysis.implicit_reg import t_product, t_transpose
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 5, 4))
    >>> t_transpose(A).shape
    (3, 2, 4)
    >>> bool(np.allclose(t_transpose(t_product(A, B)), t_product(t_transpose(B), t_transpose(A))))
    True
    """
    A = check_tensor(A, "A")
    k = A.shape[-1]
    order = [(-j) % k for j in range(k)]
    if _is_torch(A):
        import torch

        idx = torch.as_tensor(order, device=A.device)
        return torch.index_select(A, -1, idx).transpose(-3, -2)
    return np.swapaxes(A[..., order], -3, -2)


def t_identity(n: int, k: int, *, like=None):
    r"""The identity tensor: :math:`I_n` in the first frontal slice, zeros elsewhere.

    Every Fourier slice of it is :math:`I_n`, so :math:`I * A = A * I = A`.

    Parameters
    ----------
    n, k : int
        Size of the slices and tube length.
    like : numpy.ndarray or torch.Tensor, optional
        Return a torch tensor on ``like``'s device and dtype when ``like`` is a torch tensor;
        a float64 numpy array otherwise.

    References
    ----------
    .. [1] Kilmer & Martin (2011), Def. 3.4.

    Examples
    --------
    >>> from analysis.implicit_reg import t_identity, t_product
    >>> A = np.random.default_rng(0).standard_normal((3, 2, 4))
    >>> eye = t_identity(3, 4)
    >>> eye.shape, bool(np.allclose(t_product(eye, A), A))
    ((3, 3, 4), True)
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    check_budget("n, k", n_bytes=8.0 * n * n * k, what=f"an identity tensor of shape ({n}, {n}, {k})")
    eye = np.zeros((n, n, k))
    eye[:, :, 0] = np.eye(n)
    if like is not None and _is_torch(like):
        import torch

        return torch.as_tensor(eye, dtype=like.dtype, device=like.device)
    return eye


class TSVD(NamedTuple):
    r"""The economy t-SVD :math:`A = U * S * V^\top` and the per-Fourier-slice singular values.

    Attributes
    ----------
    U : (..., n1, p, k) with orthonormal tubal columns (:math:`U^\top * U = I_p`), p = min(n1, n2).
    S : (..., p, p, k) f-diagonal (every frontal slice diagonal).
    V : (..., n2, p, k) with :math:`V^\top * V = I_p`.
    slice_singular_values : (..., k // 2 + 1, p) descending singular values of each independent
        Fourier slice :math:`\hat A^{(\ell)}` (the "tubal singular values" in the Fourier domain).
    """

    U: object
    S: object
    V: object
    slice_singular_values: object


def t_svd(A) -> TSVD:
    r"""Economy t-SVD by an SVD of every independent Fourier slice.

    .. math:: \hat A^{(\ell)} = \hat U^{(\ell)} \hat \Sigma^{(\ell)} \hat V^{(\ell)\mathsf H}
        \;\Longrightarrow\; A = U * S * V^\top.

    Slices 0 and k/2 (k even) are real, so their singular vectors are real and the inverse
    ``irfft`` returns real factors.

    References
    ----------
    .. [1] Kilmer & Martin (2011), Thm 4.1 and Alg. T-SVD.

    Examples
    --------
    >>> from analysis.implicit_reg import t_identity, t_product, t_svd, t_transpose
    >>> A = np.random.default_rng(0).standard_normal((4, 3, 5))
    >>> U, S, V, s = t_svd(A)
    >>> U.shape, S.shape, V.shape, s.shape  # p = min(4, 3) = 3; 5 // 2 + 1 = 3 Fourier slices
    ((4, 3, 5), (3, 3, 5), (3, 3, 5), (3, 3))
    >>> bool(np.allclose(t_product(t_product(U, S), t_transpose(V)), A))
    True
    >>> bool(np.allclose(t_product(t_transpose(U), U), t_identity(3, 5)))  # U^T * U = I
    True
    """
    A = check_tensor(A, "A")
    k = A.shape[-1]
    A_hat = to_fourier(A)
    if _is_torch(A):
        import torch

        U_hat, s, Vh_hat = torch.linalg.svd(A_hat, full_matrices=False)
        S_hat = torch.diag_embed(s).to(A_hat.dtype)
        V_hat = Vh_hat.conj().transpose(-2, -1)
    else:
        U_hat, s, Vh_hat = np.linalg.svd(A_hat, full_matrices=False)
        S_hat = np.zeros(s.shape + s.shape[-1:], dtype=A_hat.dtype)
        idx = np.arange(s.shape[-1])
        S_hat[..., idx, idx] = s
        V_hat = np.conj(np.swapaxes(Vh_hat, -2, -1))
    return TSVD(from_fourier(U_hat, k), from_fourier(S_hat, k), from_fourier(V_hat, k), s)


def tubal_singular_values(A):
    r"""Singular values of every independent Fourier slice, shape ``(..., k // 2 + 1, p)``.

    .. math:: \sigma_i^{(\ell)}(A) = \sigma_i\big(\hat A^{(\ell)}\big), \qquad
        \ell = 0, \dots, \lfloor k/2 \rfloor,

    with the unnormalised DFT (so the tubal singular values of a t-orthogonal tensor are 1).

    References
    ----------
    .. [1] Karnik et al. (2025), Sec. 2 (tubal singular values in the Fourier domain).

    Examples
    --------
    >>> from analysis.implicit_reg import t_identity, tubal_singular_values
    >>> tubal_singular_values(np.random.default_rng(0).standard_normal((4, 3, 5))).shape
    (3, 3)
    >>> tubal_singular_values(t_identity(2, 4))  # every Fourier slice of the identity is I
    array([[1., 1.],
           [1., 1.],
           [1., 1.]])
    """
    A = check_tensor(A, "A")
    A_hat = to_fourier(A)
    if _is_torch(A):
        import torch

        return torch.linalg.svdvals(A_hat)
    return np.linalg.svd(A_hat, compute_uv=False)


def tubal_rank(A, tol: float | None = None) -> int:
    r"""Tubal rank: the largest rank of a Fourier slice.

    .. math:: \operatorname{rank}_t(A) = \max_\ell \#\{i : \sigma_i(\hat A^{(\ell)}) > \mathrm{tol}\}.

    Parameters
    ----------
    A : array_like or torch.Tensor, shape (n1, n2, k)
        One tensor (no batch axes).
    tol : float, optional
        Threshold on the singular values; default ``max(n1, n2) * k * eps * sigma_max``, the
        round-off level of the FFT followed by an SVD.

    References
    ----------
    .. [1] Kilmer, Braman, Hao, Hoover (2013), SIAM J. Matrix Anal. Appl. 34, Def. 2.6.

    Examples
    --------
    >>> from analysis.implicit_reg import t_product, tubal_rank
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((4, 1, 5)), rng.standard_normal((1, 3, 5))
    >>> tubal_rank(t_product(A, B)), tubal_rank(rng.standard_normal((4, 3, 5)))
    (1, 3)
    """
    A = check_tensor(A, "A")
    if A.ndim != 3:
        raise ValueError(f"A: expected one tensor of shape (n1, n2, k), got shape {tuple(A.shape)}")
    s = tubal_singular_values(A)
    s = s.detach().cpu().numpy() if _is_torch(s) else np.asarray(s)
    if tol is None:
        tol = max(A.shape[0], A.shape[1]) * A.shape[2] * np.finfo(np.float64).eps * float(s.max())
    else:
        tol = check_real(tol, "tol", minimum=0.0)
    return int((s > tol).sum(axis=-1).max())


def _orthonormal_slices(X_hat, name: str):
    """Orthonormal bases (per Fourier slice) of the column spans of ``X_hat``; error if deficient."""
    if _is_torch(X_hat):
        import torch

        Q, R = torch.linalg.qr(X_hat)
        diag = torch.diagonal(R, dim1=-2, dim2=-1).abs()
        scale = torch.linalg.matrix_norm(X_hat, ord=2)
        ok = bool((diag > 1e-10 * scale.unsqueeze(-1)).all())
    else:
        Q, R = np.linalg.qr(X_hat)
        diag = np.abs(np.diagonal(R, axis1=-2, axis2=-1))
        scale = np.linalg.norm(X_hat, ord=2, axis=(-2, -1))
        ok = bool(np.all(diag > 1e-10 * scale[..., None]))
    if not ok:
        raise ValueError(f"{name}: expected tubal columns of full rank in every Fourier slice")
    return Q


def tubal_principal_angle(U, V):
    r"""Sine of the largest principal angle between two tubal subspaces.

    For the tubal column spaces of ``U`` (n x r x k) and ``V`` (n x r' x k), with
    :math:`Q_U^{(\ell)}, Q_V^{(\ell)}` orthonormal bases of the Fourier slices,

    .. math::

        \sin\theta(U, V) = \max_{\ell}
        \big\| (I - Q_V^{(\ell)} Q_V^{(\ell)\mathsf H})\, Q_U^{(\ell)} \big\|_2
        = \big\| V_{\perp}^\top * Q_U \big\|,

    the largest sine of the principal angles over all Fourier slices (the conjugate slices give
    the same values, so the independent ``rfft`` half suffices).

    Parameters
    ----------
    U, V : array_like or torch.Tensor, shape (..., n, r, k) and (..., n, r', k)
        Bases of the two tubal subspaces (orthonormalised here; need full column rank per slice).

    Returns
    -------
    float or array / tensor of shape ``(...)``
        In [0, 1]; 0 iff span(U) is contained in span(V) slice by slice.

    References
    ----------
    .. [1] Karnik et al. (2025), Sec. 2 and Fig. 2 (the quantity
       :math:`\|V_{L^\perp}^\top * V_{L_t}\|`).

    Examples
    --------
    >>> from analysis.implicit_reg import t_product, tubal_principal_angle
    >>> rng = np.random.default_rng(0)
    >>> U = rng.standard_normal((5, 2, 3))
    >>> same_span = t_product(U, rng.standard_normal((2, 2, 3)))  # another basis of span(U)
    >>> bool(tubal_principal_angle(U, same_span) < 1e-12)
    True
    >>> 0 < tubal_principal_angle(U, rng.standard_normal((5, 2, 3))) <= 1
    True
    """
    U = check_tensor(U, "U")
    V = check_tensor(V, "V")
    _check_same_kind(U, V, "U", "V")
    if U.shape[-3] != V.shape[-3] or U.shape[-1] != V.shape[-1]:
        raise ValueError(f"V: expected shape (..., {U.shape[-3]}, r', {U.shape[-1]}), "
                         f"got {tuple(V.shape)}")
    Qu = _orthonormal_slices(to_fourier(U), "U")
    Qv = _orthonormal_slices(to_fourier(V), "V")
    return principal_angle_fourier(Qu, Qv)


def principal_angle_fourier(Qu, Qv):
    r"""Largest principal-angle sine between orthonormal Fourier-slice bases (no checks).

    .. math:: \max_\ell \|(I - Q_V^{(\ell)} Q_V^{(\ell)\mathsf H}) Q_U^{(\ell)}\|_2

    Parameters
    ----------
    Qu, Qv : complex arrays or tensors, shape (..., k', n, r) and (..., k', n, r')
        Orthonormal columns in every slice.
    """
    if _is_torch(Qu):
        import torch

        resid = Qu - Qv @ (Qv.conj().transpose(-2, -1) @ Qu)
        return torch.linalg.matrix_norm(resid, ord=2).amax(dim=-1).clamp(max=1.0)
    resid = Qu - Qv @ (np.conj(np.swapaxes(Qv, -2, -1)) @ Qu)
    out = np.minimum(np.linalg.norm(resid, ord=2, axis=(-2, -1)).max(axis=-1), 1.0)
    return float(out) if np.ndim(out) == 0 else out


# ---------------------------------------------------------------------------------------------
# Block-circulant reference (independent of the FFT route)
# ---------------------------------------------------------------------------------------------


def block_circulant(A) -> np.ndarray:
    r"""The block-circulant matrix :math:`\mathrm{bcirc}(A) \in \mathbb R^{n_1 k \times n_2 k}`.

    .. math:: \mathrm{bcirc}(A)_{[i, j]} = A_{:, :, (i - j) \bmod k}
        \quad (\text{block } (i, j),\; i, j = 0..k-1).

    References
    ----------
    .. [1] Kilmer & Martin (2011), Eq. (2.1).

    Examples
    --------
    >>> from analysis.implicit_reg import block_circulant, t_product
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 5, 4))
    >>> block_circulant(A).shape  # (n1 k, n2 k)
    (8, 12)
    >>> bool(np.allclose(block_circulant(t_product(A, B)), block_circulant(A) @ block_circulant(B)))
    True
    """
    A = check_tensor(A, "A")
    if _is_torch(A):
        A = A.detach().cpu().numpy().astype(np.float64)
    if A.ndim != 3:
        raise ValueError(f"A: expected one tensor of shape (n1, n2, k), got shape {A.shape}")
    n1, n2, k = A.shape
    check_budget("A", n_bytes=8.0 * n1 * k * n2 * k,
                 what=f"a block-circulant matrix of shape ({n1 * k}, {n2 * k})")
    out = np.empty((n1 * k, n2 * k))
    for i in range(k):
        for j in range(k):
            out[i * n1:(i + 1) * n1, j * n2:(j + 1) * n2] = A[:, :, (i - j) % k]
    return out


def unfold(A) -> np.ndarray:
    """Stack the frontal slices of an (n1, n2, k) tensor vertically: an (n1 k, n2) matrix."""
    A = check_tensor(A, "A")
    if _is_torch(A):
        A = A.detach().cpu().numpy().astype(np.float64)
    if A.ndim != 3:
        raise ValueError(f"A: expected one tensor of shape (n1, n2, k), got shape {A.shape}")
    return np.concatenate([A[:, :, j] for j in range(A.shape[2])], axis=0)


def fold(M, k: int) -> np.ndarray:
    """Inverse of :func:`unfold`: an (n1 k, n2) matrix back to an (n1, n2, k) tensor."""
    k = check_int(k, "k", minimum=1)
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] % k:
        raise ValueError(f"M: expected a 2-D array with a multiple of k={k} rows, got shape {M.shape}")
    n1 = M.shape[0] // k
    return np.stack([M[j * n1:(j + 1) * n1] for j in range(k)], axis=2)


def t_product_block_circulant(A, B) -> np.ndarray:
    r"""Reference t-product by its definition through the block-circulant matrix (no FFT).

    .. math:: A * B = \mathrm{fold}(\mathrm{bcirc}(A)\, \mathrm{unfold}(B)),
        \quad \text{dense, } O(n_1 n_2 n_3 k^2).

    References
    ----------
    .. [1] Kilmer & Martin (2011), Def. 3.1.

    Examples
    --------
    >>> from analysis.implicit_reg import t_product, t_product_block_circulant
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 5, 4))
    >>> bool(np.allclose(t_product_block_circulant(A, B), t_product(A, B)))  # no FFT, same product
    True
    """
    A = check_tensor(A, "A")
    B = check_tensor(B, "B")
    for name, T in (("A", A), ("B", B)):
        if T.ndim != 3:
            raise ValueError(f"{name}: expected one tensor of shape (n1, n2, k) (no batch axes in the "
                             f"block-circulant reference), got shape {tuple(T.shape)}")
    if A.shape[1] != B.shape[0] or A.shape[2] != B.shape[2]:
        raise ValueError(f"B: expected shape ({A.shape[1]}, n3, {A.shape[2]}) for A of shape "
                         f"{tuple(A.shape)}, got {tuple(B.shape)}")
    return fold(block_circulant(A) @ unfold(B), A.shape[2])

"""Symbolic (sympy) derivations behind the geometry claims, for a general number of classes C.

Each function returns the symbolic residual of an identity (zero when the identity holds);
``proofs_checks/`` asserts that the residuals simplify to zero, and the claims ledger registers
the same derivations.
"""

from __future__ import annotations

import sympy as sp


def centred_frame_residuals(centring: sp.Expr | None = None) -> dict[str, sp.Expr]:
    r"""Residuals of "a centred, normalised orthogonal frame is a simplex ETF", for symbolic C.

    Rows :math:`v_c = e_c - m\mathbf{1}` with :math:`m = 1/C` (the mean of the frame). Then

    .. math::

        \langle v_i, v_j\rangle = \delta_{ij} - 2m + C m^2 = \delta_{ij} - \tfrac1C,

    so :math:`\|v_c\|^2 = (C-1)/C`, the cosine of a distinct pair is
    :math:`-\tfrac{1/C}{(C-1)/C} = -\tfrac{1}{C-1}`, and :math:`\sum_c v_c = \mathbf 1 - C m
    \mathbf 1 = 0`.

    Parameters
    ----------
    centring : sympy expression, optional
        The subtracted constant m as a function of the symbol ``C`` (default ``1/C``); a wrong
        value makes the residuals non-zero (used to show the check can fail).

    Returns
    -------
    dict
        ``{"norm_sq", "cosine", "sum"}``: residuals that vanish identically in C.
    """
    C = sp.Symbol("C", positive=True, integer=True)
    m = sp.Integer(1) / C if centring is None else centring.subs(sp.Symbol("C"), C)
    # Inner products of v_i = e_i - m 1 for i == j and i != j, summed coordinate-wise:
    # coordinate i contributes (1 - m)(delta - m) etc.; closed forms below follow from
    # <e_i, e_j> = delta_ij, <e_i, 1> = 1, <1, 1> = C.
    same = 1 - 2 * m + C * m**2
    diff = 0 - 2 * m + C * m**2
    total = 1 - C * m  # every coordinate of sum_c v_c equals 1 - C m
    return {
        "norm_sq": sp.simplify(same - (C - 1) / C),
        "cosine": sp.simplify(diff / same + 1 / (C - 1)),
        "sum": sp.simplify(total),
    }


def residual_magnitude(residuals: dict[str, sp.Expr], c_values=range(2, 51)) -> float:
    """Largest absolute value of the residuals at the given integer C (0 when all vanish)."""
    C = sp.Symbol("C", positive=True, integer=True)
    worst = 0.0
    for expr in residuals.values():
        if expr == 0:
            continue
        for c in c_values:
            worst = max(worst, abs(float(expr.subs(C, c))))
        worst = max(worst, 1.0) if worst == 0.0 else worst  # non-zero symbolically: a failure
    return worst


def label_smoothing_residual(n_classes: int | None = 4, *, wrong_sign: bool = False) -> sp.Expr:
    r"""Residual of the label-smoothing identity, for K explicit logits (symbolic).

    With :math:`p = \mathrm{softmax}(z)`, :math:`q = (1-\alpha)e_y + \frac{\alpha}{K}\mathbf 1`:

    .. math::

        -\sum_k q_k \log p_k = \mathrm{CE}(z, y) + \alpha\,(z_y - \bar z),
        \qquad \bar z = \tfrac1K \textstyle\sum_k z_k ,

    because :math:`-\log p_k = \log\sum_j e^{z_j} - z_k` and :math:`\sum_k q_k = 1`.
    The same step with :math:`z_y` replaced by :math:`\max_k z_k` defines MaxSup
    (Zhou et al., 2025). The residual is returned for the target class ``y = 0``; every other
    target follows by relabelling the symbols.

    Parameters
    ----------
    n_classes : int
        K >= 2 (explicit symbols :math:`z_0..z_{K-1}`).
    wrong_sign : bool
        Use :math:`-\alpha` in the right-hand side (a wrong identity, to show the check fails).

    Returns
    -------
    sympy.Expr
        The simplified difference of the two sides (zero when the identity holds).
    """
    K = int(n_classes)
    if K < 2:
        raise ValueError(f"n_classes: expected an integer >= 2, got {n_classes}")
    z = sp.symbols(f"z0:{K}", real=True)
    alpha = sp.Symbol("alpha", real=True)
    lse = sp.log(sum(sp.exp(zk) for zk in z))
    q = [(1 - alpha) * (1 if k == 0 else 0) + alpha / K for k in range(K)]
    smoothed = sum(q[k] * (lse - z[k]) for k in range(K))  # -sum q_k log p_k
    ce = lse - z[0]
    sign = -1 if wrong_sign else 1
    rhs = ce + sign * alpha * (z[0] - sum(z) / K)
    return sp.simplify(sp.expand(smoothed - rhs))


def label_smoothing_residual_general_k() -> sp.Expr:
    r"""The same identity with K symbolic: sums written with the totals :math:`S = \sum_k z_k`.

    :math:`-\sum_k q_k\log p_k = L - (1-\alpha) z_y - \frac{\alpha}{K} S` with
    :math:`L = \log\sum_j e^{z_j}`, compared with :math:`(L - z_y) + \alpha(z_y - S/K)`.
    """
    K = sp.Symbol("K", positive=True, integer=True)
    L, z_y, S, alpha = sp.symbols("L z_y S alpha", real=True)
    # sum_k q_k (L - z_k) = L * sum_k q_k - sum_k q_k z_k, with sum_k q_k = (1 - alpha) + alpha
    smoothed = L * ((1 - alpha) + alpha) - ((1 - alpha) * z_y + alpha / K * S)
    return sp.simplify(smoothed - ((L - z_y) + alpha * (z_y - S / K)))

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

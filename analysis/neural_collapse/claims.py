"""Claims of the neural-collapse topic (registered in the ledger on import)."""

from __future__ import annotations

import numpy as np

from analysis._core.claims import ClaimResult, claim
from analysis._core.rng import make_rng
from analysis.neural_collapse import proofs
from analysis.neural_collapse.geometry import (
    cosine_matrix,
    etf_gram,
    orthogonal_frame,
    simplex_etf,
)

_SOURCE_ETF = "Papyan, Han & Donoho (2020), PNAS, Def. 1 (simplex ETF)"
_ROUNDOFF = "float64 round-off: entries are O(1) sums of C <= 50 terms, so errors stay below 1e-12"


def _random_etf(seed: int, broken: bool) -> tuple[np.ndarray, int]:
    rng = make_rng(seed)
    C = int(rng.integers(2, 51))
    d = int(C - 1 + rng.integers(0, 10))
    M = simplex_etf(C, d, rng=rng)
    if broken:
        # A frame that is off by a small rotation of one vector: no longer equiangular.
        M = M.copy()
        M[0] = M[0] + 1e-6 * rng.standard_normal(d)
    return M, C


@claim(
    id="nc.etf.pairwise_cosine",
    topic="neural_collapse",
    source=_SOURCE_ETF,
    statement="Simplex-ETF vectors have unit norm and pairwise cosine exactly -1/(C-1).",
    tolerance_reason=_ROUNDOFF,
)
def check_etf_pairwise_cosine(seed: int, broken: bool = False) -> ClaimResult:
    M, C = _random_etf(seed, broken)
    cos = cosine_matrix(M)
    off = ~np.eye(C, dtype=bool)
    err = max(np.abs(cos[off] + 1.0 / (C - 1)).max(), np.abs(np.linalg.norm(M, axis=1) - 1).max())
    return ClaimResult(-err, 1e-12, f"C={C}: max |cos + 1/(C-1)|, |norm - 1| = {err:.2e}")


@claim(
    id="nc.etf.gram_identity",
    topic="neural_collapse",
    source=_SOURCE_ETF,
    statement="The simplex ETF satisfies M M^T = C/(C-1) (I - 11^T/C) and sums to zero.",
    tolerance_reason=_ROUNDOFF,
)
def check_etf_gram_identity(seed: int, broken: bool = False) -> ClaimResult:
    M, C = _random_etf(seed, broken)
    err = max(np.abs(M @ M.T - etf_gram(C)).max(), np.abs(M.sum(axis=0)).max())
    return ClaimResult(-err, 1e-12, f"C={C}: max Gram / centring error = {err:.2e}")


@claim(
    id="nc.of.centred_is_etf",
    topic="neural_collapse",
    source="Kini et al. (2024), ICLR, Sec. 2 (OF vs ETF); numeric for C = 2..50",
    statement="An equal-norm orthogonal frame, centred and renormalised, is a simplex ETF.",
    tolerance_reason=_ROUNDOFF,
)
def check_centred_of_is_etf(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    worst = 0.0
    for C in range(2, 51):
        d = C + int(rng.integers(0, 5))
        F = 2.5 * orthogonal_frame(C, d, rng=rng)  # equal norms, any common scale
        # broken: centre with the wrong mean (1/(C+1) of the sum instead of 1/C)
        V = F - F.sum(axis=0) / ((C + 1) if broken else C)
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        worst = max(worst, np.abs(V @ V.T - etf_gram(C)).max())
    return ClaimResult(-worst, 1e-12, f"max Gram error over C=2..50: {worst:.2e}")


@claim(
    id="nc.of.centred_is_etf_symbolic",
    topic="neural_collapse",
    source="Kini et al. (2024), ICLR, Sec. 2; sympy derivation for symbolic C",
    statement="For symbolic C, e_c - 1/C: norm^2 (C-1)/C, pairwise cosine -1/(C-1), zero sum.",
    tolerance_reason="exact symbolic simplification: the residual is identically zero or not",
)
def check_centred_of_is_etf_symbolic(seed: int, broken: bool = False) -> ClaimResult:
    import sympy as sp

    # the derivation does not depend on a random instance; ``seed`` is unused by design
    centring = 1 / (sp.Symbol("C") + 1) if broken else None
    residuals = proofs.centred_frame_residuals(centring)
    worst = proofs.residual_magnitude(residuals)
    return ClaimResult(-worst, 0.0, f"residuals: {residuals}")

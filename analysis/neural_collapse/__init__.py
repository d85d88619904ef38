"""Neural collapse: geometric oracles (simplex ETF, orthogonal frame), NC metrics, UFM models."""

from analysis.neural_collapse.geometry import (
    etf_gram,
    orthogonal_frame,
    random_orthogonal,
    simplex_etf,
)

__all__ = ["etf_gram", "orthogonal_frame", "random_orthogonal", "simplex_etf"]

"""Figures of the neural-collapse topic."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.style import DIVERGING_CMAP
from analysis.neural_collapse.geometry import cosine_matrix, orthogonal_frame, simplex_etf


def gram_panels(ax_row, grams: dict[str, np.ndarray]):
    """Draw cosine-Gram heat maps side by side on a shared [-1, 1] diverging scale."""
    image = None
    for ax, (label, G) in zip(ax_row, grams.items(), strict=True):
        image = ax.imshow(G, cmap=DIVERGING_CMAP, vmin=-1, vmax=1)
        ax.set_title(label)
        ax.set_xlabel("class")
        ax.set_ylabel("class")
        ax.grid(False)
    return image


@figure(
    name="nc_gram_etf_of",
    topic="neural_collapse",
    title="Cosine Gram matrices of the simplex ETF, the orthogonal frame and the centred OF",
)
def make_gram_etf_of(scale: str, seed: int, device: str):
    """Heat maps of the cosine Gram of a random-rotated ETF, an OF and the centred OF."""
    C = 6 if scale == "quick" else 10
    d = C + 2
    M = simplex_etf(C, d, rng=seed)
    F = orthogonal_frame(C, d, rng=seed + 1)
    V = F - F.mean(axis=0)
    grams = {
        f"simplex ETF (off-diag. {-1 / (C - 1):.3f})": cosine_matrix(M),
        "orthogonal frame (off-diag. 0)": cosine_matrix(F),
        "centred OF = ETF": cosine_matrix(V),
    }
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    image = gram_panels(axes, grams)
    fig.colorbar(image, ax=axes, shrink=0.85, label="cosine")
    fig.suptitle(f"Geometric oracles of neural collapse, C = {C}, d = {d}")
    data = {
        "params": {"C": C, "d": d, "seed": seed},
        "gram_etf": grams[next(iter(grams))],
        "gram_of": cosine_matrix(F),
        "gram_centred_of": cosine_matrix(V),
    }
    return fig, data

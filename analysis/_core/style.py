"""One matplotlib style for every figure: readable fonts, a colour-blind-safe palette, vector PDF."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Sequential and diverging colour maps used for heat maps (perceptually uniform, CVD-safe).
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"

_RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,  # embed TrueType: text stays text in the vector PDF
    "ps.fonttype": 42,
    "image.cmap": SEQUENTIAL_CMAP,
    "figure.constrained_layout.use": True,
}


@contextlib.contextmanager
def plot_style() -> Iterator[None]:
    """Context in which matplotlib uses the workbench style (palette, fonts, grid)."""
    import matplotlib as mpl
    from cycler import cycler

    rc = dict(_RC)
    rc["axes.prop_cycle"] = cycler(color=list(PALETTE))
    with mpl.rc_context(rc):
        yield

"""The figure registry (re-exported from :mod:`analysis._core.registry`) and the CLI."""

from analysis._core.registry import (
    FigureSpec,
    figure,
    get_figure,
    get_figures,
    load_topics,
    render_figure,
)

__all__ = ["FigureSpec", "figure", "get_figure", "get_figures", "load_topics", "render_figure"]

"""The figure registry and topic discovery.

A figure is a function ``make(scale, seed, device) -> (matplotlib.figure.Figure, data)``
registered with :func:`figure`; ``data`` is a dict of the plotted arrays and the parameters
(anything JSON-serialisable after numpy arrays become lists). Topic packages register their
figures in ``analysis/<topic>/figures.py`` and their claims in ``analysis/<topic>/claims.py``;
:func:`load_topics` imports those modules for every package in :data:`analysis.TOPICS` that
exists, so adding a topic never touches this machinery.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_FIGURES: dict[str, FigureSpec] = {}
_LOADED = False


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure."""

    name: str
    topic: str
    title: str
    make: Callable[..., tuple[Any, dict]] = field(repr=False)


def figure(*, name: str, topic: str, title: str) -> Callable[[Callable], Callable]:
    """Register ``make(scale, seed, device) -> (Figure, data)`` under ``name``.

    Parameters
    ----------
    name : str
        File stem of the figure (``<name>.png``, ``.pdf``, ``.json``): lowercase letters, digits
        and underscores, conventionally prefixed with the topic (``nc_gram_etf_of``).
    topic : str
        Topic package name.
    title : str
        One line describing what the figure shows.
    """
    from analysis import TOPICS

    if topic not in TOPICS:
        raise ValueError(f"topic: expected one of {TOPICS}, got {topic!r}")
    if not name or not all(ch.islower() or ch.isdigit() or ch == "_" for ch in name):
        raise ValueError(f"name: expected lowercase letters, digits and '_', got {name!r}")

    def register(make: Callable) -> Callable:
        existing = _FIGURES.get(name)
        if existing is not None and existing.make.__qualname__ != make.__qualname__:
            raise ValueError(f"name: figure {name!r} is already registered")
        _FIGURES[name] = FigureSpec(name, topic, title, make)
        return make

    return register


def load_topics() -> None:
    """Import the ``claims`` and ``figures`` modules of every existing topic package (once).

    Import errors propagate: a topic that fails to import is a bug, never silently skipped.
    """
    global _LOADED
    if _LOADED:
        return
    from analysis import TOPICS

    for topic in TOPICS:
        if importlib.util.find_spec(f"analysis.{topic}") is None:
            continue
        for module in ("claims", "figures"):
            if importlib.util.find_spec(f"analysis.{topic}.{module}") is not None:
                importlib.import_module(f"analysis.{topic}.{module}")
    _LOADED = True


def get_figures(topic: str | None = None) -> list[FigureSpec]:
    """All registered figures (after loading every topic), optionally of one topic."""
    from analysis import TOPICS

    load_topics()
    if topic is not None and topic not in TOPICS:
        raise ValueError(f"topic: expected one of {TOPICS}, got {topic!r}")
    order = {t: i for i, t in enumerate(TOPICS)}
    figs = [f for f in _FIGURES.values() if topic is None or f.topic == topic]
    return sorted(figs, key=lambda f: (order[f.topic], f.name))


def get_figure(name: str) -> FigureSpec:
    """The registered figure called ``name``; ``KeyError`` listing the valid names otherwise."""
    figs = {f.name: f for f in get_figures()}
    if name not in figs:
        raise KeyError(f"name: unknown figure {name!r}; valid names: {', '.join(sorted(figs))}")
    return figs[name]


def render_figure(name: str, scale: str = "quick", seed: int = 0, device: str = "cpu"):
    """Run a registered figure's ``make`` under the workbench style.

    The figure is closed in pyplot (it stays drawable and savable) so that it is shown exactly
    where the caller displays it, never automatically.

    Returns
    -------
    (matplotlib.figure.Figure, dict)
        The figure and its data (plotted arrays and parameters).
    """
    from analysis._core.device import resolve_device
    from analysis._core.scale import check_scale
    from analysis._core.style import plot_style
    from analysis._core.validate import check_int

    spec = get_figure(name)
    scale = check_scale(scale)
    seed = check_int(seed, "seed", minimum=0)
    dev = resolve_device(device)
    with plot_style():
        fig, data = spec.make(scale=scale, seed=seed, device=str(dev))
    # Detach the figure from pyplot: a notebook's inline backend would otherwise show every
    # open figure at the end of the cell, and returning the figure showed it a second time.
    # The caller displays it once (a notebook: `display(fig)`); saving is unaffected.
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    if not isinstance(data, dict):
        raise TypeError(f"figure {name!r}: make returned {type(data).__name__} data, expected dict")
    return fig, data

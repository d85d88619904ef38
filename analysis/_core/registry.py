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
_LOADED: set[str] = set()  # topics whose claims and figures modules are imported


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
        and underscores, starting with the topic's prefix and ``_`` (``nc_gram_etf_of``; see
        :data:`analysis.TOPIC_PREFIXES`).
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
    check_prefix(name, topic, "name", "_")

    def register(make: Callable) -> Callable:
        existing = _FIGURES.get(name)
        if existing is not None and existing.make.__qualname__ != make.__qualname__:
            raise ValueError(f"name: figure {name!r} is already registered")
        _FIGURES[name] = FigureSpec(name, topic, title, make)
        return make

    return register


def check_prefix(key: str, topic: str, what: str, sep: str) -> None:
    """Raise unless ``key`` starts with ``topic``'s prefix and ``sep`` (figure names, claim ids)."""
    from analysis import TOPIC_PREFIXES

    want = TOPIC_PREFIXES[topic] + sep
    if not key.startswith(want):
        raise ValueError(f"{what}: expected a name starting with {want!r} (topic {topic!r}), "
                         f"got {key!r}")


def topic_of(key: str) -> str | None:
    """The topic whose prefix starts ``key`` (a figure name or claim id), or None."""
    from analysis import TOPIC_PREFIXES

    for topic, prefix in TOPIC_PREFIXES.items():
        if key.startswith((prefix + "_", prefix + ".")):
            return topic
    return None


def load_topics(topics: object = None) -> None:
    """Import the ``claims`` and ``figures`` modules of the given topics (default: every existing one).

    Each topic is imported once. One figure or claim needs only its own topic (a notebook kernel
    that renders its topic's figures skips the other six). Import errors propagate: a topic that
    fails to import is a bug, never silently skipped.
    """
    from analysis import TOPICS

    if topics is None:
        wanted = TOPICS
    elif isinstance(topics, (list, tuple, set, frozenset)) and all(t in TOPICS for t in topics):
        wanted = tuple(topics)
    else:
        raise ValueError(f"topics: expected None or a list of names from {TOPICS}, got {topics!r}")
    for topic in wanted:
        if topic in _LOADED:
            continue
        if importlib.util.find_spec(f"analysis.{topic}") is not None:
            for module in ("claims", "figures"):
                if importlib.util.find_spec(f"analysis.{topic}.{module}") is not None:
                    importlib.import_module(f"analysis.{topic}.{module}")
        _LOADED.add(topic)


def get_figures(topic: str | None = None) -> list[FigureSpec]:
    """All registered figures (after loading every topic), optionally of one topic."""
    from analysis import TOPICS

    if topic is not None and topic not in TOPICS:
        raise ValueError(f"topic: expected one of {TOPICS}, got {topic!r}")
    load_topics(None if topic is None else (topic,))
    order = {t: i for i, t in enumerate(TOPICS)}
    figs = [f for f in _FIGURES.values() if topic is None or f.topic == topic]
    return sorted(figs, key=lambda f: (order[f.topic], f.name))


def get_figure(name: str) -> FigureSpec:
    """The registered figure called ``name``; ``KeyError`` listing the valid names otherwise."""
    topic = topic_of(name) if isinstance(name, str) else None
    if topic is not None:
        load_topics((topic,))
        if name in _FIGURES:
            return _FIGURES[name]
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
    # "cpu" needs no torch: figures that never touch torch then never import it (~1 s a process)
    dev = "cpu" if isinstance(device, str) and device == "cpu" else str(resolve_device(device))
    with plot_style():
        fig, data = spec.make(scale=scale, seed=seed, device=dev)
    # Detach the figure from pyplot: a notebook's inline backend would otherwise show every
    # open figure at the end of the cell, and returning the figure showed it a second time.
    # The caller displays it once (a notebook: `display(fig)`); saving is unaffected.
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    if not isinstance(data, dict):
        raise TypeError(f"figure {name!r}: make returned {type(data).__name__} data, expected dict")
    return fig, data

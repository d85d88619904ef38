"""Interactive explorers: ipywidgets controls that recompute a topic's central object.

Each topic's ``analysis.<topic>.explore(...)`` builds an :class:`Explorer` from

- named **controls** (ipywidgets sliders, check boxes, drop-downs, multiple selections); sliders
  are built with ``continuous_update=False``, so a drag sends one value, on release (the
  debounce: a kernel never queues a computation per pixel of a drag);
- a **compute** function of the control values that calls the topic's library functions only
  (no mathematics lives in an explorer), whose results are **cached** by the tuple of control
  values, so going back to a setting already seen costs nothing;
- a **draw** function that turns a result into a matplotlib figure, shown as a PNG in an
  ``ipywidgets.Image`` (one image widget, replaced in place: a notebook cell that shows an
  explorer holds a widget, never an ``image/png`` output of its own), and a one-line
  **summary**.

The explorer is itself an ``ipywidgets.VBox``, so a notebook displays it directly, and it exposes
its state in Python for tests and scripts: :attr:`Explorer.controls` (name -> widget),
:attr:`Explorer.params` (name -> current value), :attr:`Explorer.result` (the library objects of
the current values), :attr:`Explorer.summary` and :attr:`Explorer.image`; setting a control's
``.value`` recomputes synchronously, :meth:`Explorer.set` changes several at once with one
recomputation.

ipywidgets is imported only when an explorer is built (:func:`require_ipywidgets`), so the
library imports without it; it comes with the ``notebooks`` and ``dev`` extras.
"""

from __future__ import annotations

import functools
import html
import io
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

#: Results (and their PNGs) an explorer keeps, least recently used dropped first.
CACHE_SIZE = 64

_INSTALL_HINT = ("pip install 'ipywidgets>=8' (it comes with the project's extras: "
                 "pip install -e '.[notebooks]')")


def require_ipywidgets():
    """Import and return ``ipywidgets`` (8 or later); an ImportError says how to install it."""
    try:
        import ipywidgets
    except ImportError as exc:  # pragma: no cover - exercised only without ipywidgets
        raise ImportError("explore() needs ipywidgets >= 8, which is not installed: "
                          + _INSTALL_HINT) from exc
    major = int(str(ipywidgets.__version__).split(".")[0])
    if major < 8:  # pragma: no cover - depends on the environment
        raise ImportError(f"explore() needs ipywidgets >= 8, found {ipywidgets.__version__}: "
                          + _INSTALL_HINT)
    return ipywidgets


def _hashable(value: Any) -> Any:
    """A control value as a cache-key component (multiple selections come as lists or tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def figure_png(fig) -> bytes:
    """The PNG bytes of a matplotlib figure (drawn off-screen; pyplot is not involved)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def new_figure(width: float, height: float, ncols: int = 1, **subplot_kw):
    """A matplotlib Figure and its axes, outside pyplot (never auto-displayed, never leaked)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False, **subplot_kw)[0]
    return fig, (axes[0] if ncols == 1 else list(axes))


@functools.cache
def _explorer_class():
    widgets = require_ipywidgets()

    class Explorer(widgets.VBox):
        """An ipywidgets box of controls, a summary line and a figure, with a result cache.

        Attributes
        ----------
        controls : dict of str to ipywidgets.Widget
            The controls, by parameter name; setting ``.value`` recomputes.
        result : object or None
            What ``compute`` returned for the current control values (None while the current
            values are invalid: :attr:`error` says why).
        error : str or None
            The message of the ValueError the current values raised, if any.
        summary : ipywidgets.HTML
            One line of numbers about the result (or the error).
        image : ipywidgets.Image
            The figure of the result, as PNG.
        figure : matplotlib.figure.Figure or None
            The last figure drawn (None when the result came from the cache).
        inputs : dict
            The fixed data the explorer works on (the instance, the matrix, the population),
            so that a caller can check a result against a direct library call.
        n_computed : int
            Computations run so far (cache misses); ``n_cache_hits`` the settings served from
            the cache.
        """

        def __init__(self, title: str, controls: Mapping[str, Any],
                     compute: Callable[..., Any], draw: Callable[[Any, dict], Any],
                     summarize: Callable[[Any, dict], str], *, note: str = "",
                     inputs: Mapping[str, Any] | None = None):
            self.controls = dict(controls)
            self.inputs = dict(inputs or {})
            self._compute = compute
            self._draw = draw
            self._summarize = summarize
            self._cache: OrderedDict = OrderedDict()
            self._holding = False
            self.result = None
            self.error = None
            self.figure = None
            self.n_computed = 0
            self.n_cache_hits = 0
            self.summary = widgets.HTML()
            self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
            header = widgets.HTML(f"<b>{html.escape(title)}</b>"
                                  + (f"<br><small>{html.escape(note)}</small>" if note else ""))
            box = widgets.Box(list(self.controls.values()),
                              layout=widgets.Layout(flex_flow="row wrap"))
            super().__init__([header, box, self.summary, self.image])
            for control in self.controls.values():
                control.observe(self._on_change, names="value")
            self.update()

        # -- state -------------------------------------------------------------------------
        @property
        def params(self) -> dict:
            """The current control values, by name (multiple selections as tuples)."""
            return {name: _hashable(c.value) for name, c in self.controls.items()}

        @property
        def key(self) -> tuple:
            """The cache key of the current values."""
            return tuple(self.params.values())

        def cache_info(self) -> dict:
            """``{"computed", "hits", "size"}``: cache misses, hits and entries held."""
            return {"computed": self.n_computed, "hits": self.n_cache_hits,
                    "size": len(self._cache)}

        # -- updating ----------------------------------------------------------------------
        def _on_change(self, change) -> None:
            if not self._holding:
                self.update()

        def set(self, **values) -> Explorer:
            """Set several controls and recompute once; returns the explorer."""
            unknown = sorted(set(values) - set(self.controls))
            if unknown:
                raise ValueError(f"values: unknown controls {unknown}; expected names among "
                                 f"{sorted(self.controls)}")
            self._holding = True
            try:
                for name, value in values.items():
                    self.controls[name].value = value
            finally:
                self._holding = False
            self.update()
            return self

        def update(self) -> None:
            """Recompute (or fetch from the cache) the result of the current values and redraw."""
            params = self.params
            key = tuple(params.values())
            if key in self._cache:
                self._cache.move_to_end(key)
                self.n_cache_hits += 1
                self.result, png, text = self._cache[key]
                self.error = None
                self.figure = None
            else:
                try:
                    result = self._compute(**params)
                except ValueError as exc:
                    # a combination the library refuses (e.g. no class selected): say so, keep
                    # the controls live, show no stale numbers
                    self.result, self.figure, self.error = None, None, str(exc)
                    self.summary.value = (f"<span style='color:#D55E00'>not computed: "
                                          f"{html.escape(str(exc))}</span>")
                    self.image.value = b""
                    return
                self.n_computed += 1
                from analysis._core.style import plot_style

                with plot_style():
                    fig = self._draw(result, params)
                png = figure_png(fig)
                text = self._summarize(result, params)
                self._cache[key] = (result, png, text)
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
                self.result, self.figure, self.error = result, fig, None
            self.summary.value = text
            self.image.value = png

    return Explorer


def make_explorer(title: str, controls: Mapping[str, Any], compute: Callable[..., Any],
                  draw: Callable[[Any, dict], Any], summarize: Callable[[Any, dict], str],
                  *, note: str = "", inputs: Mapping[str, Any] | None = None):
    """Build an :class:`Explorer` (see the module docstring) and compute its first result.

    Parameters
    ----------
    title : str
        Heading shown above the controls.
    controls : mapping of str to ipywidgets.ValueWidget
        The controls, in display order; their names are the keyword arguments of ``compute``.
    compute : callable
        ``compute(**values) -> result``; it calls library functions only. A ValueError is shown
        in the summary instead of a result.
    draw : callable
        ``draw(result, values) -> matplotlib.figure.Figure`` (build it with :func:`new_figure`).
    summarize : callable
        ``summarize(result, values) -> str``: one line of HTML-safe text.
    note : str
        A line under the title (what is fixed, which library functions run).
    inputs : mapping, optional
        The fixed data of the explorer, exposed as ``Explorer.inputs``.
    """
    return _explorer_class()(title, controls, compute, draw, summarize, note=note, inputs=inputs)


def slider_kwargs() -> dict:
    """Keyword arguments every explorer slider shares (debounced; value shown; wide label)."""
    return {"continuous_update": False, "readout": True,
            "style": {"description_width": "initial"}}

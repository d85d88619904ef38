"""Mechanical checks of a rendered figure: what a reader would trip over at a glance.

- text under 7 pt (tick labels, legends, annotations, cell numbers);
- two text boxes that overlap (titles, axis labels, suptitle: a clipped or covered title);
- a legend entry whose line cannot be seen because another labelled line with the same line
  style and marker has the same data (coinciding curves must be told apart by style).
"""

from __future__ import annotations

import numpy as np

MIN_FONT_PT = 7.0


def _visible_texts(fig):
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0:
            yield t


def figure_defects(fig) -> list[str]:
    """The list of defects found in ``fig`` (empty when it is clean)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    defects = []
    for t in _visible_texts(fig):
        if t.get_fontsize() < MIN_FONT_PT:
            defects.append(f"text {t.get_text()[:30]!r} is {t.get_fontsize():.1f} pt (< {MIN_FONT_PT})")
    # Titles, axis labels and the suptitle must not overlap one another.
    labels = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for t in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label):
            if t.get_visible() and t.get_text().strip():
                labels.append(t)
    if fig._suptitle is not None and fig._suptitle.get_text().strip():
        labels.append(fig._suptitle)
    boxes = [(t, t.get_window_extent(renderer)) for t in labels]
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            if a.overlaps(b) and a.intersection(a, b) is not None:
                inter = a.intersection(a, b)
                if inter.width * inter.height > 0.05 * min(a.width * a.height, b.width * b.height):
                    defects.append(f"texts {ta.get_text()[:30]!r} and {tb.get_text()[:30]!r} overlap")
    # Labelled lines with identical data: the legend shows an entry nobody can see.
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines()
                 if ln.get_visible() and ln.get_label() and not ln.get_label().startswith("_")]
        for i, a in enumerate(lines):
            xa, ya = (np.asarray(v, dtype=float) for v in a.get_data())
            for b in lines[i + 1:]:
                if (a.get_linestyle(), a.get_marker()) != (b.get_linestyle(), b.get_marker()):
                    continue  # a dashed or marked line stays visible on top of the other
                xb, yb = (np.asarray(v, dtype=float) for v in b.get_data())
                if xa.shape == xb.shape and ya.shape == yb.shape and ya.size > 1 and np.allclose(
                        xa, xb, equal_nan=True) and np.allclose(ya, yb, rtol=1e-9, atol=0, equal_nan=True):
                    defects.append(f"legend entries {a.get_label()!r} and {b.get_label()!r} are the same "
                                   f"curve: one cannot be seen")
    return defects

"""The two run scales every figure and notebook understands."""

from __future__ import annotations

import os

from analysis._core.validate import check_choice

#: ``quick``: seconds, used by tests and notebooks by default. ``paper``: the paper's own sizes.
SCALES = ("quick", "paper")


def check_scale(scale: str) -> str:
    """Check that ``scale`` is ``"quick"`` or ``"paper"``; return it."""
    return check_choice(scale, "scale", SCALES)


def notebook_scale(default: str = "quick") -> str:
    """Scale for notebooks: the ``ANALYSIS_SCALE`` environment variable, else ``default``.

    Tests execute notebooks at the quick scale; a researcher sets ``ANALYSIS_SCALE=paper``
    before starting JupyterLab to see the paper-scale figures.
    """
    return check_scale(os.environ.get("ANALYSIS_SCALE", default))

"""Shared pytest fixtures."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("ANALYSIS_SCALE", "quick")


@pytest.fixture(params=[0, 1], ids=lambda s: f"seed{s}")
def seed(request) -> int:
    """Seeds on which seeded checks must hold (claims hold for any seed, not a lucky one)."""
    return request.param


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

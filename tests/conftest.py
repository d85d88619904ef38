"""Shared pytest fixtures."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("ANALYSIS_SCALE", "quick")


def pytest_collection_modifyitems(config, items):
    """Run the tests marked ``slow`` first (stable order otherwise): with ``-n 2`` a long test
    that starts last leaves the other worker idle at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(params=[0, 1], ids=lambda s: f"seed{s}")
def seed(request) -> int:
    """Seeds on which seeded checks must hold (claims hold for any seed, not a lucky one)."""
    return request.param


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# Property tests draw the same examples on every run (the suite is deterministic: a failure is
# reproducible, and CI does not pass or fail by the luck of the draw). Run with
# `--hypothesis-profile=explore` to search new examples.
from hypothesis import settings  # noqa: E402

settings.register_profile("deterministic", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("deterministic")

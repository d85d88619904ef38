"""Shared small instances for the zsl certificate tests (fixtures: ``--import-mode=importlib``
gives test modules no shared import path)."""

import numpy as np
import pytest

from analysis.zsl import awa_like_matrix, worst_case_lower_bound


def _instance(seed, k=6, n=7):
    """AwA-like on even seeds; uniform with 30% exact zeros (and a few ones) on odd seeds."""
    rng = np.random.default_rng(seed)
    if seed % 2 == 0:
        return awa_like_matrix(k, n, seed=seed)
    M = rng.random((k, n))
    M[rng.random((k, n)) < 0.3] = 0.0
    M[rng.random((k, n)) < 0.05] = 1.0
    return M


def _exact(M):
    return worst_case_lower_bound(M, method="full").Q


@pytest.fixture
def instance():
    """``instance(seed, k=6, n=7)``: a small class-attribute matrix (exact zeros on odd seeds)."""
    return _instance


@pytest.fixture
def exact_q():
    """``exact_q(M)``: Q(M) by the full LP over every attribute vector."""
    return _exact

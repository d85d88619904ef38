"""Tests of the simplex ETF and orthogonal frame oracles."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis.neural_collapse import etf_gram, orthogonal_frame, simplex_etf
from analysis.neural_collapse.geometry import cosine_matrix

ROUNDOFF = 1e-12  # O(C) float64 sums of O(1) terms


@settings(max_examples=40, deadline=None)
@given(C=st.integers(2, 50), extra=st.integers(0, 6), seed=st.integers(0, 2**31))
def test_etf_identities_hold_for_any_size_and_rotation(C, extra, seed):
    M = simplex_etf(C, C - 1 + extra, rng=seed)
    assert_allclose(M @ M.T, etf_gram(C), atol=ROUNDOFF)
    assert_allclose(M.sum(axis=0), 0, atol=ROUNDOFF)


@settings(max_examples=30, deadline=None)
@given(C=st.integers(2, 40), extra=st.integers(0, 4), seed=st.integers(0, 2**31))
def test_orthogonal_frame_is_orthonormal(C, extra, seed):
    F = orthogonal_frame(C, C + extra, rng=seed)
    assert_allclose(F @ F.T, np.eye(C), atol=ROUNDOFF)


def test_unrotated_frames_are_deterministic_and_of_is_nonnegative():
    assert np.array_equal(simplex_etf(4, 5), simplex_etf(4, 5))
    assert np.all(orthogonal_frame(4, 6) >= 0)


def test_a_wrong_frame_fails_the_identity():
    M = simplex_etf(5, 6)
    M[0] *= 1.01
    assert np.abs(M @ M.T - etf_gram(5)).max() > 1e-3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: simplex_etf(5, 3), r"d: a simplex ETF of C=5 classes needs d >= C - 1 = 4, got 3"),
        (lambda: simplex_etf(1, 3), r"C: expected an integer >= 2, got 1"),
        (lambda: simplex_etf(3.0, 3), r"C: expected an integer"),
        (lambda: orthogonal_frame(5, 4), r"d: an orthogonal frame of C=5 vectors needs d >= C"),
        (lambda: cosine_matrix(np.zeros((2, 2))), r"V: expected non-zero rows"),
    ],
)
def test_bad_input_is_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_cosine_matrix_of_etf():
    C = 7
    cos = cosine_matrix(simplex_etf(C, 9, rng=3))
    assert_allclose(cos[~np.eye(C, dtype=bool)], -1 / (C - 1), atol=ROUNDOFF)

"""Property tests of the t-product algebra (numpy and torch, FFT vs block-circulant)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis.implicit_reg.talgebra import (
    block_circulant,
    fold,
    t_identity,
    t_product,
    t_product_block_circulant,
    t_svd,
    t_transpose,
    tubal_principal_angle,
    tubal_rank,
    tubal_singular_values,
    unfold,
)

# float64 FFT + page-wise products of O(1) Gaussian entries with n, k <= 7: errors ~ 1e-14
ROUNDOFF = 1e-11

dims = st.integers(1, 6)
tube = st.integers(1, 7)
seeds = st.integers(0, 2**31)


def gauss(rng, *shape):
    return rng.standard_normal(shape)


@settings(max_examples=40, deadline=None)
@given(n1=dims, n2=dims, n3=dims, n4=dims, k=tube, seed=seeds)
def test_t_product_is_associative_and_matches_block_circulant(n1, n2, n3, n4, k, seed):
    rng = np.random.default_rng(seed)
    A, B, C = gauss(rng, n1, n2, k), gauss(rng, n2, n3, k), gauss(rng, n3, n4, k)
    assert_allclose(t_product(t_product(A, B), C), t_product(A, t_product(B, C)), atol=ROUNDOFF)
    assert_allclose(t_product(A, B), t_product_block_circulant(A, B), atol=ROUNDOFF)


@settings(max_examples=30, deadline=None)
@given(n1=dims, n2=dims, n3=dims, k=tube, seed=seeds)
def test_identity_and_transpose_of_product(n1, n2, n3, k, seed):
    rng = np.random.default_rng(seed)
    A, B = gauss(rng, n1, n2, k), gauss(rng, n2, n3, k)
    assert_allclose(t_product(t_identity(n1, k), A), A, atol=ROUNDOFF)
    assert_allclose(t_product(A, t_identity(n2, k)), A, atol=ROUNDOFF)
    assert_allclose(t_transpose(t_product(A, B)), t_product(t_transpose(B), t_transpose(A)), atol=ROUNDOFF)
    assert_allclose(t_transpose(t_transpose(A)), A, atol=0)
    # the block-circulant matrix of the t-transpose is the transpose of the block-circulant matrix
    assert_allclose(block_circulant(t_transpose(A)), block_circulant(A).T, atol=0)


@settings(max_examples=30, deadline=None)
@given(n1=dims, n2=dims, k=tube, seed=seeds)
def test_t_svd_reconstructs_and_has_orthonormal_factors(n1, n2, k, seed):
    rng = np.random.default_rng(seed)
    A = gauss(rng, n1, n2, k)
    U, S, V, s = t_svd(A)
    p = min(n1, n2)
    assert U.shape == (n1, p, k) and S.shape == (p, p, k) and V.shape == (n2, p, k)
    assert_allclose(t_product(t_product(U, S), t_transpose(V)), A, atol=ROUNDOFF)
    assert_allclose(t_product(t_transpose(U), U), t_identity(p, k), atol=ROUNDOFF)
    assert_allclose(t_product(t_transpose(V), V), t_identity(p, k), atol=ROUNDOFF)
    assert s.shape == (k // 2 + 1, p)
    assert_allclose(tubal_singular_values(A), s, atol=ROUNDOFF)


def test_k_equal_one_reduces_to_matrices():
    rng = np.random.default_rng(0)
    A, B = gauss(rng, 4, 3, 1), gauss(rng, 3, 5, 1)
    assert_allclose(t_product(A, B)[:, :, 0], A[:, :, 0] @ B[:, :, 0], atol=ROUNDOFF)
    assert_allclose(t_transpose(A)[:, :, 0], A[:, :, 0].T, atol=0)
    assert_allclose(tubal_singular_values(A)[0], np.linalg.svd(A[:, :, 0], compute_uv=False), atol=ROUNDOFF)
    assert tubal_rank(A) == 3


def test_tubal_rank_of_a_low_rank_product():
    rng = np.random.default_rng(1)
    for k in (1, 2, 3, 4, 5):
        L, R = gauss(rng, 7, 2, k), gauss(rng, 2, 6, k)
        assert tubal_rank(t_product(L, R)) == 2
        assert tubal_rank(gauss(rng, 7, 6, k)) == 6
    assert tubal_rank(np.zeros((3, 3, 2)) + 1e-3 * t_identity(3, 2), tol=1e-2) == 0


def test_torch_matches_numpy_and_keeps_dtype():
    rng = np.random.default_rng(2)
    A, B = gauss(rng, 2, 4, 3, 5), gauss(rng, 2, 3, 2, 5)  # batch of two
    At, Bt = torch.from_numpy(A), torch.from_numpy(B)
    out = t_product(At, Bt)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    assert_allclose(out.numpy(), t_product(A, B), atol=ROUNDOFF)
    assert_allclose(t_transpose(At).numpy(), t_transpose(A), atol=0)
    assert_allclose(tubal_singular_values(At).numpy(), tubal_singular_values(A), atol=ROUNDOFF)
    U, S, V, _ = t_svd(At)
    assert_allclose(t_product(t_product(U, S), t_transpose(V)).numpy(), A, atol=ROUNDOFF)
    assert_allclose(t_identity(3, 5, like=At).numpy(), t_identity(3, 5))
    assert_allclose(float(tubal_principal_angle(At[0], At[0])), 0.0, atol=1e-7)


def test_fold_unfold_roundtrip():
    A = np.arange(24.0).reshape(2, 3, 4)
    assert_allclose(fold(unfold(A), 4), A, atol=0)


def test_principal_angle_of_known_subspaces():
    k = 3
    e = np.zeros((4, 1, k))
    e[0, 0, 0] = 1.0  # tubal column e_1 (first slice only): every Fourier slice is e_1
    f = np.zeros((4, 1, k))
    theta = 0.3
    f[0, 0, 0], f[1, 0, 0] = np.cos(theta), np.sin(theta)
    assert_allclose(tubal_principal_angle(e, f), np.sin(theta), atol=1e-12)
    assert_allclose(tubal_principal_angle(e, e), 0.0, atol=1e-12)
    # a subspace is contained in a larger one that holds it
    g = np.concatenate([f, e], axis=1)
    assert_allclose(tubal_principal_angle(e, g), 0.0, atol=1e-12)
    # principal angle is invariant to a tubal change of basis (right t-product by invertible)
    rng = np.random.default_rng(3)
    U, V = gauss(rng, 6, 2, 4), gauss(rng, 6, 2, 4)
    T = gauss(rng, 2, 2, 4) + 3 * t_identity(2, 4)
    assert_allclose(tubal_principal_angle(U, V), tubal_principal_angle(t_product(U, T), V), atol=1e-10)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: t_product(np.ones((2, 3, 4)), np.ones((2, 3, 4))), r"B: expected shape \(\.\.\., 3, n3, 4\)"),
        (lambda: t_product(np.ones((2, 3)), np.ones((3, 3, 1))), r"A: expected at least 3 axes"),
        (lambda: t_transpose(np.full((2, 2, 2), np.nan)), r"A: expected finite values"),
        (lambda: t_identity(0, 2), r"n: expected an integer >= 1"),
        (lambda: tubal_rank(np.ones((2, 2, 2)), tol=-1.0), r"tol: expected a number >= 0"),
        (lambda: tubal_principal_angle(np.zeros((3, 1, 2)), np.ones((3, 1, 2))), r"U: expected tubal columns of full rank"),
        (lambda: t_svd(np.ones((2, 2, 2), dtype=complex)), r"A: expected a real tensor"),
        (lambda: t_product(np.ones((2, 2, 2)), torch.ones(2, 2, 2, dtype=torch.float64)), r"B: expected the same kind"),
    ],
)
def test_bad_input_is_rejected_with_a_named_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_inputs_are_not_modified():
    rng = np.random.default_rng(4)
    A, B = gauss(rng, 3, 3, 4), gauss(rng, 3, 3, 4)
    A0, B0 = A.copy(), B.copy()
    t_product(A, B), t_transpose(A), t_svd(A), tubal_principal_angle(A, B)
    assert np.array_equal(A, A0) and np.array_equal(B, B0)

"""Hypothesis property tests of the topic's solvers against independent references.

* ``spectral_subspace`` (rfft half, signed eigenvalues) vs a full complex FFT of all k slices and
  ``eigvalsh``: error model ``c n eps ||M_hat||`` (backward-stable Hermitian eigensolver).
* tubal GD, ``method="gram"`` vs ``method="factor"`` (the same iterates in exact arithmetic).
* ``min_nuclear_norm_completion``: SCS vs Clarabel, and positive homogeneity at scales 1e+-6.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis.implicit_reg.deep_mf import completion_instance, min_nuclear_norm_completion
from analysis.implicit_reg.sensing import make_tubal_sensing_problem, run_tubal_gd, spectral_subspace
from analysis.implicit_reg.talgebra import t_product, t_svd, t_transpose

EPS = np.finfo(float).eps
seeds = st.integers(0, 2**31 - 1)


def _t_symmetric(rng, n, k, kind, scale):
    G = rng.standard_normal((n, n, k))
    if kind == "rank_deficient":  # a t-product through one tubal column: many zero eigenvalues
        G = t_product(rng.standard_normal((n, 1, k)), rng.standard_normal((1, n, k)))
    elif kind == "duplicated_rows":
        G[1:] = G[:1] if n > 1 else G[1:]
    return scale * 0.5 * (G + t_transpose(G))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), k=st.integers(1, 6), seed=seeds,
       kind=st.sampled_from(["gaussian", "rank_deficient", "duplicated_rows"]),
       scale=st.sampled_from([1e-6, 1.0, 1e6]), data=st.data())
def test_spectral_subspace_is_the_signed_top_eigenspace_of_every_fourier_slice(n, k, seed, kind, scale,
                                                                                data):
    rank = data.draw(st.integers(1, n))
    M = _t_symmetric(np.random.default_rng(seed), n, k, kind, scale)
    L = spectral_subspace(M, rank)
    assert L.shape == (n, rank, k) and np.isrealobj(L)
    # reference: every one of the k Fourier slices (not only the rfft half) by the full FFT
    M_hat = np.moveaxis(np.fft.fft(M, axis=-1), -1, 0)
    L_hat = np.moveaxis(np.fft.fft(L, axis=-1), -1, 0)
    norm = max(np.abs(np.linalg.eigvalsh(M_hat)).max(), np.finfo(float).tiny)
    tol = 50 * n * EPS * norm  # backward-stable eigh: residuals and eigenvalues to O(n eps ||M||)
    for S, Q in zip(M_hat, L_hat, strict=True):
        assert_allclose(Q.conj().T @ Q, np.eye(rank), atol=50 * n * EPS)
        H = Q.conj().T @ S @ Q
        assert np.abs(S @ Q - Q @ H).max() <= tol  # an invariant subspace of the slice ...
        top = np.linalg.eigvalsh(S)[::-1][:rank]  # ... for its `rank` largest signed eigenvalues
        assert np.abs(np.sort(np.linalg.eigvalsh(H))[::-1] - top).max() <= tol


def test_spectral_subspace_differs_from_the_top_singular_subspace_when_a_negative_eigenvalue_dominates():
    # slice values: eigenvalues 3, 1 and -5 in every Fourier slice (a constant tube in slice 0)
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    M = np.zeros((3, 3, 2))
    M[:, :, 0] = Q @ np.diag([3.0, 1.0, -5.0]) @ Q.T
    L = spectral_subspace(M, 2)[:, :, 0]
    U_svd = t_svd(M).U[:, :2, 0]
    P_true = Q[:, :2] @ Q[:, :2].T
    assert_allclose(L @ L.T, P_true, atol=1e-12)  # eigenvalues 3 and 1
    assert np.linalg.norm(U_svd @ U_svd.T - P_true) > 0.5  # |lambda|: 5 and 3
    # GD's linearisation at U = 0, (I + mu M)^t, amplifies +3 and +1 and damps -5 (60 steps:
    # the 1.1 direction stays resolvable, (1.1/1.3)^60 = 4e-5 >> eps)
    U = np.linalg.matrix_power(np.eye(3) + 0.1 * M[:, :, 0], 60) @ np.random.default_rng(1).standard_normal(
        (3, 2))
    Qu = np.linalg.qr(U)[0]
    assert np.linalg.norm(Qu @ Qu.T - P_true) < 1e-6


@settings(max_examples=6, deadline=None)
@given(n=st.integers(2, 5), k=st.integers(1, 4), seed=seeds, width=st.integers(1, 8),
       symmetric=st.booleans())
# issue 13: the gram route's tail singular values came from sqrt(eig(U_0 U_0^H)), O(sqrt(eps))
# of ||U_0|| instead of zero, and P_t grew them while it shrank the top one (8.7e-7 of the top)
@example(n=3, k=1, seed=10458, width=1, symmetric=False)
def test_gram_and_factor_gd_agree_on_random_problems(n, k, seed, width, symmetric):
    rank = 1 + seed % n
    p = make_tubal_sensing_problem(n, k, rank, c=1.5, n_seeds=2, seed=seed, symmetric=symmetric)
    kw = dict(width=width, alpha=[1e-2, 1e-4], step=0.1 / ((8 if symmetric else 2) * p.m), n_iter=40,
              record_every=20, init_seed=seed + 1, track_power=False)
    a, b = run_tubal_gd(p, method="gram", **kw), run_tubal_gd(p, method="factor", **kw)
    # 40 steps of growth factor <= 1.1 on O(1) quantities: round-off ~ 40 * 1.1^40 * n eps ~ 1e-12
    for name in ("test_error", "train_error"):
        assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-8, atol=1e-10)
    r = min(width, n)  # a width R < n has only R singular values per slice
    sa, sb = a.slice_singular_values, b.slice_singular_values
    top = sb.max(axis=-1, keepdims=True)
    assert_allclose(sa[..., :r], sb[..., :r], rtol=1e-8, atol=0)
    # the gram route takes the SVD of P_t L_0 with L_0 = R^H from the QR factorisation U_0^H = QR:
    # for R < n, L_0's last n - R columns are exact zeros, so P_t L_0 has rank R exactly and a
    # backward-stable SVD returns its tail singular values within c n eps ||P_t L_0|| of zero
    # (Weyl), c a modest constant (10 here; measured: exact zeros in 300 random examples, plain
    # and OPENBLAS_CORETYPE=Haswell)
    assert np.all(sa[..., r:] <= 10 * n * EPS * top)


@settings(max_examples=3, deadline=None)
@given(seed=seeds, scale=st.sampled_from([1e-6, 1.0, 1e6]), duplicate=st.booleans())
def test_nuclear_norm_completion_scs_matches_clarabel_at_any_scale(seed, scale, duplicate):
    M, mask = completion_instance(8, 2, 40, rng=seed)
    if duplicate:  # duplicated rows (a rank-deficient, degenerate instance)
        M[1], mask[1] = M[0], mask[0]
    W_ref = min_nuclear_norm_completion(M, mask, solver="CLARABEL")
    W_scs = min_nuclear_norm_completion(scale * M, mask, solver="SCS", eps=1e-8) / scale
    # both solve the same SDP on the problem rescaled to max |M_obs| = 1; SCS at 1e-8 and
    # Clarabel (~1e-8) agree on the optimal value to ~1e-6 relative; the minimiser can be
    # non-unique, so compare nuclear norms and feasibility
    nuc = lambda W: np.linalg.svd(W, compute_uv=False).sum()  # noqa: E731
    assert nuc(W_scs) == pytest.approx(nuc(W_ref), rel=1e-5)
    assert_allclose(W_scs[mask], M[mask], atol=1e-6 * np.abs(M[mask]).max())

"""Property tests (hypothesis): closed-form solvers against independent references, on random
and degenerate instances (duplicated rows/features, rank deficiency, entries scaled by 1e+-6).

Error models: a backward-stable solve of a system with condition number kappa has relative error
O(kappa * n * eps); quantities invariant under a reparametrisation agree to that order.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.contrastive.simplicity_bias import (
    min_norm_supervised_minimiser,
    supervised_spectral_loss,
)
from analysis.contrastive.sufficiency import (
    chi2_sufficiency_gap,
    kl_sufficiency_gap,
    kl_sufficiency_gap_expected,
    make_gaussian_view_model,
)

EPS = np.finfo(float).eps
SCALES = st.sampled_from([1e-6, 1.0, 1e6])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_classes=st.integers(2, 4),
    per_class=st.integers(1, 4),
    extra_dim=st.integers(0, 12),
    out_dim=st.integers(1, 5),
    scale=SCALES,
    duplicate_feature=st.booleans(),
)
def test_min_norm_minimiser_matches_pseudo_inverse_and_attains_the_optimum(
    seed, n_classes, per_class, extra_dim, out_dim, scale, duplicate_feature
):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), per_class)
    n = y.size
    X = rng.standard_normal((n, n + extra_dim))
    if duplicate_feature:  # a repeated input feature: X keeps full row rank
        X = np.hstack([X, X[:, :1]])
    X *= scale
    W = min_norm_supervised_minimiser(X, y, out_dim)
    # independent reference: SVD pseudo-inverse of the same interpolation constraint X W^T = sqrt(n) G,
    # G read off the solver's own output (the constraint's right-hand side is unique up to a rotation)
    G = X @ W.T / math.sqrt(n)
    W_ref = (np.linalg.pinv(X) @ (math.sqrt(n) * G)).T
    kappa = np.linalg.cond(X)
    assert np.linalg.norm(W - W_ref) <= 1e3 * kappa * n * EPS * np.linalg.norm(W_ref)
    # optimal value: the top-p part of P (a projection of rank C) gives -min(p, C), independent of X
    loss = supervised_spectral_loss(W, X, y)
    assert abs(loss - (-min(out_dim, n_classes))) <= 1e3 * kappa**2 * n * EPS * max(1, out_dim)


def test_min_norm_minimiser_rejects_duplicated_samples_and_n_above_d():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 10))
    X[1] = X[0]
    y = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="rank"):
        min_norm_supervised_minimiser(X, y, 2)
    with pytest.raises(ValueError, match="n <= d"):
        min_norm_supervised_minimiser(rng.standard_normal((6, 4)), np.repeat([0, 1], 3), 1)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    dim=st.integers(2, 6),
    k=st.integers(1, 6),
    row_scale=SCALES,
    aug_var=st.floats(0.3, 3.0),
)
def test_sufficiency_gaps_depend_only_on_the_row_space_of_h(seed, dim, k, row_scale, aug_var):
    rng = np.random.default_rng(seed)
    k = min(k, dim)
    model = make_gaussian_view_model(dim, aug_var, rng=rng)
    H = rng.standard_normal((k, dim))
    # an invertible reparametrisation with one row scaled by 1e+-6 keeps sigma(HX): same gaps
    A = rng.standard_normal((k, k)) + 3 * np.eye(k)
    A[0] *= row_scale
    H2 = A @ H
    kl, kl2 = kl_sufficiency_gap(model, H), kl_sufficiency_gap(model, H2)
    kappa = np.linalg.cond(H2) * np.linalg.cond(model.view_cov)
    tol = 1e2 * kappa * dim * EPS
    assert abs(kl - kl2) <= tol * max(1.0, abs(kl))
    # the two KL routes (log-det vs E_X Gaussian KL) agree on the reparametrised encoder
    assert abs(kl_sufficiency_gap_expected(model, H2) - kl2) <= tol * max(1.0, abs(kl2))
    chi, chi2 = chi2_sufficiency_gap(model, H), chi2_sufficiency_gap(model, H2)
    if np.isfinite(chi):
        assert abs(chi - chi2) <= tol * max(1.0, abs(chi))
        # Jensen: KL <= log(1 + chi^2)
        assert kl <= math.log1p(chi) + tol
    # duplicated rows: rank deficient, refused with the argument named
    with pytest.raises(ValueError, match="H"):
        kl_sufficiency_gap(model, np.vstack([H, H[:1]]))

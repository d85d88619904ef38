"""Arora et al. losses, the mean classifier, exact Gaussian expectations and the lemma."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate

from analysis.contrastive.bounds import intra_class_concentration, lemma_4_3_bound, lemma_4_4_constant
from analysis.contrastive.data import collision_probability, make_latent_class_model
from analysis.contrastive.losses import (
    class_means_linear,
    class_means_monte_carlo,
    conditional_loss_linear,
    exact_losses_finite_model,
    gaussian_expected_loss,
    hinge_loss,
    linear_encoder,
    logistic_loss,
    supervised_mean_loss,
    supervised_mean_loss_linear_exact,
    unsupervised_loss,
)

Z = 5.0


def test_losses_at_zero_are_one_in_the_papers_convention():
    assert hinge_loss(np.zeros((1, 1)))[0] == 1.0
    assert_allclose(logistic_loss(np.zeros((1, 1)))[0], 1.0, rtol=1e-15)
    assert_allclose(logistic_loss(np.zeros((1, 1)), base=math.e)[0], math.log(2), rtol=1e-15)
    assert_allclose(logistic_loss(np.zeros((1, 4)))[0], math.log2(5), rtol=1e-15)


def test_loss_values_and_stability():
    v = np.array([[2.0, -0.5, 0.3]])
    assert_allclose(hinge_loss(v), [1.5])
    assert_allclose(logistic_loss(v), [math.log2(1 + sum(math.exp(-a) for a in v[0]))])
    assert_allclose(logistic_loss(np.array([[-800.0]])), [800 / math.log(2)], rtol=1e-14)
    assert logistic_loss(np.array([[800.0]]))[0] >= 0


def test_numpy_and_torch_losses_agree():
    v = np.random.default_rng(0).normal(size=(20, 5))
    for fn in (hinge_loss, logistic_loss):
        assert_allclose(fn(torch.tensor(v)).numpy(), fn(v), rtol=1e-14)


@pytest.mark.parametrize("loss", ["hinge", "logistic"])
@pytest.mark.parametrize("a,s", [(0.3, 0.1), (2.0, 5.0), (-3.0, 40.0), (0.0, 1e-3), (1.0, 0.5)])
def test_gaussian_expected_loss_matches_adaptive_quadrature(loss, a, s):
    f = (
        (lambda z: max(0.0, 1 - z))
        if loss == "hinge"
        else (lambda z: math.log2(1 + math.exp(-z)) if z > -30 else -z / math.log(2))
    )
    ref = integrate.quad(
        lambda z: f(z) * math.exp(-0.5 * ((z - a) / s) ** 2) / (s * math.sqrt(2 * math.pi)),
        a - 14 * s,
        a + 14 * s,
        points=[0.0, 1.0],
        limit=500,
        epsabs=1e-14,
        epsrel=1e-13,
    )[0]
    assert_allclose(gaussian_expected_loss(a, s, loss), ref, rtol=1e-11, atol=1e-13)


def test_conditional_loss_matches_monte_carlo():
    model = make_latent_class_model(3, 4, sigma=0.8, rng=0)
    W = np.random.default_rng(1).normal(size=(2, 4))
    x = model.sample_inputs(np.array([0]), 2)
    exact = conditional_loss_linear(W, model, x, [0], [2], block=2, loss="logistic")[0]
    rng = np.random.default_rng(3)
    n = 200_000
    fx = x @ W.T
    fp = model.sample_inputs(np.zeros((n, 2), dtype=int), rng).mean(axis=1) @ W.T
    fn = model.sample_inputs(np.full((n, 2), 2), rng).mean(axis=1) @ W.T
    vals = logistic_loss(((fp - fn) @ fx.T))
    assert abs(vals.mean() - exact) < Z * vals.std() / math.sqrt(n)


def test_finite_model_decomposition_and_lemma_exact():
    rng = np.random.default_rng(4)
    F = rng.normal(size=(3, 4, 2))
    rho = np.array([0.5, 0.3, 0.2])
    for k in (1, 2):
        for loss in ("hinge", "logistic"):
            out = exact_losses_finite_model(F, rho, k=k, loss=loss)
            assert_allclose(out["tau_enumerated"], collision_probability(rho, k), rtol=1e-14)
            assert_allclose(out["L_un"], out["decomposition"], rtol=1e-13)
            assert out["L_collision"] >= 1.0 - 1e-12  # l >= l(0) = 1 on collisions (Jensen)
            assert out["L_sup_mu"] <= out["lemma_bound"] + 1e-12


def test_finite_model_rejects_single_class_and_huge_enumeration():
    with pytest.raises(ValueError, match="tau = 1"):
        exact_losses_finite_model(np.ones((1, 2, 2)), [1.0])
    with pytest.raises(ValueError, match="k"):
        exact_losses_finite_model(np.ones((5, 8, 2)), np.full(5, 0.2), k=3)


def test_linear_exact_supervised_loss_matches_monte_carlo():
    model = make_latent_class_model(4, 5, sigma=0.7, rho=[0.4, 0.3, 0.2, 0.1], rng=0)
    W = np.random.default_rng(1).normal(size=(3, 5))
    enc = linear_encoder(W)
    for loss in ("hinge", "logistic"):
        exact = supervised_mean_loss_linear_exact(W, model, loss)
        mc = supervised_mean_loss(
            enc, model, class_means_linear(W, model), 100_000, k=1, loss=loss, rng=2
        )
        assert abs(mc.mean - exact) < Z * mc.stderr


def test_unsupervised_loss_split_and_shared_negatives_agree():
    model = make_latent_class_model(3, 4, sigma=0.5, rng=0)
    enc = linear_encoder(np.random.default_rng(1).normal(size=(3, 4)))
    a = unsupervised_loss(enc, model, 40_000, k=5, loss="logistic", rng=1, chunk_size=1000)
    b = unsupervised_loss(
        enc, model, 40_000, k=5, loss="logistic", rng=2, chunk_size=1000, shared_negatives=True
    )
    assert abs(a.mean - b.mean) < Z * math.hypot(a.stderr, b.stderr)
    frac = a.parts["collision_fraction"][0]
    tau = collision_probability(model.rho, 5)
    assert abs(frac - tau) < Z * math.sqrt(tau * (1 - tau) / 40_000)
    recombined = frac * a.parts["collision"][0] + (1 - frac) * a.parts["no_collision"][0]
    assert_allclose(recombined, a.mean, rtol=1e-12)


def test_unsupervised_loss_is_deterministic_and_chunk_bounded():
    model = make_latent_class_model(3, 4, sigma=0.5, rng=0)
    enc = linear_encoder(np.eye(4)[:2])
    a = unsupervised_loss(enc, model, 5000, k=2, block=3, rng=7, chunk_size=512)
    b = unsupervised_loss(enc, model, 5000, k=2, block=3, rng=7, chunk_size=512)
    assert a.mean == b.mean and a.stderr == b.stderr


def test_block_loss_is_below_plain_loss():
    model = make_latent_class_model(4, 6, sigma=1.0, rng=3)
    enc = linear_encoder(np.random.default_rng(0).normal(size=(4, 6)) / 2)
    plain = unsupervised_loss(enc, model, 60_000, k=1, block=1, loss="hinge", rng=1)
    block = unsupervised_loss(enc, model, 60_000, k=1, block=4, loss="hinge", rng=2)
    assert block.mean < plain.mean + Z * math.hypot(plain.stderr, block.stderr)


def test_lemma_4_4_and_theorem_population_form():
    model = make_latent_class_model(3, 5, sigma=0.6, rng=5)
    W = np.random.default_rng(6).normal(size=(3, 5)) / 2
    enc = linear_encoder(W)
    s = intra_class_concentration(enc, model, 20_000, rng=1)
    un = unsupervised_loss(enc, model, 60_000, k=1, loss="logistic", rng=2)
    l_eq, se_eq, _ = un.parts["collision"]
    assert l_eq - 1.0 <= lemma_4_4_constant("logistic") * s + Z * se_eq
    tau = collision_probability(model.rho, 1)
    sup = supervised_mean_loss_linear_exact(W, model, "logistic")
    assert sup <= lemma_4_3_bound(un.mean + Z * un.stderr, tau)


def test_mean_classifier_monte_carlo_matches_linear():
    model = make_latent_class_model(3, 4, sigma=0.5, rng=0)
    W = np.random.default_rng(1).normal(size=(2, 4))
    mc = class_means_monte_carlo(linear_encoder(W), model, 200_000, rng=3)
    assert_allclose(
        mc, class_means_linear(W, model), atol=Z * 0.5 * np.abs(W).sum(axis=1).max() / math.sqrt(200_000)
    )


def test_bad_input():
    model = make_latent_class_model(3, 4, rng=0)
    enc = linear_encoder(np.eye(4))
    with pytest.raises(ValueError, match="k"):
        unsupervised_loss(enc, model, 10, k=0)
    with pytest.raises(ValueError, match="loss"):
        unsupervised_loss(enc, model, 10, loss="square")
    with pytest.raises(ValueError, match="chunk_size"):
        unsupervised_loss(enc, model, 100, chunk_size=50, shared_negatives=True)
    with pytest.raises(ValueError, match="W"):
        class_means_linear(np.eye(3), model)
    with pytest.raises(ValueError, match="std"):
        gaussian_expected_loss(0.0, -1.0)


@settings(max_examples=25, deadline=None)
@given(
    C=st.integers(2, 4),
    n=st.integers(1, 3),
    p=st.integers(1, 3),
    k=st.integers(1, 2),
    loss=st.sampled_from(["hinge", "logistic"]),
    seed=st.integers(0, 2**31),
)
def test_lemma_holds_exactly_on_any_finite_model(C, n, p, k, loss, seed):
    rng = np.random.default_rng(seed)
    F = 3 * rng.normal(size=(C, n, p))
    rho = rng.dirichlet(np.ones(C))
    out = exact_losses_finite_model(F, rho, k=k, loss=loss)
    assert_allclose(out["L_un"], out["decomposition"], rtol=1e-12, atol=1e-12)
    assert out["L_sup_mu"] <= out["lemma_bound"] + 1e-10

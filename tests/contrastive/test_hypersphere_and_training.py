"""Alignment, uniformity, InfoNCE (numpy and torch) and torch training."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy import integrate

from analysis.contrastive.data import make_latent_class_model
from analysis.contrastive.hypersphere import (
    alignment,
    alignment_rotation_exact,
    infonce_gap_bounds,
    infonce_limit,
    infonce_loss,
    infonce_minus_log_m,
    sample_uniform_sphere,
    uniformity,
    uniformity_kernel_mean,
    uniformity_uniform_sphere,
)
from analysis.contrastive.training import (
    linear_probe_accuracy,
    make_encoder,
    mean_classifier_accuracy,
    numpy_encoder,
    train_encoder,
)

Z = 5.0


def test_alignment_and_uniformity_numpy_torch_agree():
    z = sample_uniform_sphere(50, 4, rng=0)
    y = sample_uniform_sphere(50, 4, rng=1)
    assert_allclose(float(uniformity(torch.tensor(z), t=2.0)), uniformity(z, t=2.0), rtol=1e-12)
    assert_allclose(
        float(alignment(torch.tensor(z), torch.tensor(y), alpha=1.5)),
        alignment(z, y, alpha=1.5),
        rtol=1e-12,
    )
    # naive pairwise loop on a small sample (independent route; pairs i < j only)
    small = z[:8]
    vals = [math.exp(-2 * np.sum((small[i] - small[j]) ** 2)) for i in range(8) for j in range(i + 1, 8)]
    assert_allclose(uniformity(small, t=2.0), math.log(np.mean(vals)), rtol=1e-13)


def test_uniformity_torch_is_differentiable():
    z = torch.tensor(sample_uniform_sphere(20, 3, rng=0), requires_grad=True)
    uniformity(z).backward()
    assert torch.isfinite(z.grad).all()


@pytest.mark.parametrize("d", [2, 3, 5, 10])
@pytest.mark.parametrize("t", [0.5, 2.0, 8.0])
def test_uniformity_closed_form_matches_quadrature(d, t):
    # u = x.y has density proportional to (1 - u^2)^((d-3)/2) on [-1, 1]
    dens = lambda u: (1 - u * u) ** ((d - 3) / 2)  # noqa: E731
    num = integrate.quad(lambda u: math.exp(-t * (2 - 2 * u)) * dens(u), -1, 1, limit=200)[0]
    den = integrate.quad(dens, -1, 1, limit=200)[0]
    assert_allclose(uniformity_uniform_sphere(d, t), math.log(num / den), rtol=1e-8)


def test_uniformity_closed_form_edge_cases():
    assert_allclose(uniformity_uniform_sphere(1, 1.0), math.log((1 + math.exp(-4)) / 2))
    assert np.isfinite(uniformity_uniform_sphere(512, 200.0))


def test_uniformity_estimator_matches_closed_form():
    z = sample_uniform_sphere(4000, 6, rng=3)
    est = uniformity_kernel_mean(z, t=2.0, n_batches=20)
    assert abs(math.log(est.mean) - uniformity_uniform_sphere(6, 2.0)) < Z * est.stderr / est.mean


def test_alignment_rotation_closed_form_matches_monte_carlo():
    d, theta, alpha = 5, 2.0, 0.7
    x = sample_uniform_sphere(100_000, d, rng=0)
    y = x.copy()
    y[:, 0] = math.cos(theta) * x[:, 0] - math.sin(theta) * x[:, 1]
    y[:, 1] = math.sin(theta) * x[:, 0] + math.cos(theta) * x[:, 1]
    dist = np.linalg.norm(x - y, axis=1) ** alpha
    assert abs(dist.mean() - alignment_rotation_exact(d, theta, alpha)) < Z * dist.std() / math.sqrt(
        dist.size
    )
    # alpha = 2 reduces to 2 - 2 tr(R)/d
    assert_allclose(alignment_rotation_exact(d, theta, 2.0), 2 - 2 * (d - 2 + 2 * math.cos(theta)) / d)


def test_infonce_numpy_torch_and_naive_agree():
    rng = np.random.default_rng(0)
    a, p = sample_uniform_sphere(6, 3, rng=rng), sample_uniform_sphere(6, 3, rng=rng)
    negs = sample_uniform_sphere(6 * 4, 3, rng=rng).reshape(6, 4, 3)
    t = 0.3
    naive = np.mean(
        [
            -math.log(
                math.exp(a[i] @ p[i] / t)
                / (math.exp(a[i] @ p[i] / t) + sum(math.exp(a[i] @ negs[i, j] / t) for j in range(4)))
            )
            for i in range(6)
        ]
    )
    assert_allclose(infonce_loss(a, p, negs, temperature=t), naive, rtol=1e-13)
    tt = infonce_loss(torch.tensor(a), torch.tensor(p), torch.tensor(negs), temperature=t)
    assert_allclose(float(tt), naive, rtol=1e-13)
    shared = negs[0]
    assert_allclose(
        infonce_loss(a, p, shared, temperature=t),
        infonce_loss(a, p, np.broadcast_to(shared, negs.shape), temperature=t),
        rtol=1e-14,
    )


def test_infonce_converges_to_the_limit_within_crude_bounds():
    # the crude rigorous O(1/M) envelope (loose by 30-100x; the exact bracket is tested in
    # test_infonce_expansion.py)
    rng = np.random.default_rng(1)
    z1 = sample_uniform_sphere(300, 4, rng=rng)
    z2 = z1 + 0.2 * rng.normal(size=z1.shape)
    z2 /= np.linalg.norm(z2, axis=1, keepdims=True)
    lim = infonce_limit(z1, z2, temperature=0.7)
    for M in (8, 512):
        est = infonce_minus_log_m(z1, z2, M, 20_000, temperature=0.7, rng=M)
        lo, hi = infonce_gap_bounds(M, 0.7, lim["mean_conditional_variance"])
        assert lo - Z * est.stderr <= est.mean - lim["limit"] <= hi + Z * est.stderr


def test_unnormalised_features_are_refused_or_normalised():
    z = 2.0 * sample_uniform_sphere(10, 3, rng=0)
    with pytest.raises(ValueError, match="unit-norm"):
        uniformity(z)
    with pytest.raises(ValueError, match="unit-norm"):
        alignment(z, z)
    with pytest.raises(ValueError, match="unit-norm"):
        uniformity(torch.tensor(z))
    assert_allclose(uniformity(z, normalize=True), uniformity(z / 2.0))
    with pytest.raises(ValueError, match="t"):
        uniformity(z / 2, t=-1.0)
    with pytest.raises(ValueError, match="at least 2"):
        uniformity(z[:1] / 2)
    with pytest.raises(ValueError, match="z2"):
        alignment(z[:3] / 2, z[:4] / 2)


def test_training_is_deterministic_and_lowers_each_objective():
    model = make_latent_class_model(4, 6, sigma=0.6, rng=0)
    for objective, kind in (
        ("logistic", "linear"),
        ("hinge", "mlp"),
        ("infonce", "mlp"),
        ("align_uniform", "linear"),
    ):
        a = train_encoder(
            model, objective=objective, kind=kind, out_dim=3, steps=40, batch_size=64, lr=0.05, seed=1
        )
        b = train_encoder(
            model, objective=objective, kind=kind, out_dim=3, steps=40, batch_size=64, lr=0.05, seed=1
        )
        assert np.array_equal(a.losses, b.losses), objective
        assert a.losses[-10:].mean() < a.losses[:10].mean(), objective


def test_training_snapshots_and_probes():
    model = make_latent_class_model(3, 5, sigma=0.3, rng=2)
    res = train_encoder(model, steps=30, batch_size=64, checkpoints=(0, 30), seed=0, k=2, block=2)
    assert set(res.snapshots) == {0, 30}
    enc = res.snapshots[30]
    c = model.sample_classes((400,), 1)
    f = enc(model.sample_inputs(c, 2))
    assert mean_classifier_accuracy(f, c, model.means @ enc.weight.T) > 0.8
    assert linear_probe_accuracy(f[:200], c[:200], f[200:], c[200:]) > 0.8


def test_encoder_init_does_not_touch_global_rng_and_runs_on_cpu():
    state = torch.random.get_rng_state()
    enc = make_encoder("mlp", 4, 2, seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    out = numpy_encoder(enc)(np.zeros((5, 4)))
    assert out.shape == (5, 2) and out.dtype == np.float64


def test_training_bad_input():
    model = make_latent_class_model(3, 4, rng=0)
    with pytest.raises(ValueError, match="objective"):
        train_encoder(model, objective="triplet")
    with pytest.raises(ValueError, match="k"):
        train_encoder(model, k=0)
    with pytest.raises(ValueError, match="device"):
        train_encoder(model, device="tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_training_on_gpu_matches_cpu_closely():
    model = make_latent_class_model(4, 6, sigma=0.6, rng=0)
    cpu = train_encoder(model, steps=20, batch_size=64, seed=1, device="cpu")
    gpu = train_encoder(model, steps=20, batch_size=64, seed=1, device="cuda")
    assert_allclose(gpu.losses, cpu.losses, rtol=1e-8)

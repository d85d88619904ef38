"""Same seed, same initial weights on every device: initialisations come from a CPU generator.

The reference is drawn in the test from a CPU ``torch.Generator`` (the documented stream); the
simulations' epoch-0 iterates must equal it on the CPU and, when a GPU is present, on CUDA too
(a CUDA generator would draw a different stream). A few GD steps then agree across devices to
float64 round-off.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from analysis._core.rng import make_torch_generator
from analysis.neural_collapse import random_batches, train_ce_ufm, train_scl_ufm

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
COUNTS = np.array([4, 3, 3])
SEED = 7


def _ce_reference(d, init_scale):
    gen = make_torch_generator(SEED, "cpu")
    N, C = int(COUNTS.sum()), COUNTS.size
    H = init_scale * torch.randn(N, d, generator=gen, dtype=torch.float64)
    W = init_scale * torch.randn(C, d, generator=gen, dtype=torch.float64)
    return H.numpy(), W.numpy()


def _scl_reference_features(d):
    gen = make_torch_generator(SEED, "cpu")
    Z = torch.randn(int(COUNTS.sum()), d, generator=gen, dtype=torch.float64).abs()
    return (Z / Z.norm(dim=1, keepdim=True)).numpy()


@pytest.mark.parametrize("device", DEVICES)
def test_ce_ufm_initial_weights_do_not_depend_on_the_device(device):
    H0, W0 = _ce_reference(d=5, init_scale=0.1)
    res = train_ce_ufm(COUNTS, 5, epochs=0, init_scale=0.1, seed=SEED, device=device)
    assert_array_equal(res.H, H0)
    assert_array_equal(res.W, W0)
    cpu = train_ce_ufm(COUNTS, 5, epochs=3, record_every=1, seed=SEED, device="cpu")
    dev = train_ce_ufm(COUNTS, 5, epochs=3, record_every=1, seed=SEED, device=device)
    assert_allclose(dev.H, cpu.H, rtol=1e-10, atol=1e-12)
    assert_allclose(dev.history["loss"], cpu.history["loss"], rtol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_scl_ufm_initial_features_do_not_depend_on_the_device(device):
    res = train_scl_ufm(COUNTS, 4, temperature=0.5, epochs=0, seed=SEED, device=device)
    assert_allclose(res.features, _scl_reference_features(4), rtol=0, atol=1e-15)
    batches = random_batches(int(COUNTS.sum()), 5, rng=0)
    cpu = train_scl_ufm(COUNTS, 4, temperature=0.5, batches=batches, epochs=3, record_every=1,
                        seed=SEED, device="cpu")
    dev = train_scl_ufm(COUNTS, 4, temperature=0.5, batches=batches, epochs=3, record_every=1,
                        seed=SEED, device=device)
    assert_allclose(dev.features, cpu.features, rtol=1e-10, atol=1e-12)
    assert_allclose(dev.history["loss"], cpu.history["loss"], rtol=1e-10)

"""Same seed, same numbers on every device (issue 16, item 6).

Every random draw of ``analysis.contrastive.training`` (encoder initialisation, class sampling,
view noise) comes from a CPU ``torch.Generator`` seeded from ``seed`` and is then moved to the
device, never from the device's own generator. The reference is computed in each test from the
CPU path; the test then runs each device (CPU, and CUDA when present) and compares.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from analysis._core.rng import make_torch_generator
from analysis.contrastive.data import make_latent_class_model
from analysis.contrastive.training import _sample_batch, make_encoder, train_encoder

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
OBJECTIVES = ("logistic", "hinge", "infonce", "align_uniform")


def _weights(module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_initial_weights_do_not_depend_on_the_device(kind):
    reference = _weights(make_encoder(kind, 6, 3, hidden=5, seed=11, device="cpu", dtype="float64"))
    for device in DEVICES:
        weights = _weights(make_encoder(kind, 6, 3, hidden=5, seed=11, device=device, dtype="float64"))
        assert weights.keys() == reference.keys()
        for name in reference:  # drawn on the CPU then copied: bit-identical, not just close
            assert_array_equal(weights[name], reference[name], err_msg=f"{device}: {name}")
    other = _weights(make_encoder(kind, 6, 3, hidden=5, seed=12, device="cpu", dtype="float64"))
    assert any(not np.array_equal(other[n], reference[n]) for n in reference)  # the seed matters


def test_batch_sampling_does_not_depend_on_the_device():
    model = make_latent_class_model(3, 4, sigma=0.5, rng=0)
    rho = torch.tensor(model.rho, dtype=torch.float64)

    def batch(device):
        means = torch.tensor(model.means, dtype=torch.float64, device=device)
        out = _sample_batch(means, model.sigma, rho, 7, 2, 2, make_torch_generator(3, "cpu"))
        return [t.detach().cpu().numpy() for t in out]

    reference = batch("cpu")
    for device in DEVICES:
        for got, want in zip(batch(device), reference, strict=True):
            assert_array_equal(got, want)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_first_training_steps_do_not_depend_on_the_device(objective):
    model = make_latent_class_model(3, 4, sigma=0.5, rng=0)
    # a ReLU MLP can map a view to 0, which the unit-sphere objectives refuse: linear there
    kind = "linear" if objective == "align_uniform" else "mlp"
    kwargs = dict(objective=objective, kind=kind, out_dim=3, hidden=5, steps=3, batch_size=16,
                  k=2 if objective in ("logistic", "hinge") else 1, seed=4, dtype="float64")
    reference = train_encoder(model, device="cpu", **kwargs)
    for device in DEVICES:
        run = train_encoder(model, device=device, **kwargs)
        # the same draws on every device; only float round-off of the kernels may differ
        assert_allclose(run.losses, reference.losses, rtol=1e-10 if device == "cpu" else 1e-8)
        for name, value in _weights(run.encoder).items():
            assert_allclose(value, _weights(reference.encoder)[name], rtol=1e-8, atol=1e-12)

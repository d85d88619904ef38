"""Same seed, same numbers on every device (issue 16, item 6).

Random initial weights and sampled hypotheses are drawn from a CPU generator and then moved to
the device, never from the device's own generator (a CUDA generator draws another stream). Each
torch simulation's first steps run in float64 on the CPU and, where a GPU is present, on CUDA,
and are compared with a reference computed here from the CPU path.
"""

import numpy as np
import pytest
import torch

from analysis.inductive_bias import (
    init_mlp_ensemble,
    sample_gaussian_losses,
    synthetic_task,
    train_mlp_ensemble,
)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _task():
    task = synthetic_task(3, n_train=12, n_test=6, rng=4)
    return task.X_train, np.hstack([task.Y_train, -task.Y_train])


@pytest.fixture(scope="module")
def cpu_reference():
    """First steps of every torch simulation on the CPU (float64): the reference."""
    X, Y = _task()
    init = init_mlp_ensemble(3, 3, 8, 2, 2, seed=11, device="cpu")
    trained = train_mlp_ensemble(X, Y, n_models=3, width=8, depth=2, steps=5, seed=11, device="cpu")
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 5))
    gauss = {"mean": rng.standard_normal((5, 2)), "cov": A @ A.T / 5, "target": np.eye(5)[:, :2]}
    losses = sample_gaussian_losses(**gauss, n_samples=50, rng=9, method="eigen", device="cpu")
    return {"init": [p.numpy().copy() for p in init.weights + init.biases],
            "trained": [p.numpy().copy() for p in trained.weights + trained.biases],
            "gauss": gauss, "losses": losses}


@pytest.mark.parametrize("device", DEVICES)
def test_initial_weights_do_not_depend_on_the_device(cpu_reference, device):
    init = init_mlp_ensemble(3, 3, 8, 2, 2, seed=11, device=device)
    got = [p.cpu().numpy() for p in init.weights + init.biases]
    for a, b in zip(got, cpu_reference["init"], strict=True):
        np.testing.assert_array_equal(a, b)  # the same uniforms, bit for bit


@pytest.mark.parametrize("device", DEVICES)
def test_first_training_steps_do_not_depend_on_the_device(cpu_reference, device):
    X, Y = _task()
    trained = train_mlp_ensemble(X, Y, n_models=3, width=8, depth=2, steps=5, seed=11, device=device)
    got = [p.cpu().numpy() for p in trained.weights + trained.biases]
    for a, b in zip(got, cpu_reference["trained"], strict=True):
        # same start; 5 float64 Adam steps differ only by the device's summation order
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_sampled_hypotheses_do_not_depend_on_the_device(cpu_reference, device):
    losses = sample_gaussian_losses(**cpu_reference["gauss"], n_samples=50, rng=9, method="eigen",
                                    device=device)
    np.testing.assert_allclose(losses, cpu_reference["losses"], rtol=1e-12)


def test_cpu_path_is_reproducible_and_seeded(cpu_reference):
    again = init_mlp_ensemble(3, 3, 8, 2, 2, seed=11, device="cpu")
    for a, b in zip(again.weights + again.biases, cpu_reference["init"], strict=True):
        np.testing.assert_array_equal(a.numpy(), b)
    other = init_mlp_ensemble(3, 3, 8, 2, 2, seed=12, device="cpu")
    assert not np.array_equal(other.weights[0].numpy(), cpu_reference["init"][0])

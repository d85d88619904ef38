r"""Torch training of linear and small-MLP encoders on the latent-class model, and linear probes.

Objectives (``objective=``):

- ``"logistic"`` / ``"hinge"``: the unsupervised loss :math:`L_{un}` of Arora et al. (2019) with k
  negatives and blocks of b, on unnormalised features;
- ``"infonce"``: InfoNCE with in-batch negatives on unit-norm features (temperature t);
- ``"align_uniform"``: :math:`\mathcal L_{align}(\alpha = 2) + \lambda\,\mathcal L_{uniform}(t = 2)`
  of Wang & Isola (2020), on unit-norm features (uniformity averaged over the two views).

Batches are drawn afresh from the model at every step (the population setting of the bounds)
with a seeded CPU ``torch.Generator``: every random draw (initial weights, classes, view noise)
is made on the CPU and then moved to the device, so the same seed gives the same draws on every
device and the runs differ only by the kernels' float round-off
(tests/contrastive/test_device_reproducibility.py). Runs on CPU or GPU (``device=``), float64 by
default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_rng, make_torch_generator
from analysis._core.validate import check_choice, check_int, check_positive
from analysis.contrastive.data import LatentClassModel

__all__ = [
    "OBJECTIVES",
    "TrainingResult",
    "linear_probe_accuracy",
    "make_encoder",
    "mean_classifier_accuracy",
    "numpy_encoder",
    "train_encoder",
]

OBJECTIVES = ("logistic", "hinge", "infonce", "align_uniform")


def make_encoder(
    kind: str, in_dim: int, out_dim: int, hidden: int = 32, seed: int = 0, device="cpu", dtype="float64"
):
    r"""A linear (:math:`f(x) = Wx`) or one-hidden-layer ReLU encoder with seeded Gaussian init.

    Parameters are created directly from a seeded generator (no global RNG is touched).
    Initial scale :math:`1/\sqrt{\text{fan-in}}`.
    """
    import torch
    from torch import nn

    check_choice(kind, "kind", ("linear", "mlp"))
    in_dim = check_int(in_dim, "in_dim", minimum=1)
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    hidden = check_int(hidden, "hidden", minimum=1)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = make_torch_generator(seed, "cpu")  # init on CPU then move: identical weights on any device

    def param(*shape):
        w = torch.randn(*shape, generator=gen, dtype=dt) / math.sqrt(shape[-1])
        return nn.Parameter(w.to(dev))

    class LinearEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = param(out_dim, in_dim)

        def forward(self, x):
            return x @ self.weight.T

    class MLPEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.w1 = param(hidden, in_dim)
            self.b1 = nn.Parameter(torch.zeros(hidden, dtype=dt, device=dev))
            self.w2 = param(out_dim, hidden)

        def forward(self, x):
            return torch.relu(x @ self.w1.T + self.b1) @ self.w2.T

    return LinearEncoder() if kind == "linear" else MLPEncoder()


def numpy_encoder(module):
    """Wrap a torch encoder as a numpy callable ``(..., d) -> (..., p)`` (float64, no gradients)."""
    import torch

    param = next(module.parameters())

    def encode(x):
        with torch.no_grad():
            xt = torch.tensor(np.asarray(x), dtype=param.dtype, device=param.device)  # copies
            return module(xt).cpu().numpy().astype(np.float64)

    if hasattr(module, "weight"):
        encode.weight = module.weight.detach().cpu().numpy().astype(np.float64)  # type: ignore[attr-defined]
    return encode


@dataclass
class TrainingResult:
    """Outcome of :func:`train_encoder`.

    Attributes
    ----------
    encoder : torch.nn.Module
        The trained encoder.
    losses : numpy.ndarray
        Training objective at every step.
    snapshots : dict
        ``{step: numpy encoder}`` at the requested checkpoint steps (step 0 = initialisation).
    params : dict
        The settings of the run.
    """

    encoder: object
    losses: np.ndarray
    snapshots: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def _sample_batch(means, sigma, rho, n, k, block, gen):
    """Torch batch: anchors, b positives, k blocks of b negatives, and their classes."""
    import torch

    C, d = means.shape
    c_pos = torch.multinomial(rho, n, replacement=True, generator=gen)
    c_neg = torch.multinomial(rho, n * k, replacement=True, generator=gen).reshape(n, k)
    noise = torch.randn(n * (1 + block + k * block), d, generator=gen, dtype=means.dtype)
    noise = noise.to(means.device)
    x = means[c_pos] + sigma * noise[:n]
    x_pos = means[c_pos][:, None, :] + sigma * noise[n : n + n * block].reshape(n, block, d)
    x_neg = means[c_neg][:, :, None, :] + sigma * noise[n + n * block :].reshape(n, k, block, d)
    return x, x_pos, x_neg, c_pos, c_neg


def train_encoder(
    model: LatentClassModel,
    objective: str = "logistic",
    kind: str = "linear",
    out_dim: int = 8,
    hidden: int = 32,
    steps: int = 300,
    batch_size: int = 256,
    k: int = 1,
    block: int = 1,
    lr: float = 0.01,
    temperature: float = 0.5,
    lam: float = 1.0,
    checkpoints=(),
    seed: int = 0,
    device="cpu",
    dtype="float64",
    reverse: bool = False,
) -> TrainingResult:
    r"""Train an encoder by Adam on fresh batches of the latent-class model.

    Parameters
    ----------
    model : LatentClassModel
    objective : {"logistic", "hinge", "infonce", "align_uniform"}
    kind : {"linear", "mlp"}
    out_dim, hidden : int
        Feature dimension p and hidden width of the MLP.
    steps, batch_size : int
    k, block : int
        Negatives and block size for the Arora objectives.
    lr : float
        Adam learning rate.
    temperature : float
        InfoNCE temperature.
    lam : float
        Weight :math:`\lambda` of the uniformity term.
    checkpoints : iterable of int
        Steps at which to store a numpy copy of the encoder (0 = before training).
    seed : int
        Seeds the initialisation and the batches.
    device, dtype
        torch device (``"auto"``, ``"cpu"``, ``"cuda"``) and dtype.
    reverse : bool
        Swap positives and negatives (trains AGAINST the objective). Only for the checks that
        must show a broken training fails.
    """
    import torch

    from analysis.contrastive.hypersphere import alignment, uniformity
    from analysis.contrastive.losses import contrastive_scores, hinge_loss, logistic_loss

    if not isinstance(model, LatentClassModel):
        raise ValueError(f"model: expected a LatentClassModel, got {type(model).__name__}")
    objective = check_choice(objective, "objective", OBJECTIVES)
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    k = check_int(k, "k", minimum=1)
    block = check_int(block, "block", minimum=1)
    lr = check_positive(lr, "lr")
    temperature = check_positive(temperature, "temperature")
    lam = check_positive(lam, "lam")
    checkpoints = sorted({check_int(c, "checkpoints", minimum=0, maximum=steps) for c in checkpoints})
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    encoder = make_encoder(kind, model.dim, out_dim, hidden=hidden, seed=seed, device=dev, dtype=dt)
    gen = make_torch_generator(int(make_rng(seed).integers(2**31)), "cpu")
    # copies: the model's arrays are read-only
    means = torch.tensor(np.array(model.means), dtype=dt, device=dev)
    rho = torch.tensor(np.array(model.rho), dtype=torch.float64)
    opt = torch.optim.Adam(encoder.parameters(), lr=lr)
    losses = np.empty(steps)
    snapshots = {}

    def snapshot():
        clone = make_encoder(kind, model.dim, out_dim, hidden=hidden, seed=seed, device="cpu", dtype=dt)
        clone.load_state_dict(
            {name: v.detach().cpu().clone() for name, v in encoder.state_dict().items()}
        )
        return numpy_encoder(clone)

    for step in range(steps):
        if step in checkpoints:
            snapshots[step] = snapshot()
        x, x_pos, x_neg, _, _ = _sample_batch(means, model.sigma, rho, batch_size, k, block, gen)
        if reverse:
            x_pos, x_neg = x_neg[:, 0], x_pos[:, None]
        fx, f_pos, f_neg = encoder(x), encoder(x_pos), encoder(x_neg)
        if objective in ("logistic", "hinge"):
            v = contrastive_scores(fx, f_pos, f_neg)
            value = (logistic_loss(v) if objective == "logistic" else hinge_loss(v)).mean()
        else:
            z1 = torch.nn.functional.normalize(fx, dim=1)
            z2 = torch.nn.functional.normalize(f_pos.mean(dim=1), dim=1)
            if objective == "infonce":
                logits = z1 @ z2.T / temperature  # in-batch negatives: the other rows' positives
                target = torch.arange(batch_size, device=dev)
                value = torch.nn.functional.cross_entropy(logits, target)
            else:
                value = alignment(z1, z2, alpha=2.0) + lam * 0.5 * (
                    uniformity(z1, t=2.0) + uniformity(z2, t=2.0)
                )
        opt.zero_grad()
        value.backward()
        opt.step()
        losses[step] = float(value.detach())
    if steps in checkpoints:
        snapshots[steps] = snapshot()
    params = {
        "objective": objective,
        "kind": kind,
        "out_dim": out_dim,
        "hidden": hidden,
        "steps": steps,
        "batch_size": batch_size,
        "k": k,
        "block": block,
        "lr": lr,
        "temperature": temperature,
        "lam": lam,
        "seed": seed,
        "device": str(dev),
        "dtype": str(dt),
    }
    return TrainingResult(encoder=encoder, losses=losses, snapshots=snapshots, params=params)


def mean_classifier_accuracy(features, labels, class_means) -> float:
    r"""Accuracy of the mean classifier :math:`\arg\max_c \mu_c^\top f(x)` (Arora et al. Def. 2.1)."""
    scores = np.asarray(features) @ np.asarray(class_means).T
    return float(np.mean(np.argmax(scores, axis=1) == np.asarray(labels)))


def linear_probe_accuracy(
    train_features, train_labels, test_features, test_labels, c_reg: float = 1.0
) -> float:
    """Test accuracy of a multinomial logistic-regression probe (scikit-learn, lbfgs) on features."""
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(train_labels)) < 2:
        return float(np.mean(np.asarray(test_labels) == np.asarray(train_labels)[0]))
    probe = LogisticRegression(C=check_positive(c_reg, "c_reg"), max_iter=500)
    probe.fit(np.asarray(train_features), np.asarray(train_labels))
    return float(probe.score(np.asarray(test_features), np.asarray(test_labels)))

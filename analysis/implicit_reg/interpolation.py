r"""Finite-sample expressivity (Zhang et al. 2017): exact ReLU interpolation, random labels.

A depth-2 ReLU net with 2n + d weights interpolates any labels, and a small MLP fits true and
random labels alike.

The construction: pick :math:`a \in \mathbb R^d` with distinct projections
:math:`z_i = a^\top x_i`, sort them, interleave biases :math:`b_1 < z_{(1)} < b_2 < z_{(2)} <
\dots < b_n < z_{(n)}`. Then :math:`A_{ij} = \max(z_{(i)} - b_j, 0)` is lower triangular with a
positive diagonal, hence invertible, and

.. math:: c(x) = \sum_{j=1}^n w_j \max(a^\top x - b_j, 0), \qquad w = A^{-1} y,

fits :math:`c(x_i) = y_i` exactly with :math:`d + n + n` weights.

References
----------
.. [1] C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals, "Understanding deep learning
   requires rethinking generalization", ICLR 2017, Thm 1 and Lemma 1 (Sec. 4); Fig. 1a
   (fitting random labels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_rng, make_torch_generator
from analysis._core.validate import (
    as_array,
    check_budget,
    check_choice,
    check_int,
    check_labels,
    check_probability,
    check_real,
)


@dataclass(frozen=True)
class ReluInterpolant:
    r"""The depth-2 ReLU network :math:`c(x) = \sum_j w_j \max(a^\top x - b_j, 0)`.

    Attributes
    ----------
    a : (d,) projection; b : (n,) biases; w : (n,) output weights.
    """

    a: np.ndarray
    b: np.ndarray
    w: np.ndarray

    @property
    def n_weights(self) -> int:
        """Number of parameters, 2n + d."""
        return int(self.a.size + self.b.size + self.w.size)

    def __call__(self, X) -> np.ndarray:
        """Evaluate the network on the rows of ``X``."""
        X = as_array(X, "X", ndim=2)
        if X.shape[1] != self.a.size:
            raise ValueError(f"X: expected {self.a.size} columns, got {X.shape[1]}")
        return np.maximum(np.subtract.outer(X @ self.a, self.b), 0.0) @ self.w


def relu_interpolant(X, y, *, rng=0, biases: str = "interleaved") -> ReluInterpolant:
    r"""Build the exact depth-2 ReLU interpolant of Zhang et al. (2017), Thm 1.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Distinct sample points.
    y : array_like, shape (n,)
        Any real labels.
    rng : int or numpy.random.Generator
        Draws the projection direction ``a`` (distinct projections with probability 1).
    biases : {"interleaved", "below"}
        ``"interleaved"`` is the construction; ``"below"`` puts every bias below all
        projections (then A has rank <= 2 and the fit fails: used as a broken input).

    Returns
    -------
    ReluInterpolant

    Raises
    ------
    ValueError
        If two points have the same projection (repeated points) or labels are malformed.

    Examples
    --------
    >>> from analysis.implicit_reg import relu_interpolant
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    >>> net = relu_interpolant(X, y, rng=0)
    >>> net.n_weights, bool(np.allclose(net(X), y))  # 2n + d weights fit any labels exactly
    (23, True)
    """
    X = as_array(X, "X", ndim=2, min_size=1)
    n, d = X.shape
    y = as_array(y, "y", shape=(n,))
    biases = check_choice(biases, "biases", ("interleaved", "below"))
    a = make_rng(rng, name="rng").standard_normal(d)
    z = X @ a
    order = np.argsort(z)
    zs = z[order]
    gaps = np.diff(zs)
    if n > 1 and gaps.min() <= 1e-12 * max(1.0, np.abs(zs).max()):
        raise ValueError("X: expected distinct points (two projections coincide)")
    first_gap = gaps.min() if n > 1 else 1.0
    if biases == "interleaved":
        b = np.concatenate([[zs[0] - first_gap], 0.5 * (zs[:-1] + zs[1:])])
    else:
        b = zs[0] - first_gap * (1.0 + np.arange(n))
    A = np.maximum(zs[:, None] - b[None, :], 0.0)
    if biases == "interleaved":  # lower triangular with a positive diagonal: forward substitution
        w = scipy.linalg.solve_triangular(A, y[order], lower=True)
    else:
        w = np.linalg.lstsq(A, y[order], rcond=None)[0]
    return ReluInterpolant(a=a, b=b, w=w)


def random_label_dataset(n: int, d: int, *, label_noise: float, n_classes: int = 2, rng=0):
    r"""A teacher-labelled Gaussian dataset with a fraction of labels replaced at random.

    Inputs :math:`x_i \sim N(0, I_d)`; true labels :math:`\arg\max_c (x^\top T)_c` for a random
    linear teacher T; each label is replaced by a uniform random class with probability
    ``label_noise`` (1 = completely random labels, as in Zhang et al., Fig. 1a).

    Returns
    -------
    X : (n, d), y : (n,) int labels, y_true : (n,) teacher labels

    Examples
    --------
    >>> from analysis.implicit_reg import random_label_dataset
    >>> X, y, y_true = random_label_dataset(50, 5, label_noise=0.0, rng=0)
    >>> X.shape, bool(np.array_equal(y, y_true))  # no noise: the teacher's labels
    ((50, 5), True)
    >>> X, y, y_true = random_label_dataset(50, 5, label_noise=1.0, n_classes=3, rng=0)
    >>> np.unique(y).tolist()  # uniformly random classes
    [0, 1, 2]
    """
    n = check_int(n, "n", minimum=2)
    d = check_int(d, "d", minimum=1)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    label_noise = check_probability(label_noise, "label_noise")
    check_budget("n, d, n_classes", n_bytes=8.0 * (n * d + d * n_classes + n * n_classes + 4 * n),
                 what=f"{n} points in dimension {d} with {n_classes} classes")
    gen = make_rng(rng, name="rng")
    X = gen.standard_normal((n, d))
    T = gen.standard_normal((d, n_classes))
    y_true = np.argmax(X @ T, axis=1)
    flip = gen.random(n) < label_noise
    y = np.where(flip, gen.integers(0, n_classes, size=n), y_true)
    return X, y, y_true


def fit_mlp_batch(
    X,
    labels,
    *,
    hidden: int = 256,
    n_steps: int = 2000,
    lr: float = 1e-2,
    weight_decay=0.0,
    n_classes: int = 2,
    seed: int = 0,
    device: str = "cpu",
    dtype: str = "float32",
    record_every: int = 10,
    X_test=None,
    y_test=None,
) -> dict:
    r"""Train a batch of depth-2 ReLU MLPs (one per label vector) by full-batch Adam.

    Model :math:`f(x) = W_2\, \mathrm{relu}(W_1 x + b_1) + b_2` (He init), cross-entropy loss
    plus :math:`\frac{\lambda}{2}\|W\|^2` on all weights when ``weight_decay`` > 0. All models in
    the batch run as one batched matrix product per step.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Shared inputs.
    labels : array_like of int, shape (B, n)
        One label vector per model (e.g. different label-noise levels).
    weight_decay : float or sequence of float (length B)
        L2 coefficient(s) :math:`\lambda`.
    dtype : str
        float32 by default: training curves, not a verification (the claim uses the exact
        construction instead).
    X_test, y_test : array_like, optional
        Held-out inputs and their true labels; the accuracy after the last step is returned.

    Returns
    -------
    dict
        ``{"steps": (T,), "train_acc": (B, T), "loss": (B, T), "steps_to_fit": (B,)}`` where
        ``steps_to_fit`` is the first recorded step with 100 % training accuracy (NaN if never),
        plus ``"test_acc": (B,)`` when a test set is given.

    Examples
    --------
    >>> from analysis.implicit_reg import fit_mlp_batch, random_label_dataset
    >>> X, y, _ = random_label_dataset(20, 5, label_noise=1.0, rng=0)
    >>> out = fit_mlp_batch(X, y[None], hidden=64, n_steps=200, record_every=50)
    >>> out["train_acc"].shape, float(out["train_acc"][0, -1])  # random labels, memorised
    ((1, 5), 1.0)
    """
    import torch

    X = as_array(X, "X", ndim=2, min_size=1)
    n, d = X.shape
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    raw = np.asarray(labels.detach().cpu().numpy() if hasattr(labels, "detach") else labels)
    if raw.ndim != 2 or raw.shape[1] != n or raw.shape[0] == 0:
        raise ValueError(f"labels: expected shape (B, {n}) with B >= 1 (one row per model, n = "
                         f"{n} rows of X), got {raw.shape}")
    labels = np.stack([check_labels(row, "labels", n_classes=n_classes) for row in raw])
    B = labels.shape[0]
    hidden = check_int(hidden, "hidden", minimum=1)
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    lr = check_real(lr, "lr", minimum=0.0, strict_min=True)
    wd = as_array(weight_decay, "weight_decay", ndim=(0, 1))
    if wd.ndim == 1 and wd.shape[0] not in (1, B):
        raise ValueError(f"weight_decay: expected a number or {B} numbers (one per label vector), "
                         f"got {wd.shape[0]}")
    wd = np.array(np.broadcast_to(wd, (B,)))
    if np.any(wd < 0):
        raise ValueError(f"weight_decay: expected non-negative values, got {wd.tolist()}")
    # parameters, gradients and two Adam moments (4 copies), activations of the batch (3 copies)
    n_params = float(B) * (d * hidden + hidden * n_classes + hidden + n_classes)
    n_bytes = 8.0 * (4 * n_params + 3 * B * n * (hidden + n_classes))
    check_budget("hidden, n_classes, labels", n_bytes=n_bytes,
                 what=f"{B} MLPs of width {hidden} with {n_classes} classes")
    check_budget("n_steps", n_operations=6.0 * n_steps * n * n_params,
                 what=f"{n_steps} Adam steps of {B} MLPs on {n} points")
    if X_test is not None:
        X_test = as_array(X_test, "X_test", shape=(None, d), min_size=1)
        y_test = check_labels(y_test, "y_test", n_classes=n_classes, n_samples=X_test.shape[0])
    elif y_test is not None:
        raise ValueError("y_test: expected None without X_test, got labels")
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = make_torch_generator(check_int(seed, "seed", minimum=0), "cpu")
    W1 = (torch.randn(B, d, hidden, generator=gen, dtype=torch.float64) * np.sqrt(2.0 / d)).to(dev, dt)
    W2 = (torch.randn(B, hidden, n_classes, generator=gen, dtype=torch.float64)
          * np.sqrt(1.0 / hidden)).to(dev, dt)
    b1 = torch.zeros(B, 1, hidden, dtype=dt, device=dev)
    b2 = torch.zeros(B, 1, n_classes, dtype=dt, device=dev)
    params = [p.requires_grad_() for p in (W1, b1, W2, b2)]
    Xt = torch.as_tensor(X, dtype=dt, device=dev).expand(B, n, d)
    yt = torch.as_tensor(labels, dtype=torch.long, device=dev)
    lam = torch.as_tensor(wd, dtype=dt, device=dev)
    # Adam (Kingma & Ba 2015, default betas) written out: torch.optim's first step costs seconds
    # of one-off initialisation, more than these small runs themselves
    beta1, beta2, eps_adam = 0.9, 0.999, 1e-8
    m1 = [torch.zeros_like(p) for p in params]
    m2 = [torch.zeros_like(p) for p in params]
    steps, accs, losses = [], [], []
    for step in range(n_steps + 1):
        logits = torch.relu(Xt @ W1 + b1) @ W2 + b2  # (B, n, C)
        ce = torch.nn.functional.cross_entropy(logits.reshape(B * n, -1), yt.reshape(-1),
                                               reduction="none").reshape(B, n).mean(dim=1)
        if step % record_every == 0 or step == n_steps:
            with torch.no_grad():
                steps.append(step)
                accs.append((logits.argmax(-1) == yt).double().mean(dim=1).cpu().numpy())
                losses.append(ce.detach().double().cpu().numpy())
        if step == n_steps:
            break
        reg = 0.5 * lam * ((W1**2).sum(dim=(1, 2)) + (W2**2).sum(dim=(1, 2)))
        grads = torch.autograd.grad((ce + reg).sum(), params)
        with torch.no_grad():
            for p, g, a, b in zip(params, grads, m1, m2, strict=True):
                a.mul_(beta1).add_(g, alpha=1 - beta1)
                b.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                a_hat = a / (1 - beta1 ** (step + 1))
                b_hat = b / (1 - beta2 ** (step + 1))
                p.sub_(lr * a_hat / (b_hat.sqrt() + eps_adam))
    acc = np.stack(accs, axis=1)
    steps_arr = np.asarray(steps)
    fitted = acc >= 1.0
    steps_to_fit = np.where(fitted.any(axis=1), steps_arr[np.argmax(fitted, axis=1)], np.nan)
    out = {"steps": steps_arr, "train_acc": acc, "loss": np.stack(losses, axis=1),
           "steps_to_fit": steps_to_fit}
    if X_test is not None:
        with torch.no_grad():
            Xq = torch.as_tensor(X_test, dtype=dt, device=dev).expand(B, -1, d)
            pred = (torch.relu(Xq @ W1 + b1) @ W2 + b2).argmax(-1).cpu().numpy()
        out["test_acc"] = (pred == y_test[None]).mean(axis=1)
    return out

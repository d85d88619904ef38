r"""Full-batch GD with an explicit gradient-norm penalty vs mini-batch SGD on a small MLP.

Backward-error analysis (Smith, Dherin, Barrett & De 2021) says that SGD with step
:math:`\eta` and :math:`m` mini-batches per epoch follows, to second order, gradient flow on

.. math:: \tilde L(\theta) = L(\theta) + \frac{\eta}{4m} \sum_{k=1}^m \|\nabla L_k(\theta)\|^2,

and Geiping et al. (2022) show that full-batch GD with such an explicit penalty recovers SGD's
test accuracy. We run the three optimisers on the same CPU-sized problem (a depth-2 ReLU MLP on
teacher-labelled Gaussian data with label noise), batched over repetitions:

* ``"sgd"``: mini-batch SGD, step :math:`\eta`, reshuffled every epoch;
* ``"gd"``: full-batch GD, same step and number of epochs;
* ``"gd+penalty"``: full-batch GD on :math:`L + \frac{\eta}{4m}\sum_k \|\nabla L_k\|^2` with the
  mini-batch gradients of a fixed partition (double back-propagation).

References
----------
.. [1] J. Geiping, M. Goldblum, P. Pope, M. Moeller, T. Goldstein, "Stochastic Training is Not
   Necessary for Generalization", ICLR 2022, Eq. (3)-(5).
.. [2] S. L. Smith, B. Dherin, D. Barrett, S. De, "On the Origin of Implicit Regularization in
   Stochastic Gradient Descent", ICLR 2021, Eq. (2).
"""

from __future__ import annotations

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_rng, make_torch_generator
from analysis._core.validate import as_array, check_choice, check_int, check_labels, check_positive

METHODS = ("sgd", "gd", "gd+penalty")


def train_mlp(
    X,
    y,
    X_test,
    y_test,
    *,
    method: str,
    n_repeats: int = 3,
    hidden: int = 128,
    step: float = 0.1,
    n_epochs: int = 100,
    batch_size: int = 32,
    seed: int = 0,
    device: str = "cpu",
    dtype: str = "float32",
) -> dict:
    r"""Train ``n_repeats`` depth-2 ReLU MLPs (binary cross-entropy) with one of :data:`METHODS`.

    Parameters
    ----------
    X, y : array_like
        Training inputs (n, d) and labels in {0, 1}.
    X_test, y_test : array_like
        Held-out inputs and labels.
    method : {"sgd", "gd", "gd+penalty"}
    n_repeats : int
        Independent initialisations (and SGD orders) trained as one batch.
    step : float
        Step :math:`\eta` (the same for all methods).
    n_epochs : int
        Passes over the data (SGD: n / batch_size steps each; GD: one step each).
    batch_size : int
        Mini-batch size (SGD, and the partition of the penalty).

    Returns
    -------
    dict
        ``{"epochs": (E,), "train_loss": (R, E), "test_acc": (R, E)}``.
    """
    import torch

    X = as_array(X, "X", ndim=2, min_size=1)
    n, d = X.shape
    y = check_labels(y, "y", n_classes=2, n_samples=n)
    X_test = as_array(X_test, "X_test", shape=(None, d))
    y_test = check_labels(y_test, "y_test", n_classes=2, n_samples=X_test.shape[0])
    method = check_choice(method, "method", METHODS)
    R = check_int(n_repeats, "n_repeats", minimum=1)
    hidden = check_int(hidden, "hidden", minimum=1)
    step = check_positive(step, "step")
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = make_torch_generator(check_int(seed, "seed", minimum=0), "cpu")
    W1 = (torch.randn(R, d, hidden, generator=gen, dtype=torch.float64) * np.sqrt(2.0 / d)).to(dev, dt)
    w2 = (torch.randn(R, hidden, 1, generator=gen, dtype=torch.float64)
          * np.sqrt(1.0 / hidden)).to(dev, dt)
    params = [W1.requires_grad_(), w2.requires_grad_()]
    Xt = torch.as_tensor(X, dtype=dt, device=dev)
    yt = torch.as_tensor(y, dtype=dt, device=dev)
    Xq = torch.as_tensor(X_test, dtype=dt, device=dev)
    yq = torch.as_tensor(y_test, dtype=dt, device=dev)
    n_batches = n // batch_size
    order_rng = make_rng(seed)
    fixed = torch.as_tensor(np.arange(n_batches * batch_size).reshape(n_batches, batch_size), device=dev)

    def loss(Xb, yb, Wa, wb):  # mean logistic loss per model, Xb (R or 1, b, d)
        logits = (torch.relu(Xb @ Wa) @ wb).squeeze(-1)
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits, yb.expand_as(logits), reduction="none").mean(dim=-1)

    epochs, train_loss, test_acc = [], [], []
    for epoch in range(n_epochs + 1):
        with torch.no_grad():
            epochs.append(epoch)
            train_loss.append(loss(Xt, yt, W1, w2).double().cpu().numpy())
            pred = ((torch.relu(Xq @ W1) @ w2).squeeze(-1) > 0).to(dt)
            test_acc.append((pred == yq).double().mean(dim=-1).cpu().numpy())
        if epoch == n_epochs:
            break
        if method == "sgd":
            perms = np.stack([order_rng.permutation(n)[: n_batches * batch_size] for _ in range(R)])
            perms = torch.as_tensor(perms.reshape(R, n_batches, batch_size), device=dev)
            for b in range(n_batches):
                idx = perms[:, b]  # (R, batch)
                g = torch.autograd.grad(loss(Xt[idx], yt[idx], W1, w2).sum(), params)
                with torch.no_grad():
                    for p, gp in zip(params, g, strict=True):
                        p.sub_(step * gp)
            continue
        total = loss(Xt, yt, W1, w2).sum()
        if method == "gd+penalty":
            # (eta / 4m) sum_k ||grad L_k||^2 over the mini-batches of a fixed partition
            penalty = 0.0
            for b in range(n_batches):
                idx = fixed[b]
                gk = torch.autograd.grad(loss(Xt[idx], yt[idx], W1, w2).sum(), params,
                                         create_graph=True)
                penalty = penalty + sum((gi**2).sum(dim=tuple(range(1, gi.ndim))) for gi in gk)
            total = total + (step / (4 * n_batches)) * penalty.sum()
        g = torch.autograd.grad(total, params)
        with torch.no_grad():
            for p, gp in zip(params, g, strict=True):
                p.sub_(step * gp)
    return {"epochs": np.asarray(epochs), "train_loss": np.stack(train_loss, axis=1),
            "test_acc": np.stack(test_acc, axis=1)}

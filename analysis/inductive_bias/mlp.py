"""Ensembles of small MLPs trained to fit the training set, as ONE batched torch model.

The neural-network hypothesis space of Boopathy et al. (2024, Sec. 5.2) is "an MLP of a given
width and depth, trained from a random initialisation until it fits the training data"; the
sampled hypotheses are independent trainings. Here E networks are stacked along a leading
dimension (weights of shape (E, fan_in, fan_out)) and trained together with ``torch.baddbmm``:
the loss is the SUM over networks of each network's own mean-squared error, so every network's
gradient is exactly its own, and Adam (element-wise) updates each as if it were trained alone.
:func:`train_mlp_loop` trains the same networks one at a time and is the reference it is tested
and benchmarked against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_torch_generator
from analysis._core.validate import as_array, check_budget, check_int, check_positive

__all__ = ["MLPEnsemble", "init_mlp_ensemble", "mlp_test_losses", "train_mlp_ensemble", "train_mlp_loop"]


@dataclass
class MLPEnsemble:
    """E ReLU MLPs with stacked parameters; ``depth`` hidden layers of ``width`` units.

    Attributes
    ----------
    weights, biases : list of torch.Tensor
        Layer l has weights (E, fan_in, fan_out) and biases (E, 1, fan_out).
    train_mse : numpy.ndarray
        Per-network training MSE after training (the fit residual), shape (E,).
    steps : int
        Adam steps taken.

    Examples
    --------
    >>> import torch
    >>> from analysis.inductive_bias import init_mlp_ensemble
    >>> ens = init_mlp_ensemble(3, input_dim=2, width=8, depth=2, output_dim=1, seed=0)
    >>> ens.n_models, tuple(ens.forward(torch.zeros(5, 2, dtype=torch.float64)).shape)
    (3, (3, 5, 1))
    """

    weights: list
    biases: list
    train_mse: np.ndarray = field(default_factory=lambda: np.empty(0))
    steps: int = 0

    @property
    def n_models(self) -> int:
        """Number of networks E."""
        return int(self.weights[0].shape[0])

    def forward(self, X):
        """Outputs of every network on the shared inputs X (n, d): shape (E, n, out)."""
        h = X.unsqueeze(0).expand(self.n_models, -1, -1)
        for layer, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = b.baddbmm(h, W)
            if layer < len(self.weights) - 1:
                h = h.relu()
        return h


def init_mlp_ensemble(n_models: int, input_dim: int, width: int, depth: int, output_dim: int, *,
                      seed: int = 0, device: str = "cpu", dtype: str = "float64") -> MLPEnsemble:
    """PyTorch-default initialisation: every weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    ``depth`` counts hidden layers (>= 1). The published ``Net(width, depth)`` has depth + 1
    hidden layers (one input layer plus ``depth`` width-to-width layers).

    The uniforms are drawn from a CPU generator seeded with ``seed`` and then moved to
    ``device``, so the same seed gives the same initial weights on the CPU and on a GPU (a CUDA
    generator draws a different stream).

    Examples
    --------
    >>> from analysis.inductive_bias import init_mlp_ensemble
    >>> ens = init_mlp_ensemble(3, input_dim=2, width=8, depth=2, output_dim=1, seed=0)
    >>> [tuple(W.shape) for W in ens.weights]
    [(3, 2, 8), (3, 8, 8), (3, 8, 1)]
    >>> bool(ens.weights[0].abs().max() <= 1 / np.sqrt(2))  # U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    True
    """
    n_models = check_int(n_models, "n_models", minimum=1)
    input_dim = check_int(input_dim, "input_dim", minimum=1)
    width = check_int(width, "width", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    output_dim = check_int(output_dim, "output_dim", minimum=1)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    n_params = _n_parameters(n_models, input_dim, width, depth, output_dim)
    check_budget(_SIZE_ARGS, n_bytes=8.0 * 3 * n_params,
                 what="the ensemble's parameters (and a copy for the CPU draw and for Adam)")
    gen = make_torch_generator(check_int(seed, "seed", minimum=0), "cpu")
    import torch

    sizes = [input_dim] + [width] * depth + [output_dim]
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / math.sqrt(fan_in)
        # drawn on the CPU (float64, then cast) and moved: the same weights on every device
        W = torch.rand((n_models, fan_in, fan_out), generator=gen, dtype=torch.float64).to(dev, dt)
        W = (W * 2 - 1) * bound
        b = (torch.rand((n_models, 1, fan_out), generator=gen, dtype=torch.float64).to(dev, dt) * 2 - 1
             ) * bound
        weights.append(W)
        biases.append(b)
    return MLPEnsemble(weights, biases)


_SIZE_ARGS = "n_models x (input_dim, width, depth, output_dim)"


def _n_parameters(n_models: int, input_dim: int, width: int, depth: int, output_dim: int) -> float:
    """Number of weights and biases of the ensemble (a float: no overflow for absurd sizes)."""
    per = (float(input_dim) * width + width + (float(depth) - 1) * (float(width) * width + width)
           + float(width) * output_dim + output_dim)
    return float(n_models) * per


def _check_steps(steps: object, n_ops_per_step: float) -> int:
    """``steps`` >= 1, refused before training when steps x work per step exceeds the time budget."""
    steps = check_int(steps, "steps", minimum=1)
    check_budget("steps", n_operations=steps * n_ops_per_step,
                 what="Adam steps x forward/backward flops")
    return steps


def _check_data(X, Y):
    X = as_array(X, "X_train", ndim=2, min_size=1)
    Y = as_array(Y, "Y_train", ndim=(1, 2))
    if Y.ndim == 1:
        # the MSE against k outputs needs one-hot (n, k) targets, not a vector of class indices
        raise ValueError(f"Y_train: expected a 2-D (n, k) target array (one-hot for classes), got "
                         f"shape {Y.shape}; encode labels with analysis.inductive_bias.one_hot")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y_train: expected {X.shape[0]} rows to match X_train, got {Y.shape[0]}")
    return X, Y


def train_mlp_ensemble(X_train: object, Y_train: object, *, n_models: int, width: int, depth: int,
                       steps: int = 2000, lr: float = 1e-2, tol: float = 1e-4, seed: int = 0,
                       device: str = "cpu", dtype: str = "float64",
                       init: MLPEnsemble | None = None) -> MLPEnsemble:
    r"""Train E MLPs at once by full-batch Adam on the MSE to (one-hot) targets.

    .. math::

        \min_{\theta_1..\theta_E} \sum_{e=1}^E \frac{1}{n k}\lVert f_{\theta_e}(X) - Y\rVert_F^2,

    stopping when every network's training MSE is at most ``tol`` (checked every 50 steps) or
    after ``steps`` steps. The achieved residuals are stored in ``train_mse``.

    Parameters
    ----------
    X_train : array_like, shape (n, d)
    Y_train : array_like, shape (n, k)
        Targets; one-hot for classification (MSE against k outputs needs one-hot labels).
    n_models, width, depth : int
        Ensemble size, hidden width, number of hidden layers.
    steps, lr, tol : int, float, float
        Adam budget, learning rate, training-MSE threshold for "fits the training data".
    seed, device, dtype :
        Initialisation seed; torch device ("cpu", "cuda", "auto"); float dtype.
    init : MLPEnsemble, optional
        Start from these parameters (copied) instead of a fresh initialisation.

    References
    ----------
    Boopathy et al. (2024), Sec. 5.2 and nn_inductive_bias.py (one network at a time there).

    Examples
    --------
    >>> from analysis.inductive_bias import synthetic_task, train_mlp_ensemble
    >>> task = synthetic_task(2, n_train=10, n_test=5, rng=0)
    >>> model = train_mlp_ensemble(task.X_train, task.Y_train, n_models=3, width=32, depth=1,
    ...                            steps=500, tol=1e-3, seed=0)
    >>> model.train_mse.shape, bool(np.all(model.train_mse <= 1e-3))  # every network fits
    ((3,), True)
    """
    import torch

    X, Y = _check_data(X_train, Y_train)
    lr = check_positive(lr, "lr")
    tol = check_positive(tol, "tol")
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    if init is None:
        n_models = check_int(n_models, "n_models", minimum=1)
        width = check_int(width, "width", minimum=1)
        depth = check_int(depth, "depth", minimum=1)
        n_params = _n_parameters(n_models, X.shape[1], width, depth, Y.shape[1])
        check_budget(_SIZE_ARGS, n_bytes=8.0 * 5 * n_params, what="parameters, gradients and Adam state")
    else:
        n_params = float(sum(p.numel() for p in init.weights + init.biases))
    steps = _check_steps(steps, 6.0 * X.shape[0] * n_params)
    if init is None:
        init = init_mlp_ensemble(n_models, X.shape[1], width, depth, Y.shape[1], seed=seed,
                                 device=device, dtype=dtype)
    params = [p.detach().clone().to(dev, dt).requires_grad_(True) for p in init.weights + init.biases]
    n_layers = len(init.weights)
    model = MLPEnsemble(params[:n_layers], params[n_layers:])
    Xt = torch.as_tensor(X, device=dev, dtype=dt)
    Yt = torch.as_tensor(Y, device=dev, dtype=dt)
    opt = torch.optim.Adam(params, lr=lr)
    taken = 0
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        per_model = ((model.forward(Xt) - Yt) ** 2).mean(dim=(1, 2))
        if step % 50 == 0 and bool((per_model <= tol).all()):
            break
        per_model.sum().backward()
        opt.step()
        taken = step + 1
    with torch.no_grad():
        final = ((model.forward(Xt) - Yt) ** 2).mean(dim=(1, 2)).cpu().numpy()
    return MLPEnsemble([p.detach() for p in params[:n_layers]], [p.detach() for p in params[n_layers:]],
                       final, taken)


def train_mlp_loop(X_train: object, Y_train: object, init: MLPEnsemble, *, steps: int, lr: float = 1e-2
                   ) -> MLPEnsemble:
    """Reference: train the networks of ``init`` one at a time (a Python loop), fixed step count.

    Same full-batch Adam as :func:`train_mlp_ensemble` with ``tol`` disabled; used to test that
    the batched model is exactly E independent trainings and to benchmark the speed-up.

    Examples
    --------
    >>> from analysis.inductive_bias import init_mlp_ensemble, synthetic_task
    >>> from analysis.inductive_bias import train_mlp_ensemble, train_mlp_loop
    >>> task = synthetic_task(2, n_train=10, n_test=5, rng=0)
    >>> init = init_mlp_ensemble(2, input_dim=2, width=16, depth=1, output_dim=1, seed=0)
    >>> loop = train_mlp_loop(task.X_train, task.Y_train, init, steps=50)
    >>> batched = train_mlp_ensemble(task.X_train, task.Y_train, n_models=2, width=16, depth=1,
    ...                              steps=50, tol=1e-300, init=init)  # tol never reached
    >>> loop.steps, bool(np.allclose(loop.train_mse, batched.train_mse, rtol=1e-10))
    (50, True)
    """
    import torch

    X, Y = _check_data(X_train, Y_train)
    n_params = float(sum(p.numel() for p in init.weights + init.biases))
    steps = _check_steps(steps, 6.0 * X.shape[0] * n_params)
    lr = check_positive(lr, "lr")
    dev, dt = init.weights[0].device, init.weights[0].dtype
    Xt = torch.as_tensor(X, device=dev, dtype=dt)
    Yt = torch.as_tensor(Y, device=dev, dtype=dt)
    out_w = [[] for _ in init.weights]
    out_b = [[] for _ in init.biases]
    for e in range(init.n_models):
        Ws = [W[e].detach().clone().requires_grad_(True) for W in init.weights]
        bs = [b[e, 0].detach().clone().requires_grad_(True) for b in init.biases]
        opt = torch.optim.Adam(Ws + bs, lr=lr)
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            h = Xt
            for layer, (W, b) in enumerate(zip(Ws, bs, strict=True)):
                h = torch.addmm(b, h, W)
                if layer < len(Ws) - 1:
                    h = h.relu()
            ((h - Yt) ** 2).mean().backward()
            opt.step()
        for i, W in enumerate(Ws):
            out_w[i].append(W.detach())
        for i, b in enumerate(bs):
            out_b[i].append(b.detach()[None])
    model = MLPEnsemble([torch.stack(w) for w in out_w], [torch.stack(b) for b in out_b])
    with torch.no_grad():
        model.train_mse = ((model.forward(Xt) - Yt) ** 2).mean(dim=(1, 2)).cpu().numpy()
    model.steps = steps
    return model


def mlp_test_losses(model: MLPEnsemble, X_test: object, Y_test: object) -> np.ndarray:
    """Per-network test MSE, the mean over ALL test points and outputs, shape (E,).

    The published ``evaluate`` sums per-batch means and divides by the dataset size, which
    scales the loss by 1/batch_size; here the mean is taken once over every entry.

    Examples
    --------
    >>> import torch
    >>> from analysis.inductive_bias import init_mlp_ensemble, mlp_test_losses, synthetic_task
    >>> task = synthetic_task(2, n_train=10, n_test=5, rng=0)
    >>> ens = init_mlp_ensemble(3, input_dim=2, width=8, depth=1, output_dim=1, seed=0)
    >>> losses = mlp_test_losses(ens, task.X_test, task.Y_test)
    >>> out = ens.forward(torch.as_tensor(task.X_test)).numpy()
    >>> losses.shape, bool(np.allclose(losses, ((out - task.Y_test) ** 2).mean(axis=(1, 2))))
    ((3,), True)
    """
    import torch

    Xs = as_array(X_test, "X_test", shape=(None, model.weights[0].shape[1]), min_size=1)
    Ys = as_array(Y_test, "Y_test", shape=(Xs.shape[0], model.weights[-1].shape[2]))
    dev, dt = model.weights[0].device, model.weights[0].dtype
    with torch.no_grad():
        out = model.forward(torch.as_tensor(Xs, device=dev, dtype=dt))
        return ((out - torch.as_tensor(Ys, device=dev, dtype=dt)) ** 2).mean(dim=(1, 2)).cpu().numpy()

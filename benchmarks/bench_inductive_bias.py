"""Speed (and accuracy) of the inductive-bias samplers against the published routes.

1. GP posterior at the test points: exact Cholesky solve vs the published Adam fit of
   (K + .)^-1 Y and (K + .)^-1 K_x* (kernel_inductive_bias.py fits both by Adam; here full-batch,
   which is already faster than the published mini-batch loops).
2. Test losses of 10^6 sampled GP hypotheses: chi-square route and eigen route vs the published
   route (scipy.linalg.sqrtm of the posterior covariance, then f = mu + A z for every hypothesis).
3. An ensemble of MLPs trained as one batched model vs a Python loop over the same networks.

Usage: python benchmarks/bench_inductive_bias.py [--device auto|cpu|cuda] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from analysis._core.device import resolve_device
from analysis.inductive_bias import (
    digits_task,
    gp_posterior,
    init_mlp_ensemble,
    rbf_kernel,
    sample_gaussian_losses,
    train_mlp_ensemble,
    train_mlp_loop,
)


def timed(fn, *args, repeat: int = 1, **kwargs):
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, out


def adam_posterior(task, epochs: int, device):
    """The published approach: fit alpha = (K)^-1 Y and A = (K)^-1 K_x* by Adam on the MSE."""
    dt = torch.float64
    def kernel(A, B):
        return torch.as_tensor(rbf_kernel(A, B, task.lengthscale), device=device, dtype=dt)

    K, Kx, Kss = kernel(task.X_train, task.X_train), kernel(task.X_train, task.X_test), kernel(
        task.X_test, task.X_test)
    Y = torch.as_tensor(task.Y_train, device=device, dtype=dt)
    alpha = torch.zeros_like(Y, requires_grad=True)
    A = torch.zeros_like(Kx, requires_grad=True)
    opt_a = torch.optim.Adam([alpha], lr=1e-2)  # the published learning rates
    opt_x = torch.optim.Adam([A], lr=1e-3)
    for _ in range(epochs):
        opt_a.zero_grad()
        ((K @ alpha - Y) ** 2).mean().backward()
        opt_a.step()
        opt_x.zero_grad()
        ((K @ A - Kx) ** 2).mean().backward()
        opt_x.step()
    with torch.no_grad():
        mean = (Kx.T @ alpha).cpu().numpy()
        cov = (Kss - Kx.T @ A).cpu().numpy()
    return mean, cov


def published_losses(mean, cov, target, n, rng):
    """scipy.linalg.sqrtm of the covariance, then every hypothesis materialised."""
    from scipy.linalg import sqrtm

    root = sqrtm(cov)
    z = rng.standard_normal((cov.shape[0], mean.shape[1], n))
    f = mean[:, :, None] + np.einsum("ab,bcd->acd", root, z)
    return np.mean((f - target[:, :, None]) ** 2, axis=(0, 1)), bool(np.iscomplexobj(root))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["all", "mlp"], default="all")
    args = parser.parse_args()
    device = resolve_device(args.device)
    rows = []
    only = args.only

    task = digits_task(16, 100, 50, rng=0)
    if only == "all":
        # 1. exact posterior vs Adam
        t_exact, post = timed(gp_posterior, task.X_train, task.Y_train, task.X_test,
                              lengthscale=task.lengthscale, repeat=3)
        epochs = 500 if args.quick else 10_000
        t_adam, (mean_a, cov_a) = timed(adam_posterior, task, epochs, device)
        err_mean = float(np.abs(mean_a - post.mean).max())
        err_cov = float(np.abs(cov_a - post.cov).max())
        rows.append(("GP posterior: Cholesky vs Adam", f"{epochs} Adam epochs", t_adam, t_exact,
                     f"Adam max error: mean {err_mean:.1e}, cov {err_cov:.1e}"))

        # 2. 10^6 hypotheses' losses
        n_hyp = 100_000 if args.quick else 1_000_000
        t_chi2, losses = timed(sample_gaussian_losses, post.mean, post.cov, task.Y_test, n_hyp, rng=1)
        t_eig, _ = timed(sample_gaussian_losses, post.mean, post.cov, task.Y_test, n_hyp, rng=1,
                         method="eigen", device=str(device))
        n_pub = 10_000
        t_pub, (pub_losses, complex_root) = timed(published_losses, post.mean, post.cov, task.Y_test,
                                                  n_pub, np.random.default_rng(2))
        t_pub_full = t_pub * n_hyp / n_pub  # linear in the number of hypotheses
        rows.append((f"{n_hyp:.0e} hypotheses' losses: chi2 route",
                     f"sqrtm + materialised f (extrapolated from {n_pub})", t_pub_full, t_chi2,
                     f"mean loss {losses.mean():.4f} vs "
                     f"{np.real(pub_losses).mean():.4f}; sqrtm complex: {complex_root}"))
        rows.append((f"{n_hyp:.0e} hypotheses' losses: eigen route ({device.type})", "same", t_pub_full,
                     t_eig, ""))

    # 3. batched MLP ensemble vs Python loop (after an untimed warm-up of both paths)
    n_models, steps = (16, 50) if args.quick else (64, 200)
    for dtype in ("float64", "float32"):
        init = init_mlp_ensemble(n_models, 16, 32, 2, 10, seed=0, device=str(device), dtype=dtype)
        train_mlp_ensemble(task.X_train, task.Y_train, n_models=n_models, width=32, depth=2, steps=3,
                           tol=1e-300, init=init, device=str(device), dtype=dtype)
        train_mlp_loop(task.X_train, task.Y_train, init, steps=3)
        t_batched, batched = timed(train_mlp_ensemble, task.X_train, task.Y_train, n_models=n_models,
                                   width=32, depth=2, steps=steps, tol=1e-300, init=init,
                                   device=str(device), dtype=dtype)
        t_loop, looped = timed(train_mlp_loop, task.X_train, task.Y_train, init, steps=steps)
        same = float(np.abs(batched.train_mse - looped.train_mse).max())
        rows.append((f"MLP ensemble E={n_models}, {steps} Adam steps ({device.type}, {dtype})",
                     "Python loop over the same networks", t_loop, t_batched,
                     f"max |train MSE difference| {same:.1e}"))

    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    print(f"{'task':52s} {'reference':52s} {'ref s':>9s} {'ours s':>9s} {'speed-up':>9s}  notes")
    for name, ref, t_ref, t_ours, note in rows:
        print(f"{name:52s} {ref:52s} {t_ref:9.4f} {t_ours:9.4f} {t_ref / t_ours:8.1f}x  {note}")


if __name__ == "__main__":
    main()

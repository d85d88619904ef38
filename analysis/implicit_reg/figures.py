"""Figures of the implicit-regularisation topic (bands: median and quartiles over seeds)."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.rng import spawn_seeds
from analysis._core.style import PALETTE
from analysis.implicit_reg.sensing import (
    figure_settings,
    make_tubal_sensing_problem,
    run_tubal_gd,
    settings_step,
)

TOPIC = "implicit_reg"
N_SEEDS = 10  # independent instances behind every band

def _band(ax, x, Y, label, color, *, log=True):
    """Median line and inter-quartile band of ``Y`` (seeds x len(x))."""
    keep = ~np.any(np.isnan(Y), axis=0)  # NaN: not measurable (see angle_power)
    x, Y = np.asarray(x)[keep], Y[:, keep]
    lo, med, hi = np.nanquantile(Y, [0.25, 0.5, 0.75], axis=0)
    ax.plot(x, med, color=color, label=label)
    ax.fill_between(x, lo, hi, color=color, alpha=0.25, linewidth=0)
    if log:
        ax.set_yscale("log")


@functools.lru_cache(maxsize=6)
def _tubal_run(fig: str, scale: str, seed: int, device: str):
    s = figure_settings(fig, scale)
    prob = make_tubal_sensing_problem(s["n"], s["k"], s["rank"], c=s["c"], n_seeds=N_SEEDS,
                                      seed=seed, symmetric=s["symmetric"], device=device)
    widths = s.get("widths", s.get("width"))
    alphas = s.get("alphas", s.get("alpha"))
    record_every = max(1, s["n_iter"] // 400)
    traj = run_tubal_gd(prob, width=widths, alpha=alphas, step=settings_step(s, prob.m),
                        n_iter=s["n_iter"], record_every=record_every, init_seed=seed + 1,
                        track_power=(fig == "fig2"))
    return s, prob.m, traj


def _params(s: dict, m: int, traj, seed: int) -> dict:
    return {**{k: (list(v) if isinstance(v, tuple) else v) for k, v in s.items()}, "m": m,
            "step": traj.params["step"], "n_seeds": N_SEEDS, "seed": seed,
            "measurement_entries": "N(0,1) (code normalisation); paper step = step * m"}


@figure(name="ir_fig2_two_phases", topic=TOPIC,
        title="Tubal sensing GD from small init: spectral phase, then refinement (Karnik et al. Fig. 2)")
def make_fig2_two_phases(scale: str, seed: int, device: str):
    """Errors and principal angles vs iteration, median and quartiles over 10 instances."""
    s, m, tr = _tubal_run("fig2", scale, seed, device)
    it = tr.iterations
    r = s["rank"]
    curves = {
        "angle to spectral subspace L": tr.angle_spectral[0, 0],
        "test error": tr.test_error[0, 0],
        f"rel. error of sigma_{r} (per slice)": tr.sigma_r_error(r)[0, 0],
        "train error": tr.train_error[0, 0],
    }
    angles = {
        "top-r* of U U^T vs L": tr.angle_spectral[0, 0],
        "top-r* of U U^T vs ground truth": tr.angle_truth[0, 0],
        "power iterate vs L (while float64 resolves it)": tr.angle_power[0, 0],
    }
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for (label, Y), color in zip(curves.items(), PALETTE, strict=False):
        _band(axes[0], it, Y, label, color)
    for (label, Y), color in zip(angles.items(), PALETTE, strict=False):
        _band(axes[1], it, Y, label, color)
    axes[0].set_title("errors (median, IQR over 10 instances)")
    axes[1].set_title("sine of tubal principal angles")
    for ax in axes:
        ax.set_xlabel("GD iteration t")
        ax.legend(loc="lower left")
    axes[0].set_ylabel("relative error / sine")
    axes[1].set_ylabel("sine of largest principal angle")
    fig.suptitle(f"n={s['n']}, k={s['k']}, r*={r}, R={s['width']}, m={m}, alpha={s['alpha']:g}"
                 + (" (paper setting)" if scale == "paper" else " (quick, scaled down)"))
    data = {"params": _params(s, m, tr, seed), "iterations": it,
            **{f"{name}_{q}": _nanquantile(getattr(tr, name)[0, 0], qv)
               for name in ("test_error", "train_error", "angle_spectral", "angle_truth", "angle_power")
               for q, qv in (("median", 0.5), ("q25", 0.25), ("q75", 0.75))}}
    return fig, data


@figure(name="ir_fig3_overparam", topic=TOPIC,
        title="Over-parametrisation R: test error and alignment vs iteration (Karnik et al. Fig. 3)")
def make_fig3_overparam(scale: str, seed: int, device: str):
    """Test error and angle to the spectral subspace for each width R (bands over 10 instances)."""
    s, m, tr = _tubal_run("fig3", scale, seed, device)
    it = tr.iterations
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for i, (R, color) in enumerate(zip(tr.widths, PALETTE, strict=False)):
        _band(axes[0], it, tr.test_error[i, 0], f"R = {R}", color)
        _band(axes[1], it, tr.angle_spectral[i, 0], f"R = {R}", color)
    axes[0].set_ylabel("relative test error")
    axes[1].set_ylabel("sine of angle to L (signed top-r* eigenspace)")
    for ax, where in zip(axes, ("lower left", "lower right"), strict=True):
        ax.set_xlabel("GD iteration t")
        ax.legend(loc=where)  # the empty corner of each panel
    fig.suptitle(f"n={s['n']}, k={s['k']}, r*={s['rank']}, m={m}, alpha={s['alpha']:g}, symmetrised "
                 "measurements" + (" (paper setting)" if scale == "paper" else " (quick)"))
    data = {"params": _params(s, m, tr, seed), "iterations": it, "widths": tr.widths,
            "test_error_median": np.median(tr.test_error[:, 0], axis=1),
            "angle_spectral_median": np.median(tr.angle_spectral[:, 0], axis=1),
            "final_test_error": tr.test_error[:, 0, :, -1],
            "min_angle": tr.angle_spectral[:, 0].min(axis=-1)}
    return fig, data


def _nanquantile(Y, q):
    out = np.full(Y.shape[1], np.nan)
    keep = ~np.all(np.isnan(Y), axis=0)
    out[keep] = np.nanquantile(Y[:, keep], q, axis=0)
    return out


#: exponent of the reference curve c alpha^(21/16) that Karnik et al. overlay on their Fig. 4
REFERENCE_EXPONENT = 21 / 16


def power_law_fit(alphas, errors) -> tuple[float, float]:
    """Least-squares fit of log10(error) = p log10(alpha) + b; returns (p, b)."""
    p, b = np.polyfit(np.log10(alphas), np.log10(errors), 1)
    return float(p), float(b)


@figure(name="ir_fig4_init_scale", topic=TOPIC,
        title="Initialisation scale alpha: test error vs iteration and a power law in alpha "
              "(Karnik et al. Fig. 4)")
def make_fig4_init_scale(scale: str, seed: int, device: str):
    """Test error curves per alpha and the final error vs alpha on log-log axes with a fit."""
    s, m, tr = _tubal_run("fig4", scale, seed, device)
    it, alphas = tr.iterations, tr.alphas
    final = tr.test_error[0, :, :, -1]  # (alpha, seed)
    med = np.median(final, axis=1)
    p, b = power_law_fit(alphas, med)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for j, (a, color) in enumerate(zip(alphas, PALETTE, strict=False)):
        _band(axes[0], it, tr.test_error[0, j], f"alpha = {a:g}", color)
    axes[0].set_xlabel("GD iteration t")
    axes[0].set_ylabel("relative test error")
    axes[0].legend(loc="lower left")
    lo, hi = np.quantile(final, [0.25, 0.75], axis=1)
    axes[1].errorbar(alphas, med, yerr=[med - lo, hi - med], fmt="o", color=PALETTE[0],
                     label="final test error (median, IQR)")
    grid = np.logspace(np.log10(alphas.min()), np.log10(alphas.max()), 50)
    axes[1].plot(grid, 10**b * grid**p, "--", color=PALETTE[1], label=f"our fit: error ~ alpha^{p:.2f}")
    # Karnik et al.'s Fig. 4 overlays c alpha^(21/16); anchored here at our median for the
    # largest alpha, so the two slopes can be compared by eye
    i_top = int(np.argmax(alphas))
    c_ref = med[i_top] / alphas[i_top] ** REFERENCE_EXPONENT
    axes[1].plot(grid, c_ref * grid**REFERENCE_EXPONENT, ":", color=PALETTE[2],
                 label="c alpha^(21/16) (Karnik et al. Fig. 4 overlay)")
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("initialisation scale alpha")
    axes[1].set_ylabel(f"test error after {s['n_iter']} steps")
    axes[1].legend(loc="upper left")
    fig.suptitle(f"n={s['n']}, k={s['k']}, r*={s['rank']}, R={s['width']}, m={m}"
                 + (" (paper setting)" if scale == "paper" else " (quick)"))
    data = {"params": _params(s, m, tr, seed), "iterations": it, "alphas": alphas,
            "test_error_median": np.median(tr.test_error[0], axis=1), "final_test_error": final,
            "fitted_exponent": p, "fitted_intercept": b, "reference_exponent": REFERENCE_EXPONENT,
            "reference_constant": c_ref}
    return fig, data


@figure(name="ir_tubal_singular_values", topic=TOPIC,
        title="Tubal singular values of U_t per Fourier slice over GD iterations (Fig. 2 setting)")
def make_tubal_singular_values(scale: str, seed: int, device: str):
    """All singular values of every independent Fourier slice of U_t (median over instances)."""
    s, m, tr = _tubal_run("fig2", scale, seed, device)
    it = tr.iterations
    sv = np.median(tr.slice_singular_values[0, 0], axis=0)  # (T, k', n)
    kh = sv.shape[1]
    fig, axes = plt.subplots(1, kh, figsize=(3.8 * kh, 3.6), sharey=True)
    for ell, ax in enumerate(np.atleast_1d(axes)):
        for i in range(sv.shape[2]):
            color = PALETTE[0] if i < s["rank"] else PALETTE[1]
            ax.plot(it, sv[:, ell, i], color=color, linewidth=1.2,
                    label=("top r* (signal)" if i == 0 else "remaining" if i == s["rank"] else None))
        ax.axhline(1.0, color=PALETTE[7], linestyle=":", linewidth=1, label="ground truth = 1")
        ax.set_yscale("log")
        ax.set_title(f"Fourier slice l = {ell}")
        ax.set_xlabel("GD iteration t")
    np.atleast_1d(axes)[0].set_ylabel("singular value of U_t slice")
    np.atleast_1d(axes)[0].legend(loc="lower right")
    fig.suptitle(f"Tubal singular values (median over {N_SEEDS} instances), n={s['n']}, k={s['k']}, "
                 f"r*={s['rank']}, alpha={s['alpha']:g}")
    return fig, {"params": _params(s, m, tr, seed), "iterations": it, "singular_values_median": sv}


@figure(name="ir_deep_mf_effective_rank", topic=TOPIC,
        title="Deep matrix factorisation: effective rank and error vs depth, with the min nuclear "
              "norm reference (Arora et al. 2019)")
def make_deep_mf_effective_rank(scale: str, seed: int, device: str):
    """Effective rank, reconstruction error and spectra of GD solutions for depth 1..3."""
    from analysis.implicit_reg.deep_mf import (
        completion_instance,
        deep_mf_gd,
        effective_rank,
        min_nuclear_norm_completion,
    )

    if scale == "paper":
        n, rank, n_obs, n_inst = 100, 5, 2000, 5
        gd = {1: (1.0, 100), 2: (2.0, 3000), 3: (2.0, 3000)}  # depth: (step, iterations)
    else:  # the ledger claims' setting (ir.deep_mf.*: n, rank, entries, GD); they draw 12 instances
        n, rank, n_obs, n_inst = 20, 2, 160, 5
        gd = {1: (1.0, 100), 2: (1.0, 3000), 3: (1.0, 4000)}
    # depth 1 is GD on W itself: step 1 sets the observed entries to M in one step (a step of 2
    # would make them oscillate forever); the unobserved ones keep their initial values
    depths = tuple(gd)
    *instance_seeds, init_seed = spawn_seeds(seed, n_inst + 1)
    pairs = [completion_instance(n, rank, n_obs, rng=s) for s in instance_seeds]
    M, mask = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    # Clarabel (interior point) at n = 20; SCS for the 200 x 200 SDP of the paper setting
    W_nuc = np.stack([min_nuclear_norm_completion(m, k, solver="SCS" if scale == "paper" else "CLARABEL")
                      for m, k in pairs])
    ref_erank = np.array([effective_rank(w) for w in W_nuc])
    ref_err = np.linalg.norm(W_nuc - M, axis=(1, 2))  # ||M||_F = 1
    erank = np.empty((len(depths), n_inst))
    err, fit = np.empty_like(erank), np.empty_like(erank)
    spectra = np.empty((len(depths), n))
    for i, (depth, (step, n_iter)) in enumerate(gd.items()):
        out = deep_mf_gd(M, mask, depth=depth, init_scale=1e-3, step=step, n_iter=n_iter, seed=init_seed,
                         device=device)
        W = out["W"]
        erank[i] = [effective_rank(w) for w in W]
        err[i] = np.linalg.norm(W - M, axis=(1, 2))
        fit[i] = np.sqrt(2.0 * out["train_loss"][:, -1]) / np.linalg.norm(M * mask, axis=(1, 2))
        spectra[i] = np.linalg.svd(W[0], compute_uv=False)
    spectrum_nuc = np.linalg.svd(W_nuc[0], compute_uv=False)
    spectrum_true = np.linalg.svd(M[0], compute_uv=False)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    x = np.asarray(depths)
    axes[0].axhline(rank, color=PALETTE[7], linestyle=":", label=f"true rank {rank}")
    for ax, Y, ref, lab in ((axes[0], erank, ref_erank, "effective rank"),
                            (axes[1], err, ref_err, "||W - M||_F / ||M||_F")):
        ax.plot(x, Y, "o", color=PALETTE[0], alpha=0.5)
        ax.plot(x, np.median(Y, axis=1), "-", color=PALETTE[0],
                label="GD, depth N: median (dots: instances)")
        ax.axhline(np.median(ref), color=PALETTE[1], linestyle="--",
                   label="min nuclear norm (cvxpy), median")
        ax.set_xlabel("depth N")
        ax.set_ylabel(lab)
        ax.set_xticks(x)
        ax.legend()
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    for i, depth in enumerate(depths):
        axes[2].semilogy(np.arange(1, n + 1), np.maximum(spectra[i], 1e-16), color=PALETTE[i + 2],
                         label=f"GD depth {depth}")
    axes[2].semilogy(np.arange(1, n + 1), np.maximum(spectrum_nuc, 1e-16), "--", color=PALETTE[1],
                     label="min nuclear norm")
    axes[2].semilogy(np.arange(1, n + 1), np.maximum(spectrum_true, 1e-16), ":", color=PALETTE[7],
                     label="ground truth")
    axes[2].set_xlabel("index i")
    axes[2].set_ylabel("singular value sigma_i")
    axes[2].set_title("spectra (first instance)")
    axes[2].legend(fontsize=7)
    fig.suptitle(f"{n}x{n} rank-{rank} completion from {n_obs} entries, {n_inst} instances, init 1e-3, "
                 f"{gd[3][1]} GD steps at depth 3"
                 + (" (Arora et al. setting)" if scale == "paper"
                    else " (quick: the ledger claims' setting)"))
    data = {"params": {"n": n, "rank": rank, "n_observed": n_obs, "depths": list(depths),
                       "steps": [gd[d][0] for d in depths], "n_iter": [gd[d][1] for d in depths],
                       "init_scale": 1e-3, "seed": seed, "n_instances": n_inst},
            "effective_rank": erank, "error": err, "relative_fit_residual": fit,
            "nuclear_effective_rank": ref_erank, "nuclear_error": ref_err, "spectra": spectra}
    return fig, data


@figure(name="ir_maxmargin_direction", topic=TOPIC,
        title="GD on separable logistic regression: direction -> max margin at the 1/log t rate "
              "(Soudry et al. 2018)")
def make_maxmargin_direction(scale: str, seed: int, device: str):
    """Direction error d(t) (bands over 10 datasets) and d(t) log t, which stays bounded."""
    from analysis.implicit_reg.separable import (
        direction_error,
        logistic_gd,
        max_margin_directions,
        separable_dataset,
    )

    T = 100_000 if scale == "paper" else 3_000
    data_sets = [separable_dataset(30, 3, margin=0.2, rng=s) for s in spawn_seeds(seed, N_SEEDS)]
    X = np.stack([d[0] for d in data_sets])
    y = np.stack([d[1] for d in data_sets])
    run = logistic_gd(X, y, n_iter=T, record=np.unique(np.logspace(0, np.log10(T), 40).astype(int)))
    w_hat = max_margin_directions(X, y)
    t = run["t"]
    d = direction_error(run["w"], w_hat[None]).T  # (dataset, T)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    _band(axes[0], t, d, "||w/|w| - w_hat/|w_hat|||", PALETTE[0])
    c = np.median(d[:, -1]) * np.log(t[-1])
    axes[0].plot(t[1:], c / np.log(t[1:]), "--", color=PALETTE[1], label="C / log t")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("GD iteration t")
    axes[0].set_ylabel("direction error")
    axes[0].legend()
    _band(axes[1], t[1:], d[:, 1:] * np.log(t[1:]), "d(t) log t", PALETTE[2], log=False)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("GD iteration t")
    axes[1].set_ylabel("d(t) * log t (bounded for a 1/log t rate)")
    axes[1].legend()
    fig.suptitle(f"{N_SEEDS} separable datasets (n=30, d=3), step 1/beta, reference: cvxpy "
                 "max-margin SVM")
    return fig, {"params": {"T": T, "n": 30, "d": 3, "margin": 0.2, "seed": seed, "step": run["step"]},
                 "t": t, "direction_error": d}


@figure(name="ir_random_labels", topic=TOPIC,
        title="A small MLP fits true and random labels; exact 2n+d ReLU interpolation "
              "(Zhang et al. 2017)")
def make_random_labels(scale: str, seed: int, device: str):
    """Fit time and test accuracy vs the fraction of random labels, with and without weight decay."""
    from analysis._core.rng import make_rng
    from analysis.implicit_reg.interpolation import fit_mlp_batch, random_label_dataset, relu_interpolant

    if scale == "paper":
        # n = 1000 Gaussian points, width 256: the largest batch (12 MLPs) that trains in ~30 s
        n, d, hidden, n_steps, n_rep = 1000, 20, 256, 500, 2
        noises = (0.0, 0.5, 1.0)
    else:
        n, d, hidden, n_steps, n_rep = 160, 10, 96, 250, 2
        noises = (0.0, 0.5, 1.0)
    wds = (0.0, 1e-3)
    n_test = n
    X_all, _, y_all = random_label_dataset(n + n_test, d, label_noise=0.0, rng=seed)  # teacher labels
    X, y_true, X_test, y_test = X_all[:n], y_all[:n], X_all[n:], y_all[n:]
    labels, configs = [], []
    for rep, s in enumerate(spawn_seeds(seed, n_rep)):
        gen = make_rng(s)
        for q in noises:
            flip = gen.random(n) < q  # each label replaced by a uniform class with probability q
            y_noisy = np.where(flip, gen.integers(0, 2, size=n), y_true)
            for wd in wds:
                labels.append(y_noisy)
                configs.append((rep, q, wd))
    out = fit_mlp_batch(X, np.stack(labels), hidden=hidden, n_steps=n_steps, lr=3e-3,
                        weight_decay=[c[2] for c in configs], seed=seed, device=device,
                        X_test=X_test, y_test=y_test)
    net = relu_interpolant(X, np.asarray(labels[-1], dtype=float), rng=seed)
    exact_err = float(np.abs(net(X) - labels[-1]).max())
    shape = (n_rep, len(noises), len(wds))
    steps_to_fit = out["steps_to_fit"].reshape(shape)
    test_acc = out["test_acc"].reshape(shape)
    train_acc = out["train_acc"].reshape(shape + (-1,))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    steps = out["steps"]
    for j, q in enumerate(noises):
        for k, wd in enumerate(wds):
            axes[0].plot(np.maximum(steps, 1), np.median(train_acc[:, j, k], axis=0), color=PALETTE[j],
                         linestyle="-" if wd == 0 else "--",
                         label=f"random fraction {q:g}" + (", wd 1e-3" if wd else ""))
    axes[0].set_xscale("log")
    axes[0].set_xlabel("Adam step (full batch)")
    axes[0].set_ylabel("training accuracy (median)")
    # below the panel: inside, it covered the curves
    axes[0].legend(fontsize=6.5, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    # a run that never reaches 100 % has no fit time (NaN); it counts as "> n_steps" in the
    # median (np.nanmedian would silently drop it) and is drawn as an x on the cap line
    reached = np.where(np.isnan(steps_to_fit), np.inf, steps_to_fit)
    median_fit = np.median(reached, axis=0)  # inf when half or more of the runs never reach 100 %
    for k, wd in enumerate(wds):
        med = median_fit[:, k]
        # a median "never" leaves a gap in the line (not a segment that skips the point)
        axes[1].plot(noises, np.where(np.isfinite(med), med, np.nan), "o-", color=PALETTE[k],
                     label=f"weight decay {wd:g}: median of {n_rep} runs")
        axes[1].plot(np.repeat(noises, n_rep), steps_to_fit[:, :, k].T.ravel(), ".", color=PALETTE[k],
                     alpha=0.5)
        miss = np.isnan(steps_to_fit[:, :, k])  # (rep, noise)
        if miss.any():
            axes[1].plot(np.asarray(noises)[np.nonzero(miss)[1]], np.full(miss.sum(), n_steps), "x",
                         color=PALETTE[k], markersize=8, label=f"wd {wd:g}: never reached 100 %")
        axes[2].plot(noises, np.median(test_acc[:, :, k], axis=0), "o-", color=PALETTE[k],
                     label=f"weight decay {wd:g}")
        for rep in range(n_rep):
            axes[2].plot(noises, test_acc[rep, :, k], ".", color=PALETTE[k], alpha=0.4)
    axes[1].axhline(n_steps, color=PALETTE[7], linestyle=":", linewidth=1,
                    label=f"budget: {n_steps} steps")
    axes[1].set_xlabel("fraction of random labels")
    axes[1].set_ylabel("steps to 100% training accuracy")
    axes[1].set_title(f"fit time per run (dots), median (line); x: not fitted in {n_steps} steps")
    axes[2].set_xlabel("fraction of random labels")
    axes[2].set_ylabel("test accuracy (true labels)")
    axes[2].axhline(0.5, color=PALETTE[7], linestyle=":", label="chance")
    axes[1].legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.18))  # off the data
    axes[2].legend()
    fig.suptitle(f"depth-2 ReLU MLP, width {hidden}, n={n}, d={d}, teacher labels, {n_rep} label draws"
                 + (" (synthetic analogue of the CIFAR-10 experiment)" if scale == "paper"
                    else " (quick)")
                 + f"\nexact 2n+d ReLU interpolant of the last labels: {net.n_weights} weights, "
                 f"max residual {exact_err:.0e}")
    return fig, {"params": {"n": n, "d": d, "hidden": hidden, "n_steps": n_steps, "noises": list(noises),
                            "weight_decays": list(wds), "n_repeats": n_rep, "lr": 3e-3, "seed": seed},
                 "steps": steps, "train_acc_median": np.median(train_acc, axis=0),
                 "steps_to_fit": steps_to_fit, "runs_not_fitted": np.isnan(steps_to_fit).sum(axis=0),
                 "test_acc": test_acc,
                 "relu_interpolation_max_residual": exact_err}


@figure(name="ir_sgd_vs_gd_penalty", topic=TOPIC,
        title="Mini-batch SGD vs full-batch GD with and without the gradient-norm penalty "
              "(Geiping et al. 2022), equal numbers of updates")
def make_sgd_vs_gd_penalty(scale: str, seed: int, device: str):
    """Train loss and test accuracy vs parameter updates for SGD, GD and GD + penalty."""
    from analysis.implicit_reg.interpolation import random_label_dataset
    from analysis.implicit_reg.sgd_vs_gd import train_mlp

    if scale == "paper":
        n, d, hidden, batch, sgd_epochs, n_rep = 512, 20, 128, 64, 60, 3
    else:
        n, d, hidden, batch, sgd_epochs, n_rep = 64, 10, 32, 16, 20, 2
    step, noise = 0.1, 0.2  # 0.2 sits at the edge of stability at paper scale (loss spikes)
    m = n // batch
    X_all, y_noisy, y_clean = random_label_dataset(2 * n, d, label_noise=noise, rng=seed)
    X, y, X_test, y_test = X_all[:n], y_noisy[:n], X_all[n:], y_clean[n:]
    runs = {}
    for method, epochs, per_epoch in (("sgd", sgd_epochs, m), ("gd", sgd_epochs * m, 1),
                                      ("gd+penalty", sgd_epochs * m, 1)):
        out = train_mlp(X, y, X_test, y_test, method=method, n_repeats=n_rep, hidden=hidden, step=step,
                        n_epochs=epochs, batch_size=batch, seed=seed, device=device)
        runs[method] = (out["epochs"] * per_epoch, out["train_loss"], out["test_acc"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    labels = {"sgd": f"SGD (batch {batch})", "gd": "full-batch GD",
              "gd+penalty": "full-batch GD + (eta/4m) sum_k |grad L_k|^2"}
    for (method, (updates, loss, acc)), color in zip(runs.items(), PALETTE, strict=False):
        after = updates >= 1  # log axis: from the first update on
        _band(axes[0], updates[after], loss[:, after], labels[method], color)
        _band(axes[1], updates[after], acc[:, after], labels[method], color, log=False)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("parameter updates")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("training loss (noisy labels)")
    axes[1].set_ylabel("test accuracy (clean labels)")
    fig.suptitle(f"depth-2 ReLU MLP width {hidden}, n={n}, d={d}, {noise:g} label noise, step {step}, "
                 f"{n_rep} inits" + (" (CPU-sized; not the paper's CIFAR-10)" if scale == "paper"
                                     else " (quick)"))
    data = {"params": {"n": n, "d": d, "hidden": hidden, "batch": batch, "sgd_epochs": sgd_epochs,
                       "step": step, "label_noise": noise, "n_repeats": n_rep, "seed": seed}}
    for method, (updates, loss, acc) in runs.items():
        data[f"{method}_updates"] = updates
        data[f"{method}_train_loss"] = loss
        data[f"{method}_test_acc"] = acc
    return fig, data

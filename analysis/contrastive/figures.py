"""Figures of the contrastive-learning topic."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.style import PALETTE, SEQUENTIAL_CMAP
from analysis.contrastive.bounds import bound_coefficients, lemma_4_3_bound
from analysis.contrastive.data import collision_probability, make_latent_class_model
from analysis.contrastive.hypersphere import (
    alignment,
    infonce_gap_bounds,
    infonce_gap_expansion,
    infonce_limit,
    infonce_minus_log_m,
    sample_uniform_sphere,
    uniformity,
    uniformity_kernel_mean,
    uniformity_uniform_sphere,
)
from analysis.contrastive.losses import supervised_mean_loss_linear_exact, unsupervised_loss
from analysis.contrastive.training import linear_probe_accuracy, train_encoder

TOPIC = "contrastive"


def bound_vs_actual_data(scale: str, seed: int, device: str) -> dict:
    """Exact L_sup^mu and the estimated lemma bound along logistic-L_un training, for several C."""
    quick = scale == "quick"
    classes = [2, 5, 10] if quick else [2, 5, 10, 20]
    dim, out_dim = (10, 8) if quick else (32, 16)
    steps, every = (60, 10) if quick else (600, 30)
    n_mc = 4000 if quick else 40000
    checkpoints = list(range(0, steps + 1, every))
    curves = {}
    for C, sub in zip(classes, spawn_seeds(seed, len(classes)), strict=True):
        rng = make_rng(sub)
        model = make_latent_class_model(C, dim, sigma=0.7, rng=rng, separation=2.0)
        tau = collision_probability(model.rho, 1)
        res = train_encoder(
            model,
            objective="logistic",
            out_dim=out_dim,
            steps=steps,
            batch_size=256,
            lr=0.02,
            checkpoints=checkpoints,
            seed=sub,
            device=device,
        )
        sup, bound, bound_se = [], [], []
        for step in checkpoints:
            enc = res.snapshots[step]
            sup.append(supervised_mean_loss_linear_exact(enc.weight, model, "logistic"))
            un = unsupervised_loss(enc, model, n_mc, k=1, loss="logistic", rng=rng)
            bound.append(lemma_4_3_bound(un.mean, tau))
            bound_se.append(un.stderr / (1.0 - tau))
        curves[str(C)] = {
            "tau": tau,
            "L_sup_mu": np.array(sup),
            "bound": np.array(bound),
            "bound_se": np.array(bound_se),
        }
    return {
        "params": {
            "classes": classes,
            "dim": dim,
            "out_dim": out_dim,
            "sigma": 0.7,
            "separation": 2.0,
            "steps": steps,
            "n_monte_carlo": n_mc,
            "loss": "logistic (base 2)",
            "seed": seed,
        },
        "steps": np.array(checkpoints),
        "curves": curves,
    }


@figure(
    name="cl_bound_vs_actual",
    topic=TOPIC,
    title="Mean-classifier loss L_sup^mu vs the bound (L_un - tau)/(1 - tau) during "
    "contrastive training",
)
def make_bound_vs_actual(scale: str, seed: int, device: str):
    """One panel per number of classes C: exact L_sup^mu and the Monte-Carlo bound (band = 2 SE)."""
    data = bound_vs_actual_data(scale, seed, device)
    classes = data["params"]["classes"]
    fig, axes = plt.subplots(1, len(classes), figsize=(3.3 * len(classes), 3.2), sharey=False)
    for ax, C in zip(np.atleast_1d(axes), classes, strict=True):
        cur = data["curves"][str(C)]
        steps = data["steps"]
        ax.plot(steps, cur["bound"], color=PALETTE[1], label=r"$(L_{un}-\tau)/(1-\tau)$")
        ax.fill_between(
            steps,
            cur["bound"] - 2 * cur["bound_se"],
            cur["bound"] + 2 * cur["bound_se"],
            color=PALETTE[1],
            alpha=0.25,
            lw=0,
        )
        ax.plot(
            steps, cur["L_sup_mu"], color=PALETTE[0], marker="o", ms=3, label=r"$L^\mu_{sup}$ (exact)"
        )
        ax.set_title(f"C = {C}, tau = {cur['tau']:.3f}")
        ax.set_xlabel("training step (Adam, logistic $L_{un}$)")
        ax.set_ylabel("loss (base-2 logistic)")
        ax.set_yscale("log")
    np.atleast_1d(axes)[0].legend(loc="upper right")
    p = data["params"]
    fig.suptitle(
        f"Arora et al. Lemma 4.3 along training: linear encoder, Gaussian latent classes "
        f"(d = {p['dim']}, p = {p['out_dim']}, sigma = {p['sigma']})"
    )
    return fig, data


@figure(
    name="cl_coefficients_vs_k",
    topic=TOPIC,
    title="Coefficient of the contrastive loss in four supervised-loss bounds vs the number "
    "of negatives K",
)
def make_coefficients_vs_k(scale: str, seed: int, device: str):
    """Arora, Nozawa-Sato, Ash et al. and Bao et al. coefficients for C = 10 and 100 (exact v)."""
    quick = scale == "quick"
    data = {"params": {"classes": [10, 100], "seed": seed, "note": "deterministic; seed unused"}}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, C in zip(axes, (10, 100), strict=True):
        K = np.unique(np.geomspace(1, 20 * C, 200 if quick else 2000).astype(np.int64))
        coef = bound_coefficients(C, K)
        data[f"C{C}"] = {
            key: coef[key] for key in ("K", "tau", "coverage", "arora", "nozawa_sato", "ash", "bao")
        }
        for key, label, color in (
            ("arora", "Arora et al. (2019)", PALETTE[1]),
            ("nozawa_sato", "Nozawa & Sato (2021)", PALETTE[2]),
            ("ash", "Ash et al. (2022)", PALETTE[3]),
            ("bao", "Bao et al. (2022)", PALETTE[0]),
        ):
            y = np.where(np.isfinite(coef[key]), coef[key], np.nan)
            ax.plot(K, y, label=label, color=color)
        ax.axvline(C, color="0.4", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(0.5, 1e4)
        ax.set_xlabel("number of negatives K")
        ax.set_ylabel("coefficient of the contrastive loss")
        ax.set_title(f"C = {C} classes (dotted: K = C)")
    axes[0].legend(loc="upper right")
    fig.suptitle(
        "Bound coefficients vs K (exact coverage probability; Bao, Nagano & Nozawa 2022, Fig. 1)"
    )
    return fig, data


@figure(
    name="cl_uniformity_infonce",
    topic=TOPIC,
    title="Uniformity estimator vs its exact value on the sphere, and InfoNCE - log M converging in M",
)
def make_uniformity_infonce(scale: str, seed: int, device: str):
    """(a) uniformity of uniform samples vs the closed form, vs d; (b) InfoNCE - log M vs M."""
    quick = scale == "quick"
    rng = make_rng(seed)
    dims = np.arange(2, 13) if quick else np.arange(2, 33)
    ts = (1.0, 2.0, 4.0)
    n = 1000 if quick else 10000
    unif = {}
    for t in ts:
        est, se, exact = [], [], []
        for d in dims:
            e = uniformity_kernel_mean(sample_uniform_sphere(n, int(d), rng=rng), t=t, n_batches=20)
            est.append(math.log(e.mean))
            se.append(e.stderr / e.mean)
            exact.append(uniformity_uniform_sphere(int(d), t))
        unif[f"t={t:g}"] = {"estimate": np.array(est), "stderr": np.array(se), "exact": np.array(exact)}
    # InfoNCE on a finite population of positive pairs (latent classes, random linear encoder)
    model = make_latent_class_model(6, 6, sigma=0.3, rng=rng, separation=1.5)
    W = rng.standard_normal((5, 6))
    c = model.sample_classes((800,), rng)
    z1, z2 = model.sample_inputs(c, rng) @ W.T, model.sample_inputs(c, rng) @ W.T
    z1, z2 = (
        z1 / np.linalg.norm(z1, axis=1, keepdims=True),
        z2 / np.linalg.norm(z2, axis=1, keepdims=True),
    )
    temp = 0.5
    lim = infonce_limit(z1, z2, temperature=temp)
    Ms = 2 ** np.arange(2, 11 if quick else 15)
    n_samples = 2000 if quick else 20000
    gaps, gap_se = [], []
    for M in Ms:
        e = infonce_minus_log_m(
            z1, z2, int(M), n_samples, temperature=temp, rng=rng, control_variate=lim["per_anchor"]
        )
        gaps.append(e.mean - lim["limit"])
        gap_se.append(e.stderr)
    lo, hi = infonce_gap_bounds(Ms, temp, lim["mean_conditional_variance"])
    expansion = infonce_gap_expansion(z1, z2, Ms, temperature=temp)
    data = {
        "params": {
            "dims": dims,
            "t_values": list(ts),
            "n_points": n,
            "n_batches": 20,
            "temperature": temp,
            "population": 800,
            "n_samples": n_samples,
            "seed": seed,
        },
        "uniformity": unif,
        "M": Ms,
        "infonce_gap": np.array(gaps),
        "infonce_gap_se": np.array(gap_se),
        "bound_lower": lo,
        "bound_upper": hi,
        "exact_lower": expansion["lower"],
        "exact_upper": expansion["upper"],
        "asymptotic_constant": expansion["constant"],
        "limit": {k: v for k, v in lim.items() if k != "per_anchor"},
    }
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for (key, cur), color in zip(unif.items(), PALETTE, strict=False):
        ax1.plot(dims, cur["exact"], color=color, label=f"exact, {key}")
        ax1.errorbar(
            dims, cur["estimate"], yerr=2 * cur["stderr"], fmt="o", ms=3, color=color, capsize=2
        )
    ax1.set_xlabel("dimension d (sphere $S^{d-1}$)")
    ax1.set_ylabel(r"$\mathcal{L}_{uniform}$ of the uniform distribution")
    ax1.set_title("(a) estimator (dots, 2 SE) vs closed form (lines)")
    ax1.legend()
    ax2.plot(Ms, hi, color=PALETTE[5], ls=":", lw=1.2,
             label=r"crude bound $e^{2/t}/M$ (lower one $<0$, off the log scale)")
    ax2.fill_between(
        Ms,
        expansion["lower"],
        expansion["upper"],
        color=PALETTE[2],
        alpha=0.5,
        lw=0,
        label="exact bracket (cumulant expansion)",
    )
    ax2.plot(
        Ms, expansion["constant"] / Ms, color=PALETTE[2], lw=1,
        label=f"c / M, c = {expansion['constant']:.3f}",
    )
    ax2.errorbar(
        Ms,
        gaps,
        yerr=2 * np.array(gap_se),
        fmt="o",
        ms=3,
        color=PALETTE[0],
        capsize=2,
        label=r"Monte Carlo $\mathbb{E}\,\mathcal{L}_M - \log M - \mathcal{L}_\infty$ (2 SE)",
    )
    ax2.set_xscale("log", base=2)
    ax2.set_yscale("log")
    ax2.set_xlabel("number of negatives M")
    ax2.set_ylabel("gap to the limit")
    ax2.set_title(f"(b) InfoNCE - log M -> limit (t = {temp}, {n_samples} samples/M)")
    ax2.legend(loc="lower left", fontsize=8)
    fig.suptitle("Wang & Isola (2020): uniformity on the sphere and the asymptotics of InfoNCE")
    return fig, data


@figure(
    name="cl_align_uniform_plane",
    topic=TOPIC,
    title="Alignment-uniformity plane during training, coloured by linear-probe accuracy",
)
def make_align_uniform_plane(scale: str, seed: int, device: str):
    """Trajectories of InfoNCE and L_align + lambda L_uniform training of an MLP encoder."""
    quick = scale == "quick"
    rng = make_rng(seed)
    sigma = 0.7
    model = make_latent_class_model(8, 12, sigma=sigma, rng=rng, separation=2.0)
    steps, every = (60, 15) if quick else (600, 50)
    lams = (0.5, 2.0) if quick else (0.25, 0.5, 1.0, 2.0, 4.0)
    runs = [("InfoNCE (t = 0.5)", "infonce", 1.0)] + [
        (f"align + {lam:g} unif", "align_uniform", lam) for lam in lams
    ]
    n_eval = 600 if quick else 2000
    c = model.sample_classes((n_eval,), rng)
    x1, x2 = model.sample_inputs(c, rng), model.sample_inputs(c, rng)
    c_test = model.sample_classes((n_eval,), rng)
    x_test = model.sample_inputs(c_test, rng)
    checkpoints = list(range(0, steps + 1, every))
    # the final accuracies are compared over several training seeds, on a large test set: with
    # 2000 test points one accuracy has a sampling SE of ~0.009, as large as the lambda effect
    n_repeats = 2 if quick else 5
    n_final_test = 4000 if quick else 40000
    c_final = model.sample_classes((n_final_test,), rng)
    x_final = model.sample_inputs(c_final, rng)
    traj = {}
    final_acc = {label: [] for label, _, _ in runs}
    # seed 0 of the list: one initialisation and batch stream shared by all runs (left panel)
    init_seeds = spawn_seeds(seed, n_repeats)

    def unit(f):
        return f / np.linalg.norm(f, axis=1, keepdims=True)

    for label, objective, lam in runs:
        for rep, init_seed in enumerate(init_seeds):
            res = train_encoder(
                model,
                objective=objective,
                kind="mlp",
                out_dim=8,
                hidden=32,
                steps=steps,
                batch_size=256,
                lr=0.01,
                lam=lam,
                temperature=0.5,
                checkpoints=checkpoints if rep == 0 else (steps,),
                seed=init_seed,
                device=device,
            )
            enc = res.snapshots[steps]
            final_acc[label].append(
                linear_probe_accuracy(unit(enc(x1)), c, unit(enc(x_final)), c_final)
            )
            if rep == 0:
                first = res
        res = first
        al, un, acc = [], [], []
        for step in checkpoints:
            enc = res.snapshots[step]
            f1, f2, ft = enc(x1), enc(x2), enc(x_test)
            al.append(alignment(f1, f2, alpha=2.0, normalize=True))
            un.append(uniformity(f1, t=2.0, normalize=True))
            norm = np.linalg.norm
            acc.append(
                linear_probe_accuracy(
                    f1 / norm(f1, axis=1, keepdims=True), c, ft / norm(ft, axis=1, keepdims=True), c_test
                )
            )
        traj[label] = {
            "alignment": np.array(al),
            "uniformity": np.array(un),
            "probe_accuracy": np.array(acc),
        }
    data = {
        "params": {
            "classes": 8,
            "dim": 12,
            "sigma": sigma,
            "encoder": "MLP 12-32-8, one initialisation shared by all runs",
            "steps": steps,
            "checkpoints": checkpoints,
            "lambdas": list(lams),
            "n_eval": n_eval,
            "n_repeats": n_repeats,
            "n_final_test": n_final_test,
            "seed": seed,
        },
        "trajectories": traj,
    }
    fig, (ax, ax_lam) = plt.subplots(1, 2, figsize=(11, 4.6), width_ratios=(1.6, 1))
    markers = "osD^vP"
    all_acc = np.concatenate([v["probe_accuracy"] for v in traj.values()])
    norm = plt.Normalize(vmin=float(all_acc.min()), vmax=float(all_acc.max()))
    scatter = None
    for (label, cur), marker in zip(traj.items(), markers, strict=False):
        ax.plot(cur["uniformity"], cur["alignment"], color="0.6", lw=0.8, zorder=1)
        scatter = ax.scatter(
            cur["uniformity"],
            cur["alignment"],
            c=cur["probe_accuracy"],
            cmap=SEQUENTIAL_CMAP,
            norm=norm,
            marker=marker,
            s=36,
            edgecolors="k",
            linewidths=0.4,
            label=label,
            zorder=2,
        )
    fig.colorbar(scatter, ax=ax, label="linear-probe accuracy")
    ax.set_xlabel(r"$\mathcal{L}_{uniform}$ (t = 2; lower = more uniform)")
    ax.set_ylabel(r"$\mathcal{L}_{align}$ ($\alpha$ = 2; lower = better aligned)")
    ax.set_title(f"One training run per objective ({steps} steps, C = 8 latent classes)")
    legend = ax.legend(loc="upper right")
    for handle in legend.legend_handles:
        handle.set_facecolor("0.7")
    # the trade-off over lambda: final probe accuracy over training seeds, InfoNCE as reference
    final = np.array([final_acc[f"align + {lam:g} unif"] for lam in lams])  # (lambda, seed)
    info = np.array(final_acc["InfoNCE (t = 0.5)"])
    se = final.std(axis=1, ddof=1) / math.sqrt(n_repeats)
    info_se = float(info.std(ddof=1) / math.sqrt(n_repeats))
    data["final_accuracy_vs_lambda"] = {
        "lambda": np.array(lams),
        "accuracy_per_seed": final,
        "accuracy_mean": final.mean(axis=1),
        "accuracy_se": se,
        "infonce_per_seed": info,
        "infonce_mean": float(info.mean()),
        "infonce_se": info_se,
        "test_sampling_se": float(np.sqrt(0.25 / n_final_test)),
    }
    for r in range(n_repeats):
        ax_lam.scatter(lams, final[:, r], s=10, color=PALETTE[0], alpha=0.35, lw=0, zorder=1)
    ax_lam.errorbar(
        lams,
        final.mean(axis=1),
        yerr=se,
        marker="o",
        color=PALETTE[0],
        capsize=3,
        label=r"$\mathcal{L}_{align} + \lambda\mathcal{L}_{uniform}$ (mean $\pm$ SE)",
        zorder=2,
    )
    ax_lam.axhspan(
        info.mean() - info_se, info.mean() + info_se, color=PALETTE[1], alpha=0.2, lw=0
    )
    ax_lam.axhline(
        info.mean(), color=PALETTE[1], ls="--", label=r"InfoNCE (t = 0.5, mean $\pm$ SE)"
    )
    ax_lam.set_xscale("log", base=2)
    ax_lam.set_xlabel(r"uniformity weight $\lambda$")
    ax_lam.set_ylabel("final linear-probe accuracy")
    ax_lam.set_title(
        f"Trade-off over lambda: {n_repeats} training seeds\n(dots), "
        f"{n_final_test} test points each"
    )
    ax_lam.legend(loc="lower center", fontsize=8)
    return fig, data


@figure(
    name="cl_downstream_samples",
    topic=TOPIC,
    title="Downstream error vs labelled samples per class: contrastive features vs raw inputs",
)
def make_downstream_samples(scale: str, seed: int, device: str):
    """Mean-classifier and linear-probe test error vs n labelled samples per class (bands: 1 std)."""
    from analysis.contrastive.downstream import downstream_errors
    from analysis.contrastive.training import numpy_encoder

    quick = scale == "quick"
    C, dim, sigma = 10, (50 if quick else 200), 1.0
    steps, k = (100, 5) if quick else (800, 10)
    sizes = [1, 2, 5, 10, 20] if quick else [1, 2, 5, 10, 20, 50, 100]
    repeats = 3 if quick else 10
    rng = make_rng(seed)
    model = make_latent_class_model(C, dim, sigma=sigma, rng=rng, separation=3.0)
    sub = spawn_seeds(seed, 3)
    res = train_encoder(
        model,
        objective="logistic",
        out_dim=C,
        steps=steps,
        batch_size=256,
        k=k,
        lr=0.01,
        seed=sub[0],
        device=device,
    )
    curves = {
        "contrastive features": downstream_errors(
            numpy_encoder(res.encoder), model, sizes, n_repeats=repeats, rng=sub[1]
        ),
        "raw inputs": downstream_errors(lambda x: x, model, sizes, n_repeats=repeats, rng=sub[2]),
    }
    data = {
        "params": {
            "classes": C,
            "dim": dim,
            "sigma": sigma,
            "separation": 3.0,
            "out_dim": C,
            "training_steps": steps,
            "objective": f"logistic L_un (k = {k}, Adam lr 0.01)",
            "repeats": repeats,
            "seed": seed,
        },
        "n_labeled": np.array(sizes),
        "curves": curves,
    }
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    for ax, key, title in (
        (axes[0], "mean_classifier", "mean classifier"),
        (axes[1], "linear_probe", "logistic-regression probe"),
    ):
        for (label, cur), color in zip(curves.items(), PALETTE, strict=False):
            err = cur[key]
            mean, std = err.mean(axis=1), err.std(axis=1)
            ax.plot(sizes, mean, marker="o", ms=3, color=color, label=label)
            ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.2, lw=0)
        ax.set_xscale("log")
        ax.set_xlabel("labelled samples per class")
        ax.set_title(title)
    axes[0].set_ylabel("test error")
    axes[0].legend()
    fig.suptitle(f"Labelled-sample complexity: C = {C} classes in d = {dim}; linear encoder, p = {C}")
    return fig, data


def simplicity_bias_data(scale: str, seed: int, device: str) -> dict:
    """Subclass collapse (supervised) and feature suppression with its two remedies (unsupervised).

    Our linear-spectral formulation of Xue et al. (2023); see ``analysis.contrastive.simplicity_bias``.
    ``device`` is unused (numpy, tiny problems).
    """
    from analysis.contrastive.simplicity_bias import (
        feature_moments,
        feature_weights,
        make_subclass_dataset,
        min_norm_supervised_minimiser,
        non_collapsed_minimiser,
        spectral_minimiser,
        subclass_separation,
        supervised_spectral_loss,
        train_supervised_gd,
        train_unsupervised_gd,
    )

    quick = scale == "quick"
    n_seeds, n_per_group, dim, n_test = (3, 15, 200, 200) if quick else (10, 40, 500, 1000)
    out_dim = 3
    seps = {"min-norm": [], "GD, small init": [], "non-collapsed minimiser": []}
    losses = {k: [] for k in seps}
    for sub in spawn_seeds(seed, n_seeds):
        rng = make_rng(sub)
        train = make_subclass_dataset(n_per_group, dim, rng=rng)
        test = make_subclass_dataset(n_test // 4, dim, rng=rng)
        W_mn = min_norm_supervised_minimiser(train.X, train.y, out_dim)
        sols = {
            "min-norm": W_mn,
            "GD, small init": train_supervised_gd(train.X, train.y, out_dim, rng=rng),
            "non-collapsed minimiser": non_collapsed_minimiser(W_mn, train.X),
        }
        for name, W in sols.items():
            seps[name].append(subclass_separation(W, test.X, test.y, test.z))
            losses[name].append(supervised_spectral_loss(W, train.X, train.y))
    steps, every = (1500, 25) if quick else (3000, 25)
    M, Sigma = feature_moments()
    _, history = train_unsupervised_gd(M, Sigma, 1, steps=steps, record_every=every, rng=seed)
    dims = [1, 2, 3]
    by_dim_exact = np.array([feature_weights(spectral_minimiser(M, Sigma, p)) for p in dims])
    by_dim_gd = np.array(
        [feature_weights(train_unsupervised_gd(M, Sigma, p, steps=steps, rng=seed)[0]) for p in dims]
    )
    aug_grid = np.linspace(0.5, 12.0, 9 if quick else 47)
    by_aug = []
    for nu in aug_grid:
        Ma, Sa = feature_moments(aug_noise=(nu, 1.0, 1.0))
        by_aug.append(feature_weights(spectral_minimiser(Ma, Sa, 1)))
    aug_gd_grid = aug_grid[:: max(1, len(aug_grid) // 5)]
    by_aug_gd = []
    for nu in aug_gd_grid:
        Ma, Sa = feature_moments(aug_noise=(nu, 1.0, 1.0))
        by_aug_gd.append(feature_weights(train_unsupervised_gd(Ma, Sa, 1, steps=steps, rng=seed)[0]))
    return {
        "params": {
            "n_seeds": n_seeds, "n_train": 4 * n_per_group, "dim": dim, "n_test": n_test,
            "out_dim_supervised": out_dim, "easy_std": 2.0, "class_amp": 1.0, "sub_amp_population": 0.8,
            "aug_noise_default": [1.0, 1.0, 1.0], "gd_steps_unsupervised": steps,
        },
        "separation": {k: np.array(v) for k, v in seps.items()},
        "train_loss": {k: np.array(v) for k, v in losses.items()},
        "trajectory_steps": np.arange(0, steps + 1, every),
        "trajectory_weights": history,
        "dims": np.array(dims),
        "weights_by_dim_exact": by_dim_exact,
        "weights_by_dim_gd": by_dim_gd,
        "aug_grid": aug_grid,
        "weights_by_aug_exact": np.array(by_aug),
        "aug_gd_grid": aug_gd_grid,
        "weights_by_aug_gd": np.array(by_aug_gd),
    }


@figure(
    name="cl_simplicity_bias",
    topic=TOPIC,
    title="Simplicity bias in contrastive learning: subclass collapse and feature suppression "
    "(linear-spectral formulation ours, after Xue et al. 2023)",
)
def make_simplicity_bias(scale: str, seed: int, device: str):
    """Four panels: subclass separation of three minimisers; GD feature trajectory; the remedies."""
    from analysis.contrastive.simplicity_bias import FEATURE_NAMES

    data = simplicity_bias_data(scale, seed, device)
    # 2 x 2 at 12.5 x 9 in: every label at >= 10 pt on a page-width figure
    fig, axes = plt.subplots(2, 2, figsize=(12.5, 9.0))
    axes = axes.ravel()
    # exact lines of different widths/styles and offset GD markers, so that features with equal
    # weight (e.g. class and subclass both 0) stay visible instead of hiding one another
    styles = [
        {"lw": 4.0, "ls": "-", "alpha": 0.55},
        {"lw": 2.2, "ls": "--", "alpha": 1.0},
        {"lw": 1.4, "ls": ":", "alpha": 1.0},
    ]
    markers = ["o", "s", "^"]
    ax = axes[0]
    names = list(data["separation"])
    for i, name in enumerate(names):
        vals = data["separation"][name]
        ax.bar(i, vals.mean(), color=PALETTE[i], alpha=0.7)
        ax.scatter(np.full(vals.size, i), vals, color="k", s=14, zorder=3)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(["min-norm", "GD\nsmall init", "non-collapsed\nminimiser"], fontsize=11)
    ax.set_ylabel("test subclass gap / class gap", fontsize=11)
    gap = max(float(np.ptp(np.concatenate(list(data["train_loss"].values())))), 0.0)
    ax.set_title(
        f"(a) supervised CL: same train loss (spread {gap:.1e});\nbars = mean, dots = "
        f"{data['params']['n_seeds']} seeds",
        fontsize=12,
    )
    ax = axes[1]
    steps, hist = data["trajectory_steps"], data["trajectory_weights"]
    for j, name in enumerate(FEATURE_NAMES):
        ax.plot(steps, np.maximum(hist[:, j], 1e-12), color=PALETTE[j], label=name, **styles[j])
    ax.set_yscale("log")
    ax.set_xlabel("GD step (unsupervised, p = 1)", fontsize=11)
    ax.set_ylabel("weight on feature |W e_j| (floor 1e-12)", fontsize=11)
    ax.set_title("(b) easy feature learnt, class feature suppressed", fontsize=12)
    ax.legend(fontsize=10, loc="center right")
    ax = axes[2]
    shift = 0.03 * (data["dims"][-1] - data["dims"][0])
    for j, name in enumerate(FEATURE_NAMES):
        color = PALETTE[j]
        ax.plot(data["dims"], data["weights_by_dim_exact"][:, j], color=color,
                label=f"{name}, exact", **styles[j])
        ax.scatter(data["dims"] + (j - 1) * shift, data["weights_by_dim_gd"][:, j], color=color,
                   marker=markers[j], s=45, edgecolors="k", linewidths=0.5, zorder=3,
                   label=f"{name}, GD")
    ax.set_xticks(data["dims"])
    ax.set_xlabel("embedding dimension p", fontsize=11)
    ax.set_ylabel("weight on feature |W e_j|", fontsize=11)
    ax.set_title("(c) remedy 1: larger embedding dimension", fontsize=12)
    ax = axes[3]
    shift = 0.012 * (data["aug_grid"][-1] - data["aug_grid"][0])
    for j, name in enumerate(FEATURE_NAMES):
        color = PALETTE[j]
        ax.plot(data["aug_grid"], data["weights_by_aug_exact"][:, j], color=color,
                label=f"{name}, exact", **styles[j])
        ax.scatter(data["aug_gd_grid"] + (j - 1) * shift, data["weights_by_aug_gd"][:, j],
                   color=color, marker=markers[j], s=45, edgecolors="k", linewidths=0.5, zorder=3,
                   label=f"{name}, GD")
    ax.set_xlabel("augmentation noise variance on the easy feature", fontsize=11)
    ax.set_ylabel("weight on feature |W e_j| (p = 1)", fontsize=11)
    ax.set_title("(d) remedy 2: augment the easy feature", fontsize=12)
    for ax in axes:
        ax.tick_params(labelsize=10)
    handles, labels = axes[2].get_legend_handles_labels()
    order = [0, 2, 4, 1, 3, 5]  # exact lines first, then the GD markers
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="lower center",
        ncol=3,
        fontsize=10,
        title="(c), (d): lines = exact minimiser, markers = GD (offset sideways to stay visible)",
        title_fontsize=10,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig, data


def sufficiency_data(scale: str, seed: int, device: str) -> dict:
    """Sufficiency gaps and downstream ridge risk in our linear-Gaussian model of Lin & Mei (2025).

    ``device`` is unused (closed forms on d x d matrices).
    """
    from analysis.contrastive.sufficiency import (
        best_linear_risk,
        chi2_sufficiency_gap,
        kl_sufficiency_gap,
        make_gaussian_view_model,
        ridge_downstream_risk,
        top_pca_encoder,
    )

    quick = scale == "quick"
    dim, n_random, n_lab, n_rep = (6, 8, 40, 30) if quick else (20, 60, 100, 200)
    noise_var, ridge, aug_var = 0.1, 1e-3, 1.0
    rng = make_rng(seed)
    model = make_gaussian_view_model(dim, aug_var, rng=rng)
    w = rng.standard_normal(dim)
    w /= np.linalg.norm(w)
    ks = np.arange(1, dim + 1)
    pca = [top_pca_encoder(model, int(k)) for k in ks]
    kl_pca = np.array([kl_sufficiency_gap(model, H) for H in pca])
    chi2_pca = np.array([chi2_sufficiency_gap(model, H) for H in pca])
    enc_kind, enc_kl, enc_risk, enc_ridge, enc_ridge_se = [], [], [], [], []
    encoders = [("PCA", H) for H in pca] + [
        ("random", rng.standard_normal((int(rng.integers(1, dim + 1)), dim))) for _ in range(n_random)
    ]
    risk_full = best_linear_risk(model, np.eye(dim), w, noise_var)
    for kind, H in encoders:
        enc_kind.append(kind)
        enc_kl.append(kl_sufficiency_gap(model, H))
        enc_risk.append(best_linear_risk(model, H, w, noise_var) - risk_full)
        m, se = ridge_downstream_risk(
            model, H, w, n=n_lab, ridge=ridge, noise_var=noise_var, n_rep=n_rep, rng=rng
        )
        enc_ridge.append(m)
        enc_ridge_se.append(se)
    aug_grid = np.geomspace(0.05, 5.0, 7 if quick else 25)
    k_half = max(1, dim // 2)
    aug_risk = {"H = I (sufficient)": [], f"top-{k_half} PCA": []}
    aug_ridge = {k: [] for k in aug_risk}
    aug_kl = []
    for nu in aug_grid:
        m_nu = make_gaussian_view_model(dim, float(nu), rng=seed)
        pca_half = top_pca_encoder(m_nu, k_half)
        for name, H in (("H = I (sufficient)", np.eye(dim)), (f"top-{k_half} PCA", pca_half)):
            aug_risk[name].append(best_linear_risk(m_nu, H, w, noise_var))
            aug_ridge[name].append(
                ridge_downstream_risk(
                    m_nu, H, w, n=n_lab, ridge=ridge, noise_var=noise_var, n_rep=n_rep, rng=rng
                )[0]
            )
        aug_kl.append(kl_sufficiency_gap(m_nu, top_pca_encoder(m_nu, k_half)))
    return {
        "params": {
            "dim": dim, "aug_var": aug_var, "noise_var": noise_var, "ridge": ridge, "n_labelled": n_lab,
            "n_rep": n_rep, "n_random_encoders": n_random, "spectrum_decay": 0.7,
        },
        "ks": ks,
        "kl_pca": kl_pca,
        "chi2_pca": chi2_pca,
        "encoder_kind": enc_kind,
        "encoder_kl": np.array(enc_kl),
        "encoder_excess_risk": np.array(enc_risk),
        "encoder_ridge_risk": np.array(enc_ridge),
        "encoder_ridge_se": np.array(enc_ridge_se),
        "risk_sufficient": risk_full,
        "aug_grid": aug_grid,
        "aug_best_risk": {k: np.array(v) for k, v in aug_risk.items()},
        "aug_ridge_risk": {k: np.array(v) for k, v in aug_ridge.items()},
        "aug_kl_half": np.array(aug_kl),
    }


@figure(
    name="cl_sufficiency",
    topic=TOPIC,
    title="Approximate sufficiency of linear encoders and downstream ridge risk "
    "(linear-Gaussian formulation ours, after Lin & Mei 2025)",
)
def make_sufficiency(scale: str, seed: int, device: str):
    """Gaps vs encoder dimension; excess risk vs KL gap; risk vs augmentation noise."""
    data = sufficiency_data(scale, seed, device)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    ax = axes[0]
    ks = data["ks"][:-1]  # k = d is exactly sufficient (gap 0): off the log scale
    ax.plot(ks, data["kl_pca"][:-1], marker="o", color=PALETTE[0], label="KL gap")
    ax.plot(ks, data["chi2_pca"][:-1], marker="s", color=PALETTE[1], label=r"$\chi^2$ gap")
    log_chi2 = np.log1p(data["chi2_pca"][:-1])
    ax.plot(ks, log_chi2, ls="--", color=PALETTE[2], label=r"$\log(1+\chi^2)$ (>= KL)")
    ax.set_yscale("log")
    ax.set_xlabel("encoder dimension k (top-k PCA of the base covariance)")
    ax.set_ylabel("sufficiency gap (nats / chi^2)")
    ax.set_title("(a) sufficiency gaps (k = d: both 0)")
    ax.legend()
    ax = axes[1]
    kinds = np.array(data["encoder_kind"])
    kl, excess = data["encoder_kl"], data["encoder_excess_risk"]
    ridge_excess = data["encoder_ridge_risk"] - data["risk_sufficient"]
    pos = kl > 1e-12
    for i, kind in enumerate(("PCA", "random")):
        sel = pos & (kinds == kind)
        color = PALETTE[i]
        ax.scatter(kl[sel], np.maximum(excess[sel], 1e-12), color=color, label=f"{kind}: population")
        ax.scatter(kl[sel], np.maximum(ridge_excess[sel], 1e-12), color=PALETTE[i], marker="x",
                   label=f"{kind}: ridge, n = {data['params']['n_labelled']}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("KL sufficiency gap")
    ax.set_ylabel("excess downstream risk over H = I")
    ax.set_title("(b) risk vs sufficiency")
    ax.legend(fontsize=7)
    ax = axes[2]
    for i, name in enumerate(data["aug_best_risk"]):
        color = PALETTE[i]
        ax.plot(data["aug_grid"], data["aug_best_risk"][name], color=color, label=f"{name}: population")
        ax.plot(data["aug_grid"], data["aug_ridge_risk"][name], color=PALETTE[i], ls="--", marker="x",
                label=f"{name}: ridge")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("augmentation noise variance nu")
    ax.set_ylabel("downstream risk (y = w^T x0 + noise)")
    ax.set_title("(c) augmentation-induced error")
    ax.legend(fontsize=7)
    return fig, data

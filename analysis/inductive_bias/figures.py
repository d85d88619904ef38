"""Figures of the inductive-bias topic."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.style import PALETTE
from analysis.inductive_bias.bound import predecessor_bound_bits
from analysis.inductive_bias.claims import eps_at_depth
from analysis.inductive_bias.data import digits_task, synthetic_task
from analysis.inductive_bias.estimators import (
    fit_scaled_ncx2,
    gaussian_inductive_bias,
    gaussian_loss_law,
    ncx2_inductive_bias,
)
from analysis.inductive_bias.mlp import mlp_test_losses, train_mlp_ensemble
from analysis.inductive_bias.samplers import (
    gp_posterior,
    random_feature_posterior,
    sample_gaussian_losses,
)

TOPIC = "inductive_bias"


def estimator_error_table(seed: int, sizes, depths, repeats: int, *, dim: int = 8, n_train: int = 40,
                          n_test: int = 25) -> dict:
    """Published-estimator values vs the exact I on a GP posterior space (synthetic task).

    One ncx2 fit per (S, repeat), evaluated at every depth; the thresholds are set so that the
    exact inductive bias equals each depth. Returns ``estimates[depth, size, repeat]`` (nats).
    """
    task = synthetic_task(dim, n_train, n_test, rng=seed)
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
    eps = [eps_at_depth(law, d) for d in depths]
    rng = make_rng(seed + 1)
    est = np.empty((len(depths), len(sizes), repeats))
    for j, size in enumerate(sizes):
        for r in range(repeats):
            losses = sample_gaussian_losses(post.mean, post.cov, task.Y_test, int(size), rng=rng)
            fit = fit_scaled_ncx2(losses)
            for i, e in enumerate(eps):
                est[i, j, r] = -fit.log_cdf(e)
    return {"estimates": est, "eps": np.array(eps), "law_mean": law.mean, "law_sd": law.sd}


@figure(
    name="ib_estimator_vs_samples",
    topic=TOPIC,
    title="Published ncx2 estimate vs exact inductive bias on a GP space, as a function of S",
)
def make_estimator_vs_samples(scale: str, seed: int, device: str):
    """Exact I (dashed) vs the published estimate (mean +- sd over repeats) for S sampled hypotheses."""
    if scale == "quick":
        sizes, depths, repeats = [30, 100, 300], [10.0, 25.0], 3
    else:  # the paper's S range (Sec. 4.2 uses up to 1e4-1e5 samples); 6 repeats
        sizes, depths, repeats = [100, 1000, 10_000, 100_000], [5.0, 10.0, 25.0, 40.0], 6
    table = estimator_error_table(seed, sizes, depths, repeats)
    est = table["estimates"]
    mean, sd = est.mean(axis=2), est.std(axis=2, ddof=1)
    fig, (ax_val, ax_err) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, depth in enumerate(depths):
        colour = PALETTE[i % len(PALETTE)]
        ax_val.plot(sizes, mean[i], "o-", color=colour, label=f"estimate, exact I = {depth:g}")
        ax_val.fill_between(sizes, mean[i] - sd[i], mean[i] + sd[i], color=colour, alpha=0.2)
        ax_val.axhline(depth, color=colour, ls="--", lw=1.2)
        ax_err.plot(sizes, mean[i] - depth, "o-", color=colour, label=f"I = {depth:g} nats")
        err = mean[i] - depth
        ax_err.fill_between(sizes, err - sd[i], err + sd[i], color=colour, alpha=0.2)
    ax_err.axhline(0.0, color="k", lw=0.8)
    for ax in (ax_val, ax_err):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel("S (sampled hypotheses)")
    ax_val.set_ylabel("inductive bias I(eps) (nats)")
    ax_val.set_title("estimate (band: +-1 sd over repeats); dashed: exact")
    ax_err.set_ylabel("estimate - exact (nats)")
    ax_err.set_title("error: variance shrinks, a tail bias remains")
    ax_val.legend(loc="upper left")
    ax_err.legend(loc="lower left")
    fig.suptitle("RBF-GP posterior space, synthetic task d = 8, n = 40, 25 test points")
    data = {
        "params": {"sizes": sizes, "depths": depths, "repeats": repeats, "seed": seed, "dim": 8,
                   "n_train": 40, "n_test": 25},
        "eps": table["eps"], "estimates": est, "mean": mean, "sd": sd,
        "bias": mean - np.array(depths)[:, None],
    }
    return fig, data


def _digits_delta(task) -> float:
    """Minimum distance between training points of different classes (the bound's resolution)."""
    X, y = task.X_train, np.argmax(task.Y_train, axis=1)
    sq = np.sum((X[:, None] - X[None]) ** 2, axis=2)
    sq[y[:, None] == y[None, :]] = np.inf
    return float(np.sqrt(sq.min()))


@figure(
    name="ib_dimension",
    topic=TOPIC,
    title="Higher-dimensional tasks require more inductive bias (exact GP space; predecessor bound)",
)
def make_dimension(scale: str, seed: int, device: str):
    """Exact GP-space I vs input dimension: synthetic tasks, digits on k PCs, and the 2023 bound."""
    if scale == "quick":
        dims, ks, n_seeds = [2, 8, 32], [8, 32], 2
    else:
        dims, ks, n_seeds = [1, 2, 4, 8, 16, 32, 64], [4, 8, 16, 32, 64], 5
    eps_syn, eps_dig = [0.1, 0.03], [0.04, 0.02]
    seeds = spawn_seeds(seed, n_seeds)
    syn = np.array([[[_gp_bias(synthetic_task(d, 50, 30, rng=s), e) for e in eps_syn] for s in seeds]
                    for d in dims])  # (dims, seeds, eps)
    dig = np.array([[[_gp_bias(digits_task(k, 100, 50, rng=s), e) for e in eps_dig] for s in seeds]
                    for k in ks])
    # the 2023 bound with delta measured on each training set, and with R / delta held at the
    # value of the largest k (isolating its dependence on the dimension m)
    geometry = [[_bound_geometry(digits_task(k, 100, 50, rng=s)) for s in seeds] for k in ks]
    ratio = float(np.median([g[1] / g[2] for g in geometry[-1]]))
    bound = np.array([[predecessor_bound_bits(0.02, 100, k, g[1], g[2], 9, n_discrete=10) for g in row]
                      for k, row in zip(ks, geometry, strict=True)])
    bound_fixed = np.array([[predecessor_bound_bits(0.02, 100, k, g[1], g[1] / ratio, 9, n_discrete=10)
                             for g in row] for k, row in zip(ks, geometry, strict=True)])
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for panel, (xs, vals, eps_list, what) in enumerate(
        [(dims, syn, eps_syn, "synthetic (GP-drawn target), n = 50"),
         (ks, dig, eps_dig, "digits, n = 100")]
    ):
        ax = axes[panel]
        for j, e in enumerate(eps_list):
            finite = np.where(np.isfinite(vals[:, :, j]), vals[:, :, j], np.nan)
            med = np.nanmedian(finite, axis=1)
            ax.plot(xs, med, "o-", color=PALETTE[j], label=f"eps = {e:g} (median over seeds)")
            ax.fill_between(xs, np.nanmin(finite, axis=1), np.nanmax(finite, axis=1), color=PALETTE[j],
                            alpha=0.2)
        ax.set_xscale("log", base=2)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("input dimension d" if panel == 0 else "principal components k")
        ax.set_ylabel("exact I(eps) (nats)")
        ax.set_title(what)
        ax.legend(loc="upper left")
    ax = axes[2]
    for vals, colour, label in [(bound, PALETTE[3], "delta measured per training set"),
                                (bound_fixed, PALETTE[4], f"R/delta fixed at {ratio:.2f}")]:
        ax.plot(ks, np.median(vals, axis=1), "s-", color=colour, label=label)
        ax.fill_between(ks, vals.min(axis=1), vals.max(axis=1), color=colour, alpha=0.2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("principal components k (= intrinsic dim. m)")
    ax.set_ylabel("bound (bits)")
    ax.set_title("ICML 2023 bound, digits, eps = 0.02")
    ax.legend(loc="best")
    fig.suptitle("Band: min-max over seeds. Digits with k <= 4: the noise-free GP interpolates "
                 "overlapping classes and is confidently wrong (I huge or infinite).", fontsize=9)
    data = {
        "params": {"dims": dims, "ks": ks, "seeds": seeds, "eps_synthetic": eps_syn,
                   "eps_digits": eps_dig,
                   "n_synthetic": 50, "n_digits": 100},
        "synthetic": np.where(np.isfinite(syn), syn, -1.0),
        "digits": np.where(np.isfinite(dig), dig, -1.0),
        "bound_bits": bound, "bound_bits_fixed_ratio": bound_fixed, "fixed_R_over_delta": ratio,
        "note": "-1 encodes an infinite inductive bias (eps below the deterministic "
                                     "part of the loss)",
    }
    return fig, data


def _gp_bias(task, eps: float) -> float:
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    return gaussian_inductive_bias(post.mean, post.cov, task.Y_test, eps)


def _bound_geometry(task) -> tuple[int, float, float]:
    """(m, R, delta) of a digits task for the 2023 bound: dimension, max norm, class separation."""
    return task.dim, float(np.max(np.linalg.norm(task.X_train, axis=1))), _digits_delta(task)


MLP_CONFIGS_QUICK = [(32, 2), (64, 2)]
MLP_CONFIGS_PAPER = [(32, 1), (64, 1), (32, 2), (64, 3)]


def model_class_table(seed: int, eps_list, configs, n_models: int, n_seeds: int, *, k: int = 16,
                      n_train: int = 60, n_test: int = 40, steps: int = 2000,
                      device: str = "cpu") -> dict:
    """I(eps) per model class on digits: exact for GP / random features, ncx2 for MLP ensembles.

    ``ncx2_gaussian`` holds, for the two Gaussian spaces, the same ncx2 estimate the MLPs get,
    from ``n_models`` sampled hypotheses: the like-with-like comparison with the MLP values (the
    exact minus this is the estimator's error on that space, cf. ``ib_estimator_vs_samples``).
    """
    names = ["RBF-GP (exact)", "random features D=200 (exact)"] + [
        f"MLP w={w} d={d} (ncx2)" for w, d in configs]
    seeds = spawn_seeds(seed, n_seeds)
    values = np.empty((len(names), n_seeds, len(eps_list)))
    train_mse = np.zeros((len(configs), n_seeds))
    ncx2_gaussian = np.empty((2, n_seeds, len(eps_list)))
    for s_idx, s in enumerate(seeds):
        task = digits_task(k, n_train, n_test, rng=s)
        post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
        rf = random_feature_posterior(task.X_train, task.Y_train, task.X_test, 200, rng=s,
                                      lengthscale=task.lengthscale)
        for j, e in enumerate(eps_list):
            values[0, s_idx, j] = gaussian_inductive_bias(post.mean, post.cov, task.Y_test, e)
            values[1, s_idx, j] = gaussian_inductive_bias(rf.mean, rf.cov, task.Y_test, e)
        for g_idx, space in enumerate((post, rf)):
            sampled = sample_gaussian_losses(space.mean, space.cov, task.Y_test, n_models,
                                             rng=make_rng(s).integers(0, 2**31) + g_idx)
            for j, e in enumerate(eps_list):
                ncx2_gaussian[g_idx, s_idx, j] = ncx2_inductive_bias(sampled, e)
        for c_idx, (width, depth) in enumerate(configs):
            model = train_mlp_ensemble(task.X_train, task.Y_train, n_models=n_models, width=width,
                                       depth=depth, steps=steps, lr=1e-2, tol=1e-4, seed=s,
                                       device=device)
            train_mse[c_idx, s_idx] = model.train_mse.max()
            losses = mlp_test_losses(model, task.X_test, task.Y_test)
            for j, e in enumerate(eps_list):
                values[2 + c_idx, s_idx, j] = ncx2_inductive_bias(losses, e)
    return {"names": names, "values": values, "train_mse": train_mse, "seeds": seeds,
            "ncx2_gaussian": ncx2_gaussian}


@figure(
    name="ib_model_classes",
    topic=TOPIC,
    title="Inductive bias needed by model class on digits: RBF-GP, random features, MLP ensembles",
)
def make_model_classes(scale: str, seed: int, device: str):
    """I(eps) per hypothesis space on digits (16 PCs), points = seeds, bars = median."""
    eps_list = [0.04, 0.02]
    if scale == "quick":
        configs, n_models, n_seeds, steps = MLP_CONFIGS_QUICK, 16, 2, 600
    else:  # the paper trains 100s of networks per class; 64 per class keeps this near ~90 s
        configs, n_models, n_seeds, steps = MLP_CONFIGS_PAPER, 64, 3, 2000
    table = model_class_table(seed, eps_list, configs, n_models, n_seeds, steps=steps, device=device)
    values = table["values"]
    fig, axes = plt.subplots(1, len(eps_list), figsize=(12, 4.2), sharey=True)
    positions = np.arange(len(table["names"]))
    for j, (ax, e) in enumerate(zip(axes, eps_list, strict=True)):
        med = np.median(values[:, :, j], axis=1)
        colours = [PALETTE[0], PALETTE[5]] + [PALETTE[1]] * len(configs)
        ax.bar(positions, np.maximum(med, 1e-3), color=colours, alpha=0.6, width=0.4,
               label="exact (GP, RF) / ncx2 estimate (MLP)" if j == 0 else None)
        # like with like: the same ncx2 estimator from the same number of sampled hypotheses
        med_ncx2 = np.median(table["ncx2_gaussian"][:, :, j], axis=1)
        ax.bar(positions[:2] + 0.4, np.maximum(med_ncx2, 1e-3), width=0.4, color="none",
               edgecolor=[PALETTE[0], PALETTE[5]], hatch="//",
               label=f"ncx2 estimate from S = {n_models} sampled GP / RF hypotheses" if j == 0
               else None)
        for s_idx in range(values.shape[1]):
            ax.plot(positions, np.maximum(values[:, s_idx, j], 1e-3), "k.", ms=6)
            ax.plot(positions[:2] + 0.4, np.maximum(table["ncx2_gaussian"][:, s_idx, j], 1e-3),
                    "kx", ms=5)
        ax.set_yscale("log")
        ax.set_xticks(positions, table["names"], rotation=30, ha="right")
        ax.set_title(f"eps = {e:g} (test MSE, one-hot targets)")
        ax.set_xlabel("hypothesis space")
    axes[0].set_ylabel("inductive bias I(eps) (nats, log scale)")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Digits on 16 PCs, n = 60 training points; bars: median, "
                 f"dots: {values.shape[1]} seeds; "
                 f"MLPs: {n_models} networks each, max train MSE {table['train_mse'].max():.1e}",
                 fontsize=10)
    data = {
        "params": {"eps": eps_list, "configs": configs, "n_models": n_models, "seeds": table["seeds"],
                   "max_steps": steps,
                   "k": 16, "n_train": 60, "n_test": 40},
        "names": table["names"], "values": values, "train_mse": table["train_mse"],
        "ncx2_gaussian_names": table["names"][:2],
        "ncx2_gaussian": table["ncx2_gaussian"],
    }
    return fig, data


def tail_accuracy_table(seed: int, n_points: int) -> dict:
    """Errors of log P(Q <= x) by each route, against an independent exact reference.

    Panel data for a well-conditioned random law (reference: Ruben's series) and for a GP posterior
    law (reference: the saddle-point contour, whose agreement with Ruben is shown on the first).
    """
    from analysis.inductive_bias.gchisq import (
        GChiSq,
        gchisq_log_cdf,
        imhof_classic_cdf,
        ruben_log_cdf,
        saddlepoint_log_cdf,
    )

    def classic_log(x, law):
        value = imhof_classic_cdf(x, law)
        return math.log(value) if value > 0 else math.nan  # zero or negative: all digits lost

    rng = make_rng(seed)
    random_law = GChiSq.make(rng.uniform(0.2, 1.0, 20) / 20, noncentrality=rng.uniform(0, 2, 20))
    task = synthetic_task(8, 40, 25, rng=seed)
    post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
    gp_law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
    out = {}
    for name, law, reference in [("random", random_law, ruben_log_cdf), ("gp", gp_law, None)]:
        fracs = np.geomspace(0.8, 0.004, n_points)
        ref = np.array([(reference or gchisq_log_cdf)(f * law.mean, law) for f in fracs])
        routes = {"saddle-point contour (ours)": gchisq_log_cdf, "classic Imhof (Re t = 0)": classic_log,
                  "Lugannani-Rice approximation": saddlepoint_log_cdf}
        errors = {}
        for label, fn in routes.items():
            if reference is None and fn is gchisq_log_cdf:
                continue
            vals = np.array([fn(f * law.mean, law) for f in fracs])
            errors[label] = np.abs(vals - ref) / np.abs(ref)
        out[name] = {"depth": -ref, "errors": errors}
    return out


@figure(
    name="ib_tail_accuracy",
    topic=TOPIC,
    title="Accuracy of the generalised chi-square lower tail: saddle-point contour vs classic Imhof",
)
def make_tail_accuracy(scale: str, seed: int, device: str):
    """Relative error of log P(loss <= eps) vs depth, per route, against an exact reference."""
    table = tail_accuracy_table(seed, 8 if scale == "quick" else 20)
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8), sharey=True)
    titles = {"random": "20 non-central terms; reference: Ruben's series",
              "gp": "GP posterior loss law; reference: contour"}
    data = {"params": {"seed": seed, "n_points": 8 if scale == "quick" else 20}}
    colours = {"saddle-point contour (ours)": PALETTE[0], "classic Imhof (Re t = 0)": PALETTE[1],
               "Lugannani-Rice approximation": PALETTE[2]}
    for ax, key in zip(axes, ["random", "gp"], strict=True):
        depth = table[key]["depth"]
        data[f"{key}_depth"] = depth
        for label, err in table[key]["errors"].items():
            # relative errors below round-off are drawn at 1e-16; failed values (nan) are omitted
            ax.plot(depth, np.maximum(err, 1e-16), "o-", color=colours[label], label=label, ms=4)
            data[f"{key}_{label}"] = np.where(np.isfinite(err), err, -1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel("exact inductive bias -log P (nats)")
        ax.set_title(titles[key], fontsize=10)
    axes[0].set_ylabel("relative error of log P")
    axes[0].legend(loc="center left")
    fig.suptitle("Classic Imhof degrades from ~15 nats and fails (P <= 0: missing points) beyond "
                 "~35-45 nats; the saddle-point contour stays at round-off", fontsize=10)
    return fig, data

"""Figures of the continual-learning topic."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.style import PALETTE
from analysis.continual.data import (
    cone_counterexample_tasks,
    counterexample_tasks,
    cyclic_order,
    make_regression_tasks,
    make_separable_tasks,
    random_order,
    wedge_tasks,
)
from analysis.continual.forgetting import (
    classification_forgetting,
    cyclic_average_bound,
    data_radius,
    expected_all_task_loss_two_tasks,
    forgetting_from_losses,
    random_average_bound,
    running_mean,
    task_violations,
)
from analysis.continual.gd import fixed_budget_gd
from analysis.continual.projection import (
    distance_to_feasible_set,
    offline_max_margin,
    sequential_max_margin,
)
from analysis.continual.regression import (
    continual_regression,
    joint_min_norm_solution,
    regression_forgetting_bound_cyclic,
    regression_task_losses,
)
from analysis.continual.regularized import (
    lambda_reduction_errors,
    regularised_continual_path,
    scheduled_regularised_path,
    scheduled_smm,
)

TOPIC = "continual"


def _one_minus_cos(W: np.ndarray, ref: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(W, axis=1) * np.linalg.norm(ref)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norms > 0, (W @ ref) / np.where(norms > 0, norms, 1.0), 0.0)
    return np.maximum(1.0 - cos, 1e-16)


def _trajectories(tasks, K, K_reg, lam, gd_steps, seed):
    """SMM (cyclic, random), regularised path (cyclic, normalised) and fixed-budget GD (cyclic)."""
    T = len(tasks)
    w_star = offline_max_margin(tasks)
    cyc = cyclic_order(T, K)
    runs = {
        "SMM, cyclic": sequential_max_margin(tasks, cyc),
        "SMM, random": sequential_max_margin(tasks, random_order(T, K, seed)),
        f"regularised, lambda={lam:.0e} (/ln(1/lambda))":
            regularised_continual_path(tasks, cyclic_order(T, K_reg), lam) / np.log(1 / lam),
        f"fixed-budget GD ({gd_steps} steps/task)": fixed_budget_gd(tasks, cyc, gd_steps),
    }
    out = {}
    for name, W in runs.items():
        out[name] = {
            "iteration": np.arange(W.shape[0]),
            "dist_to_W_star": distance_to_feasible_set(W, tasks),
            "one_minus_cos_to_w_star": _one_minus_cos(W, w_star),
        }
    return out, w_star


@figure(
    name="cont_distance_vs_iteration",
    topic=TOPIC,
    title="Distance to the offline feasible set W* and angle to w*: SMM (cyclic/random), "
    "regularised path, fixed-budget GD",
)
def make_distance_vs_iteration(scale: str, seed: int, device: str):
    """Two instances (random planted tasks; the 2-task counterexample), two metrics per iteration."""
    quick = scale == "quick"
    K, gd_steps = (40, 50) if quick else (400, 200)
    K_reg = K  # the regularised path is drawn over the same iterations as the others
    T, n, d = (4, 8, 8) if quick else (8, 20, 20)
    s_inst, s_order = spawn_seeds(seed, 2)
    lam = 1e-12
    tasks, _ = make_separable_tasks(T, n, d, s_inst, min_margin=0.2)
    random_runs, _ = _trajectories(tasks, K, K_reg, lam, gd_steps, s_order)
    cex = counterexample_tasks(0.5)
    cex_runs, _ = _trajectories(cex, K, K_reg, lam, gd_steps, s_order)
    colors = [PALETTE[i] for i in range(4)]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex="col")
    for row, (label, runs) in enumerate(
        [(f"random jointly separable tasks (T={T}, n={n}, d={d})", random_runs),
         ("counterexample (2 tasks in 2-D, c = 1/2)", cex_runs)]
    ):
        for (name, r), color in zip(runs.items(), colors, strict=True):
            dist = np.maximum(r["dist_to_W_star"], 1e-16)
            axes[row, 0].plot(r["iteration"], dist, label=name, color=color)
            axes[row, 1].plot(r["iteration"], r["one_minus_cos_to_w_star"], label=name, color=color)
        for ax in axes[row]:
            ax.set_yscale("log")
            # exact zeros (an iterate inside W*, or exactly along w*) are drawn on this floor
            ax.axhline(1e-16, color="0.6", lw=0.8, ls="--")
            ax.text(0.99, 1e-16, "0 (exactly), drawn at 1e-16", transform=ax.get_yaxis_transform(),
                    ha="right", va="bottom", fontsize=7.5, color="0.4")
        axes[row, 0].set_ylabel("dist(w_t, W*)")
        axes[row, 1].set_ylabel("1 - cos(w_t, w*)")
        axes[row, 0].set_title(label, fontsize=10)
        axes[row, 1].set_title(label, fontsize=10)
    for ax in axes[1]:
        ax.set_xlabel("iteration t (tasks seen)")
    axes[0, 1].legend(fontsize=8, loc="best")
    # On the counterexample GD's iterate is ln(t) w* + rho_t (Jung et al., Thm 3.2): its direction
    # crosses w*'s where the orthogonal part of rho_t changes sign, then 1 - cos ~ rho_perp^2 /
    # (2 ||w_t||^2) grows again while rho_perp settles; it decays only like 1/ln(t)^2 afterwards.
    gd = cex_runs[f"fixed-budget GD ({gd_steps} steps/task)"]["one_minus_cos_to_w_star"]
    t_cross = int(np.argmin(gd[5:])) + 5
    axes[1, 1].annotate(f"GD crosses w*'s direction (t={t_cross});\n"
                        "after it, 1-cos ~ rho_perp^2/(2||w_t||^2)\n"
                        "rises while rho_perp settles, then\ndecays only like 1/ln(t)^2",
                        xy=(t_cross, gd[t_cross]), xytext=(0.3, 0.3), textcoords="axes fraction",
                        fontsize=7.5, arrowprops={"arrowstyle": "->", "color": "0.4"})
    fig.suptitle("SMM reaches W* but not always w*; fixed-budget GD ends nearer w*'s direction, "
                 "non-monotonically (its w*-part grows like ln t)", fontsize=11)
    data = {
        "params": {"K": K, "K_regularised": K_reg, "gd_steps": gd_steps, "T": T, "n": n, "d": d,
                   "lambda": lam, "seed": seed, "counterexample_c": 0.5,
                   "counterexample_gd_crossing_t": t_cross},
        "random_instance": random_runs,
        "counterexample": cex_runs,
    }
    return fig, data


@figure(
    name="cont_forgetting_vs_k",
    topic=TOPIC,
    title="Forgetting vs k with bounds: classification (SMM) vs regression (affine projections)",
)
def make_forgetting_vs_k(scale: str, seed: int, device: str):
    """Measured forgetting (cyclic and random orders) against the bounds, both settings."""
    quick = scale == "quick"
    T, K, n_orders = (3, 300, 4) if quick else (5, 3000, 20)
    n_cls, d_cls = (5, 5) if quick else (10, 10)
    n_reg, d_reg = (5, 10) if quick else (10, 30)
    s_cls, s_reg, s_ord = spawn_seeds(seed, 3)
    k = np.arange(1, K + 1)

    tasks, u = make_separable_tasks(T, n_cls, d_cls, s_cls, min_margin=0.5)
    w_star = offline_max_margin(tasks)
    R = data_radius(tasks)
    cyc = cyclic_order(T, K)
    F_cyc = classification_forgetting(tasks, cyc, sequential_max_margin(tasks, cyc))
    rng = make_rng(s_ord)
    F_rand, G_rand = [], []
    for _ in range(n_orders):
        order = random_order(T, K, rng)
        V = task_violations(tasks, sequential_max_margin(tasks, order))
        F_rand.append(forgetting_from_losses(V, order))
        G_rand.append(running_mean(V[:-1].mean(axis=1)))
    cls = {
        "cyclic_F": F_cyc, "cyclic_F_running_mean": running_mean(F_cyc),
        "random_F_mean": np.mean(F_rand, axis=0), "random_Gbar_running_mean": np.mean(G_rand, axis=0),
        "cyclic_bound": cyclic_average_bound(k, T, R, float(np.linalg.norm(w_star))),
        "random_bound": random_average_bound(k, R, float(np.linalg.norm(w_star))),
    }

    rtasks, _ = make_regression_tasks(T, n_reg, d_reg, s_reg)
    ws = joint_min_norm_solution(rtasks)
    R_reg = max(np.linalg.norm(X, 2) for X, _ in rtasks)
    losses_cyc = regression_task_losses(rtasks, continual_regression(rtasks, cyc))
    F_rcyc = forgetting_from_losses(losses_cyc, cyc)
    F_rr = []
    for _ in range(n_orders):
        order = random_order(T, K, rng)
        F_rr.append(forgetting_from_losses(
            regression_task_losses(rtasks, continual_regression(rtasks, order)), order))
    reg = {
        "cyclic_F": F_rcyc, "random_F_mean": np.mean(F_rr, axis=0),
        "cyclic_bound_T2_min": regression_forgetting_bound_cyclic(
            k, T, d_reg, float(np.linalg.norm(ws)), R_reg),
    }

    # the tight instance of the claims: two one-sample tasks meeting in a wedge (data.wedge_tasks)
    theta = 0.15
    wtasks, apex = wedge_tasks(theta, 1.0)
    F_w = classification_forgetting(wtasks, cyclic_order(2, K),
                                    sequential_max_margin(wtasks, cyclic_order(2, K)))
    G_w = expected_all_task_loss_two_tasks(wtasks, K)
    R_w = data_radius(wtasks)
    wedge = {
        "theta": theta,
        "cyclic_F_running_mean": running_mean(F_w),
        "random_exact_Gbar_running_mean": np.cumsum(G_w) / k,
        "bound": cyclic_average_bound(k, 2, R_w, float(np.linalg.norm(apex))),  # = random bound
    }
    wedge["cyclic_ratio_max"] = float(np.max(wedge["cyclic_F_running_mean"] / wedge["bound"]))
    wedge["random_ratio_max"] = float(np.max(wedge["random_exact_Gbar_running_mean"] / wedge["bound"]))

    fig, axes = plt.subplots(1, 3, figsize=(16.5, 4.6))
    ax = axes[0]
    ax.plot(k, np.maximum(cls["cyclic_F"], 1e-16), color=PALETTE[0], lw=1,
            label="F(k), cyclic (last iterate)")
    ax.plot(k, np.maximum(cls["cyclic_F_running_mean"], 1e-16), color=PALETTE[0], ls="--",
            label="(1/k) sum F(j), cyclic")
    ax.plot(k, np.maximum(cls["random_F_mean"], 1e-16), color=PALETTE[1], lw=1,
            label=f"F(k), random (mean of {n_orders})")
    ax.plot(k, np.maximum(cls["random_Gbar_running_mean"], 1e-16), color=PALETTE[1], ls="--",
            label="(1/k) sum Gbar(w_t), random")
    ax.plot(k, cls["cyclic_bound"], color="k", ls=":", label="bound (T-1)^2 R^2 ||w*||^2 / k")
    ax.plot(k, cls["random_bound"], color="0.5", ls=":", label="bound R^2 ||w*||^2 / k (random)")
    ax.set_title(f"classification, SMM (T={T}, n={n_cls}, d={d_cls})", fontsize=10)
    ax = axes[1]
    ax.plot(k, np.maximum(reg["cyclic_F"], 1e-16), color=PALETTE[0], lw=1, label="F(k), cyclic")
    ax.plot(k, np.maximum(reg["random_F_mean"], 1e-16), color=PALETTE[1], lw=1,
            label=f"F(k), random (mean of {n_orders})")
    ax.plot(k, reg["cyclic_bound_T2_min"], color="k", ls=":",
            label="T^2 min(1/sqrt k, d/k) ||w*||^2 R^2")
    ax.set_title(f"regression, affine projections (T={T}, n={n_reg}, d={d_reg})", fontsize=10)
    ax = axes[2]
    # F(1) = 0 exactly (one task seen, and fitted): the cyclic curve starts at k = 2
    ax.plot(k[1:], wedge["cyclic_F_running_mean"][1:], color=PALETTE[0], ls="--",
            label=f"(1/k) sum F(j), cyclic (max ratio to bound {wedge['cyclic_ratio_max']:.3f})")
    gap = 1.0 - wedge["random_ratio_max"]
    ax.plot(k, wedge["random_exact_Gbar_running_mean"], color=PALETTE[1], ls="--",
            label=f"E (1/k) sum Gbar(w_t), random, exact (max ratio 1 - {gap:.1e})")
    ax.plot(k, wedge["bound"], color="k", ls=":", label="bound R^2 ||w*||^2 / k (T=2: both bounds)")
    ax.set_title(f"tight instance: 2 one-sample tasks, wedge of opening {theta} rad", fontsize=10)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("iteration k")
        ax.set_ylabel("forgetting")
        ax.set_ylim(bottom=1e-16)
        ax.legend(fontsize=7.5, loc="lower left")
    axes[2].set_ylim(1e-4, 1e2)
    fig.suptitle("Forgetting vanishes in both settings; the bounds are loose on random tasks, "
                 "nearly attained on the wedge (right)")
    data = {"params": {"T": T, "K": K, "n_orders": n_orders, "n_cls": n_cls, "d_cls": d_cls,
                       "n_reg": n_reg, "d_reg": d_reg, "seed": seed},
            "k": k, "classification": cls, "regression": reg, "wedge": wedge}
    return fig, data


@figure(
    name="cont_lambda_reduction",
    topic=TOPIC,
    title="Weak regularisation reduces to SMM: w_t^lambda / ln(1/lambda) -> w_t, logarithmically slowly",
)
def make_lambda_reduction(scale: str, seed: int, device: str):
    """Relative error and 1 - cosine between normalised regularised iterates and SMM, vs ln(1/lambda)."""
    quick = scale == "quick"
    exponents = np.array([2, 4, 8, 16, 32, 64]) if quick else np.arange(2, 101, 4)
    T, n, d, K = (2, 5, 4, 4) if quick else (3, 10, 8, 9)
    tasks, _ = make_separable_tasks(T, n, d, seed)
    order = cyclic_order(T, K)
    smm = sequential_max_margin(tasks, order)
    lams = 10.0 ** (-exponents.astype(float))
    res = lambda_reduction_errors(tasks, order, lams, smm)
    L = res["log_inv_lambda"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    for t in range(K):
        color = PALETTE[t % len(PALETTE)]
        axes[0].plot(L, res["rel_error"][:, t], marker="o", ms=3, color=color, label=f"t = {t + 1}")
        axes[1].plot(L, np.maximum(1 - res["cosine"][:, t], 1e-16), marker="o", ms=3, color=color)
    ref = np.log(L) / L
    axes[0].plot(L, ref * res["rel_error"][-1].max() / ref[-1], color="k", ls=":",
                 label="shape ln ln(1/lambda) / ln(1/lambda)")
    axes[0].axvline(np.log(1e24), color="0.6", lw=0.8)
    axes[0].text(np.log(1e24), axes[0].get_ylim()[1] * 0.9, " lambda=1e-24", fontsize=8, color="0.4")
    axes[0].set_ylabel("||w_t^lambda / ln(1/lambda) - w_t|| / ||w_t||")
    axes[1].set_ylabel("1 - cos(w_t^lambda, w_t)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("ln(1/lambda)")
    axes[0].legend(fontsize=7, ncol=2, loc="lower left")
    fig.suptitle(f"lambda -> 0 reduction (T={T}, n={n}, d={d}, logistic loss; fit in log space)")
    data = {"params": {"T": T, "n": n, "d": d, "K": K, "seed": seed, "lambda_exponents": exponents},
            "log_inv_lambda": L, "rel_error": res["rel_error"], "cosine": res["cosine"]}
    return fig, data


@figure(
    name="cont_regularisation_schedule",
    topic=TOPIC,
    title="Regularisation scheduling: a decreasing lambda_t acts as a shrunken anchor (scaled SMM)",
)
def make_regularisation_schedule(scale: str, seed: int, device: str):
    """Forgetting of scaled SMM for several anchor ratios, and the regularised path approaching it."""
    quick = scale == "quick"
    T, n, d = (3, 5, 4) if quick else (5, 10, 8)
    K = 60 if quick else 300
    K_reg = 5 if quick else 10
    ell0s = (10.0, 40.0) if quick else (10.0, 20.0, 40.0, 80.0)
    tasks, _ = make_separable_tasks(T, n, d, seed, min_margin=0.2)
    order = cyclic_order(T, K)
    rhos = (1.0, 0.95, 0.8, 0.5)
    forgetting = {}
    for rho in rhos:
        U = scheduled_smm(tasks, order, np.concatenate([[1.0], np.full(K - 1, rho)]))
        forgetting[f"rho={rho}"] = classification_forgetting(tasks, order, U)
    growth = 1.25  # ln(1/lambda_t) = ell0 * growth^t, i.e. rho_t = 0.8
    order_reg = cyclic_order(T, K_reg)
    errors = {}
    for ell0 in ell0s:
        ells = ell0 * growth ** np.arange(K_reg)
        W = scheduled_regularised_path(tasks, order_reg, np.exp(-ells))
        U = scheduled_smm(tasks, order_reg, np.concatenate([[1.0], ells[:-1] / ells[1:]]))
        diff = np.linalg.norm(W[1:] / ells[:, None] - U[1:], axis=1)
        errors[f"ell0={ell0:g}"] = diff / np.linalg.norm(U[1:], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.3))
    k = np.arange(1, K + 1)
    for i, (name, F) in enumerate(forgetting.items()):
        axes[0].plot(k, np.maximum(F, 1e-16), color=PALETTE[i], label=name)
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_ylim(bottom=1e-16)
    axes[0].set_xlabel("iteration k")
    axes[0].set_ylabel("forgetting F(k)")
    axes[0].set_title("scaled SMM u_t = P(rho u_{t-1}); rho = ln(lam_{t-1})/ln(lam_t)", fontsize=10)
    axes[0].legend(fontsize=8)
    for i, (name, err) in enumerate(errors.items()):
        axes[1].plot(np.arange(1, K_reg + 1), err, marker="o", ms=3, color=PALETTE[i], label=name)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("iteration t")
    axes[1].set_ylabel("||w_t/ln(1/lam_t) - u_t|| / ||u_t||")
    axes[1].set_title("regularised path with ln(1/lam_t) = ell0 * 1.25^t vs scaled SMM", fontsize=10)
    axes[1].legend(fontsize=8)
    fig.suptitle(f"A weakening regularisation schedule shrinks the anchor; forgetting persists, T={T}")
    data = {"params": {"T": T, "n": n, "d": d, "K": K, "K_reg": K_reg, "rhos": rhos, "ell0s": ell0s,
                       "growth": growth, "seed": seed},
            "k": k, "forgetting": forgetting, "path_vs_scaled_smm": errors}
    return fig, data


def _draw_smm_geometry(ax, tasks, W, w_star, lim):
    """Shade each task's feasible set and W*, draw the SMM path and mark w* (2-D tasks only)."""
    g = np.linspace(lim[0], lim[1], 401)
    G1, G2 = np.meshgrid(g, g)
    P = np.stack([G1.ravel(), G2.ravel()], axis=1)
    inside = [np.all((P @ X.T) * y >= 1.0, axis=1).reshape(G1.shape) for X, y in tasks]
    for m, mask in enumerate(inside):
        ax.contourf(G1, G2, mask.astype(float), levels=[0.5, 1.5], colors=[PALETTE[m]], alpha=0.18)
        for x, label in zip(*tasks[m], strict=True):
            # boundary {label * x.w = 1}: the line through x/|x|^2 orthogonal to x
            p0 = label * x / (x @ x)
            direction = np.array([-x[1], x[0]]) / np.linalg.norm(x)
            seg = p0 + np.outer(np.linspace(-10, 10, 2), direction)
            ax.plot(seg[:, 0], seg[:, 1], color=PALETTE[m], lw=1.2)
        ax.plot([], [], color=PALETTE[m], lw=6, alpha=0.4, label=f"W_{m + 1} (task {m + 1})")
    both = np.logical_and.reduce(inside)
    ax.contourf(G1, G2, both.astype(float), levels=[0.5, 1.5], colors=["0.35"], alpha=0.35)
    ax.plot([], [], color="0.35", lw=6, alpha=0.5, label="W* (both tasks)")
    ax.plot(W[:, 0], W[:, 1], "-o", color="black", ms=4, lw=1.2, label="SMM iterates from 0")
    ax.plot(*w_star, marker="*", ms=14, color=PALETTE[4], ls="none", label="offline max-margin w*")
    t = np.linspace(0, 2 * np.pi, 300)
    r = np.linalg.norm(w_star)
    ax.plot(r * np.cos(t), r * np.sin(t), ls=":", color=PALETTE[4], lw=1, label="||w|| = ||w*||")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_aspect("equal")
    ax.set_xlabel("w_1")
    ax.set_ylabel("w_2")


@figure(
    name="cont_smm_geometry",
    topic=TOPIC,
    title="Where SMM stops: two 2-D instances whose SMM limit is in W* but is not w*",
)
def make_smm_geometry(scale: str, seed: int, device: str):
    """The two counterexamples drawn in the plane (deterministic; scale and seed do not matter)."""
    instances = {
        "line": (counterexample_tasks(0.5), "tasks x_1 = e_1, x_2 = (e_1 + 2 e_2)/2 (labels +1)",
                 (-0.3, 2.2)),
        "cone": (cone_counterexample_tasks(0.25, 0.35),
                 "task 1: (e_1, +1), (-e_2, -1); task 2: ((0.25, 0.35), +1)", (-0.3, 2.7)),
    }
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 5.4))
    data: dict = {"params": {"line_c": 0.5, "cone_a": 0.25, "cone_b": 0.35}}
    for ax, (name, (tasks, label, lim)) in zip(axes, instances.items(), strict=True):
        W = sequential_max_margin(tasks, cyclic_order(2, 6))
        w_star = offline_max_margin(tasks)
        _draw_smm_geometry(ax, tasks, W, w_star, lim)
        gap = float(np.linalg.norm(W[-1] - w_star))
        ax.set_title(f"{label}\n||w_SMM - w*|| = {gap:.3f}", fontsize=9)
        data[name] = {"smm_iterates": W, "w_star": w_star, "gap": gap}
    axes[1].legend(fontsize=8, loc="upper right", framealpha=0.9)
    fig.suptitle("SMM (cyclic) reaches W* after two steps and stays at a point that is not w*")
    return fig, data

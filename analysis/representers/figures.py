"""Figures of the representer topic."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.style import DIVERGING_CMAP, PALETTE
from analysis.representers.baselines import (
    influence_values,
    l2_style_values,
    loo_values,
    random_values,
    tracin_values,
    training_checkpoints,
)
from analysis.representers.data import (
    Ratings,
    hold_out_ratings,
    load_sklearn_binary,
    make_lowrank_ratings,
    make_sparse_logistic,
)
from analysis.representers.evaluation import (
    DELETION_FRACTIONS,
    DIRECTIONS,
    deletion_auc,
    deletion_changes,
    mean_ci,
    sign_agreement,
)
from analysis.representers.l1 import (
    _proximal_gradient,
    identity_residual_bound,
    l1_kkt_residual,
    l1_representer_values,
    l1_representers,
)
from analysis.representers.l2 import l2_representers
from analysis.representers.losses import loss_derivative
from analysis.representers.nuclear import nuclear_representers, solve_nuclear

TOPIC = "representers"

#: Explainers compared in the deletion experiments, in plotting order.
EXPLAINERS = ("l1 representer", "influence (exact Hessian)", "l2 representer", "TracIn", "random")


def l1_explainer_values(X, y, lam, X_test, theta, rng, loss="logistic") -> dict[str, np.ndarray]:
    """Values of every explainer of :data:`EXPLAINERS` for an l1 model, with their timings."""
    out, seconds = {}, {}
    start = time.perf_counter()
    alpha = -loss_derivative(X @ theta, y, loss) / (lam * X.shape[0])
    out["l1 representer"] = l1_representer_values(X, alpha, theta, X_test)
    seconds["l1 representer"] = time.perf_counter() - start
    start = time.perf_counter()
    out["influence (exact Hessian)"] = influence_values(X, y, theta, lam, X_test, loss)
    seconds["influence (exact Hessian)"] = time.perf_counter() - start
    start = time.perf_counter()
    out["l2 representer"] = l2_style_values(X, y, theta, lam, X_test, loss)
    seconds["l2 representer"] = time.perf_counter() - start
    start = time.perf_counter()
    checkpoints, step = training_checkpoints(X, y, lam, loss)
    out["TracIn"] = tracin_values(X, y, X_test, checkpoints, step, loss)
    seconds["TracIn"] = time.perf_counter() - start
    out["random"] = random_values(X_test.shape[0], X.shape[0], rng)
    seconds["random"] = 0.0
    return out, seconds


@figure(
    name="rep_identity",
    topic=TOPIC,
    title="Representer decompositions sum to the prediction (l2, l1, nuclear); residual tracks KKT",
)
def make_identity(scale: str, seed: int, device: str):
    """Prediction vs sum of representer values for l2, l1 and nuclear models; residual vs KKT."""
    quick = scale == "quick"
    s_l2, s_l1, s_nuc, s_path = spawn_seeds(seed, 4)
    # l2: sklearn's digits (0-4 vs 5-9, 64 features); l1: synthetic sparse logistic
    real = load_sklearn_binary("breast_cancer" if quick else "digits", rng=s_l2)
    res_l2 = l2_representers(real.X, real.y, 0.01, real.X_test)
    n1, d1 = (120, 300) if quick else (300, 1000)
    syn = make_sparse_logistic(n1, d1, n_test=60 if quick else 200, rng=s_l1)
    lam1 = 0.04
    res_l1 = l1_representers(syn.X, syn.y, lam1, syn.X_test)
    shape = (60, 90) if quick else (943, 1682)
    n_r = 1200 if quick else 100_000
    ratings, _ = make_lowrank_ratings(
        shape, n_ratings=n_r, rank=5 if quick else 10, min_per_user=10 if quick else 20, rng=s_nuc
    )
    train, test = hold_out_ratings(ratings, 40 if quick else 200, rng=s_nuc)
    lam_nuc = 0.004 if quick else 1.2e-4
    sol = solve_nuclear(
        train.rows,
        train.cols,
        train.values,
        train.shape,
        lam_nuc,
        tol=1e-12 if quick else 1e-9,
        max_iter=5000,
    )
    res_nuc = nuclear_representers(
        train.rows, train.cols, train.values, train.shape, lam_nuc, test.rows, test.cols, solution=sol
    )
    # residual vs KKT along an un-polished proximal-gradient path of the l1 model
    n = syn.X.shape[0]
    kkts, resids, bounds = [], [], []
    for its in (2, 5, 10, 20, 40, 80, 160, 320):
        theta, _ = _proximal_gradient(
            syn.X, syn.y, np.ones(n), lam1, "logistic", np.zeros(syn.X.shape[1]), 0.0, its
        )
        alpha = -loss_derivative(syn.X @ theta, syn.y, "logistic") / (lam1 * n)
        vals = l1_representer_values(syn.X, alpha, theta, syn.X_test)
        kkt = l1_kkt_residual(syn.X, syn.y, theta, lam1)
        kkts.append(kkt)
        resids.append(float(np.abs(syn.X_test @ theta - vals.sum(axis=1)).max()))
        bounds.append(float(identity_residual_bound(syn.X_test, theta, kkt, lam1).max()))
    kkts.append(res_l1.kkt_residual)
    resids.append(max(res_l1.identity_residual, 1e-17))
    bounds.append(
        float(identity_residual_bound(syn.X_test, res_l1.theta, res_l1.kkt_residual, lam1).max())
    )

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    panels = [
        (
            axes[0],
            res_l2.predictions,
            res_l2.reconstruction,
            f"l2 (Yeh 2018), {real.name}\nresidual {res_l2.identity_residual:.1e}, "
            f"grad {res_l2.kkt_residual:.0e}",
        ),
        (
            axes[1],
            res_l1.predictions,
            res_l1.reconstruction,
            f"l1, sparse logistic n={n1}, d={d1}\nresidual {res_l1.identity_residual:.1e}, "
            f"KKT {res_l1.kkt_residual:.0e}",
        ),
        (
            axes[2],
            res_nuc.predictions,
            res_nuc.reconstruction,
            f"nuclear, {shape[0]}x{shape[1]}, rank {sol.rank}\n"
            f"residual {res_nuc.identity_residual:.1e}, "
            f"KKT {res_nuc.kkt_residual:.0e}",
        ),
    ]
    for ax, pred, recon, title in panels:
        lo, hi = float(min(pred.min(), recon.min())), float(max(pred.max(), recon.max()))
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=1, ls="--", label="y = x")
        ax.scatter(pred, recon, s=12, color=PALETTE[0], alpha=0.8, label="test points")
        ax.set_xlabel("prediction  $f(x_t)$")
        ax.set_ylabel("sum of representer values")
        ax.set_title(title, fontsize=9)
        ax.legend(loc="upper left")
    ax = axes[3]
    ax.loglog(kkts, np.maximum(resids, 1e-17), "o-", color=PALETTE[1], label="identity residual")
    ax.loglog(
        kkts,
        np.maximum(bounds, 1e-17),
        "s--",
        color=PALETTE[2],
        label=r"bound $\|\theta x_t\|_1$ KKT$/\lambda$",
    )
    ax.set_xlabel("KKT residual of the iterate")
    ax.set_ylabel("max identity residual")
    ax.set_title("l1: residual tracks KKT (prox-grad path)", fontsize=9)
    ax.legend(loc="upper left")
    fig.suptitle(
        "Representer decompositions at a tight solve"
        + ("" if quick else " (nuclear: synthetic ratings at MovieLens-100k's shape)")
    )
    data = {
        "params": {
            "seed": seed,
            "scale": scale,
            "l2_data": real.name,
            "lam_l2": 0.01,
            "l1_n": n1,
            "l1_d": d1,
            "lam_l1": lam1,
            "nuc_shape": list(shape),
            "nuc_ratings": int(train.n),
            "lam_nuc": lam_nuc,
        },
        "l2_prediction": res_l2.predictions,
        "l2_reconstruction": res_l2.reconstruction,
        "l1_prediction": res_l1.predictions,
        "l1_reconstruction": res_l1.reconstruction,
        "nuc_prediction": res_nuc.predictions,
        "nuc_reconstruction": res_nuc.reconstruction,
        "path_kkt": np.array(kkts),
        "path_residual": np.array(resids),
        "path_bound": np.array(bounds),
    }
    return fig, data


def deletion_experiment(n, d, n_test, lam, fractions, seeds, loss="logistic"):
    """Deletion curves of every explainer on synthetic sparse logistic data over several seeds.

    Returns
    -------
    (changes, aucs, info)
        ``changes[direction][explainer]``: (n_test * n_seeds, n_levels) prediction changes;
        ``aucs[direction][explainer] = (mean, half_width)``; ``info`` has support sizes and timings.
    """
    changes = {dr: {e: [] for e in EXPLAINERS} for dr in DIRECTIONS}
    info = {"support": [], "seconds_values": {e: 0.0 for e in EXPLAINERS}}
    for s in seeds:
        data = make_sparse_logistic(n, d, n_test=n_test, rng=s)
        res = l1_representers(data.X, data.y, lam, data.X_test, loss)
        info["support"].append(int(res.support.size))
        values, seconds = l1_explainer_values(data.X, data.y, lam, data.X_test, res.theta, s + 1, loss)
        for e in EXPLAINERS:
            info["seconds_values"][e] += seconds[e]
            for dr in DIRECTIONS:
                changes[dr][e].append(
                    deletion_changes(
                        data.X,
                        data.y,
                        lam,
                        data.X_test,
                        values[e],
                        loss=loss,
                        theta=res.theta,
                        fractions=fractions,
                        direction=dr,
                    )
                )
    changes = {dr: {e: np.vstack(v) for e, v in by.items()} for dr, by in changes.items()}
    aucs = {
        dr: {e: mean_ci(deletion_auc(ch, fractions, dr)) for e, ch in by.items()}
        for dr, by in changes.items()
    }
    return changes, aucs, info


def _deletion_summary(changes: dict, full: str, auc) -> tuple[dict, dict, dict]:
    """Deletion curves of each explainer, summarised for a panel.

    ``changes[name]`` is (n_queries, n_levels). Returns ``curves[name] = (mean, 95 % half-width)``
    with the 0 of "nothing deleted" prepended, ``aucs[name] = mean_ci(auc(changes[name]))`` and,
    for every explainer but ``full``, the paired difference ``mean_ci(auc(full) - auc(name))``.
    """
    curves, aucs, paired = {}, {}, {}
    for name, ch in changes.items():
        mean = np.concatenate([[0.0], ch.mean(axis=0)])
        half = np.concatenate([[0.0], [mean_ci(ch[:, j])[1] for j in range(ch.shape[1])]])
        curves[name] = (mean, half)
        aucs[name] = mean_ci(auc(ch))
        if name != full:
            paired[name] = mean_ci(auc(changes[full]) - auc(ch))
    return curves, aucs, paired


@figure(
    name="rep_deletion_curves",
    topic=TOPIC,
    title="Case-deletion curves (mean, 95% CI): l1 representer vs influence, l2 rep., TracIn, random",
)
def make_deletion_curves(scale: str, seed: int, device: str):
    """Prediction change after deleting the top proponents / opponents of each explainer."""
    quick = scale == "quick"
    if quick:
        n, d, n_test, n_seeds, fractions = 120, 250, 4, 1, (0.01, 0.03, 0.05)
    else:
        n, d, n_test, n_seeds, fractions = 300, 1000, 20, 2, DELETION_FRACTIONS
    lam = 0.04
    seeds = spawn_seeds(seed, n_seeds)
    changes, aucs, info = deletion_experiment(n, d, n_test, lam, fractions, seeds)
    fr = np.asarray(fractions)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, dr in zip(axes, DIRECTIONS, strict=True):
        for c, e in enumerate(EXPLAINERS):
            ch = changes[dr][e]
            mean = np.concatenate([[0.0], ch.mean(axis=0)])
            half = np.concatenate([[0.0], [mean_ci(ch[:, j])[1] for j in range(fr.size)]])
            xs = np.concatenate([[0.0], 100 * fr])
            auc, auc_half = aucs[dr][e]
            ax.plot(xs, mean, "o-", color=PALETTE[c], label=f"{e} (AUC {auc:.2f} $\\pm$ {auc_half:.2f})")
            ax.fill_between(xs, mean - half, mean + half, color=PALETTE[c], alpha=0.15)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("training points deleted (%)")
        ax.set_ylabel(r"change of prediction $f(x_t)$")
        ax.set_title(
            f"deleting the top {dr}"
            + (" (lower is better)" if dr == "proponents" else " (higher is better)")
        )
        ax.legend(fontsize=7.5)
    fig.suptitle(
        f"Sparse logistic regression, n={n}, d={d}, lambda={lam}, {n_test * n_seeds} test points "
        f"(synthetic stand-in for the paper's gisette/rcv1/news20)",
        fontsize=10,
    )
    data = {
        "params": {
            "seed": seed,
            "n": n,
            "d": d,
            "lam": lam,
            "n_test": n_test,
            "n_seeds": n_seeds,
            "fractions": list(fractions),
            "support_sizes": info["support"],
        },
        "changes": {dr: {e: ch for e, ch in by.items()} for dr, by in changes.items()},
        "auc": {dr: {e: list(v) for e, v in by.items()} for dr, by in aucs.items()},
    }
    return fig, data


@figure(
    name="rep_loo_agreement",
    topic=TOPIC,
    title="Explainer values vs leave-one-out retraining (l1 logistic model, small n)",
)
def make_loo_agreement(scale: str, seed: int, device: str):
    """Scatter of each explainer's values against exact leave-one-out effects, with sign agreement."""
    quick = scale == "quick"
    n, d, n_test = (50, 80, 8) if quick else (100, 300, 40)
    lam = 0.03
    (s_data,) = spawn_seeds(seed, 1)
    data = make_sparse_logistic(n, d, n_test=n_test, rng=s_data)
    res = l1_representers(data.X, data.y, lam, data.X_test)
    loo = loo_values(data.X, data.y, lam, data.X_test, theta=res.theta)
    values, _ = l1_explainer_values(data.X, data.y, lam, data.X_test, res.theta, s_data + 1)
    shown = [e for e in EXPLAINERS if e != "random"]
    fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.5))
    agreement = {}
    for c, (ax, e) in enumerate(zip(axes, shown, strict=True)):
        v = values[e]
        agreement[e] = sign_agreement(v, loo)
        scale_v = np.abs(v).max() or 1.0
        ax.scatter(loo.ravel(), v.ravel() / scale_v, s=4, alpha=0.4, color=PALETTE[c])
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel(r"leave-one-out effect $f_t - f_t^{(-i)}$")
        ax.set_ylabel("explainer value (scaled)")
        ax.set_title(f"{e}\nsign agreement {agreement[e]:.2f}", fontsize=9)
    agreement["random"] = sign_agreement(values["random"], loo)
    fig.suptitle(
        f"Sparse logistic regression, n={n}, d={d}, lambda={lam}, |supp|={res.support.size}; "
        f"random explainer agreement {agreement['random']:.2f}",
        fontsize=10,
    )
    out = {
        "params": {"seed": seed, "n": n, "d": d, "n_test": n_test, "lam": lam},
        "loo": loo,
        "values": {e: values[e] for e in shown},
        "sign_agreement": agreement,
    }
    return fig, out


def _ratings_split(ratings, test) -> str:
    """Title text for a hold-out: every figure states the total and how many are held out.

    The CF figures hold out different numbers of ratings (panel 20, deletion 8 queries,
    identity 200), so their training counts differ (99 980, 99 992, 99 800 of 100 000).
    """
    def spaced(k: int) -> str:
        return f"{k:,}".replace(",", " ")

    return f"{spaced(ratings.n)} ratings: {spaced(ratings.n - test.n)} for training, {test.n} held out"


def _cf_ratings(quick: bool, shape, n_r: int, rank: int, min_pu: int, s_data: int):
    """Ratings of the CF figures: MovieLens-100k at paper scale when it is cached, else the stand-in.

    Returns ``(ratings, data, label)``: ``data`` is ``{name, sha256, source}`` for the real file or
    ``"synthetic stand-in"``; ``label`` goes into the figure title. Stars 1..5 map to [-1, 1]
    (``(r - 3) / 2``), as :func:`load_ratings_csv` does.
    """
    if not quick:
        from analysis._core.datasets import dataset_info, is_available, load_movielens100k

        if is_available("movielens100k"):
            ml = load_movielens100k()  # verifies the SHA-256 and the counts
            info = dataset_info("movielens100k")
            ratings = Ratings(
                ml.user - 1, ml.item - 1, (ml.rating.astype(float) - 3.0) / 2.0, (943, 1682)
            )
            data = {"name": info.name, "sha256": info.files[0].sha256, "source": info.source}
            return ratings, data, "MovieLens-100k"
    ratings, _ = make_lowrank_ratings(shape, n_ratings=n_r, rank=rank, min_per_user=min_pu, rng=s_data)
    return ratings, "synthetic stand-in", f"synthetic stand-in {shape[0]}x{shape[1]}"


@figure(
    name="rep_cf_panel",
    topic=TOPIC,
    title="Collaborative filtering: the training ratings that explain one held-out rating",
)
def make_cf_panel(scale: str, seed: int, device: str):
    """User x item panel around a held-out rating with its top contributing ratings highlighted."""
    quick = scale == "quick"
    shape = (80, 120) if quick else (943, 1682)
    n_r = 2000 if quick else 100_000
    (s_data,) = spawn_seeds(seed, 1)
    ratings, data_source, data_label = _cf_ratings(
        quick, shape, n_r, 5 if quick else 10, 10 if quick else 20, s_data
    )
    train, test = hold_out_ratings(ratings, 20, rng=s_data)
    lam = 0.003 if quick else 1.2e-4
    sol = solve_nuclear(
        train.rows, train.cols, train.values, train.shape, lam, tol=1e-10 if quick else 1e-7
    )
    res = nuclear_representers(
        train.rows, train.cols, train.values, train.shape, lam, test.rows, test.cols, solution=sol
    )
    # a confidently predicted held-out rating inside the rating scale: the model is unconstrained
    # (Theta may leave [-1, 1]); the predicted rating is clip(Theta_uv, -1, 1)
    inside = np.abs(res.predictions) <= 1.0
    score = np.abs(res.predictions)
    score = np.where(inside, score, -np.inf) if inside.any() else -score
    q = int(np.argmax(score))
    u, v = int(test.rows[q]), int(test.cols[q])
    vals = res.values[q]
    user_idx = np.flatnonzero(train.rows == u)
    item_idx = np.flatnonzero(train.cols == v)
    top_user = user_idx[np.argsort(-np.abs(vals[user_idx]))[:8]]
    top_item = item_idx[np.argsort(-np.abs(vals[item_idx]))[:8]]
    # panel: the query user plus the users of the top item-side ratings, the query item plus the
    # items of the top user-side ratings
    panel_users = np.unique(np.concatenate([[u], train.rows[top_item]]))
    panel_items = np.unique(np.concatenate([[v], train.cols[top_user]]))
    grid = np.full((panel_users.size, panel_items.size), np.nan)
    contrib = np.zeros_like(grid)
    lookup = {(int(r), int(c)): e for e, (r, c) in enumerate(zip(train.rows, train.cols, strict=True))}
    for a, uu in enumerate(panel_users):
        for b, ii in enumerate(panel_items):
            e = lookup.get((int(uu), int(ii)))
            if e is not None:
                grid[a, b] = train.values[e]
                contrib[a, b] = vals[e]
    # the panel gets the room its 7-pt cell numbers need (up to 9 x 9 cells of "+0.012")
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1.6, 1, 1]})
    ax = axes[0]
    # unobserved entries in grey, so a 3-star (0.0) rating stays distinguishable
    cmap = plt.get_cmap(DIVERGING_CMAP).with_extremes(bad="0.82")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-1, vmax=1, aspect="auto")
    a0, b0 = int(np.flatnonzero(panel_users == u)[0]), int(np.flatnonzero(panel_items == v)[0])
    ax.add_patch(plt.Rectangle((b0 - 0.5, a0 - 0.5), 1, 1, fill=False, ec="black", lw=2.5))
    for a in range(panel_users.size):
        for b in range(panel_items.size):
            if contrib[a, b] != 0:
                dark = abs(grid[a, b]) > 0.6
                ax.text(
                    b,
                    a,
                    f"{contrib[a, b]:+.3f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(panel_items.size), [str(i) for i in panel_items], rotation=90, fontsize=7)
    ax.set_yticks(range(panel_users.size), [str(i) for i in panel_users], fontsize=7)
    ax.set_xlabel("item")
    ax.set_ylabel("user")
    ax.set_title(
        f"ratings (colour; grey = unobserved), contributions (text)\nquery (user {u}, item {v}) boxed",
        fontsize=9,
    )
    ax.grid(False)
    fig.colorbar(image, ax=ax, shrink=0.8, label="rating in [-1, 1]")
    for ax, idx, label, key in (
        (axes[1], top_user, "same user: rated items", train.cols),
        (axes[2], top_item, "same item: other users", train.rows),
    ):
        colours = [PALETTE[0] if x > 0 else PALETTE[1] for x in vals[idx]]
        ax.barh(range(idx.size), vals[idx], color=colours)
        ax.set_yticks(
            range(idx.size),
            [
                f"{'item' if key is train.cols else 'user'} {int(key[e])} (r={train.values[e]:+.1f})"
                for e in idx
            ],
            fontsize=7,
        )
        ax.invert_yaxis()
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel("representer value")
        ax.set_title(f"top contributors, {label}", fontsize=9)
    predicted = float(np.clip(res.predictions[q], -1.0, 1.0))
    fig.suptitle(
        f"{data_label}: nuclear-norm completion ({_ratings_split(ratings, test)}, "
        f"rank {sol.rank}): "
        f"Theta_uv {res.predictions[q]:+.3f} = sum of values {res.reconstruction[q]:+.3f}, "
        f"predicted rating clip(Theta_uv) {predicted:+.3f}; held-out rating {test.values[q]:+.1f}",
        fontsize=10,
    )
    data = {
        "data": data_source,
        "params": {
            "seed": seed,
            "shape": list(shape),
            "n_ratings": int(train.n),
            "n_ratings_total": int(ratings.n),
            "n_held_out": int(test.n),
            "lam": lam,
            "query": [u, v],
        },
        "panel_users": panel_users,
        "panel_items": panel_items,
        "panel_ratings": np.nan_to_num(grid, nan=0.0),
        "panel_contributions": contrib,
        "top_user_values": vals[top_user],
        "top_item_values": vals[top_item],
        "prediction": float(res.predictions[q]),
        "predicted_rating": predicted,
        "held_out_rating": float(test.values[q]),
        "reconstruction": float(res.reconstruction[q]),
        "identity_residual_max": float(np.max(np.abs(res.predictions - res.reconstruction))),
        "kkt_residual": float(res.kkt_residual),
        "held_out_rmse": float(np.sqrt(np.mean((np.clip(res.predictions, -1, 1) - test.values) ** 2))),
        "held_out_theta_range": [float(res.predictions.min()), float(res.predictions.max())],
        "user_share": float(vals[user_idx].sum()),
        "item_share": float(vals[item_idx].sum()),
    }
    return fig, data


#: Explainers of the CF deletion figure: (name, which values, candidate pool, colour index).
CF_EXPLAINERS = (
    ("nuclear representer", "full", "both", 0),
    ("item part (same user)", "item", "same user", 2),
    ("user part (same item)", "user", "same item", 3),
    ("random (same user/item)", "random", "both", 4),
)


@figure(
    name="rep_cf_deletion",
    topic=TOPIC,
    title="Collaborative filtering: deleting by the representer, its item / user parts, or random",
)
def make_cf_deletion(scale: str, seed: int, device: str):
    """Case-deletion curves for nuclear-norm matrix completion (proponents and opponents).

    Four explainers delete the same number of ratings from the query's neighbourhood (the
    ratings of its user or its item): the full nuclear-norm representer, its item part (ranks
    only the user's own ratings, by ``alpha_e <V~_j, V~_v> / 2``), its user part (ranks only the
    item's other ratings, by ``alpha_e <U~_i, U~_u> / 2``) and random values. To first order a
    deletion moves ``Theta_uv`` by the sum of the deleted values, and the top ``k`` of the whole
    neighbourhood have at least the sum of the top ``k`` of either pool, so the full
    representer's curves should lie at or beyond both parts'; the JSON's ``paired`` field has
    the per-query AUC differences and their 95 % intervals.
    """
    quick = scale == "quick"
    # quick: a 40 x 60 toy; paper: MovieLens-100k's shape, 8 held-out ratings (160 refits)
    shape = (40, 60) if quick else (943, 1682)
    n_r, rank, min_pu = (700, 4, 8) if quick else (100_000, 10, 20)
    lam = 0.004 if quick else 1.2e-4
    n_q = 8
    fractions = (0.1,) if quick else DELETION_FRACTIONS
    (s_data,) = spawn_seeds(seed, 1)
    ratings, data_source, data_label = _cf_ratings(quick, shape, n_r, rank, min_pu, s_data)
    train, test = hold_out_ratings(ratings, n_q, rng=s_data)
    args = (train.rows, train.cols, train.values, train.shape, lam)
    sol = solve_nuclear(*args, tol=1e-9 if quick else 1e-8)
    res = nuclear_representers(*args, test.rows, test.cols, solution=sol)
    item_part, user_part = res.parts()
    by_kind = {
        "full": res.values,
        "item": item_part,
        "user": user_part,
        "random": make_rng(s_data + 1).standard_normal(res.values.shape),
    }
    from analysis._core.result_cache import default_result_cache
    from analysis.representers.evaluation import mc_deletion_changes

    changes = {dr: {} for dr in DIRECTIONS}
    for dr in DIRECTIONS:
        for name, kind, pool, _ in CF_EXPLAINERS:
            changes[dr][name] = mc_deletion_changes(
                *args, sol, test.rows, test.cols, by_kind[kind], fractions=fractions,
                direction=dr, candidates=pool,
                cache=None if quick else default_result_cache(), progress=not quick,
            )
    fr = np.asarray(fractions)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    aucs, paired = {}, {}
    full = CF_EXPLAINERS[0][0]
    xs = np.concatenate([[0.0], 100 * fr])
    for ax, dr in zip(axes, DIRECTIONS, strict=True):
        curves, aucs[dr], paired[dr] = _deletion_summary(
            changes[dr], full, lambda ch, dr=dr: deletion_auc(ch, fractions, dr))
        for name, _, _, colour in CF_EXPLAINERS:
            ch = changes[dr][name]
            mean, half = curves[name]
            m, h = aucs[dr][name]
            # the full representer on top, solid with squares: on MovieLens-100k its proponent
            # curve and the item part's coincide, and the parts are dashed so both stay visible
            style = ("s-", 2.2, 5) if name == full else ("o--", 1.4, 3)
            full_mean = changes[dr][full].mean(axis=0)
            hidden = name != full and np.max(np.abs(ch.mean(axis=0) - full_mean)) <= 0.02 * max(
                float(np.max(np.abs(full_mean))), 1e-12
            )
            ax.plot(xs, mean, style[0], color=PALETTE[colour], lw=style[1], zorder=style[2],
                    label=f"{name} (AUC {m:.3f} $\\pm$ {h:.3f})"
                    + ("\nunder the full curve (within 2 %)" if hidden else ""))
            ax.fill_between(xs, mean - half, mean + half, color=PALETTE[colour], alpha=0.12)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("ratings of the same user or item deleted (%)")
        ax.set_ylabel(r"change of prediction $\Theta_{uv}$")
        ax.set_title(f"deleting the top {dr}")
        ax.legend(fontsize=7.5)
    fig.suptitle(
        f"{data_label}: nuclear-norm completion ({_ratings_split(ratings, test)}, "
        f"rank {sol.rank}), soft-impute refits warm-started\n"
        "every explainer deletes the same number of ratings; the item part draws them from the "
        "user's ratings, the user part from the item's",
        fontsize=9.5,
    )
    data = {
        "data": data_source,
        "params": {
            "seed": seed,
            "shape": list(shape),
            "n_ratings": int(train.n),
            "n_ratings_total": int(ratings.n),
            "n_held_out": int(test.n),
            "lam": lam,
            "n_queries": n_q,
            "fractions": list(fractions),
        },
        "changes": changes,
        "auc": {dr: {k: list(v) for k, v in by.items()} for dr, by in aucs.items()},
        # AUC(full representer) - AUC(part or random) per query: mean and 95 % half-width
        "paired": {dr: {k: list(v) for k, v in by.items()} for dr, by in paired.items()},
        # how much of Theta_uv each part carries (they sum to the prediction)
        "item_part_sums": item_part.sum(axis=1),
        "user_part_sums": user_part.sum(axis=1),
        "predictions": res.predictions,
    }
    return fig, data


#: Explainers of the MF deletion figure: (name, which values, candidate pool, colour index).
MF_EXPLAINERS = (
    ("MF representer (both parts)", "full", "both", 0),
    ("item part (same user)", "item", "same user", 2),
    ("user part (same item)", "user", "same item", 3),
    ("random (same user/item)", "random", "both", 4),
)


def _half_split(ratings: Ratings, rng) -> tuple[Ratings, Ratings]:
    """A seeded 50/50 split of the ratings (the published ML-100k preprocessing's test share)."""
    perm = make_rng(rng).permutation(ratings.n)
    test = np.zeros(ratings.n, dtype=bool)
    test[perm[: ratings.n // 2]] = True
    return ratings.subset(~test), ratings.subset(test)


@figure(
    name="rep_mf_deletion",
    topic=TOPIC,
    title="Matrix factorisation (the published CF model): identity, and deleting by its item / "
    "user parts",
)
def make_mf_deletion(scale: str, seed: int, device: str):
    """MF representer on a 50/50 split: the identity per half, and case-deletion curves.

    The model is :func:`analysis.representers.mf.solve_mf` (squared loss, Frobenius regulariser,
    embedding dimension 16 at paper scale). Left: each half of the decomposition against
    ``Theta_uv / 2`` for held-out ratings (they coincide at a stationary point). Middle and right:
    deleting the top ``c`` proponents / opponents of each explainer from its pool (item part: the
    user's ratings; user part: the item's ratings; full and random: both), refitting
    warm-started, and recording the change of the predicted rating ``clip(Theta_uv, -1, 1)``.
    Queries are held-out ratings whose user and item each keep at least ``max(counts)`` training
    ratings, so no pool is exhausted.
    """
    from analysis.representers.mf import (
        MF_DELETION_COUNTS,
        counts_auc,
        mf_deletion_changes,
        mf_representers,
        solve_mf,
    )

    quick = scale == "quick"
    shape = (40, 60) if quick else (943, 1682)
    n_r, rank_data, min_pu = (1200, 4, 16) if quick else (100_000, 10, 20)
    k = 4 if quick else 16
    lam = 0.004 if quick else 1e-4
    counts = (1, 2, 3) if quick else MF_DELETION_COUNTS
    n_q = 6 if quick else 8
    n_id = 40 if quick else 100
    (s_data,) = spawn_seeds(seed, 1)
    ratings, data_source, data_label = _cf_ratings(quick, shape, n_r, rank_data, min_pu, s_data)
    train, test = _half_split(ratings, s_data)
    args = (train.rows, train.cols, train.values, train.shape, lam)
    sol = solve_mf(*args, rank=k, tol=1e-12 if quick else 1e-9, max_iter=20_000, seed=s_data)
    pred_test = sol.entries(test.rows, test.cols)
    rmse = float(np.sqrt(np.mean((np.clip(pred_test, -1, 1) - test.values) ** 2)))
    outside = float(np.mean(np.abs(pred_test) > 1))
    # queries: held-out ratings whose user and item each keep >= max(counts) training ratings
    u_cnt = np.bincount(train.rows, minlength=shape[0])
    i_cnt = np.bincount(train.cols, minlength=shape[1])
    eligible = np.flatnonzero((u_cnt[test.rows] >= counts[-1]) & (i_cnt[test.cols] >= counts[-1]))
    gen = make_rng(s_data + 1)
    pick = np.sort(gen.choice(eligible, size=n_id, replace=False))
    id_rows, id_cols = test.rows[pick], test.cols[pick]
    res = mf_representers(*args, id_rows, id_cols, solution=sol)
    q = np.arange(n_q)  # the first n_q of the identity queries are the deletion queries
    by_kind = {
        "full": res.values[q],
        "item": res.item_part[q],
        "user": res.user_part[q],
        "random": gen.standard_normal((n_q, train.n)),
    }
    from analysis._core.result_cache import default_result_cache

    changes = {dr: {} for dr in DIRECTIONS}
    for dr in DIRECTIONS:
        for name, kind, pool, _ in MF_EXPLAINERS:
            changes[dr][name] = mf_deletion_changes(
                *args, sol, id_rows[q], id_cols[q], by_kind[kind], counts=counts, direction=dr,
                candidates=pool, tol=1e-8 if quick else 1e-6,
                cache=None if quick else default_result_cache(), progress=not quick,
            )

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    ax = axes[0]
    half = 0.5 * res.predictions
    lim = float(np.abs(half).max()) * 1.1
    ax.plot([-lim, lim], [-lim, lim], color="0.5", lw=0.8)
    ax.plot(half, res.item_part.sum(axis=1), "o", ms=4, mfc="none", color=PALETTE[2],
            label="item part (same user)")
    ax.plot(half, res.user_part.sum(axis=1), "x", ms=4, color=PALETTE[3], label="user part (same item)")
    r_item = float(np.abs(res.item_residual).max())
    r_user = float(np.abs(res.user_residual).max())
    ax.set_xlabel(r"$\Theta_{uv}/2$ (held-out ratings)")
    ax.set_ylabel("sum of the part's representer values")
    ax.set_title(
        f"each half = $\\Theta_{{uv}}/2$: max residual item {r_item:.1e}, user {r_user:.1e}\n"
        f"stationarity {sol.stationarity:.1e}, $\\|A\\|_2$ = {res.spectral_norm:.3f}"
        + (" (> 1: rank saturated)" if res.spectral_norm > 1 + 1e-6 else ""),
        fontsize=9,
    )
    ax.legend(fontsize=8)
    aucs, paired = {}, {}
    full = MF_EXPLAINERS[0][0]
    xs = np.concatenate([[0], counts])
    for ax, dr in zip(axes[1:], DIRECTIONS, strict=True):
        curves, aucs[dr], paired[dr] = _deletion_summary(
            changes[dr], full, lambda ch, dr=dr: counts_auc(ch, counts, dr))
        for name, _, _, colour in MF_EXPLAINERS:
            mean, hw = curves[name]
            m_, h_ = aucs[dr][name]
            style = ("s-", 2.2, 5) if name == full else ("o--", 1.4, 3)
            ax.plot(xs, mean, style[0], color=PALETTE[colour], lw=style[1], zorder=style[2],
                    label=f"{name} (AUC {m_:.3f} $\\pm$ {h_:.3f})")
            ax.fill_between(xs, mean - hw, mean + hw, color=PALETTE[colour], alpha=0.12)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("ratings deleted from the explainer's pool")
        ax.set_xticks(xs)
        ax.set_ylabel(r"change of predicted rating clip($\Theta_{uv}$)")
        ax.set_title(f"deleting the top {dr} ({n_q} held-out ratings, 95 % CI)", fontsize=9)
        ax.legend(fontsize=7.5)
    fig.suptitle(
        f"{data_label}: matrix factorisation k={k}, squared loss + "
        f"(lambda/2)(|P|^2+|Q|^2), lambda={lam:g}; {train.n} training / {test.n} held-out ratings\n"
        f"held-out RMSE {rmse:.3f} on [-1, 1] (predictions clipped; {100 * outside:.2f} % of them "
        f"outside the scale before clipping); embeddings U S^1/2, V S^1/2 from the SVD of P Q^T\n"
        "refits warm-started (L-BFGS + ALS); the item part deletes from the user's ratings, "
        "the user part from the item's",
        fontsize=9,
    )
    data = {
        "data": data_source,
        "params": {
            "seed": seed,
            "shape": list(shape),
            "n_ratings_total": int(ratings.n),
            "n_train": int(train.n),
            "n_test": int(test.n),
            "rank": k,
            "lam": lam,
            "counts": list(counts),
            "n_queries": n_q,
            "n_identity_queries": n_id,
            "refit_tol": 1e-10 if quick else 1e-6,
        },
        "stationarity": float(sol.stationarity),
        "spectral_norm_A": float(res.spectral_norm),
        "singular_values": np.sort(np.sum(sol.P * sol.P, axis=0))[::-1],
        "held_out_rmse_clipped": rmse,
        "held_out_share_outside_scale": outside,
        "identity_max_residual": {"item": r_item, "user": r_user},
        "identity_max_bound": {"item": float(res.item_bound.max()), "user": float(res.user_bound.max())},
        "item_part_sums": res.item_part.sum(axis=1),
        "user_part_sums": res.user_part.sum(axis=1),
        "predictions": res.predictions,
        "changes": changes,
        "auc": {dr: {kk: list(v) for kk, v in by.items()} for dr, by in aucs.items()},
        # AUC(both parts) - AUC(part or random) per query: mean and 95 % half-width
        "paired": {dr: {kk: list(v) for kk, v in by.items()} for dr, by in paired.items()},
    }
    return fig, data

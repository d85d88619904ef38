"""Figures of the zero-shot-learning topic."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from analysis._core.registry import figure
from analysis._core.rng import make_rng, spawn_seeds
from analysis._core.style import PALETTE, SEQUENTIAL_CMAP
from analysis.zsl.baselines import confusion_agreement, evaluate_baselines, predicted_confusion
from analysis.zsl.bound import greedy_attribute_selection, worst_case_lower_bound
from analysis.zsl.data import awa_like_matrix

#: Timings recorded by ``benchmarks/bench_zsl.py --record`` (seconds are machine-dependent, so
#: the figure shows a recorded table instead of timing itself: its data stay deterministic).
BENCHMARK_RECORD = Path(__file__).with_name("benchmark_record.json")


def _awa_split(k_unseen: int, k_seen: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    A = awa_like_matrix(k_unseen + k_seen, n, seed=seed)
    return A[:k_unseen], A[k_unseen:]


@figure(
    name="zsl_bound_vs_attributes",
    topic="zsl",
    title="Worst-case error lower bound vs number of greedily chosen attributes, with baselines",
)
def make_bound_vs_attributes(scale: str, seed: int, device: str):
    """``1 - Q`` along the greedy path, beside DAP / ESZSL test errors on natural and P* data."""
    if scale == "quick":
        k, k_seen, n, steps, n_test = 5, 10, 8, 4, 3000
    else:
        # paper: AwA2's 10 unseen classes, 85 attributes, greedy to 15; a greedy path over 85
        # candidates costs ~1200 exact solves, so the paper scale greedily picks 12 of 30
        k, k_seen, n, steps, n_test = 10, 30, 30, 12, 20000
    M, M_seen = _awa_split(k, k_seen, n, seed)
    path = greedy_attribute_selection(M, steps)
    full = worst_case_lower_bound(M)
    seeds = spawn_seeds(seed, steps)
    errors = {(m, d): [] for m in ("DAP", "ESZSL") for d in ("natural", "adversarial")}
    ses = {key: [] for key in errors}
    for t, result in enumerate(path.results):
        cols = path.order[: t + 1]
        rep = evaluate_baselines(M[:, cols], M_seen[:, cols], result.adversary, n_test=n_test,
                                 seed=seeds[t])
        for key in errors:
            errors[key].append(rep.errors[key])
            ses[key].append(rep.standard_errors[key])
    x = np.arange(1, steps + 1)
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    ax.plot(x, path.error_lower_bound, "-o", color=PALETTE[7], label="lower bound 1 - Q (greedy)")
    ax.axhline(full.error_lower_bound, color=PALETTE[7], ls=":",
               label=f"lower bound, all {n} attributes")
    styles = {"natural": "--", "adversarial": "-"}
    colours = {"DAP": PALETTE[0], "ESZSL": PALETTE[1]}
    for (model, data), errs in errors.items():
        e, s = np.array(errs), np.array(ses[(model, data)])
        ax.plot(x, e, styles[data], marker=".", color=colours[model], label=f"{model}, {data} data")
        ax.fill_between(x, e - 2 * s, e + 2 * s, color=colours[model], alpha=0.15, lw=0)
    ax.set_xticks(x)
    ax.set_xlabel("number of greedily chosen attributes")
    ax.set_ylabel("test error (1 - accuracy)")
    ax.set_ylim(0, 1)
    ax.set_title(f"AwA-like matrix: {k} unseen classes, {n} candidate attributes")
    ax.legend(loc="upper right", ncol=2)
    data = {
        "params": {"k": k, "k_seen": k_seen, "n": n, "steps": steps, "n_test": n_test, "seed": seed},
        "n_attributes": x,
        "order": path.order,
        "Q": path.Q,
        "error_lower_bound": path.error_lower_bound,
        "full_set_error_lower_bound": full.error_lower_bound,
        **{f"error_{m}_{d}": np.array(v) for (m, d), v in errors.items()},
        **{f"se_{m}_{d}": np.array(v) for (m, d), v in ses.items()},
    }
    return fig, data


@figure(
    name="zsl_confusions",
    topic="zsl",
    title="Predicted confusions (mass shared under P*) vs the baselines' observed confusions",
)
def make_confusions(scale: str, seed: int, device: str):
    """Heat maps of predicted and observed pair confusions, and a scatter over class pairs."""
    k, k_seen, n, n_test = (6, 12, 7, 6000) if scale == "quick" else (10, 30, 12, 40000)
    M, M_seen = _awa_split(k, k_seen, n, seed)
    r = worst_case_lower_bound(M)
    rep = evaluate_baselines(M, M_seen, r.adversary, n_test=n_test, seed=make_rng(seed + 1))
    predicted = predicted_confusion(r.adversary)
    observed = {m: rep.confusions[(m, "adversarial")] for m in ("DAP", "ESZSL")}
    iu = np.triu_indices(k, 1)
    sym = {m: (C + C.T)[iu] / 2 for m, C in observed.items()}
    agreement = {m: confusion_agreement(predicted, C, n_permutations=500, seed=seed)
                 for m, C in observed.items()}
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), gridspec_kw={"width_ratios": [1, 1, 1, 1.15]})
    panels = [("predicted: k * sum_v min(P*(j,v), P*(l,v))", predicted)] + [
        (f"{m} confusion on P* data", np.where(np.eye(k, dtype=bool), 0.0, C))
        for m, C in observed.items()
    ]
    for ax, (title, A) in zip(axes[:3], panels, strict=True):
        im = ax.imshow(A, cmap=SEQUENTIAL_CMAP, vmin=0)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("class l")
        ax.set_ylabel("class j")
        ax.grid(False)
        fig.colorbar(im, ax=ax, shrink=0.8)
    ax = axes[3]
    for i, m in enumerate(("DAP", "ESZSL")):
        stat, chance = agreement[m]
        ax.scatter(predicted[iu], sym[m], s=18, color=PALETTE[i],
                   label=f"{m}: Spearman {stat:.2f} (chance 95%: {chance:.2f})")
    ax.set_xlabel("predicted shared mass of the pair")
    ax.set_ylabel("observed symmetric confusion rate")
    ax.set_title("class pairs", fontsize=9)
    ax.legend(loc="upper left", fontsize=7.5)
    fig.suptitle(f"Confusion prediction from the adversary's P*, {k} classes x {n} attributes")
    data = {
        "params": {"k": k, "k_seen": k_seen, "n": n, "n_test": n_test, "seed": seed},
        "predicted": predicted,
        "observed_DAP": observed["DAP"],
        "observed_ESZSL": observed["ESZSL"],
        "spearman": {m: list(v) for m, v in agreement.items()},
        "Q": r.Q,
    }
    return fig, data


def _load_benchmark_record() -> dict | None:
    if not BENCHMARK_RECORD.is_file():
        return None
    return json.loads(BENCHMARK_RECORD.read_text())


@figure(
    name="zsl_solver_cost",
    topic="zsl",
    title="Solver cost vs number of attributes: full LP and column generation (three pricings)",
)
def make_solver_cost(scale: str, seed: int, device: str):
    """Recorded seconds (benchmark) and deterministic work (master size, rounds) per method."""
    k = 6 if scale == "quick" else 10
    ns = [4, 6, 8] if scale == "quick" else [4, 6, 8, 10, 12]
    methods = ["full", "colgen-bruteforce", "colgen-milp", "colgen-subsets"]
    work = {m: {"n": [], "Q": [], "columns": [], "rounds": []} for m in methods}
    for n in ns:
        M = awa_like_matrix(k, n, seed=seed)
        for m in methods:
            if m == "full" and n > 12:
                continue
            r = worst_case_lower_bound(M, m)
            for key, val in (("n", n), ("Q", r.Q), ("columns", r.n_columns), ("rounds", r.iterations)):
                work[m][key].append(val)
    spread = [float(np.ptp([work[m]["Q"][i] for m in methods])) for i in range(len(ns))]
    record = _load_benchmark_record()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for i, m in enumerate(methods):
        axes[1].plot(work[m]["n"], work[m]["columns"], "-o", color=PALETTE[i], label=m)
        axes[2].plot(work[m]["n"], work[m]["rounds"], "-o", color=PALETTE[i], label=m)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("number of attributes n")
    axes[1].set_ylabel("attribute vectors in the final LP")
    axes[1].set_title(f"LP size (k = {k}; full LP: 2^n)")
    axes[2].set_xlabel("number of attributes n")
    axes[2].set_ylabel("master LP solves")
    axes[2].set_title(f"rounds (max |Q spread| = {max(spread):.1e})")
    for ax in axes[1:]:
        ax.legend(fontsize=7.5)
    ax = axes[0]
    if record is not None:
        for i, m in enumerate(methods):
            rows = [row for row in record["rows"] if row["seconds"].get(m)]
            exact = [(row["n"], row["seconds"][m]) for row in rows if row["exact"][m]]
            stopped = [(row["n"], row["seconds"][m]) for row in rows if not row["exact"][m]]
            if exact:
                ax.plot(*zip(*exact, strict=True), "-o", color=PALETTE[i], label=m)
            if stopped:
                ax.plot(*zip(*stopped, strict=True), "x", ms=9, mew=2, color=PALETTE[i],
                        label=f"{m}: budget hit, not certified exact")
            # the solver before the column-generation speed-ups, where the record has it
            before = [(row["n"], row["old"]["runs"][m]) for row in record["rows"]
                      if m in (row.get("old") or {}).get("runs", {})]
            done = [(n, run["seconds"]) for n, run in before if run["exact"]]
            if done:
                ax.plot(*zip(*done, strict=True), "--o", mfc="none", color=PALETTE[i], alpha=0.7,
                        label=f"{m}, before (commit {record.get('old_commit', '?')})")
            cut = [(n, run["seconds"]) for n, run in before if not run["exact"]]
            if cut:
                ax.plot(*zip(*cut, strict=True), "x", ms=9, mew=1, color=PALETTE[i], alpha=0.7,
                        label=f"{m}, before: budget hit")
        ax.set_title(f"recorded CPU time, k = {record['k']}\n({record['machine']})", fontsize=9)
        ax.set_yscale("log")
        ax.legend(fontsize=7.5)
    else:
        ax.text(0.5, 0.5, "no benchmark record:\nrun benchmarks/bench_zsl.py --record",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_title("recorded CPU time")
    ax.set_xlabel("number of attributes n")
    ax.set_ylabel("CPU seconds")
    data = {
        "params": {"k": k, "n_values": ns, "seed": seed, "methods": methods},
        "work": work,
        "Q_spread": spread,
        "benchmark_record": record,
    }
    return fig, data

"""Claims of the neural-collapse topic (registered in the ledger on import)."""

from __future__ import annotations

import numpy as np

from analysis._core.claims import ClaimResult, claim
from analysis._core.rng import make_rng
from analysis.neural_collapse import proofs
from analysis.neural_collapse.data import (
    collapsed_etf_features,
    labels_from_counts,
    step_imbalanced_counts,
)
from analysis.neural_collapse.geometry import (
    cosine_matrix,
    etf_gram,
    orthogonal_frame,
    random_orthogonal,
    simplex_etf,
)
from analysis.neural_collapse.metrics import nc_metrics
from analysis.neural_collapse.scl import (
    batching_condition,
    bind_batches,
    random_batches,
    solve_scl_ufm,
    train_scl_ufm,
)
from analysis.neural_collapse.ufm import train_ce_ufm

_SOURCE_ETF = "Papyan, Han & Donoho (2020), PNAS, Def. 1 (simplex ETF)"
_USAGE = ("threshold claims report the binding sub-check as a fraction of its threshold: "
          "u = measured/limit for 'measured < limit', limit/measured for 'measured > limit'; "
          "slack = -max u, tolerance 1 (the threshold itself), so slack/tol >= -1 passes and "
          "the table's ratio is the binding sub-check's utilisation")


def _binding(checks: dict[str, tuple[float, str, float]], prefix: str) -> ClaimResult:
    """Combine threshold sub-checks into one result reporting the binding one (normalised).

    ``checks`` maps a name to ``(measured, op, limit)`` with ``op`` ``"<"`` or ``">"`` and
    ``limit > 0``. The utilisation ``u = measured / limit`` (``"<"``) or ``limit / measured``
    (``">"``, ``inf`` when measured <= 0) is the fraction of the threshold used: each sub-check
    passes iff ``u <= 1``, so utilisations are comparable across sub-checks of any scale. The
    result has slack ``-max u`` and tolerance 1 (see ``_USAGE``).
    """
    use = {}
    for name, (measured, op, limit) in checks.items():
        if op == "<":
            use[name] = measured / limit
        else:
            use[name] = limit / measured if measured > 0 else float("inf")
        if measured != measured:  # NaN never passes
            use[name] = float("inf")
    key = max(use, key=use.get)
    parts = ", ".join(f"{k}: {checks[k][0]:.3g} {checks[k][1]} {checks[k][2]:g} (u={use[k]:.3g})"
                      for k in checks)
    return ClaimResult(-use[key], 1.0, f"{prefix}binding: {key}; {parts}")
_ROUNDOFF = ("float64 round-off relative to the scale: unit vectors (scale 1), entries are sums "
             "of <= C + 10 <= 60 products, so n eps scale ~ 60 x 2.2e-16 ~ 1.3e-14 (plus the QR "
             "of the random rotation, same order); tolerance 1e-12 is ~75x that")


def _random_etf(seed: int, broken: bool) -> tuple[np.ndarray, int]:
    rng = make_rng(seed)
    C = int(rng.integers(2, 51))
    d = int(C - 1 + rng.integers(0, 10))
    M = simplex_etf(C, d, rng=rng)
    if broken:
        # A frame that is off by a small rotation of one vector: no longer equiangular.
        M = M.copy()
        M[0] = M[0] + 1e-6 * rng.standard_normal(d)
    return M, C


@claim(
    id="nc.etf.pairwise_cosine",
    topic="neural_collapse",
    source=_SOURCE_ETF,
    statement="Simplex-ETF vectors have unit norm and pairwise cosine exactly -1/(C-1).",
    tolerance_reason=_ROUNDOFF,
)
def check_etf_pairwise_cosine(seed: int, broken: bool = False) -> ClaimResult:
    M, C = _random_etf(seed, broken)
    cos = cosine_matrix(M)
    off = ~np.eye(C, dtype=bool)
    err = max(np.abs(cos[off] + 1.0 / (C - 1)).max(), np.abs(np.linalg.norm(M, axis=1) - 1).max())
    return ClaimResult(-err, 1e-12, f"C={C}: max |cos + 1/(C-1)|, |norm - 1| = {err:.2e}")


@claim(
    id="nc.etf.gram_identity",
    topic="neural_collapse",
    source=_SOURCE_ETF,
    statement="The simplex ETF satisfies M M^T = C/(C-1) (I - 11^T/C) and sums to zero.",
    tolerance_reason=_ROUNDOFF,
)
def check_etf_gram_identity(seed: int, broken: bool = False) -> ClaimResult:
    M, C = _random_etf(seed, broken)
    err = max(np.abs(M @ M.T - etf_gram(C)).max(), np.abs(M.sum(axis=0)).max())
    return ClaimResult(-err, 1e-12, f"C={C}: max Gram / centring error = {err:.2e}")


@claim(
    id="nc.of.centred_is_etf",
    topic="neural_collapse",
    source="Kini et al. (2024), ICLR, Sec. 2 (OF vs ETF); numeric for C = 2..50",
    statement="An equal-norm orthogonal frame, centred and renormalised, is a simplex ETF.",
    tolerance_reason=_ROUNDOFF,
)
def check_centred_of_is_etf(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    worst = 0.0
    for C in range(2, 51):
        d = C + int(rng.integers(0, 5))
        F = 2.5 * orthogonal_frame(C, d, rng=rng)  # equal norms, any common scale
        # broken: centre with the wrong mean (1/(C+1) of the sum instead of 1/C)
        V = F - F.sum(axis=0) / ((C + 1) if broken else C)
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        worst = max(worst, np.abs(V @ V.T - etf_gram(C)).max())
    return ClaimResult(-worst, 1e-12, f"max Gram error over C=2..50: {worst:.2e}")


@claim(
    id="nc.of.centred_is_etf_symbolic",
    topic="neural_collapse",
    source="Kini et al. (2024), ICLR, Sec. 2; sympy derivation for symbolic C",
    statement="For symbolic C, e_c - 1/C: norm^2 (C-1)/C, pairwise cosine -1/(C-1), zero sum.",
    tolerance_reason="exact symbolic simplification: the residual is identically zero or not",
)
def check_centred_of_is_etf_symbolic(seed: int, broken: bool = False) -> ClaimResult:
    import sympy as sp

    # the derivation does not depend on a random instance; ``seed`` is unused by design
    centring = 1 / (sp.Symbol("C") + 1) if broken else None
    residuals = proofs.centred_frame_residuals(centring)
    worst = proofs.residual_magnitude(residuals)
    return ClaimResult(-worst, 0.0, f"residuals: {residuals}")


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------

_METRIC_KEYS_AT_COLLAPSE = ("nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle",
                            "nc2_etf_gram", "nc2_equinorm_w", "nc2_etf_gram_w", "nc3", "nc4",
                            "cdnv")


@claim(
    id="nc.metrics.zero_on_oracle",
    topic="neural_collapse",
    source="Papyan, Han & Donoho (2020), PNAS, NC1-NC4 definitions",
    statement="NC1-NC4 (and CDNV) are 0 on collapsed ETF features with a self-dual classifier.",
    tolerance_reason="float64 round-off of means, Gram matrices and an eigh pseudo-inverse of "
    "O(1) entries over N <= 200 samples: below 1e-9",
)
def check_metrics_zero_on_oracle(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(2, 9))
    counts = rng.integers(1, 25, size=C)
    d = C - 1 + int(rng.integers(0, 5))
    # broken: a little within-class scatter, so the features have not collapsed
    H, y, M = collapsed_etf_features(counts, d, scale=float(rng.uniform(0.5, 5)),
                                     noise=1e-3 if broken else 0.0, rng=rng)
    m = nc_metrics(H, y, W=float(rng.uniform(0.5, 5)) * M)
    worst_key = max(_METRIC_KEYS_AT_COLLAPSE, key=lambda k: abs(m[k]))
    worst = abs(m[worst_key])
    return ClaimResult(-worst, 1e-9, f"C={C}, d={d}: largest metric {worst_key} = {worst:.2e}")


@claim(
    id="nc.metrics.invariance",
    topic="neural_collapse",
    source="Papyan, Han & Donoho (2020), PNAS, NC1-NC4 definitions (rotation/relabel invariant)",
    statement="All NC metrics are unchanged by a rotation of the feature space, a rescaling "
    "(features x s, classifier x 1/s) and a relabelling of the classes.",
    tolerance_reason="relative float64 round-off of eigh/SVD on well-conditioned random "
    "instances (condition number < 1e3): 1e-8",
)
def check_metrics_invariance(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(3, 8))
    d = C + int(rng.integers(0, 4))
    y = labels_from_counts(rng.integers(2, 12, size=C))
    H = rng.standard_normal((y.size, d)) + 3 * rng.standard_normal((C, d))[y]
    W, b = rng.standard_normal((C, d)), 0.1 * rng.standard_normal(C)
    # broken: an anisotropic stretch instead of a rotation (not a symmetry of the metrics)
    Q = np.diag(rng.uniform(0.2, 3.0, size=d)) if broken else random_orthogonal(d, rng)
    perm = rng.permutation(C)
    inv = np.argsort(perm)
    base = nc_metrics(H, y, W, b)
    # features scaled by 2 and classifier by 1/2 keep the logits (and so NC4) unchanged
    moved = nc_metrics(2.0 * H @ Q.T, perm[y], 0.5 * (W @ Q.T)[inv], b[inv])
    # relative differences, with an absolute floor for metrics that are ~0 (nc4)
    rel = {k: abs(moved[k] - base[k]) / max(abs(base[k]), 1e-3) for k in base}
    key = max(rel, key=rel.get)
    return ClaimResult(-rel[key], 1e-8, f"C={C}, d={d}: largest relative change {key} = {rel[key]:.2e}")


# ----------------------------------------------------------------------------------------------
# Cross-entropy UFM
# ----------------------------------------------------------------------------------------------

_ETF_THRESHOLDS = {"nc1": 1e-6, "nc2_etf_gram": 1e-3, "nc2_etf_gram_w": 1e-2, "nc3": 1e-3,
                   "nc4": 0.5 / 1000}


@claim(
    id="nc.ufm.balanced_ce_reaches_etf",
    topic="neural_collapse",
    source="Zhu et al. (2021), NeurIPS, Thm. 3.1; Papyan, Han & Donoho (2020), PNAS",
    statement="Full-batch GD on the balanced CE UFM with weight decay reaches NC: NC1 < 1e-6, "
    "ETF-Gram distances < 1e-3 (means) and 1e-2 (classifier), NC3 < 1e-3, NC4 = 0.",
    tolerance_reason="thresholds are the claim: the global minimiser is exactly a self-dual "
    "ETF and GD converges linearly to it; 600 steps leave residuals well below them; "
    + _USAGE,
)
def check_balanced_ce_reaches_etf(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(3, 7))
    n = int(rng.integers(5, 12))
    # broken: a step-imbalanced instance (ratio 10) violates the theorem's balance hypothesis
    counts = step_imbalanced_counts(C, 10 * n, 10.0) if broken else np.full(C, n)
    result = train_ce_ufm(counts, C + 2, epochs=600, lr=2.0, record_every=600,
                          seed=int(rng.integers(0, 2**31)))
    last = {k: float(v[-1]) for k, v in result.history.items()}
    return _binding({k: (last[k], "<", thr) for k, thr in _ETF_THRESHOLDS.items()},
                    f"C={C}, counts={counts.tolist()}: ")


@claim(
    id="nc.ufm.minority_collapse",
    topic="neural_collapse",
    source="Fang et al. (2021), PNAS, Thm. 5 (minority collapse); Thrampoulidis et al. (2022)",
    statement="In the step-imbalanced CE UFM (C=4, two minority classes) the cosine between the "
    "minority classifiers rises with the ratio R in {1, 10, 100} and is > 0 at R = 100.",
    tolerance_reason="an ordering claim between limits of GD: each cosine is measured after 300 "
    "and 600 steps, and r = max |cos_600 - cos_300| estimates the GD residual (for GD that contracts "
    "by at least 1/2 per 300 steps, |cos_600 - cos_limit| <= r). The slack is the smallest gap "
    "minus 2 r, so the ordering is certified for the limits, not only for the iterates (tolerance 0)",
)
def check_minority_collapse(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = 4
    cosines, residual = [], 0.0
    # broken: a wrong class set, the majority classifiers instead of the minority ones
    group = np.arange(C // 2) if broken else np.arange(C // 2, C)
    for ratio in (1.0, 10.0, 100.0):
        counts = step_imbalanced_counts(C, 100, ratio)
        init_seed = int(rng.integers(0, 2**31))
        pair = [float(cosine_matrix(train_ce_ufm(counts, C + 2, epochs=epochs, lr=2.0,
                                                 record_every=epochs, seed=init_seed).W[group])[0, 1])
                for epochs in (300, 600)]
        residual = max(residual, abs(pair[1] - pair[0]))
        cosines.append(pair[1])
    gaps = (cosines[1] - cosines[0], cosines[2] - cosines[1], cosines[2])
    return ClaimResult(min(gaps) - 2.0 * residual, 0.0, "minority cosine at R=1,10,100 (600 steps): "
                       + ", ".join(f"{c:.3f}" for c in cosines)
                       + f"; GD residual estimate {residual:.1e}")


@claim(
    id="nc.ls.identity_symbolic",
    topic="neural_collapse",
    source="Seed list: MaxSup (Zhou et al., 2025), label-smoothing decomposition; sympy",
    statement="Cross-entropy with smoothed targets equals CE + alpha (z_y - mean z), for K = 2..5 "
    "explicit logits and for symbolic K.",
    tolerance_reason="exact symbolic simplification: the residual is identically zero or not",
)
def check_label_smoothing_identity(seed: int, broken: bool = False) -> ClaimResult:
    # the derivation does not depend on a random instance; ``seed`` is unused by design
    residuals = [proofs.label_smoothing_residual(K, wrong_sign=broken) for K in range(2, 6)]
    residuals.append(proofs.label_smoothing_residual_general_k() if not broken else residuals[0])
    nonzero = sum(r != 0 for r in residuals)
    return ClaimResult(-float(nonzero), 0.0, f"{nonzero} non-zero residual(s) of {len(residuals)}")


# ----------------------------------------------------------------------------------------------
# SCL UFM
# ----------------------------------------------------------------------------------------------

_SOURCE_KINI = "Kini et al. (2024), ICLR"


def _random_counts(rng, n_classes, low, high) -> np.ndarray:
    return rng.integers(low, high + 1, size=n_classes)


@claim(
    id="nc.scl.relu_orthogonal_frame",
    topic="neural_collapse",
    source=f"{_SOURCE_KINI}, Thm. 1 (SCL UFM with non-negative features)",
    statement="With non-negative features the SCL UFM minimiser is an orthogonal frame for any "
    "class counts; the convex (N x N and class-block) and GD-with-ReLU routes all reach it.",
    tolerance_reason="Clarabel accuracy (~1e-5 on the Gram) and the GD residual after 150 steps "
    "at tau = 0.5 (~1e-4): OF distance below 1e-3",
)
def check_scl_relu_orthogonal_frame(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(2, 5))
    counts = _random_counts(rng, C, 2, 6)
    # broken: the same solves without the non-negativity (no ReLU): the optimum is not an OF
    nonneg = not broken
    full = solve_scl_ufm(counts, 0.1, nonnegative=nonneg)
    block = solve_scl_ufm(counts, 0.1, nonnegative=nonneg, reduction="class_block")
    gd = train_scl_ufm(counts, C + 2, temperature=0.5, relu=nonneg, epochs=150, record_every=150,
                       seed=int(rng.integers(0, 2**31)))
    dists = {"convex N x N": full.of_distance, "convex block": block.of_distance,
             "GD": float(gd.history["of_distance"][-1])}
    worst = max(dists.values())
    return ClaimResult(-worst, 1e-3, f"counts={counts.tolist()}: OF distances "
                       + ", ".join(f"{k} {v:.1e}" for k, v in dists.items()))


@claim(
    id="nc.scl.class_block_reduction",
    topic="neural_collapse",
    source=f"{_SOURCE_KINI}, Sec. 3 (SCL UFM); class-permutation symmetry + convexity",
    statement="The C x C class-block program has the same optimal value as the N x N Gram "
    "program, with and without non-negativity.",
    tolerance_reason="two Clarabel interior-point solves (gap tolerance 1e-8 relative to the "
    "objective's scale N (1/tau + log N), the sum of the magnitudes of its N log-sum-exp terms) "
    "agree to ~1e-8 of that scale; tolerance 1e-6 of it",
)
def check_scl_class_block_reduction(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(2, 4))
    counts = _random_counts(rng, C, 2, 5)
    tau = float(rng.uniform(0.1, 1.0))
    worst = 0.0
    for nonneg in (True, False):
        full = solve_scl_ufm(counts, tau, nonnegative=nonneg)
        # broken: the reduction solved for a perturbed instance (one more sample in class 0)
        block_counts = counts + np.eye(C, dtype=int)[0] if broken else counts
        block = solve_scl_ufm(block_counts, tau, nonnegative=nonneg, reduction="class_block")
        # relative to the objective's scale N (1/tau + log N) (the sum of its terms'
        # magnitudes), not to the optimum itself, which can be ~0 (e.g. counts [2, 2], tau 0.1)
        N = counts.sum()
        worst = max(worst, abs(block.objective - full.objective) / (N * (1 / tau + np.log(N))))
    return ClaimResult(-worst, 1e-6, f"counts={counts.tolist()}, tau={tau:.2f}: "
                       f"objective gap / N(1/tau + log N) = {worst:.1e}")


@claim(
    id="nc.scl.no_relu_depends_on_imbalance",
    topic="neural_collapse",
    source=f"{_SOURCE_KINI}, Sec. 1 and Fig. 1 (symmetry breaks under imbalance without ReLU)",
    statement="Without non-negativity the SCL class-mean geometry changes with the imbalance "
    "(max cosine change > 0.02 from R = 1 to R = 10); with it, it does not (change < 1e-5).",
    tolerance_reason="solves at Clarabel tol 1e-12 (gap and feasibility; x10 retries up to "
    "1e-8): the exact change with ReLU is 0 (OF for any counts) and the solver's cosine error "
    "is below ~1e-7 at these sizes (N <= 250; the OF distance error grows with N), so 1e-5 is "
    "100x that; 0.02 is the effect size claimed without ReLU, 2e5x the solver error; " + _USAGE,
)
def check_scl_no_relu_depends_on_imbalance(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(3, 6))
    n_major = int(rng.integers(2, 6)) * 10
    tau = float(rng.uniform(0.3, 1.0))
    change = {}
    for nonneg in (False, True):
        cosines = []
        for ratio in (1.0, 10.0):
            counts = step_imbalanced_counts(C, n_major, ratio)
            # broken: a wrong implementation that passes the non-negativity flag inverted
            res = solve_scl_ufm(counts, tau, nonnegative=(not nonneg) if broken else nonneg,
                                reduction="class_block", tol=1e-12)
            norms = np.sqrt(np.diag(res.class_gram))
            cosines.append(res.class_gram / np.outer(norms, norms))
        change[nonneg] = float(np.abs(cosines[1] - cosines[0]).max())
    return _binding({"change without ReLU": (change[False], ">", 0.02),
                     "change with ReLU": (change[True], "<", 1e-5)}, f"C={C}, tau={tau:.2f}: ")


@claim(
    id="nc.scl.batch_binding_restores_of",
    topic="neural_collapse",
    source=f"{_SOURCE_KINI}, Sec. 4 (batching conditions, batch-binding)",
    statement="A random batch partition that violates the batch-interaction condition keeps SCL"
    "+ReLU GD away from the OF (distance > 0.1); binding one fixed example per class to every "
    "batch restores it (distance < 0.01).",
    tolerance_reason="thresholds are the claim: bound runs reach < 2e-3 and unbound runs stay "
    "> 0.5 after 200 GD steps at tau = 0.5; " + _USAGE,
)
def check_batch_binding_restores_of(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    C = int(rng.integers(3, 5))
    counts = np.array([int(rng.integers(8, 13))] * (C - C // 2) + [int(rng.integers(2, 4))] * (C // 2))
    labels = labels_from_counts(counts)
    for _ in range(100):  # small batches under imbalance almost always violate the condition
        batches = random_batches(labels.size, 4, rng)
        if not batching_condition(batches, labels)["holds"]:
            break
    else:
        raise RuntimeError("no violating partition found in 100 draws")
    # broken: a wrong batch-binding that returns the batches unchanged
    bound = batches if broken else bind_batches(batches, labels, rng)
    init = int(rng.integers(0, 2**31))
    runs = {name: train_scl_ufm(counts, 2 * C, temperature=0.5, batches=b, epochs=200,
                                record_every=200, seed=init).history["of_distance"][-1]
            for name, b in (("random", batches), ("bound", bound))}
    return _binding({"random partition stays away": (runs["random"], ">", 0.1),
                     "batch-binding reaches the OF": (runs["bound"], "<", 0.01)},
                    f"counts={counts.tolist()}, OF distances: ")

"""Claims of the zero-shot-learning topic (registered in the ledger on import)."""

from __future__ import annotations

import numpy as np

from analysis._core.claims import ClaimResult, claim
from analysis._core.rng import make_rng
from analysis.zsl import closed_forms as cf
from analysis.zsl.baselines import confusion_agreement, evaluate_baselines, predicted_confusion
from analysis.zsl.bound import (
    dual_objective,
    pricing_values,
    worst_case_accuracy,
    worst_case_lower_bound,
)
from analysis.zsl.data import all_attribute_vectors, awa_like_matrix

_PAPER = "Mazzetto, Menghini, Yuan, Upfal & Bach (2022), NeurIPS"
_LP_TOL = 1e-7
_LP_REASON = (
    "HiGHS LPs solved with 1e-10 primal/dual feasibility tolerances; 1e-7 leaves room for the "
    "round-off of O(k 2^n) sums"
)


def _random_matrix(seed: int, k_range=(3, 6), n_range=(4, 7)) -> np.ndarray:
    rng = make_rng(seed)
    k = int(rng.integers(*k_range))
    n = int(rng.integers(*n_range))
    if rng.random() < 0.5:
        return rng.random((k, n))
    return awa_like_matrix(k, n, seed=rng)


@claim(
    id="zsl.lp.primal_equals_dual",
    topic="zsl",
    source=f"{_PAPER}, Sec. 4 (the LP for Q and its dual)",
    statement="Column generation ends with primal = certified dual value: sum_j max(0,a_j+b_j.v) <= 1.",
    tolerance_reason=_LP_REASON,
)
def check_primal_equals_dual(seed: int, broken: bool = False) -> ClaimResult:
    M = _random_matrix(seed)
    # broken: one restricted-master solve without pricing rounds (no column generation)
    r = worst_case_lower_bound(M, "colgen-subsets", max_iterations=1 if broken else 10_000)
    # feasibility of the dual is re-checked by brute force over all 2^n vectors (independent route)
    V = all_attribute_vectors(M.shape[1]).astype(np.float64)
    rho = float(pricing_values(r.randomized_map.a, r.randomized_map.b, V).max())
    # the map's duals (already scaled to feasibility when pricing was incomplete) give a dual
    # point; dividing by max(1, rho) makes it feasible, so its objective is a certified lower bound
    certified_dual = dual_objective(r.randomized_map.a, r.randomized_map.b, M) / max(1.0, rho)
    gap = r.primal_value - certified_dual
    return ClaimResult(-abs(gap), _LP_TOL, f"k,n={M.shape}: primal {r.primal_value:.10f}, "
                       f"certified dual {certified_dual:.10f}, rounds {r.iterations}")


@claim(
    id="zsl.tightness.randomized_map",
    topic="zsl",
    source=f"{_PAPER}, Sec. 4 (tightness by minimax duality)",
    statement="The dual's randomized map has worst-case accuracy exactly Q(M) (error exactly 1-Q).",
    tolerance_reason=_LP_REASON,
)
def check_tightness(seed: int, broken: bool = False) -> ClaimResult:
    M = _random_matrix(seed)
    k, n = M.shape
    r = worst_case_lower_bound(M)
    # broken: a wrong extraction that ignores the duals (the uniform map h = 1/k)
    h = np.full((2**n, k), 1.0 / k) if broken else r.randomized_map
    acc = worst_case_accuracy(h, M)
    detail = f"k,n={M.shape}: worst-case acc {acc:.10f}, Q {r.Q:.10f}"
    return ClaimResult(-abs(acc - r.Q), _LP_TOL, detail)


@claim(
    id="zsl.monotone.attribute_set",
    topic="zsl",
    source=f"{_PAPER}, Sec. 5 (the bound vs the number of attributes); marginalisation argument",
    statement="Adding an attribute never lowers Q: Q(M[:, S + i]) >= Q(M[:, S]) along a random chain.",
    tolerance_reason=_LP_REASON,
)
def check_monotone(seed: int, broken: bool = False) -> ClaimResult:
    M = _random_matrix(seed)
    rng = make_rng(seed + 1)
    order = rng.permutation(M.shape[1])
    Qs = np.array([worst_case_lower_bound(M[:, order[: t + 1]]).Q for t in range(M.shape[1])])
    if broken:
        Qs = Qs[::-1]  # the chain walked backwards: attributes removed instead of added
    steps = np.diff(Qs)
    return ClaimResult(float(steps.min()), _LP_TOL, f"Q along the chain: {np.round(Qs, 6).tolist()}")


@claim(
    id="zsl.invariance.permute_and_complement",
    topic="zsl",
    source=f"{_PAPER}, Sec. 4 (Q depends on M only through the LP); relabelling argument",
    statement="Q is invariant to permuting classes, permuting attributes and complementing a column.",
    tolerance_reason=_LP_REASON,
)
def check_invariance(seed: int, broken: bool = False) -> ClaimResult:
    M = _random_matrix(seed, n_range=(3, 6))
    rng = make_rng(seed + 2)
    k, n = M.shape
    Q = worst_case_lower_bound(M).Q
    i = int(np.argmax(np.ptp(M, axis=0)))
    flipped = M.copy()
    # broken: the column complemented for every class but the first (not a relabelling)
    rows = slice(1, None) if broken else slice(None)
    flipped[rows, i] = 1.0 - flipped[rows, i]
    others = [M[rng.permutation(k)], M[:, rng.permutation(n)], flipped]
    diff = max(abs(worst_case_lower_bound(X).Q - Q) for X in others)
    return ClaimResult(-diff, _LP_TOL, f"k,n={M.shape}: max |Q' - Q| = {diff:.2e}")


@claim(
    id="zsl.closed_form.two_classes",
    topic="zsl",
    source="derived here: Q = (1 + max_i |M_1i - M_2i|)/2 for k = 2 (proofs_checks/check_zsl.py)",
    statement="With two classes, Q(M) = (1 + max_i |M_1i - M_2i|) / 2.",
    tolerance_reason=_LP_REASON,
)
def check_two_classes(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    M = rng.random((2, int(rng.integers(2, 9))))
    d = np.abs(M[0] - M[1])
    # broken: the average instead of the largest attribute gap
    formula = (1.0 + (d.mean() if broken else d.max())) / 2.0
    Q = worst_case_lower_bound(M).Q
    detail = f"n={M.shape[1]}: LP {Q:.10f}, closed form {formula:.10f}"
    return ClaimResult(-abs(Q - formula), _LP_TOL, detail)


@claim(
    id="zsl.closed_form.one_attribute_and_binary",
    topic="zsl",
    source="derived here: n = 1 and binary M closed forms (proofs_checks/check_zsl.py)",
    statement="n = 1: Q = (1 + max_j m_j - min_j m_j)/k; binary M: Q = (#distinct rows)/k.",
    tolerance_reason=_LP_REASON,
)
def check_one_attribute_and_binary(seed: int, broken: bool = False) -> ClaimResult:
    rng = make_rng(seed)
    k = int(rng.integers(3, 8))
    m = rng.random((k, 1))
    err_one = abs(worst_case_lower_bound(m).Q - cf.q_single_attribute(m))
    # k > 2^2 rows on two attributes: duplicate rows are guaranteed
    B = (rng.random((k + 2, 2)) < 0.5).astype(np.float64)
    distinct = np.unique(B, axis=0).shape[0]
    # broken: count all rows instead of the distinct ones
    formula = (B.shape[0] if broken else distinct) / B.shape[0]
    err_bin = abs(worst_case_lower_bound(B).Q - formula)
    detail = f"n=1 error {err_one:.2e}; binary ({distinct} distinct of {B.shape[0]}) {err_bin:.2e}"
    return ClaimResult(-max(err_one, err_bin), _LP_TOL, detail)


def _baseline_instance(seed: int):
    rng = make_rng(seed)
    A = awa_like_matrix(16, 7, seed=rng)
    M, M_seen = A[:6], A[6:]
    r = worst_case_lower_bound(M)
    report = evaluate_baselines(M, M_seen, r.adversary, n_train=3000, n_test=20000, seed=rng)
    return M, r, report


@claim(
    id="zsl.baselines.error_above_bound",
    topic="zsl",
    source=f"{_PAPER}, Sec. 4 and Sec. 6 (no classifier beats the bound on the adversary's law)",
    statement="DAP and ESZSL test errors on data from P* are at least 1 - Q (up to Monte-Carlo error).",
    tolerance_reason="4 binomial standard errors of the test error (20000 i.i.d. test samples)",
)
def check_baselines_above_bound(seed: int, broken: bool = False) -> ClaimResult:
    _, r, report = _baseline_instance(seed)
    # broken: the same measurement on natural data, where the worst-case bound need not hold
    data = "natural" if broken else "adversarial"
    slacks = {m: report.errors[(m, data)] - r.error_lower_bound for m in ("DAP", "ESZSL")}
    worst = min(slacks, key=slacks.get)
    tol = 4.0 * report.standard_errors[(worst, data)]
    detail = ", ".join(f"{m} {report.errors[(m, data)]:.4f}" for m in slacks)
    return ClaimResult(float(slacks[worst]), tol, f"{data}: {detail} vs 1-Q = {r.error_lower_bound:.4f}")


@claim(
    id="zsl.confusion.predicted_pairs",
    topic="zsl",
    source=f"{_PAPER}, Sec. 6 (classes sharing support under P* are the confused ones)",
    statement="Pairs sharing P* mass rank DAP's confusions on P* data better than chance (perm. 95%).",
    tolerance_reason="none: the statistic must exceed the 95% quantile of a 1000-permutation null",
)
def check_confusion_prediction(seed: int, broken: bool = False) -> ClaimResult:
    _, r, report = _baseline_instance(seed)
    predicted = predicted_confusion(r.adversary)
    if broken:
        predicted = -predicted  # sign error: predicts confusion where P* shares the least mass
    observed = report.confusions[("DAP", "adversarial")]
    stat, chance = confusion_agreement(predicted, observed, n_permutations=1000, seed=seed)
    return ClaimResult(stat - chance, 0.0, f"Spearman {stat:.3f} vs chance 95% {chance:.3f}")

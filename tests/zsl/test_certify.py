"""Tests of the re-checkable certificates (analysis.zsl.certify) against the full LP.

Reference: ``Q`` from the full LP over all ``2^n`` vectors (n <= 8), HiGHS with 1e-10
feasibility tolerances, so values agree to ``LP_TOL``. Every certificate must bracket it on
every seed; the certificates' own rounding margins are below 1e-12.
"""

import numpy as np
import pytest

from analysis.zsl import awa_like_matrix, worst_case_lower_bound
from analysis.zsl.bound import pricing_values
from analysis.zsl.certify import (
    class_groups,
    dual_lower_bound,
    grouped_upper_bound,
    master_upper_bound,
    primal_upper_bound,
    star_lower_bound,
    support_upper_bound,
)
from analysis.zsl.data import all_attribute_vectors, comonotone_coupling

LP_TOL = 1e-7
SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_grouped_upper_bound_brackets_Q_and_the_group_sum(seed, instance, exact_q):
    M = instance(seed)
    k = M.shape[0]
    cert, recs = grouped_upper_bound(M, group_size=3)
    group_sum = sum(len(r["classes"]) * r["Q"] for r in recs) / k
    assert exact_q(M) <= cert.upper + LP_TOL
    assert cert.upper <= group_sum + 1e-9
    assert cert.repair < 1e-9  # exact group solves: only round-off to repair


@pytest.mark.parametrize("seed", SEEDS)
def test_subgroup_warm_start_keeps_a_law_between_Q_and_the_subgroups_union(seed, instance, exact_q):
    # one group of all 6 classes warm-started from its subgroups of 2: the law it contributes
    # is the better of its master's and the subgroups' union, so the certified end is at least
    # Q and at most the union's value (a subgroup law put on the wrong classes would need a
    # large repair and break the second inequality)
    M = instance(seed)
    cert, (rec,) = grouped_upper_bound(M, [range(6)], subgroup_size=2)
    assert exact_q(M) <= cert.upper + LP_TOL
    assert rec["Q"] <= rec["subgroups_Q"] + 1e-12
    assert cert.upper <= rec["subgroups_Q"] + 1e-9
    assert cert.repair < 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_subgroup_union_is_a_law_for_the_group_of_at_most_the_subgroup_sum(seed, instance):
    # the seed law of a large group: its subgroups' adversaries side by side match M_g's
    # marginals (a repair of round-off only) and its value is at most sum_s |s| Q_s / |g|
    from analysis.zsl.certify import _side_by_side

    M = instance(seed)
    parts = [(s, worst_case_lower_bound(M[s])) for s in class_groups(M, 2)]
    value, V, P = _side_by_side(6, parts)
    cert = primal_upper_bound(M, V, P)
    assert cert.repair < 1e-9
    assert cert.value <= value + 1e-12
    assert abs(P.sum() - 1.0) < 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_primal_upper_bound_of_the_full_lp_adversary_is_Q(seed, instance):
    M = instance(seed)
    res = worst_case_lower_bound(M, method="full")
    cert = primal_upper_bound(M, res.adversary.vectors, res.adversary.probabilities)
    assert abs(cert.upper - res.Q) <= LP_TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rounds", [1, 3, 10_000])
def test_master_upper_bound_repairs_a_stopped_master_and_stays_above_Q(seed, rounds, instance, exact_q):
    # column generation stopped after `rounds` master solves (10_000: to the end): its law,
    # repaired, bounds Q above; the repair only covers the master's feasibility tolerance
    # (1e-10 per row, a few rows per entry): t <= 1e-9 / the smallest room min(M, 1 - M)
    M = instance(seed)
    Q = exact_q(M)
    cert, res = master_upper_bound(M, method="colgen-subsets", max_iterations=rounds,
                                   cpu_time_limit=None)
    frac = M[(M > 0) & (M < 1)]
    assert cert.repair <= 1e-9 / np.minimum(frac, 1 - frac).min()
    assert Q <= cert.upper + LP_TOL
    assert cert.value <= res.Q + 1e-9  # the law's value is at most the master's objective
    assert cert.upper <= res.Q + cert.repair + 1e-9
    if res.exact:
        assert abs(cert.upper - Q) <= LP_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_support_upper_bound_merges_group_laws_between_Q_and_their_union(seed, instance, exact_q):
    # the union law lives on its own support, so the master there is at most its value (the
    # two repairs differ by the feasibility tolerance only) and, a law for M, at least Q
    M = instance(seed)
    union, _ = grouped_upper_bound(M, group_size=3)
    merged = support_upper_bound(M, union.vectors)
    assert exact_q(M) <= merged.upper + LP_TOL
    assert merged.upper <= union.upper + 1e-9
    # the full LP's support gives Q back
    full = worst_case_lower_bound(M, method="full")
    assert abs(support_upper_bound(M, full.adversary.vectors).upper - full.Q) <= LP_TOL


def test_support_upper_bound_refuses_a_support_without_a_law():
    from analysis._core.solve import SolverError

    M = np.array([[0.9, 0.2], [0.1, 0.7]])
    with pytest.raises(SolverError, match="support"):
        support_upper_bound(M, [[1, 0]])  # one vector cannot give a marginal of 0.9
    with pytest.raises(ValueError, match="vectors"):
        support_upper_bound(M, [[1, 0, 1]])


@pytest.mark.parametrize("seed", SEEDS)
def test_primal_repair_keeps_a_perturbed_law_above_Q(seed, instance, exact_q):
    # comonotone laws perturbed by 1e-3: the repair must keep the bound valid (above Q)
    M = instance(seed)
    k = M.shape[0]
    rng = np.random.default_rng(100 + seed)
    Vs, Ps = [], []
    for j in range(k):
        Vj, wj = comonotone_coupling(M[j])
        P = np.zeros((k, Vj.shape[0]))
        P[j] = wj * (1 + 1e-3 * rng.standard_normal(wj.size)).clip(0.5, None) / k
        Vs.append(Vj)
        Ps.append(P)
    cert = primal_upper_bound(M, np.concatenate(Vs), np.concatenate(Ps, axis=1))
    assert 0 < cert.repair < 1
    assert exact_q(M) <= cert.upper + 1e-12


def test_primal_mass_on_an_impossible_vector_is_dropped_not_trusted(exact_q):
    M = np.array([[0.0, 0.5], [0.5, 0.5]])
    V = all_attribute_vectors(2)  # codes 0..3: (0,0), (1,0), (0,1), (1,1)
    P = np.array([[0.25, 0.25, 0.0, 0.0], [0.125, 0.125, 0.125, 0.125]])  # class 0 emits v_0=1
    cert = primal_upper_bound(M, V, P)
    assert cert.upper >= exact_q(M) - 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_dual_lower_bound_of_the_optimal_dual_is_Q_and_random_duals_stay_below(seed, instance):
    M = instance(seed)
    k, n = M.shape
    res = worst_case_lower_bound(M, method="full")
    h = res.randomized_map
    assert abs(dual_lower_bound(M, h.a, h.b).lower - res.Q) <= LP_TOL
    rng = np.random.default_rng(seed)
    for _ in range(5):
        a, b = rng.standard_normal(k), rng.standard_normal((k, n))
        cert = dual_lower_bound(M, a, b)
        rho = pricing_values(a, b, all_attribute_vectors(n).astype(float)).max()
        assert cert.rho >= rho and cert.rho - rho <= 1e-9 * (1 + rho)  # exact up to margin
        assert cert.lower <= res.Q + LP_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_star_rho_bounds_exact_rho_with_shared_private_attributes(seed, instance, exact_q):
    # two groups both using attribute 3 privately: the star decouples it, rho_star >= rho
    M = instance(seed)
    k, n = M.shape
    rng = np.random.default_rng(50 + seed)
    a, b = rng.standard_normal(k), rng.standard_normal((k, n))
    groups = [np.arange(3), np.arange(3, k)]
    b[:3, 5:] = 0.0
    b[3:, 4] = 0.0
    cert = dual_lower_bound(M, a, b, groups, hub=[0, 1, 2])
    rho = pricing_values(a, b, all_attribute_vectors(n).astype(float)).max()
    assert cert.rho >= rho - 1e-12
    assert cert.lower <= exact_q(M) + LP_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_star_lower_bound_is_below_Q_and_exact_on_subsets(seed, instance, exact_q):
    M = instance(seed)
    k, n = M.shape
    Q = exact_q(M)
    groups = class_groups(M, 3)
    star = star_lower_bound(M, groups, [0, 1], [[2, 3], [4, 5, 6]])
    assert star.lower <= Q + LP_TOL
    recheck = dual_lower_bound(M, star.a, star.b, star.groups, star.hub)
    assert recheck.lower == pytest.approx(star.lower, abs=1e-12)
    # one group, no private attributes: Q on the hub (the greedy-subset bound)
    sub = star_lower_bound(M, [range(k)], [1, 4, 6], [[]])
    assert abs(sub.lower - exact_q(M[:, [1, 4, 6]])) <= LP_TOL
    # every attribute in the hub: Q itself
    full = star_lower_bound(M, groups, range(n), [[], []])
    assert abs(full.lower - Q) <= LP_TOL
    # private attributes only add constraints: never below the hub alone
    hub_only = star_lower_bound(M, groups, [0, 1], [[], []])
    assert star.lower >= hub_only.lower - LP_TOL


def test_class_groups_partition_and_balance():
    M = awa_like_matrix(11, 5, seed=0)
    groups = class_groups(M, 4)
    assert sorted(np.concatenate(groups).tolist()) == list(range(11))
    assert sorted(len(g) for g in groups) == [3, 4, 4]
    assert [g.tolist() for g in class_groups(M, 4)] == [g.tolist() for g in groups]


def test_bad_input_is_refused_with_the_argument_named():
    M = awa_like_matrix(4, 5, seed=0)
    with pytest.raises(ValueError, match="groups"):
        grouped_upper_bound(M, [[0, 1], [1, 2, 3]])
    with pytest.raises(ValueError, match="subgroup_size"):
        grouped_upper_bound(M, group_size=4, subgroup_size=0)
    with pytest.raises(ValueError, match="vectors"):
        primal_upper_bound(M, np.full((2, 5), 2), np.ones((4, 2)))
    with pytest.raises(ValueError, match="probabilities"):
        primal_upper_bound(M, np.zeros((2, 5)), -np.ones((4, 2)))
    with pytest.raises(ValueError, match="b"):
        dual_lower_bound(M, np.zeros(4), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="hub"):
        dual_lower_bound(M, np.zeros(4), np.zeros((4, 5)), hub=[7])
    with pytest.raises(ValueError, match="private"):
        star_lower_bound(M, [range(4)], [0, 1], [[1, 2]])
    with pytest.raises(ValueError, match="private"):
        star_lower_bound(M, [[0, 1], [2, 3]], [0], [[1]])


def test_recorded_real_certificates_recheck_from_the_files():
    # the stored SUN / CUB certificates (benchmarks/bench_zsl.py --real sun cub --record-real)
    # give back the recorded ends when recomputed from the matrix and the file alone; CUB's
    # upper end is the repaired law of its column-generation master (cub_upper.npz)
    import json
    from pathlib import Path

    from analysis.zsl import load_benchmark
    from analysis.zsl.certify import check_certificate_file

    root = Path(__file__).resolve().parents[2]
    record = json.loads((root / "analysis/zsl/real_record.json").read_text())["benchmarks"]
    checked = 0
    for name, rec in record.items():
        if rec.get("route") == "certify":
            # both ends of a certified (not exact) interval are stored certificates
            assert set(rec.get("certificates") or {}) == {"upper", "lower"}, name
        for end, file in (rec.get("certificates") or {}).items():
            M, _, _ = load_benchmark(name)
            cert = check_certificate_file(root / file, M)
            bound = cert.upper if end == "upper" else cert.lower
            assert bound == pytest.approx(rec[end], abs=1e-12), (name, end)
            assert rec["lower"] <= rec["upper"]
            checked += 1
    if checked == 0:
        pytest.skip("no stored certificates recorded")

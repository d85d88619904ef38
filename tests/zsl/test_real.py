"""The bound on the shipped real benchmarks: certified intervals, checkpoints, greedy budgets."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.zsl import load_benchmark, worst_case_lower_bound
from analysis.zsl.bound import greedy_attribute_selection
from analysis.zsl.real import benchmark_interval, class_subset_comparison

# LP tolerance: HiGHS at 1e-10 feasibility, Q on scale 1 (see analysis/zsl/claims.py)
TOL = 1e-7


def _awa2_block(k=4, n=9):
    M, _, _ = load_benchmark("awa2")
    return M[:k, :n]


def test_apy_unseen_exact_with_interval():
    """aPY 12 x 64 (real) is solved exactly by class-subset column generation."""
    res = benchmark_interval("apy", cpu_time_limit=None, greedy_steps=2)
    assert res.exact and res.shape == (12, 64)
    assert res.width <= 1e-8
    # the greedy subset certificate is a valid lower bound (monotonicity)
    assert res.subset_lower <= res.upper + TOL
    assert 1 / 12 < res.lower <= res.upper <= 1


def test_checkpoint_resume_keeps_bounds(tmp_path):
    M = _awa2_block()
    exact = worst_case_lower_bound(M, "full").Q
    ck = tmp_path / "pool.npz"
    first = worst_case_lower_bound(M, "colgen-milp", max_iterations=1, checkpoint=ck, smoothing=0.0)
    assert ck.exists() and not list(tmp_path.glob("*.tmp"))
    resumed = worst_case_lower_bound(M, "colgen-milp", checkpoint=ck)
    # the resumed run starts from the saved interval: never a worse lower or upper end
    assert resumed.history[0]["lower"] >= first.lower - 1e-12
    assert resumed.history[0]["upper"] <= first.upper + 1e-12
    assert resumed.exact
    assert_allclose(resumed.Q, exact, atol=TOL)
    assert first.lower - TOL <= exact <= first.upper + TOL


def test_checkpoint_for_another_matrix_is_refused(tmp_path):
    ck = tmp_path / "pool.npz"
    worst_case_lower_bound(_awa2_block(), "colgen-milp", max_iterations=1, checkpoint=ck)
    with pytest.raises(ValueError, match="checkpoint"):
        worst_case_lower_bound(_awa2_block(n=8), "colgen-milp", checkpoint=ck)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="checkpoint"):
        worst_case_lower_bound(_awa2_block(), "colgen-milp", checkpoint=bad)


def test_time_limited_interval_brackets_exact_value():
    """A one-round solve of a real block certifies an interval that holds the exact Q."""
    M = _awa2_block(5, 10)
    exact = worst_case_lower_bound(M, "full").Q
    r = worst_case_lower_bound(M, "colgen-milp", max_iterations=1, smoothing=0.0)
    assert r.lower - TOL <= exact <= r.upper + TOL


def test_greedy_cpu_budget_stops_between_steps():
    M = _awa2_block(4, 12)
    full = greedy_attribute_selection(M, 3)
    cut = greedy_attribute_selection(M, 3, cpu_budget=1e-9)
    assert len(cut.order) < 3
    assert cut.order == full.order[: len(cut.order)]


def test_class_subset_comparison_all_attributes_at_least_greedy():
    out = class_subset_comparison("awa2", class_count=3, n_subsets=1, greedy_steps=2, seed=0)
    row = out[0]
    assert len(row["classes"]) == 3 and row["exact_all"]
    # more attributes never lower Q
    assert np.all(row["Q_greedy"] <= row["Q_all"] + TOL)


def test_real_figures_carry_provenance():
    import matplotlib.pyplot as plt

    from analysis._core.registry import render_figure
    from analysis.zsl.benchmarks import benchmark_provenance

    fig, data = render_figure("zsl_real_confusions", scale="quick", seed=0)
    plt.close(fig)
    assert data["data"] == benchmark_provenance("awa2")
    assert data["data"]["sha256"] and len(data["data"]["sha256"]) == 64


def test_separable_rho_bound_is_an_upper_bound_on_pricing():
    """The free certificate of heuristic-only rounds: sum_j max(0, max_v s_j(v)) >= rho."""
    from analysis.zsl.bound import _separable_rho_bound, price_bruteforce

    rng = np.random.default_rng(0)
    for _ in range(50):
        k, n = rng.integers(2, 6), rng.integers(1, 9)
        a, b = rng.normal(size=k), rng.normal(size=(k, n))
        rho, _ = price_bruteforce(a, b)
        assert _separable_rho_bound(a, b) >= rho - 1e-12


def test_history_records_master_and_pricing_time():
    r = worst_case_lower_bound(_awa2_block(), "colgen-milp", max_iterations=2)
    last = r.history[-1]
    assert last["master_cpu_seconds"] >= 0 and last["pricing_cpu_seconds"] >= 0
    assert last["master_cpu_seconds"] + last["pricing_cpu_seconds"] <= last["cpu_seconds"] + 1e-6

"""The interactive explorers (``analysis.<topic>.explore``), driven through the widgets' Python API.

No browser: setting a control's ``.value`` fires the same observer a slider release does. Each
test moves one control, checks that the shown result changed, and that it equals the library's
direct result for the new values (same inputs, same code path, same process: bit for bit).
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

pytest.importorskip("ipywidgets")

from analysis import TOPICS  # noqa: E402


def _explore(topic):
    return importlib.import_module(f"analysis.{topic}").explore


# --------------------------------------------------------------------------- every explorer
#: One control per topic and a value to move it to (from each explorer's default).
MOVES = {
    "neural_collapse": ("temperature", 0.5),
    "zsl": ("attributes", (0, 1, 2)),
    "continual": ("n_iterations", 5),
    "implicit_reg": ("width", 3),
    "inductive_bias": ("n_samples", 100),
    "contrastive": ("n_negatives", 256),
    "representers": ("test_index", 2),
}


@pytest.mark.parametrize("topic", TOPICS)
def test_explorer_shows_a_result_debounces_and_caches(topic):
    import ipywidgets

    ex = _explore(topic)()
    assert isinstance(ex, ipywidgets.VBox)
    assert ex.result is not None and ex.error is None
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.summary.value
    assert ex.controls and set(ex.params) == set(ex.controls)
    for name, control in ex.controls.items():
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False, f"{topic}.{name} recomputes during a drag"
    # move one control to another value and back: the second visit is a cache hit
    name, other = MOVES[topic]
    control = ex.controls[name]
    first, png = ex.result, ex.image.value
    old = control.value
    control.value = other
    assert ex.n_computed == 2 and ex.result is not first
    assert ex.image.value != png
    control.value = old
    assert ex.n_computed == 2 and ex.cache_info()["hits"] == 1
    assert ex.result is first and ex.image.value == png


def test_set_changes_several_controls_with_one_computation():
    from analysis.neural_collapse import explore

    ex = explore(n_classes=3, n_majority=10, ratio=2.0, temperature=0.2)
    ex.set(ratio=4.0, relu=False)
    assert ex.n_computed == 2
    assert ex.params == {"ratio": 4.0, "temperature": 0.2, "relu": False}
    with pytest.raises(ValueError, match="values: unknown controls"):
        ex.set(tau=0.3)


def test_missing_ipywidgets_is_a_clear_error(monkeypatch):
    from analysis.neural_collapse import explore

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    with pytest.raises(ImportError, match=r"ipywidgets >= 8.*pip install"):
        explore()


@pytest.mark.parametrize("topic, kwargs, name", [
    ("neural_collapse", {"n_majority": 20, "ratio": 11.0}, "ratio"),
    ("neural_collapse", {"temperature": 0.0}, "temperature"),
    ("zsl", {"M": "imagenet"}, "M"),
    ("zsl", {"classes": [0, 0, 1]}, "classes"),
    ("zsl", {"attributes": list(range(13))}, "attributes"),
    ("zsl", {"M": np.full((3, 2), 1.5)}, "M"),
    ("continual", {"instance": "ring"}, "instance"),
    ("continual", {"n_tasks": 6}, "n_tasks"),
    ("implicit_reg", {"alpha": 1.0}, "alpha"),
    ("implicit_reg", {"n_seeds": 10**12}, "n_seeds"),
    ("inductive_bias", {"n_samples": 7}, "n_samples"),
    ("inductive_bias", {"eps_fraction": 0.0}, "eps_fraction"),
    ("contrastive", {"n_negatives": 3}, "n_negatives"),
    ("representers", {"test_index": 5, "n_test": 5}, "test_index"),
    ("representers", {"dataset": "mnist"}, "dataset"),
])
def test_bad_arguments_are_named(topic, kwargs, name):
    with pytest.raises(ValueError, match=name):
        _explore(topic)(**kwargs)


# --------------------------------------------------------------------------- per topic
def test_neural_collapse_ratio_and_relu_match_the_solver():
    from analysis.neural_collapse import explore, solve_scl_ufm, step_imbalanced_counts
    from analysis.neural_collapse.metrics import etf_gram_distance

    ex = explore(n_classes=3, n_majority=10, ratio=1.0, temperature=0.2, relu=False)
    before = ex.result["scl"].class_gram.copy()
    ex.controls["ratio"].value = 5.0
    counts = step_imbalanced_counts(3, 10, 5.0)
    direct = solve_scl_ufm(counts, temperature=0.2, nonnegative=False, reduction="class_block")
    assert not np.array_equal(ex.result["scl"].class_gram, before)
    assert_array_equal(ex.result["counts"], counts)
    assert_array_equal(ex.result["scl"].class_gram, direct.class_gram)
    assert ex.result["of_distance"] == direct.of_distance
    assert ex.result["etf_distance"] == etf_gram_distance(direct.class_gram)
    ex.controls["relu"].value = True
    relu = solve_scl_ufm(counts, temperature=0.2, nonnegative=True, reduction="class_block")
    assert_array_equal(ex.result["scl"].class_gram, relu.class_gram)


def test_zsl_selection_matches_the_bound_and_refuses_an_empty_selection():
    from analysis.zsl import explore, load_benchmark, worst_case_lower_bound
    from analysis.zsl.baselines import predicted_confusion

    ex = explore("awa2", classes=[0, 1, 2], attributes=[0, 1])
    q_before = ex.result["Q"]
    ex.controls["attributes"].value = (0, 1, 4, 7)
    M, _, _ = load_benchmark("awa2")
    direct = worst_case_lower_bound(M[np.ix_([0, 1, 2], [0, 1, 4, 7])])
    assert ex.result["Q"] != q_before
    assert ex.result["Q"] == direct.Q
    assert_array_equal(ex.result["confusion"], predicted_confusion(direct.adversary))
    ex.controls["classes"].value = (3,)
    assert ex.result is None and "classes" in ex.error and ex.image.value == b""
    ex.controls["classes"].value = (0, 1, 2)  # back to a cached selection
    assert ex.result["Q"] == direct.Q and ex.error is None


def test_zsl_accepts_a_matrix_of_ones_own():
    from analysis.zsl import explore, worst_case_lower_bound

    M = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.5], [0.5, 0.5, 0.1]])
    ex = explore(M, classes=[0, 1], attributes=[0], class_names=["a", "b", "c"])
    ex.controls["classes"].value = (0, 1, 2)
    assert ex.result["Q"] == worst_case_lower_bound(M[:, [0]]).Q


def test_continual_order_decides_the_smm_limit():
    from analysis.continual import (
        cone_counterexample_tasks,
        cyclic_order,
        explore,
        offline_max_margin,
        random_order,
        sequential_max_margin,
    )

    ex = explore("cone", n_iterations=4)
    tasks = cone_counterexample_tasks()
    w_star = offline_max_margin(tasks)
    stops_short = ex.result["distance_to_w_star"][-1]
    ex.controls["cycle"].value = (1, 0)
    direct = sequential_max_margin(tasks, np.array([1, 0])[cyclic_order(2, 4)])
    assert_array_equal(ex.result["iterates"], direct)
    assert_array_equal(ex.result["w_star"], w_star)
    assert stops_short > 0.1 > ex.result["distance_to_w_star"][-1]
    ex.set(ordering="random", order_seed=7)
    order = random_order(2, 4, 7)
    assert_array_equal(ex.result["order"], order)
    assert_array_equal(ex.result["iterates"], sequential_max_margin(tasks, order))


def test_implicit_reg_alpha_matches_run_tubal_gd():
    from analysis.implicit_reg import explore, run_tubal_gd

    ex = explore(alpha=1e-2, width=4, n_seeds=1, n_iter=60)
    before = ex.result.test_error.copy()
    ex.controls["alpha"].value = 1e-4
    i = ex.inputs
    direct = run_tubal_gd(i["problem"], width=4, alpha=1e-4, step=i["step"], n_iter=60,
                          record_every=i["record_every"], init_seed=i["init_seed"],
                          track_power=False)
    assert not np.array_equal(ex.result.test_error, before)
    assert_array_equal(ex.result.test_error, direct.test_error)
    assert_array_equal(ex.result.train_error, direct.train_error)


def test_inductive_bias_eps_matches_the_exact_value_and_the_estimator():
    from analysis.inductive_bias import (
        explore,
        gaussian_inductive_bias,
        ncx2_inductive_bias,
        sample_gaussian_losses,
    )

    ex = explore(n_samples=100)
    before = ex.result["exact"]
    eps = 3.0 * 10 ** ex.controls["eps"].min  # a log slider's min is an exponent
    ex.controls["eps"].value = eps
    i = ex.inputs
    losses = sample_gaussian_losses(i["mean"], i["cov"], i["target"], 100, rng=i["loss_seed"])
    assert ex.result["exact"] > before
    assert ex.result["exact"] == gaussian_inductive_bias(i["mean"], i["cov"], i["target"], eps)
    assert ex.result["estimate"] == ncx2_inductive_bias(losses, eps)
    assert_array_equal(ex.result["losses"], losses)


def test_contrastive_temperature_matches_the_limit_bounds_and_monte_carlo():
    from analysis.contrastive import (
        explore,
        infonce_gap_bounds,
        infonce_gap_expansion,
        infonce_limit,
        infonce_minus_log_m,
    )

    ex = explore(temperature=0.5, n_negatives=16, n_pairs=100, n_samples=500)
    before = ex.result["limit"]["limit"]
    ex.controls["temperature"].value = 1.0
    i = ex.inputs
    lim = infonce_limit(i["anchor"], i["positive"], temperature=1.0, normalize=True)
    Ms = ex.result["M"]
    lo, hi = infonce_gap_bounds(Ms, 1.0, lim["mean_conditional_variance"])
    bracket = infonce_gap_expansion(i["anchor"], i["positive"], Ms, temperature=1.0,
                                    normalize=True)
    est = infonce_minus_log_m(i["anchor"], i["positive"], 16, i["n_samples"], temperature=1.0,
                              rng=i["mc_seed"], normalize=True, control_variate=lim["per_anchor"])
    assert ex.result["limit"]["limit"] != before
    assert ex.result["limit"]["limit"] == lim["limit"]
    assert_array_equal(ex.result["bound_upper"], hi)
    assert_array_equal(ex.result["bound_lower"], lo)
    assert_array_equal(ex.result["bracket_upper"], bracket["upper"])
    assert ex.result["estimate"].mean == est.mean


def test_representers_lambda_matches_the_decomposition_and_deletion():
    from analysis.representers import deletion_changes, explore, l1_representers

    ex = explore(lam=0.05, test_index=1)
    before = ex.result["values"].copy()
    ex.controls["lam"].value = 0.1
    i = ex.inputs
    direct = l1_representers(i["X"], i["y"], 0.1, i["X_test"])
    changes = deletion_changes(i["X"], i["y"], 0.1, i["X_test"][1:2], direct.values[1:2],
                               theta=direct.theta)
    assert not np.array_equal(ex.result["values"], before)
    assert_array_equal(ex.result["values"], direct.values[1])
    assert_array_equal(ex.result["changes"], changes[0])

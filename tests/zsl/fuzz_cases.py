"""Valid calls of the zsl public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np

from analysis.zsl.bound import worst_case_lower_bound
from analysis.zsl.partition import PartitionTree


def _M(rng):
    return np.clip(rng.random((4, 3)), 0.05, 0.95)


def _evaluate_baselines(rng):
    M = _M(rng)
    return {"M": M, "M_seen": _M(rng), "adversary": worst_case_lower_bound(M).adversary,
            "n_train": 50, "n_test": 50, "seed": 0}


def _map_and_matrix(rng):
    M = _M(rng)
    return {"h": worst_case_lower_bound(M).randomized_map, "M": M}


def _csv(rng):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp(prefix="zsl_fuzz_")) / "matrix.csv"
    np.savetxt(path, _M(rng), delimiter=",")
    return {"path": str(path), "delimiter": ",", "skiprows": 0}


CASES = {
    "benchmark_interval": lambda rng: {
        "name": "apy", "split": "unseen", "cpu_time_limit": 60.0, "milp_time_limit": 10.0,
        "greedy_steps": 0, "greedy_cpu_budget": 10.0, "max_iterations": 2},
    "certified_interval": lambda rng: {
        "name": "apy", "split": "unseen", "hub": np.array([0, 1, 63]), "hub_steps": 3,
        "hub_cpu_budget": 10.0, "group_size": 6, "upper_subgroup_size": 3, "star_group_size": 6, "private": 2,
        "upper_cpu_time_limit": 5.0, "lower_cpu_time_limit": 5.0, "upper": True, "lower": True},
    "class_subset_comparison": lambda rng: {"name": "apy", "class_count": 2, "n_subsets": 1,
                                            "greedy_steps": 1, "seed": 0},
    "awa_like_matrix": lambda rng: {"k": 4, "n": 5, "n_clusters": 2, "spread": 0.15, "seed": 0},
    "benchmark_provenance": lambda rng: {"name": "awa2"},
    "dap_predict": lambda rng: {"M": _M(rng), "V": (rng.random((6, 3)) < 0.5).astype(float), "eps": 1e-3},
    "evaluate_baselines": _evaluate_baselines,
    "fit_eszsl": lambda rng: {"V": rng.random((8, 3)), "labels": np.arange(8) % 4, "S_seen": _M(rng),
                              "gamma": 10.0, "lam": 10.0},
    "greedy_attribute_selection": lambda rng: {"M": _M(rng), "n_select": 2, "method": "auto",
                                               "tie_tol": 1e-9},
    "load_benchmark": lambda rng: {"name": "awa2", "split": "unseen", "missing": "zero"},
    "load_class_attribute_matrix": _csv,
    "sample_natural": lambda rng: {"M": _M(rng), "size": 10, "rng": 0},
    "validate_class_attribute_matrix": lambda rng: {"M": _M(rng), "name": "M",
                                                    "duplicate_columns": "keep"},
    "worst_case_accuracy": _map_and_matrix,
    "tree_lower_bound": lambda rng: {"M": _M(rng), "tree": PartitionTree.complete(3, [0, 1])},
    "tree_dual_bound": lambda rng: {"M": _M(rng), "a": np.ones(4), "b": np.zeros((4, 3)),
                                    "tree": PartitionTree.complete(3, [2])},
    "grow_partition_tree": lambda rng: {
        "M": _M(rng), "hub": np.array([0]), "cpu_budget": 5.0, "max_leaves": 8, "max_rounds": 3,
        "split_fraction": 0.5, "heuristic": "gain"},
    "worst_case_lower_bound": lambda rng: {
        "M": _M(rng), "method": "auto", "tol": 1e-9, "max_iterations": 50, "time_limit": 10.0,
        "smoothing": 0.5, "duplicate_columns": "keep"},
}
EXEMPT = {
    "AdversarialJoint": "result container returned by worst_case_lower_bound",
    "BenchmarkInterval": "result container returned by benchmark_interval",
    "GreedyPath": "result container",
    "PartitionTree": "a tree container; its constructor checks the partition (tests/zsl/test_partition.py)",
    "TreeCertificate": "result container returned by tree_lower_bound / grow_partition_tree",
    "LowerBoundResult": "result container",
    "RandomizedMap": "result container",
}
ALLOW = {
    "dap_predict": {"V": {"empty"}},  # no test points: no predictions (an empty array), not an error
    # the name is only the label used in error messages: any string is valid
    "validate_class_attribute_matrix": {"name": {"unknown"}},
}
ALLOW["worst_case_lower_bound"] = {
    "max_iterations": {"huge"},  # a cap on rounds, not a size: nothing is allocated from it
    "time_limit": {"inf"},  # no time limit, like None
}
ALLOW["benchmark_interval"] = {
    "greedy_steps": {"zero"},  # no greedy certificate: only column generation's
    "max_iterations": {"huge"},  # a cap on rounds, not a size
    "cpu_time_limit": {"inf"}, "milp_time_limit": {"inf"}, "greedy_cpu_budget": {"inf"},  # no limit
}
ALLOW["grow_partition_tree"] = {
    "max_leaves": {"huge"}, "max_rounds": {"huge"},  # caps, not sizes: nothing is allocated
}
ALLOW["certified_interval"] = {
    "private": {"zero"},  # no private attributes: the hub-only star (the greedy-subset bound)
    # no limit, like None
    "upper_cpu_time_limit": {"inf"}, "lower_cpu_time_limit": {"inf"}, "hub_cpu_budget": {"inf"},
}
ALLOW["load_class_attribute_matrix"] = {"skiprows": {"zero"}}  # no header: the default

# the interactive explorer on a matrix of one's own (a benchmark name is the other kind of M)
CASES["explore"] = lambda rng: {"M": np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.5],
                                               [0.5, 0.5, 0.1]]),
                                "classes": np.array([0, 1]), "attributes": np.array([0, 2])}

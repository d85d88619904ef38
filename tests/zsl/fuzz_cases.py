"""Valid calls of the zsl public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np


def _M(rng):
    return np.clip(rng.random((4, 3)), 0.05, 0.95)


CASES = {
    "awa_like_matrix": lambda rng: {"k": 4, "n": 5, "spread": 0.15, "seed": 0},
    "dap_predict": lambda rng: {"M": _M(rng), "V": (rng.random((6, 3)) < 0.5).astype(float), "eps": 1e-3},
    "sample_natural": lambda rng: {"M": _M(rng), "size": 10, "rng": 0},
    "validate_class_attribute_matrix": lambda rng: {"M": _M(rng)},
    "worst_case_lower_bound": lambda rng: {"M": _M(rng), "tol": 1e-9},
    "fit_eszsl": lambda rng: {"V": rng.random((8, 3)), "labels": np.arange(8) % 4, "S_seen": _M(rng),
                              "gamma": 10.0, "lam": 10.0},
    "greedy_attribute_selection": lambda rng: {"M": _M(rng), "n_select": 2},
}
EXEMPT = {
    "AdversarialJoint": "result container returned by worst_case_lower_bound",
    "GreedyPath": "result container",
    "LowerBoundResult": "result container",
    "RandomizedMap": "result container",
}
ALLOW = {
    "dap_predict": {"V": {"empty"}},  # no test points: no predictions (an empty array), not an error
}

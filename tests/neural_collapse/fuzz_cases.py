"""Valid calls of the neural_collapse public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np


def _counts(rng):
    return np.array([3, 3, 2], dtype=np.int64)


def _features(rng):
    y = np.repeat(np.arange(3), [3, 3, 2])
    H = rng.standard_normal((8, 4)) + 3.0 * np.eye(3, 4)[y]
    return H, y


def _nc_metrics(rng):
    H, y = _features(rng)
    return {"H": H, "y": y, "W": rng.standard_normal((3, 4)), "b": rng.standard_normal(3),
            "nc1_variant": "papyan", "global_mean": "class_means"}


def _nc1(rng):
    H, y = _features(rng)
    return {"H": H, "y": y, "variant": "papyan", "global_mean": "class_means", "n_classes": 3}


def _of_distance(rng):
    H, y = _features(rng)
    return {"H": np.abs(H), "y": y, "n_classes": 3}


def _scl_loss(rng):
    y = np.repeat(np.arange(3), [3, 3, 2])
    Z = rng.standard_normal((8, 5))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    return {"G": Z @ Z.T, "labels": y, "temperature": 0.5}


def _batches(rng):
    return [np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7])]


CASES = {
    "batching_condition": lambda rng: {"batches": _batches(rng),
                                       "labels": np.repeat(np.arange(3), [3, 3, 2])},
    "bind_batches": lambda rng: {"batches": _batches(rng),
                                 "labels": np.repeat(np.arange(3), [3, 3, 2]), "rng": 0},
    "collapsed_etf_features": lambda rng: {"counts": _counts(rng), "d": 4, "scale": 1.0,
                                           "noise": 0.1, "rng": 0},
    "etf_gram": lambda rng: {"C": 3},
    "labels_from_counts": lambda rng: {"counts": _counts(rng)},
    "nc1_within_class": _nc1,
    "nc_metrics": _nc_metrics,
    "of_distance": _of_distance,
    "orthogonal_frame": lambda rng: {"C": 3, "d": 4, "rng": 0},
    "random_batches": lambda rng: {"n_samples": 10, "batch_size": 4, "rng": 0},
    "scl_loss_from_gram": _scl_loss,
    "simplex_etf": lambda rng: {"C": 3, "d": 4, "rng": 0},
    "solve_scl_ufm": lambda rng: {"counts": _counts(rng), "temperature": 0.5, "nonnegative": True,
                                  "reduction": "class_block", "solver": "CLARABEL", "tol": 1e-8},
    "step_imbalanced_counts": lambda rng: {"n_classes": 4, "n_majority": 10, "ratio": 2.0,
                                           "minority_fraction": 0.5},
    "train_ce_ufm": lambda rng: {
        "counts": _counts(rng), "d": 4, "epochs": 3, "lr": 0.5, "weight_decay_w": 5e-3,
        "weight_decay_h": 5e-3, "weight_decay_b": 5e-3, "loss": "label_smoothing",
        "smoothing": 0.1, "class_weighting": "none", "within_class_weight": 0.1,
        "between_class_weight": 0.1, "record_every": 2, "init_scale": 0.1, "seed": 0,
        "device": "cpu", "dtype": "float64"},
    "train_scl_ufm": lambda rng: {
        "counts": _counts(rng), "d": 4, "temperature": 0.5, "relu": True, "batches": _batches(rng),
        "epochs": 3, "lr": 0.3, "record_every": 2, "seed": 0, "device": "cpu",
        "dtype": "float64"},
}
EXEMPT = {}
# counts ``max + 7``: a larger class is a valid class count (any positive integers are)
_LARGER_CLASS = {"counts": {"out_of_range"}}
ALLOW = {
    "collapsed_etf_features": _LARGER_CLASS,
    "labels_from_counts": _LARGER_CLASS,
    "random_batches": {"batch_size": {"huge"}},  # >= n_samples: one full batch (nothing allocated)
    "solve_scl_ufm": _LARGER_CLASS,
    # only C integers are returned: 10**12 samples per majority class is a description, not an
    # allocation (a function that expands the counts checks its own budget)
    "step_imbalanced_counts": {"n_majority": {"huge"}},
    "train_ce_ufm": {
        "counts": {"out_of_range"},  # a larger class
        "epochs": {"zero"},  # no step: the metrics of the initialisation
        "record_every": {"huge"},  # record only the first and the last epoch
    },
    "train_scl_ufm": {
        "epochs": {"zero"},  # no step: the OF distance of the initialisation
        "record_every": {"huge"},  # record only the first and the last epoch
    },
}

# the interactive explorer: every argument is checked before a widget is built or a solve runs
CASES["explore"] = lambda rng: {"n_classes": 3, "n_majority": 10, "ratio": 2.0,
                                "temperature": 0.2, "relu": True, "minority_fraction": 0.5}

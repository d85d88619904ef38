"""Valid calls of the implicit_reg public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np


def _tensor(rng, n1=3, n2=2, k=3):
    return rng.standard_normal((n1, n2, k))


def _problem():
    from analysis.implicit_reg import make_tubal_sensing_problem

    return make_tubal_sensing_problem(3, 2, 1, c=1.0, n_seeds=1, seed=0)


def _completion(rng):
    from analysis.implicit_reg import completion_instance

    return completion_instance(4, 1, 10, rng=0)


def _separable():
    from analysis.implicit_reg import separable_dataset

    return separable_dataset(8, 3, margin=0.2, rng=0)


def _sensing_mats(rng, m=6, n=3):
    A = rng.standard_normal((m, n, n))
    X = np.eye(n)[:, :1] @ np.eye(n)[:1]
    return {"A_mats": A, "y": np.einsum("mij,ij->m", A, X), "U0": 1e-3 * rng.standard_normal((n, 2)),
            "step": 1e-2, "n_iter": 5}


def _mlp(rng):
    # labels that the net fits within n_steps, so steps_to_fit is a number (NaN means "never")
    X = rng.standard_normal((10, 3))
    labels = np.stack([(X[:, 0] > 0), (X[:, 1] > 0)]).astype(np.int64)
    return {"X": X, "labels": labels, "hidden": 16, "n_steps": 20, "lr": 5e-2, "weight_decay": 0.0,
            "n_classes": 2, "seed": 0, "device": "cpu", "dtype": "float32", "record_every": 2,
            "X_test": rng.standard_normal((4, 3)), "y_test": np.array([0, 1, 1, 0], dtype=np.int64)}


def _logistic(rng):
    X, y = _separable()
    return {"X": X, "y": y, "n_iter": 20, "step": 0.1, "record": np.array([1, 5, 20])}


def _direction(rng):
    from analysis.implicit_reg import logistic_gd, max_margin_directions

    X, y = _separable()
    return {"w": logistic_gd(X, y, n_iter=20, record=[1, 5, 20])["w"],
            "w_ref": max_margin_directions(X, y)}


CASES = {
    "block_circulant": lambda rng: {"A": _tensor(rng)},
    "code_step_from_paper_step": lambda rng: {"paper_step": 0.5, "m": 10},
    "completion_instance": lambda rng: {"n": 5, "rank": 2, "n_observed": 12, "rng": 0},
    "deep_mf_gd": lambda rng: dict(zip(("M", "mask"), _completion(rng), strict=True), depth=2,
                                   init_scale=1e-2, step=0.5, n_iter=5, seed=0, n_seeds=2,
                                   device="cpu", dtype="float64", record_every=2),
    "direction_error": _direction,
    "effective_rank": lambda rng: {"M": rng.standard_normal((4, 3))},
    "fit_mlp_batch": _mlp,
    "logistic_gd": _logistic,
    "make_tubal_sensing_problem": lambda rng: {"n": 3, "k": 2, "rank": 1, "c": 1.0, "n_seeds": 2,
                                               "seed": 0, "symmetric": False, "noise_std": 0.1,
                                               "device": "cpu", "dtype": "float64"},
    "matrix_sensing_gd": _sensing_mats,
    "max_margin_directions": lambda rng: dict(zip(("X", "y"), _separable(), strict=True)),
    "measurement_count": lambda rng: {"n": 10, "k": 4, "rank": 2, "c": 1.2},
    "min_nuclear_norm_completion": lambda rng: dict(zip(("M", "mask"), _completion(rng), strict=True),
                                                    solver="SCS", eps=1e-6),
    "random_label_dataset": lambda rng: {"n": 10, "d": 3, "label_noise": 0.5, "n_classes": 3,
                                         "rng": 0},
    "relu_interpolant": lambda rng: {"X": rng.standard_normal((6, 3)), "y": rng.standard_normal(6),
                                     "rng": 0, "biases": "interleaved"},
    "run_tubal_gd": lambda rng: {"problem": _problem(), "width": 4, "alpha": 1e-3, "step": 1e-3,
                                 "n_iter": 5, "record_every": 2, "init_seed": 0, "method": "gram",
                                 "effective_width": 2, "track_power": True},
    "separable_dataset": lambda rng: {"n": 8, "d": 3, "margin": 0.2, "rng": 0},
    "symmetric_dimension": lambda rng: {"n": 4, "k": 3},
    "t_identity": lambda rng: {"n": 3, "k": 4},
    "t_product": lambda rng: {"A": _tensor(rng), "B": _tensor(rng, 2, 4, 3)},
    "t_product_block_circulant": lambda rng: {"A": _tensor(rng), "B": _tensor(rng, 2, 4, 3)},
    "t_svd": lambda rng: {"A": _tensor(rng)},
    "t_transpose": lambda rng: {"A": _tensor(rng)},
    "tubal_principal_angle": lambda rng: {"U": _tensor(rng, 4, 2, 3), "V": _tensor(rng, 4, 3, 3)},
    "tubal_rank": lambda rng: {"A": _tensor(rng), "tol": 1e-8},
    "tubal_singular_values": lambda rng: {"A": _tensor(rng)},
}
EXEMPT = {
    "TubalGDTrajectory": "result container returned by run_tubal_gd",
    "TubalSensingProblem": "result container returned by make_tubal_sensing_problem",
}
ALLOW = {
    # formulas of integers: any size is a valid input and nothing of that size is allocated
    "code_step_from_paper_step": {"m": {"huge"}},
    "measurement_count": {"n": {"huge"}, "k": {"huge"}},
    "symmetric_dimension": {"n": {"huge"}, "k": {"huge"}},
    # record_every is a stride: beyond n_iter / n_steps it records only the first and last step
    "deep_mf_gd": {"record_every": {"huge"}},
    "fit_mlp_batch": {"record_every": {"huge"}},
    # zero steps is a valid run: the initial factor and its loss
    "matrix_sensing_gd": {"n_iter": {"zero"}},
    # init_seed is a seed (any non-negative integer) under its own name
    "run_tubal_gd": {"record_every": {"huge"}, "init_seed": {"zero", "huge"}},
    # leading axes are documented batch axes (a batch of one); w_ref broadcasts against w
    "direction_error": {"w": {"ndim+1"}, "w_ref": {"ndim+1"}},
    "t_product": {"A": {"ndim+1"}, "B": {"ndim+1"}},
    "t_svd": {"A": {"ndim+1"}},
    "t_transpose": {"A": {"ndim+1"}},
    "tubal_principal_angle": {"U": {"ndim+1"}, "V": {"ndim+1"}},
    "tubal_singular_values": {"A": {"ndim+1"}},
}

# the interactive explorer (analysis/implicit_reg/explore.py), covered once it is exported
import analysis.implicit_reg as _ir  # noqa: E402

if "explore" in _ir.__all__:
    CASES["explore"] = lambda rng: {"alpha": 1e-3, "width": 4, "n_seeds": 1, "n_iter": 20, "seed": 0}

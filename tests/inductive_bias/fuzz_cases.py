"""Valid calls of the inductive_bias public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np

from analysis.inductive_bias.gchisq import GChiSq
from analysis.inductive_bias.mlp import init_mlp_ensemble


def _train(rng):
    X = rng.standard_normal((6, 2))
    return X, np.eye(2)[np.arange(6) % 2]


def _law(rng):
    return GChiSq.make(np.array([0.5, 0.3, 0.2]), np.array([2.0, 2.0, 2.0]), np.array([0.4, 0.1, 0.0]))


def _gaussian(rng):
    A = rng.standard_normal((4, 4))
    return {"mean": rng.standard_normal((4, 2)), "cov": A @ A.T / 4, "target": rng.standard_normal((4, 2))}


def _losses(rng):
    return 0.2 + rng.chisquare(4, 40) * 0.1


def _gp(rng):
    X, Y = _train(rng)
    return {"X_train": X, "Y_train": Y, "X_test": rng.standard_normal((3, 2))}


def _mlp_data(rng):
    X, Y = _train(rng)
    return {"X_train": X, "Y_train": Y}


def _mlp_loop(rng):
    return {**_mlp_data(rng), "init": init_mlp_ensemble(2, 2, 4, 1, 2, seed=0), "steps": 3, "lr": 1e-2}


def _mlp_losses(rng):
    X, Y = _train(rng)
    return {"model": init_mlp_ensemble(2, 2, 4, 1, 2, seed=0), "X_test": X, "Y_test": Y}


def _bound(rng):
    return {"eps": 0.1, "n": 50, "m": 3, "R": 2.0, "delta": 0.5, "D": 2, "n_discrete": 3, "B": 1.0}


CASES = {
    "GChiSq": lambda rng: {"weights": np.array([0.5, 0.3]), "dof": np.array([1.0, 2.0]),
                           "noncentrality": np.array([0.2, 0.0]), "offset": 0.1},
    "digits_task": lambda rng: {"k": 3, "n_train": 20, "n_test": 10, "rng": 0},
    "empirical_inductive_bias": lambda rng: {"losses": _losses(rng), "eps": 0.5},
    "fit_scaled_ncx2": lambda rng: {"losses": _losses(rng), "start": "moments"},
    "gaussian_inductive_bias": lambda rng: {**_gaussian(rng), "eps": 0.5, "psd_tol": 1e-9},
    "gaussian_loss_law": lambda rng: {**_gaussian(rng), "psd_tol": 1e-9},
    "gchisq_log_cdf": lambda rng: {"x": 0.5, "law": _law(rng), "rtol": 1e-10},
    "gp_posterior": lambda rng: {**_gp(rng), "lengthscale": 1.0, "variance": 1.0, "jitter": 1e-10},
    "gp_posterior_samples": lambda rng: {"X_train": _gp(rng)["X_train"], "Y_train": _gp(rng)["Y_train"],
                                         "X_eval": rng.standard_normal((3, 2)), "n_samples": 5, "rng": 0,
                                         "lengthscale": 1.0, "variance": 1.0, "jitter": 1e-10},
    "init_mlp_ensemble": lambda rng: {"n_models": 2, "input_dim": 2, "width": 4, "depth": 1,
                                      "output_dim": 2, "seed": 0, "device": "cpu", "dtype": "float64"},
    "mlp_test_losses": _mlp_losses,
    "ncx2_inductive_bias": lambda rng: {"losses": _losses(rng), "eps": 0.3, "start": "moments",
                                        "fallback": "published"},
    "one_hot": lambda rng: {"labels": np.array([0, 2, 1, 2]), "n_classes": 3},
    "predecessor_bound_bits": _bound,
    "predecessor_bound_nats": _bound,
    "random_feature_models": lambda rng: {**_mlp_data(rng), "n_features": 10, "n_models": 3, "rng": 0,
                                          "lengthscale": 1.0, "variance": 1.0},
    "random_feature_posterior": lambda rng: {**_gp(rng), "n_features": 10, "rng": 0, "lengthscale": 1.0,
                                             "variance": 1.0},
    "rbf_kernel": lambda rng: {"A": rng.standard_normal((3, 2)), "B": rng.standard_normal((4, 2)),
                               "lengthscale": 1.0, "variance": 1.0},
    "ruben_log_cdf": lambda rng: {"x": 0.5, "law": _law(rng), "beta": 0.2, "rtol": 1e-12,
                                  "max_terms": 2000},
    "saddlepoint_log_cdf": lambda rng: {"x": 0.5, "law": _law(rng)},
    "sample_gaussian_losses": lambda rng: {**_gaussian(rng), "n_samples": 20, "rng": 0, "method": "chi2",
                                           "batch": 10, "device": "cpu", "psd_tol": 1e-9},
    "sankaran_log_cdf": lambda rng: {"x": 2.0, "df": 4.0, "nc": 1.0, "tail": "published"},
    "synthetic_task": lambda rng: {"dim": 2, "n_train": 10, "n_test": 5, "rng": 0},
    "train_mlp_ensemble": lambda rng: {**_mlp_data(rng), "n_models": 2, "width": 4, "depth": 1,
                                       "steps": 3, "lr": 1e-2, "tol": 1e-4, "seed": 0, "device": "cpu",
                                       "dtype": "float64"},
    "train_mlp_loop": _mlp_loop,
}
EXEMPT = {
    "GaussianPredictions": "result container returned by gp_posterior / random_feature_posterior",
    "MLPEnsemble": "result container returned by init_mlp_ensemble / train_mlp_ensemble",
    "NCX2Fit": "result container returned by fit_scaled_ncx2",
    "Task": "result container returned by synthetic_task / digits_task",
}
ALLOW = {
    # log P(Q <= x) of a non-negative law at x < 0 is exactly -inf (an event of probability zero)
    "gchisq_log_cdf": {"x": {"negative"}},
    "ruben_log_cdf": {"x": {"negative"}, "max_terms": {"huge"}},  # max_terms: a cap, nothing allocated
    "saddlepoint_log_cdf": {"x": {"negative"}},
    # closed-form formula in the sizes: nothing is allocated or iterated, any positive count is valid
    "predecessor_bound_bits": {"n": {"huge"}, "D": {"huge"}, "n_discrete": {"huge"}},
    "predecessor_bound_nats": {"n": {"huge"}, "D": {"huge"}, "n_discrete": {"huge"}},
    # an empty set of points has an empty (0, m) / (n, 0) Gram block, as scipy's cdist returns
    "rbf_kernel": {"A": {"empty"}, "B": {"empty"}},
    # batch caps the block size; blocks never exceed n_samples, so a huge batch allocates nothing more
    "sample_gaussian_losses": {"batch": {"huge"}},
}

# the interactive explorer: every argument is checked before the task is drawn
CASES["explore"] = lambda rng: {"dim": 3, "n_train": 10, "n_test": 5, "n_samples": 30,
                                "eps_fraction": 0.3, "seed": 0}

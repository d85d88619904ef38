"""Valid calls of the contrastive public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np

from analysis.contrastive import (
    feature_moments,
    make_gaussian_view_model,
    make_latent_class_model,
    make_subclass_dataset,
)


def _lcm():
    return make_latent_class_model(3, 4, sigma=0.5, rng=0)


def _gvm():
    return make_gaussian_view_model(4, 0.5, rng=0)


def _unit(rng, n, d):
    z = rng.standard_normal((n, d))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def _moments():
    M, Sigma = feature_moments()
    return M, Sigma


def _ds():
    return make_subclass_dataset(5, 6, rng=0)


def _spectral(rng):
    M, Sigma = _moments()
    return {"W": rng.standard_normal((2, 3)), "M": M, "Sigma": Sigma}


def _enc(W):
    return lambda x: x @ W.T


CASES = {
    "alignment": lambda rng: {"z1": _unit(rng, 6, 3), "z2": _unit(rng, 6, 3), "alpha": 2.0},
    "alignment_rotation_exact": lambda rng: {"dim": 3, "theta": 0.3, "alpha": 2.0},
    "best_linear_risk": lambda rng: {"model": _gvm(), "H": rng.standard_normal((2, 4)),
                                     "w": rng.standard_normal(4), "noise_var": 0.1},
    "bound_coefficients": lambda rng: {"n_classes": 4, "n_negatives": np.array([1, 2, 3])},
    "chi2_sufficiency_gap": lambda rng: {"model": _gvm(), "H": rng.standard_normal((2, 4))},
    "class_means_linear": lambda rng: {"W": rng.standard_normal((2, 4)), "model": _lcm()},
    "class_means_monte_carlo": lambda rng: {"encoder": _enc(rng.standard_normal((2, 4))),
                                            "model": _lcm(), "n_per_class": 20, "rng": 0},
    "collision_probability": lambda rng: {"rho": np.array([0.2, 0.3, 0.5]), "k": 2},
    "conditional_loss_linear": lambda rng: {
        "W": rng.standard_normal((2, 4)), "model": _lcm(), "x": rng.standard_normal((5, 4)),
        "c_pos": np.array([0, 1, 2, 0, 1]), "c_neg": np.array([1, 2, 0, 2, 0]), "block": 1,
        "loss": "logistic", "base": 2.0},
    "contrastive_scores": lambda rng: {"fx": rng.standard_normal((5, 3)),
                                       "f_pos": rng.standard_normal((5, 3)),
                                       "f_neg": rng.standard_normal((5, 2, 3))},
    "coverage_probability": lambda rng: {"n_classes": 4, "n_draws": np.array([1, 5, 10]),
                                         "method": "recursion"},
    "exact_losses_finite_model": lambda rng: {"features": rng.standard_normal((3, 2, 2)),
                                              "rho": np.array([0.2, 0.3, 0.5]), "k": 1,
                                              "loss": "logistic", "base": 2.0, "margin": 1.0},
    "feature_moments": lambda rng: {"easy_std": 2.0, "class_amp": 1.0, "sub_amp": 0.8,
                                    "aug_noise": np.array([1.0, 1.0, 1.0])},
    "feature_weights": lambda rng: {"W": rng.standard_normal((2, 3))},
    "gaussian_chi2": lambda rng: {"mean_diff": rng.standard_normal(3), "C1": np.eye(3),
                                  "C2": 2.0 * np.eye(3)},
    "gaussian_expected_loss": lambda rng: {"mean": rng.standard_normal(4), "std": np.full(4, 0.5),
                                           "loss": "logistic", "base": 2.0},
    "generalization_term": lambda rng: {"rademacher": 0.1, "feature_norm": 1.0, "n_unlabeled": 100,
                                        "delta": 0.05, "k": 1, "c_rademacher": 1.0,
                                        "c_concentration": 1.0},
    "gram_distance": lambda rng: {"W_a": rng.standard_normal((2, 3)),
                                  "W_b": rng.standard_normal((2, 3))},
    "hinge_loss": lambda rng: {"v": rng.standard_normal(5), "margin": 1.0},
    "infonce_gap_bounds": lambda rng: {"n_negatives": np.array([4, 8]), "temperature": 0.5,
                                       "mean_conditional_variance": 0.2},
    "infonce_gap_expansion": lambda rng: {"anchor": _unit(rng, 6, 3), "positive": _unit(rng, 6, 3),
                                          "n_negatives": np.array([4, 8]), "temperature": 1.0,
                                          "order": 5},
    "infonce_limit": lambda rng: {"anchor": _unit(rng, 6, 3), "positive": _unit(rng, 6, 3),
                                  "temperature": 1.0},
    "infonce_loss": lambda rng: {"anchor": _unit(rng, 5, 3), "positive": _unit(rng, 5, 3),
                                 "negatives": _unit(rng, 4, 3), "temperature": 0.5,
                                 "reduction": "mean"},
    "infonce_minus_log_m": lambda rng: {"anchor": _unit(rng, 6, 3), "positive": _unit(rng, 6, 3),
                                        "n_negatives": 4, "n_samples": 50, "temperature": 1.0,
                                        "rng": 0, "chunk_size": 16},
    "intra_class_concentration": lambda rng: {"encoder": _enc(rng.standard_normal((2, 4))),
                                              "model": _lcm(), "n_per_class": 50, "rng": 0},
    "kl_sufficiency_gap": lambda rng: {"model": _gvm(), "H": rng.standard_normal((2, 4))},
    "kl_sufficiency_gap_expected": lambda rng: {"model": _gvm(), "H": rng.standard_normal((2, 4))},
    "lemma_4_3_bound": lambda rng: {"unsupervised_loss": 0.5, "tau": 0.2},
    "lemma_4_4_constant": lambda rng: {"loss": "logistic", "base": 2.0},
    "linear_encoder": lambda rng: {"W": rng.standard_normal((2, 4))},
    "log_coverage_probability": lambda rng: {"n_classes": 4, "n_draws": np.array([1, 5, 10]),
                                             "method": "recursion"},
    "logistic_loss": lambda rng: {"v": rng.standard_normal(5), "base": 2.0},
    "make_gaussian_view_model": lambda rng: {"dim": 4, "aug_var": 0.5, "decay": 0.7, "rng": 0},
    "make_latent_class_model": lambda rng: {"n_classes": 3, "dim": 4, "sigma": 1.0,
                                            "rho": np.array([0.2, 0.3, 0.5]), "separation": 1.0,
                                            "rng": 0},
    "make_subclass_dataset": lambda rng: {"n_per_group": 5, "dim": 6, "easy_std": 2.0,
                                          "class_amp": 1.0, "sub_amp": 1.0, "noise_std": 0.3,
                                          "rng": 0},
    "min_norm_supervised_minimiser": lambda rng: {"X": make_subclass_dataset(2, 10, rng=0).X,
                                                  "y": make_subclass_dataset(2, 10, rng=0).y,
                                                  "out_dim": 2},
    "non_collapsed_minimiser": lambda rng: {"W": rng.standard_normal((2, 6)), "X": _ds().X,
                                            "direction_index": 3, "scale": 3.0},
    "ridge_downstream_risk": lambda rng: {"model": _gvm(), "H": rng.standard_normal((2, 4)),
                                          "w": rng.standard_normal(4), "n": 20, "ridge": 0.1,
                                          "noise_var": 0.1, "n_rep": 5, "rng": 0},
    "sample_uniform_sphere": lambda rng: {"n": 5, "dim": 3, "rng": 0},
    "spectral_minimiser": lambda rng: {"M": _moments()[0], "Sigma": _moments()[1], "out_dim": 2},
    "spectral_population_loss": _spectral,
    "subclass_separation": lambda rng: {"W": rng.standard_normal((2, 6)), "X": _ds().X,
                                        "y": _ds().y, "z": _ds().z},
    "supervised_mean_loss": lambda rng: {
        "encoder": _enc(rng.standard_normal((2, 4))), "model": _lcm(),
        "class_means": rng.standard_normal((3, 2)), "n_samples": 50, "k": 1, "loss": "logistic",
        "rng": 0, "chunk_size": 16, "base": 2.0, "margin": 1.0},
    "supervised_mean_loss_linear_exact": lambda rng: {"W": rng.standard_normal((2, 4)),
                                                      "model": _lcm(), "loss": "logistic",
                                                      "base": 2.0},
    "supervised_spectral_loss": lambda rng: {"W": rng.standard_normal((2, 6)), "X": _ds().X,
                                             "y": _ds().y},
    "theorem_4_1_terms": lambda rng: {"unsupervised_loss_no_collision": 0.5, "concentration": 0.3,
                                      "tau": 0.2, "gen_m": 0.1, "loss": "logistic"},
    "theorem_6_1_bound": lambda rng: {"unsupervised_loss": 0.5, "rho": np.array([0.2, 0.3, 0.5]),
                                      "k": 2},
    "top_pca_encoder": lambda rng: {"model": _gvm(), "k": 2},
    "train_supervised_gd": lambda rng: {"X": _ds().X, "y": _ds().y, "out_dim": 2,
                                        "init_scale": 1e-3, "lr": 0.1, "steps": 20, "rng": 0},
    "train_unsupervised_gd": lambda rng: {"M": _moments()[0], "Sigma": _moments()[1], "out_dim": 2,
                                          "init_scale": 1e-3, "lr": 0.02, "steps": 20,
                                          "record_every": 5, "rng": 0},
    "uniformity": lambda rng: {"z": _unit(rng, 6, 3), "t": 2.0},
    "uniformity_kernel_mean": lambda rng: {"z": _unit(rng, 12, 3), "t": 2.0, "n_batches": 3},
    "uniformity_uniform_sphere": lambda rng: {"dim": 3, "t": 2.0},
    "unsupervised_loss": lambda rng: {
        "encoder": _enc(rng.standard_normal((2, 4))), "model": _lcm(), "n_samples": 50, "k": 1,
        "block": 1, "loss": "logistic", "rng": 0, "chunk_size": 16, "base": 2.0, "margin": 1.0},
}
EXEMPT = {
    "GaussianViewModel": "result container returned by make_gaussian_view_model",
    "LatentClassModel": "result container returned by make_latent_class_model",
    "MonteCarloEstimate": "result container",
}
ALLOW = {
    # a count of negatives: any integer >= 1 is valid (max + 7 is just a larger count)
    "bound_coefficients": {"n_negatives": {"out_of_range"}},
    "coverage_probability": {"n_draws": {"out_of_range"}},
    "log_coverage_probability": {"n_draws": {"out_of_range"}},
    "infonce_gap_bounds": {"n_negatives": {"out_of_range"}},
    "infonce_gap_expansion": {"n_negatives": {"out_of_range"}},
    # closed forms in dim, theta, k, n: nothing is allocated, a huge value is a valid limit case
    "alignment_rotation_exact": {"dim": {"huge"},
                                 "theta": {"negative"}},  # a rotation by -theta: same chord
    "uniformity_uniform_sphere": {"dim": {"huge"}},
    "collision_probability": {"k": {"huge"}},
    # block size b only divides the score variance (2 sigma^2 |W^T f(x)|^2 / b): closed form
    "conditional_loss_linear": {"block": {"huge"}},
    "generalization_term": {"n_unlabeled": {"huge"}, "k": {"huge"}},
    # scores of shape (..., k): a leading batch axis is valid; +inf masks an entry (documented)
    "hinge_loss": {"v": {"ndim+1", "inf"}},
    "logistic_loss": {"v": {"ndim+1", "inf"}},
    # rows of mean differences: a 2-D (1, m) input is one row
    "gaussian_chi2": {"mean_diff": {"ndim+1"}},
    # a scalar mean broadcasts against std (and vice versa): a (1, n) row is not, see the checks
    # chunk sizes are caps clamped to n_samples: a huge one allocates nothing more
    "infonce_minus_log_m": {"chunk_size": {"huge"}},
    "unsupervised_loss": {"chunk_size": {"huge"}},
    "supervised_mean_loss": {"chunk_size": {"huge"}},
    # class labels are only compared for equality (the same-class operator): max + 7 is a class
    "supervised_spectral_loss": {"y": {"out_of_range"}},
    "min_norm_supervised_minimiser": {"y": {"out_of_range"}},
    # zero steps returns the initialisation; record_every = 0 records nothing, a huge one only t = 0
    "train_supervised_gd": {"steps": {"zero"}, "y": {"out_of_range"}},
    "train_unsupervised_gd": {"steps": {"zero"}, "record_every": {"zero", "huge"}},
    # coordinate 0 is a valid direction; a negative scale moves the other way along it
    "non_collapsed_minimiser": {"direction_index": {"zero"}, "scale": {"negative"}},
}

# the interactive explorer: every argument is checked before the population is drawn
CASES["explore"] = lambda rng: {"temperature": 0.5, "n_negatives": 4, "n_pairs": 20,
                                "n_classes": 3, "dim": 3, "out_dim": 2, "n_samples": 200,
                                "seed": 0}

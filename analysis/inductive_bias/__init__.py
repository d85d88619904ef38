r"""Inductive bias a task requires: the published estimator, an exact Gaussian-space reference.

Reproduces Boopathy, Yue, Hwang, Iyer & Fiete (2024), "Towards Exact Computation of Inductive
Bias" (IJCAI 2024): :math:`I(\varepsilon) = -\log P_{h\sim p_h}[e(h) \le \varepsilon]`,
estimated by a scaled non-central chi-square fit to sampled test losses
(:func:`ncx2_inductive_bias`), and adds the exact value for Gaussian hypothesis spaces
(:func:`gaussian_inductive_bias`) against which the estimator's tail bias is measured.
"""

from analysis.inductive_bias.bound import predecessor_bound_bits, predecessor_bound_nats
from analysis.inductive_bias.data import Task, digits_task, one_hot, synthetic_task
from analysis.inductive_bias.estimators import (
    NCX2Fit,
    empirical_inductive_bias,
    fit_scaled_ncx2,
    gaussian_inductive_bias,
    gaussian_loss_law,
    ncx2_inductive_bias,
    sankaran_log_cdf,
)
from analysis.inductive_bias.explore import explore
from analysis.inductive_bias.gchisq import (
    GChiSq,
    gchisq_log_cdf,
    ruben_log_cdf,
    saddlepoint_log_cdf,
)
from analysis.inductive_bias.mlp import (
    MLPEnsemble,
    init_mlp_ensemble,
    mlp_test_losses,
    train_mlp_ensemble,
    train_mlp_loop,
)
from analysis.inductive_bias.samplers import (
    DEFAULT_JITTER,
    GaussianPredictions,
    gp_posterior,
    gp_posterior_samples,
    random_feature_models,
    random_feature_posterior,
    rbf_kernel,
    sample_gaussian_losses,
)

__all__ = [
    "DEFAULT_JITTER",
    "GChiSq",
    "GaussianPredictions",
    "MLPEnsemble",
    "NCX2Fit",
    "Task",
    "digits_task",
    "empirical_inductive_bias",
    "explore",
    "fit_scaled_ncx2",
    "gaussian_inductive_bias",
    "gaussian_loss_law",
    "gchisq_log_cdf",
    "gp_posterior",
    "gp_posterior_samples",
    "init_mlp_ensemble",
    "mlp_test_losses",
    "ncx2_inductive_bias",
    "one_hot",
    "predecessor_bound_bits",
    "predecessor_bound_nats",
    "random_feature_models",
    "random_feature_posterior",
    "rbf_kernel",
    "ruben_log_cdf",
    "saddlepoint_log_cdf",
    "sample_gaussian_losses",
    "sankaran_log_cdf",
    "synthetic_task",
    "train_mlp_ensemble",
    "train_mlp_loop",
]

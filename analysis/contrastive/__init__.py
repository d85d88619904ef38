"""Contrastive-learning theory: latent-class bounds, alignment and uniformity.

The latent-class bounds of Arora et al. (2019), the coefficient
comparison across negatives (Bao et al. 2022), and alignment / uniformity / InfoNCE on the sphere
(Wang & Isola 2020), with torch training of linear and small-MLP encoders.
"""

from analysis.contrastive.bounds import (
    bound_coefficients,
    generalization_term,
    intra_class_concentration,
    lemma_4_3_bound,
    lemma_4_4_constant,
    theorem_4_1_terms,
    theorem_6_1_bound,
)
from analysis.contrastive.data import (
    LatentClassModel,
    collision_probability,
    coverage_probability,
    log_coverage_probability,
    make_latent_class_model,
)
from analysis.contrastive.hypersphere import (
    alignment,
    alignment_rotation_exact,
    infonce_gap_bounds,
    infonce_limit,
    infonce_loss,
    infonce_minus_log_m,
    sample_uniform_sphere,
    uniformity,
    uniformity_kernel_mean,
    uniformity_uniform_sphere,
)
from analysis.contrastive.losses import (
    MonteCarloEstimate,
    class_means_linear,
    class_means_monte_carlo,
    conditional_loss_linear,
    contrastive_scores,
    exact_losses_finite_model,
    gaussian_expected_loss,
    hinge_loss,
    linear_encoder,
    logistic_loss,
    supervised_mean_loss,
    supervised_mean_loss_linear_exact,
    unsupervised_loss,
)

__all__ = [
    "LatentClassModel",
    "MonteCarloEstimate",
    "alignment",
    "alignment_rotation_exact",
    "bound_coefficients",
    "class_means_linear",
    "class_means_monte_carlo",
    "collision_probability",
    "conditional_loss_linear",
    "contrastive_scores",
    "coverage_probability",
    "exact_losses_finite_model",
    "gaussian_expected_loss",
    "generalization_term",
    "hinge_loss",
    "infonce_gap_bounds",
    "infonce_limit",
    "infonce_loss",
    "infonce_minus_log_m",
    "intra_class_concentration",
    "lemma_4_3_bound",
    "lemma_4_4_constant",
    "linear_encoder",
    "log_coverage_probability",
    "logistic_loss",
    "make_latent_class_model",
    "sample_uniform_sphere",
    "supervised_mean_loss",
    "supervised_mean_loss_linear_exact",
    "theorem_4_1_terms",
    "theorem_6_1_bound",
    "uniformity",
    "uniformity_kernel_mean",
    "uniformity_uniform_sphere",
    "unsupervised_loss",
]

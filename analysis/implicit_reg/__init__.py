"""Implicit regularisation of gradient descent: t-algebra, tubal / matrix sensing, max-margin bias.

Modules: :mod:`~analysis.implicit_reg.talgebra` (t-product algebra, numpy and torch),
:mod:`~analysis.implicit_reg.sensing` (tubal sensing by GD, batched over seeds; k = 1 matrix
sensing), :mod:`~analysis.implicit_reg.deep_mf` (deep matrix factorisation and the minimum
nuclear norm reference), :mod:`~analysis.implicit_reg.separable` (GD on separable logistic
regression vs the max-margin SVM), :mod:`~analysis.implicit_reg.interpolation` (the 2n + d
ReLU interpolant, MLPs on random labels).
"""

from analysis.implicit_reg.deep_mf import (
    completion_instance,
    deep_mf_gd,
    effective_rank,
    min_nuclear_norm_completion,
)
from analysis.implicit_reg.explore import explore
from analysis.implicit_reg.interpolation import (
    fit_mlp_batch,
    random_label_dataset,
    relu_interpolant,
)
from analysis.implicit_reg.sensing import (
    PAPER_SETTINGS,
    TubalGDTrajectory,
    TubalSensingProblem,
    code_step_from_paper_step,
    make_tubal_sensing_problem,
    matrix_sensing_gd,
    measurement_count,
    run_tubal_gd,
    symmetric_dimension,
)
from analysis.implicit_reg.separable import (
    direction_error,
    logistic_gd,
    max_margin_directions,
    separable_dataset,
)
from analysis.implicit_reg.talgebra import (
    block_circulant,
    t_identity,
    t_product,
    t_product_block_circulant,
    t_svd,
    t_transpose,
    tubal_principal_angle,
    tubal_rank,
    tubal_singular_values,
)

__all__ = [
    "PAPER_SETTINGS",
    "TubalGDTrajectory",
    "TubalSensingProblem",
    "block_circulant",
    "code_step_from_paper_step",
    "completion_instance",
    "deep_mf_gd",
    "direction_error",
    "effective_rank",
    "explore",
    "fit_mlp_batch",
    "logistic_gd",
    "make_tubal_sensing_problem",
    "matrix_sensing_gd",
    "max_margin_directions",
    "measurement_count",
    "min_nuclear_norm_completion",
    "random_label_dataset",
    "relu_interpolant",
    "run_tubal_gd",
    "separable_dataset",
    "symmetric_dimension",
    "t_identity",
    "t_product",
    "t_product_block_circulant",
    "t_svd",
    "t_transpose",
    "tubal_principal_angle",
    "tubal_rank",
    "tubal_singular_values",
]

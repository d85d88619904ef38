"""Continual learning on separable linear classification: sequential max-margin (SMM), forgetting.

Reproduces Evron et al. (ICML 2023), "Continual Learning in Linear Classification on Separable
Data", with its regression counterpart (Evron et al., COLT 2022) and the fixed-budget GD
follow-up (Jung, Cho & Yun, ICLR 2025).

Public API: the SMM step :func:`project_onto_task` (fast LDP / Lawson-Hanson dual active-set
default, Hildreth's coordinate ascent, cvxpy reference), :func:`sequential_max_margin`,
:func:`offline_max_margin`, distances :func:`distance_to_task` / :func:`distance_to_feasible_set`,
:func:`kkt_residual`; the weakly regularised path :func:`regularised_continual_path` and
:func:`lambda_reduction_errors`; :func:`fixed_budget_gd`; continual regression
:func:`continual_regression`; forgetting :func:`classification_forgetting` and the bounds; task
generators :func:`make_separable_tasks`, :func:`counterexample_tasks`, :func:`cone_counterexample_tasks`,
:func:`make_regression_tasks`, :func:`cyclic_order`, :func:`random_order`.
"""

from analysis.continual.data import (
    cone_counterexample_closed_form,
    cone_counterexample_tasks,
    counterexample_closed_form,
    counterexample_tasks,
    cyclic_order,
    make_regression_tasks,
    make_separable_tasks,
    random_order,
)
from analysis.continual.explore import explore
from analysis.continual.forgetting import (
    classification_forgetting,
    cyclic_average_bound,
    cyclic_posterior_bound,
    data_radius,
    forgetting_from_losses,
    random_average_bound,
    task_violations,
)
from analysis.continual.gd import fixed_budget_gd, fixed_budget_gd_batch, log_growth_coefficients
from analysis.continual.projection import (
    NotSeparableError,
    distance_to_feasible_set,
    distance_to_task,
    kkt_residual,
    offline_max_margin,
    project_onto_task,
    sequential_max_margin,
)
from analysis.continual.regression import (
    continual_regression,
    joint_min_norm_solution,
    regression_forgetting_bound_cyclic,
    regression_task_losses,
)
from analysis.continual.regularized import (
    lambda_reduction_errors,
    regularised_continual_path,
    regularised_step,
    scheduled_regularised_path,
    scheduled_smm,
)

__all__ = [
    "NotSeparableError",
    "classification_forgetting",
    "continual_regression",
    "cone_counterexample_closed_form",
    "cone_counterexample_tasks",
    "counterexample_closed_form",
    "counterexample_tasks",
    "cyclic_average_bound",
    "cyclic_order",
    "cyclic_posterior_bound",
    "data_radius",
    "distance_to_feasible_set",
    "distance_to_task",
    "explore",
    "fixed_budget_gd",
    "fixed_budget_gd_batch",
    "forgetting_from_losses",
    "log_growth_coefficients",
    "joint_min_norm_solution",
    "kkt_residual",
    "lambda_reduction_errors",
    "make_regression_tasks",
    "make_separable_tasks",
    "offline_max_margin",
    "project_onto_task",
    "random_average_bound",
    "random_order",
    "regression_forgetting_bound_cyclic",
    "regression_task_losses",
    "regularised_continual_path",
    "regularised_step",
    "scheduled_regularised_path",
    "scheduled_smm",
    "sequential_max_margin",
    "task_violations",
]

"""Valid calls of the continual public API for the bad-input fuzz harness (tests/fuzz_harness.py)."""

import numpy as np

from analysis.continual.data import cyclic_order, make_regression_tasks, make_separable_tasks
from analysis.continual.projection import sequential_max_margin


def _tasks():
    return make_separable_tasks(2, 4, 3, seed=0)[0]


def _task(rng):
    X, y = _tasks()[0]
    return X, y


def _smm():
    tasks = _tasks()
    order = cyclic_order(2, 4)
    return tasks, order, sequential_max_margin(tasks, order)


def _project(rng):
    X, y = _task(rng)
    return {"w": rng.standard_normal(3), "X": X, "y": y, "method": "active_set", "tol": 1e-10,
            "task_name": "task", "max_sweeps": 1000}


def _kkt(rng):
    X, y = _task(rng)
    from analysis.continual.projection import project_onto_task

    w = rng.standard_normal(3)
    return {"w_prev": w, "w_new": project_onto_task(w, X, y), "X": X, "y": y, "active_tol": 1e-7}


def _forgetting(rng):
    tasks, order, W = _smm()
    return {"tasks": tasks, "order": order, "iterates": W}


def _losses(rng):
    tasks, order, W = _smm()
    from analysis.continual.forgetting import task_violations

    return {"losses": task_violations(tasks, W), "order": order}


def _lambda(rng):
    tasks, order, W = _smm()
    return {"tasks": tasks, "order": order[:2], "lams": np.array([1e-3, 1e-4]),
            "smm_iterates": W[:3], "loss": "logistic"}


def _log_growth(rng):
    W = np.outer(np.log(np.arange(1, 8) + 1.0), [1.0, 0.5]) + rng.standard_normal((7, 2)) * 0.01
    return {"iterates": W, "w_star": np.array([1.0, 0.5]), "t1": 2, "t2": 5}


def _regression():
    return make_regression_tasks(2, 3, 4, seed=0)[0]


def _regression_losses(rng):
    from analysis.continual.regression import continual_regression

    tasks = _regression()
    return {"tasks": tasks, "iterates": continual_regression(tasks, cyclic_order(2, 3))}


CASES = {
    "classification_forgetting": _forgetting,
    "continual_regression": lambda rng: {"tasks": _regression(), "order": cyclic_order(2, 3),
                                         "w0": rng.standard_normal(4)},
    "cone_counterexample_closed_form": lambda rng: {"a": 0.25, "b": 0.35, "seed": 0},
    "cone_counterexample_tasks": lambda rng: {"a": 0.25, "b": 0.35, "seed": 0},
    "counterexample_closed_form": lambda rng: {"c": 0.5, "seed": 0},
    "counterexample_tasks": lambda rng: {"c": 0.5, "seed": 0},
    "cyclic_average_bound": lambda rng: {"k": np.arange(1.0, 5.0), "n_tasks": 3, "R": 2.0,
                                         "dist0": 1.5},
    "cyclic_order": lambda rng: {"n_tasks": 3, "n_iterations": 7},
    "cyclic_posterior_bound": lambda rng: {"iterates": rng.standard_normal((6, 3)), "n_tasks": 2,
                                           "R": 2.0},
    "data_radius": lambda rng: {"tasks": _tasks()},
    "distance_to_feasible_set": lambda rng: {"iterates": rng.standard_normal((3, 3)),
                                             "tasks": _tasks()},
    "distance_to_task": lambda rng: dict(zip(("w", "X", "y"), (rng.standard_normal(3), *_task(rng)),
                                             strict=True), task_name="task"),
    "fixed_budget_gd": lambda rng: {"tasks": _tasks(), "order": cyclic_order(2, 4), "n_steps": 3,
                                    "step_size": 0.1, "w0": rng.standard_normal(3)},
    "fixed_budget_gd_batch": lambda rng: {"problems": [(_tasks(), cyclic_order(2, 4))],
                                          "n_steps": 3},
    "forgetting_from_losses": _losses,
    "joint_min_norm_solution": lambda rng: {"tasks": _regression()},
    "kkt_residual": _kkt,
    "lambda_reduction_errors": _lambda,
    "log_growth_coefficients": _log_growth,
    "make_regression_tasks": lambda rng: {"n_tasks": 2, "n_per_task": 3, "d": 4, "seed": 0,
                                          "noise": 0.1},
    "make_separable_tasks": lambda rng: {"n_tasks": 2, "n_per_task": 4, "d": 3, "seed": 0,
                                         "min_margin": 0.1, "task_shift": 1.0},
    "offline_max_margin": lambda rng: {"tasks": _tasks(), "method": "active_set"},
    "project_onto_task": _project,
    "random_average_bound": lambda rng: {"k": np.arange(1.0, 5.0), "R": 2.0, "dist0": 1.5},
    "random_order": lambda rng: {"n_tasks": 3, "n_iterations": 7, "seed": 0},
    "regression_forgetting_bound_cyclic": lambda rng: {"k": np.arange(1.0, 5.0), "n_tasks": 3,
                                                       "d": 4, "w_star_norm": 1.5, "R": 2.0},
    "regression_task_losses": _regression_losses,
    "regularised_continual_path": lambda rng: {"tasks": _tasks(), "order": cyclic_order(2, 3),
                                               "lam": 1e-2, "w0": rng.standard_normal(3),
                                               "loss": "logistic", "tol": 1e-10},
    "regularised_step": lambda rng: dict(zip(("X", "y"), _task(rng), strict=True),
                                         w_prev=rng.standard_normal(3), lam=1e-2, loss="logistic",
                                         tol=1e-10, max_iter=200, w_init=rng.standard_normal(3)),
    "scheduled_regularised_path": lambda rng: {"tasks": _tasks(), "order": cyclic_order(2, 3),
                                               "lams": np.array([1e-2, 1e-3, 1e-2]),
                                               "loss": "logistic", "tol": 1e-10},
    "scheduled_smm": lambda rng: {"tasks": _tasks(), "order": cyclic_order(2, 3),
                                  "anchor_scale": np.array([1.0, 0.5, 2.0]),
                                  "w0": rng.standard_normal(3)},
    "sequential_max_margin": lambda rng: {"tasks": _tasks(), "order": cyclic_order(2, 4),
                                          "w0": rng.standard_normal(3), "method": "active_set",
                                          "tol": 1e-10},
    "task_violations": lambda rng: {"tasks": _tasks(), "iterates": rng.standard_normal((3, 3))},
}
EXEMPT = {
    "NotSeparableError": "exception class raised for non-separable tasks",
}
ALLOW = {
    # the task name is only the label used in error messages: any string is valid
    "distance_to_task": {"task_name": {"unknown"}},
    # max_sweeps / max_iter are caps on iterations of solvers that stop at convergence (a few
    # iterations here): a huge cap costs nothing and is a valid "no cap"
    "project_onto_task": {"task_name": {"unknown"}, "max_sweeps": {"huge"}},
    "regularised_step": {"max_iter": {"huge"}},
    # closed-form bounds and orders: any number of tasks / dimension is a valid formula input and
    # allocates nothing of that size (cyclic_order / random_order allocate k indices, not T)
    "cyclic_average_bound": {"n_tasks": {"huge"}},
    "cyclic_posterior_bound": {"n_tasks": {"huge"}},
    "regression_forgetting_bound_cyclic": {"n_tasks": {"huge"}, "d": {"huge"}},
    "cyclic_order": {"n_tasks": {"huge"}},
    "random_order": {"n_tasks": {"huge"}},
}

# the interactive explorer: every argument is checked before the tasks are drawn
CASES["explore"] = lambda rng: {"instance": "random", "n_tasks": 2, "n_per_task": 3, "d": 3,
                                "n_iterations": 4, "ordering": "cyclic", "order_seed": 1,
                                "task_shift": 1.0, "seed": 0}
ALLOW["explore"] = {"order_seed": {"zero"}}  # 0 is a seed like any other (the default)

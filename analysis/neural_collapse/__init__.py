"""Neural collapse: geometric oracles (simplex ETF, orthogonal frame), NC metrics, UFM models.

Public API: :func:`nc_metrics` (NC1-NC4, OF distance, CDNV, effective rank), the oracles
:func:`simplex_etf` / :func:`orthogonal_frame`, the cross-entropy UFM :func:`train_ce_ufm`
(balanced / step-imbalanced, label smoothing, MaxSup, long-tailed regularisers), and the SCL UFM:
:func:`solve_scl_ufm` (convex route, cvxpy) and :func:`train_scl_ufm` (gradient route, torch)
with :func:`random_batches`, :func:`bind_batches` and :func:`batching_condition`.
"""

from analysis.neural_collapse.data import (
    collapsed_etf_features,
    labels_from_counts,
    step_imbalanced_counts,
)
from analysis.neural_collapse.explore import explore
from analysis.neural_collapse.geometry import (
    etf_gram,
    orthogonal_frame,
    simplex_etf,
)
from analysis.neural_collapse.metrics import nc1_within_class, nc_metrics, of_distance
from analysis.neural_collapse.scl import (
    batching_condition,
    bind_batches,
    random_batches,
    scl_loss_from_gram,
    solve_scl_ufm,
    train_scl_ufm,
)
from analysis.neural_collapse.ufm import train_ce_ufm

__all__ = [
    "batching_condition",
    "bind_batches",
    "collapsed_etf_features",
    "etf_gram",
    "explore",
    "labels_from_counts",
    "nc1_within_class",
    "nc_metrics",
    "of_distance",
    "orthogonal_frame",
    "random_batches",
    "scl_loss_from_gram",
    "simplex_etf",
    "solve_scl_ufm",
    "step_imbalanced_counts",
    "train_ce_ufm",
    "train_scl_ufm",
]

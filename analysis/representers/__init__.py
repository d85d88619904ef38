"""Representer points: l2 (Yeh et al. 2018), l1, nuclear norm, matrix factorisation (Tsai et al. 2023).

Each prediction of a regularised model is decomposed exactly (at the optimum) into contributions
of the training points; the contributions explain the prediction and are evaluated by
case-deletion curves and leave-one-out retraining against influence functions, TracIn and random.
"""

from analysis.representers.baselines import (
    influence_values,
    l2_style_values,
    loo_values,
    random_values,
    tracin_values,
    training_checkpoints,
)
from analysis.representers.data import (
    ClassificationData,
    Ratings,
    hold_out_ratings,
    load_ratings_csv,
    load_sklearn_binary,
    make_lowrank_ratings,
    make_sparse_logistic,
    make_sparse_text_logistic,
)
from analysis.representers.evaluation import (
    DELETION_FRACTIONS,
    deletion_auc,
    deletion_changes,
    mc_deletion_changes,
    sign_agreement,
)
from analysis.representers.explore import explore
from analysis.representers.l1 import (
    RepresenterResult,
    l1_kkt_residual,
    l1_representers,
    solve_l1,
    solve_l1_cvxpy,
)
from analysis.representers.l2 import l2_representers, solve_l2, solve_l2_cvxpy
from analysis.representers.mf import (
    MF_DELETION_COUNTS,
    MFRepresenterResult,
    MFSolution,
    counts_auc,
    mf_deletion_changes,
    mf_gradient,
    mf_representers,
    normalised_embeddings,
    solve_mf,
)
from analysis.representers.nuclear import (
    NuclearRepresenterResult,
    NuclearSolution,
    nuclear_kkt_residual,
    nuclear_representers,
    solve_nuclear,
    solve_nuclear_cvxpy,
)
from analysis.representers.paper import PAPER_SETTINGS, PaperSetting, paper_deletion_experiment

__all__ = [
    "DELETION_FRACTIONS",
    "PAPER_SETTINGS",
    "PaperSetting",
    "paper_deletion_experiment",
    "MF_DELETION_COUNTS",
    "ClassificationData",
    "MFRepresenterResult",
    "MFSolution",
    "NuclearRepresenterResult",
    "NuclearSolution",
    "Ratings",
    "RepresenterResult",
    "counts_auc",
    "deletion_auc",
    "deletion_changes",
    "explore",
    "hold_out_ratings",
    "influence_values",
    "l1_kkt_residual",
    "l1_representers",
    "l2_representers",
    "l2_style_values",
    "load_ratings_csv",
    "load_sklearn_binary",
    "loo_values",
    "make_lowrank_ratings",
    "make_sparse_logistic",
    "make_sparse_text_logistic",
    "mc_deletion_changes",
    "mf_deletion_changes",
    "mf_gradient",
    "mf_representers",
    "normalised_embeddings",
    "nuclear_kkt_residual",
    "nuclear_representers",
    "random_values",
    "sign_agreement",
    "solve_l1",
    "solve_l1_cvxpy",
    "solve_l2",
    "solve_l2_cvxpy",
    "solve_mf",
    "solve_nuclear",
    "solve_nuclear_cvxpy",
    "tracin_values",
    "training_checkpoints",
]

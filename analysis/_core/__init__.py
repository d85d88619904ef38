"""Shared machinery: seeding, devices, solvers, validation, the claims ledger, figure I/O.

Nothing in this package is specific to one topic.
"""

from analysis._core.claims import ClaimResult, claim, get_claims, run_claim
from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.figio import save_figure_atomically
from analysis._core.registry import figure, get_figures, load_topics
from analysis._core.rng import make_rng, make_torch_generator, spawn_seeds
from analysis._core.scale import SCALES, check_scale
from analysis._core.solve import SolverError, solve_problem
from analysis._core.sweep import sweep

__all__ = [
    "SCALES",
    "ClaimResult",
    "SolverError",
    "check_scale",
    "claim",
    "figure",
    "get_claims",
    "get_figures",
    "load_topics",
    "make_rng",
    "make_torch_generator",
    "resolve_device",
    "resolve_dtype",
    "run_claim",
    "save_figure_atomically",
    "solve_problem",
    "spawn_seeds",
    "sweep",
]

"""Parameter sweeps over grids, run through the execution layer (local processes or a Dask cluster)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from analysis._core.validate import check_int


def parameter_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The Cartesian product of a grid ``{name: values}`` as a list of keyword dicts (in order)."""
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"grid: expected a non-empty mapping of name -> values, got {grid!r}")
    names = list(grid)
    values = []
    for name in names:
        vals = grid[name]
        if isinstance(vals, (str, bytes)) or not isinstance(vals, Sequence) or len(vals) == 0:
            raise ValueError(f"grid[{name!r}]: expected a non-empty sequence, got {vals!r}")
        values.append(list(vals))
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _apply_kwargs(fn: Callable[..., Any], params: dict[str, Any]) -> Any:
    return fn(**params)


def sweep(
    fn: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> list[tuple[dict[str, Any], Any]]:
    """Evaluate ``fn(**params)`` on every point of ``grid`` (through ``execution.run_many``).

    Parameters
    ----------
    fn : callable
        A picklable function (module level) of the grid's keyword arguments. Pass seeds as a
        grid axis: no global random state is shared between workers.
    grid : mapping
        ``{name: sequence of values}``; points are the Cartesian product, in order.
    n_jobs : int
        Local worker processes; 1 runs in-process; -1 uses every core. Must be 1 (the default)
        when ``scheduler`` is given: the cluster's workers set the parallelism.
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://host:8786"``): the points run on that cluster.
    progress : bool
        Show a progress bar of finished points.

    Returns
    -------
    list of (dict, object)
        ``(params, fn(**params))`` for each grid point, in grid order.
    """
    from analysis._core.execution import run_many

    if not callable(fn):
        raise ValueError(f"fn: expected a callable, got {type(fn).__name__}")
    points = parameter_grid(grid)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    n_jobs = check_int(n_jobs, "n_jobs", minimum=1)
    results = run_many(_apply_kwargs, [(fn, p) for p in points], jobs=n_jobs, scheduler=scheduler,
                       progress=progress, desc="sweep")
    return list(zip(points, results, strict=True))

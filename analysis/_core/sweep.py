"""Parameter sweeps over grids, in parallel through joblib (local processes or a Dask cluster)."""

from __future__ import annotations

import contextlib
import itertools
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


def sweep(
    fn: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> list[tuple[dict[str, Any], Any]]:
    """Evaluate ``fn(**params)`` on every point of ``grid``.

    Parameters
    ----------
    fn : callable
        A picklable function (module level) of the grid's keyword arguments. Pass seeds as a
        grid axis: no global random state is shared between workers.
    grid : mapping
        ``{name: sequence of values}``; points are the Cartesian product, in order.
    n_jobs : int
        Worker processes for the local (loky) backend; 1 runs in-process; -1 uses every core.
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://host:8786"``); the sweep then runs through
        joblib's dask backend on that cluster (needs the ``dask`` extra).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of (dict, object)
        ``(params, fn(**params))`` for each grid point, in grid order.
    """
    import joblib

    if not callable(fn):
        raise ValueError(f"fn: expected a callable, got {type(fn).__name__}")
    points = parameter_grid(grid)
    if n_jobs != -1:
        n_jobs = check_int(n_jobs, "n_jobs", minimum=1)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(points, desc="sweep")
    else:
        iterator = points

    if scheduler is None and n_jobs == 1:
        return [(p, fn(**p)) for p in iterator]

    stack = contextlib.ExitStack()
    with stack:
        if scheduler is not None:
            if not isinstance(scheduler, str) or not scheduler:
                raise ValueError(f"scheduler: expected a scheduler address, got {scheduler!r}")
            try:
                from distributed import Client
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise ImportError(
                    "scheduler: a Dask scheduler needs the 'dask' extra "
                    "(pip install 'ml-theory-workbench[dask]')"
                ) from exc
            stack.enter_context(Client(scheduler))
            stack.enter_context(joblib.parallel_config(backend="dask"))
            parallel = joblib.Parallel()
        else:
            parallel = joblib.Parallel(n_jobs=n_jobs)
        results = parallel(joblib.delayed(fn)(**p) for p in iterator)
    return list(zip(points, results, strict=True))

"""The one execution layer: many independent tasks, locally (joblib) or on a Dask cluster.

:func:`run_many` is what the CLI (figures, claim sweeps) and library sweeps use. Its contract:

- results come back **in task order** and are identical to the serial run (the tasks are
  deterministic functions of their arguments: seeds travel as arguments, never as global state);
- the progress bar counts **finished** tasks;
- a task that raises stops the run at once with an error that names the task and its arguments;
- on a cluster, a worker that cannot import the task's module is detected *before* any task is
  sent, with a message that says how to install the package there (no silent hang);
- a task whose worker dies is retried once (on another worker), then reported;
- every worker runs with one BLAS and one torch thread (:func:`limit_threads`), so ``jobs``
  workers share the cores without oversubscription.

:func:`limit_threads` is also the documented helper for library use (notebooks): torch's
default of one intra-op thread per core made small tensor programs 5-40x slower on a loaded
2-core machine.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from analysis._core.validate import check_int

#: Environment variables that cap the threads of BLAS/OpenMP libraries loaded *after* they are set.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(n: int | None = 1) -> int:
    """Set torch's intra-op threads and the BLAS thread pools of this process to ``n``.

    Parameters
    ----------
    n : int or None
        Threads to use; ``None`` restores every core (``os.cpu_count()``).

    Returns
    -------
    int
        The number of threads now in force.

    Notes
    -----
    The claims, notebooks and most figures run many small tensor programs, where intra-op
    threads cost more than they give (measured: ``check_minority_collapse(1)`` 0.21 s with one
    thread, 7.94 s with two on a loaded 2-core machine). Call ``limit_threads(None)`` (or a larger
    ``n``) for large dense work.
    """
    n = (os.cpu_count() or 1) if n is None else check_int(n, "n", minimum=1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(n)
    return n


class TaskError(RuntimeError):
    """A task of :func:`run_many` failed; the message names the task and its arguments."""


def _describe(index: int, task: Any, limit: int = 200) -> str:
    text = repr(task)
    return f"task {index} (arguments {text if len(text) <= limit else text[:limit] + '...'})"


def _call(fn: Callable[..., Any], index: int, task: Any, threads: int) -> tuple[int, Any]:
    """Run one task in a worker with pinned threads; wrap its failure with the task's arguments."""
    limit_threads(threads)
    try:
        result = fn(*task) if isinstance(task, tuple) else fn(task)
    except Exception as exc:  # noqa: BLE001 - re-raised with the task named
        raise TaskError(f"{_describe(index, task)} failed: {type(exc).__name__}: {exc}") from None
    return index, result


def _module_available(module: str) -> bool:
    """On a worker: whether ``module`` can be imported there."""
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _function_module(fn: Callable[..., Any]) -> str | None:
    """The importable module a worker needs for ``fn`` (None for ``__main__``: sent by value)."""
    module = getattr(fn, "__module__", None)
    if module in (None, "__main__", "builtins"):
        return None
    return module


def run_many(
    fn: Callable[..., Any],
    tasks: Iterable[Any],
    *,
    jobs: int = 1,
    scheduler: str | Any | None = None,
    progress: bool = False,
    desc: str = "tasks",
    threads: int = 1,
    connect_timeout: float = 30.0,
    on_result: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """Evaluate ``fn`` on every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (picklable). A task that is a ``tuple`` is unpacked as
        positional arguments, anything else is passed as the single argument.
    tasks : iterable
        The tasks, in order.
    jobs : int
        Local worker processes (joblib's loky backend); 1 runs in this process. Ignored when a
        ``scheduler`` is given: the cluster's workers set the parallelism (it is an error to
        give both ``jobs > 1`` and ``scheduler``).
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler (``"tcp://host:8786"``) or a connected ``Client``: the tasks
        run on that cluster (``Client.map`` + ``as_completed``). Needs the ``dask`` extra.
    progress : bool
        Show a progress bar of finished tasks on stderr.
    desc : str
        Label of the progress bar.
    threads : int
        BLAS/torch threads per worker (and for the serial run).
    connect_timeout : float
        Seconds to wait for the scheduler and its workers.
    on_result : callable, optional
        Called in this process as ``on_result(index, result)`` as each task finishes (in the
        order they finish), e.g. to write a file as soon as its task is done.

    Returns
    -------
    list
        ``[fn(task) for task in tasks]``, identical to the serial run.

    Raises
    ------
    TaskError
        When a task raises (the message names the task and its arguments), when the workers of
        a cluster cannot import ``fn``'s module, or when a task's worker died twice.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")
    tasks = list(tasks)
    jobs = check_int(jobs, "jobs", minimum=1)
    threads = check_int(threads, "threads", minimum=1)
    if scheduler is not None and jobs > 1:
        raise ValueError(
            f"jobs: the cluster's workers set the parallelism when scheduler= is given; got jobs={jobs}"
        )
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit="task", file=sys.stderr)
    try:
        if scheduler is not None:
            return _run_dask(fn, tasks, scheduler, bar, threads, connect_timeout, on_result)
        results: list[Any] = [None] * len(tasks)
        if jobs == 1 or len(tasks) <= 1:
            limit_threads(threads)
            for i, task in enumerate(tasks):
                results[i] = _call(fn, i, task, threads)[1]
                if on_result is not None:
                    on_result(i, results[i])
                if bar is not None:
                    bar.update()
            return results
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1)
        for i, result in parallel(delayed(_call)(fn, i, t, threads) for i, t in enumerate(tasks)):
            results[i] = result
            if on_result is not None:
                on_result(i, result)
            if bar is not None:
                bar.update()
        return results
    finally:
        if bar is not None:
            bar.close()


def _run_dask(fn, tasks: Sequence[Any], scheduler, bar, threads: int, timeout: float,
              on_result) -> list[Any]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "scheduler: running on a Dask cluster needs the 'dask' extra "
            "(pip install 'ml-theory-workbench[dask]')"
        ) from exc
    own_client = not isinstance(scheduler, Client)
    if own_client and (not isinstance(scheduler, str) or not scheduler):
        raise ValueError(f"scheduler: expected a scheduler address or a Client, got {scheduler!r}")
    client = Client(scheduler, timeout=timeout) if own_client else scheduler
    try:
        client.wait_for_workers(1, timeout=timeout)
        module = _function_module(fn)
        if module is not None:
            # Without this check a worker that cannot unpickle the task logs the error in the
            # scheduler's log while the client waits forever.
            found = client.run(_module_available, module)
            missing = sorted(w for w, ok in found.items() if not ok)
            if missing:
                raise TaskError(
                    f"scheduler: {len(missing)} of {len(found)} workers cannot import {module!r} "
                    f"(needed by {fn.__qualname__}): install this package on every worker "
                    f"(`pip install -e <checkout>` or `pip install ml-theory-workbench` in the "
                    f"workers' environment) and restart them; workers: {', '.join(missing[:3])}"
                )
        futures = client.map(_call, [fn] * len(tasks), range(len(tasks)), tasks,
                             [threads] * len(tasks), pure=False, retries=1)
        index_of = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        try:
            for future in as_completed(futures):
                i = index_of[future.key]
                if future.status == "error":
                    exc = future.exception()
                    if isinstance(exc, TaskError):
                        raise TaskError(str(exc)) from None
                    raise TaskError(
                        f"{_describe(i, tasks[i])} failed on the cluster: {type(exc).__name__}: {exc}"
                    ) from None
                results[i] = future.result()[1]
                if on_result is not None:
                    on_result(i, results[i])
                if bar is not None:
                    bar.update()
        finally:
            client.cancel(futures)
        return results
    finally:
        if own_client:
            client.close()


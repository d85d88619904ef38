"""The execution layer: serial, local processes and a real multi-process Dask cluster agree.

The Dask tests start a ``LocalCluster(processes=True)``: the tasks cross a process boundary,
as on a real cluster. Every test that could hang on a broken cluster has a timeout.
"""

import os
import sys
import textwrap
import time

import numpy as np
import pytest

from analysis._core.execution import TaskError, limit_threads, run_many


def _draw(seed, n):
    """A deterministic task: a seeded draw and the torch thread count the worker ran with."""
    import torch

    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).tolist(), torch.get_num_threads()


def _fails_on_three(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x * x


def _die_once(marker_dir, x):
    """Kill the worker process the first time task x runs (a marker file remembers it)."""
    marker = os.path.join(marker_dir, f"died-{x}")
    if x == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return x + 100


TASKS = [(s, 5) for s in range(6)]


def test_serial_and_local_processes_agree_bit_for_bit_and_pin_threads():
    serial = run_many(_draw, TASKS)
    local = run_many(_draw, TASKS, jobs=2)
    assert [r[0] for r in serial] == [r[0] for r in local]
    assert all(r[1] == 1 for r in local)


def test_a_failing_task_names_its_arguments():
    with pytest.raises(TaskError, match=r"task 3 \(arguments 3\).*three is not allowed"):
        run_many(_fails_on_three, range(5))
    with pytest.raises(TaskError, match=r"task 3 \(arguments 3\).*three is not allowed"):
        run_many(_fails_on_three, range(5), jobs=2)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="fn"):
        run_many(3, [1])
    with pytest.raises(ValueError, match="jobs"):
        run_many(_fails_on_three, [1], jobs=0)
    with pytest.raises(ValueError, match="jobs"):
        run_many(_fails_on_three, [1], jobs=2, scheduler="tcp://127.0.0.1:1")


def test_limit_threads_sets_torch_threads():
    import torch

    before = torch.get_num_threads()
    try:
        assert limit_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="n"):
        limit_threads(0)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as c:
        yield c


def test_dask_cluster_matches_serial(cluster):
    serial = run_many(_draw, TASKS)
    remote = run_many(_draw, TASKS, scheduler=cluster.scheduler_address)
    assert [r[0] for r in remote] == [r[0] for r in serial]
    assert all(r[1] == 1 for r in remote)


def test_dask_failing_task_raises_promptly(cluster):
    start = time.monotonic()
    with pytest.raises(TaskError, match=r"task 3 \(arguments 3\)"):
        run_many(_fails_on_three, range(6), scheduler=cluster.scheduler_address)
    assert time.monotonic() - start < 60


def test_dask_missing_module_raises_promptly(cluster, tmp_path, monkeypatch):
    # The module exists only in this process: the workers were started before it was written.
    (tmp_path / "only_here_mod.py").write_text(textwrap.dedent("""
        def square(x):
            return x * x
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here_mod

    start = time.monotonic()
    with pytest.raises(TaskError, match="cannot import 'only_here_mod'.*install"):
        run_many(only_here_mod.square, [1, 2], scheduler=cluster.scheduler_address)
    assert time.monotonic() - start < 60
    sys.modules.pop("only_here_mod", None)


def test_dask_survives_a_killed_worker(cluster, tmp_path):
    start = time.monotonic()
    out = run_many(_die_once, [(str(tmp_path), x) for x in range(4)],
                   scheduler=cluster.scheduler_address)
    assert out == [100, 101, 102, 103]
    assert (tmp_path / "died-1").exists()
    assert time.monotonic() - start < 120


def test_cli_verify_and_figures_on_the_cluster_match_serial(cluster, tmp_path):
    import json

    from typer.testing import CliRunner

    from analysis.figures.cli import app

    runner = CliRunner()
    args = ["verify", "--claim", "nc.etf.pairwise_cosine", "--seeds", "0-2", "--json"]
    serial = json.loads(runner.invoke(app, args).output)["claims"]
    remote = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("seconds", "cpu_seconds")}  # noqa: E731
                          for r in rows]
    assert strip(json.loads(remote.output)["claims"]) == strip(serial)

    for folder, extra in ((tmp_path / "a", []), (tmp_path / "b", ["--scheduler", cluster.scheduler_address])):
        result = runner.invoke(app, ["figures", "nc_gram_etf_of", "--scale", "quick", "--device", "cpu",
                                     "--out", str(folder), *extra])
        assert result.exit_code == 0, result.output
    a = json.loads((tmp_path / "a" / "nc_gram_etf_of.json").read_text())
    b = json.loads((tmp_path / "b" / "nc_gram_etf_of.json").read_text())
    assert a["data"] == b["data"]
    assert (tmp_path / "a" / "nc_gram_etf_of.png").read_bytes() == (tmp_path / "b" / "nc_gram_etf_of.png").read_bytes()

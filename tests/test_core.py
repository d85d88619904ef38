"""Tests of the shared machinery in analysis._core."""

import json
import os

import numpy as np
import pytest

from analysis._core import rng as rng_mod
from analysis._core.claims import ClaimResult, claim
from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.figio import save_figure_atomically, to_jsonable
from analysis._core.solve import SolverError, solve_problem
from analysis._core.sweep import parameter_grid, sweep
from analysis._core.validate import (
    as_array,
    check_int,
    check_labels,
    check_probability_vector,
    check_real,
)


# --- seeding -------------------------------------------------------------------------------
def test_same_seed_same_stream_and_no_global_state():
    state_before = np.random.get_state()[1].copy()  # noqa: NPY002 - checking it is untouched
    a = rng_mod.make_rng(7).standard_normal(5)
    b = rng_mod.make_rng(7).standard_normal(5)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, rng_mod.make_rng(8).standard_normal(5))
    assert np.array_equal(np.random.get_state()[1], state_before)  # noqa: NPY002


def test_spawn_seeds_reproducible_and_distinct():
    s = rng_mod.spawn_seeds(3, 10)
    assert s == rng_mod.spawn_seeds(3, 10)
    assert len(set(s)) == 10


def test_torch_generator_reproducible():
    import torch

    g1, g2 = rng_mod.make_torch_generator(5), rng_mod.make_torch_generator(5)
    assert torch.equal(torch.randn(4, generator=g1), torch.randn(4, generator=g2))


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed_is_rejected(bad):
    with pytest.raises(ValueError, match="seed"):
        rng_mod.make_rng(bad)


# --- devices -------------------------------------------------------------------------------
def test_resolve_device():
    import torch

    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")
    assert resolve_dtype("float32") is torch.float32
    with pytest.raises(ValueError, match="dtype"):
        resolve_dtype("float16")


# --- validation ----------------------------------------------------------------------------
def test_validation_messages_name_argument_expected_and_received():
    with pytest.raises(ValueError, match=r"X: expected a 2-D array, got shape \(3,\)"):
        as_array([1, 2, 3], "X", ndim=2)
    with pytest.raises(ValueError, match="X: expected finite values, got 1 NaN"):
        as_array([1.0, np.nan], "X")
    with pytest.raises(ValueError, match=r"W: expected shape \(\*, 3\), got \(2, 2\)"):
        as_array(np.zeros((2, 2)), "W", shape=(None, 3))
    with pytest.raises(ValueError, match="k: expected an integer >= 1, got 0"):
        check_int(0, "k", minimum=1)
    with pytest.raises(ValueError, match="lam: expected a number > 0"):
        check_real(0.0, "lam", minimum=0.0, strict_min=True)
    with pytest.raises(ValueError, match="rho: expected probabilities summing to 1"):
        check_probability_vector([0.5, 0.6], "rho")
    with pytest.raises(ValueError, match=r"y: expected labels in 0..2, got range \[0, 3\]"):
        check_labels([0, 1, 3], "y", n_classes=3)


def test_as_array_does_not_modify_input():
    x = np.array([[1.0, 2.0]])
    y = as_array(x, "x")
    y_copy = y.copy()
    assert np.array_equal(x, y_copy)


# --- cvxpy wrapper -------------------------------------------------------------------------
def test_solve_problem_checks_status():
    import cvxpy as cp

    x = cp.Variable()
    assert solve_problem(cp.Problem(cp.Minimize(x), [x >= 2])) == pytest.approx(2.0, abs=1e-7)
    with pytest.raises(SolverError, match="infeasible"):
        solve_problem(cp.Problem(cp.Minimize(x), [x >= 2, x <= 1]), what="toy LP")
    with pytest.raises(SolverError, match="not installed"):
        solve_problem(cp.Problem(cp.Minimize(x), [x >= 2]), solver="NO_SUCH_SOLVER")


# --- claims --------------------------------------------------------------------------------
def test_claim_result_semantics():
    assert ClaimResult(0.0, 0.0).passed
    assert ClaimResult(-1e-9, 1e-8).passed
    assert not ClaimResult(-1e-7, 1e-8).passed
    assert not ClaimResult(float("nan"), 1.0).passed
    with pytest.raises(ValueError, match="tolerance"):
        ClaimResult(0.0, -1.0)


def test_claim_registration_validates():
    with pytest.raises(ValueError, match="topic"):
        claim(id="x", topic="astrology", source="s", statement="s", tolerance_reason="r")
    with pytest.raises(ValueError, match="statement"):
        claim(id="x", topic="zsl", source="s", statement=" ", tolerance_reason="r")
    # ids carry their topic's prefix, so get_claim loads only that topic
    with pytest.raises(ValueError, match="id: expected a name starting with 'zsl.'"):
        claim(id="nc.x", topic="zsl", source="s", statement="s", tolerance_reason="r")


def test_figure_registration_requires_the_topic_prefix():
    from analysis._core.registry import figure

    with pytest.raises(ValueError, match="name: expected a name starting with 'cont_'"):
        figure(name="zsl_demo", topic="continual", title="t")


def test_every_registered_key_carries_its_topic_prefix():
    from analysis import TOPIC_PREFIXES, TOPICS
    from analysis._core.claims import get_claims
    from analysis._core.registry import get_figures, topic_of

    assert set(TOPIC_PREFIXES) == set(TOPICS)
    prefixes = list(TOPIC_PREFIXES.values())
    # no prefix is another's start: a key names one topic
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    assert all(topic_of(f.name) == f.topic for f in get_figures())
    assert all(topic_of(c.id) == c.topic for c in get_claims())
    assert topic_of("no_such_prefix") is None


def test_one_figure_or_claim_imports_only_its_topic():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from analysis._core.registry import get_figure\n"
        "from analysis._core.claims import get_claim\n"
        "get_figure('cont_smm_geometry'); get_claim('cont.forget.random_bound')\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('analysis.')\n"
        "              and m.endswith(('.figures', '.claims')) and m.count('.') == 2\n"
        "              and not m.startswith('analysis._core')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['continual']"], out.stdout + out.stderr


def test_load_topics_validates_its_argument():
    from analysis._core.registry import load_topics

    for bad in ("zsl", ["zsl", "astrology"], 3):
        with pytest.raises(ValueError, match="topics: expected None or a list of names"):
            load_topics(bad)


# --- figure I/O ----------------------------------------------------------------------------
def _figure(value):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, value])
    return fig


def test_save_figure_writes_three_files_with_data(tmp_path):
    paths = save_figure_atomically(
        _figure(1), {"x": np.arange(3), "bad": np.nan}, tmp_path, "demo", {"seed": 0}
    )
    assert [p.suffix for p in paths] == [".png", ".pdf", ".json"]
    payload = json.loads((tmp_path / "demo.json").read_text())
    assert payload["seed"] == 0 and payload["data"] == {"x": [0, 1, 2], "bad": None}


def test_interrupted_write_leaves_previous_files_intact(tmp_path, monkeypatch):
    save_figure_atomically(_figure(1), {"v": 1}, tmp_path, "demo", {})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    fig = _figure(2)
    original = fig.savefig

    def failing_savefig(fname, *args, **kwargs):
        if kwargs.get("format") == "pdf":
            raise KeyboardInterrupt("interrupted while writing the PDF")
        return original(fname, *args, **kwargs)

    monkeypatch.setattr(fig, "savefig", failing_savefig)
    with pytest.raises(KeyboardInterrupt):
        save_figure_atomically(fig, {"v": 2}, tmp_path, "demo", {})
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # same files, same bytes, no temporaries left


def test_interrupted_file_write_leaves_previous_files_intact(tmp_path, monkeypatch):
    from pathlib import Path

    save_figure_atomically(_figure(1), {"v": 1}, tmp_path, "demo", {})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    original = Path.write_bytes

    def failing_write(self, data):
        if self.name.endswith(".json.tmp"):
            raise KeyboardInterrupt("interrupted while writing the JSON")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write)
    with pytest.raises(KeyboardInterrupt):
        save_figure_atomically(_figure(2), {"v": 2}, tmp_path, "demo", {})
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before


def test_unserialisable_data_fails_before_anything_is_written(tmp_path):
    with pytest.raises(TypeError, match="data"):
        save_figure_atomically(_figure(1), {"obj": object()}, tmp_path, "demo", {})
    assert os.listdir(tmp_path) == []


def test_to_jsonable_handles_numpy_and_torch():
    import torch

    assert to_jsonable({"a": np.float32(1.5), "b": torch.tensor([1.0, 2.0]), "c": np.int64(3)}) == {
        "a": 1.5,
        "b": [1.0, 2.0],
        "c": 3,
    }


# --- sweeps --------------------------------------------------------------------------------
def _power(base, exponent):
    return base**exponent


def test_parameter_grid_order_and_errors():
    assert parameter_grid({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]
    with pytest.raises(ValueError, match=r"grid\['a'\]"):
        parameter_grid({"a": []})


def test_sweep_serial_and_parallel_agree():
    grid = {"base": [2, 3], "exponent": [1, 2, 3]}
    serial = sweep(_power, grid)
    parallel = sweep(_power, grid, n_jobs=2)
    assert serial == parallel
    assert serial[1] == ({"base": 2, "exponent": 2}, 4)


def test_sweep_on_a_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = sweep(_power, {"base": [2], "exponent": [5, 6]}, scheduler=cluster.scheduler_address)
    assert [r for _, r in result] == [32, 64]


# --- max-margin reference ------------------------------------------------------------------
def test_max_margin_separator_matches_a_closed_form():
    from analysis._core.maxmargin import max_margin_separator

    # Two points +-(1, 0) and (0, 1) labelled +1: w* = (1, 1) (both constraints active).
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    y = np.array([1.0, -1.0, 1.0])
    np.testing.assert_allclose(max_margin_separator(X, y), [1.0, 1.0], atol=1e-7)  # solver accuracy
    with pytest.raises(ValueError, match="separable"):
        max_margin_separator(np.array([[1.0], [1.0]]), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="y: expected labels"):
        max_margin_separator(X, np.array([1.0, 0.0, 1.0]))


# --- max-margin reference: NNLS least-distance route vs cvxpy ---------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), d=st.integers(1, 12),
       degenerate=st.sampled_from(["none", "duplicate_rows", "rank_deficient", "scale_up", "scale_down"]))
def test_max_margin_nnls_route_matches_cvxpy(seed, n, d, degenerate):
    from analysis._core.maxmargin import max_margin_separator

    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(d)
    w0 /= np.linalg.norm(w0)
    X = rng.standard_normal((n, d))
    if degenerate == "rank_deficient" and d > 1:
        X = X[:, :1] @ rng.standard_normal((1, d)) + 0.0 * X
    y = np.where(X @ w0 >= 0, 1.0, -1.0)
    X = X + 0.5 * y[:, None] * w0  # margin >= 0.5 along w0: separable through the origin
    if degenerate == "duplicate_rows":
        X, y = np.vstack([X, X[:2]]), np.concatenate([y, y[:2]])
    scale = {"scale_up": 1e6, "scale_down": 1e-6}.get(degenerate, 1.0)
    X = X * scale
    ours = max_margin_separator(X, y)
    ref = max_margin_separator(X * (1.0 / scale), y, method="cvxpy") / scale  # cvxpy at unit scale
    margins = y * (X @ ours)
    # Ours is exact up to round-off: feasible to O(n d eps), and no larger than the reference's
    # objective beyond the reference's interior-point accuracy (Clarabel ~1e-8 relative).
    assert margins.min() >= 1.0 - 1e3 * n * d * np.finfo(float).eps
    obj, obj_ref = float(ours @ ours), float(ref @ ref)
    assert obj <= obj_ref * (1 + 1e-6)
    assert obj >= obj_ref * (1 - 1e-5)


def test_max_margin_refuses_inseparable_and_bad_method():
    from analysis._core.maxmargin import max_margin_separator

    with pytest.raises(ValueError, match="separable"):
        max_margin_separator(np.array([[1.0], [1.0]]), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="method"):
        max_margin_separator(np.eye(2), np.ones(2), method="magic")

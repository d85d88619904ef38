"""Every notebook (jupytext percent-format .py) executes top to bottom at the quick scale, and
every figure of its topic it renders is deterministic across processes.

Each figure is rendered twice in the suite, not three times: once inside the notebook's kernel
(captured by a cell the test prepends, which wraps ``render_figure``) and once in the test's own
process; the two data dicts must serialise to the same JSON. Two processes with different hash
seeds agreeing is a stronger determinism check than two calls in one process.
"""

import json
import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from analysis._core.execution import limit_threads
from analysis._core.figio import to_jsonable
from analysis._core.registry import get_figures, render_figure

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))
FIGURES = get_figures()

# Prepended to the notebook: wraps the registry's render_figure before the notebook imports it,
# and records, per call, the arguments and the data as canonical JSON.
_CAPTURE = """\
import inspect as _inspect, json as _json
import analysis._core.registry as _registry
from analysis._core.figio import to_jsonable as _to_jsonable
_figure_calls = []
_render = _registry.render_figure
def _capturing_render(*args, **kwargs):
    fig, data = _render(*args, **kwargs)
    bound = _inspect.signature(_render).bind(*args, **kwargs)
    bound.apply_defaults()
    _figure_calls.append({**bound.arguments,
                          "data": _json.dumps(_to_jsonable(data), sort_keys=True)})
    return fig, data
_registry.render_figure = _capturing_render
"""
_DUMP = "import pathlib as _pathlib\n_pathlib.Path({path!r}).write_text(_json.dumps(_figure_calls))\n"


def test_there_are_notebooks():
    assert NOTEBOOKS


def _check_axes_labelled(name, fig):
    assert fig.axes, f"{name}: figure has no axes"
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.has_data():
            continue
        assert ax.get_xlabel() or ax.get_title(), f"{name}: an axis without label or title"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_and_its_figures_are_deterministic(path, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_SCALE", "quick")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = jupytext.read(path)
    original = list(nb.cells)
    capture_file = tmp_path / "figure_calls.json"
    nb.cells = ([nbformat.v4.new_code_cell(_CAPTURE)] + original
                + [nbformat.v4.new_code_cell(_DUMP.format(path=str(capture_file)))])
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute(env=dict(os.environ))
    # Each figure is shown exactly once: render_figure detaches it from pyplot and the cell
    # displays it (`display(fig)`); neither auto-display nor a returned Figure may add a copy,
    # and a figure cell without its image is a defect too.
    wrong = []
    for i, cell in enumerate(original):
        if cell.cell_type != "code" or "render_figure(" not in cell.source:
            continue
        images = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if images != cell.source.count("render_figure("):
            wrong.append((i, images))
    assert not wrong, f"{path.name}: (cell, images shown) not once per figure: {wrong}"
    source = "\n".join(c.source for c in original if c.cell_type == "code")
    assert "limit_threads" in source, f"{path.name}: call analysis._core.execution.limit_threads()"

    # Every figure of this topic: rendered by the notebook at (quick, seed 0, cpu), labelled,
    # and the same data when rendered again here, in another process.
    calls = json.loads(capture_file.read_text())
    limit_threads(1)  # as the notebook's kernel (it calls limit_threads())
    for spec in (f for f in FIGURES if f.topic == path.stem):
        mine = [c for c in calls if c["name"] == spec.name and c["scale"] == "quick"
                and c["seed"] == 0 and c["device"] == "cpu"]
        assert mine, f"{path.name} does not render {spec.name} at scale quick, seed 0, cpu"
        fig, data = render_figure(spec.name, scale="quick", seed=0, device="cpu")
        _check_axes_labelled(spec.name, fig)
        here = json.dumps(to_jsonable(data), sort_keys=True)
        assert here == mine[0]["data"], f"{spec.name}: same seed, different data in two processes"

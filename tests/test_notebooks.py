"""Every notebook (jupytext percent-format .py) executes top to bottom at the quick scale."""

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_SCALE", "quick")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = jupytext.read(path)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute(env=dict(os.environ))
    # Each figure is shown exactly once: render_figure detaches it from pyplot and the cell
    # displays it (`display(fig)`); neither auto-display nor a returned Figure may add a copy,
    # and a figure cell without its image is a defect too.
    wrong = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "render_figure(" not in cell.source:
            continue
        images = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if images != cell.source.count("render_figure("):
            wrong.append((i, images))
    assert not wrong, f"{path.name}: (cell, images shown) not once per figure: {wrong}"
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "limit_threads" in source, f"{path.name}: call analysis._core.execution.limit_threads()"

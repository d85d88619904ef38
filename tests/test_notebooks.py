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
    # A figure is shown once: the inline backend displays it at the end of the cell, so a cell
    # must not also *return* the Figure (that displays it a second time).
    twice = [
        i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
        and any(o.get("output_type") == "execute_result" and "image/png" in o.get("data", {})
                for o in cell.get("outputs", []))
    ]
    assert not twice, f"{path.name}: cells {twice} display their figure twice (end them with ';')"
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "limit_threads" in source, f"{path.name}: call analysis._core.execution.limit_threads()"

"""JupyterLab smoke test: a jupytext ``.py`` notebook opens as a notebook, runs, shows each figure once.

Starts ``jupyter lab`` from the project's environment (``--allow-root`` when root, a free port on
127.0.0.1, a random token, throw-away user settings and workspaces, autosave off) with the
settings override that ``make lab`` installs (``<prefix>/share/jupyter/lab/settings/
overrides.json``: python files open with the "Jupytext Notebook" viewer; written here the same
way when missing). The server's root is a temporary folder holding copies of
``notebooks/neural_collapse.py`` and ``pyproject.toml`` (the jupytext pairing config), so the
session never writes into the repository. Headless Chromium opens ``notebooks/neural_collapse.py``
by URL; the test checks that it is shown as a notebook (cells, not a text editor), runs all cells
and checks that no cell fails and every figure the notebook renders appears exactly once. A
screenshot goes to ``build/site/_screenshots/jupyterlab_neural_collapse.png``.

A second test runs the notebook's last cell, the interactive explorer
(``analysis.neural_collapse.explore``), types a new imbalance ratio into the slider's readout as a
user would, and checks that the summary line and the figure change (the kernel recomputed and the
widget redrew); screenshots ``jupyterlab_explorer_before.png`` / ``..._after.png``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

NOTEBOOK = "notebooks/neural_collapse.py"
RUN_TIMEOUT_S = 900

# The model's view of the open notebook: per code cell its source and output types.
_CELLS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.model) return null;
  const cells = [];
  const m = w.content.model;
  for (let i = 0; i < m.cells.length; i++) {
    const c = m.cells.get(i);
    const outs = c.type === 'code' ? c.outputs.toJSON() : [];
    cells.push({type: c.type, source: c.sharedModel.getSource(),
                count: c.type === 'code' ? c.executionCount : null,
                outputs: outs.map(o => ({type: o.output_type,
                                         png: !!(o.data && o.data['image/png']),
                                         ename: o.ename || null}))});
  }
  return {cells: cells, busy: w.sessionContext.session?.kernel?.status || 'none'};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install_override(prefix: Path) -> Path:
    """Merge the "python files open as Jupytext Notebook" default into the lab override file."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(path.read_text()) if path.is_file() else {}
    viewers = settings.setdefault("@jupyterlab/docmanager-extension:plugin", {}).setdefault(
        "defaultViewers", {})
    if viewers.get("python") != "Jupytext Notebook":
        viewers["python"] = "Jupytext Notebook"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=1))
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab on the repository: yields (base_url, token)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.is_file():
        pytest.skip(f"no {jupyter}: install the notebooks extra")
    _install_override(Path(sys.prefix))
    tmp = tmp_path_factory.mktemp("lab")
    # The server works on a copy of the notebook beside a copy of pyproject.toml (its jupytext
    # pairing config), so that nothing the session writes (checkpoints, a save, the paired
    # .ipynb) lands in the repository.
    work = tmp / "work"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy2(ROOT / NOTEBOOK, work / NOTEBOOK)
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    # Throw-away user settings: render every cell (JupyterLab 4 windows long notebooks, so only
    # the visible cells would be in the page) and never autosave.
    user = tmp / "user-settings" / "@jupyterlab"
    (user / "notebook-extension").mkdir(parents=True)
    (user / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (user / "apputils-extension").mkdir(parents=True)  # no "Jupyter news?" prompt
    (user / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"}))
    (user / "docmanager-extension").mkdir(parents=True)
    (user / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False}))
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [str(jupyter), "lab", "--no-browser", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "ANALYSIS_SCALE": "quick",
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    log = open(tmp / "jupyter.log", "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited {proc.returncode}:\n"
                                   + (tmp / "jupyter.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{base}api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not answer within 120 s:\n"
                                   + (tmp / "jupyter.log").read_text()[-3000:])
            time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _open_notebook(page, base: str, token: str) -> None:
    """Open NOTEBOOK in JupyterLab (double-click equivalent) and wait for its notebook cells."""
    page.goto(f"{base}lab/tree/{NOTEBOOK}?token={token}", wait_until="load")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=120_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)


def test_py_notebook_opens_as_notebook_runs_and_shows_each_figure_once(lab, browser, screenshots):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    try:
        # Opened as a notebook: a notebook panel with cells, and no file editor for the file.
        _open_notebook(page, base, token)
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length > 5",
            timeout=60_000)
        assert page.locator(".jp-FileEditor:visible").count() == 0, "opened as a text file"
        title = page.evaluate("() => window.jupyterapp.shell.currentWidget.title.label")
        assert title == Path(NOTEBOOK).name, f"current tab is {title!r}"
        # Wait for the kernel, then run every cell.
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel"
            "?.status === 'idle'", timeout=180_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            state = page.evaluate(_CELLS)
            code = [c for c in state["cells"] if c["type"] == "code"]
            done = all(c["count"] is not None for c in code) and state["busy"] == "idle"
            failed = [c for c in code for o in c["outputs"] if o["type"] == "error"]
            if done or failed:
                break
            assert time.monotonic() < deadline, f"cells still running after {RUN_TIMEOUT_S} s"
            time.sleep(2)
        page.wait_for_timeout(500)
        assert not failed, "cells raised: " + "; ".join(
            f"{o['ename']} in {c['source'][:80]!r}" for c in failed for o in c["outputs"]
            if o["type"] == "error")
        # Each figure cell shows its figure once, and no other cell shows an image.
        wanted, wrong = [], []
        for c in code:
            names = re.findall(r"render_figure\(\s*[\"']([a-z0-9_]+)", c["source"])
            pngs = sum(o["png"] for o in c["outputs"])
            wanted += names
            if pngs != len(names):
                wrong.append(f"cell rendering {names or 'no figure'} shows {pngs} image(s): "
                             f"{c['source'][:80]!r}")
        assert wanted, "the notebook renders no registered figure"
        assert not wrong, "figures not shown exactly once:\n" + "\n".join(wrong)
        # the explorer's figure is an ipywidgets Image inside its widget, not a cell output
        shown = page.locator(".jp-NotebookPanel .jp-OutputArea-output img:not(.widget-image)").count()
        assert shown == len(wanted), f"{shown} images on the page for {len(wanted)} figures"
        assert not errors, errors
    finally:
        try:
            page.screenshot(path=str(screenshots / "jupyterlab_neural_collapse.png"))
        finally:
            page.close()


# The explorer widget: its summary line (HTML) and the src of its figure (an ipywidgets Image).
_EXPLORER = """() => {
  const panel = window.jupyterapp.shell.currentWidget.node;
  const boxes = panel.querySelectorAll('.jp-OutputArea-output .widget-vbox');
  if (!boxes.length) return null;
  const box = boxes[boxes.length - 1];
  const html = box.querySelectorAll('.widget-html-content');
  const img = box.querySelector('img.widget-image');
  return {summary: html.length ? html[html.length - 1].innerText : '',
          src: img ? img.getAttribute('src') || '' : ''};
}"""


def test_explorer_slider_recomputes_in_jupyterlab(lab, browser, screenshots):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    try:
        _open_notebook(page, base, token)
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel"
            "?.status === 'idle'", timeout=180_000)
        # Run only the last cell: it imports and builds the explorer by itself.
        source = page.evaluate("""() => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          nb.activeCellIndex = nb.widgets.length - 1;
          return nb.activeCell.model.sharedModel.getSource();
        }""")
        assert "explore(" in source, f"the notebook's last cell is not the explorer: {source!r}"
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
        page.wait_for_function(f"() => {{ const s = ({_EXPLORER})(); "
                               "return s && s.summary.includes('OF distance') && s.src; }",
                               timeout=180_000)
        before = page.evaluate(_EXPLORER)
        slider = page.locator(".jp-NotebookPanel .widget-hslider").filter(has_text="imbalance R")
        slider.last.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "jupyterlab_explorer_before.png"))
        # Type a new ratio into the slider's readout and press Enter, as a user can.
        readout = slider.last.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("10")
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"() => {{ const s = ({_EXPLORER})(); return s && s.summary !== "
            f"{before['summary']!r} && s.src !== {before['src']!r}; }}", timeout=120_000)
        after = page.evaluate(_EXPLORER)
        assert "counts [20, 20, 2, 2]" in after["summary"], after["summary"]
        assert "counts [20, 20, 4, 4]" in before["summary"], before["summary"]
        page.wait_for_timeout(500)
        assert not errors, errors
    finally:
        try:
            page.screenshot(path=str(screenshots / "jupyterlab_explorer_after.png"))
        finally:
            page.close()

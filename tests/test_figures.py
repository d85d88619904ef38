"""Figure registry checks: every figure has a notebook that renders it (the render itself, its labels
and its determinism are checked in test_notebooks.py), bad arguments, the committed JSON schema."""

import json

import pytest

from analysis._core.registry import get_figures, render_figure

FIGURES = get_figures()


def test_every_figure_is_rendered_and_checked_by_its_topic_notebook():
    """The per-figure render checks (axes labelled, same data twice) run in test_notebooks.py,
    which renders each figure once in its notebook's kernel and once in the test process."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    def rendered_by_notebook(f):
        notebook = root / "notebooks" / f"{f.topic}.py"
        return notebook.exists() and f'render_figure("{f.name}"' in notebook.read_text()

    missing = [f.name for f in FIGURES if not rendered_by_notebook(f)]
    assert not missing, f"figures no notebook renders (so never checked): {missing}"


def test_every_topic_with_figures_has_a_notebook():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    topics = {f.topic for f in FIGURES}
    missing = [t for t in topics if not (root / "notebooks" / f"{t}.py").exists()]
    assert not missing, f"topics without a notebook: {missing}"


def test_render_figure_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        render_figure("nc_gram_etf_of", scale="huge")
    with pytest.raises(ValueError, match="seed"):
        render_figure("nc_gram_etf_of", seed=-1)
    with pytest.raises(KeyError, match="valid names"):
        render_figure("nope")


def test_every_committed_figure_validates_against_the_schema():
    from pathlib import Path

    import jsonschema

    root = Path(__file__).resolve().parents[1]
    schema = json.loads((root / "analysis" / "_core" / "figure.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    registered = {f.name for f in FIGURES}
    files = sorted((root / "figures").glob("*.json"))
    committed = [p for p in files if p.stem in registered]
    assert {p.stem for p in committed} == registered, "a registered figure is not committed"
    for path in committed:
        payload = json.loads(path.read_text())
        errors = sorted(validator.iter_errors(payload), key=lambda e: e.path)
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].path)}"
        assert payload["name"] == path.stem and payload["scale"] == "paper"

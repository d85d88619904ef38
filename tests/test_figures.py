"""Every registered figure renders at the quick scale, deterministically, with JSON-able data."""

import json

import pytest

from analysis._core.figio import to_jsonable
from analysis._core.registry import get_figures, render_figure

FIGURES = get_figures()


@pytest.mark.parametrize("spec", FIGURES, ids=[f.name for f in FIGURES])
def test_figure_renders_and_is_deterministic(spec):
    fig, data = render_figure(spec.name, scale="quick", seed=0, device="cpu")
    assert fig.axes, "figure has no axes"
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.has_data():
            continue
        assert ax.get_xlabel() or ax.get_title(), f"{spec.name}: an axis without label or title"
    first = json.dumps(to_jsonable(data), sort_keys=True)
    _, data2 = render_figure(spec.name, scale="quick", seed=0, device="cpu")
    assert json.dumps(to_jsonable(data2), sort_keys=True) == first, "same seed, different data"


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

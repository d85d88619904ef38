"""Tests of the command-line interface (python -m analysis ...)."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from analysis._core.registry import get_figures
from analysis.figures.cli import app

runner = CliRunner()


def test_unknown_figure_name_exits_2_with_the_valid_names(tmp_path):
    result = runner.invoke(app, ["figures", "no_such_figure", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown figure name(s): no_such_figure" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_misspelt_figure_name_gets_a_suggestion(tmp_path):
    result = runner.invoke(app, ["figures", "nc_gram_etf_off", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "did you mean nc_gram_etf_of" in result.output
    assert "nc_gram_etf_of" in result.output
    assert list(tmp_path.iterdir()) == []


def test_bad_scale_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["figures", "nc_gram_etf_of", "--scale", "huge", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "huge" in result.output and "quick" in result.output
    assert list(tmp_path.iterdir()) == []


def test_figures_writes_png_pdf_json(tmp_path):
    result = runner.invoke(app, ["figures", "nc_gram_etf_of", "--out", str(tmp_path), "--device", "cpu",
                                 "--scale", "quick"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nc_gram_etf_of.json",
        "nc_gram_etf_of.pdf",
        "nc_gram_etf_of.png",
    ]
    payload = json.loads((tmp_path / "nc_gram_etf_of.json").read_text())
    assert payload["scale"] == "quick" and payload["seed"] == 0
    prov = payload["provenance"]
    assert prov["device"] == "cpu" and prov["versions"]["analysis"] and prov["versions"]["torch"]
    assert "seconds" not in payload  # timings are printed, not tracked
    assert payload["data"]["params"]["C"] >= 2
    umask = os.umask(0)
    os.umask(umask)
    for p in tmp_path.iterdir():  # the usual umask-derived mode, not mkstemp's owner-only 0600
        assert p.stat().st_mode & 0o777 == 0o666 & ~umask, (p, oct(p.stat().st_mode))


def test_figures_refuses_to_overwrite_another_scale_without_force(tmp_path):
    args = ["figures", "nc_gram_etf_of", "--out", str(tmp_path), "--device", "cpu"]
    assert runner.invoke(app, [*args, "--scale", "quick"]).exit_code == 0
    before = (tmp_path / "nc_gram_etf_of.json").read_text()
    result = runner.invoke(app, [*args, "--scale", "paper"])
    assert result.exit_code == 2 and "--force" in result.output
    assert (tmp_path / "nc_gram_etf_of.json").read_text() == before
    assert runner.invoke(app, [*args, "--scale", "paper", "--force"]).exit_code == 0
    assert json.loads((tmp_path / "nc_gram_etf_of.json").read_text())["scale"] == "paper"


def test_figures_default_scale_is_paper_like_make_figures():
    import inspect

    from analysis.figures.cli import figures_cmd

    assert inspect.signature(figures_cmd).parameters["scale"].default.default.value == "paper"


@pytest.mark.parametrize("bad", ["file", "/proc/x"])
def test_unwritable_out_is_one_clear_line_before_any_work(tmp_path, bad):
    target = tmp_path / "a_file" / "sub" if bad == "file" else __import__("pathlib").Path(bad)
    (tmp_path / "a_file").write_text("x")
    result = runner.invoke(app, ["figures", "nc_gram_etf_of", "--out", str(target), "--scale", "quick"])
    assert result.exit_code == 2
    assert "--out" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_version_option():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("analysis ")


def test_list_json_has_figures_and_claims():
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert {"name", "topic", "title"} <= set(payload["figures"][0])
    assert {"id", "topic"} <= set(payload["claims"][0])
    assert len(payload["figures"]) == len(get_figures())


def test_verify_json_form_for_one_topic():
    result = runner.invoke(app, ["verify", "--topic", "neural_collapse", "--json", "--seed", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    rows = payload["claims"]
    assert payload["provenance"]["schema_version"] >= 1 and payload["provenance"]["device"] == "cpu"
    assert rows and all(r["topic"] == "neural_collapse" for r in rows)
    keys = {"id", "topic", "source", "statement", "seed", "broken", "status", "slack", "tolerance",
            "seconds", "cpu_seconds", "detail"}
    assert all(set(r) == keys and r["status"] == "pass" and r["seed"] == 3 for r in rows)


def test_verify_seed_sweep_json_has_one_record_per_claim_and_seed():
    result = runner.invoke(app, ["verify", "--claim", "nc.etf.gram_identity", "--claim",
                                 "nc.etf.pairwise_cosine", "--seeds", "0-2,7", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["claims"]
    assert [(r["id"], r["seed"]) for r in rows] == [
        (c, s) for c in ("nc.etf.gram_identity", "nc.etf.pairwise_cosine") for s in (0, 1, 2, 7)]
    assert all(isinstance(r["detail"], str) for r in rows)


def test_verify_broken_sweep_reports_and_exits_zero_when_every_variant_fails(tmp_path):
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["verify", "--claim", "nc.etf.pairwise_cosine", "--seeds", "0-3",
                                 "--broken", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 of 1 broken variants pass" in result.output
    assert out.with_suffix(".md").exists() and out.with_suffix(".json").exists()
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["broken"] is True
    [row] = summary["claims"]
    assert row["id"] == "nc.etf.pairwise_cosine" and row["seeds"] == [0, 1, 2, 3]
    assert row["n_wrong"] == 0 and row["worst_ratio"] < -1


def test_verify_sweep_of_a_passing_claim_exits_0_with_its_table():
    ok = runner.invoke(app, ["verify", "--claim", "nc.etf.pairwise_cosine", "--seeds", "0-1"])
    assert ok.exit_code == 0, ok.output
    assert "0 of 1 claims fail" in ok.output


@pytest.mark.parametrize("spec", ["", "3-1", "a-b", "1,,2", "-4"])
def test_verify_rejects_malformed_seed_specs(spec):
    result = runner.invoke(app, ["verify", "--claim", "nc.etf.pairwise_cosine", "--seeds", spec])
    assert result.exit_code == 2
    assert "seeds" in result.output


def test_verify_rejects_unknown_claim_id():
    result = runner.invoke(app, ["verify", "--claim", "nc.nope"])
    assert result.exit_code == 2
    assert "nc.nope" in result.output


def test_verify_unknown_topic_is_rejected():
    result = runner.invoke(app, ["verify", "--topic", "astrology"])
    assert result.exit_code == 2


def test_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, check=True
    )
    assert "figures" in out.stdout and "verify" in out.stdout


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path):
    import torch

    if torch.cuda.is_available():
        return
    result = runner.invoke(app, ["figures", "nc_gram_etf_of", "--device", "cuda", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no CUDA device" in result.output
    assert list(tmp_path.iterdir()) == []


def test_figures_in_parallel_give_the_serial_data(tmp_path):
    names = ["nc_gram_etf_of", "cl_coefficients_vs_k"]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for folder, jobs in ((serial, "1"), (parallel, "2")):
        result = runner.invoke(app, ["figures", *names, "--scale", "quick", "--device", "cpu",
                                     "--out", str(folder), "--jobs", jobs])
        assert result.exit_code == 0, result.output
    for name in names:
        a = json.loads((serial / f"{name}.json").read_text())
        b = json.loads((parallel / f"{name}.json").read_text())
        assert a["data"] == b["data"]


def test_figures_jobs_and_scheduler_together_are_refused(tmp_path):
    result = runner.invoke(app, ["figures", "nc_gram_etf_of", "--scale", "quick", "--out", str(tmp_path),
                                 "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--jobs" in result.output
    assert list(tmp_path.iterdir()) == []


def test_verify_sweep_in_parallel_equals_serial():
    args = ["verify", "--claim", "nc.etf.pairwise_cosine", "--claim", "zsl.closed_form.two_classes",
            "--seeds", "0-3", "--json"]
    serial = json.loads(runner.invoke(app, args).output)["claims"]
    parallel = json.loads(runner.invoke(app, [*args, "--jobs", "2"]).output)["claims"]
    drop = ("seconds", "cpu_seconds")
    assert [{k: v for k, v in r.items() if k not in drop} for r in serial] == [
        {k: v for k, v in r.items() if k not in drop} for r in parallel]


def test_sweep_report_merges_topic_summaries(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out, cid in ((a, "nc.etf.pairwise_cosine"), (b, "zsl.closed_form.two_classes")):
        result = runner.invoke(app, ["verify", "--claim", cid, "--seeds", "0-2,424242", "--out", str(out)])
        assert result.exit_code == 0, result.output
    merged = tmp_path / "merged"
    result = runner.invoke(app, ["sweep-report", str(a.with_suffix(".json")), str(b.with_suffix(".json")),
                                 "--out", str(merged)])
    assert result.exit_code == 0, result.output
    rows = json.loads(merged.with_suffix(".json").read_text())["claims"]
    assert [r["id"] for r in rows] == ["nc.etf.pairwise_cosine", "zsl.closed_form.two_classes"]
    assert "0-2,424242 (4)" in merged.with_suffix(".md").read_text()
    # a re-swept claim listed later replaces its row (order of first appearance kept)
    again = tmp_path / "again"
    runner.invoke(app, ["verify", "--claim", "nc.etf.pairwise_cosine", "--seeds", "5", "--out", str(again)])
    result = runner.invoke(app, ["sweep-report", str(a.with_suffix(".json")), str(b.with_suffix(".json")),
                                 str(again.with_suffix(".json")), "--out", str(merged)])
    assert result.exit_code == 0, result.output
    rows = json.loads(merged.with_suffix(".json").read_text())["claims"]
    assert [(r["id"], r["seeds"]) for r in rows] == [("nc.etf.pairwise_cosine", [5]),
                                                     ("zsl.closed_form.two_classes", [0, 1, 2, 424242])]
    runner.invoke(app, ["verify", "--claim", "nc.etf.pairwise_cosine", "--seeds", "0", "--broken",
                        "--out", str(tmp_path / "c")])
    mixed = runner.invoke(app, ["sweep-report", str(a.with_suffix(".json")), str(tmp_path / "c.json"),
                                "--out", str(tmp_path / "m")])
    assert mixed.exit_code == 2 and "mix" in mixed.output

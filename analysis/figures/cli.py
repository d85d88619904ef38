"""Command-line interface: ``python -m analysis {figures,verify,list,data}``."""

from __future__ import annotations

import json
import math
import sys
import time
from enum import Enum
from pathlib import Path

import typer

from analysis import TOPICS, __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="ML theory workbench: regenerate figures, verify the claims ledger, list both.",
)


class Scale(str, Enum):
    """Run scale."""

    quick = "quick"
    paper = "paper"


class Device(str, Enum):
    """torch device."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


Topic = Enum("Topic", {t: t for t in TOPICS}, type=str)  # type: ignore[misc]


_THREADS_HELP = "torch/BLAS threads per process (CPU)."
_JOBS_HELP = "Local worker processes (each with --threads threads)."
_SCHEDULER_HELP = "Run on a Dask cluster: the scheduler's address (tcp://host:8786); see README."


def _set_torch_threads(n: int) -> None:
    """Set torch's and BLAS's threads for this process (see ``execution.limit_threads``)."""
    from analysis._core.execution import limit_threads

    limit_threads(n)


def _check_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot take figures (one line), or None when it can; creates it if missing."""
    import os
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {out}: {exc.strerror or exc}"
    if not out.is_dir():
        return f"{out} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write into {out}: {exc.strerror or exc}"
    return None


def _existing_scale(path: Path) -> str | None:
    """The scale recorded in an existing figure JSON (None if absent or unreadable)."""
    try:
        return json.loads(path.read_text()).get("scale")
    except (OSError, ValueError, AttributeError):
        return None


@app.command("figures")
def figures_cmd(
    names: list[str] = typer.Argument(None, help="Figure names (see `list`)."),
    all_: bool = typer.Option(False, "--all", help="Regenerate every registered figure."),
    topic: Topic = typer.Option(None, "--topic", help="Only this topic's figures."),
    scale: Scale = typer.Option(
        Scale.paper, "--scale", help="paper (the committed figures; minutes) or quick (seconds)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of every random instance."),
    device: Device = typer.Option(Device.auto, "--device", help="torch device."),
    out: Path = typer.Option(Path("figures"), "--out", help="Output folder."),
    force: bool = typer.Option(
        False, "--force", help="Overwrite figures that were made at another scale."
    ),
    jobs: int = typer.Option(1, "--jobs", min=1, help=_JOBS_HELP),
    scheduler: str = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    threads: int = typer.Option(1, "--threads", min=1, help=_THREADS_HELP),
) -> None:
    """Regenerate figures: <name>.png, <name>.pdf and <name>.json (data + parameters)."""
    import difflib

    import matplotlib

    matplotlib.use("Agg")
    from tqdm import tqdm

    from analysis._core.device import resolve_device
    from analysis._core.figio import write_figure_files
    from analysis._core.provenance import provenance
    from analysis._core.registry import get_figures

    specs = {f.name: f for f in get_figures()}
    if names and (all_ or topic is not None):
        typer.echo("error: give figure names, or --all / --topic, not both", err=True)
        raise typer.Exit(2)
    if all_:
        selected = list(specs)
    elif topic is not None:
        selected = [n for n, f in specs.items() if f.topic == topic.value]
    elif names:
        unknown = [n for n in names if n not in specs]
        if unknown:
            for n in unknown:
                close = difflib.get_close_matches(n, list(specs), n=3, cutoff=0.5)
                hint = f"; did you mean {' or '.join(close)}?" if close else ""
                typer.echo(f"error: unknown figure name(s): {n}{hint}", err=True)
            typer.echo("see `python -m analysis list` for the valid names", err=True)
            raise typer.Exit(2)
        selected = list(names)
    else:
        typer.echo("error: name at least one figure, or pass --all or --topic", err=True)
        typer.echo("see `python -m analysis list` for the valid names", err=True)
        raise typer.Exit(2)
    if not selected:
        typer.echo("no figures registered for that selection", err=True)
        raise typer.Exit(1)
    try:
        resolve_device(device.value)
    except ValueError as exc:
        typer.echo(f"error: --{exc}", err=True)
        raise typer.Exit(2) from exc
    if scheduler is not None and jobs > 1:
        typer.echo("error: --jobs: the cluster's workers set the parallelism with --scheduler", err=True)
        raise typer.Exit(2)
    problem = _check_out_dir(out)
    if problem is not None:
        typer.echo(f"error: --out: {problem}", err=True)
        raise typer.Exit(2)
    if not force:
        clash = [n for n in selected
                 if _existing_scale(out / f"{n}.json") not in (None, scale.value)]
        if clash:
            typer.echo(
                f"error: {len(clash)} figure(s) in {out} were made at another scale than "
                f"--scale {scale.value} ({', '.join(clash[:5])}{' ...' if len(clash) > 5 else ''}); "
                "pass --force to overwrite them, or --out another folder",
                err=True,
            )
            raise typer.Exit(2)

    from analysis._core.execution import TaskError, run_many

    def write(i: int, result: tuple) -> None:
        name = selected[i]
        images, data, used_device, seconds = result
        meta = {
            "name": name,
            "topic": specs[name].topic,
            "title": specs[name].title,
            "scale": scale.value,
            "seed": seed,
            "provenance": provenance(device=used_device, dtype="float64"),
        }
        write_figure_files(images, data, out, name, meta)
        tqdm.write(f"{name}: {seconds:.1f} s -> {out / name}.{{png,pdf,json}}", file=sys.stderr)

    # Timings are printed, not stored: a regeneration at the same seed and scale leaves the
    # tracked JSON unchanged unless the numbers (or the code's commit) changed.
    try:
        run_many(render_for_files, [(n, scale.value, seed, device.value) for n in selected],
                 jobs=jobs, scheduler=scheduler, threads=threads, progress=True, desc="figures",
                 on_result=write)
    except TaskError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def render_for_files(name: str, scale: str, seed: int, device: str) -> tuple:
    """Render one registered figure to PNG/PDF bytes (runs in a worker; the caller writes files).

    Returns ``(images, jsonable data, resolved device, seconds)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis._core.device import resolve_device
    from analysis._core.figio import figure_bytes, to_jsonable
    from analysis._core.registry import render_figure

    start = time.perf_counter()
    used = str(resolve_device(device))
    fig, data = render_figure(name, scale=scale, seed=seed, device=device)
    try:
        images = figure_bytes(fig)
    finally:
        plt.close(fig)
    return images, to_jsonable(data), used, time.perf_counter() - start


@app.command("verify")
def verify_cmd(
    topic: Topic = typer.Option(None, "--topic", help="Only this topic's claims."),
    claim_ids: list[str] = typer.Option(None, "--claim", help="Only this claim (repeatable)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of every claim's random instance."),
    seeds: str = typer.Option(
        None, "--seeds", help="Sweep many seeds: 'A-B' (inclusive), 'A,B,C' or a mix ('0-4,99')."
    ),
    broken: bool = typer.Option(
        False, "--broken", help="Run the broken variants: each must FAIL; reports any that pass."
    ),
    slow_seeds: str = typer.Option(
        None, "--slow-seeds",
        help="Seeds for slow claims (CPU time of the first two seeds over --slow-limit s).",
    ),
    slow_limit: float = typer.Option(
        2.0, "--slow-limit", min=0.0, help="Seconds that make a claim slow."
    ),
    jobs: int = typer.Option(1, "--jobs", min=1, help=_JOBS_HELP),
    scheduler: str = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Full statement and source per claim."),
    out: Path = typer.Option(
        None, "--out", help="Also write the sweep table (<out>.md) and per-claim summary (<out>.json)."
    ),
    threads: int = typer.Option(1, "--threads", min=1, help=_THREADS_HELP),
) -> None:
    """Run the claims ledger; exit status 1 if any claim fails (or, with --broken, passes)."""
    from analysis._core.claims import get_claims, parse_seeds, summarise_sweep, sweep_claims
    from analysis._core.execution import TaskError

    try:
        seed_list = parse_seeds(seeds) if seeds is not None else [seed]
        slow_list = parse_seeds(slow_seeds) if slow_seeds is not None else None
    except ValueError as exc:
        typer.echo(f"error: --{exc}", err=True)
        raise typer.Exit(2) from exc
    if scheduler is not None and jobs > 1:
        typer.echo("error: --jobs: the cluster's workers set the parallelism with --scheduler", err=True)
        raise typer.Exit(2)
    if seeds is not None and seed != 0:
        typer.echo("error: give --seed or --seeds, not both", err=True)
        raise typer.Exit(2)
    _set_torch_threads(threads)
    claims = get_claims(topic.value if topic is not None else None)
    if claim_ids:
        known = {c.id for c in claims}
        unknown = [c for c in claim_ids if c not in known]
        if unknown:
            typer.echo(f"error: --claim: unknown claim id(s) {unknown}; see `list`", err=True)
            raise typer.Exit(2)
        claims = [c for c in claims if c.id in claim_ids]
    sweeping = seeds is not None
    try:
        if slow_list is None:
            records = sweep_claims(claims, seed_list, broken=broken, jobs=jobs, scheduler=scheduler,
                                   progress=sweeping and not as_json)
        else:
            # The first two seeds of every claim are run first; a claim is slow when the smaller
            # of their CPU times (not wall time: the machine may be loaded; not the first call
            # alone: it pays one-off warm-ups) exceeds --slow-limit. The rest follow.
            head = [s for s in seed_list[:2]]
            first = sweep_claims(claims, head, broken=broken, jobs=jobs, scheduler=scheduler)
            cpu: dict[str, float] = {}
            for r in first:
                cpu[r["id"]] = min(cpu.get(r["id"], math.inf), r["cpu_seconds"])
            plan = {c.id: [s for s in (slow_list if cpu[c.id] > slow_limit else seed_list)
                           if s not in head] for c in claims}
            rest = sweep_claims(claims, plan, broken=broken, jobs=jobs, scheduler=scheduler,
                                progress=sweeping and not as_json)
            by_claim: dict[str, list[dict]] = {c.id: [] for c in claims}
            for r in [*first, *rest]:
                by_claim[r["id"]].append(r)
            records = [r for c in claims for r in by_claim[c.id]]
    except (TaskError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    want = "fail" if broken else "pass"
    wrong = [r for r in records if r["status"] != want]
    if as_json:
        keys = ("id", "topic", "source", "statement", "seed", "broken", "status", "slack",
                "tolerance", "seconds", "cpu_seconds", "detail")
        rows = [
            {k: (None if isinstance(r[k], float) and r[k] != r[k] else r[k]) for k in keys}
            for r in records
        ]
        from analysis._core.provenance import provenance

        # Claims build their instances on the CPU in float64 (no claim takes a device).
        typer.echo(json.dumps({"provenance": provenance(device="cpu", dtype="float64"),
                               "claims": rows}, indent=1))
    elif sweeping or broken:
        table = _sweep_table(summarise_sweep(records), broken=broken)
        typer.echo(table)
    else:
        typer.echo(_PASS_RULE)
        typer.echo(_table(records, verbose=verbose))
        n_pass = sum(r["status"] == "pass" for r in records)
        typer.echo(f"\n{n_pass}/{len(records)} claims pass (seed {seed})")
        for r in records:
            if r["status"] != "pass":
                typer.echo(f"  {r['status'].upper()} {r['id']}: {r['detail']}")
    if out is not None:
        from analysis._core.figio import write_text_atomically

        write_text_atomically(_with_ext(out, ".md"),
                              _sweep_table(summarise_sweep(records), broken=broken) + "\n")
        summary = [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in summarise_sweep(records)
        ]
        write_text_atomically(_with_ext(out, ".json"), json.dumps(
            {"broken": broken, "pass_rule": _PASS_RULE, "claims": summary}, indent=1) + "\n")
    if wrong:
        raise typer.Exit(1)


_PASS_RULE = "pass rule: slack >= -tolerance (slack > 0: inside the claim; < 0: outside by that much)"


def _fmt(x: float, digits: int = 2) -> str:
    """A number with ``digits`` significant digits, never ``-0``."""
    if x != x:
        return "nan"
    text = f"{x:.{digits}g}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _with_ext(out: Path, ext: str) -> Path:
    """``out`` + ``ext`` (``--out`` names a stem; dots in it, as in claim ids, are kept)."""
    if out.suffix in (".md", ".json"):
        out = out.with_suffix("")
    return out.with_name(out.name + ext)


def _seed_ranges(seeds: list[int], limit: int = 40) -> str:
    """``[0, 1, 2, 5, 424242]`` -> ``"0-2,5,424242"`` (cut at ``limit`` characters)."""
    parts: list[str] = []
    ordered = sorted(seeds)
    start = prev = ordered[0]
    for s in [*ordered[1:], None]:
        if s is not None and s == prev + 1:
            prev = s
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if s is not None:
            start = prev = s
    text = ",".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sweep_table(rows: list[dict], *, broken: bool) -> str:
    """The markdown sweep report from :func:`~analysis._core.claims.summarise_sweep` rows."""
    head = ("id", "seeds", "wrong", "worst slack/tol", "at worst seed: slack (tol)", "CPU s",
            "wrong seeds")
    body = [
        (
            r["id"],
            f"{_seed_ranges(r['seeds'])} ({r['n_seeds']})",
            str(r["n_wrong"]),
            _fmt(r["worst_ratio"], 3),
            f"{_fmt(r['worst_slack'], 3)} ({_fmt(r['worst_tolerance'], 2)})"
            if r.get("worst_slack") is not None else "",
            f"{r.get('cpu_seconds', r['seconds']):.1f}",
            ",".join(map(str, r["wrong_seeds"][:10])) + (" ..." if r["n_wrong"] > 10 else ""),
        )
        for r in rows
    ]
    n_wrong = sum(r["n_wrong"] > 0 for r in rows)
    if broken:
        rule = ("broken variants: each must FAIL on every seed (slack < -tolerance, i.e. "
                "slack/tol < -1); 'worst' is the largest slack/tol over seeds")
        summary = f"{n_wrong} of {len(rows)} broken variants pass or error on some seed"
    else:
        rule = _PASS_RULE + "; 'worst' is the smallest slack/tol over seeds (>= -1 passes)"
        summary = f"{n_wrong} of {len(rows)} claims fail or error on some seed"
    lines = [rule, "", _markdown_table(head, body), "", summary]
    for r in rows:
        for d in r["wrong_detail"]:
            lines.append(f"  {r['id']}: {d}")
    return "\n".join(lines)


@app.command("sweep-report")
def sweep_report_cmd(
    inputs: list[Path] = typer.Argument(..., help="Summary JSON files written by `verify --out`."),
    out: Path = typer.Option(..., "--out", help="Write <out>.md and <out>.json."),
) -> None:
    """Merge the per-topic sweep summaries of `verify --seeds ... --out` into one report.

    A claim in several inputs keeps the row of the last one (re-sweep one claim with
    `verify --claim ID --out F` and list F after its topic's summary).
    """
    from analysis._core.figio import write_text_atomically

    by_id, modes = {}, set()
    for path in inputs:
        try:
            payload = json.loads(path.read_text())
            # a later summary's row replaces an earlier one's for the same claim (a re-swept claim
            # merged over its topic's summary); the order of first appearance is kept
            by_id.update({r["id"]: r for r in payload["claims"]})
            modes.add(bool(payload["broken"]))
        except (OSError, ValueError, KeyError) as exc:
            typer.echo(f"error: {path}: not a sweep summary written by `verify --out` ({exc})", err=True)
            raise typer.Exit(2) from exc
    if len(modes) != 1:
        typer.echo("error: mix of normal and --broken summaries; merge each kind separately", err=True)
        raise typer.Exit(2)
    broken = modes.pop()
    rows = list(by_id.values())
    for r in rows:
        if r.get("worst_ratio") is None:
            r["worst_ratio"] = float("nan")
    write_text_atomically(_with_ext(out, ".md"), _sweep_table(rows, broken=broken) + "\n")
    write_text_atomically(_with_ext(out, ".json"), json.dumps(
        {"broken": broken, "pass_rule": _PASS_RULE, "claims": [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in rows]}, indent=1) + "\n")
    typer.echo(_sweep_table(rows, broken=broken))
    if any(r["n_wrong"] for r in rows):
        raise typer.Exit(1)


def _markdown_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    fmt = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    lines = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def _table(records: list[dict], *, verbose: bool = False) -> str:
    head = ("id", "source", "status", "slack", "tol", "seconds")
    rows = [
        (
            r["id"],
            r["source"] if verbose or len(r["source"]) <= 60 else r["source"][:57] + "...",
            r["status"],
            _fmt(r["slack"], 3),
            _fmt(r["tolerance"], 2),
            f"{r['seconds']:.2f}",
        )
        for r in records
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    for r, row in zip(records, rows, strict=True):
        lines.append(fmt.format(*row))
        if verbose:
            lines.append(f"    statement: {r['statement']}")
            if r["detail"]:
                lines.append(f"    measured:  {r['detail']}")
    return "\n".join(lines)


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List registered figures and claims with their topic."""
    from analysis._core.claims import get_claims
    from analysis._core.registry import get_figures

    figs = [{"name": f.name, "topic": f.topic, "title": f.title} for f in get_figures()]
    claims = [
        {"id": c.id, "topic": c.topic, "source": c.source, "statement": c.statement}
        for c in get_claims()
    ]
    if as_json:
        typer.echo(json.dumps({"figures": figs, "claims": claims}, indent=1))
        return
    typer.echo("Figures:")
    for f in figs:
        typer.echo(f"  {f['name']:<36} [{f['topic']}] {f['title']}")
    typer.echo("Claims:")
    for c in claims:
        typer.echo(f"  {c['id']:<36} [{c['topic']}] {c['statement']}")


def _register_data_commands() -> None:
    from analysis.figures.data_cli import data_app

    app.add_typer(data_app, name="data", help="Real datasets: list, fetch, path (the data layer).")


_register_data_commands()


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"analysis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """ML theory workbench: regenerate figures, verify the claims ledger, list both."""


def main() -> None:
    """Entry point of ``python -m analysis`` and the ``analysis`` script."""
    app()

"""Command-line interface: ``python -m analysis {figures,verify,list}``."""

from __future__ import annotations

import json
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


_THREADS_HELP = "torch intra-op threads (CPU)."


def _set_torch_threads(n: int) -> None:
    """Set torch's CPU intra-op threads for this process.

    The claims and most figures run many small tensor programs, where intra-op threads cost more
    than they give: measured on a 2-core machine with another process busy, 2 threads made the
    implicit_reg claims 5-10x and a quick neural-collapse figure ~100x slower than 1 thread.
    """
    import torch

    torch.set_num_threads(n)


@app.command("figures")
def figures_cmd(
    names: list[str] = typer.Argument(None, help="Figure names (see `list`)."),
    all_: bool = typer.Option(False, "--all", help="Regenerate every registered figure."),
    topic: Topic = typer.Option(None, "--topic", help="Only this topic's figures."),
    scale: Scale = typer.Option(Scale.quick, "--scale", help="quick (seconds) or paper."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of every random instance."),
    device: Device = typer.Option(Device.auto, "--device", help="torch device."),
    out: Path = typer.Option(Path("figures"), "--out", help="Output folder."),
    threads: int = typer.Option(1, "--threads", min=1, help=_THREADS_HELP),
) -> None:
    """Regenerate figures: <name>.png, <name>.pdf and <name>.json (data + parameters)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from analysis._core.device import resolve_device
    from analysis._core.figio import save_figure_atomically
    from analysis._core.registry import get_figures, render_figure

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
            typer.echo(
                f"error: unknown figure name(s): {', '.join(unknown)}\n"
                f"valid names: {', '.join(sorted(specs))}",
                err=True,
            )
            raise typer.Exit(2)
        selected = list(names)
    else:
        typer.echo("error: name at least one figure, or pass --all or --topic", err=True)
        typer.echo(f"valid names: {', '.join(sorted(specs))}", err=True)
        raise typer.Exit(2)
    if not selected:
        typer.echo("no figures registered for that selection", err=True)
        raise typer.Exit(1)
    try:
        resolve_device(device.value)
    except ValueError as exc:
        typer.echo(f"error: --{exc}", err=True)
        raise typer.Exit(2) from exc

    _set_torch_threads(threads)
    bar = tqdm(selected, desc="figures", unit="fig", file=sys.stderr)
    for name in bar:
        bar.set_postfix_str(name)
        start = time.perf_counter()
        fig, data = render_figure(name, scale=scale.value, seed=seed, device=device.value)
        meta = {
            "name": name,
            "topic": specs[name].topic,
            "title": specs[name].title,
            "scale": scale.value,
            "seed": seed,
            "device": device.value,
            "version": __version__,
            "seconds": round(time.perf_counter() - start, 3),
        }
        save_figure_atomically(fig, data, out, name, meta)
        plt.close(fig)
        tqdm.write(f"{name}: {meta['seconds']:.1f} s -> {out / name}.{{png,pdf,json}}", file=sys.stderr)


@app.command("verify")
def verify_cmd(
    topic: Topic = typer.Option(None, "--topic", help="Only this topic's claims."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of every claim's random instance."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    threads: int = typer.Option(1, "--threads", min=1, help=_THREADS_HELP),
) -> None:
    """Run the claims ledger; exit status 1 if any claim fails or errors."""
    from analysis._core.claims import get_claims, run_claim

    _set_torch_threads(threads)
    claims = get_claims(topic.value if topic is not None else None)
    records = [run_claim(c, seed) for c in claims]
    if as_json:
        keys = ("id", "topic", "source", "statement", "status", "slack", "tolerance", "seconds")
        rows = [
            {k: (None if isinstance(r[k], float) and r[k] != r[k] else r[k]) for k in keys}
            for r in records
        ]
        typer.echo(json.dumps({"claims": rows}, indent=1))
    else:
        typer.echo(_table(records))
        n_pass = sum(r["status"] == "pass" for r in records)
        typer.echo(f"\n{n_pass}/{len(records)} claims pass (seed {seed})")
        for r in records:
            if r["status"] != "pass":
                typer.echo(f"  {r['status'].upper()} {r['id']}: {r['detail']}")
    if any(r["status"] != "pass" for r in records):
        raise typer.Exit(1)


def _table(records: list[dict]) -> str:
    head = ("id", "source", "status", "slack", "tol", "seconds")
    rows = [
        (
            r["id"],
            r["source"] if len(r["source"]) <= 44 else r["source"][:41] + "...",
            r["status"],
            f"{r['slack']:.3g}",
            f"{r['tolerance']:.1g}",
            f"{r['seconds']:.2f}",
        )
        for r in records
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
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


def main() -> None:
    """Entry point of ``python -m analysis`` and the ``analysis`` script."""
    app()

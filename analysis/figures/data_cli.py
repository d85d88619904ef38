"""``python -m analysis data {list,fetch,path}``: the shared data layer from the command line.

``data_app`` is a typer sub-application; the main CLI registers it with
``app.add_typer(data_app, name="data")``.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from analysis._core import datasets

data_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Named real datasets: list them, fetch one into the cache, print where one lives.",
)


def _known(name: str) -> datasets.DatasetInfo:
    """The dataset's info, or exit 2 with the closest names."""
    try:
        return datasets.dataset_info(name)
    except datasets.UnknownDatasetError:
        close = difflib.get_close_matches(name, datasets.list_datasets(), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        typer.echo(f"error: unknown dataset {name!r}{hint}", err=True)
        typer.echo(f"known datasets: {', '.join(datasets.list_datasets())}", err=True)
        raise typer.Exit(2) from None


@data_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    topic: Annotated[Optional[str], typer.Option(help="Only this topic's datasets.")] = None,  # noqa: UP045
) -> None:
    """List the datasets: name, topic, available here, source, SHA-256, license."""
    rows = []
    for name in datasets.list_datasets(topic):
        info = datasets.dataset_info(name)
        rows.append(
            {
                "name": name,
                "topic": info.topic,
                "available": datasets.is_available(name),
                "source": info.source,
                "sha256": info.sha256,
                "license": info.license,
                "shipped": info.shipped,
                "path": str(datasets.SHIPPED_DIR / name if info.shipped
                            else datasets.cache_dir() / name / info.files[0].name),
            }
        )
    if as_json:
        typer.echo(json.dumps({"datasets": rows}, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=4)
    typer.echo(f"{'name':<{width}}  {'topic':<13} {'available':<9}  where")
    for r in rows:
        where = "shipped" if r["shipped"] else r["path"]
        avail = "yes" if r["available"] else "no"
        typer.echo(f"{r['name']:<{width}}  {r['topic']:<13} {avail:<9}  {where}")
    typer.echo(f"cache folder: {datasets.cache_dir()} (set ${datasets.CACHE_ENV} to move it)")


@data_app.command("fetch")
def fetch_command(
    name: Annotated[str, typer.Argument(help="Dataset name (see `data list`).")],
    from_path: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--from", help="Verify a file you obtained yourself; copy it into the cache."),
    ] = None,
) -> None:
    """Make a dataset available (verify, download or copy into the cache); print its path."""
    _known(name)
    try:
        path = datasets.add_to_cache(name, from_path) if from_path else datasets.fetch(name)
    except datasets.DatasetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(str(path))


@data_app.command("path")
def path_command(name: Annotated[str, typer.Argument(help="Dataset name (see `data list`).")]) -> None:
    """Print where a dataset lives; exit 1 with where to put it when it is missing."""
    _known(name)
    try:
        path = datasets.dataset_path(name, verify=False)
    except datasets.DatasetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(str(path))

"""Saving a figure with its data and parameters, atomically.

All three files (PNG, PDF, JSON) are first written to temporary files in the target folder;
only when all three are complete are they renamed into place (``os.replace`` is atomic on one
file system). A failure or interruption part-way leaves the previous files untouched and
removes the temporaries.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(obj: Any) -> Any:
    """Convert numpy / torch values to plain JSON types (non-finite floats become ``None``)."""
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if obj is None or isinstance(obj, (int, str)):
        return obj
    raise TypeError(f"data: cannot store a {type(obj).__name__} in JSON")


def _default_file_mode() -> int:
    """The mode an ordinary ``open(..., "w")`` would give a new file (0o666 less the umask).

    ``tempfile.mkstemp`` creates files with mode 0600; renamed into place they would be readable
    by their owner only, so every temporary is given this mode before the rename.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: str | os.PathLike, writer) -> None:
    """Call ``writer(tmp_path)`` then rename ``tmp_path`` to ``path``; nothing is left on failure."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, _default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (parent folders created; nothing left on failure)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda tmp: Path(tmp).write_text(text))


def save_figure_atomically(
    fig: Any, data: dict, out_dir: str | os.PathLike, name: str, metadata: dict | None = None
) -> list[Path]:
    """Write ``<name>.png``, ``<name>.pdf`` and ``<name>.json`` into ``out_dir``, atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    data : dict
        The plotted arrays and parameters; stored under ``"data"`` in the JSON file.
    out_dir : path
        Target folder (created if missing).
    name : str
        File stem.
    metadata : dict, optional
        Stored at the top level of the JSON file (name, topic, scale, seed, version, ...).

    Returns
    -------
    list of pathlib.Path
        The three written paths.
    """
    return write_figure_files(figure_bytes(fig), data, out_dir, name, metadata)


def figure_bytes(fig: Any) -> dict[str, bytes]:
    """The PNG and PDF renderings of ``fig`` as bytes (reproducible: no dates in the metadata).

    Used where a figure is rendered in one process (a cluster worker) and written in another.
    """
    import io

    out = {}
    for ext, meta in (("png", {"Software": None}),
                      ("pdf", {"CreationDate": None, "ModDate": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, metadata=meta)
        out[ext] = buf.getvalue()
    return out


def write_figure_files(
    images: dict[str, bytes], data: dict, out_dir: str | os.PathLike, name: str,
    metadata: dict | None = None,
) -> list[Path]:
    """Write ``images`` (``{"png": bytes, "pdf": bytes}``) and the JSON of ``data``, atomically.

    All files go to temporaries in ``out_dir`` first and are renamed into place only when every
    one is complete; on failure the previous files are untouched and no temporary is left.
    """
    if set(images) != {"png", "pdf"}:
        raise ValueError(f"images: expected the keys 'png' and 'pdf', got {sorted(images)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = dict(metadata or {})
    payload["data"] = to_jsonable(data)
    contents = {**images, "json": (json.dumps(payload, indent=1, allow_nan=False) + "\n").encode()}
    targets = {ext: out / f"{name}.{ext}" for ext in ("png", "pdf", "json")}
    temps: dict[str, str] = {}
    try:
        for ext in targets:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".{ext}.tmp", dir=out)
            os.close(fd)
            temps[ext] = tmp
        for ext in targets:
            Path(temps[ext]).write_bytes(contents[ext])
        mode = _default_file_mode()
        for ext, target in targets.items():
            os.chmod(temps[ext], mode)
            os.replace(temps.pop(ext), target)
    finally:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
    return list(targets.values())

"""What produced an output: versions, git commit, command line, device and dtype.

Every figure JSON carries a ``provenance`` record (and ``verify --json`` one for the run), so a
number can always be traced to the code and the machine that computed it. The schema of the
figure files is ``analysis/_core/figure.schema.json``; :data:`SCHEMA_VERSION` is bumped when
the layout of the files changes.
"""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

#: Version of the layout of figure JSON files (see ``figure.schema.json``).
SCHEMA_VERSION = 2

_PACKAGES = ("numpy", "scipy", "torch", "cvxpy", "matplotlib", "scikit-learn", "sympy")


@functools.cache
def package_versions() -> dict[str, str | None]:
    """Installed versions of python, the numerical stack and this package."""
    from analysis import __version__

    versions: dict[str, str | None] = {"python": platform.python_version(), "analysis": __version__}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(root: Path | None = None) -> dict[str, object]:
    """The git commit of the source tree and whether it has uncommitted changes.

    Returns ``{"commit": None, "dirty": None}`` outside a git checkout (an installed wheel).
    """
    root = Path(root) if root is not None else Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "analysis"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": bool(status.strip())}


def _program() -> str:
    """How the running program was invoked (``python -m analysis`` rather than ``__main__.py``)."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if name == "__main__.py":
        package = Path(sys.argv[0]).parent.name
        return f"python -m {package}"
    return name


def provenance(device: object = None, dtype: object = None) -> dict[str, object]:
    """The provenance record of one output.

    Parameters
    ----------
    device : torch.device or str, optional
        The device the computation *used* (resolved, never ``"auto"``).
    dtype : torch.dtype or str, optional
        The floating-point type of the simulation.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "device": None if device is None else str(device),
        "dtype": None if dtype is None else str(dtype).replace("torch.", ""),
        "versions": package_versions(),
        "git": git_state(),
        "command": [_program(), *sys.argv[1:]],
        "platform": platform.platform(),
    }

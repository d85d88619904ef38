r"""A resumable on-disk cache of small numerical results (e.g. the prediction changes of refits).

Long experiments that refit a model many times (the representers' case-deletion curves at the
paper scale: hundreds of warm-started refits, minutes to tens of minutes) store each unit of work
as soon as it is done, keyed by everything its value depends on; a run that is interrupted, or
run again, recomputes only what is missing.

* **Key.** :func:`result_key` hashes (SHA-256) a canonical encoding of its parts: strings,
  integers, floats (by their exact bits), ``None``, tuples/lists, and numpy arrays by dtype,
  shape and bytes. Callers put in the data, the settings, the warm start and the *source of the
  code* that computes the value (:func:`source_digest`), so an edit to that code never serves a
  stale value.
* **Files.** One ``<key>.npy`` per entry under the cache folder, written atomically (a temporary
  file renamed into place): an interrupted run never leaves a half-written entry. An entry that
  cannot be read (a file damaged outside the library) is reported by :meth:`ResultCache.get` as a
  :class:`CacheEntryError` naming the file, never silently used or replaced.

The default folder is ``$ANALYSIS_CACHE_DIR`` if set, else ``results/`` inside the data cache
(``$ANALYSIS_DATA_DIR``, default ``~/.cache/analysis-workbench``).
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import numpy as np

from analysis._core.figio import write_atomically

__all__ = [
    "CacheEntryError",
    "ResultCache",
    "check_cache_and_progress",
    "default_result_cache",
    "result_key",
    "source_digest",
]

CACHE_ENV = "ANALYSIS_CACHE_DIR"


class CacheEntryError(RuntimeError):
    """A cache entry exists but cannot be read as the array it should hold."""


def _feed(h, obj) -> None:
    if obj is None:
        h.update(b"N")
    elif isinstance(obj, bool | np.bool_):
        h.update(b"B1" if obj else b"B0")
    elif isinstance(obj, int | np.integer):
        s = str(int(obj)).encode()
        h.update(b"I" + struct.pack("<q", len(s)) + s)
    elif isinstance(obj, float | np.floating):
        h.update(b"F" + struct.pack("<d", float(obj)))
    elif isinstance(obj, str):
        s = obj.encode()
        h.update(b"S" + struct.pack("<q", len(s)) + s)
    elif isinstance(obj, bytes):
        h.update(b"Y" + struct.pack("<q", len(obj)) + obj)
    elif isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        if a.dtype == object:
            raise TypeError("parts: object arrays cannot be keyed; pass numeric arrays")
        head = f"{a.dtype.str}|{a.shape}".encode()
        h.update(b"A" + struct.pack("<q", len(head)) + head + struct.pack("<q", a.nbytes))
        h.update(a.tobytes())
    elif isinstance(obj, tuple | list):
        h.update(b"T" + struct.pack("<q", len(obj)))
        for item in obj:
            _feed(h, item)
    else:
        raise TypeError(
            f"parts: expected str, int, float, bool, None, bytes, numpy arrays or tuples/lists of "
            f"them, got {type(obj).__name__}"
        )


def result_key(*parts) -> str:
    """SHA-256 (hex) of a canonical encoding of ``parts`` (types, lengths and values).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis._core.result_cache import result_key
    >>> result_key("refit", 1e-6, np.arange(3)) == result_key("refit", 1e-6, np.arange(3))
    True
    >>> result_key("refit", 1e-6, np.arange(3)) == result_key("refit", 1e-6, np.arange(3.0))
    False
    """
    h = hashlib.sha256()
    _feed(h, tuple(parts))
    return h.hexdigest()


def source_digest(module) -> str:
    """SHA-256 of a module's source file: put it in a key so that editing the code invalidates it."""
    path = getattr(module, "__file__", None)
    if not path:
        raise TypeError(f"module: expected a module loaded from a file, got {module!r}")
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class ResultCache:
    """A folder of ``<key>.npy`` arrays, each written atomically (see the module docstring).

    Parameters
    ----------
    directory : str or path-like
        The folder (created on the first write).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from analysis._core.result_cache import ResultCache, result_key
    >>> cache = ResultCache(tempfile.mkdtemp())
    >>> k = result_key("example", 3)
    >>> cache.get(k) is None
    True
    >>> cache.put(k, np.array([0.5, -1.0]))
    >>> cache.get(k)
    array([ 0.5, -1. ])
    """

    def __init__(self, directory):
        if not isinstance(directory, str | os.PathLike) or not str(directory):
            raise ValueError(f"directory: expected a folder path, got {directory!r}")
        self.directory = Path(directory).expanduser()
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"directory: {self.directory} exists and is not a folder")

    def __repr__(self) -> str:
        return f"ResultCache({str(self.directory)!r})"

    def _path(self, key: str) -> Path:
        if not (isinstance(key, str) and len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            raise ValueError(f"key: expected a result_key() (64 hex digits), got {key!r}")
        return self.directory / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        """The stored array, or ``None`` when there is no entry; a damaged entry raises."""
        path = self._path(key)
        if not path.exists():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
            raise CacheEntryError(
                f"cache entry {path} cannot be read ({type(exc).__name__}: {exc}); delete the file "
                f"to recompute it"
            ) from exc

    def put(self, key: str, value) -> None:
        """Store ``value`` (a numeric array) under ``key``, atomically."""
        path = self._path(key)
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError("value: expected a numeric array, got an object array")
        self.directory.mkdir(parents=True, exist_ok=True)

        def writer(tmp):
            with open(tmp, "wb") as f:
                np.save(f, arr, allow_pickle=False)

        write_atomically(path, writer)

    def __len__(self) -> int:
        return len(list(self.directory.glob("*.npy"))) if self.directory.is_dir() else 0


def check_cache_and_progress(cache, progress) -> None:
    """Validate the ``cache`` and ``progress`` arguments that long experiments share.

    ``cache`` is a :class:`ResultCache` or None, ``progress`` a bool; errors name the argument.
    """
    if cache is not None and not isinstance(cache, ResultCache):
        raise ValueError(f"cache: expected a ResultCache or None, got {type(cache).__name__}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress: expected a bool, got {progress!r}")


def default_result_cache() -> ResultCache:
    """``$ANALYSIS_CACHE_DIR`` if set, else ``<data cache>/results`` (see the module docstring)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return ResultCache(env)
    from analysis._core.datasets import cache_dir

    return ResultCache(cache_dir() / "results")

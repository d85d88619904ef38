"""The one data layer: named real datasets with citation, license, SHA-256 and clear offline errors.

Every dataset has a name, a topic, a citation, a license note, a source (URL or repository + path),
the SHA-256 of its file(s) and the shape/counts it must have. A file is found, in this order:

1. shipped in the repository under ``analysis/_data/<name>/`` (small files whose license allows
   redistribution: the ZSL class-attribute matrices);
2. in the cache folder ``$ANALYSIS_DATA_DIR/<name>/`` (default ``~/.cache/analysis-workbench``);
3. a path the user passes to the reader (``path=``).

:func:`fetch` downloads a missing file from its official source when a network is there (plain
``urllib``; set ``ANALYSIS_OFFLINE=1`` to skip every network attempt), verifies it (SHA-256 and
counts) and only then moves it into the cache: the file is written to a temporary file in the same
folder and renamed, so a failed or interrupted download never leaves a half-written cache file.
Offline and uncached, :func:`dataset_path` and the readers raise :class:`DatasetNotAvailableError`
with the exact path where the file belongs and where it comes from.

Public API: :func:`list_datasets`, :func:`dataset_info`, :func:`dataset_path`, :func:`fetch`,
:func:`is_available`, :func:`cache_dir`, and the readers :func:`load_class_attributes` (ZSL
benchmarks), :func:`load_movielens100k` (``u.data``) and :func:`load_libsvm` (rcv1, gisette,
news20).
"""

from __future__ import annotations

import bz2
import difflib
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "CACHE_ENV",
    "OFFLINE_ENV",
    "SHIPPED_DIR",
    "ClassAttributes",
    "DataFile",
    "DatasetChecksumError",
    "DatasetError",
    "DatasetFormatError",
    "DatasetInfo",
    "DatasetNotAvailableError",
    "LibsvmData",
    "MovieLensRatings",
    "UnknownDatasetError",
    "add_to_cache",
    "cache_dir",
    "dataset_info",
    "dataset_path",
    "fetch",
    "is_available",
    "list_datasets",
    "load_class_attributes",
    "load_libsvm",
    "load_movielens100k",
    "read_libsvm_file",
    "read_movielens_udata",
    "sha256_file",
]

CACHE_ENV = "ANALYSIS_DATA_DIR"
OFFLINE_ENV = "ANALYSIS_OFFLINE"
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "_data"
_DOWNLOAD_TIMEOUT_S = 20.0


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class DatasetError(Exception):
    """Base class of every data-layer error."""


class UnknownDatasetError(DatasetError, ValueError):
    """A dataset name that is not registered (the message suggests the closest names)."""


class DatasetNotAvailableError(DatasetError, FileNotFoundError):
    """The file is neither shipped, cached nor downloadable now; the message says where to put it."""


class DatasetChecksumError(DatasetError, ValueError):
    """A file whose SHA-256 differs from the registered one."""


class DatasetFormatError(DatasetError, ValueError):
    """A malformed file, wrong shape or counts, NaN or out-of-range entries, duplicate names."""


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Attributes
    ----------
    name : str
        File name inside the dataset folder (shipped or cached).
    sha256 : str or None
        Expected SHA-256 (hex); ``None`` when no trusted checksum is known (then the reader's
        shape and label checks are the only verification, and :func:`dataset_info` says so).
    source : str
        Where this exact file comes from (URL, or repository + path + commit).
    """

    name: str
    sha256: str | None
    source: str


@dataclass(frozen=True)
class DatasetInfo:
    """Everything the workbench knows about one named dataset."""

    name: str
    topic: str
    title: str
    citation: str
    license: str
    source: str
    files: tuple[DataFile, ...]
    expected: str
    shipped: bool
    redistributable: bool
    obtain: str
    notes: str = ""
    urls: tuple[str, ...] = field(default=())

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the primary (first) file."""
        return self.files[0].sha256

    def as_dict(self) -> dict:
        """JSON-ready summary (used by ``analysis data list --json``)."""
        return {
            "name": self.name,
            "topic": self.topic,
            "title": self.title,
            "citation": self.citation,
            "license": self.license,
            "source": self.source,
            "sha256": self.sha256,
            "files": [{"name": f.name, "sha256": f.sha256, "source": f.source} for f in self.files],
            "expected": self.expected,
            "shipped": self.shipped,
            "redistributable": self.redistributable,
            "obtain": self.obtain,
        }


_XIAN = (
    "Y. Xian, C. H. Lampert, B. Schiele, Z. Akata. Zero-Shot Learning - A Comprehensive Evaluation "
    "of the Good, the Bad and the Ugly. IEEE TPAMI 41(9), 2019 (arXiv:1707.00600; CVPR 2017)"
)
_XLSA_URL = "http://datasets.d2.mpi-inf.mpg.de/xian/xlsa17.zip"
_ZSL_LICENSE_TAIL = (
    " Class-level attribute matrices and class/attribute name lists only (no images); they are "
    "redistributed for research use, as in the public repositories named in PROVENANCE.md."
)

_REGISTRY: dict[str, DatasetInfo] = {}

# SHA-256 of every shipped file (the files under analysis/_data/<name>/), checked on each load.
_SHIPPED_SHA256 = {
    "apy/att_splits.mat": "7a05d4b3b6af13f30f99f9f3dbfc058cff6f7564aa085bec36b7e768fa26d1b8",
    "apy/attributes.txt": "2eacfdf48d6807324503de911300f6b563f46a10b52e74e80a9a347e80784cb0",
    "apy/testclasses.txt": "1efc07d4bf32b51871b30c16adac7bc2c52cda36b3df595a36480062ad111bea",
    "awa2/att_splits.mat": "dfe0e4f26ef5debaa77eff823a9316ac110e9b809b70d19c72dd11404f7be357",
    "awa2/classes.txt": "691c8c92db822894436225c814252dd2eddf086c75392db4b950d3081de87dfc",
    "awa2/predicates.txt": "cf0a47c75895f1b4bdabb08273fb142e78f2b5373c246f1a83b37fe970c3c79f",
    "awa2/testclasses.txt": "43b7e83fce80663a12a838ae367b7d12616aa713365dec5d874eb0cb82c5b275",
    "cub/attributes.txt": "d5b158c197a8548071114150b2384c55cbd8881b32e57816c6ccc1437e946a1a",
    "cub/class_attribute_labels_continuous.txt":
        "6e7ead7702809b5f503b4b51ea421bddcec73ffa67df41a8004b323f7f59f52b",
    "cub/classes.txt": "66a884364a73edde6c71eeb7fd5d8bb791e80979b64759bd6a5d5d209bdc02ba",
    "cub/testclasses.txt": "2adcf5ae19ee338ef46ae938c13c4a94d36c30dfc75981edf4fc6dd7f856ef3c",
    "sun/att_splits.mat": "90dcb2a60704ce1117ba1897523ba78dc6b625e606008918c4eade9cd8a5bf43",
    "sun/attributes.txt": "e901fb6b883ed0c178c47b3b77f998c5a2702252a9ea987b80ddfb0012b22947",
    "sun/testclasses.txt": "24a82dc14e9cd25adbe8e137d73dad83e00c3ff97e30d67e72637305c4bb52f1",
}


def _register(info: DatasetInfo) -> None:
    if info.shipped:
        info = replace(info, files=tuple(
            replace(f, sha256=_SHIPPED_SHA256[f"{info.name}/{f.name}"]) for f in info.files))
    _REGISTRY[info.name] = info


_register(
    DatasetInfo(
        name="awa2",
        topic="zsl",
        title="Animals with Attributes 2: 50 classes x 85 continuous predicates (0..100)",
        citation=(
            "C. H. Lampert, H. Nickisch, S. Harmeling. Attribute-Based Classification for Zero-Shot "
            "Visual Object Categorization. IEEE TPAMI 36(3), 2014; predicate values from Osherson "
            "et al. 1991 and Kemp et al. 2006; AwA2 and the proposed split: " + _XIAN
        ),
        license=(
            "AwA2 annotations: free for research (cvml.ist.ac.at/AwA2; images carry their own "
            "licenses and are not used)." + _ZSL_LICENSE_TAIL
        ),
        source="Hanzy1996/CE-GZSL data/AWA2/att_splits.mat (copy of xlsa17 AWA2/att_splits.mat)",
        files=(
            DataFile(
                "att_splits.mat",
                None,
                "github.com/Hanzy1996/CE-GZSL data/AWA2/att_splits.mat @7bf5358a",
            ),
            DataFile(
                "classes.txt",
                None,
                "github.com/wangkai930418/bookworm_continual_learning data/AWA2/classes.txt @41c9ab0f",
            ),
            DataFile(
                "predicates.txt",
                None,
                "github.com/wangkai930418/bookworm_continual_learning "
                "data/AWA2/predicates.txt @41c9ab0f",
            ),
            DataFile(
                "testclasses.txt",
                None,
                "github.com/wangkai930418/bookworm_continual_learning data/AWA2/testclasses.txt "
                "@41c9ab0f (xlsa17 proposed split)",
            ),
        ),
        expected="50 classes x 85 attributes, values in [0, 100] (-1 marks 4 missing antelope values); "
        "10 unseen classes",
        shipped=True,
        redistributable=True,
        obtain="shipped in analysis/_data/awa2/; official: " + _XLSA_URL,
        urls=(_XLSA_URL,),
    )
)
_register(
    DatasetInfo(
        name="cub",
        topic="zsl",
        title="Caltech-UCSD Birds-200-2011: 200 classes x 312 continuous attributes (percent)",
        citation=(
            "C. Wah, S. Branson, P. Welinder, P. Perona, S. Belongie. The Caltech-UCSD Birds-200-2011 "
            "Dataset. Technical Report CNS-TR-2011-001, Caltech, 2011; proposed split: " + _XIAN
        ),
        license=(
            "CUB-200-2011 annotations: research use (vision.caltech.edu/datasets/cub_200_2011; "
            "images are from Flickr and not used)." + _ZSL_LICENSE_TAIL
        ),
        source=(
            "Ramnarayan-Choudhary/GPT_3-image-generation_text-prompt- "
            "attributes/class_attribute_labels_continuous.txt (CUB_200_2011/attributes/)"
        ),
        files=(
            DataFile(
                "class_attribute_labels_continuous.txt",
                None,
                "github.com/Ramnarayan-Choudhary/GPT_3-image-generation_text-prompt- "
                "attributes/class_attribute_labels_continuous.txt @b8e171de",
            ),
            DataFile(
                "classes.txt",
                None,
                "github.com/wangkai930418/bookworm_continual_learning data/CUB/classes.txt @41c9ab0f",
            ),
            DataFile(
                "attributes.txt",
                None,
                "github.com/wangkai930418/bookworm_continual_learning data/CUB/attributes.txt @41c9ab0f",
            ),
            DataFile(
                "testclasses.txt",
                None,
                "github.com/wangkai930418/bookworm_continual_learning data/CUB/testclasses.txt "
                "@41c9ab0f (xlsa17 proposed split)",
            ),
        ),
        expected="200 classes x 312 attributes, values in [0, 100]; 50 unseen classes",
        shipped=True,
        redistributable=True,
        obtain="shipped in analysis/_data/cub/; official: "
        "https://data.caltech.edu/records/65de6-vp158 (CUB_200_2011.tgz)",
    )
)
_register(
    DatasetInfo(
        name="sun",
        topic="zsl",
        title="SUN Attribute database: 717 classes x 102 attributes (class means of image labels)",
        citation=(
            "G. Patterson, J. Hays. SUN Attribute Database: Discovering, Annotating, and Recognizing "
            "Scene Attributes. CVPR 2012; proposed split and class-level matrix: " + _XIAN
        ),
        license=(
            "SUN Attribute annotations: research use (cs.brown.edu/~gmpatter/sunattributes.html)."
            + _ZSL_LICENSE_TAIL
        ),
        source="Hanzy1996/CE-GZSL data/SUN/att_splits.mat (copy of xlsa17 SUN/att_splits.mat)",
        files=(
            DataFile(
                "att_splits.mat",
                None,
                "github.com/Hanzy1996/CE-GZSL data/SUN/att_splits.mat @7bf5358a",
            ),
            DataFile("attributes.txt", None, "SUNAttributeDB attributes.mat (see PROVENANCE.md)"),
            DataFile(
                "testclasses.txt",
                None,
                "derived from att_splits.mat test_unseen_loc (see PROVENANCE.md)",
            ),
        ),
        expected="717 classes x 102 attributes, values in [0, 1]; 72 unseen classes",
        shipped=True,
        redistributable=True,
        obtain="shipped in analysis/_data/sun/; official: " + _XLSA_URL,
        urls=(_XLSA_URL,),
    )
)
_register(
    DatasetInfo(
        name="apy",
        topic="zsl",
        title="attribute Pascal and Yahoo (aPY): 32 classes x 64 attributes (class means)",
        citation=(
            "A. Farhadi, I. Endres, D. Hoiem, D. Forsyth. Describing Objects by their Attributes. "
            "CVPR 2009; proposed split and class-level matrix: " + _XIAN
        ),
        license=(
            "aPascal/aYahoo annotations: research use (vision.cs.uiuc.edu/attributes)."
            + _ZSL_LICENSE_TAIL
        ),
        source="StefanDurhamUK/SG-ZSL data/APY/att_splits.mat (copy of xlsa17 APY/att_splits.mat)",
        files=(
            DataFile(
                "att_splits.mat",
                None,
                "github.com/StefanDurhamUK/SG-ZSL data/APY/att_splits.mat @9e1ac410",
            ),
            DataFile("attributes.txt", None, "aPY attribute_names.txt order (see PROVENANCE.md)"),
            DataFile(
                "testclasses.txt",
                None,
                "github.com/StefanDurhamUK/SG-ZSL data/APY/label_unseen.mat @9e1ac410 "
                "(see PROVENANCE.md)",
            ),
        ),
        expected="32 classes x 64 attributes, values in [0, 1]; 12 unseen classes",
        shipped=True,
        redistributable=True,
        obtain="shipped in analysis/_data/apy/; official: " + _XLSA_URL,
        urls=(_XLSA_URL,),
    )
)

_ML100K_ZIP = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
_ML100K_SHA = "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"
_RECBOLE_SPEC = "recbole==1.2.1"
_RECBOLE_WHEEL_SHA = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
_RECBOLE_INTER = "recbole/dataset_example/ml-100k/ml-100k.inter"
ML100K_COUNTS = {
    "ratings": 100_000,
    "users": 943,
    "items": 1_682,
    "histogram": (6_110, 11_370, 27_145, 34_174, 21_201),
}
_register(
    DatasetInfo(
        name="movielens100k",
        topic="representers",
        title="MovieLens 100K ratings (u.data: user, item, rating, timestamp)",
        citation=(
            "F. M. Harper, J. A. Konstan. The MovieLens Datasets: History and Context. "
            "ACM TiiS 5(4), 2015"
        ),
        license=(
            "GroupLens terms: research use; redistribution is NOT permitted. Never committed: it "
            "lives only in the cache folder or at a path you supply."
        ),
        source=_ML100K_ZIP + " (ml-100k/u.data)",
        files=(DataFile("u.data", _ML100K_SHA, _ML100K_ZIP + " ml-100k/u.data"),),
        expected="100000 ratings, 943 users, 1682 items, ratings 1..5 with histogram "
        "6110/11370/27145/34174/21201",
        shipped=False,
        redistributable=False,
        obtain=(
            "`python -m analysis data fetch movielens100k` (GroupLens zip, else the copy inside the "
            f"{_RECBOLE_SPEC} wheel on PyPI: {_RECBOLE_INTER}, converted to u.data), or pass "
            "path= to your own u.data"
        ),
        urls=(_ML100K_ZIP,),
    )
)

_LIBSVM_PAGE = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary.html"
_LIBSVM_BASE = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"
# n_features follows the published representer code (zero-based column indices, so the libsvm
# indices 1..d land in columns 1..d and column 0 stays empty): d + 1 columns.
LIBSVM_SPECS = {
    "rcv1": {"file": "rcv1_train.binary.bz2", "n_features": 47_237, "n_samples": 20_242},
    "gisette": {"file": "gisette_scale.bz2", "n_features": 5_001, "n_samples": 6_000},
    "news20": {"file": "news20.binary.bz2", "n_features": 1_355_192, "n_samples": 19_996},
}
_LIBSVM_CITES = {
    "rcv1": "D. D. Lewis, Y. Yang, T. G. Rose, F. Li. RCV1: A New Benchmark Collection for Text "
    "Categorization Research. JMLR 5, 2004 (binary version: LIBSVM datasets, C.-C. Chang, C.-J. Lin)",
    "gisette": "I. Guyon, S. Gunn, A. Ben-Hur, G. Dror. Result Analysis of the NIPS 2003 Feature "
    "Selection Challenge. NIPS 2004 (scaled version: LIBSVM datasets, C.-C. Chang, C.-J. Lin)",
    "news20": "S. S. Keerthi, D. DeCoste. A Modified Finite Newton Method for Fast Solution of Large "
    "Scale Linear SVMs. JMLR 6, 2005 (news20.binary: LIBSVM datasets, C.-C. Chang, C.-J. Lin)",
}
for _name, _spec in LIBSVM_SPECS.items():
    _register(
        DatasetInfo(
            name=_name,
            topic="representers",
            title=f"{_name} (LIBSVM binary version, {_spec['n_samples']} samples, "
            f"{_spec['n_features']} feature columns)",
            citation=_LIBSVM_CITES[_name],
            license="As distributed on the LIBSVM datasets page (research use); not shipped.",
            source=_LIBSVM_BASE + _spec["file"],
            files=(DataFile(_spec["file"], None, _LIBSVM_BASE + _spec["file"]),),
            expected=f"{_spec['n_samples']} rows, <= {_spec['n_features']} feature columns, "
            "labels in {-1, +1}",
            shipped=False,
            redistributable=False,
            obtain=f"download {_spec['file']} from {_LIBSVM_PAGE} and run `python -m analysis data "
            f"fetch {_name} --from FILE` (verifies, then copies it into the cache), or pass path= "
            "to a libsvm-format file",
            notes="no trusted SHA-256 is pinned: the reader verifies rows, feature columns and labels",
            urls=(_LIBSVM_BASE + _spec["file"],),
        )
    )


# --------------------------------------------------------------------------------------------
# Names, folders, availability
# --------------------------------------------------------------------------------------------


def list_datasets(topic: str | None = None) -> list[str]:
    """Names of the registered datasets (optionally of one topic), sorted."""
    return sorted(n for n, i in _REGISTRY.items() if topic is None or i.topic == topic)


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of ``name``; an unknown name raises with the closest names."""
    if not isinstance(name, str) or name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownDatasetError(
            f"name: unknown dataset {name!r}{hint} (known: {', '.join(list_datasets())})"
        )
    return _REGISTRY[name]


def cache_dir() -> Path:
    """The cache folder: ``$ANALYSIS_DATA_DIR`` if set, else ``~/.cache/analysis-workbench``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "analysis-workbench"


def _folder(info: DatasetInfo) -> Path:
    return SHIPPED_DIR / info.name if info.shipped else cache_dir() / info.name


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_sha(path: Path, expected: str | None) -> None:
    if expected is None:
        return
    got = sha256_file(path)
    if got != expected:
        raise DatasetChecksumError(
            f"{path}: SHA-256 mismatch: expected {expected}, got {got} (the file is corrupt, "
            "truncated or a different version; delete it and fetch it again)"
        )


def _missing_message(info: DatasetInfo, path: Path, why: str = "") -> str:
    if info.shipped:
        return (
            f"dataset {info.name!r}: {path} is missing{': ' + why if why else ''}; it ships with "
            f"the repository (restore it with `git checkout -- analysis/_data/{info.name}`). "
            f"It comes from {next(f.source for f in info.files if f.name == path.name)}."
        )
    return (
        f"dataset {info.name!r} is not available{': ' + why if why else ''}. Put the file at "
        f"{path} (that is $ANALYSIS_DATA_DIR/{info.name}/{path.name}; the cache folder is "
        f"{cache_dir()}). It comes from {info.files[0].source}. How to obtain it: {info.obtain}."
    )


def is_available(name: str) -> bool:
    """Whether every file of ``name`` is present (shipped or cached); checksums are not read."""
    info = dataset_info(name)
    folder = _folder(info)
    return all((folder / f.name).is_file() for f in info.files)


def dataset_path(name: str, *, verify: bool = True) -> Path:
    """Path of the dataset: its folder for multi-file datasets, else its one file.

    Raises :class:`DatasetNotAvailableError` (exact path and source in the message) when a file is
    missing, and :class:`DatasetChecksumError` when ``verify`` and a SHA-256 differs.
    """
    info = dataset_info(name)
    folder = _folder(info)
    for f in info.files:
        p = folder / f.name
        if not p.is_file():
            raise DatasetNotAvailableError(_missing_message(info, p, "file missing"))
        if verify:
            _check_sha(p, f.sha256)
    return folder if len(info.files) > 1 else folder / info.files[0].name


# --------------------------------------------------------------------------------------------
# Atomic cache writes and downloads
# --------------------------------------------------------------------------------------------


def _atomic_write(dest: Path, write: Callable[[io.BufferedWriter], None], *,
                  sha256: str | None = None, check: Callable[[Path], object] | None = None,
                  label: str | None = None) -> Path:
    """Write ``dest`` through a temporary file in the same folder, verify it, then rename.

    ``write`` receives the open binary file; ``check`` (content: shape, counts, labels) and then
    ``sha256`` run on the complete temporary file, and their errors name ``label`` (the file's
    origin) instead of the temporary name. On any failure (including KeyboardInterrupt) the
    temporary file is removed and ``dest`` is left as it was.
    """
    dest = Path(dest)
    created = [p for p in (dest.parent, *dest.parent.parents) if not p.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600 files; give the cache file the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            if check is not None:
                check(tmp)
            if sha256 is not None:
                _check_sha(tmp, sha256)
        except DatasetError as exc:
            where = label or f"{dest} (download)"
            raise type(exc)(str(exc).replace(str(tmp), where) + "; nothing was cached") from None
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for folder in created:  # innermost first: leave no empty cache folders behind
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return dest


def _download_bytes(url: str, timeout: float = _DOWNLOAD_TIMEOUT_S) -> bytes:
    """GET ``url``; any network failure becomes :class:`DatasetNotAvailableError`."""
    if _offline():
        raise DatasetNotAvailableError(f"{url}: not downloaded ({OFFLINE_ENV} is set)")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (https URLs only)
            return resp.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DatasetNotAvailableError(f"{url}: download failed ({exc})") from exc


def fetch(name: str) -> Path:
    """Make ``name`` available locally and return :func:`dataset_path`.

    Shipped datasets are only verified. A cached file is verified and kept. Otherwise the official
    source is tried (and, for MovieLens-100k, the copy in the ``recbole`` 1.2.1 wheel from the
    package index); the result is verified before it is renamed into the cache. When every route
    fails the error lists each route's failure and the exact path where the file belongs.
    """
    info = dataset_info(name)
    if info.shipped:
        return dataset_path(name)
    dest = _folder(info) / info.files[0].name
    if dest.is_file():
        if name == "movielens100k":
            read_movielens_udata(dest)
        else:
            _check_sha(dest, info.files[0].sha256)
        return dest
    if name == "movielens100k":
        return _fetch_movielens(info, dest)
    return _fetch_libsvm(info, dest)


def _fetch_movielens(info: DatasetInfo, dest: Path) -> Path:
    failures = []
    try:
        data = _download_bytes(_ML100K_ZIP)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            raw = zf.read("ml-100k/u.data")
        return _atomic_write(dest, lambda fh: fh.write(raw), sha256=_ML100K_SHA,
                             check=read_movielens_udata, label=f"{_ML100K_ZIP}:ml-100k/u.data")
    except (DatasetError, zipfile.BadZipFile, KeyError) as exc:
        failures.append(f"GroupLens zip: {exc}")
    try:
        raw = _udata_from_recbole()
        return _atomic_write(dest, lambda fh: fh.write(raw), sha256=_ML100K_SHA,
                             check=read_movielens_udata,
                             label=f"u.data converted from {_RECBOLE_SPEC}:{_RECBOLE_INTER}")
    except DatasetError as exc:
        failures.append(f"recbole wheel: {exc}")
    raise DatasetNotAvailableError(_missing_message(info, dest, "; ".join(failures)))


def _udata_from_recbole(wheel: Path | None = None) -> bytes:
    """u.data bytes rebuilt from ``ml-100k.inter`` inside the recbole 1.2.1 wheel.

    The ``.inter`` file is tab-separated with a typed header (``user_id:token`` ...) and the rows
    of u.data in the same order; rewriting the rows tab-separated (user, item, rating, timestamp) gives a
    file whose SHA-256 equals that of the GroupLens u.data.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            if _offline():
                raise DatasetNotAvailableError(f"pip download {_RECBOLE_SPEC}: {OFFLINE_ENV} is set")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   _RECBOLE_SPEC, "-d", tmp]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise DatasetNotAvailableError(f"{' '.join(cmd)}: {exc}") from exc
            wheels = sorted(Path(tmp).glob("recbole-1.2.1-*.whl"))
            if proc.returncode != 0 or not wheels:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
                raise DatasetNotAvailableError(f"{' '.join(cmd)} failed: {tail[0]}")
            wheel = wheels[0]
        _check_sha(Path(wheel), _RECBOLE_WHEEL_SHA)
        try:
            with zipfile.ZipFile(wheel) as zf:
                text = zf.read(_RECBOLE_INTER).decode("ascii")
        except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
            raise DatasetFormatError(f"{wheel}: cannot read {_RECBOLE_INTER} ({exc})") from exc
    return _inter_to_udata(text, source=f"{wheel}:{_RECBOLE_INTER}")


def _inter_to_udata(text: str, *, source: str) -> bytes:
    lines = text.splitlines()
    header = lines[0].split("\t") if lines else []
    want = ["user_id:token", "item_id:token", "rating:float", "timestamp:float"]
    if header != want:
        raise DatasetFormatError(f"{source}: line 1: expected header {want}, got {header}")
    out = []
    for lineno, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        try:
            vals = [int(float(p)) if "." in p else int(p) for p in parts]
        except ValueError as exc:
            raise DatasetFormatError(f"{source}: line {lineno}: not numeric: {line!r}") from exc
        if len(vals) != 4:
            raise DatasetFormatError(f"{source}: line {lineno}: expected 4 fields, got {len(vals)}")
        out.append("%d\t%d\t%d\t%d\n" % tuple(vals))
    return "".join(out).encode("ascii")


def _fetch_libsvm(info: DatasetInfo, dest: Path) -> Path:
    try:
        data = _download_bytes(info.urls[0])
    except DatasetNotAvailableError as exc:
        raise DatasetNotAvailableError(
            _missing_message(info, dest, f"{exc}; where this site is unreachable, download the "
                             "file elsewhere and copy it in")
        ) from exc
    return _atomic_write(dest, lambda fh: fh.write(data),
                         check=lambda p: read_libsvm_file(p, name=info.name), label=info.urls[0])


# --------------------------------------------------------------------------------------------
# ZSL class-attribute matrices
# --------------------------------------------------------------------------------------------


class ClassAttributes(NamedTuple):
    """A class-attribute matrix in its source units, with names and the proposed unseen split.

    ``matrix`` has shape (classes, attributes) in the units of the source (``scale`` is 100 for
    percentages, 1 for fractions); ``missing`` marks entries the source flags as missing (-1 in
    AwA2); ``unseen`` lists the proposed-split unseen classes in the source file's order.
    """

    matrix: np.ndarray
    class_names: tuple[str, ...]
    attribute_names: tuple[str, ...]
    unseen: tuple[str, ...]
    scale: float
    missing: np.ndarray
    source: str


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetFormatError(f"{path}: not a UTF-8 text file ({exc})") from exc
    return text.splitlines()


def read_name_list(path: str | os.PathLike, *, what: str, numbered: bool) -> tuple[str, ...]:
    """Read one name per line (``numbered``: ``"<index> <name>"`` with indices 1, 2, ...).

    Blank lines, a wrong index, or a duplicate name raise :class:`DatasetFormatError` naming the
    file and the line.
    """
    path = Path(path)
    names: list[str] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip()
        if not line:
            raise DatasetFormatError(f"{path}: line {lineno}: empty line in the {what} list")
        if numbered:
            head, _, name = line.partition(" ") if "\t" not in line else line.partition("\t")
            name = name.strip()
            if not head.isdigit() or int(head) != len(names) + 1 or not name:
                raise DatasetFormatError(
                    f"{path}: line {lineno}: expected '{len(names) + 1} <{what} name>', got {raw!r}"
                )
        else:
            name = line
        if name in seen:
            raise DatasetFormatError(
                f"{path}: line {lineno}: duplicate {what} name {name!r} (first on line {seen[name]})"
            )
        seen[name] = lineno
        names.append(name)
    return tuple(names)


def read_matrix_text(path: str | os.PathLike, *, shape: tuple[int, int], low: float, high: float,
                     missing_value: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a whitespace-separated numeric matrix with line-numbered errors.

    Every line must hold ``shape[1]`` finite numbers in ``[low, high]`` (``missing_value`` is
    accepted and reported in the returned mask); there must be ``shape[0]`` lines.
    """
    path = Path(path)
    lines = _read_lines(path)
    if len(lines) != shape[0]:
        raise DatasetFormatError(f"{path}: expected {shape[0]} lines (classes), got {len(lines)}")
    rows = []
    for lineno, line in enumerate(lines, start=1):
        parts = line.split()
        if len(parts) != shape[1]:
            raise DatasetFormatError(
                f"{path}: line {lineno}: expected {shape[1]} values (attributes), got {len(parts)}"
            )
        try:
            rows.append([float(p) for p in parts])
        except ValueError as exc:
            raise DatasetFormatError(f"{path}: line {lineno}: not a number ({exc})") from exc
    m = np.asarray(rows, dtype=np.float64)
    return m, _check_range(m, path, low=low, high=high, missing_value=missing_value, unit="line")


def _check_range(m: np.ndarray, path: Path, *, low: float, high: float,
                 missing_value: float | None, unit: str) -> np.ndarray:
    missing = np.zeros(m.shape, dtype=bool) if missing_value is None else (m == missing_value)
    bad = ~np.isfinite(m)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DatasetFormatError(f"{path}: {unit} {i + 1}, column {j + 1}: {m[i, j]} (NaN/inf)")
    out = ((m < low) | (m > high)) & ~missing
    if out.any():
        i, j = np.argwhere(out)[0]
        raise DatasetFormatError(
            f"{path}: {unit} {i + 1}, column {j + 1}: {m[i, j]} is outside [{low}, {high}]"
            + (f" (and is not the missing-value marker {missing_value})" if missing_value else "")
        )
    return missing


def _read_att_splits(path: Path, *, n_classes: int, n_attributes: int, high: float,
                     missing_value: float | None) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    import scipy.io

    try:
        d = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises several unrelated types for a corrupt .mat
        raise DatasetFormatError(f"{path}: not a readable MATLAB file ({exc})") from exc
    for key in ("original_att", "allclasses_names"):
        if key not in d:
            raise DatasetFormatError(f"{path}: variable {key!r} missing (has {sorted(d)})")
    m = np.asarray(d["original_att"], dtype=np.float64).T
    if m.shape != (n_classes, n_attributes):
        raise DatasetFormatError(
            f"{path}: original_att: expected {n_attributes} x {n_classes} (attributes x classes), "
            f"got {m.shape[1]} x {m.shape[0]}"
        )
    names = tuple(str(np.asarray(x).ravel()[0]).strip() for x in d["allclasses_names"].ravel())
    _check_unique(names, path, "class")
    missing = _check_range(m, path, low=0.0, high=high, missing_value=missing_value, unit="class")
    return m, names, missing


def _check_unique(names: tuple[str, ...], path: Path, what: str) -> None:
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        if n in seen:
            raise DatasetFormatError(
                f"{path}: duplicate {what} name {n!r} (entries {seen[n]} and {i})"
            )
        seen[n] = i


_ZSL_SHAPES = {"awa2": (50, 85, 10), "cub": (200, 312, 50), "sun": (717, 102, 72), "apy": (32, 64, 12)}


def load_class_attributes(name: str, path: str | os.PathLike | None = None) -> ClassAttributes:
    """Read the class-attribute matrix, names and proposed unseen split of a ZSL benchmark.

    Parameters
    ----------
    name : {"awa2", "cub", "sun", "apy"}
        Benchmark.
    path : path-like, optional
        A folder holding the same file names as ``analysis/_data/<name>/`` (default: the shipped
        folder, whose SHA-256 values are checked; a user folder is checked for shape, range and
        names only, since its files may legitimately differ from ours).

    Returns
    -------
    ClassAttributes
        In source units (see :class:`ClassAttributes`); :func:`analysis.zsl.benchmarks.load_benchmark`
        scales to [0, 1] and selects the split.
    """
    info = dataset_info(name)
    if info.topic != "zsl":
        raise UnknownDatasetError(
            f"name: {name!r} is not a ZSL benchmark (use one of {list(_ZSL_SHAPES)})"
        )
    folder = dataset_path(name) if path is None else Path(path)
    if path is not None:
        for f in info.files:
            if not (folder / f.name).is_file():
                raise DatasetNotAvailableError(f"{folder / f.name}: file missing (needed for {name})")
    k, n, n_unseen = _ZSL_SHAPES[name]
    if name == "cub":
        m, missing = read_matrix_text(folder / "class_attribute_labels_continuous.txt",
                                      shape=(k, n), low=0.0, high=100.0)
        classes = read_name_list(folder / "classes.txt", what="class", numbered=True)
        attributes = read_name_list(folder / "attributes.txt", what="attribute", numbered=True)
        scale = 100.0
    else:
        high, mv = (100.0, -1.0) if name == "awa2" else (1.0, None)
        m, classes, missing = _read_att_splits(folder / "att_splits.mat", n_classes=k,
                                               n_attributes=n, high=high, missing_value=mv)
        scale = high
        if name == "awa2":
            listed = read_name_list(folder / "classes.txt", what="class", numbered=True)
            if listed != classes:
                raise DatasetFormatError(
                    f"{folder / 'classes.txt'}: class order differs from att_splits.mat allclasses_names"
                )
            attributes = read_name_list(folder / "predicates.txt", what="attribute", numbered=True)
        else:
            attributes = read_name_list(folder / "attributes.txt", what="attribute", numbered=False)
    for what, got, want in (("classes", len(classes), k), ("attributes", len(attributes), n)):
        if got != want:
            raise DatasetFormatError(f"{folder}: expected {want} {what} for {name}, got {got}")
    test_file = folder / "testclasses.txt"
    unseen = read_name_list(test_file, what="unseen class", numbered=False)
    index = {c: i for i, c in enumerate(classes)}
    lines = _read_lines(test_file)
    for c in unseen:
        if c not in index:
            lineno = next(i for i, raw in enumerate(lines, start=1) if raw.strip() == c)
            close = difflib.get_close_matches(c, classes, n=1)
            raise DatasetFormatError(
                f"{test_file}: line {lineno}: unseen class {c!r} is not a class of the matrix"
                + (f" (closest: {close[0]!r})" if close else "")
            )
    if len(unseen) != n_unseen:
        raise DatasetFormatError(f"{test_file}: expected {n_unseen} unseen classes, got {len(unseen)}")
    m.setflags(write=False)
    missing.setflags(write=False)
    return ClassAttributes(m, classes, attributes, unseen, scale, missing, str(folder))


# --------------------------------------------------------------------------------------------
# MovieLens-100k
# --------------------------------------------------------------------------------------------


class MovieLensRatings(NamedTuple):
    """MovieLens ratings as int64 arrays (ids are the 1-based ids of the file)."""

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray


def read_movielens_udata(path: str | os.PathLike, *, check_counts: bool = True,
                         check_sha256: bool = True) -> MovieLensRatings:
    """Read a ``u.data`` file (tab-separated user, item, rating, timestamp) and verify it.

    Each line must hold four integers with a rating in 1..5; with ``check_counts`` the totals must
    be MovieLens-100k's (100 000 ratings, 943 users, 1 682 items, histogram 6 110 / 11 370 /
    27 145 / 34 174 / 21 201), with ``check_sha256`` the file's SHA-256 must be GroupLens's.
    Every error names the file (and the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotAvailableError(f"{path}: no such file (expected MovieLens-100k u.data)")
    a = _parse_udata_fast(path.read_bytes())
    if a is None:  # something is wrong: find and name the first bad line
        a = _parse_udata_lines(path)
    if check_counts:
        got = {
            "ratings": len(a),
            "users": len(np.unique(a[:, 0])),
            "items": len(np.unique(a[:, 1])),
            "histogram": tuple(int(c) for c in np.bincount(a[:, 2], minlength=6)[1:6]),
        }
        diff = {k: (ML100K_COUNTS[k], got[k]) for k in got if got[k] != ML100K_COUNTS[k]}
        if diff:
            detail = ", ".join(f"{k}: expected {e}, got {g}" for k, (e, g) in diff.items())
            raise DatasetFormatError(f"{path}: not MovieLens-100k u.data ({detail})")
    if check_sha256:
        _check_sha(path, _ML100K_SHA)
    a.setflags(write=False)
    return MovieLensRatings(a[:, 0], a[:, 1], a[:, 2], a[:, 3])


def _parse_udata_fast(data: bytes) -> np.ndarray | None:
    """Vectorised parse of a well-formed u.data; ``None`` when anything looks wrong."""
    n = data.count(b"\n")
    if n == 0 or not data.endswith(b"\n") or data.count(b"\t") != 3 * n:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns (and stops) at a non-integer token
            flat = np.fromstring(data.decode("ascii"), dtype=np.int64, sep=" ")
    except (ValueError, UnicodeDecodeError, DeprecationWarning):
        return None
    if flat.size != 4 * n:
        return None
    a = flat.reshape(n, 4)
    if (a[:, 2] < 1).any() or (a[:, 2] > 5).any() or (a[:, :2] < 1).any():
        return None
    return a


def _parse_udata_lines(path: Path) -> np.ndarray:
    rows = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            parts = raw.split(b"\t")
            if len(parts) != 4:
                raise DatasetFormatError(
                    f"{path}: line {lineno}: expected 4 tab-separated fields, "
                    f"got {len(parts)}: {raw[:80]!r}"
                )
            try:
                vals = [int(p) for p in parts]
            except ValueError as exc:
                raise DatasetFormatError(f"{path}: line {lineno}: not an integer: {raw[:80]!r}") from exc
            if not 1 <= vals[2] <= 5:
                raise DatasetFormatError(f"{path}: line {lineno}: rating {vals[2]} outside 1..5")
            if vals[0] < 1 or vals[1] < 1:
                raise DatasetFormatError(f"{path}: line {lineno}: user/item ids must be >= 1")
            rows.append(vals)
    if not rows:
        raise DatasetFormatError(f"{path}: empty file")
    return np.asarray(rows, dtype=np.int64)


def load_movielens100k(path: str | os.PathLike | None = None) -> MovieLensRatings:
    """MovieLens-100k ratings from ``path`` (a u.data you supply) or the cache.

    Raises :class:`DatasetNotAvailableError` with the exact cache path when neither is there; run
    :func:`fetch` (``python -m analysis data fetch movielens100k``) first. Nothing is written here.
    """
    if path is None:
        path = dataset_path("movielens100k", verify=False)
    return read_movielens_udata(path)


# --------------------------------------------------------------------------------------------
# libsvm binary datasets
# --------------------------------------------------------------------------------------------


class LibsvmData(NamedTuple):
    """A libsvm binary dataset: sparse CSR design matrix and labels in {-1, +1} (float64)."""

    X: object
    y: np.ndarray


def read_libsvm_file(path: str | os.PathLike, *, name: str | None = None,
                     n_features: int | None = None) -> LibsvmData:
    """Read a libsvm-format file (optionally .bz2/.gz) into CSR with labels in {-1, +1}.

    Labels {0, 1} are mapped to {-1, +1}; any other label set is refused. Explicit NaN or infinite
    stored values are refused with the row. With ``name`` (rcv1, gisette, news20) the feature
    count is the registered one and a feature index beyond it is refused.
    """
    from sklearn.datasets import load_svmlight_file

    path = Path(path)
    if not path.is_file():
        raise DatasetNotAvailableError(f"{path}: no such file (expected a libsvm-format file)")
    if name is not None:
        n_features = LIBSVM_SPECS[dataset_info(name).name]["n_features"]
    try:
        # Compression is read from the magic bytes, not the name: a verified download is checked
        # under a temporary name before it gets its final one.
        with open(path, "rb") as raw:
            magic = raw.read(3)
        opener = bz2.open if magic == b"BZh" else gzip.open if magic[:2] == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            X, y = load_svmlight_file(fh, n_features=n_features, zero_based=True, dtype=np.float64)
    except (ValueError, OSError, EOFError, UnicodeDecodeError) as exc:
        raise DatasetFormatError(f"{path}: not a valid libsvm file ({exc})") from exc
    if X.shape[0] == 0:
        raise DatasetFormatError(f"{path}: no rows")
    bad = ~np.isfinite(X.data)
    if bad.any():
        row = int(np.searchsorted(X.indptr, np.flatnonzero(bad)[0], side="right") - 1)
        raise DatasetFormatError(f"{path}: row {row + 1}: explicit NaN/inf value in the sparse data")
    labels = set(np.unique(y).tolist())
    if labels <= {-1.0, 1.0}:
        y = y.astype(np.float64)
    elif labels <= {0.0, 1.0}:
        y = np.where(y > 0, 1.0, -1.0)
    else:
        raise DatasetFormatError(
            f"{path}: labels {sorted(labels)[:6]} cannot be mapped to {{-1, +1}} (binary only)"
        )
    return LibsvmData(X.tocsr(), y)


def load_libsvm(name: str, path: str | os.PathLike | None = None) -> LibsvmData:
    """rcv1, gisette or news20 from ``path`` or the cache (see :func:`read_libsvm_file`).

    Offline and uncached this raises :class:`DatasetNotAvailableError` naming the file to put in
    the cache folder and the LIBSVM datasets page it comes from.
    """
    info = dataset_info(name)
    if name not in LIBSVM_SPECS:
        raise UnknownDatasetError(f"name: {name!r} is not a libsvm dataset (use {list(LIBSVM_SPECS)})")
    if path is None:
        path = dataset_path(info.name, verify=False)
    return read_libsvm_file(path, name=name)


def add_to_cache(name: str, src: str | os.PathLike) -> Path:
    """Verify a file you obtained yourself and copy it atomically into the cache; return its path."""
    info = dataset_info(name)
    if info.shipped:
        raise DatasetError(f"{name}: shipped datasets are not cached")
    dest = _folder(info) / info.files[0].name
    check = (read_movielens_udata if name == "movielens100k"
             else (lambda p: read_libsvm_file(p, name=name)))

    def write(fh: io.BufferedWriter) -> None:
        with open(src, "rb") as s:
            if dest.suffix == ".bz2" and s.read(3) != b"BZh":
                # the cache name says .bz2: compress a plain libsvm file on the way in
                s.seek(0)
                comp = bz2.BZ2Compressor()
                for block in iter(lambda: s.read(1 << 20), b""):
                    fh.write(comp.compress(block))
                fh.write(comp.flush())
                return
            s.seek(0)
            shutil.copyfileobj(s, fh)

    return _atomic_write(dest, write, sha256=info.files[0].sha256, check=check, label=str(src))

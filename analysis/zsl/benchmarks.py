"""The real ZSL benchmarks: AwA2, CUB, SUN and aPY class-attribute matrices and unseen splits.

The files ship in ``analysis/_data/<name>/`` (provenance, checksums and verification in each
folder's ``PROVENANCE.md``) and are read through the shared data layer
:mod:`analysis._core.datasets`.
"""

from __future__ import annotations

import os

import numpy as np

from analysis._core.datasets import DatasetFormatError, dataset_info, load_class_attributes
from analysis._core.validate import check_choice

__all__ = ["BENCHMARKS", "benchmark_provenance", "load_benchmark"]

BENCHMARKS = ("awa2", "cub", "sun", "apy")
SPLITS = ("unseen", "all")
MISSING = ("zero", "raise")


def load_benchmark(
    name: str,
    split: str = "unseen",
    *,
    missing: str = "zero",
    path: str | os.PathLike | None = None,
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    r"""Class-attribute matrix of a real ZSL benchmark, scaled to probabilities.

    ``M[j, i]`` estimates :math:`P(\text{attribute } i = 1 \mid \text{class } j)`, the input of
    :func:`analysis.zsl.worst_case_lower_bound`.

    Scaling (documented per source, so that every entry lies in [0, 1]):

    - ``awa2``: the AwA2 continuous predicate matrix (``original_att`` of xlsa17's
      ``att_splits.mat``), "relative connection strength linearly scaled to 0..100", divided by
      its maximum 100. Four entries (class ``antelope``; black, white, blue, brown) are marked
      missing (-1) in the source: ``missing="zero"`` sets them to 0, as the widely used
      ``predicate-matrix-continuous.txt`` copies do; ``missing="raise"`` refuses them. Antelope is
      not an unseen class, so ``split="unseen"`` is unaffected.
    - ``cub``: ``class_attribute_labels_continuous.txt``, the percentage of a class's images
      showing each attribute, divided by 100.
    - ``sun`` and ``apy``: ``original_att`` of xlsa17's ``att_splits.mat``, the class means of the
      per-image attribute labels, already in [0, 1] (not rescaled). Xian et al.'s ``att`` (rows
      l2-normalised) is not used: it is not a probability.

    Parameters
    ----------
    name : {"awa2", "cub", "sun", "apy"}
        Benchmark.
    split : {"unseen", "all"}
        ``"unseen"``: the unseen (test) classes of the proposed splits of Xian et al. (AwA2 10 of
        50, CUB 50 of 200, SUN 72 of 717, aPY 12 of 32), in the order of the split file;
        ``"all"``: every class, in the dataset's order.
    missing : {"zero", "raise"}
        Treatment of entries the source marks as missing (only AwA2 has any).
    path : path-like, optional
        A folder with the same files as ``analysis/_data/<name>/`` to read instead of the shipped
        copy.

    Returns
    -------
    M : numpy.ndarray, shape (classes, attributes), float64
        Entries in [0, 1]; a new writeable array.
    class_names : tuple of str
    attribute_names : tuple of str

    Raises
    ------
    ValueError
        Unknown name, split or missing policy; a malformed, wrong-shape or out-of-range file,
        a checksum mismatch, duplicate names or an unseen class absent from the matrix (the
        data layer's errors name the file and the line or class).

    References
    ----------
    Y. Xian, C. H. Lampert, B. Schiele, Z. Akata, "Zero-Shot Learning - A Comprehensive Evaluation
    of the Good, the Bad and the Ugly", IEEE TPAMI 41(9), 2019 (the proposed splits).
    A. Mazzetto, C. Menghini, A. Yuan, E. Upfal, S. H. Bach, "Tight Lower Bounds on Worst-Case
    Guarantees for Zero-Shot Learning with Attributes", NeurIPS 2022 (the bound these feed).

    Examples
    --------
    >>> from analysis.zsl import load_benchmark
    >>> M, classes, attributes = load_benchmark("awa2")
    >>> M.shape, classes[:2], attributes[:2]
    ((10, 85), ('sheep', 'dolphin'), ('black', 'white'))
    >>> bool(M.min() >= 0.0 and M.max() <= 1.0)
    True
    """
    check_choice(name, "name", BENCHMARKS)
    check_choice(split, "split", SPLITS)
    check_choice(missing, "missing", MISSING)
    ca = load_class_attributes(name, path=path)
    if split == "unseen":
        index = {c: j for j, c in enumerate(ca.class_names)}
        rows = np.array([index[c] for c in ca.unseen], dtype=np.intp)
        classes = ca.unseen
    else:
        rows = np.arange(len(ca.class_names))
        classes = ca.class_names
    M = np.array(ca.matrix[rows], dtype=np.float64, copy=True)
    gaps = ca.missing[rows]
    if gaps.any():
        if missing == "raise":
            j, i = np.argwhere(gaps)[0]
            raise DatasetFormatError(
                f"{ca.source}: {int(gaps.sum())} entries are marked missing in the source, "
                f"e.g. class {classes[j]!r}, attribute {ca.attribute_names[i]!r} "
                "(use missing='zero' to set them to 0)"
            )
        M[gaps] = 0.0
    M /= ca.scale
    return M, tuple(classes), tuple(ca.attribute_names)


def benchmark_provenance(name: str) -> dict:
    """``{"name", "sha256", "source"}`` of a benchmark, for a figure's JSON and title.

    Examples
    --------
    >>> from analysis.zsl import benchmark_provenance
    >>> info = benchmark_provenance("awa2")
    >>> sorted(info), len(info["sha256"])
    (['name', 'sha256', 'source'], 64)
    """
    check_choice(name, "name", BENCHMARKS)
    info = dataset_info(name)
    return {"name": name, "sha256": info.sha256, "source": info.source}

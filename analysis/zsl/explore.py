r"""Interactive explorer of the worst-case lower bound on a sub-matrix of classes and attributes.

Pick classes and attributes of a shipped real class-attribute matrix (AwA2, CUB, SUN, aPY:
:func:`load_benchmark`) or of a matrix of your own; the explorer solves
:func:`worst_case_lower_bound` on the selection and shows :math:`Q`, the certified error bound and
the adversary's predicted confusions (:func:`analysis.zsl.baselines.predicted_confusion`).
"""

from __future__ import annotations

import numpy as np

from analysis._core.explorer import make_explorer, new_figure, require_ipywidgets
from analysis._core.validate import as_array
from analysis.zsl.baselines import predicted_confusion
from analysis.zsl.benchmarks import BENCHMARKS, load_benchmark
from analysis.zsl.bound import worst_case_lower_bound
from analysis.zsl.data import validate_class_attribute_matrix

#: The most classes and attributes a selection may hold: the exact bound then takes well under a
#: CPU second (``method="auto"``: full LP up to 8 attributes, class subsets up to 14 classes).
MAX_CLASSES = 12
MAX_ATTRIBUTES = 12


def _check_selection(sel, name: str, size: int, minimum: int, maximum: int) -> tuple[int, ...]:
    arr = np.asarray(sel.detach().cpu().numpy() if hasattr(sel, "detach") else sel)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name}: expected integer indices, got complex values")
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of indices, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected integer indices, got dtype {arr.dtype}")
    idx = arr.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"{name}: expected indices in 0..{size - 1}, got range "
                         f"[{idx.min()}, {idx.max()}]")
    if np.unique(idx).size != idx.size:
        raise ValueError(f"{name}: expected distinct indices, got {idx.tolist()}")
    if not minimum <= idx.size <= maximum:
        raise ValueError(f"{name}: expected {minimum} to {maximum} indices, got {idx.size}")
    return tuple(sorted(int(i) for i in idx))


def _check_names(names, name: str, size: int, default: str) -> tuple[str, ...]:
    if names is None:
        return tuple(f"{default} {i}" for i in range(size))
    if isinstance(names, str) or not all(isinstance(s, str) for s in names):
        raise ValueError(f"{name}: expected a sequence of {size} strings")
    names = tuple(names)
    if len(names) != size:
        raise ValueError(f"{name}: expected {size} names, got {len(names)}")
    return names


def explore(M="awa2", classes=None, attributes=None, *, class_names=None, attribute_names=None):
    r"""Explorer: choose classes and attributes -> :math:`Q(M)`, the error bound, the confusions.

    On the selected sub-matrix :math:`M_{S,A}` it computes the tight worst-case bound of
    Mazzetto et al. (2022),

    .. math::

        Q(M) = \min_{P \text{ consistent with } M} \sum_{v\in\{0,1\}^n} \max_j P(j, v),
        \qquad \text{every map errs with worst-case probability} \ge 1 - Q(M),

    by :func:`worst_case_lower_bound`, and the adversary's predicted confusions
    :math:`k \sum_v \min(P^\star(j, v), P^\star(l, v))` (the mass the worst-case law makes two
    classes share) by :func:`analysis.zsl.baselines.predicted_confusion`.

    Parameters
    ----------
    M : {"awa2", "cub", "sun", "apy"} or array_like, shape (k, n)
        A shipped benchmark (its unseen classes, :func:`load_benchmark`) or a class-attribute
        matrix with entries in [0, 1].
    classes : sequence of int, optional
        Initially selected rows, 2 to 12 distinct indices (default: the first ``min(k, 6)``).
    attributes : sequence of int, optional
        Initially selected columns, 1 to 12 distinct indices (default: the first ``min(n, 6)``).
    class_names, attribute_names : sequence of str, optional
        Labels for a matrix given as an array (a benchmark brings its own).

    Returns
    -------
    analysis._core.explorer.Explorer
        Controls ``classes`` and ``attributes`` (multiple selections of indices); ``result`` is
        a dict with ``M`` (the sub-matrix), ``bound`` (the
        :class:`~analysis.zsl.bound.LowerBoundResult`), ``Q``, ``error_lower_bound`` and
        ``confusion`` (k x k, zero diagonal).

    Raises
    ------
    ValueError
        Unknown benchmark, an invalid matrix, or a selection out of range, repeated, or of the
        wrong size (each named in the message).
    ImportError
        If ipywidgets is not installed.

    References
    ----------
    .. [1] A. Mazzetto, C. Menghini, A. Yuan, E. Upfal, S. H. Bach, "Tight Lower Bounds on
       Worst-Case Guarantees for Zero-Shot Learning with Attributes", NeurIPS 2022.

    Examples
    --------
    >>> from analysis.zsl import explore
    >>> ex = explore("awa2", classes=[0, 1, 2], attributes=[0, 1])
    >>> q = ex.result["Q"]
    >>> ex.controls["attributes"].value = (0, 1, 2, 3)
    >>> bool(ex.result["Q"] >= q - 1e-9)  # more attributes never lower Q
    True
    """
    if isinstance(M, str):
        if M not in BENCHMARKS:
            raise ValueError(f"M: expected one of {BENCHMARKS} or a (k, n) matrix, got {M!r}")
        if class_names is not None or attribute_names is not None:
            raise ValueError("class_names: a benchmark brings its own names; give names only "
                             "with a matrix")
        full, cnames, anames = load_benchmark(M, "unseen")
        source = f"{M} (unseen classes)"
    else:
        full = validate_class_attribute_matrix(as_array(M, "M", ndim=2, finite=False), "M")
        cnames = _check_names(class_names, "class_names", full.shape[0], "class")
        anames = _check_names(attribute_names, "attribute_names", full.shape[1], "attribute")
        source = f"a {full.shape[0]} x {full.shape[1]} matrix"
    k, n = full.shape
    classes = tuple(range(min(k, 6))) if classes is None else classes
    attributes = tuple(range(min(n, 6))) if attributes is None else attributes
    rows = _check_selection(classes, "classes", k, 2, MAX_CLASSES)
    cols = _check_selection(attributes, "attributes", n, 1, MAX_ATTRIBUTES)
    widgets = require_ipywidgets()

    def compute(classes, attributes):
        rows, cols = sorted(classes), sorted(attributes)
        if not 2 <= len(rows) <= MAX_CLASSES:
            raise ValueError(f"classes: select 2 to {MAX_CLASSES} classes, got {len(rows)}")
        if not 1 <= len(cols) <= MAX_ATTRIBUTES:
            raise ValueError(f"attributes: select 1 to {MAX_ATTRIBUTES} attributes, got {len(cols)}")
        sub = full[np.ix_(rows, cols)]
        bound = worst_case_lower_bound(sub)
        return {"M": sub, "classes": tuple(rows), "attributes": tuple(cols), "bound": bound,
                "Q": bound.Q, "error_lower_bound": bound.error_lower_bound,
                "confusion": predicted_confusion(bound.adversary)}

    def draw(result, params):
        fig, (ax_m, ax_c) = new_figure(10.0, 3.8, ncols=2)
        sub, rows, cols = result["M"], result["classes"], result["attributes"]
        short = [str(cnames[j])[:14] for j in rows]
        im = ax_m.imshow(sub, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        ax_m.set_xticks(range(len(cols)), [str(anames[i])[:14] for i in cols], rotation=60,
                        ha="right", fontsize=7)
        ax_m.set_yticks(range(len(rows)), short, fontsize=7)
        ax_m.set_title("M: P(attribute = 1 | class)", fontsize=9)
        ax_m.grid(False)
        fig.colorbar(im, ax=ax_m, shrink=0.85)
        conf = np.where(np.eye(len(rows), dtype=bool), np.nan, result["confusion"])
        im = ax_c.imshow(conf, cmap="viridis", vmin=0.0)
        ax_c.set_xticks(range(len(rows)), short, rotation=60, ha="right", fontsize=7)
        ax_c.set_yticks(range(len(rows)), short, fontsize=7)
        ax_c.set_title("adversary's confusions: k sum_v min(P*(j,v), P*(l,v))", fontsize=9)
        ax_c.grid(False)
        fig.colorbar(im, ax=ax_c, shrink=0.85)
        fig.suptitle(f"Q = {result['Q']:.4f}: every map errs with worst-case probability "
                     f">= {result['error_lower_bound']:.4f}", fontsize=10)
        return fig

    def summarize(result, params):
        b = result["bound"]
        return (f"{len(result['classes'])} classes x {len(result['attributes'])} attributes: "
                f"Q = {b.Q:.5f} (certified [{b.lower:.5f}, {b.upper:.5f}], {b.method}), "
                f"error lower bound {b.error_lower_bound:.4f}")

    rows_shown = 8
    controls = {
        "classes": widgets.SelectMultiple(options=[(str(c), j) for j, c in enumerate(cnames)],
                                          value=rows, rows=rows_shown, description="classes"),
        "attributes": widgets.SelectMultiple(options=[(str(a), i) for i, a in enumerate(anames)],
                                             value=cols, rows=rows_shown, description="attributes"),
    }
    return make_explorer(
        "Zero-shot learning: the worst-case lower bound on a selection", controls, compute, draw,
        summarize,
        note=f"{source}; select 2-{MAX_CLASSES} classes and 1-{MAX_ATTRIBUTES} attributes "
             "(ctrl/shift-click); worst_case_lower_bound, predicted_confusion",
        inputs={"M": full, "class_names": tuple(cnames), "attribute_names": tuple(anames)})

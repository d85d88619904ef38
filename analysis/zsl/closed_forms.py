r"""Closed forms of ``Q(M)`` for small cases, with exact (rational) certificates.

Derived here (not in the paper), each with a primal joint law attaining the value and a dual
point ``(a, b)`` proving it optimal (``sum_j max(0, a_j + b_j . v) <= 1`` for all ``v`` and dual
objective equal to the primal value):

* one attribute (``n = 1``): the marginals fix ``P`` completely, so
  ``Q = (max_j m_j + max_j (1 - m_j)) / k = (1 + max_j m_j - min_j m_j) / k``;
* two classes (``k = 2``): ``Q = (1 + TV_min) / 2`` with ``TV_min`` the smallest total variation
  between laws with marginals ``M_1`` and ``M_2``, which equals ``max_i |M_1i - M_2i|`` (a lower
  bound because total variation contracts under taking a marginal; attained by a common part of
  mass ``1 - t`` plus two private parts of mass ``t``);
* a binary matrix: every class is one vector, so ``Q = (number of distinct rows) / k``.

All functions accept floats or :class:`fractions.Fraction` entries; with fractions the
certificates are exact.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from analysis.zsl.data import validate_class_attribute_matrix


def q_single_attribute(M: object) -> float:
    r"""``Q`` for one attribute: :math:`(1 + \max_j m_j - \min_j m_j)/k`."""
    M = validate_class_attribute_matrix(M, "M")
    if M.shape[1] != 1:
        raise ValueError(f"M: expected exactly one attribute column, got {M.shape[1]}")
    m = M[:, 0]
    return float((1.0 + m.max() - m.min()) / M.shape[0])


def q_two_classes(M: object) -> float:
    r"""``Q`` for two classes: :math:`(1 + \max_i |M_{1i} - M_{2i}|)/2`."""
    M = validate_class_attribute_matrix(M, "M")
    if M.shape[0] != 2:
        raise ValueError(f"M: expected exactly two classes, got {M.shape[0]}")
    return float((1.0 + np.abs(M[0] - M[1]).max()) / 2.0)


def q_binary(M: object) -> float:
    r"""``Q`` for a 0/1 matrix: (number of distinct rows) / ``k``."""
    M = validate_class_attribute_matrix(M, "M")
    if not np.isin(M, (0.0, 1.0)).all():
        raise ValueError("M: expected a binary (0/1) matrix")
    return float(np.unique(M, axis=0).shape[0] / M.shape[0])


def _comonotone_exact(q: list, mass) -> dict:
    """A measure of total ``mass`` on {0,1}^n with marginals ``q`` (0 <= q_i <= mass), exact."""
    if mass == 0:
        return {}
    cuts = sorted({Fraction(0)} | {Fraction(x) / mass for x in q if Fraction(x) < mass})
    ends = cuts[1:] + [Fraction(1)]
    law: dict = {}
    for lo, hi in zip(cuts, ends, strict=True):
        if hi > lo:
            v = tuple(int(Fraction(x) / mass > lo) for x in q)
            law[v] = law.get(v, 0) + (hi - lo) * mass
    return law


def two_class_primal(M: list) -> dict:
    """Exact optimal joint law for ``k = 2``: ``{v: (P(1, v), P(2, v))}``.

    Common part ``c`` of mass ``1 - t`` with marginals ``min(m1, m2) - s``, private parts of
    mass ``t = max_i |m1_i - m2_i|`` with marginals ``d^+ + s`` and ``d^- + s``, where
    ``s_i = max(0, min(m1_i, m2_i) - (1 - t))`` keeps all marginals within their masses.
    """
    m1 = [Fraction(x) for x in M[0]]
    m2 = [Fraction(x) for x in M[1]]
    t = max(abs(x - y) for x, y in zip(m1, m2, strict=True))
    s = [max(Fraction(0), min(x, y) - (1 - t)) for x, y in zip(m1, m2, strict=True)]
    common = _comonotone_exact([min(x, y) - si for x, y, si in zip(m1, m2, s, strict=True)], 1 - t)
    own1 = _comonotone_exact([max(x - y, 0) + si for x, y, si in zip(m1, m2, s, strict=True)], t)
    own2 = _comonotone_exact([max(y - x, 0) + si for x, y, si in zip(m1, m2, s, strict=True)], t)
    law: dict = {}
    for v in set(common) | set(own1) | set(own2):
        c = common.get(v, 0)
        law[v] = (Fraction(c + own1.get(v, 0)) / 2, Fraction(c + own2.get(v, 0)) / 2)
    return law


def two_class_dual(M: list) -> tuple[list, list]:
    """Exact optimal dual point for ``k = 2``: the deterministic map "class by attribute i*".

    With ``i* = argmax_i |m1_i - m2_i|`` and ``m1_{i*} >= m2_{i*}``: ``a = (0, 1)``,
    ``b_1 = e_{i*}``, ``b_2 = -e_{i*}`` (swapped otherwise); ``a_j + b_j . v`` is then the
    indicator that the map predicts ``j``, and the dual objective is ``(1 + t) / 2``.
    """
    m1 = [Fraction(x) for x in M[0]]
    m2 = [Fraction(x) for x in M[1]]
    n = len(m1)
    gaps = [abs(x - y) for x, y in zip(m1, m2, strict=True)]
    i = gaps.index(max(gaps))
    e = [Fraction(int(r == i)) for r in range(n)]
    minus = [-x for x in e]
    if m1[i] >= m2[i]:
        return [Fraction(0), Fraction(1)], [e, minus]
    return [Fraction(1), Fraction(0)], [minus, e]


def single_attribute_dual(m: list) -> tuple[list, list]:
    """Exact optimal dual for ``n = 1``: predict argmax_j m_j if ``v = 1``, argmin_j m_j if 0."""
    m = [Fraction(x) for x in m]
    k = len(m)
    hi, lo = m.index(max(m)), m.index(min(m))
    a = [Fraction(0)] * k
    b = [[Fraction(0)] for _ in range(k)]
    a[lo] += 1
    b[lo][0] -= 1
    b[hi][0] += 1
    return a, b


def exact_dual_check(a: list, b: list, M: list) -> tuple[Fraction, Fraction]:
    """Exact dual objective ``(1/k) sum_j (a_j + b_j . M_j)`` and ``max_v sum_j max(0, ...)``."""
    from itertools import product

    k, n = len(a), len(b[0])
    objective = sum(a[j] + sum(b[j][i] * Fraction(M[j][i]) for i in range(n)) for j in range(k)) / k
    worst = max(
        sum(max(Fraction(0), a[j] + sum(b[j][i] * v[i] for i in range(n))) for j in range(k))
        for v in product((0, 1), repeat=n)
    )
    return objective, worst

"""Exact (rational and symbolic) checks of the closed forms of Q(M) derived for the zsl topic.

Each closed form is proved by a pair of certificates checked in exact arithmetic: a joint law
consistent with M whose best-map accuracy is the value (so Q <= value), and a dual point (a, b)
with sum_j max(0, a_j + b_j . v) <= 1 for every v whose objective is the value (so Q >= value).
"""

from fractions import Fraction

import numpy as np
import sympy as sp

from analysis.zsl import closed_forms as cf
from analysis.zsl.bound import worst_case_lower_bound


def _random_rational_matrix(rng, k, n, denominator=24):
    return [[Fraction(int(rng.integers(0, denominator + 1)), denominator) for _ in range(n)]
            for _ in range(k)]


def _check_primal(law, M):
    """Exact marginals of a {v: (P(1,v), ..., P(k,v))} law; returns its best-map accuracy."""
    k, n = len(M), len(M[0])
    for j in range(k):
        assert sum(p[j] for p in law.values()) == Fraction(1, k)
        for i in range(n):
            assert sum(p[j] for v, p in law.items() if v[i] == 1) == M[j][i] / k
        assert all(p[j] >= 0 for p in law.values())
    return sum(max(p) for p in law.values())


def test_two_classes_closed_form_exactly():
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = int(rng.integers(1, 6))
        M = _random_rational_matrix(rng, 2, n)
        value = (1 + max(abs(x - y) for x, y in zip(M[0], M[1], strict=True))) / 2
        assert _check_primal(cf.two_class_primal(M), M) == value  # Q <= value
        a, b = cf.two_class_dual(M)
        objective, worst = cf.exact_dual_check(a, b, M)
        assert worst <= 1 and objective == value  # Q >= value


def test_single_attribute_closed_form_exactly():
    rng = np.random.default_rng(1)
    for _ in range(40):
        k = int(rng.integers(2, 7))
        M = _random_rational_matrix(rng, k, 1)
        m = [row[0] for row in M]
        value = (1 + max(m) - min(m)) / k
        # n = 1: the marginals determine P, so the primal is forced
        law = {(1,): tuple(x / k for x in m), (0,): tuple((1 - x) / k for x in m)}
        assert _check_primal(law, M) == value
        objective, worst = cf.exact_dual_check(*cf.single_attribute_dual(m), M)
        assert worst <= 1 and objective == value


def test_binary_closed_form_exactly():
    rng = np.random.default_rng(2)
    for _ in range(20):
        k, n = int(rng.integers(2, 7)), int(rng.integers(1, 4))
        B = (rng.random((k, n)) < 0.5).astype(int)
        M = [[Fraction(int(x)) for x in row] for row in B]
        law = {}
        for j, row in enumerate(B):
            p = law.setdefault(tuple(int(x) for x in row), [Fraction(0)] * k)
            p[j] = Fraction(1, k)
        distinct = len(law)
        assert _check_primal({v: tuple(p) for v, p in law.items()}, M) == Fraction(distinct, k)
        # dual: predict the first class owning the observed row; vectors owned by nobody score 0
        owners = {v: list(p).index(Fraction(1, k)) for v, p in law.items()}
        a = [Fraction(0)] * k
        b = [[Fraction(0)] * n for _ in range(k)]
        # a_j + b_j . v = 1 exactly at v = row_j for the owner j: use the linear indicator
        # 1 - sum_i |v_i - r_i| = 1 - |r| + sum_i (2 r_i - 1) v_i (<= 0 elsewhere on the cube)
        for v, j in owners.items():
            a[j] = 1 - sum(v)
            b[j] = [Fraction(2 * x - 1) for x in v]
        objective, worst = cf.exact_dual_check(a, b, M)
        assert worst <= 1 and objective == Fraction(distinct, k)


def test_two_classes_formula_symbolically():
    """Dual objective of the k = 2 certificate equals (1 + d)/2 for symbolic marginals."""
    m1, m2 = sp.symbols("m1 m2", nonnegative=True)
    # with m1 >= m2 on the selected attribute: a = (0, 1), b_1 = e, b_2 = -e
    objective = sp.Rational(1, 2) * ((0 + m1) + (1 - m2))
    assert sp.simplify(objective - (1 + (m1 - m2)) / 2) == 0
    # the map's scores are v and 1 - v: their positive parts sum to exactly 1 for v in {0, 1}
    v = sp.symbols("v")
    for value in (0, 1):
        assert (sp.Max(0, v) + sp.Max(0, 1 - v)).subs(v, value) == 1


def test_closed_forms_agree_with_the_lp():
    rng = np.random.default_rng(3)
    for _ in range(5):
        M = _random_rational_matrix(rng, 2, 4)
        Mf = np.array(M, dtype=float)
        assert abs(worst_case_lower_bound(Mf).Q - cf.q_two_classes(Mf)) <= 1e-9


def test_a_wrong_closed_form_is_caught():
    M = [[Fraction(1, 2), Fraction(1, 8)], [Fraction(1, 4), Fraction(7, 8)]]
    a, b = cf.two_class_dual(M)
    objective, _ = cf.exact_dual_check(a, b, M)
    wrong = (1 + (Fraction(1, 4) + Fraction(3, 4)) / 2) / 2  # mean instead of max gap
    assert objective != wrong

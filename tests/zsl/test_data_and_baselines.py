"""Tests of the matrix generator, file loading, the baselines and the confusion statistics."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis.zsl import awa_like_matrix, load_class_attribute_matrix, worst_case_lower_bound
from analysis.zsl.baselines import (
    confusion_agreement,
    confusion_matrix,
    dap_predict,
    evaluate_baselines,
    exact_accuracy,
    exact_baseline_errors,
    exact_confusion,
    fit_eszsl,
    naive_confusion,
    natural_joint,
    predicted_confusion,
    sample_natural,
    spearman,
)
from analysis.zsl.data import (
    all_attribute_vectors,
    attribute_vectors,
    comonotone_coupling,
    vector_codes,
)


def test_generator_is_seeded_in_range_and_binarises_at_the_mean(seed):
    A = awa_like_matrix(10, 85, seed=seed)
    assert A.shape == (10, 85) and A.min() >= 0 and A.max() <= 1
    assert np.array_equal(A, awa_like_matrix(10, 85, seed=seed))
    B = awa_like_matrix(10, 85, seed=seed, binarize=True)
    assert_allclose(B, (A > A.mean()).astype(float))


def test_codes_round_trip():
    V = all_attribute_vectors(5)
    assert np.array_equal(vector_codes(V), np.arange(32))
    assert np.array_equal(attribute_vectors([5], 3), [[1, 0, 1]])


def test_comonotone_coupling_has_the_marginals(seed):
    m = np.random.default_rng(seed).random(7)
    m[2] = 0.0
    m[3] = 1.0
    V, p = comonotone_coupling(m)
    assert_allclose(p.sum(), 1, atol=1e-15)
    assert_allclose(p @ V, m, atol=1e-15)
    assert V.shape[0] <= 8


def test_loading_csv_and_npy(tmp_path):
    M = awa_like_matrix(4, 6, seed=0)
    np.save(tmp_path / "m.npy", M)
    np.savetxt(tmp_path / "m.csv", M, delimiter=",", header="a,b,c,d,e,f")
    np.savetxt(tmp_path / "p.csv", 100 * M, delimiter=",")
    assert_allclose(load_class_attribute_matrix(tmp_path / "m.npy"), M)
    assert_allclose(load_class_attribute_matrix(tmp_path / "m.csv", skiprows=1), M)
    assert_allclose(load_class_attribute_matrix(tmp_path / "p.csv", percent=True), M, atol=1e-15)


def test_loading_rejects_bad_files(tmp_path):
    with pytest.raises(ValueError, match="existing"):
        load_class_attribute_matrix(tmp_path / "missing.csv")
    (tmp_path / "m.json").write_text("[]")
    with pytest.raises(ValueError, match="suffix"):
        load_class_attribute_matrix(tmp_path / "m.json")
    np.savetxt(tmp_path / "p.csv", 100 * awa_like_matrix(3, 3, seed=1) + 1, delimiter=",")
    with pytest.raises(ValueError, match="percent=True"):
        load_class_attribute_matrix(tmp_path / "p.csv")
    (tmp_path / "h.csv").write_text("a,b\n0.1,0.2\n0.3,0.4\n")
    with pytest.raises(ValueError, match="skiprows"):
        load_class_attribute_matrix(tmp_path / "h.csv")
    np.save(tmp_path / "nan.npy", np.array([[0.1, np.nan], [0.2, 0.3]]))
    with pytest.raises(ValueError, match="NaN"):
        load_class_attribute_matrix(tmp_path / "nan.npy")


def test_natural_samples_have_the_marginals():
    M = awa_like_matrix(4, 5, seed=2)
    y, V = sample_natural(M, 40000, 0)
    for j in range(4):
        rows = V[y == j]
        se = np.sqrt(0.25 / rows.shape[0])
        assert np.abs(rows.mean(axis=0) - M[j]).max() <= 5 * se


def test_adversary_samples_have_the_marginals():
    M = awa_like_matrix(4, 5, seed=3)
    r = worst_case_lower_bound(M)
    y, V = r.adversary.sample(40000, np.random.default_rng(0))
    for j in range(4):
        se = np.sqrt(0.25 / (y == j).sum())
        assert np.abs(V[y == j].mean(axis=0) - M[j]).max() <= 5 * se


def test_dap_is_exact_on_a_binary_matrix_and_eszsl_learns_something():
    M = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 0]], float)
    y, V = sample_natural(M, 300, 0)
    assert np.array_equal(dap_predict(M, V), y)
    seen = awa_like_matrix(12, 4, seed=0)
    ys, Vs = sample_natural(seen, 3000, 1)
    model = fit_eszsl(Vs, ys, seen)
    assert np.mean(model.predict(seen, Vs) == ys) > 1 / 12 + 0.1


def test_baseline_errors_respect_the_bound_on_adversarial_data():
    A = awa_like_matrix(14, 6, seed=5)
    M, M_seen = A[:5], A[5:]
    r = worst_case_lower_bound(M)
    rep = evaluate_baselines(M, M_seen, r.adversary, n_test=20000, seed=0)
    for model in ("DAP", "ESZSL"):
        err, se = rep.errors[(model, "adversarial")], rep.standard_errors[(model, "adversarial")]
        assert err >= r.error_lower_bound - 4 * se
        assert_allclose(rep.confusions[(model, "adversarial")].sum(axis=1), 1)
    with pytest.raises(ValueError, match="M_seen"):
        evaluate_baselines(M, M_seen[:, :3], r.adversary)


def test_confusion_statistics():
    C = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert_allclose(C, [[0.5, 0.5, 0], [0, 1, 0], [1, 0, 0]])
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1)
    A = awa_like_matrix(6, 6, seed=0)
    overlap = predicted_confusion(worst_case_lower_bound(A).adversary)
    assert np.all(np.diag(overlap) == 0) and np.allclose(overlap, overlap.T)
    stat, chance = confusion_agreement(overlap, overlap, n_permutations=200)
    assert stat == pytest.approx(1) and chance < 1


# ----------------------------------------------------------------- exact (unsampled) evaluation
def test_natural_joint_is_the_independent_law_consistent_with_M(seed):
    M = awa_like_matrix(4, 6, seed=seed)
    V, P = natural_joint(M)
    # sums of 2^n products of n factors: round-off O(2^n n eps)
    tol = 64 * 6 * np.finfo(float).eps
    assert_allclose(P.sum(axis=1), 1 / 4, atol=tol)
    assert_allclose(4 * P @ V.astype(float), M, atol=tol)
    # independence: P(v | j) is the product of its marginals
    j = 1
    assert_allclose(4 * P[j], np.prod(np.where(V == 1, M[j], 1 - M[j]), axis=1), atol=tol)


def test_exact_accuracy_and_confusion_agree_with_sampling():
    M = awa_like_matrix(5, 6, seed=4)
    V, P = natural_joint(M)
    pred = dap_predict(M, V)
    acc = exact_accuracy(pred, P)
    C = exact_confusion(pred, P)
    assert_allclose(C.sum(axis=1), 1, atol=1e-12)
    assert_allclose(np.mean(np.diag(C)), acc, atol=1e-12)
    y, Vs = sample_natural(M, 40000, 7)
    sampled = np.mean(dap_predict(M, Vs) == y)
    # Monte-Carlo: 5 binomial standard errors of 40000 samples (false alarm ~6e-7)
    assert abs(sampled - acc) <= 5 * np.sqrt(0.25 / 40000)


def test_worst_case_error_is_above_the_bound_and_P_star_attains_it(seed):
    A = awa_like_matrix(12, 5, seed=seed)
    M, M_seen = A[:4], A[4:]
    r = worst_case_lower_bound(M)
    y, Vs = sample_natural(M_seen, 2000, seed)
    errs = exact_baseline_errors(M, fit_eszsl(Vs, y, M_seen), r.adversary)
    bound = r.error_lower_bound
    for model in ("DAP", "ESZSL"):
        # LP tolerance 1e-7 (HiGHS at 1e-10 feasibility)
        assert errs[(model, "worst case")] >= bound - 1e-7
        assert errs[(model, "adversarial")] >= bound - 1e-7
        assert errs[(model, "worst case")] >= errs[(model, "natural")] - 1e-7
    # the Bayes rule of the natural law beats the bound on natural data (the law is consistent)
    V, P = natural_joint(M)
    assert P.max(axis=0).sum() >= r.Q - 1e-7
    assert abs(1 - r.adversary.best_map_accuracy() - bound) <= 1e-7


def test_naive_confusion_is_the_pairwise_two_class_bound():
    from analysis.zsl import closed_forms as cf

    M = awa_like_matrix(5, 4, seed=3)
    N = naive_confusion(M)
    assert np.all(np.diag(N) == 0) and np.allclose(N, N.T)
    for j, m in ((0, 1), (2, 4)):
        assert N[j, m] == pytest.approx(1 - 2 * cf.q_two_classes(M[[j, m]]), abs=1e-15)


def test_exact_evaluation_rejects_bad_input():
    M = awa_like_matrix(3, 3, seed=0)
    V, P = natural_joint(M)
    with pytest.raises(ValueError, match="predictions"):
        exact_accuracy(np.zeros(5, dtype=int), P)
    with pytest.raises(ValueError, match="P"):
        exact_confusion(np.zeros(8, dtype=int), -P)
    with pytest.raises(ValueError, match="too large"):
        natural_joint(np.full((2, 17), 0.5))

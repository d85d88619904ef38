"""The paper's deletion protocol on libsvm data (paper_deletion_experiment)."""

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.representers import make_sparse_logistic, paper_deletion_experiment


def _libsvm_fixture(tmp_path, n=150, d=60, seed=3):
    """A small libsvm file written and read back through the data layer's reader."""
    from sklearn.datasets import dump_svmlight_file

    from analysis._core.datasets import read_libsvm_file

    data = make_sparse_logistic(n, d, n_test=1, rng=seed)
    path = tmp_path / "small.libsvm"
    dump_svmlight_file(data.X, data.y, str(path), zero_based=True)
    X, y = read_libsvm_file(path, n_features=d)
    return X, y, data


def test_news20_protocol_splits_and_lambda(tmp_path):
    X, y, _ = _libsvm_fixture(tmp_path)
    out = paper_deletion_experiment((X, y), setting="news20", runs=2, test_points=3,
                                    fractions=(0.02, 0.05), seed=1)
    n_train = 150 - round(0.1 * 150) - round(0.11 * 150)
    assert out["n_train"] == [n_train, n_train]
    np.testing.assert_allclose(out["lam"], 1.0 / (10.0 * n_train))  # lambda = 1 / (C n), C = 10
    for by in out["changes"].values():
        for ch in by.values():
            assert ch.shape == (6, 2) and np.all(np.isfinite(ch))
    # deleting the l1 representer's top proponents lowers the predictions on average
    assert out["auc"]["proponents"]["l1 representer"][0] > 0


def test_sparse_and_dense_designs_give_the_same_experiment(tmp_path):
    X, y, data = _libsvm_fixture(tmp_path, seed=4)
    assert sp.issparse(X)
    kw = dict(setting="gisette", runs=1, test_points=2, fractions=(0.02,), seed=0, tol=1e-10)
    a = paper_deletion_experiment((X, y), **kw)
    b = paper_deletion_experiment((X.toarray(), y), **kw)
    for dr in a["changes"]:
        for e in a["changes"][dr]:
            # both refits meet KKT 1e-10 on the same strongly convex restricted problem: their
            # predictions agree to ~1e-10 / (smallest curvature); 1e-6 leaves a wide margin
            np.testing.assert_allclose(a["changes"][dr][e], b["changes"][dr][e], atol=1e-6)


def test_the_cache_resumes_with_the_same_numbers(tmp_path, monkeypatch):
    import analysis.representers.paper as paper
    from analysis._core.result_cache import ResultCache

    X, y, _ = _libsvm_fixture(tmp_path, n=100, d=30, seed=5)
    kw = dict(setting="rcv1", runs=1, test_points=2, fractions=(0.03,), seed=2)
    plain = paper_deletion_experiment((X, y), **kw)
    cache = ResultCache(tmp_path / "cache")
    first = paper_deletion_experiment((X, y), **kw, cache=cache, progress=True)
    assert len(cache) == 2

    def no_refits(*a, **k):
        raise AssertionError("a stored test point was refitted")

    monkeypatch.setattr(paper, "deletion_changes", no_refits)
    again = paper_deletion_experiment((X, y), **kw, cache=cache)
    for dr in plain["changes"]:
        for e in plain["changes"][dr]:
            np.testing.assert_array_equal(first["changes"][dr][e], plain["changes"][dr][e])
            np.testing.assert_array_equal(again["changes"][dr][e], plain["changes"][dr][e])


def test_bad_input_is_refused_by_name(tmp_path, monkeypatch):
    X, y, _ = _libsvm_fixture(tmp_path, n=60, d=20)
    with pytest.raises(ValueError, match="setting"):
        paper_deletion_experiment((X, y), setting="mnist")
    with pytest.raises(ValueError, match="data"):
        paper_deletion_experiment("mnist")
    with pytest.raises(ValueError, match="data"):
        paper_deletion_experiment(X, setting="rcv1")
    with pytest.raises(ValueError, match="test_points"):
        paper_deletion_experiment((X, y), setting="rcv1", test_points=40)
    with pytest.raises(ValueError, match="empty support"):  # labels unrelated to X, C = 1
        paper_deletion_experiment((np.ones((60, 2)) * 1e-3, y), setting="rcv1", test_points=2)
    with pytest.raises(ValueError, match="cache"):
        paper_deletion_experiment((X, y), setting="rcv1", test_points=2, cache="dir")
    # a name loads through the data layer: offline and uncached, it says where the file goes
    from analysis._core.datasets import DatasetNotAvailableError

    monkeypatch.setenv("ANALYSIS_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DatasetNotAvailableError, match="rcv1"):
        paper_deletion_experiment("rcv1", runs=1, test_points=1)


def test_baselines_on_sparse_designs_equal_the_dense_ones():
    from analysis.representers import (
        influence_values,
        l2_style_values,
        solve_l1,
        tracin_values,
        training_checkpoints,
    )

    d = make_sparse_logistic(80, 40, n_test=3, rng=7)
    Xs, Ts = sp.csr_matrix(d.X), sp.csr_matrix(d.X_test)
    theta = solve_l1(d.X, d.y, 0.04, tol=1e-12).theta
    for fn in (influence_values, l2_style_values):
        dense, sparse = fn(d.X, d.y, theta, 0.04, d.X_test), fn(Xs, d.y, theta, 0.04, Ts)
        # the same sums in another order: round-off of the values' scale
        np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-12 * np.abs(dense).max())
    cd, step_d = training_checkpoints(d.X, d.y, 0.04, n_steps=30, n_checkpoints=3)
    cs, step_s = training_checkpoints(Xs, d.y, 0.04, n_steps=30, n_checkpoints=3)
    assert abs(step_s - step_d) <= 1e-9 * step_d  # ARPACK's ||X||_2 at tol 1e-12
    np.testing.assert_allclose(tracin_values(Xs, d.y, Ts, cs, step_s),
                               tracin_values(d.X, d.y, d.X_test, cd, step_d), rtol=1e-7, atol=1e-12)
    with pytest.raises(ValueError, match="dense X"):
        influence_values(Xs, d.y, theta, 0.04, Ts, penalty="l2")

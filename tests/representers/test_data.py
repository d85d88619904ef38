"""Data generators, sklearn's bundled data sets and the ratings CSV loader."""

import numpy as np
import pytest

from analysis._core.datasets import is_available
from analysis.representers import (
    hold_out_ratings,
    load_ratings_csv,
    load_sklearn_binary,
    make_lowrank_ratings,
    make_sparse_logistic,
)
from analysis.representers.data import ML100K_STAR_SHARES


def test_sparse_logistic_shapes_and_determinism():
    a = make_sparse_logistic(40, 200, n_test=7, n_informative=10, rng=3)
    b = make_sparse_logistic(40, 200, n_test=7, n_informative=10, rng=3)
    assert a.X.shape == (40, 200) and a.X_test.shape == (7, 200)
    assert set(np.unique(a.y)) <= {-1.0, 1.0}
    assert np.count_nonzero(a.theta_true) == 10
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)


@pytest.mark.parametrize("name,d", [("breast_cancer", 30), ("digits", 64), ("wine", 13)])
def test_sklearn_bundled_datasets(name, d):
    data = load_sklearn_binary(name, rng=0)
    assert data.X.shape[1] == d == data.X_test.shape[1]
    assert set(np.unique(data.y)) == {-1.0, 1.0}
    # standardised on the training split: the column means vanish up to gamma_n sum |x| / n
    n = data.X.shape[0]
    assert np.all(np.abs(data.X.mean(axis=0)) <= 2 * (n + 2) * np.finfo(float).eps * np.abs(data.X).mean(axis=0))


def test_lowrank_ratings_have_movielens_shape():
    ratings, scores = make_lowrank_ratings(rng=0)
    assert ratings.shape == (943, 1682) and ratings.n == 100_000
    assert np.bincount(ratings.rows, minlength=943).min() >= 20
    assert 0.05 < ratings.density < 0.07
    stars = np.round(2 * ratings.values + 3).astype(int)
    shares = np.bincount(stars, minlength=6)[1:] / ratings.n
    # stars are cut at the quantiles of the shares, so each share is exact up to the two cuts'
    # resolution of 1/n each (ties of the continuous scores have probability 0)
    assert np.abs(shares - ML100K_STAR_SHARES).max() <= 2 / ratings.n + 1e-12
    assert scores.shape == (943, 1682)
    linear = ratings.rows * 1682 + ratings.cols
    assert np.unique(linear).size == linear.size


def test_hold_out_keeps_neighbours():
    ratings, _ = make_lowrank_ratings((50, 60), n_ratings=800, min_per_user=10, rng=1)
    train, test = hold_out_ratings(ratings, 30, min_left=5, rng=1)
    assert train.n + test.n == ratings.n
    for u, i in zip(test.rows, test.cols, strict=True):
        assert np.sum(train.rows == u) >= 5 and np.sum(train.cols == i) >= 5


def test_load_ratings_csv(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("user,item,rating,timestamp\n1,1,5,0\n1,3,1,0\n2,2,3,0\n")
    ratings = load_ratings_csv(path)
    assert ratings.shape == (2, 3)
    assert ratings.rows.tolist() == [0, 0, 1] and ratings.cols.tolist() == [0, 2, 1]
    assert ratings.values.tolist() == [1.0, -1.0, 0.0]
    fixed = load_ratings_csv(path, n_users=5, n_items=4)
    assert fixed.shape == (5, 4)


@pytest.mark.parametrize(
    "text,kwargs,match",
    [
        ("1,7,3\n", {"n_items": 5}, "item index 7 out of range 1..5"),
        ("0,1,3\n", {}, "user index 0 out of range"),
        ("1,1,9\n", {}, r"expected a rating in \[1.0, 5.0\]"),
        ("1,1,nan\n", {}, r"expected a rating in"),
        ("1.5,1,3\n", {}, "integer user and item ids"),
        ("1,1\n", {}, "expected 'user, item, rating'"),
        ("1,1,3\n1,1,4\n", {}, "duplicates"),
        ("u,i,r\n", {}, "at least one rating"),
    ],
)
def test_load_ratings_csv_bad_input(tmp_path, text, kwargs, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ValueError, match=match):
        load_ratings_csv(path, **kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_generators_reject_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n_informative"):
        make_sparse_logistic(10, 5, n_informative=6)
    with pytest.raises(ValueError, match="name"):
        load_sklearn_binary("iris")
    with pytest.raises(ValueError, match="n_ratings"):
        make_lowrank_ratings((10, 10), n_ratings=50, min_per_user=10)
    with pytest.raises(ValueError, match="path"):
        load_ratings_csv(tmp_path / "missing.csv")


def test_cf_figures_say_they_show_the_stand_in_at_quick_scale():
    from analysis.representers.figures import _cf_ratings

    ratings, data, label = _cf_ratings(True, (30, 20), 300, 2, 8, 0)
    assert data == "synthetic stand-in" and "stand-in" in label
    assert ratings.shape == (30, 20) and ratings.n == 300


@pytest.mark.skipif(not is_available("movielens100k"),
                    reason="MovieLens-100k u.data is not cached (python -m analysis data fetch "
                           "movielens100k); the CF figures then show the synthetic stand-in")
def test_cf_figures_use_movielens_when_cached():
    from analysis.representers.figures import _cf_ratings

    ratings, data, label = _cf_ratings(False, (943, 1682), 100_000, 10, 20, 0)
    assert label == "MovieLens-100k" and data["name"] == "movielens100k" and len(data["sha256"]) == 64
    assert ratings.shape == (943, 1682) and ratings.n == 100_000
    assert np.all(np.abs(ratings.values) <= 1.0)
    np.testing.assert_allclose(np.mean(ratings.values), (3.52986 - 3.0) / 2.0, atol=1e-5)

"""Data for the representer topic.

Synthetic sparse logistic data, sklearn's bundled data sets, synthetic low-rank ratings at
MovieLens-100k's shape, and a user's own ratings CSV.

Everything is offline: the real data sets are the ones shipped inside scikit-learn
(``load_breast_cancer``, ``load_digits``, ``load_wine``); no download happens anywhere.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import as_array, check_budget, check_choice, check_int, check_real
from analysis.representers.nuclear import check_ratings

#: MovieLens-100k: 943 users, 1682 items, 100,000 ratings (6.3 % observed), every user >= 20.
ML100K_SHAPE = (943, 1682)
ML100K_N_RATINGS = 100_000
#: Share of the ratings 1..5 in MovieLens-100k (6.1, 11.4, 27.1, 34.2, 21.2 %), used to
#: discretise the synthetic low-rank scores into star ratings with the same histogram.
ML100K_STAR_SHARES = (0.0611, 0.1137, 0.2715, 0.3417, 0.2120)


@dataclass(frozen=True)
class ClassificationData:
    """A binary classification split with labels in {-1, +1}.

    Attributes
    ----------
    X, y : training inputs (n, d) and labels (n,)
    X_test, y_test : test inputs and labels
    theta_true : ndarray or None
        The generating parameter (synthetic data only).
    name : str

    Examples
    --------
    >>> from analysis.representers import ClassificationData
    >>> data = ClassificationData(np.eye(2), np.array([1.0, -1.0]), np.ones((1, 2)),
    ...                           np.array([1.0]), None, "toy")
    >>> data.X.shape, data.X_test.shape, data.name
    ((2, 2), (1, 2), 'toy')
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    theta_true: np.ndarray | None
    name: str


def make_sparse_logistic(
    n_train: int = 300,
    d: int = 1000,
    *,
    n_test: int = 100,
    n_informative: int = 10,
    signal: float = 3.0,
    rng=0,
) -> ClassificationData:
    """Synthetic sparse logistic data: ``x ~ N(0, I_d)``, ``P(y = 1 | x) = sigma(theta* . x)``.

    ``theta*`` has ``n_informative`` non-zero entries of random sign and magnitude
    ``signal / sqrt(n_informative)`` (so ``theta* . x`` has standard deviation ``signal``),
    the high-dimensional setting of Tsai et al. (2023), Sec. 5 (``n << d``, few true features).

    Parameters
    ----------
    n_train, d, n_test, n_informative : int
    signal : float
        Standard deviation of the true logit.
    rng : int or numpy.random.Generator

    Returns
    -------
    ClassificationData

    Examples
    --------
    >>> from analysis.representers import make_sparse_logistic
    >>> data = make_sparse_logistic(30, 8, n_test=3, n_informative=3, rng=0)
    >>> data.X.shape, data.X_test.shape, int(np.count_nonzero(data.theta_true))
    ((30, 8), (3, 8), 3)
    >>> bool(np.isclose(np.linalg.norm(data.theta_true), 3.0))  # ||theta*|| = signal
    True
    """
    n_train = check_int(n_train, "n_train", minimum=2)
    d = check_int(d, "d", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    n_informative = check_int(n_informative, "n_informative", minimum=1, maximum=d)
    signal = check_real(signal, "signal", minimum=0.0)
    biggest = "d" if d > n_train + n_test else ("n_train" if n_train >= n_test else "n_test")
    check_budget(biggest, n_bytes=8.0 * (n_train + n_test) * d, what="the design matrix")
    gen = make_rng(rng, name="rng")
    theta = np.zeros(d)
    idx = gen.choice(d, size=n_informative, replace=False)
    theta[idx] = gen.choice([-1.0, 1.0], size=n_informative) * signal / np.sqrt(n_informative)
    X_all = gen.standard_normal((n_train + n_test, d))
    p = 1.0 / (1.0 + np.exp(-(X_all @ theta)))
    y_all = np.where(gen.random(n_train + n_test) < p, 1.0, -1.0)
    return ClassificationData(
        X_all[:n_train],
        y_all[:n_train],
        X_all[n_train:],
        y_all[n_train:],
        theta,
        f"sparse logistic (n={n_train}, d={d}, k={n_informative})",
    )


#: Shape and density of the libsvm ``news20.binary`` file (19 996 documents, 1 355 191 feature
#: columns, 9 097 916 stored values: about 455 per row); issue 15 quotes 1 355 192 features.
NEWS20_SHAPE = (19_996, 1_355_192)
NEWS20_NNZ_PER_ROW = 455


def make_sparse_text_logistic(
    n_train: int = 15_797,
    d: int = NEWS20_SHAPE[1],
    *,
    nnz_per_row: int = NEWS20_NNZ_PER_ROW,
    n_test: int = 100,
    n_informative: int = 50,
    signal: float = 4.0,
    rng=0,
) -> ClassificationData:
    r"""Synthetic bag-of-words logistic data as scipy.sparse CSR, at news20's shape and density.

    A stand-in for the libsvm ``news20.binary`` set, which cannot be downloaded here. Each
    document draws ``nnz_per_row`` word occurrences from a Zipf-like vocabulary,
    ``P(word j) \propto 1 / (j + 100)``; an entry is ``log(1 + count) * log(1 / P(j))``
    (tf-idf-like) and every row is scaled to unit Euclidean norm (as the libsvm file's are).
    ``theta*`` has ``n_informative`` non-zeros of random sign on words of rank 20..20 000 (frequent
    enough to be seen), scaled so that ``theta* . x`` has standard deviation ``signal`` over the
    training rows; ``P(y = 1 | x) = sigma(theta* . x)``. The default ``n_train`` is news20's
    training share after the published split (10 % validation, 11 % test: 0.79 x 19 996).

    Parameters
    ----------
    n_train, d, nnz_per_row, n_test, n_informative : int
    signal : float
    rng : int or numpy.random.Generator

    Returns
    -------
    ClassificationData
        ``X`` and ``X_test`` are ``scipy.sparse.csr_matrix`` (float64).

    Examples
    --------
    >>> from analysis.representers import make_sparse_text_logistic
    >>> data = make_sparse_text_logistic(50, 2000, nnz_per_row=20, n_test=5, n_informative=5)
    >>> data.X.format, data.X.shape, bool(abs(data.X.multiply(data.X).sum(axis=1) - 1).max() < 1e-12)
    ('csr', (50, 2000), True)
    """
    import scipy.sparse as sp

    n_train = check_int(n_train, "n_train", minimum=2)
    d = check_int(d, "d", minimum=2)
    nnz_per_row = check_int(nnz_per_row, "nnz_per_row", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    n_informative = check_int(n_informative, "n_informative", minimum=1, maximum=d)
    signal = check_real(signal, "signal", minimum=0.0)
    n_all = n_train + n_test
    # each size argument is checked on its own share first, so the error names the one too large
    check_budget("nnz_per_row", n_bytes=24.0 * 2 * nnz_per_row, what="the sparse design")
    for name, rows_ in (("n_train", n_train), ("n_test", n_test)):
        check_budget(name, n_bytes=24.0 * rows_ * nnz_per_row, what="the sparse design")
    check_budget("nnz_per_row", n_bytes=24.0 * n_all * nnz_per_row, what="the sparse design")
    check_budget("d", n_bytes=8.0 * 4 * d, what="the vocabulary weights")
    gen = make_rng(rng, name="rng")
    weights = 1.0 / (np.arange(d) + 100.0)
    p = weights / weights.sum()
    cdf = np.cumsum(p)
    words = np.minimum(np.searchsorted(cdf, gen.random(n_all * nnz_per_row) * cdf[-1]), d - 1)
    docs = np.repeat(np.arange(n_all), nnz_per_row)
    counts = sp.csr_matrix((np.ones(words.size), (docs, words)), shape=(n_all, d))
    counts.sum_duplicates()
    counts.data = np.log1p(counts.data) * -np.log(p[counts.indices])
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    X_all = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-300)) @ counts)
    lo, hi = min(20, d - 1), min(20_000, d)
    pool = np.arange(lo, hi) if hi - lo >= n_informative else np.arange(d)
    theta = np.zeros(d)
    idx = gen.choice(pool, size=n_informative, replace=False)
    theta[idx] = gen.choice([-1.0, 1.0], size=n_informative)
    logit = X_all @ theta
    sd = float(np.std(logit[:n_train]))
    theta *= signal / sd if sd > 0 else 1.0
    prob = 1.0 / (1.0 + np.exp(-(X_all @ theta)))
    y_all = np.where(gen.random(n_all) < prob, 1.0, -1.0)
    return ClassificationData(
        X_all[:n_train],
        y_all[:n_train],
        X_all[n_train:],
        y_all[n_train:],
        theta,
        f"synthetic bag-of-words (n={n_train}, d={d}, {nnz_per_row} words/row, k={n_informative})",
    )


REAL_DATASETS = ("breast_cancer", "digits", "wine")


def load_sklearn_binary(name: str, *, test_fraction: float = 0.25, rng=0) -> ClassificationData:
    """One of scikit-learn's bundled data sets as a standardised binary problem (offline).

    - ``"breast_cancer"``: 569 x 30, malignant (+1) vs benign (-1).
    - ``"digits"``: 1797 x 64 pixel images, digits 0-4 (-1) vs 5-9 (+1).
    - ``"wine"``: 178 x 13, cultivar 0 (+1) vs the other two (-1).

    Features are standardised with the training split's mean and standard deviation
    (constant pixels keep scale 1).

    Parameters
    ----------
    name : {"breast_cancer", "digits", "wine"}
    test_fraction : float
        Share of the rows held out, in (0, 1).
    rng : int or numpy.random.Generator
        Seeds the random split.

    Returns
    -------
    ClassificationData

    Examples
    --------
    >>> from analysis.representers import load_sklearn_binary
    >>> data = load_sklearn_binary("wine", rng=0)
    >>> data.X.shape, data.X_test.shape  # 178 rows, a quarter held out
    ((134, 13), (44, 13))
    >>> bool(np.allclose(data.X.mean(axis=0), 0.0) and np.allclose(data.X.std(axis=0), 1.0))
    True
    """
    from sklearn import datasets

    name = check_choice(name, "name", REAL_DATASETS)
    test_fraction = check_real(
        test_fraction, "test_fraction", minimum=0.0, maximum=1.0, strict_min=True, strict_max=True
    )
    gen = make_rng(rng, name="rng")
    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
        y = np.where(bunch.target == 0, 1.0, -1.0)  # target 0 is malignant
    elif name == "digits":
        bunch = datasets.load_digits()
        y = np.where(bunch.target >= 5, 1.0, -1.0)
    else:
        bunch = datasets.load_wine()
        y = np.where(bunch.target == 0, 1.0, -1.0)
    X = np.asarray(bunch.data, dtype=float)
    order = gen.permutation(X.shape[0])
    n_test = max(1, int(round(test_fraction * X.shape[0])))
    test, train = order[:n_test], order[n_test:]
    mean = X[train].mean(axis=0)
    std = X[train].std(axis=0)
    std[std == 0] = 1.0
    Xs = (X - mean) / std
    return ClassificationData(Xs[train], y[train], Xs[test], y[test], None, name)


# ----------------------------------------------------------------------------------------------
# ratings


@dataclass(frozen=True)
class Ratings:
    """Observed entries of a user x item rating matrix, ratings scaled to [-1, 1].

    Attributes
    ----------
    rows, cols : ndarray of int, shape (n,)
        User and item indices (0-based).
    values : ndarray, shape (n,)
        Ratings mapped linearly from ``[lo, hi]`` to ``[-1, 1]``.
    shape : (int, int)
        (n_users, n_items).

    Examples
    --------
    >>> from analysis.representers import Ratings
    >>> ratings = Ratings(np.array([0, 0, 1]), np.array([0, 2, 1]), np.array([1.0, -0.5, 0.0]), (2, 3))
    >>> ratings.n, ratings.density, ratings.subset(ratings.values > 0).n
    (3, 0.5, 1)
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]

    @property
    def n(self) -> int:
        """Number of observed ratings."""
        return int(self.rows.size)

    @property
    def density(self) -> float:
        """Observed share of the matrix."""
        return self.n / (self.shape[0] * self.shape[1])

    def subset(self, keep: np.ndarray) -> Ratings:
        """The ratings selected by an index or boolean array."""
        return Ratings(self.rows[keep], self.cols[keep], self.values[keep], self.shape)


def make_lowrank_ratings(
    shape: tuple[int, int] = ML100K_SHAPE,
    *,
    n_ratings: int = ML100K_N_RATINGS,
    rank: int = 10,
    min_per_user: int = 20,
    noise: float = 0.5,
    rng=0,
) -> tuple[Ratings, np.ndarray]:
    """Synthetic low-rank ratings with MovieLens-100k's shape, sparsity and star histogram.

    Scores ``s = U V^T / sqrt(rank) + noise * N(0, 1)`` (``U, V`` standard normal) are cut into
    1..5 stars at the quantiles that reproduce ML-100k's star shares, then mapped to
    ``(stars - 3) / 2`` in [-1, 1]. Every user rates at least ``min_per_user`` items (as in
    ML-100k); activity is log-normal across users and items are drawn with Zipf-like popularity
    ``p_j ~ (j + 10)^{-1}``, so both margins are skewed like the real data.

    Parameters
    ----------
    shape : (int, int)
    n_ratings : int
    rank : int
    min_per_user : int
    noise : float
    rng : int or numpy.random.Generator

    Returns
    -------
    (Ratings, ndarray)
        The ratings and the noiseless low-rank score matrix (for reference).

    Examples
    --------
    >>> from analysis.representers import make_lowrank_ratings
    >>> ratings, scores = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> ratings.n, scores.shape, np.unique(ratings.values).tolist()  # (stars - 3) / 2
    (40, (8, 10), [-1.0, -0.5, 0.0, 0.5, 1.0])
    >>> int(np.linalg.matrix_rank(scores)), int(np.bincount(ratings.rows).min()) >= 3
    (2, True)
    """
    m = check_int(shape[0], "shape[0]", minimum=2)
    k = check_int(shape[1], "shape[1]", minimum=2)
    n_ratings = check_int(n_ratings, "n_ratings", minimum=1, maximum=m * k)
    rank = check_int(rank, "rank", minimum=1)
    min_per_user = check_int(min_per_user, "min_per_user", minimum=1, maximum=k)
    noise = check_real(noise, "noise", minimum=0.0)
    if n_ratings < m * min_per_user:
        raise ValueError(
            f"n_ratings: expected at least shape[0] * min_per_user = {m * min_per_user}, got {n_ratings}"
        )
    check_budget("rank", n_bytes=8.0 * (m + k) * rank + 8.0 * m * k, n_operations=2.0 * m * k * rank,
                 what="the factors and the score matrix")
    gen = make_rng(rng, name="rng")
    U = gen.standard_normal((m, rank))
    V = gen.standard_normal((k, rank))
    scores = U @ V.T / np.sqrt(rank)
    activity = gen.lognormal(0.0, 1.0, size=m)
    extra = n_ratings - m * min_per_user
    counts = min_per_user + np.floor(extra * activity / activity.sum()).astype(int)
    counts[np.argsort(-activity)[: n_ratings - counts.sum()]] += 1  # hit n_ratings exactly
    counts = np.minimum(counts, k)
    popularity = 1.0 / (gen.permutation(k) + 10.0)
    popularity /= popularity.sum()
    rows, cols = [], []
    for u in range(m):
        items = gen.choice(k, size=int(counts[u]), replace=False, p=popularity)
        rows.append(np.full(items.size, u))
        cols.append(np.sort(items))
    rows = np.concatenate(rows)
    cols = np.concatenate(cols)
    raw = scores[rows, cols] + noise * gen.standard_normal(rows.size)
    cuts = np.quantile(raw, np.cumsum(ML100K_STAR_SHARES)[:-1])
    stars = 1 + np.searchsorted(cuts, raw)
    return Ratings(rows, cols, (stars - 3.0) / 2.0, (m, k)), scores


def hold_out_ratings(ratings: Ratings, n_test: int, *, min_left: int = 5, rng=0):
    """Hold out ``n_test`` ratings whose user and item keep at least ``min_left`` other ratings.

    Returns
    -------
    (Ratings, Ratings)
        Training ratings and held-out ratings.

    Examples
    --------
    >>> from analysis.representers import hold_out_ratings, make_lowrank_ratings
    >>> ratings, _ = make_lowrank_ratings((8, 10), n_ratings=40, rank=2, min_per_user=3, rng=0)
    >>> train, test = hold_out_ratings(ratings, 3, min_left=2, rng=0)
    >>> train.n, test.n, int(np.bincount(train.rows, minlength=8)[test.rows].min()) >= 2
    (37, 3, True)
    """
    n_test = check_int(n_test, "n_test", minimum=1, maximum=ratings.n - 1)
    min_left = check_int(min_left, "min_left", minimum=1)
    gen = make_rng(rng, name="rng")
    user_count = np.bincount(ratings.rows, minlength=ratings.shape[0]).astype(int)
    item_count = np.bincount(ratings.cols, minlength=ratings.shape[1]).astype(int)
    chosen = []
    for e in gen.permutation(ratings.n):
        u, i = ratings.rows[e], ratings.cols[e]
        if user_count[u] - 1 >= min_left and item_count[i] - 1 >= min_left:
            chosen.append(e)
            user_count[u] -= 1
            item_count[i] -= 1
            if len(chosen) == n_test:
                break
    if len(chosen) < n_test:
        raise ValueError(f"n_test: only {len(chosen)} ratings can be held out with min_left={min_left}")
    mask = np.zeros(ratings.n, dtype=bool)
    mask[np.array(chosen)] = True
    return ratings.subset(~mask), ratings.subset(np.array(chosen))


def load_ratings_csv(
    path: str | os.PathLike,
    *,
    n_users: int | None = None,
    n_items: int | None = None,
    index_base: int = 1,
    rating_range: tuple[float, float] = (1.0, 5.0),
    delimiter: str = ",",
) -> Ratings:
    r"""Read a user's ratings file ``user, item, rating[, ...]`` into :class:`Ratings`.

    A first line that is not numeric is taken as a header; columns after the third (e.g. a
    timestamp) are ignored. Indices are integers counted from ``index_base`` (1 for
    MovieLens files). Ratings are mapped linearly from ``rating_range`` to [-1, 1].

    Parameters
    ----------
    path : str or path-like
    n_users, n_items : int, optional
        Matrix shape; by default the largest index seen. An index beyond a given size is an
        error naming the line.
    index_base : {0, 1}
    rating_range : (float, float)
    delimiter : str

    Returns
    -------
    Ratings

    Examples
    --------
    >>> import os, tempfile
    >>> from analysis.representers import load_ratings_csv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "ratings.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("user,item,rating\n1,1,5\n1,3,1\n2,2,3\n")
    ...     ratings = load_ratings_csv(path)  # 1-based ids, stars 1..5 -> [-1, 1]
    >>> ratings.shape, ratings.rows, ratings.cols, ratings.values
    ((2, 3), array([0, 0, 1]), array([0, 2, 1]), array([ 1., -1.,  0.]))
    """
    index_base = check_int(index_base, "index_base", minimum=0, maximum=1)
    for arg, size in (("n_users", n_users), ("n_items", n_items)):
        if size is not None:
            # a factor needs at least one float per row: refuse what cannot fit before reading
            check_budget(arg, n_bytes=8.0 * check_int(size, arg, minimum=1), what="one factor column")
    lo, hi = (check_real(v, "rating_range") for v in rating_range)
    if not hi > lo:
        raise ValueError(f"rating_range: expected (low, high) with low < high, got {rating_range!r}")
    if not os.path.isfile(path):
        raise ValueError(f"path: expected an existing ratings file, got {os.fspath(path)!r}")
    users, items, vals = [], [], []
    with open(path, newline="") as handle:
        for line_no, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) < 3:
                raise ValueError(f"path: line {line_no}: expected 'user, item, rating', got {row!r}")
            try:
                u_f, i_f, r = float(row[0]), float(row[1]), float(row[2])
            except ValueError:
                if line_no == 1:
                    continue  # header
                raise ValueError(f"path: line {line_no}: expected numbers, got {row[:3]!r}") from None
            if u_f != int(u_f) or i_f != int(i_f):
                raise ValueError(
                    f"path: line {line_no}: expected integer user and item ids, got {row[:2]!r}"
                )
            if not (np.isfinite(r) and lo <= r <= hi):
                raise ValueError(
                    f"path: line {line_no}: expected a rating in [{lo}, {hi}], got {row[2]!r}"
                )
            u, i = int(u_f) - index_base, int(i_f) - index_base
            for idx, size, what in ((u, n_users, "user"), (i, n_items, "item")):
                if idx < 0 or (size is not None and idx >= size):
                    top = "" if size is None else f"..{size - 1 + index_base}"
                    raise ValueError(
                        f"path: line {line_no}: {what} index {idx + index_base} out of range "
                        f"{index_base}{top} (index_base={index_base}, n_users={n_users}, "
                        f"n_items={n_items})"
                    )
            users.append(u)
            items.append(i)
            vals.append(r)
    if not users:
        raise ValueError(f"path: expected at least one rating in {os.fspath(path)!r}, got none")
    m = check_int(n_users, "n_users", minimum=1) if n_users is not None else max(users) + 1
    k = check_int(n_items, "n_items", minimum=1) if n_items is not None else max(items) + 1
    rows, cols, values, shape = check_ratings(
        np.array(users), np.array(items), 2.0 * (np.array(vals) - lo) / (hi - lo) - 1.0, (m, k)
    )
    return Ratings(rows, cols, values, shape)


def check_ratings_object(ratings: object, name: str = "ratings") -> Ratings:
    """Check that ``ratings`` is a valid :class:`Ratings`; return it."""
    if not isinstance(ratings, Ratings):
        raise ValueError(f"{name}: expected a Ratings object, got {type(ratings).__name__}")
    check_ratings(ratings.rows, ratings.cols, ratings.values, ratings.shape)
    as_array(ratings.values, f"{name}.values", ndim=1)
    return ratings

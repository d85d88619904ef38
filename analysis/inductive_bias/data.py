"""Tasks: synthetic regression of controllable input dimension; sklearn digits on k PCs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import check_budget, check_int

__all__ = ["Task", "digits_task", "one_hot", "synthetic_task"]


@dataclass(frozen=True)
class Task:
    """A supervised task with a fixed training set and a test set.

    Attributes
    ----------
    X_train, Y_train, X_test, Y_test : numpy.ndarray
        Inputs (n, d) and targets (n, k) (one-hot for classification).
    lengthscale : float
        The RBF lengthscale used for this task's kernel spaces (stated per task).
    name : str

    Examples
    --------
    >>> from analysis.inductive_bias import Task
    >>> X, Y = np.zeros((4, 3)), np.ones((4, 1))
    >>> task = Task(X, Y, X[:2], Y[:2], lengthscale=1.0, name="toy")
    >>> task.dim, task.name
    (3, 'toy')
    """

    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    lengthscale: float
    name: str

    @property
    def dim(self) -> int:
        """Input dimension d."""
        return int(self.X_train.shape[1])


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot encoding (float64), shape (n, n_classes).

    Examples
    --------
    >>> from analysis.inductive_bias import one_hot
    >>> one_hot([0, 2, 1], 3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    from analysis._core.validate import check_labels

    n_classes = check_int(n_classes, "n_classes", minimum=1)
    y = check_labels(labels, "labels", n_classes=n_classes)
    check_budget("n_classes", n_bytes=8.0 * y.size * n_classes, what=f"a ({y.size}, n_classes) array")
    out = np.zeros((y.size, n_classes))
    out[np.arange(y.size), y] = 1.0
    return out


def synthetic_task(dim: int, n_train: int = 50, n_test: int = 30, *, rng=0) -> Task:
    r"""Regression with a target drawn from a GP prior, on Gaussian inputs in ``dim`` dimensions.

    .. math::

        x \sim N(0, I_d), \qquad y \sim GP\big(0,\ \exp(-\lVert x - x'\rVert^2 / (2d))\big)
        \text{ jointly at the train and test inputs},

    a one-output target with unit variance for every d whose RBF lengthscale is
    :math:`\ell = \sqrt d` (typical inter-point distance :math:`\sqrt{2d}`: the usual scaling that
    keeps the kernel non-degenerate as d grows). The task is well specified for the RBF-GP space
    of the same lengthscale, so the only thing that changes with d is how little n points pin the
    function down. The target is drawn by a Cholesky factor with relative jitter 1e-8.

    Examples
    --------
    >>> from analysis.inductive_bias import synthetic_task
    >>> task = synthetic_task(3, n_train=20, n_test=10, rng=0)
    >>> task.X_train.shape, task.Y_train.shape, task.X_test.shape, task.name
    ((20, 3), (20, 1), (10, 3), 'synthetic d=3')
    >>> bool(np.isclose(task.lengthscale, np.sqrt(3)))
    True
    """
    dim = check_int(dim, "dim", minimum=1)
    n_train = check_int(n_train, "n_train", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    n = n_train + n_test
    check_budget("n_train + n_test", n_bytes=16.0 * n * n, what="the (n, n) target covariance")
    check_budget("dim", n_bytes=8.0 * n * n * dim, what="pairwise differences of shape (n, n, dim)")
    gen = make_rng(rng, "rng")
    X = gen.standard_normal((n_train + n_test, dim))
    sq = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=2)
    K = np.exp(-sq / (2.0 * dim)) + 1e-8 * np.eye(X.shape[0])
    Y = (np.linalg.cholesky(K) @ gen.standard_normal(X.shape[0]))[:, None]
    return Task(X[:n_train], Y[:n_train], X[n_train:], Y[n_train:], float(np.sqrt(dim)),
                f"synthetic d={dim}")


def digits_task(k: int, n_train: int = 100, n_test: int = 50, *, rng=0) -> Task:
    r"""The 8x8 digits bundled with scikit-learn (no download), projected to ``k`` principal components.

    Pixels are scaled to [0, 1]; a seeded random split gives the training and test sets; PCA is
    fitted on the training inputs only; the projections are divided by the root-mean-square norm
    of the training projections times ``sqrt(k)`` so coordinates have unit mean variance for every
    k, and the RBF lengthscale is :math:`\sqrt{k}`. Labels are one-hot (10 outputs).

    Examples
    --------
    >>> from analysis.inductive_bias import digits_task
    >>> task = digits_task(5, n_train=100, n_test=50, rng=0)
    >>> task.X_train.shape, task.Y_train.shape, task.X_test.shape, task.name
    ((100, 5), (100, 10), (50, 5), 'digits k=5')
    >>> round(float(np.mean(np.sum(task.X_train**2, axis=1))) / 5, 6)  # unit mean variance
    1.0
    """
    from sklearn.datasets import load_digits

    k = check_int(k, "k", minimum=1, maximum=64)
    n_train = check_int(n_train, "n_train", minimum=max(k, 2), maximum=1500)
    n_test = check_int(n_test, "n_test", minimum=1, maximum=1797 - n_train)
    gen = make_rng(rng, "rng")
    digits = load_digits()
    order = gen.permutation(digits.target.size)
    X = digits.data[order] / 16.0
    y = digits.target[order]
    Xtr, Xte = X[:n_train], X[n_train:n_train + n_test]
    centre = Xtr.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xtr - centre, full_matrices=False)
    basis = Vt[:k].T
    Ptr, Pte = (Xtr - centre) @ basis, (Xte - centre) @ basis
    rms = np.sqrt(np.mean(np.sum(Ptr**2, axis=1)) / k)
    return Task(Ptr / rms, one_hot(y[:n_train], 10), Pte / rms, one_hot(y[n_train:n_train + n_test], 10),
                float(np.sqrt(k)), f"digits k={k}")

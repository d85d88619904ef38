r"""Simple zero-shot baselines on synthetic attribute data, and confusion prediction.

The bound assumes perfect attribute detectors, so an instance *is* its attribute vector ``v``.
Test data for the ``k`` unseen classes are sampled either from the natural generative model
consistent with ``M`` (attributes independent given the class, ``v_i ~ Bernoulli(M_ji)``) or
from the adversary's optimal joint law ``P*``. Two baselines:

* **DAP** (direct attribute prediction, Lampert et al., 2009/2014): predict
  ``argmax_j sum_i [v_i log M_ji + (1 - v_i) log(1 - M_ji)]`` (entries clipped to
  ``[eps, 1 - eps]``); it uses only ``M``, and is Bayes-optimal under the natural model.
* **ESZSL** (Romera-Paredes & Torr, 2015), a linear compatibility model ``x^T W s_j`` trained in
  closed form on *seen* classes (their own signatures ``S_seen``, natural-model samples):

  .. math::

      W = (X^\top X + \gamma I)^{-1} X^\top Y S (S^\top S + \lambda I)^{-1},

  with ``X`` the features ``[v, 1]`` (rows), ``Y`` the one-hot labels and ``S`` the seen classes'
  L2-normalised attribute signatures (rows); unseen classes are scored with their normalised rows
  of ``M``. Departure from the paper: targets are 0/1 rather than +-1, because with a handful
  of seen classes the -1 targets push every score towards classes with few attributes (on our
  AwA-like data the +-1 version was often at chance level).

Against ``P*`` no classifier (these included) can have error below ``1 - Q(M)``, and every
classifier's *worst-case* error over the laws consistent with ``M`` is at least ``1 - Q(M)``;
on natural data a classifier's error may well be below the bound (the natural law is only one
of the consistent laws). For small ``n`` these quantities are computed exactly, without
sampling: :func:`natural_joint` enumerates the natural law over all ``2^n`` vectors,
:func:`exact_accuracy` / :func:`exact_confusion` evaluate a classifier under any joint law on
those vectors, and :func:`worst_case_error` solves the inner LP over all consistent laws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis._core.rng import make_rng
from analysis._core.validate import as_array, check_budget, check_int, check_labels, check_real
from analysis.zsl.bound import AdversarialJoint, worst_case_accuracy
from analysis.zsl.data import all_attribute_vectors, validate_class_attribute_matrix


def sample_natural(
    M: object, size: int, rng: int | np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``(j, v)``: ``j`` uniform over the classes, ``v_i ~ Bernoulli(M_ji)`` independently.

    Returns
    -------
    labels : numpy.ndarray of int64, shape (size,)
    V : numpy.ndarray of uint8, shape (size, n)

    Examples
    --------
    >>> from analysis.zsl import sample_natural
    >>> M = np.array([[0.9, 0.2], [0.1, 0.7]])
    >>> labels, V = sample_natural(M, 1000, rng=0)
    >>> labels.shape, V.shape, V.dtype
    ((1000,), (1000, 2), dtype('uint8'))
    >>> bool(np.all(np.abs(V[labels == 0].mean(axis=0) - M[0]) < 0.1))  # ~5 standard errors
    True
    """
    M = validate_class_attribute_matrix(M, "M")
    size = check_int(size, "size", minimum=1)
    # labels (int64), uniforms (float64) and the 0/1 vectors, sized before allocating
    check_budget("size", n_bytes=size * (8.0 + 9.0 * M.shape[1]), what=f"{size} samples")
    rng = make_rng(rng, name="rng")
    labels = rng.integers(0, M.shape[0], size=size)
    V = (rng.random((size, M.shape[1])) < M[labels]).astype(np.uint8)
    return labels.astype(np.int64), V


def dap_predict(M: object, V: object, eps: float = 1e-3) -> np.ndarray:
    r"""DAP: :math:`\arg\max_j \sum_i v_i\log M_{ji} + (1-v_i)\log(1-M_{ji})` (ties: lowest j).

    Examples
    --------
    >>> from analysis.zsl import dap_predict
    >>> M = np.array([[0.9, 0.2], [0.1, 0.7]])
    >>> dap_predict(M, [[1, 0], [0, 1], [1, 1], [0, 0]])
    array([0, 1, 0, 1])
    """
    M = validate_class_attribute_matrix(M, "M")
    eps = check_real(eps, "eps", minimum=0.0, maximum=0.5, strict_min=True)
    V = as_array(V, "V", shape=(None, M.shape[1]))
    P = np.clip(M, eps, 1.0 - eps)
    scores = V @ np.log(P).T + (1.0 - V) @ np.log1p(-P).T
    return np.argmax(scores, axis=1)


@dataclass(frozen=True)
class Eszsl:
    """A fitted ESZSL compatibility matrix ``W`` (features ``[v, 1]`` x attributes)."""

    W: np.ndarray

    def predict(self, M: object, V: object) -> np.ndarray:
        """``argmax_j [v, 1]^T W M_j`` over the rows of ``M`` (the unseen classes)."""
        M = validate_class_attribute_matrix(M, "M")
        V = as_array(V, "V", shape=(None, M.shape[1]))
        X = np.hstack([V, np.ones((V.shape[0], 1))])
        return np.argmax(X @ self.W @ _unit_rows(M).T, axis=1)


def _unit_rows(S: np.ndarray) -> np.ndarray:
    return S / np.maximum(np.linalg.norm(S, axis=1, keepdims=True), 1e-12)


def fit_eszsl(
    V: object, labels: object, S_seen: object, gamma: float = 10.0, lam: float = 10.0
) -> Eszsl:
    r"""Fit ESZSL in closed form on seen-class data (Romera-Paredes & Torr, 2015, Eq. 5).

    Returns an object with the matrix ``W`` (features ``[v, 1]`` x attributes) and
    ``predict(M, V)``, the most compatible row of ``M`` for each row of ``V``.

    Examples
    --------
    >>> from analysis.zsl import awa_like_matrix, fit_eszsl, sample_natural
    >>> S_seen = awa_like_matrix(6, 5, seed=0)
    >>> labels, V = sample_natural(S_seen, 500, rng=0)
    >>> model = fit_eszsl(V, labels, S_seen)
    >>> model.W.shape, bool(np.mean(model.predict(S_seen, V) == labels) > 1 / 6)  # above chance
    ((6, 5), True)
    """
    S = validate_class_attribute_matrix(S_seen, "S_seen")
    V = as_array(V, "V", shape=(None, S.shape[1]))
    if V.shape[0] == 0:
        raise ValueError("V: expected at least one training vector (row), got none")
    y = check_labels(labels, "labels", n_classes=S.shape[0], n_samples=V.shape[0])
    gamma = check_real(gamma, "gamma", minimum=0.0, strict_min=True)
    lam = check_real(lam, "lam", minimum=0.0, strict_min=True)
    X = np.hstack([V, np.ones((V.shape[0], 1))])
    Y = np.zeros((V.shape[0], S.shape[0]))
    Y[np.arange(V.shape[0]), y] = 1.0
    S = _unit_rows(S)
    left = np.linalg.solve(X.T @ X + gamma * np.eye(X.shape[1]), X.T @ Y @ S)
    W = np.linalg.solve((S.T @ S + lam * np.eye(S.shape[1])).T, left.T).T
    return Eszsl(W)


def confusion_matrix(labels: object, predictions: object, k: int) -> np.ndarray:
    """Row-normalised confusion ``C[j, l] = P(predict l | class j)``."""
    k = check_int(k, "k", minimum=2)
    y = check_labels(labels, "labels", n_classes=k)
    p = check_labels(predictions, "predictions", n_classes=k, n_samples=y.shape[0])
    C = np.zeros((k, k))
    np.add.at(C, (y, p), 1.0)
    return C / np.maximum(C.sum(axis=1, keepdims=True), 1.0)


@dataclass(frozen=True)
class BaselineReport:
    """Test errors and confusions of the baselines on natural and adversarial data."""

    errors: dict
    standard_errors: dict
    confusions: dict
    n_test: int


def evaluate_baselines(
    M: object,
    M_seen: object,
    adversary: AdversarialJoint,
    *,
    n_train: int = 5000,
    n_test: int = 20000,
    seed: int | np.random.Generator = 0,
) -> BaselineReport:
    """Train ESZSL on seen classes, then test DAP and ESZSL on natural and on adversarial data.

    Returns
    -------
    BaselineReport
        ``errors[(model, data)]`` with model in {"DAP", "ESZSL"} and data in
        {"natural", "adversarial"}, their binomial standard errors, and confusion matrices.

    Examples
    --------
    On the adversary's law no classifier beats the bound's error ``1 - Q`` (up to sampling
    error):

    >>> from analysis.zsl import awa_like_matrix, evaluate_baselines, worst_case_lower_bound
    >>> M, M_seen = awa_like_matrix(3, 5, seed=1), awa_like_matrix(6, 5, seed=0)
    >>> res = worst_case_lower_bound(M)
    >>> rep = evaluate_baselines(M, M_seen, res.adversary, n_train=500, n_test=2000, seed=0)
    >>> key = ("DAP", "adversarial")
    >>> bool(rep.errors[key] >= res.error_lower_bound - 3 * rep.standard_errors[key])
    True
    """
    M = validate_class_attribute_matrix(M, "M")
    M_seen = validate_class_attribute_matrix(M_seen, "M_seen")
    if M_seen.shape[1] != M.shape[1]:
        raise ValueError(f"M_seen: expected {M.shape[1]} attributes like M, got {M_seen.shape[1]}")
    if adversary.probabilities.shape[0] != M.shape[0] or adversary.vectors.shape[1] != M.shape[1]:
        raise ValueError("adversary: expected a joint law over the classes and attributes of M")
    n_train = check_int(n_train, "n_train", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    check_budget("n_train", n_bytes=n_train * (8.0 + 9.0 * M.shape[1]), what=f"{n_train} samples")
    check_budget("n_test", n_bytes=n_test * (8.0 + 9.0 * M.shape[1]), what=f"{n_test} samples")
    rng = make_rng(seed)
    k = M.shape[0]
    y_seen, V_seen = sample_natural(M_seen, n_train, rng)
    eszsl = fit_eszsl(V_seen, y_seen, M_seen)
    tests = {"natural": sample_natural(M, n_test, rng), "adversarial": adversary.sample(n_test, rng)}
    errors, ses, confusions = {}, {}, {}
    for data, (y, V) in tests.items():
        for model, pred in (("DAP", dap_predict(M, V)), ("ESZSL", eszsl.predict(M, V))):
            err = float(np.mean(pred != y))
            errors[(model, data)] = err
            ses[(model, data)] = float(np.sqrt(max(err * (1 - err), 1.0 / n_test) / n_test))
            confusions[(model, data)] = confusion_matrix(y, pred, k)
    return BaselineReport(errors, ses, confusions, n_test)


def natural_joint(M: object) -> tuple[np.ndarray, np.ndarray]:
    r"""The natural law on all ``2^n`` vectors, ``P(j, v) = prod_i M_ji^v_i (1 - M_ji)^(1 - v_i) / k``.

    Attributes are independent given the class (the model :func:`sample_natural` draws from),
    one of the laws consistent with ``M``.

    Returns
    -------
    V : numpy.ndarray of uint8, shape (2^n, n)
        All attribute vectors, row ``c`` having code ``c``.
    P : numpy.ndarray, shape (k, 2^n)
        ``P[j, c] = P(j, V[c])``; sums to 1.
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    if n > 16:
        raise ValueError(f"M: natural_joint enumerates 2^n vectors; n={n} > 16 is too large")
    V = all_attribute_vectors(n)
    on = V[None, :, :].astype(bool)
    P = np.prod(np.where(on, M[:, None, :], 1.0 - M[:, None, :]), axis=2) / k
    return V, P


def _check_joint_predictions(predictions: object, P: object) -> tuple[np.ndarray, np.ndarray]:
    P = as_array(P, "P", ndim=2)
    if P.min() < 0:
        raise ValueError(f"P: expected a joint law (non-negative), got minimum {P.min():.3g}")
    pred = check_labels(predictions, "predictions", n_classes=P.shape[0], n_samples=P.shape[1])
    return pred, P


def exact_accuracy(predictions: object, P: object) -> float:
    r"""``sum_v P(pred(v), v)``: the exact accuracy of a deterministic map under a joint law.

    ``predictions[c]`` is the class predicted for the vector with code ``c`` and ``P[j, c]``
    the joint law on those vectors (e.g. from :func:`natural_joint`).
    """
    pred, P = _check_joint_predictions(predictions, P)
    return float(P[pred, np.arange(P.shape[1])].sum())


def exact_confusion(predictions: object, P: object) -> np.ndarray:
    r"""Exact row-normalised confusion ``C[j, l] = P(pred(v) = l | class j)`` under a joint law."""
    pred, P = _check_joint_predictions(predictions, P)
    k = P.shape[0]
    C = np.zeros((k, k))
    for col in range(k):
        C[:, col] = P[:, pred == col].sum(axis=1)
    return C / np.maximum(C.sum(axis=1, keepdims=True), np.finfo(float).tiny)


def worst_case_error(predictions: object, M: object) -> float:
    r"""Worst-case error of a deterministic map over every joint law consistent with ``M``.

    .. math::

        1 - \min_{P \text{ consistent with } M} \sum_v P(\mathrm{pred}(v), v),

    the inner LP of :func:`analysis.zsl.bound.worst_case_accuracy` with the one-hot map; by the
    minimax theorem it is at least ``1 - Q(M)`` for every map (Mazzetto et al., 2022, Sec. 4).
    """
    M = validate_class_attribute_matrix(M, "M")
    k, n = M.shape
    pred = check_labels(predictions, "predictions", n_classes=k, n_samples=2**n)
    return 1.0 - float(worst_case_accuracy(np.eye(k)[pred], M))


def exact_baseline_errors(
    M: object, eszsl: Eszsl, adversary: AdversarialJoint, *, worst_case: bool = True
) -> dict:
    """Exact errors of DAP and a fitted ESZSL: natural law, the adversary's ``P*``, worst case.

    Nothing is sampled: the natural law is enumerated over all ``2^n`` vectors, ``P*`` is summed
    over its support, and the worst case is the LP of :func:`worst_case_error`.

    Returns
    -------
    dict
        ``errors[(model, data)]`` with model in {"DAP", "ESZSL"} and data in {"natural",
        "adversarial", "worst case"} (the last only with ``worst_case``).
    """
    M = validate_class_attribute_matrix(M, "M")
    V, P_nat = natural_joint(M)
    S = adversary.vectors
    if adversary.probabilities.shape[0] != M.shape[0] or S.shape[1] != M.shape[1]:
        raise ValueError("adversary: expected a joint law over the classes and attributes of M")
    errors = {}
    models = (("DAP", lambda X: dap_predict(M, X)), ("ESZSL", lambda X: eszsl.predict(M, X)))
    for model, predict in models:
        on_all = predict(V)
        errors[(model, "natural")] = 1.0 - exact_accuracy(on_all, P_nat)
        errors[(model, "adversarial")] = 1.0 - exact_accuracy(predict(S), adversary.probabilities)
        if worst_case:
            errors[(model, "worst case")] = worst_case_error(on_all, M)
    return errors


def naive_confusion(M: object) -> np.ndarray:
    r"""A control predictor of pair confusability: ``-max_i |M_ji - M_li|`` (0 on the diagonal).

    Two classes whose attribute rates differ little on every attribute are predicted to be
    confused; ``(1 + max_i |M_ji - M_li|)/2`` is the two-class bound ``Q`` of the pair, so this is
    the *pairwise* worst case, without the joint adversary of all ``k`` classes.
    """
    M = validate_class_attribute_matrix(M, "M")
    out = -np.max(np.abs(M[:, None, :] - M[None, :, :]), axis=2)
    np.fill_diagonal(out, 0.0)
    return out


def predicted_confusion(adversary: AdversarialJoint) -> np.ndarray:
    """Predicted confusability of class pairs: the mass ``P*`` places on shared vectors."""
    overlap = adversary.pairwise_overlap()
    np.fill_diagonal(overlap, 0.0)
    return overlap


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty_like(order, dtype=np.float64)
    ranks[order] = np.arange(x.size)
    # average ranks over ties
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.zeros(counts.size)
    np.add.at(sums, inverse, ranks)
    return (sums / counts)[inverse]


def spearman(x: object, y: object) -> float:
    """Spearman rank correlation (average ranks for ties); 0 when either is constant."""
    rx, ry = _ranks(np.asarray(x, float)), _ranks(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = np.sqrt((rx**2).sum() * (ry**2).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else 0.0


def confusion_agreement(
    predicted: object, observed: object, *, n_permutations: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Rank agreement of predicted vs observed pair confusions, and its 95% chance level.

    Both matrices are symmetrised; the statistic is the Spearman correlation over the
    ``k (k - 1) / 2`` class pairs. The chance level is the 95% quantile of the statistic when
    the classes of ``predicted`` are relabelled by uniformly random permutations.

    Returns
    -------
    (statistic, chance_95)
    """
    A = as_array(predicted, "predicted", ndim=2)
    B = as_array(observed, "observed", shape=A.shape)
    k = A.shape[0]
    A, B = A + A.T, B + B.T
    iu = np.triu_indices(k, 1)
    stat = spearman(A[iu], B[iu])
    rng = make_rng(seed)
    null = np.empty(check_int(n_permutations, "n_permutations", minimum=10))
    for r in range(null.size):
        p = rng.permutation(k)
        null[r] = spearman(A[np.ix_(p, p)][iu], B[iu])
    return stat, float(np.quantile(null, 0.95))

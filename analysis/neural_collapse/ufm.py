r"""The unconstrained-features model (UFM) with cross-entropy, trained by full-batch GD in torch.

.. math::

    \min_{W, H, b}\; \frac1N \sum_{i=1}^N \omega_{y_i}\, \ell(W h_i + b, y_i)
    + \frac{\lambda_W}{2}\|W\|_F^2 + \frac{\lambda_H}{2N}\|H\|_F^2 + \frac{\lambda_b}{2}\|b\|^2
    \;(+\; \beta_W\, \mathcal R_{\mathrm{within}}(H) + \beta_B\, \mathcal R_{\mathrm{between}}(H)),

with :math:`\ell` the cross-entropy, the label-smoothed cross-entropy or MaxSup, and optional
class weights :math:`\omega_c` (``class_weighting="balanced"``: :math:`\omega_c = N/(C n_c)`).

Step sizes. The feature block is preconditioned: :math:`h_i` takes steps of ``lr * N`` times its
gradient (each :math:`h_i` only sees its own :math:`1/N`-weighted loss term), W and b take
steps of ``lr``. The stationary points are those of the objective above.

References
----------
.. [1] Z. Zhu, T. Ding, J. Zhou, X. Li, C. You, J. Sulam, Q. Qu, "A geometric analysis of neural
   collapse with unconstrained features", NeurIPS 2021, Eq. (3) and Thm. 3.1 (global minimisers
   of the balanced, regularised UFM are simplex ETFs with self-duality).
.. [2] C. Fang, H. He, Q. Long, W. J. Su, "Exploring deep neural networks via layer-peeled
   model: minority collapse in imbalanced training", PNAS 118(43), 2021 (minority collapse).
.. [3] C. Thrampoulidis, G. R. Kini, V. Vakilian, T. Behnia, "Imbalance trouble: revisiting
   neural-collapse geometry", NeurIPS 2022 (minority collapse at finite imbalance with weight
   decay).
.. [4] X. Liu, J. Zhang, T. Hu, H. Cao, L. Pan, Y. Yao, "Inducing neural collapse in deep
   long-tailed learning", AISTATS 2023 (within- and between-class feature regularisers).
.. [5] Y. Zhou et al., "MaxSup: overcoming representation collapse in label smoothing" (2025).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis._core.device import resolve_device, resolve_dtype
from analysis._core.rng import make_torch_generator
from analysis._core.validate import check_budget, check_choice, check_int, check_real
from analysis.neural_collapse.data import labels_from_counts, validate_counts
from analysis.neural_collapse.metrics import nc_metrics

LOSSES = ("ce", "label_smoothing", "maxsup")
CLASS_WEIGHTINGS = ("none", "balanced")


@dataclass
class UFMResult:
    """Result of :func:`train_ce_ufm` (numpy float64 arrays).

    Attributes
    ----------
    H, W, b : numpy.ndarray
        Final features (N, d), classifier (C, d) and bias (C,).
    labels, counts : numpy.ndarray
        Labels (N,) and class counts (C,).
    epochs : numpy.ndarray
        Epochs at which the metrics were recorded.
    history : dict of str to numpy.ndarray
        Each key of :func:`~analysis.neural_collapse.metrics.nc_metrics` (with W), plus
        ``"loss"`` and ``"minority_cosine"`` (mean pairwise cosine of the minority classifiers,
        NaN without at least two minority classes), at each recorded epoch.
    """

    H: np.ndarray
    W: np.ndarray
    b: np.ndarray
    labels: np.ndarray
    counts: np.ndarray
    epochs: np.ndarray
    history: dict[str, np.ndarray] = field(default_factory=dict)


def smoothed_cross_entropy(logits, labels, smoothing: float):
    r"""Label-smoothed cross-entropy through its identity with plain CE (torch, per sample).

    .. math::

        \ell_{\mathrm{LS}}(z, y) = -\sum_k q_k \log \mathrm{softmax}(z)_k,\;
        q = (1-\alpha) e_y + \tfrac{\alpha}{K}\mathbf 1
        \;=\; \ell_{\mathrm{CE}}(z, y) + \alpha\,(z_y - \bar z),

    (proved symbolically in :func:`analysis.neural_collapse.proofs.label_smoothing_residual`).
    """
    import torch

    lse = torch.logsumexp(logits, dim=1)
    z_y = logits.gather(1, labels[:, None])[:, 0]
    return lse - z_y + smoothing * (z_y - logits.mean(dim=1))


def maxsup_loss(logits, labels, smoothing: float):
    r"""MaxSup: the label-smoothing regulariser applied to the top logit instead of the target.

    .. math::

        \ell_{\mathrm{MaxSup}}(z, y) = \ell_{\mathrm{CE}}(z, y) + \alpha\,(\max_k z_k - \bar z).

    References
    ----------
    .. [1] Zhou et al., "MaxSup: overcoming representation collapse in label smoothing" (2025),
       the MaxSup objective (CE plus :math:`\alpha(z_{\max} - \bar z)`).
    """
    import torch

    lse = torch.logsumexp(logits, dim=1)
    z_y = logits.gather(1, labels[:, None])[:, 0]
    return lse - z_y + smoothing * (logits.max(dim=1).values - logits.mean(dim=1))


def within_class_regulariser(H, labels, counts):
    r"""Within-class compactness (torch): mean squared distance to the class mean.

    .. math::

        \mathcal R_{\mathrm{within}} = \frac1N\sum_i \|h_i - \mu_{y_i}\|^2 .

    Liu et al. (2023) add a within-class term of this kind; their exact normalisation could not
    be checked here (only the abstract was available), so this is the plain (centre-loss) form.
    Step-size note: with the feature preconditioning of :func:`train_ce_ufm` the update is
    stable for ``lr * within_class_weight < 1``.
    """
    means = _class_means_torch(H, labels, counts)
    return ((H - means[labels]) ** 2).sum(dim=1).mean()


def between_class_regulariser(H, labels, counts):
    r"""Between-class separation: mean squared gap of the centred-mean cosines to the ETF value.

    .. math::

        \mathcal R_{\mathrm{between}} = \frac{2}{C(C-1)} \sum_{c<c'}
        \Big(\cos(\mu_c - \mu_G, \mu_{c'} - \mu_G) + \tfrac{1}{C-1}\Big)^2 ,

    zero exactly when the centred class means are equiangular at the simplex-ETF angle.
    (Our form of the between-class regulariser of Liu et al., 2023: only the abstract was
    available, so the exact published form could not be checked.)
    """
    import torch

    C = counts.shape[0]
    means = _class_means_torch(H, labels, counts)
    centred = means - means.mean(dim=0)
    unit = centred / centred.norm(dim=1, keepdim=True).clamp_min(1e-30)
    cos = unit @ unit.T
    iu = torch.triu_indices(C, C, offset=1)
    return ((cos[iu[0], iu[1]] + 1.0 / (C - 1)) ** 2).mean()


def _class_means_torch(H, labels, counts):
    import torch

    sums = torch.zeros(counts.shape[0], H.shape[1], dtype=H.dtype, device=H.device)
    sums = sums.index_add(0, labels, H)
    return sums / counts[:, None].to(H.dtype)


def minority_classifier_cosine(W: np.ndarray, counts: np.ndarray) -> float:
    """Mean pairwise cosine between classifier rows of the smallest classes (NaN if < 2 of them).

    Minority collapse (Fang et al., 2021) is this cosine rising from the ETF value -1/(C-1)
    towards 1 as the imbalance grows.
    """
    minority = np.flatnonzero(counts == counts.min())  # balanced: every class
    if minority.size < 2:
        return float("nan")
    V = W[minority]
    norms = np.linalg.norm(V, axis=1)
    if np.any(norms == 0):
        return 1.0  # classifiers shrunk to zero: fully collapsed (no direction left)
    U = V / norms[:, None]
    cos = U @ U.T
    return float(cos[np.triu_indices(minority.size, k=1)].mean())


def train_ce_ufm(
    counts: object,
    d: int,
    *,
    epochs: int = 2000,
    lr: float = 0.5,
    weight_decay_w: float = 5e-3,
    weight_decay_h: float = 5e-3,
    weight_decay_b: float = 5e-3,
    loss: str = "ce",
    smoothing: float = 0.0,
    class_weighting: str = "none",
    within_class_weight: float = 0.0,
    between_class_weight: float = 0.0,
    record_every: int = 50,
    init_scale: float = 0.1,
    seed: int = 0,
    device: str = "cpu",
    dtype: str = "float64",
) -> UFMResult:
    r"""Train the cross-entropy UFM by full-batch gradient descent and record the NC metrics.

    See the module docstring for the objective and the step sizes. Balanced counts and weight
    decay: the iterates approach a self-dual simplex ETF (Zhu et al., 2021, Thm. 3.1). Step
    imbalance: the minority classifiers collapse towards one direction as the ratio grows
    (Fang et al., 2021; Thrampoulidis et al., 2022).

    Parameters
    ----------
    counts : array_like of int, shape (C,)
        Samples per class (>= 1 each).
    d : int
        Feature dimension (>= 1; d >= C - 1 is needed to reach an ETF).
    epochs : int
        Number of full-batch GD steps.
    lr : float
        Step size (features use ``lr * N``).
    weight_decay_w, weight_decay_h, weight_decay_b : float
        :math:`\lambda_W, \lambda_H, \lambda_b \ge 0`.
    loss : {"ce", "label_smoothing", "maxsup"}
        Per-sample loss; ``smoothing`` is :math:`\alpha \in [0, 1)` for the last two.
    class_weighting : {"none", "balanced"}
        ``"balanced"`` re-weights sample losses by :math:`N/(C n_c)` (a standard imbalance
        remedy; it removes minority collapse in the UFM).
    within_class_weight, between_class_weight : float
        Weights :math:`\beta_W, \beta_B \ge 0` of the long-tailed regularisers.
    record_every : int
        Metrics are recorded at epoch 0, every ``record_every`` epochs and at the end.
    init_scale : float
        Standard deviation of the Gaussian initialisation.
    seed : int
        Seed of the initialisation (a CPU torch generator, whatever the device, so the same
        seed gives the same initial weights on every device; no global state).
    device, dtype : str
        torch device (``"auto"``, ``"cpu"``, ``"cuda"``) and dtype (float64 by default).

    Returns
    -------
    UFMResult

    References
    ----------
    .. [1] Zhu et al. (2021), NeurIPS, Eq. (3), Thm. 3.1.
    .. [2] Fang et al. (2021), PNAS, minority collapse (Thm. 5).

    Examples
    --------
    >>> from analysis.neural_collapse import train_ce_ufm
    >>> res = train_ce_ufm([4, 4, 4], d=2, epochs=200)
    >>> res.H.shape, res.W.shape
    ((12, 2), (3, 2))
    >>> nc1 = res.history["nc1"]  # within-class variability collapses
    >>> bool(nc1[-1] < 1e-3 * nc1[0])
    True
    """
    import torch

    counts = validate_counts(counts, "counts", minimum=1)
    C = counts.size
    d = check_int(d, "d", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=0)
    lr = check_real(lr, "lr", minimum=0.0, strict_min=True)
    lam_w = check_real(weight_decay_w, "weight_decay_w", minimum=0.0)
    lam_h = check_real(weight_decay_h, "weight_decay_h", minimum=0.0)
    lam_b = check_real(weight_decay_b, "weight_decay_b", minimum=0.0)
    check_choice(loss, "loss", LOSSES)
    alpha = check_real(smoothing, "smoothing", minimum=0.0, maximum=1.0, strict_max=True)
    check_choice(class_weighting, "class_weighting", CLASS_WEIGHTINGS)
    beta_w = check_real(within_class_weight, "within_class_weight", minimum=0.0)
    beta_b = check_real(between_class_weight, "between_class_weight", minimum=0.0)
    record_every = check_int(record_every, "record_every", minimum=1)
    init_scale = check_real(init_scale, "init_scale", minimum=0.0, strict_min=True)
    seed = check_int(seed, "seed", minimum=0)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype)

    N = int(counts.sum())
    n_records = min(epochs // record_every + 2, epochs + 1)
    # iterates, gradients and logits; the metrics form (d, d) covariances
    check_budget("d", n_bytes=8.0 * (6 * (N + C) * d + 4 * N * C + 4 * d * d),
                 what=f"features ({N}, {d}) and their gradients")
    check_budget("epochs", n_operations=(epochs + 1) * 30.0 * N * C * d
                 + n_records * 10.0 * (N * C * d + d**3 + N * d * min(N, d)),
                 what=f"{epochs} full-batch steps on N = {N} features of dimension {d}")

    labels_np = labels_from_counts(counts)
    # The initialisation is drawn from a CPU generator and then moved: the same seed gives the
    # same initial weights on every device (a CUDA generator draws a different stream).
    gen = make_torch_generator(seed, "cpu")
    labels = torch.as_tensor(labels_np, device=dev)
    counts_t = torch.as_tensor(counts, device=dev)
    H = (init_scale * torch.randn(N, d, generator=gen, dtype=dt)).to(dev).requires_grad_()
    W = (init_scale * torch.randn(C, d, generator=gen, dtype=dt)).to(dev).requires_grad_()
    b = torch.zeros(C, device=dev, dtype=dt, requires_grad=True)
    if class_weighting == "balanced":
        weights = torch.as_tensor(N / (C * counts), device=dev, dtype=dt)[labels]
    else:
        weights = torch.ones(N, device=dev, dtype=dt)

    def objective():
        logits = H @ W.T + b
        if loss == "ce":
            per_sample = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
        elif loss == "label_smoothing":
            per_sample = smoothed_cross_entropy(logits, labels, alpha)
        else:
            per_sample = maxsup_loss(logits, labels, alpha)
        value = (weights * per_sample).mean()
        value = value + 0.5 * lam_w * (W**2).sum() + 0.5 * lam_h * (H**2).sum() / N
        value = value + 0.5 * lam_b * (b**2).sum()
        if beta_w > 0:
            value = value + beta_w * within_class_regulariser(H, labels, counts_t)
        if beta_b > 0:
            value = value + beta_b * between_class_regulariser(H, labels, counts_t)
        return value

    recorded_epochs, records = [], []

    def record(epoch: int, value: float) -> None:
        Hn, Wn, bn = (t.detach().cpu().numpy().astype(np.float64) for t in (H, W, b))
        m = nc_metrics(Hn, labels_np, Wn, bn)
        m["loss"] = value
        m["minority_cosine"] = minority_classifier_cosine(Wn, counts)
        recorded_epochs.append(epoch)
        records.append(m)

    for epoch in range(epochs + 1):
        value = objective()
        if epoch % record_every == 0 or epoch == epochs:
            record(epoch, float(value.detach()))
        if epoch == epochs:
            break
        gH, gW, gb = torch.autograd.grad(value, (H, W, b))
        with torch.no_grad():
            H -= (lr * N) * gH
            W -= lr * gW
            b -= lr * gb
    history = {k: np.array([r[k] for r in records]) for k in records[0]}
    return UFMResult(
        H=H.detach().cpu().numpy().astype(np.float64),
        W=W.detach().cpu().numpy().astype(np.float64),
        b=b.detach().cpu().numpy().astype(np.float64),
        labels=labels_np,
        counts=counts,
        epochs=np.array(recorded_epochs),
        history=history,
    )

# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Neural collapse: oracles, metrics, the CE and SCL unconstrained-features models
#
# Neural collapse (Papyan, Han & Donoho, 2020) says that at the end of training the class means
# of the last-layer features form a **simplex equiangular tight frame** (ETF): unit-norm,
# centred vectors with pairwise cosine $-1/(C-1)$, the classifier aligns with them (self-duality)
# and within-class variability vanishes. With supervised contrastive loss (SCL) and
# non-negative (post-ReLU) features the geometry is instead an **orthogonal frame** (OF), for
# any class counts (Kini et al., ICLR 2024). This notebook walks through
#
# 1. the two oracles and the NC metrics (exact definitions and their published variants);
# 2. the cross-entropy unconstrained-features model (UFM): ETF when balanced, minority collapse
#    when imbalanced, long-tailed regularisers, label smoothing vs MaxSup;
# 3. the SCL UFM: a convex program over the Gram matrix (cvxpy), its class-block reduction, and
#    gradient descent on free features with and without ReLU;
# 4. batching: a fixed mini-batch partition can break the OF, batch-binding restores it.
#
# Every number comes from the library (`analysis.neural_collapse`); every claim is in the
# ledger. Set `ANALYSIS_SCALE=paper` before starting JupyterLab for paper-scale figures.
#
# The first cell limits torch and BLAS to one thread: the small tensor programs below run 5-40x
# faster that way on a loaded machine (intra-op threads cost more than they give).

# %%
from analysis._core.execution import limit_threads

limit_threads()

import numpy as np  # noqa: E402
from IPython.display import display

from analysis._core.claims import get_claims, run_claim
from analysis._core.registry import render_figure
from analysis._core.scale import notebook_scale
from analysis.neural_collapse import (
    batching_condition,
    bind_batches,
    collapsed_etf_features,
    etf_gram,
    labels_from_counts,
    nc_metrics,
    orthogonal_frame,
    random_batches,
    simplex_etf,
    solve_scl_ufm,
    step_imbalanced_counts,
    train_ce_ufm,
)
from analysis.neural_collapse.geometry import cosine_matrix
from analysis.neural_collapse.metrics import NC1_VARIANTS, nc1_within_class

SCALE = notebook_scale()
SEED = 0
print("scale:", SCALE)

# %% [markdown]
# ## 1. Oracles
# $M M^\top = \frac{C}{C-1}(I - \frac1C \mathbf 1 \mathbf 1^\top)$ for any rotation; centring an
# equal-norm orthogonal frame and renormalising gives the simplex ETF (proved symbolically for
# general $C$ in `proofs_checks/check_neural_collapse.py`).

# %%
C, d = 5, 8
M = simplex_etf(C, d, rng=SEED)
print(np.round(cosine_matrix(M), 3))
print("max ETF Gram error:", np.abs(M @ M.T - etf_gram(C)).max())
F = orthogonal_frame(C, d)
V = F - F.mean(axis=0)
print("centred OF vs ETF Gram error:", np.abs(cosine_matrix(V) - etf_gram(C)).max())

# %%
fig, data = render_figure("nc_gram_etf_of", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## 2. Metrics
# `nc_metrics(H, y, W, b)` returns NC1 ($\operatorname{Tr}(\Sigma_W\Sigma_B^+)/C$ with an eigh
# pseudo-inverse cut at rank $C-1$), NC2 (equinorm, equiangularity, max-angle, Gram distance to
# the ETF), NC3 (self-duality), NC4 (classifier vs nearest class centre), the OF distance of the
# uncentred class means, CDNV and the effective rank. Published code disagrees on the $1/C$ in
# NC1 and on dividing $\Sigma_B$ by $d$: the variants are available by name. The global mean is
# the mean of the class means by default (`global_mean="samples"` for Papyan's sample mean;
# they coincide for balanced classes). On an exact collapsed ETF every metric is 0:

# %%
H, y, M = collapsed_etf_features([6, 6, 6, 6], 6, scale=2.0, rng=SEED)
print({k: f"{v:.1e}" for k, v in nc_metrics(H, y, W=M).items()})
Hn, yn, _ = collapsed_etf_features([6, 3, 6, 2], 6, noise=0.2, rng=SEED)
print({name: round(nc1_within_class(Hn, yn, variant=name), 4) for name in NC1_VARIANTS})

# %% [markdown]
# ## 3. Cross-entropy UFM
# Full-batch GD in torch on $\frac1N\sum_i \mathrm{CE}(W h_i + b, y_i) + \frac{\lambda_W}{2}
# \|W\|^2 + \frac{\lambda_H}{2N}\|H\|^2 + \frac{\lambda_b}{2}\|b\|^2$ (all $\lambda = 5\cdot
# 10^{-3}$). Balanced classes: every metric goes to 0 (Zhu et al., 2021, Thm. 3.1). The paper
# scale is $C = 10$ classes with 100 samples each, 2000 GD steps, three seeds (band: min-max).
# NC4 is already 0 from epoch 5 (paper scale; its panel records every step up to 100 and uses a
# logarithmic epoch axis), long before the other metrics settle.

# %%
fig, data = render_figure("nc_metrics_vs_epoch", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# **Minority collapse.** With a step imbalance (half the classes have $n/R$ samples), the
# minority classifiers turn towards each other as $R$ grows (Fang et al., 2021): their cosine
# rises from the ETF value $-1/(C-1)$.

# %%
for ratio in (1.0, 10.0, 100.0):
    res = train_ce_ufm(step_imbalanced_counts(4, 100, ratio), 6, epochs=300, lr=2.0,
                       record_every=300, seed=SEED)
    print(f"R = {ratio:5.0f}: minority cosine {res.history['minority_cosine'][-1]:+.3f}, "
          f"NC2 ETF distance {res.history['nc2_etf_gram'][-1]:.3f}")

# %% [markdown]
# **Long-tailed regularisers and label smoothing.** Liu et al. (AISTATS 2023) add a
# within-class and a between-class feature regulariser to make NC appear under imbalance. Only
# their abstract was available here, so we use our own forms and say so: the within-class term is
# the mean squared distance to the class mean, the between-class term the mean squared gap of
# the centred-mean cosines to $-1/(C-1)$. In the UFM the between-class term is what matters
# (features already collapse within class); at the paper scale it lowers the ETF distance of
# the class means from 0.381 to 0.240 at $R = 10$, and only from 0.579 to 0.555 at $R = 100$
# within the step budget (its transient is slow). Adding the within-class term changes these
# curves by at most 1e-4 (they lie on top of each other in the figure): it only acts on the
# within-class scatter, already ~0 without it (NC1 about 1e-10, 1e-30 with it).
#
# Label smoothing is CE plus $\alpha(z_y - \bar z)$ (symbolic identity in the ledger, claim
# `nc.ls.identity_symbolic`); MaxSup replaces $z_y$ by $\max_k z_k$. Once every training sample
# is fitted ($z_y = \max_k z_k$) the two losses coincide, so in the UFM their NC1 curves
# overlap; both drive NC1 down much faster than plain CE at the same weight decay.

# %%
fig, data = render_figure("nc_longtail_and_smoothing", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## 4. Supervised contrastive loss: a convex program over the Gram matrix
# On normalised features the full-batch SCL is a function of the Gram matrix $G$ alone: linear
# terms plus log-sum-exps of linear terms, convex over $\{G \succeq 0, \operatorname{diag} G =
# 1\}$. `solve_scl_ufm(counts, temperature, nonnegative)` solves it with Clarabel. With
# $G \ge 0$ (ReLU) the minimiser is the OF $G_{ij} = \mathbb 1[y_i = y_j]$ for any counts:

# %%
res = solve_scl_ufm([5, 3, 2], temperature=0.1, nonnegative=True)
print("N x N Gram, OF distance:", f"{res.of_distance:.1e}")
print(np.round(res.class_gram, 3))
plain = solve_scl_ufm([5, 3, 2], temperature=0.1, nonnegative=False)
print("without ReLU:", np.round(plain.class_gram, 3))

# %% [markdown]
# The N x N problem has $N(N-1)$ exponential cones. The class-block reduction (the objective is
# invariant under permutations within a class, so a block-constant minimiser exists) turns it
# into a C x C problem whatever N is; `benchmarks/bench_neural_collapse.py` measures both.
#
# The heat maps below compare, at $R = 1, 10, 100$, the CE classifier rows $w_c$ and the CE class
# means centred at Papyan's global mean $\mu_G$ (the sample mean, which under imbalance sits near
# the majority means), and the uncentred class means of SCL and SCL + ReLU (convex route,
# $\tau = 0.1$). Measured at the paper scale ($C = 10$, majority $n = 200$), the mean cosine
# between minority classifiers rises from $-0.111$ (the ETF value) to $-0.009$ and $+0.139$:
# minority collapse. The centred minority means move much less ($+0.029$, $+0.028$): the
# collapse shows in the classifiers. (Centring by the mean of the class means instead, as an
# earlier version of this figure did, made the minority means look *more* separated while the
# classifiers collapsed.) Plain SCL means go from $-0.111$ to $-0.002$ and $+0.153$; SCL + ReLU
# stays an orthogonal frame (minority cosine 0.000 at every $R$).

# %%
fig, data = render_figure("nc_gram_heatmaps_imbalance", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# **Convex vs GD, and the temperature.** The GD route optimises free features $z_i$ through a
# ReLU (or not) and normalisation. At the paper's $\tau = 0.1$ the loss is flat to about
# $e^{-1/\tau}$ along the between-class directions, so GD needs far more steps to settle the
# geometry than a figure can afford; at $\tau = 0.5$ GD matches the convex solution to ~1e-5 in a
# few hundred steps (class-mean Grams within 2e-3, test `test_gd_route_agrees_with_convex_route`).
# With ReLU the convex route sits at the OF for every ratio: solved at Clarabel tolerance 1e-12
# its OF distance is at most 5e-8 (the exact value is 0; the figure draws everything below 1e-7
# on the grey solver-accuracy band). At Clarabel's default 1e-8 the same solves returned 1.8e-5
# at $R = 1$ rising to 3.8e-4 at $R = 250$: solver error growing with $N/\min_c n_c$, not a trend.
#
# **Paper vs ours.** Kini et al. report, for deep networks, that without ReLU the SCL geometry
# drifts away from symmetric as the imbalance grows, and that with ReLU it stays an OF. The UFM
# reproduces both: with ReLU the convex OF distance is at solver accuracy for every ratio;
# without it, at the paper scale ($C = 10$, $\tau = 0.1$, majority $n = 500$) the OF distance
# of the class means grows from 0.320 at $R = 1$ (the ETF value) to 0.339 at $R = 10$, 0.443 at
# $R = 100$ and 0.507 at $R = 250$. At $\tau = 0.1$ the drift is slow at small ratios because
# the between-class cosines barely affect the loss; at $\tau = 0.5$ it is larger (0.320 at
# $R = 1$ to 0.396 at $R = 10$ with majority $n = 20$; claim
# `nc.scl.no_relu_depends_on_imbalance`).
#
# **Where GD differs from the convex route.** GD on features is non-convex. At the paper scale
# ($\tau = 0.5$, $C = 10$, majority $n = 20$, 300 steps, two initialisations) every GD run
# agrees with the convex optimum for $R \le 5$. At $R = 10$ (2-sample minority classes):
# with ReLU one initialisation ends at OF distance 0.018 (the other at the OF, below 1e-7);
# without ReLU *both* end at 0.460 against the convex 0.395, with a per-sample loss 3.2906
# against the convex optimum's 3.2375 (1.6% higher). Neither 3000 steps (0.457) nor a feature
# dimension $d = 120 \ge N = 110$ (0.460) closes the gap, so GD is stuck at a higher-loss
# point, not limited by rank or by the step budget. The convex route is the reference; the
# figure shows one marker per initialisation so the stalls are visible rather than averaged
# away.

# %%
fig, data = render_figure("nc_of_distance_vs_imbalance", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## 5. Batching
# With a fixed partition into mini-batches the loss is a sum of per-batch SCL losses. Two
# examples of a class only attract each other if they share a batch, and two classes only repel
# if they co-occur. We check (i) for each class, the graph "shares a batch" on its examples is
# connected and (ii) every pair of classes co-occurs. This is our reading of the
# necessary-and-sufficient condition of Kini et al. (Sec. 4); the paper text was not available
# here to re-check the exact statement, so the simulation is what we rely on. **Batch-binding**
# appends the same C examples (one per class) to every batch and satisfies both conditions.

# %%
labels = labels_from_counts([10, 10, 3, 3])
batches = random_batches(labels.size, 4, SEED)
print("random partition:", batching_condition(batches, labels))
print("with batch-binding:", batching_condition(bind_batches(batches, labels, SEED), labels))

# %%
fig, data = render_figure("nc_batching_of_distance", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## The claims of this topic
# Each claim runs a seeded random instance and fails on a deliberately broken input
# (`tests/test_ledger.py`).

# %%
for c in get_claims("neural_collapse"):
    r = run_claim(c, seed=SEED)
    print(f"{r['status']:5s} {r['id']:40s} slack={r['slack']:+.2e}  {r['detail'][:70]}")

# %% [markdown]
# ## Explore: imbalance, temperature and ReLU
# `explore()` re-solves the SCL UFM (convex class-block route) as you move the imbalance ratio $R$
# and the temperature $\tau$ or switch the ReLU off, and shows the class-mean Gram with its OF and
# ETF distances. With ReLU the geometry stays an orthogonal frame for every $R$; without it, it
# starts as an ETF at $R = 1$ and the minority means draw together as $R$ grows. Sliders recompute
# on release; every setting seen is cached.

# %%
from analysis.neural_collapse import explore  # noqa: E402

explore(ratio=5.0, temperature=0.1, relu=True)

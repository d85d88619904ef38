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
# # How much inductive bias does a task need? The published estimator against an exact value
#
# Boopathy, Yue, Hwang, Iyer & Fiete ("Towards Exact Computation of Inductive Bias", IJCAI 2024)
# define the inductive bias a task requires, relative to a hypothesis space with a sampling
# distribution $p_h$ over hypotheses that fit the training set, as
#
# $$ I(\varepsilon) = -\log P_{h\sim p_h}\left[e(h) \le \varepsilon\right] \quad\text{(nats)}, $$
#
# the information needed to pick, from the space, a hypothesis with test loss at most
# $\varepsilon$. Because $\varepsilon$ lies far below every sampled loss, they fit a scaled
# non-central chi-square to $S$ sampled test losses and extrapolate its lower tail.
#
# For **Gaussian hypothesis spaces** (a GP posterior that interpolates the training set, or
# random-feature models conditioned to interpolate) the test MSE is a *generalised* chi-square,
# whose lower tail we compute **exactly**, deep in the tail, with error control. That gives a
# ground truth against which the published estimator is measured. Set `ANALYSIS_SCALE=paper`
# for paper-scale figures.

# %%
import numpy as np
from IPython.display import display
from scipy import stats

from analysis._core.claims import get_claims, run_claim
from analysis._core.execution import limit_threads
from analysis._core.registry import render_figure
from analysis._core.scale import notebook_scale
from analysis.inductive_bias import (
    GChiSq,
    gaussian_inductive_bias,
    gaussian_loss_law,
    gchisq_log_cdf,
    gp_posterior,
    ruben_log_cdf,
    saddlepoint_log_cdf,
    sample_gaussian_losses,
    synthetic_task,
)

limit_threads(1)  # one BLAS/torch thread: the shared machines are small
SCALE = notebook_scale()
SEED = 0
print("scale:", SCALE)

# %% [markdown]
# ## 1. The exact lower tail of a generalised chi-square
# With $f_* \sim N(\mu, \Sigma)$, $\Sigma = U\,\mathrm{diag}(\sigma_j)U^\top$ and $r = U^\top(\mu - y)$,
# the test MSE is $\sum_j \frac{\sigma_j}{N}\chi'^2_k(\lVert r_j\rVert^2/\sigma_j)$ plus a constant
# from zero-variance directions. Its CDF is the Gil-Pelaez/Imhof inversion integral. On the
# classic contour ($\Re t \to 0$) the integrand is O(1) while the answer is $10^{-30}$: every digit
# is lost to cancellation. We integrate instead along the vertical line through the **saddle
# point** $\hat t<0$ ($K'(\hat t) = \varepsilon$) with $e^{K(\hat t) - \hat t\varepsilon}$ taken out
# analytically; the remaining integral is O(1), its Gaussian core is integrated by adaptive
# quadrature and its oscillating algebraic tail by QUADPACK's Fourier-integral routine (QAWF), at
# relative tolerance $10^{-10}$. Two independent checks: the isotropic closed form (a scaled
# non-central chi-square) and Ruben's series (a chi-square mixture with a rigorous truncation
# bound).

# %%
law = GChiSq.make([0.3] * 40, noncentrality=np.linspace(0, 1, 40))
for x in [10.0, 1.0, 1e-5]:
    print(f"x = {x:g}: contour {gchisq_log_cdf(x, law):.12f}   closed form "
          f"{stats.ncx2.logcdf(x / 0.3, 40, 20):.12f}   Ruben {ruben_log_cdf(x, law):.12f}")
print("x = 1e-60 (scipy underflows):", gchisq_log_cdf(1e-60, law))

# %% [markdown]
# The Lugannani-Rice saddle-point approximation is close (relative error O(1/n)), which is a
# further sanity check on a GP posterior law whose eigenvalues span many decades:

# %%
task = synthetic_task(8, 40, 25, rng=SEED)
post = gp_posterior(task.X_train, task.Y_train, task.X_test, lengthscale=task.lengthscale)
gp_law = gaussian_loss_law(post.mean, post.cov, task.Y_test)
print(f"loss law: mean {gp_law.mean:.3f}, sd {gp_law.sd:.3f}, {gp_law.weights.size} eigen-directions")
for frac in [0.6, 0.3, 0.1]:
    x = frac * gp_law.mean
    print(f"eps = {x:.3f}: exact I = {-gchisq_log_cdf(x, gp_law):8.3f} nats, "
          f"saddle point {-saddlepoint_log_cdf(x, gp_law):8.3f}")

# %% [markdown]
# Across depths: the relative error of $\log P$ for each route against an independent exact
# reference. Imhof's original integral (on $\Re t = 0$) is exact in the bulk but its absolute
# error of ~1e-12 swamps probabilities below that: it is off by 1e-4 at ~25 nats and returns zero
# or negative probabilities beyond ~35-45 nats (missing points). The saddle-point contour stays at
# round-off; Lugannani-Rice is good to ~1e-4 relative.

# %%
fig, data = render_figure("ib_tail_accuracy", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## 2. Exact = Monte Carlo where Monte Carlo reaches
# With $4\cdot10^5$ sampled hypotheses, a probability of $10^{-3}$ is resolved to about 5%:

# %%
losses = sample_gaussian_losses(post.mean, post.cov, task.Y_test, 400_000, rng=1)
for q in [1e-2, 1e-3]:
    eps = float(np.quantile(losses[:200_000], q))  # threshold from one half ...
    p_hat = np.mean(losses[200_000:] <= eps)  # ... probability from the other
    print(f"eps = {eps:.4f}: Monte Carlo {-np.log(p_hat):.3f} nats, exact "
          f"{gaussian_inductive_bias(post.mean, post.cov, task.Y_test, eps):.3f} nats")

# %% [markdown]
# ## 3. The published estimator against the exact value
# `ncx2_inductive_bias(losses, eps)` fits $s\,\chi'^2_k(\lambda)$ with location 0 by maximum
# likelihood (scipy's `ncx2.fit(..., floc=0)`, as in the authors' `utils.py`) and returns
# $-\log F(\varepsilon)$, falling back to Sankaran's normal approximation ($z^2/2$, the published
# form, which drops the normal tail's prefactor) when the log-CDF underflows. Two departures,
# both documented: we start the optimiser at the method-of-moments point (scipy's default start
# can stop far from the maximum: on 1000 samples we saw its estimate land about 19 nats off), and where
# scipy's ncx2 density itself underflows (df above ~1000, losses with a relative spread under ~4%)
# the moment fit is used instead of a garbage MLE. A third guard: when the sample skewness is near
# zero the moment start sits at the Gaussian edge of the family (scale -> 0, nc -> infinity) and
# Nelder-Mead can stop far below the maximum -- on one 160-loss sample of an isotropic space we saw
# df = 385, nc = 391 with a log-likelihood of -1131 (the true parameters give -70), extrapolating
# 157 nats for a true 10. The fit is then restarted from the central chi-square moment fit and the
# point of highest likelihood is kept (`NCX2Fit.method` says which).
#
# The figure sweeps the number $S$ of sampled hypotheses on a GP posterior space, with
# thresholds set so that the exact value is 10 and 25 nats (paper scale: $S$ up to $10^5$ and
# depths 5-40 nats).

# %%
fig, data = render_figure("ib_estimator_vs_samples", scale=SCALE, seed=SEED)
display(fig)
for depth, bias, sd in zip(data["params"]["depths"], data["bias"][:, -1], data["sd"][:, -1], strict=True):
    print(f"exact I = {depth:4.0f} nats: estimate - exact at the largest S = {bias:+.2f} (sd {sd:.2f})")

# %% [markdown]
# **What we find.** Where the chi-square family is exact -- an isotropic covariance -- the error
# shrinks with $S$: 16x more sampled hypotheses cut the error below 3/4 of its value in about 78%
# of independent pairs (S = 10 vs 160; the spread falls ~5x), and the claim
# `ib.estimator.variance_shrinks` tests "at least 60% of pairs" by a binomial test at level
# $10^{-6}$ per seed. At S = 640 the estimator shows no bias there: the mean error of 16 repeats
# is within a two-sided $t$-test at level $10^{-6}$ (about $\pm 1$ nat; measured mean errors
# $-0.4$ to $+0.2$ nats, `ib.estimator.consistent_in_family`), while a space whose weights span 3
# decades is ~2 nats low at the same S and fails that test. On real Gaussian hypothesis spaces it
# is not unbiased: the GP
# posterior covariance has eigenvalues over many decades, the loss law is a weighted sum that a
# single scaled ncx2 cannot follow into the tail, and the estimate is **biased low**: it
# under-states the inductive bias, by about 1.3-1.6 nats at 10 nats and 5.5-6.6 nats at 25 nats
# in this setting (the figure's seed, S = 100 to $10^5$), and the bias does not shrink with $S$
# (`ib.estimator.tail_bias_on_gp_space`, a sign test at level $10^{-6}$: more than 1 nat low in
# at least half of 24 repeats at S = 320; paper scale adds 40 nats, where it is 10.6-12.6 nats).
# The specification we worked from expected "a fraction of a nat to about 1 nat"; we measure more
# than that on these spaces, growing with the
# depth. The paper derives approximation-error bounds in $S$; those bound the variance, not
# this misspecification bias.

# %% [markdown]
# ## 4. Higher-dimensional tasks require more inductive bias
# Synthetic regression with $x\sim N(0, I_d)$ and a target drawn from the RBF-GP prior
# (lengthscale $\sqrt d$), $n = 50$: the exact GP-space $I(\varepsilon)$ grows with $d$ because
# 50 points pin the function down less and less; it saturates between $d = 32$ and $64$ (paper
# scale), where the kernel matrix approaches a constant correlation $e^{-1}$ off the diagonal and
# the posterior stops changing. Digits projected to $k$ principal components
# ($n = 100$) show the same trend for $k \ge 8$. For $k \le 4$ the noise-free GP must interpolate
# overlapping classes and becomes confidently wrong: $I$ is huge or infinite there, which is about
# the interpolation requirement, not dimension. The third panel is the predecessor's
# bound-based estimate (Boopathy et al., ICML 2023, reproduced from their code): astronomically
# larger (10^8-10^9 bits), and on digits it *falls* with $k$ because it is dominated by the
# ratio of data radius to class separation $R/\delta$, which shrinks as PCs are added; with
# $R/\delta$ held fixed it is nearly flat in $m$ over this range.

# %%
fig, data = render_figure("ib_dimension", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## 5. Model classes on the same task
# Digits on 16 PCs, $n = 60$. Exact values for the RBF-GP posterior and for random-Fourier-feature
# models conditioned to interpolate (Matheron's rule), and the published estimator for ensembles of
# MLPs trained from independent initialisations until their training MSE is below $10^{-4}$ (one
# batched torch model; residuals in the figure title; `benchmarks/bench_inductive_bias.py` measures the speed-up over a Python
# loop). The MLP values are ncx2 estimates, which on the Gaussian spaces run low (section 3), so the
# figure also shows, hatched, the same ncx2 estimator applied to 64 sampled GP / random-feature
# hypotheses -- like with like. At paper scale (3 seeds, medians) the exact GP / RF values are
# 98 / 71 nats at $\varepsilon = 0.04$ and 197 / 163 nats at $\varepsilon = 0.02$; their ncx2 estimates
# from 64 samples are 67 / 63 and 125 / 132 nats, i.e. 31 and 72 nats low for the GP at these depths
# (more than the 0.3-12.6 nats of section 3, which are at 5-40 nats deep with $S \ge 100$). The MLPs
# are below both: like with like, they need ~10x (d = 1) to ~$10^4$x (d = 3) less inductive bias
# at $\varepsilon = 0.04$ and 1.8-7x less at $\varepsilon = 0.02$ -- the paper's qualitative finding
# that neural networks encode a large amount of inductive bias.
# At $\varepsilon = 0.04$ deeper MLPs need less than shallow ones (paper scale, medians: width 32/64
# at depth 1 5.8/3.3 nats, depth 2 0.45, depth 3 0.004); at $\varepsilon = 0.02$ the MLP
# ordering is not monotone in width (w = 64, d = 1 needs 69 nats, w = 32, d = 1 41), so we claim
# only the kernel-vs-MLP ordering (`ib.model_classes.mlp_below_gp`, which checks the MLPs against
# both the exact GP value and the GP's own ncx2 estimate from as many samples).

# %%
fig, data = render_figure("ib_model_classes", scale=SCALE, seed=SEED)
display(fig)
for name, vals in zip(data["names"], data["values"], strict=True):
    print(f"{name:34s} I(0.04) median {np.median(vals[:, 0]):8.2f}  I(0.02) median {np.median(vals[:, 1]):8.2f}")
for name, vals in zip(data["ncx2_gaussian_names"], data["ncx2_gaussian"], strict=True):
    print(f"{name:20s} ncx2 from {data['params']['n_models']} samples: I(0.04) median "
          f"{np.median(vals[:, 0]):8.2f}  I(0.02) median {np.median(vals[:, 1]):8.2f}")

# %% [markdown]
# ## 6. The claims ledger
# Every statement above is a registered claim, checked on seeded instances and shown to fail on a
# deliberately broken input in the test suite.

# %%
fast = [c for c in get_claims(topic="inductive_bias") if "mlp" not in c.id and "estimator" not in c.id]
for c in fast:
    record = run_claim(c, SEED)
    print(f"{record['status']:5s} {c.id:40s} {record['detail']}")

# %% [markdown]
# **Paper vs ours, in short.** (i) The estimator is the published one, with a better optimiser
# start, a restart guard against degenerate fits and a guard for scipy's large-df underflow. (ii) Its variance shrinks with $S$, but on
# Gaussian spaces it under-states the inductive bias by nats, more the deeper the threshold; the
# exact value is available for these spaces and should be preferred there. (iii) The published
# kernel code fits the posterior by 10,000 Adam epochs, reuses a cached fit from the working
# directory, and takes `scipy.linalg.sqrtm` of the posterior covariance (complex on numerically
# indefinite input); the exact Cholesky solve with a stated jitter ($10^{-10}$ relative) replaces
# all three. (iv) The published MLP code divides summed per-batch mean losses by the dataset size
# (a 1/batch-size factor) and stops at a leftover breakpoint; our MLP test loss is the plain
# mean over every test entry with one-hot targets.

# %% [markdown]
# ## Explore: the target loss and the sample size
# `explore()` shows the exact inductive bias $I(\varepsilon)$ of the RBF-GP posterior space next to
# the published ncx2 estimate from $S$ sampled hypotheses, for the $\varepsilon$ and $S$ you choose:
# in the bulk the two agree; deeper in the tail the estimate falls short by nats, and a larger $S$
# does not close the gap.

# %%
from analysis.inductive_bias import explore  # noqa: E402

explore()

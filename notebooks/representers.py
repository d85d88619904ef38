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
# # Representer points for regularised models: l2, l1 and the nuclear norm
#
# A regularised model's prediction can be written **exactly** as a sum of contributions of its
# training points. Yeh et al. (NeurIPS 2018) showed it for an l2-regularised last layer; Tsai et
# al. (ICML 2023) extended it to high-dimensional regularisers, the l1 norm (sparse models) and the
# nuclear norm (low-rank matrix completion, i.e. collaborative filtering). This notebook
#
# 1. checks the three decompositions numerically (they hold to round-off at a tight solve, and the
#    residual tracks the KKT residual when the solve is loose),
# 2. compares the explanations with influence functions, a TracIn-style gradient product, the l2
#    representer and random, by leave-one-out retraining and by case-deletion curves,
# 3. shows the collaborative-filtering case study.
#
# Scaling used throughout (the two papers differ by the $1/n$):
# $\hat\theta = \arg\min \frac1n\sum_i \ell(\theta^\top x_i, y_i) + \lambda R(\theta)$,
# $\alpha_i = -\ell'(\hat\theta^\top x_i, y_i)/(\lambda n)$, labels $y\in\{-1,+1\}$, no intercept.
# Set `ANALYSIS_SCALE=paper` before starting JupyterLab for the paper-scale figures.

# %%
import time

import numpy as np
from IPython.display import display

from analysis._core.claims import get_claims, run_claim
from analysis._core.execution import limit_threads
from analysis._core.registry import render_figure
from analysis._core.scale import notebook_scale
from analysis.representers import (
    influence_values,
    l1_representers,
    l2_representers,
    load_sklearn_binary,
    loo_values,
    make_lowrank_ratings,
    make_sparse_logistic,
    mf_representers,
    nuclear_representers,
    sign_agreement,
    solve_l1,
    solve_l1_cvxpy,
    solve_nuclear,
    solve_nuclear_cvxpy,
)
from analysis.representers.data import hold_out_ratings
from analysis.representers.figures import l1_explainer_values
from analysis.representers.l1 import CLARABEL_TIGHT
from analysis.representers.nuclear import CLARABEL_SDP_TIGHT

limit_threads()  # one BLAS / torch thread: timings below are comparable and the machine is shared

SCALE = notebook_scale()
SEED = 0

# %% [markdown]
# ## 1. The decompositions
#
# | regulariser | decomposition of the prediction $f(x_t)$ |
# |---|---|
# | $\lambda\|\theta\|_2^2$ (Yeh 2018, Thm 3.1) | $\sum_i \frac{\alpha_i}{2}\langle x_i, x_t\rangle$ |
# | $\lambda\|\theta\|_1$ (Tsai 2023, Thm 1) | $\sum_i \alpha_i \langle x_i, x_t\rangle_{|\theta|}$, $\langle a,b\rangle_{|\theta|} = \sum_{k\in\mathrm{supp}\,\theta}|\theta_k|a_kb_k$ |
# | $\lambda\|\Theta\|_*$ (Tsai 2023, Thm 2) | $\Theta_{uv} = \frac12\sum_{(i,j)\in\Omega}\alpha_{ij}(\mathbb 1[i=u]\langle\tilde V_j,\tilde V_v\rangle + \mathbb 1[j=v]\langle\tilde U_i,\tilde U_u\rangle)$ |
#
# with $\Theta = USV^\top$, $\tilde U = US^{1/2}$, $\tilde V = VS^{1/2}$. The l1 weights come from
# the KKT conditions: on the support $\theta_k = \sum_i\alpha_i|\theta_k|x_{ik}$. They hold only
# at the optimum, so the default l1 solver (FISTA with restarts) finishes with an active-set
# Newton step on the support, which solves the KKT system to float64 accuracy: it certifies a KKT
# residual of at most max(tol, 4x the round-off floor of the gradient), a floor that scales with
# $|X|$ (with features of size 1e6 an absolute 1e-11 is out of reach).

# %%
data = make_sparse_logistic(300, 1000, n_test=50, rng=SEED)
start = time.perf_counter()
res = l1_representers(data.X, data.y, 0.04, data.X_test)
print(f"l1 logistic, n=300, d=1000: |supp| = {res.support.size}, KKT residual {res.kkt_residual:.1e}, "
      f"identity residual {res.identity_residual:.1e} ({time.perf_counter() - start:.2f} s incl. solve)")
start = time.perf_counter()
one = res.explain(data.X_test[0])
print(f"values of all 300 training points for a new test point: {1e3 * (time.perf_counter() - start):.3f} ms")

real = load_sklearn_binary("breast_cancer", rng=SEED)
res2 = l2_representers(real.X, real.y, 0.01, real.X_test)
print(f"l2 logistic on breast_cancer: identity residual {res2.identity_residual:.1e}")

# %% [markdown]
# The default solver is checked against cvxpy (Clarabel, tightened to 1e-9) on small instances:

# %%
small = make_sparse_logistic(50, 30, rng=SEED)
fast = solve_l1(small.X, small.y, 0.03)
_, ref = solve_l1_cvxpy(small.X, small.y, 0.03, **CLARABEL_TIGHT)
print(f"objective: fast {fast.objective:.12f}, cvxpy {ref:.12f}, relative gap {abs(fast.objective - ref) / ref:.1e}")

# %% [markdown]
# **Matrix completion.** Soft-impute (proximal gradient with step $n$, accelerated, warm starts,
# truncated SVD of the "sparse + low-rank" iterate for large shapes) gives the nuclear-norm
# solution; only ratings of the same user or the same item get weight:

# %%
ratings, _ = make_lowrank_ratings((60, 90), n_ratings=1200, rank=5, min_per_user=10, rng=SEED)
train, test = hold_out_ratings(ratings, 10, rng=SEED)
nres = nuclear_representers(train.rows, train.cols, train.values, train.shape, 0.004, test.rows, test.cols,
                            tol=1e-12)
outside = ~(nres.same_user | nres.same_item)
print(f"rank {nres.solution.rank}, KKT {nres.kkt_residual:.1e}, identity residual {nres.identity_residual:.1e}, "
      f"max |weight| outside the user's row and the item's column: {np.abs(nres.values[outside]).max()}")

# %% [markdown]
# Small, sparsely observed matrices are the hard case for soft-impute: 48 ratings of a 12 x 10
# matrix are fewer than the $r(m+k-r) = 85$ degrees of freedom of the rank-5 optimum, so the loss
# is flat along most of the fixed-rank manifold and proximal gradient crawls (1570 iterations to
# KKT 1e-11 here; seeds 5 and 18 of this family stop at 5000 iterations above 1e-9), slower than
# cvxpy's SDP (benchmark: 0.14 s vs 0.037 s). Once the rank has settled the default solver
# switches to a damped Newton method on the factored problem $\Theta = LR^\top$,
# $\|\Theta\|_* = \min(\|L\|_F^2+\|R\|_F^2)/2$, and keeps its answer only if the full convex
# KKT residual certifies it (benchmark: 0.0065 s, 5.7x faster than cvxpy). The optimal
# $\Theta$ need not be unique off the observed entries on such instances (the objective, the
# fitted ratings and $\alpha$ are), so we compare those with cvxpy:

# %%
hard, _ = make_lowrank_ratings((12, 10), n_ratings=48, rank=3, min_per_user=3, rng=SEED)
hard_args = (hard.rows, hard.cols, hard.values, hard.shape, 0.005)
for newton in (False, True):  # the default (polished) solve last
    start = time.perf_counter()
    hard_sol = solve_nuclear(*hard_args, tol=1e-11, newton=newton)
    print(f"newton={newton}: {hard_sol.n_iter} soft-impute + {hard_sol.n_newton} Newton steps, "
          f"KKT {hard_sol.kkt_residual:.1e}, {1e3 * (time.perf_counter() - start):.1f} ms")
hard_theta, hard_ref = solve_nuclear_cvxpy(*hard_args, **CLARABEL_SDP_TIGHT)
fit_gap = np.abs(hard_sol.entries(hard.rows, hard.cols) - hard_theta[hard.rows, hard.cols]).max()
print(f"objective vs cvxpy: relative gap {abs(hard_sol.objective - hard_ref) / hard_ref:.1e}; "
      f"fitted ratings differ by {fit_gap:.1e}")

# %% [markdown]
# The identity figure: predictions against the sum of representer values for the three models
# (all on the diagonal), and, on the right, the identity residual along an un-polished proximal
# gradient path of the l1 model next to the exact bound $\|\theta\odot x_t\|_1\,\mathrm{KKT}/\lambda$
# (the residual is $\sum_{k}|\theta_k|x_{tk}(g_k+\lambda\,\mathrm{sign}\,\theta_k)/\lambda$). With
# a default-tolerance solve (KKT ~1e-4) the identity is off by ~1e-3, as the spec warns; at the
# tight solve it is exact to round-off.

# %%
fig, _ = render_figure("rep_identity", scale=SCALE, seed=SEED)
display(fig)

# %% [markdown]
# ## 2. Are the explanations right? Leave-one-out retraining
#
# On small $n$ the ground truth is available: retrain without each point (weight 0, keeping the
# $1/n$ and $\lambda$, the perturbation influence functions linearise) and record
# $f_t - f_t^{(-i)}$. We compare signs with
#
# * **l1 representer** (ours, exact decomposition),
# * **influence functions** with the exact Hessian on the support, damping $10^{-6}$ on the
#   mean-scale Hessian (the official code adds $10^{-6}$ to the sum-scale Hessian),
# * **l2 representer**: $\alpha_i\langle x_i, x_t\rangle$ with the l1 model's $\alpha$ (the
#   baseline of Tsai et al.'s code),
# * **TracIn**: gradient products summed over 10 checkpoints of ISTA from $\theta = 0$,
# * **random**.

# %%
fig, loo_data = render_figure("rep_loo_agreement", scale=SCALE, seed=SEED)
display(fig)
print({k: round(v, 3) for k, v in loo_data["sign_agreement"].items()})

# %% [markdown]
# The same comparison on two of scikit-learn's bundled data sets (standardised, no intercept):

# %%
for name, lam in (("breast_cancer", 0.01), ("wine", 0.02)):
    ds = load_sklearn_binary(name, rng=SEED)
    r = l1_representers(ds.X, ds.y, lam, ds.X_test[:20])
    loo = loo_values(ds.X, ds.y, lam, ds.X_test[:20], theta=r.theta)
    vals, _ = l1_explainer_values(ds.X, ds.y, lam, ds.X_test[:20], r.theta, SEED)
    print(f"{name} (n={ds.X.shape[0]}, d={ds.X.shape[1]}, |supp|={r.support.size}):",
          {k: round(sign_agreement(v, loo), 3) for k, v in vals.items()})

# %% [markdown]
# For the logistic loss $\ell'_i$ has the sign of $-y_i$ at every checkpoint, so TracIn and the
# l2 representer always share their signs (their rankings differ).
#
# **Paper vs ours.** The representer's signs agree with leave-one-out more often than the l2
# representer, TracIn and random (claim `rep.loo.sign_agreement`: at $n=60$ with 200 test points,
# over seeds 0-49 and four large seeds, the mean agreement is 0.707 (per seed 0.678-0.767) against
# 0.632 (0.620-0.645) for the l2 representer and TracIn and 0.500 for random; over the 204-seed
# sweep (seeds 0-199 and four large seeds) the smallest t statistic against the best baseline is
# 7.7, above the level-$10^{-6}$ critical value 5.1 on every seed, so the ordering is established,
# not merely not rejected). **Influence functions
# with the exact Hessian agree more still** (about 0.89). That is expected: with the exact
# restricted Hessian the influence function is the first-order Taylor expansion of leave-one-out
# itself (for least squares it is exact up
# to the leverage factor $1/(1-h_i)$, which our tests verify), whereas the representer
# replaces $H_S^{-1}$ by $\mathrm{diag}|\theta_S|/\lambda$. The representer needs no Hessian
# solve: its cost is $O(n|S|)$ per test point against $O(|S|^3 + n|S|^2)$. The issue asked that the
# representer beat "the baselines"; it beats all of them except the exact-Hessian influence, and
# we report that honestly.

# %% [markdown]
# ## 3. Case-deletion curves
#
# Protocol of Tsai et al. (their `del_curve_l1_classification.py`): for each test point delete
# the top 1..5 % proponents (largest values) or opponents (smallest values) of each explainer,
# retrain (warm-started from the full solution) and record the change of $f(x_t)$. The paper uses
# gisette, rcv1 and news20; these curves are on a synthetic stand-in (sparse logistic data,
# $n=300$, $d=1000$, 10 true features, at the paper scale; a smaller problem at the quick scale)
# because those files are not obtainable offline on this machine. Once you have one,
# `python -m analysis data fetch rcv1 --from FILE` puts it in the cache, and
# `paper_deletion_experiment("rcv1", progress=True, cache=default_result_cache())` runs the
# paper's protocol on it (C = 1, or 10 for news20, as lambda = 1 / (C n); 20 % validation, or
# 10 % + 11 % test for news20; 40 runs x 40 test points; every explainer; resumable). It is
# tested on small libsvm files here; the real run was not possible on this machine.
# Bands are 95 % Student-t intervals over test points; the legend shows the normalised AUC.

# %%
fig, del_data = render_figure("rep_deletion_curves", scale=SCALE, seed=SEED)
display(fig)
for direction, by in del_data["auc"].items():
    print(direction, {k: f"{m:.2f} +- {h:.2f}" for k, (m, h) in by.items()})

# %% [markdown]
# Deleting the representer's proponents lowers the prediction far more than random deletion
# (claim `rep.deletion.proponents_beat_random`), and more than the l2 representer and TracIn.
# On this synthetic data the exact-Hessian influence function is on par with or slightly above
# the representer, in line with section 2. Tsai et al. run this comparison on gisette, rcv1 and
# news20 (their paper's tables were not available to us offline, and their data are downloads),
# so we do not restate or reproduce their numbers; what we reproduce is the protocol and the
# ordering representer >> l2 representer / random. The influence values here cost one
# $|S|\times|S|$ solve; the timing gap grows with the support (see
# `benchmarks/bench_representers.py`).

# %%
theta = res.theta
start = time.perf_counter()
influence_values(data.X, data.y, theta, 0.04, data.X_test)
t_inf = time.perf_counter() - start
start = time.perf_counter()
l1_representers(data.X, data.y, 0.04, data.X_test, theta=theta)
t_rep = time.perf_counter() - start
print(f"50 test points: representer {1e3 * t_rep:.1f} ms, influence {1e3 * t_inf:.1f} ms (|supp| = {theta.astype(bool).sum()})")

# %% [markdown]
# **The l1 solver at news20's size.** `solve_l1` takes a scipy.sparse design and keeps it sparse
# (products, the support's columns and the round-off floor $|X|$; conjugate-gradient Newton
# steps on supports above 1500 columns). liblinear, the solver of the published code, minimises
# $\|\theta\|_1 + C\sum_i \ell(\theta^\top x_i, y_i)$; divided by $Cn$ that is our
# $\frac1n\sum_i\ell + \lambda\|\theta\|_1$ with $\lambda = 1/(Cn)$, so C = 10 (their news20
# setting) is $\lambda = 1/(10n)$. On a synthetic bag-of-words design of news20's shape and density
# (15 796 training rows, 1 355 192 columns, 7.0 M stored values; the real file is not obtainable
# here), `benchmarks/bench_representers.py --only sparse-l1 --budget 800` measured: ours 182 CPU s
# and 243 MB above the 80 MB design, KKT residual $10^{-19}$; liblinear at tol $10^{-8}$ 8.7 s and
# 309 MB, KKT $2.7\times10^{-11}$ under our objective, the same 4410-column support and objective
# to $4\times10^{-14}$ relative. **liblinear is 21x faster** at comparable accuracy (39x at its
# default tol $10^{-4}$, which stops $6\times10^{-6}$ above the optimum with $\theta$ 0.66 away in
# max norm); ours uses 0.79x its memory. The representer identity needs a tightly certified
# optimum, which is what our solver adds; the fast route is both: liblinear's $\theta$ as the warm
# start `theta0=` is certified by the active-set polish alone (measured at 5000 x 338 798:
# liblinear 2.2 s + polish 0.7 s, KKT $10^{-19}$, 0 proximal iterations, vs 26 s cold).

# %% [markdown]
# ## 4. Collaborative filtering
#
# For a held-out rating $(u, v)$ the nuclear-norm representer splits the prediction into
# ratings of the same user (weighted by item similarity $\langle\tilde V_j,\tilde V_v\rangle$) and
# ratings of the same item by other users (weighted by $\langle\tilde U_i,\tilde U_u\rangle$). Each
# half alone sums to $\Theta_{uv}/2$ (tested). Stars 1..5 map to $[-1, 1]$ by $(r-3)/2$. **The
# paper scale uses the real MovieLens-100k ratings when `u.data` is cached** (`python -m analysis
# data fetch movielens100k`; GroupLens forbids redistribution, so it is never committed); without
# it, and always at the quick scale, the figures show a synthetic stand-in with MovieLens-100k's
# shape (943 x 1682, 100 000 ratings, its star histogram, every user >= 20 ratings). Each figure's
# title and its JSON `data` field (`{name, sha256, source}` or `"synthetic stand-in"`) say which.
# Each CF figure holds out its own ratings (the panel 20, the deletion curves 8 queries), so they
# train on 99 980 and 99 992 of the 100 000 (the identity figure of section 1 still checks the
# nuclear identity on the stand-in, 200 held out); `load_ratings_csv` reads any other ratings file.
# The nuclear-norm model is unconstrained, so $\Theta_{uv}$ may leave $[-1, 1]$; the predicted
# rating is $\mathrm{clip}(\Theta_{uv}, -1, 1)$, and the panel explains the most confident
# held-out prediction that lies inside the scale.
#
# **Measured on MovieLens-100k (committed figures, seed 0, $\lambda = 1.2\times10^{-4}$, 40 s):**
# the fit has rank 16 and KKT residual $8.2\times10^{-8}$; the representer identity holds on the
# real ratings to $3.8\times10^{-10}$ (largest $|\Theta_{uv} - \sum \text{values}|$ over the 20
# held-out ratings); the 20 held-out $\Theta_{uv}$ lie in $[-0.158, +0.761]$ (none out of range on
# this split, RMSE of the clipped predictions 0.352 on the $[-1, 1]$ scale); the explained query
# (user 757, item 426, 0-based) has $\Theta_{uv} = +0.761$ for a held-out rating of $+0.5$ (4 stars),
# split equally between the same-user and same-item halves (+0.380 each). The official code explains
# a matrix-factorisation model with the same formula (its "normalised embeddings" are our
# $\tilde U, \tilde V$) and drops the constant $1/(2\lambda n)$, which does not change rankings.

# %%
fig, cf_data = render_figure("rep_cf_panel", scale=SCALE, seed=SEED)
display(fig)
print("data:", cf_data["data"])
print(f"prediction {cf_data['prediction']:+.4f}; same-user half {cf_data['user_share']:+.4f}, "
      f"same-item half {cf_data['item_share']:+.4f}")

# %% [markdown]
# **Case deletion for matrix completion: the full representer, its item part, its user part.**
# For each held-out rating, delete the top share of the ratings of the same user or item ranked by
# an explainer, refit soft-impute warm-started from the full solution and record the change of
# $\Theta_{uv}$. Four explainers delete the *same number* of ratings: the full representer (from
# the whole neighbourhood), its **item part** $\tfrac12\alpha_{uj}\langle\tilde V_j, \tilde
# V_v\rangle$ (an item-based explanation: it ranks only the user's own ratings), its **user part**
# $\tfrac12\alpha_{iv}\langle\tilde U_i, \tilde U_u\rangle$ (user-based: only the item's other
# ratings), and random values (the paper's random baseline). What the split itself guarantees is
# checkable and a claim: at the optimum $A V S V^\top = \Theta = U S U^\top A$, so *each part
# alone* sums to $\Theta_{uv}/2$ (`rep.nuclear.item_user_halves`, to the identity's round-off
# allowance). To first order a deletion moves $\Theta_{uv}$ by the sum of the deleted values, and
# the top $k$ values of the whole neighbourhood sum to at least the top $k$ of either pool, so the
# full representer's curves should lie at or beyond both parts'.
#
# **Measured on MovieLens-100k** (committed paper-scale figure, 8 held-out queries x 5 levels x 2
# directions x 4 explainers = 320 warm-started refits, ~170 CPU s on one core; the
# refits reuse one validated index, `benchmarks/bench_representers.py --only cf-refits`: 2.2x less
# CPU than before, identical numbers). Deleting the top 5 % moves $\Theta_{uv}$ on average by:
# proponents full $-0.145$, item part $-0.145$, user part $-0.074$, random $-0.003$; opponents
# $+0.157$, $+0.123$, $+0.092$, $+0.002$. Normalised AUC (95 % t intervals over the 8 queries):
# proponents 0.092 $\pm$ 0.054 (full), 0.093 $\pm$ 0.055 (item), 0.041 $\pm$ 0.013 (user),
# 0.002 $\pm$ 0.007 (random); opponents 0.097 $\pm$ 0.050, 0.082 $\pm$ 0.059, 0.057 $\pm$ 0.025,
# 0.000 $\pm$ 0.009. Paired per query, full minus item part: $-0.0002 \pm 0.009$ (proponents),
# $+0.015 \pm 0.014$ (opponents); full minus user part: $+0.051 \pm 0.054$, $+0.040 \pm 0.043$.
# So on these 8 queries the full representer's proponents are, in effect, the user's own ratings
# (in the figure the item part's proponent curve lies under the full one):
# the item-based explanation alone does as well, the user-based one reaches about half; with 8
# queries only the opponents' full-vs-item difference is outside its interval, so this is a
# description of this split, not a general claim (the first-order argument above says "at least
# as far", which the data do not contradict). The claim `rep.cf.proponents_beat_random` checks
# full vs random on the stand-in; the stand-in gave AUC 0.176 and 0.128.

# %%
fig, cfd = render_figure("rep_cf_deletion", scale=SCALE, seed=SEED)
display(fig)
print("data:", cfd["data"])
print(cfd["auc"])
print("paired AUC(full) - AUC(other):", cfd["paired"])

# %% [markdown]
# ### The matrix-factorisation model of the published code
#
# The paper's collaborative-filtering experiments explain a **matrix factorisation** $\Theta = P
# Q^\top$, not a nuclear-norm solve. What its code trains (read in `chepingt/High-dimensional-
# Representer`, `src/models.py` class `MF` and `config/MF-ml-100k.yaml`): the batch mean of
# $(\langle p_u, q_v\rangle - y)^2$ on $y = (r-3)/2$, Adam (lr $10^{-3}$, batch 1024, 30 epochs)
# from `uniform(-1/k, 1/k)`, **`weight_decay: 0`**, i.e. no regulariser (early stopping only), and
# embedding dimension 8 for ML-100k (16 is its ML-1m config; we use 16 as issue 15 asks). Without a
# regulariser $\alpha = -\ell'/(\lambda n)$ is undefined; the code's explainer uses the unscaled
# $-(f - y)$, which gives the same rankings. We add the Frobenius regulariser that makes the
# theorem apply (`analysis.representers.solve_mf`):
# $F(P, Q) = \frac1n\sum_e \tfrac12(\langle P_{i_e}, Q_{j_e}\rangle - y_e)^2 + \frac\lambda2(\|P\|_F^2
# + \|Q\|_F^2)$; a torch weight decay `wd` on the code's loss has the same stationary points at
# $\lambda = \mathrm{wd}/2$.
#
# **Which identity holds at an MF stationary point.** With $A = \sum_e \alpha_e e_{i_e}e_{j_e}^\top$,
# $\nabla_P F = \lambda(P - AQ)$ and $\nabla_Q F = \lambda(Q - A^\top P)$, so for *any* factors
# $\Theta_{uv} - (AQQ^\top)_{uv} = \langle(\nabla_P F)_u, Q_v\rangle/\lambda$ exactly. At a
# stationary point $P^\top P = P^\top A Q = Q^\top Q$: the factors are automatically **balanced**,
# $QQ^\top = V S V^\top$, and with the code's normalised embeddings $\tilde U = U S^{1/2}$,
# $\tilde V = V S^{1/2}$ (SVD of $PQ^\top$) *each* half of the nuclear-norm formula sums to
# $\Theta_{uv}/2$ — the first two nuclear KKT conditions $AV = U$, $A^\top U = V$ hold at every
# stationary point. The third, $\|A\|_2 \le 1$, holds only when the stationary point is the convex
# optimum (rank below $k$, Srebro et al. 2005); when the rank saturates, $\|A\|_2 > 1$ and the MF
# model is *not* the nuclear-norm model, yet its representer identity still holds (tests:
# `tests/representers/test_mf.py`; claim `rep.mf.identity`, whose allowance is the exact
# stationarity term plus round-off, and whose broken variant — the raw factors $(2P, Q/2)$ of the
# same $\Theta$ used without the SVD normalisation — fails by 11 orders of magnitude).

# %%
ratings_small, _ = make_lowrank_ratings((12, 14), n_ratings=80, rank=3, min_per_user=4, rng=SEED)
small_args = (ratings_small.rows, ratings_small.cols, ratings_small.values, ratings_small.shape, 0.01)
nuc_small = solve_nuclear(*small_args, tol=1e-12)
for k in (1, nuc_small.rank + 2):
    res_mf = mf_representers(*small_args, [0, 3], [1, 2], rank=k, tol=1e-13, max_iter=50_000)
    print(f"k={k}: stationarity {res_mf.solution.stationarity:.1e}, ||A||_2 = {res_mf.spectral_norm:.4f}, "
          f"max |item half - Theta/2| {np.abs(res_mf.item_residual).max():.1e}, "
          f"|user half - Theta/2| {np.abs(res_mf.user_residual).max():.1e}, "
          f"max |Theta_MF - Theta_nuclear| {np.abs(res_mf.solution.theta - nuc_small.theta).max():.1e}")

# %% [markdown]
# **Case deletion with the MF model on MovieLens-100k** (`rep_mf_deletion`): the published 50/50
# split (seeded), $k = 16$, $\lambda = 10^{-4}$; the published deletion counts 5..25, drawn from each
# explainer's pool; every refit warm-started from the full model (L-BFGS, then ALS) to stationarity
# $10^{-6}$ (the published script retrains from a fresh random start, which adds the retraining's
# own noise to each change). Predictions are $\mathrm{clip}(\Theta_{uv}, -1, 1)$, so they stay on
# the rating scale. (Read in the published `del_curve_cf.py`: the opponent branch tests
# `args.method == 'opponent'` while the command line offers only `positive` / `negative`, so its
# "negative" runs delete the same top-scored ratings as its "positive" runs for every explainer
# except Random; our opponents delete the most negative values.)
#
# **Measured on MovieLens-100k** (committed paper-scale figure, seed 0: 50 000 training / 50 000
# held-out ratings, fit 16 CPU s, 320 refits 626 CPU s on one core): stationarity
# $9.9\times10^{-10}$; all 16 singular values of $PQ^\top$ are far from 0 (13.8 .. 184) and
# $\|A\|_2 = 1.353 > 1$, so **the rank saturates and this MF model is not the nuclear-norm
# solution** of the same $\lambda$ — yet each half of its representer reproduces $\Theta_{uv}/2$
# on 100 held-out ratings to $6.3\times10^{-10}$ (item) and $1.3\times10^{-11}$ (user), equal to
# the stationarity term $\langle(P-AQ)_u, Q_v\rangle/2$ to 8 digits. Held-out RMSE of the clipped
# predictions 0.485 on $[-1, 1]$ (0.97 stars); 0.54 % of held-out $\Theta_{uv}$ fall outside the
# scale before clipping. Normalised AUC over the counts 5..25 (8 queries, 95 % t intervals):
# proponents — both parts 0.186 $\pm$ 0.041, item part 0.160 $\pm$ 0.057, user part
# 0.172 $\pm$ 0.039, random 0.005 $\pm$ 0.026; opponents — 0.247 $\pm$ 0.127, 0.176 $\pm$ 0.103,
# 0.193 $\pm$ 0.123, $-0.024 \pm 0.029$. Paired per query, both parts minus item part:
# $+0.025 \pm 0.038$ (proponents), $+0.071 \pm 0.056$ (opponents); minus user part:
# $+0.014 \pm 0.061$, $+0.054 \pm 0.049$. So with the MF model the item-based and the user-based
# explanations move the prediction about equally (deleting the top 25 proponents: $-0.255$ vs
# $-0.261$), unlike the nuclear-norm model above, where the user part reached about half of the
# item part; every explainer beats random by a wide margin, and combining the two pools beats
# either part only for the opponents (the only paired intervals that exclude 0). Eight queries
# are a description of this split, not a general claim.

# %%
fig, mfd = render_figure("rep_mf_deletion", scale=SCALE, seed=SEED)
display(fig)
print("data:", mfd["data"])
print(f"stationarity {mfd['stationarity']:.1e}, ||A||_2 {mfd['spectral_norm_A']:.3f}, "
      f"identity residuals {mfd['identity_max_residual']}")
print(mfd["auc"])
print("paired AUC(both parts) - AUC(other):", mfd["paired"])

# %% [markdown]
# ## 5. The ledger
# Every statement above is a claim with a deliberately broken variant (a wrong implementation or
# a perturbed input, measured the same way), which must fail. `python -m analysis verify --topic
# representers --seeds 0-199 --slow-seeds 0-49 [--broken]` runs them on 200 seeds (50 for runs
# over 2 s). Tolerances come from error models relative to each instance's scale
# (`analysis.representers.roundoff`: worst-case $\gamma_N = N\epsilon$ round-off of the sums,
# the solvers' KKT tolerance times conditioning, Clarabel's duality-gap tolerance), so they hold
# on any BLAS kernel and thread count; the slack shown is the binding sub-check as a share of its
# allowance. The three explainer-quality claims (LOO signs, deletion, CF deletion) are one-sided
# Student-t tests over test points that fail only when the data reject the claim at level
# $10^{-6}$ per seed (slack = t statistic, tolerance = critical value).

# %%
for c in get_claims("representers"):
    record = run_claim(c, SEED)
    print(f"{record['status']:4s}  {c.id:40s} {record['detail'][:90]}")

# %% [markdown]
# ## Explore: regularisation and case deletion
# `explore()` refits the $\ell_1$-regularised logistic model for the $\lambda$ you choose, shows the
# representer contributions to one test prediction (they sum to it exactly) and how the prediction
# moves when the largest contributors are deleted and the model refitted, against deleting random
# points. A large $\lambda$ zeroes every coefficient and every contribution.

# %%
from analysis.representers import explore  # noqa: E402

explore(lam=0.05)

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
# # Neural collapse: geometric oracles
#
# Neural collapse (Papyan, Han & Donoho, 2020) says that at the end of training the class means
# of the last-layer features form a **simplex equiangular tight frame** (ETF): unit-norm,
# centred vectors with pairwise cosine $-1/(C-1)$. With supervised contrastive loss and
# non-negative (post-ReLU) features the geometry is instead an **orthogonal frame** (OF)
# (Kini et al., 2024). This notebook builds both oracles and checks their identities through the
# claims ledger. Set `ANALYSIS_SCALE=paper` before starting JupyterLab for paper-scale figures.

# %%
import numpy as np

from analysis._core.claims import get_claims, run_claim
from analysis._core.registry import render_figure
from analysis._core.scale import notebook_scale
from analysis.neural_collapse import etf_gram, orthogonal_frame, simplex_etf
from analysis.neural_collapse.geometry import cosine_matrix

SCALE = notebook_scale()
SEED = 0

# %% [markdown]
# ## The simplex ETF
# $M M^\top = \frac{C}{C-1}(I - \frac1C \mathbf 1 \mathbf 1^\top)$, for any rotation.

# %%
C, d = 5, 8
M = simplex_etf(C, d, rng=SEED)
print(np.round(cosine_matrix(M), 3))
print("max Gram error:", np.abs(M @ M.T - etf_gram(C)).max())

# %% [markdown]
# ## The orthogonal frame, and its centred version
# Centring an equal-norm orthogonal frame and renormalising gives the simplex ETF
# (proved symbolically for general $C$ in `proofs_checks/check_neural_collapse.py`).

# %%
F = orthogonal_frame(C, d)
V = F - F.mean(axis=0)
print("centred OF vs ETF Gram error:", np.abs(cosine_matrix(V) - etf_gram(C)).max())

# %%
fig, data = render_figure("nc_gram_etf_of", scale=SCALE, seed=SEED)
fig

# %% [markdown]
# ## The claims of this topic

# %%
for c in get_claims("neural_collapse"):
    r = run_claim(c, seed=SEED)
    print(f"{r['status']:5s} {r['id']:40s} slack={r['slack']:.2e}")

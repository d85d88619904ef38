# `make figures` and `make test` bootstrap .venv on a fresh machine, then do their job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SCALE  ?= paper
SEED   ?= 0
JOBS   ?= 2
# The ledger sweep: every claim on SWEEP_SEEDS (SLOW_SEEDS for claims whose run takes > 2 s),
# normal and broken, on every local core.
SWEEP_SEEDS ?= 0-199,424242,458122,1000003,2147483647
SLOW_SEEDS  ?= 0-49,424242,2147483647
NPROC       := $(shell nproc 2>/dev/null || echo 2)
SWEEP_JOBS  ?= $(NPROC)
FIG_JOBS    ?= $(NPROC)
# One BLAS/torch thread per pytest worker: JOBS workers share the cores without oversubscribing.
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg

.PHONY: install figures test verify sweep lab lint bench clean site test-browser

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the project and its dependencies into $(VENV) (a few minutes on a fresh machine)..."
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -e '.[dev,notebooks]'
	touch $(STAMP)

figures: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m analysis figures --all --scale $(SCALE) --seed $(SEED) \
	  --jobs $(FIG_JOBS) $(if $(filter quick,$(SCALE)),--out build/figures-quick,)

test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q -n $(JOBS) --dist worksteal tests proofs_checks

verify: $(STAMP)
	$(BIN)/python -m analysis verify

# Runs every topic's claims on SWEEP_SEEDS (SLOW_SEEDS for claims over 2 s), normal and broken,
# into build/sweep/<topic>{,-broken}.{md,json}, then merges them into
# figures/ledger_sweep{,_broken}.{md,json}. Fails if any claim fails on a seed or any broken
# variant passes on one (every table is written either way). One topic: make sweep TOPICS=zsl.
TOPICS ?= neural_collapse contrastive zsl continual representers inductive_bias implicit_reg
sweep: $(STAMP)
	@fail=0; for t in $(TOPICS); do \
	  $(TEST_ENV) $(BIN)/python -m analysis verify --topic $$t --seeds $(SWEEP_SEEDS) \
	    --slow-seeds $(SLOW_SEEDS) --jobs $(SWEEP_JOBS) --out build/sweep/$$t > /dev/null || fail=1; \
	  $(TEST_ENV) $(BIN)/python -m analysis verify --topic $$t --seeds $(SWEEP_SEEDS) \
	    --slow-seeds $(SLOW_SEEDS) --jobs $(SWEEP_JOBS) --broken --out build/sweep/$$t-broken > /dev/null || fail=1; \
	  echo "sweep: $$t done"; \
	done; \
	$(BIN)/python -m analysis sweep-report $(foreach t,$(TOPICS),build/sweep/$(t).json) \
	  --out figures/ledger_sweep > /dev/null || fail=1; \
	$(BIN)/python -m analysis sweep-report $(foreach t,$(TOPICS),build/sweep/$(t)-broken.json) \
	  --out figures/ledger_sweep_broken > /dev/null || fail=1; \
	tail -n 3 figures/ledger_sweep.md figures/ledger_sweep_broken.md; test $$fail -eq 0

# JupyterLab opens the jupytext .py notebooks as notebooks (a settings override installed into
# .venv); root (containers, cloud notebooks) needs --allow-root.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	mkdir -p $(LAB_SETTINGS)
	$(BIN)/python -c "import json, pathlib; p = pathlib.Path('$(LAB_SETTINGS)/overrides.json'); \
	  s = json.loads(p.read_text()) if p.exists() else {}; \
	  s.setdefault('@jupyterlab/docmanager-extension:plugin', {}).setdefault('defaultViewers', {})\
	  .update({'python': 'Jupytext Notebook'}); p.write_text(json.dumps(s, indent=1))"
	$(BIN)/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# The results site: build/site/index.html (topic pages from the notebooks with the committed
# figures, a gallery, the claims ledger, the API); its tests drive the Debian chromium.
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -e '.[dev,notebooks,docs]'
	touch $(DOCS_STAMP)

site: $(DOCS_STAMP)
	MPLBACKEND=Agg $(BIN)/python -m analysis.figures.site

test-browser: site
	command -v chromium >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q chromium; }
	ANALYSIS_BROWSER_TESTS=1 $(TEST_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

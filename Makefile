# `make figures` and `make test` bootstrap .venv on a fresh machine, then do their job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SCALE  ?= paper
SEED   ?= 0
JOBS   ?= 2
# One BLAS/torch thread per pytest worker: JOBS workers share the cores without oversubscribing.
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg

.PHONY: install figures test verify lab lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,notebooks]'
	touch $(STAMP)

figures: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m analysis figures --all --scale $(SCALE) --seed $(SEED)

test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q -n $(JOBS) tests proofs_checks

verify: $(STAMP)
	$(BIN)/python -m analysis verify

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# Two commands matter: `make serve` and `make test`. Both build the virtualenv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per install: `serve` needs the runtime dependencies only, everything else the dev ones too.
# Installing dev installs the runtime as well, so it touches both stamps.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: serve test lint typecheck unit bench clean

$(VENV)/pyvenv.cfg:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUNTIME)

$(DEV): pyproject.toml | $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV) $(RUNTIME)

serve: $(RUNTIME)
	$(BIN)/solicitations serve --demo

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV)
	$(BIN)/mypy

# The whole suite on SQLite, then the store-facing tests again on PostgreSQL with buckets in Redis
# (127.0.0.1; override with SOLICITATIONS_TEST_POSTGRES_URL / SOLICITATIONS_TEST_REDIS_URL).
test: lint typecheck
	$(BIN)/pytest -n 2
	SOLICITATIONS_TEST_DATABASE=postgresql \
	SOLICITATIONS_TEST_REDIS_URL=$${SOLICITATIONS_TEST_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/pytest -n 2 -m "not sqlite_only" tests/integration tests/e2e

# Not part of `make test`: ~7 minutes on 2 cores; e.g. BENCH_ARGS="--sizes 10000 --rounds 1" for a quick look.
bench: $(DEV)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) solicitations.db solicitations.db-wal solicitations.db-shm mail

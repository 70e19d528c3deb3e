# Two commands matter: `make serve` and `make test`. Both build the virtualenv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per install: `serve` needs the runtime dependencies only, everything else the dev ones too.
# Installing dev installs the runtime as well, so it touches both stamps.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: serve test test-future lint typecheck bench clean

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
	$(BIN)/pytest -n 2 -m "not sqlite_only" tests/integration tests/e2e tests/security

# The unit and integration tests again with every process's clock 400 days ahead (Debian's faketime):
# a test that mixes the suite's fixed clock with the wall clock fails here the day it is written.
FUTURE ?= +400d
test-future: $(DEV)
	@command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime"; exit 1; }
	faketime -f '$(FUTURE)' $(BIN)/python -c 'import datetime; print("clock moved to", datetime.date.today())'
	faketime -f '$(FUTURE)' $(BIN)/pytest -n 2 tests/unit tests/integration

# Not part of `make test`: ~7 minutes on 2 cores; e.g. BENCH_ARGS="--sizes 10000 --rounds 1" for a quick look.
bench: $(DEV)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) solicitations.db solicitations.db-wal solicitations.db-shm mail

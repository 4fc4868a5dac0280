# The one task runner: the README, CI and developers all call these targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HYPOTHESIS_STORAGE_DIRECTORY ?= $(CURDIR)/.hypothesis
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# The suite runs in parallel (pytest-xdist), one process per core; each worker builds its
# own migrated database. Tests sharing a costly fixture stay on one worker (tests/conftest.py).
# PYTEST_PARALLEL= (empty) runs it in one process.
PYTEST_PARALLEL ?= -n auto --dist loadgroup

.PHONY: help install run demo serve test lint typecheck unit browser-deps test-postgres spark-deps test-spark ci bench bench-national lock clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip==25.3"
	$(BIN)/pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)  ## Create .venv with the pinned dependencies and govdata itself

run: install  ## Migrate, load the demo region and serve at http://127.0.0.1:8000
	$(BIN)/govdata demo
	@echo ""
	@echo "  govdata: http://127.0.0.1:8000/   demo login: admin / Govdata-Demo-2026"
	@echo ""
	$(BIN)/govdata serve

lint: install  ## ruff (lint and format check)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install  ## mypy --strict on src/
	$(BIN)/mypy

browser-deps:  ## Install Debian's chromium for the browser tests if it is missing
	bash scripts/ensure-chromium.sh

unit: install browser-deps  ## The test suite on the embedded SQLite default (browser tests included)
	$(BIN)/pytest $(PYTEST_PARALLEL)

test: lint typecheck unit  ## Everything a change must pass: lint, types, the whole test suite

test-postgres: install  ## The same suite against the real PostgreSQL (GOVDATA_TEST_DATABASE_URL)
	GOVDATA_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_PARALLEL) --ignore=tests/browser -m "not spark"

spark-deps: install  ## Install pyspark (the spark extra, hash-pinned) into .venv
	$(BIN)/pip install --quiet --require-hashes -r requirements/spark.txt

test-spark: spark-deps  ## Spark (local mode, Java 17) reads lake versions from their file lists
	$(BIN)/pytest -m spark

bench: install  ## Run the benchmarks (each prints ratios to a baseline of the same run)
	$(BIN)/python -m bench.bench_action_layer
	$(BIN)/python -m bench.bench_catalog_search --entries 300000
	$(BIN)/python -m bench.bench_aggregation --rows 5000000 --changed 500000 --repeats 3
	$(BIN)/python -m bench.bench_masking --rows 1000000
	$(BIN)/python -m bench.bench_ledger --entries 200000
	$(BIN)/python -m bench.bench_crypto

bench-national: install  ## The catalog search benchmark at national scale (3,000,000 entries; about 30 min)
	$(BIN)/python -m bench.bench_catalog_search --entries 3000000

lock:  ## Re-resolve requirements/lock.txt from pyproject.toml (needs network)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		-o requirements/lock.txt

clean:  ## Remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
